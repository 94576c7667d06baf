"""The Karmada typed views, the strict field check, the OpenAPI schemas and the resource registry."""

from __future__ import annotations

import json

import pytest

from karmadad.api.karmada import (
    KARMADA_RESOURCES,
    KIND_MODELS,
    RESOURCES_BY_KIND,
    column_value,
    karmada_resource_types,
    openapi_schemas,
    parse,
    schema_name,
    schemas_for_kind,
    unknown_fields,
)
from karmadad.api.karmada.cluster import Cluster
from karmadad.api.karmada.policy import FieldOverrider, OverridePolicy, PropagationPolicy
from karmadad.api.karmada.work import ResourceBinding, Work

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def nginx_pp() -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "nginx-propagation", "namespace": "default"},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
            "placement": {
                "clusterAffinity": {"clusterNames": ["member1", "member2"]},
                "replicaScheduling": {
                    "replicaDivisionPreference": "Weighted",
                    "replicaSchedulingType": "Divided",
                    "weightPreference": {
                        "staticWeightList": [
                            {"targetCluster": {"clusterNames": ["member1"]}, "weight": 1},
                            {"targetCluster": {"clusterNames": ["member2"]}, "weight": 2},
                        ]
                    },
                },
            },
        },
    }


# ----------------------------------------------------------------------------- typed views


def test_propagation_policy_view_reads_like_the_manifest():
    policy = parse(nginx_pp())
    assert isinstance(policy, PropagationPolicy)
    spec = policy.spec
    assert spec.resourceSelectors[0].kind == "Deployment"
    assert spec.resourceSelectors[0].labelSelector is None
    assert spec.placement.clusterAffinity.clusterNames == ["member1", "member2"]
    weights = spec.placement.replicaScheduling.weightPreference.staticWeightList
    assert [w.weight for w in weights] == [1, 2]
    # Go zero values and CRD defaults for what the manifest leaves out
    assert spec.placement.spreadConstraints == []
    assert spec.placement.clusterTolerations == []
    assert spec.priority == 0
    assert spec.preemption == "Never"
    assert spec.schedulerName == "default-scheduler"
    assert spec.conflictResolution == "Abort"
    assert spec.failover is None
    assert spec.propagateDeps is False
    assert policy.metadata.labels == {}


def test_views_ignore_unknown_fields():
    obj = nginx_pp()
    obj["spec"]["placement"]["clusterAfinity"] = {}
    assert parse(obj).spec.placement.clusterAffinity.clusterNames == ["member1", "member2"]


def test_field_overrider_json_is_aliased():
    rule = FieldOverrider.model_validate(
        {"fieldPath": "/data/config.json", "json": [{"subPath": "/a", "operator": "remove"}]}
    )
    assert rule.json_[0].subPath == "/a"
    assert rule.model_dump(by_alias=True, exclude_defaults=True) == {
        "fieldPath": "/data/config.json",
        "json": [{"subPath": "/a", "operator": "remove"}],
    }


def test_override_binding_work_cluster_views():
    op = OverridePolicy.model_validate(
        {
            "metadata": {"name": "op", "namespace": "default"},
            "spec": {
                "overrideRules": [
                    {
                        "targetCluster": {"clusterNames": ["member1"]},
                        "overriders": {
                            "imageOverrider": [
                                {"component": "Registry", "operator": "replace", "value": "r"}
                            ],
                            "plaintext": [{"path": "/spec/replicas", "operator": "replace", "value": 2}],
                        },
                    }
                ]
            },
        }
    )
    overriders = op.spec.overrideRules[0].overriders
    assert overriders.imageOverrider[0].component == "Registry"
    assert overriders.plaintext[0].value == 2
    assert op.spec.resourceSelectors == []

    rb = ResourceBinding.model_validate(
        {
            "metadata": {"name": "nginx-deployment", "namespace": "default"},
            "spec": {
                "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"},
                "replicas": 3,
                "replicaRequirements": {"resourceRequest": {"cpu": "100m", "memory": 1024}},
                "clusters": [{"name": "member1", "replicas": 3}],
            },
            "status": {
                "schedulerObservingAffinityName": "primary",
                "aggregatedStatus": [{"clusterName": "member1", "applied": True, "status": {"replicas": 3}}],
            },
        }
    )
    assert rb.spec.clusters[0].replicas == 3
    assert rb.spec.replicaRequirements.resourceRequest == {"cpu": "100m", "memory": 1024}
    assert rb.status.schedulerObservingAffinityName == "primary"
    assert rb.status.aggregatedStatus[0].status == {"replicas": 3}
    assert rb.spec.conflictResolution == "Abort"

    work = Work.model_validate(
        {"metadata": {"name": "w"}, "spec": {"workload": {"manifests": [{"kind": "Deployment", "x": 1}]}}}
    )
    assert work.spec.workload.manifests == [{"kind": "Deployment", "x": 1}]
    assert work.status.conditions == []

    cluster = Cluster.model_validate({"metadata": {"name": "member1"}, "spec": {"zones": ["a"]}})
    assert cluster.spec.syncMode == "Push"
    assert cluster.spec.zones == ["a"]
    assert cluster.status.kubernetesVersion == ""


def test_every_kind_has_a_model():
    assert set(KIND_MODELS) == {r.kind for r in KARMADA_RESOURCES}


# ----------------------------------------------------------------------------- unknown fields


def test_unknown_fields_names_paths_like_kubernetes():
    obj = nginx_pp()
    obj["spec"]["placement"]["clusterAfinity"] = {"clusterNames": ["a"]}
    obj["spec"]["resourceSelectors"][0]["nmae"] = "x"
    obj["spec"]["placement"]["replicaScheduling"]["weightPreference"]["staticWeightList"][1]["targetCluster"][
        "clusterName"
    ] = ["b"]
    obj["metadata"]["lables"] = {"a": "b"}
    obj["status"] = {}
    assert sorted(unknown_fields("PropagationPolicy", obj)) == [
        "metadata.lables",
        "spec.placement.clusterAfinity",
        "spec.placement.replicaScheduling.weightPreference.staticWeightList[1].targetCluster.clusterName",
        "spec.resourceSelectors[0].nmae",
        "status",  # PropagationPolicy has no status
    ]


def test_known_fields_and_free_form_maps_are_not_flagged():
    obj = nginx_pp()
    obj["metadata"].update(
        {
            "labels": {"any.domain/key": "v"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
            "uid": "u",
            "resourceVersion": "1",
            "generation": 1,
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "finalizers": ["f"],
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "X", "name": "n", "uid": "u", "controller": True}
            ],
            "managedFields": [{"manager": "kubectl", "fieldsV1": {"f:spec": {"f:anything": {}}}}],
        }
    )
    obj["spec"]["resourceSelectors"][0]["labelSelector"] = {"matchLabels": {"app": "nginx"}}
    assert unknown_fields("PropagationPolicy", obj) == []


def test_unknown_fields_in_status_and_free_form_objects():
    work = {
        "apiVersion": "work.karmada.io/v1alpha1",
        "kind": "Work",
        "metadata": {"name": "w", "namespace": "karmada-es-member1"},
        "spec": {
            "workload": {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap", "whatever": {"x": 1}}]}
        },
        "status": {
            "manifestStatuses": [
                {
                    "identifier": {
                        "ordinal": 0,
                        "version": "v1",
                        "kind": "ConfigMap",
                        "resource": "configmaps",
                        "name": "c",
                    },
                    "status": {"anything": True},
                    "healthy": "Healthy",
                }
            ],
            "conditions": [],
        },
    }
    assert unknown_fields("Work", work) == ["status.manifestStatuses[0].healthy"]
    cluster = {
        "kind": "Cluster",
        "metadata": {"name": "m"},
        "spec": {"syncMode": "Push"},
        "status": {"ready": 1},
    }
    assert unknown_fields("Cluster", cluster) == ["status.ready"]


def test_unknown_fields_of_an_unknown_kind():
    with pytest.raises(KeyError):
        unknown_fields("Deployment", {})


# ----------------------------------------------------------------------------- OpenAPI


def _refs(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def test_openapi_schemas_are_json_with_gvk_and_resolvable_refs():
    schemas = openapi_schemas()
    json.loads(json.dumps(schemas))  # JSON-serialisable
    for resource in KARMADA_RESOURCES:
        name = schema_name(resource.kind)
        assert (
            name
            == f"io.karmada.{resource.group.removesuffix('.karmada.io')}.{resource.version}.{resource.kind}"
        )
        top = schemas[name]
        assert top["x-kubernetes-group-version-kind"] == [
            {"group": resource.group, "version": resource.version, "kind": resource.kind}
        ]
        assert top["description"]
        assert top["properties"]["metadata"]["allOf"] == [{"$ref": f"#/components/schemas/{OBJECT_META}"}]
    assert OBJECT_META not in schemas
    for ref in _refs(schemas):
        target = ref.removeprefix("#/components/schemas/")
        assert target in schemas or target == OBJECT_META, ref


def test_openapi_schemas_describe_fields_for_kubectl_explain():
    schemas = openapi_schemas()
    spec = schemas["io.karmada.policy.v1alpha1.PropagationSpec"]
    assert spec["required"] == ["resourceSelectors"]
    assert spec["properties"]["resourceSelectors"]["minItems"] == 1
    assert spec["properties"]["schedulerName"]["default"] == "default-scheduler"
    assert spec["properties"]["preemption"] == {
        "default": "Never",
        "description": spec["properties"]["preemption"]["description"],
        "enum": ["Always", "Never"],
        "type": "string",
    }
    placement = schemas["io.karmada.policy.v1alpha1.Placement"]
    assert placement["description"]
    for name, prop in placement["properties"].items():
        assert prop.get("description"), name
    tolerations = placement["properties"]["clusterTolerations"]
    assert tolerations["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Toleration"}
    term = schemas["io.karmada.policy.v1alpha1.ClusterAffinityTerm"]["properties"]["affinityName"]
    assert (term["minLength"], term["maxLength"]) == (1, 32)
    # nothing pydantic-specific leaks
    text = json.dumps(schemas)
    for leak in ('"title"', '"$defs"', '"anyOf": [{"type": "null"}', "x-karmadad"):
        assert leak not in text


def test_openapi_quantities_and_free_form_objects():
    schemas = openapi_schemas()
    request = schemas["io.karmada.work.v1alpha2.ReplicaRequirements"]["properties"]["resourceRequest"]
    assert request["additionalProperties"]["x-kubernetes-int-or-string"] is True
    manifests = schemas["io.karmada.work.v1alpha1.WorkloadTemplate"]["properties"]["manifests"]
    assert manifests["items"] == {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def test_schemas_for_kind_is_the_closure_of_one_kind():
    name, defs = schemas_for_kind("Cluster")
    assert name == "io.karmada.cluster.v1alpha1.Cluster"
    assert "io.karmada.cluster.v1alpha1.ClusterSpec" in defs
    assert "io.k8s.api.core.v1.Taint" in defs
    assert not any(n.startswith("io.karmada.policy") for n in defs)
    for ref in _refs(defs):
        target = ref.removeprefix("#/components/schemas/")
        assert target in defs or target == OBJECT_META


# ----------------------------------------------------------------------------- resources


def test_resource_names_are_karmadas():
    got = {
        r.plural: (r.api_version, r.kind, r.namespaced, r.short_names, r.categories, r.subresources)
        for r in KARMADA_RESOURCES
    }
    karmada_io = ("karmada-io",)
    assert got == {
        "clusters": ("cluster.karmada.io/v1alpha1", "Cluster", False, (), (), ("status",)),
        "propagationpolicies": (
            "policy.karmada.io/v1alpha1",
            "PropagationPolicy",
            True,
            ("pp",),
            karmada_io,
            (),
        ),
        "clusterpropagationpolicies": (
            "policy.karmada.io/v1alpha1",
            "ClusterPropagationPolicy",
            False,
            ("cpp",),
            karmada_io,
            (),
        ),
        "overridepolicies": ("policy.karmada.io/v1alpha1", "OverridePolicy", True, ("op",), karmada_io, ()),
        "clusteroverridepolicies": (
            "policy.karmada.io/v1alpha1",
            "ClusterOverridePolicy",
            False,
            ("cop",),
            karmada_io,
            (),
        ),
        "clustertaintpolicies": ("policy.karmada.io/v1alpha1", "ClusterTaintPolicy", False, (), (), ()),
        "workloadrebalancers": ("apps.karmada.io/v1alpha1", "WorkloadRebalancer", False, (), (), ("status",)),
        "resourcebindings": (
            "work.karmada.io/v1alpha2",
            "ResourceBinding",
            True,
            ("rb",),
            karmada_io,
            ("status",),
        ),
        "clusterresourcebindings": (
            "work.karmada.io/v1alpha2",
            "ClusterResourceBinding",
            False,
            ("crb",),
            karmada_io,
            ("status",),
        ),
        "works": ("work.karmada.io/v1alpha1", "Work", True, ("wk",), karmada_io, ("status",)),
    }


def test_printer_columns():
    names = {r.kind: [c.name for c in r.printer_columns if c.priority == 0] for r in KARMADA_RESOURCES}
    assert names["Cluster"] == ["Version", "Mode", "Ready", "Age"]
    assert names["PropagationPolicy"] == ["CONFLICT-RESOLUTION", "PRIORITY", "AGE"]
    assert names["ClusterPropagationPolicy"] == ["CONFLICT-RESOLUTION", "PRIORITY", "AGE"]
    assert names["ResourceBinding"] == ["SCHEDULED", "FULLYAPPLIED", "AGE"]
    assert names["Work"] == ["WORKLOAD-KIND", "APPLIED", "AGE"]


def test_column_values():
    cluster = {
        "spec": {"syncMode": "Push", "zones": ["z1", "z2"]},
        "status": {
            "kubernetesVersion": "v1.31.0",
            "conditions": [{"type": "Other", "status": "False"}, {"type": "Ready", "status": "True"}],
        },
    }
    columns = {c.name: c for c in RESOURCES_BY_KIND["Cluster"].printer_columns}
    assert column_value(cluster, columns["Version"].json_path) == "v1.31.0"
    assert column_value(cluster, columns["Mode"].json_path) == "Push"
    assert column_value(cluster, columns["Ready"].json_path) == "True"
    assert column_value(cluster, columns["Zones"].json_path) == "z1,z2"
    assert column_value({}, columns["Ready"].json_path) is None
    work = {"spec": {"workload": {"manifests": [{"kind": "Deployment"}]}}}
    assert column_value(work, ".spec.workload.manifests[*].kind") == "Deployment"


def test_karmada_resource_types_for_the_server():
    types = {t.kind: t for t in karmada_resource_types()}
    assert set(types) == set(KIND_MODELS)
    cluster = types["Cluster"]
    assert (cluster.group, cluster.version, cluster.plural, cluster.namespaced) == (
        "cluster.karmada.io",
        "v1alpha1",
        "clusters",
        False,
    )
    # as Karmada's CRD lists them: Age before the wide columns
    assert [c.name for c in cluster.columns] == [
        "Name", "Version", "Mode", "Ready", "Age", "Zones", "Region", "Provider", "API-Endpoint", "Proxy-URL"
    ]  # fmt: skip
    ready = next(c for c in cluster.columns if c.name == "Ready")
    assert ready.cell({}) == "Unknown"
    pp = types["PropagationPolicy"]
    assert pp.short_names == ("pp",)
    assert [c.name for c in pp.columns] == ["Name", "CONFLICT-RESOLUTION", "PRIORITY", "AGE"]
    assert pp.columns[2].cell({"spec": {"priority": 0}}) == 0
