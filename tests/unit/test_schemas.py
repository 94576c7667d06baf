"""The built-in Kubernetes schemas: lookup by kind, the OpenAPI v3 form, and the navigator."""

from __future__ import annotations

import json
from typing import Any

import pytest

from karmadad.api import schemas
from karmadad.api.schemas import SchemaNode

DEPLOYMENT = "io.k8s.api.apps.v1.Deployment"


def _walk(value: Any):
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def test_the_release_is_the_one_the_member_clusters_run() -> None:
    assert schemas.schema_release() == schemas.PREFERRED_RELEASE


@pytest.mark.parametrize(
    ("api_version", "kind", "name"),
    [
        ("apps/v1", "Deployment", DEPLOYMENT),
        ("v1", "Pod", "io.k8s.api.core.v1.Pod"),
        ("v1", "ConfigMap", "io.k8s.api.core.v1.ConfigMap"),
        ("batch/v1", "Job", "io.k8s.api.batch.v1.Job"),
        ("networking.k8s.io/v1", "Ingress", "io.k8s.api.networking.v1.Ingress"),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", "io.k8s.api.rbac.v1.ClusterRole"),
    ],
)
def test_built_in_kinds_are_found_by_group_version_kind(api_version: str, kind: str, name: str) -> None:
    assert schemas.definition_name(api_version, kind) == name
    definition = schemas.definition_for(api_version, kind)
    assert definition is not None
    group, version = schemas.split_api_version(api_version)
    assert {"group": group, "version": version, "kind": kind} in definition["x-kubernetes-group-version-kind"]
    assert schemas.group_version_kinds()[(group, version, kind)] == name


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("policy.karmada.io/v1alpha1", "PropagationPolicy"),
        ("work.karmada.io/v1alpha1", "ResourceBinding"),
        ("example.com/v1", "Widget"),
        ("apps/v1", "Widget"),
        ("apps/v2", "Deployment"),
    ],
)
def test_other_kinds_have_no_schema(api_version: str, kind: str) -> None:
    assert schemas.definition_for(api_version, kind) is None
    assert schemas.definition_name(api_version, kind) is None
    assert schemas.node_for(api_version, kind) is None


def test_split_api_version() -> None:
    assert schemas.split_api_version("apps/v1") == ("apps", "v1")
    assert schemas.split_api_version("v1") == ("", "v1")
    assert schemas.split_api_version("policy.karmada.io/v1alpha1") == ("policy.karmada.io", "v1alpha1")


# -- navigation -----------------------------------------------------------------------------------


def _pod_spec() -> SchemaNode:
    node = schemas.node_for("apps/v1", "Deployment")
    assert node is not None
    spec = node.field("spec")
    assert spec is not None
    template = spec.field("template")
    assert template is not None
    pod_spec = template.field("spec")
    assert pod_spec is not None
    return pod_spec


def test_keyed_lists_carry_their_merge_key_and_list_keys() -> None:
    containers = _pod_spec().field("containers")
    assert containers is not None
    assert containers.is_list
    assert containers.patch_merge_key == "name"
    assert containers.patch_strategies == {"merge"}
    assert containers.list_type == "map"
    assert containers.list_map_keys == ("name",)
    container = containers.items()
    assert container is not None and container.name == "io.k8s.api.core.v1.Container"
    ports = container.field("ports")
    assert ports is not None
    assert ports.patch_merge_key == "containerPort"
    assert ports.list_map_keys == ("containerPort", "protocol")
    mounts = container.field("volumeMounts")
    assert mounts is not None and mounts.patch_merge_key == "mountPath"
    env = container.field("env")
    assert env is not None and env.patch_merge_key == "name"


def test_several_strategies_are_split() -> None:
    volumes = _pod_spec().field("volumes")
    assert volumes is not None
    assert volumes.patch_strategies == {"merge", "retainKeys"}


def test_extensions_beside_a_reference_are_kept() -> None:
    node = schemas.node_for("apps/v1", "Deployment")
    assert node is not None
    strategy = node.field("spec").field("strategy")  # type: ignore[union-attr]
    assert strategy is not None
    assert strategy.name == "io.k8s.api.apps.v1.DeploymentStrategy"
    assert strategy.patch_strategies == {"retainKeys"}
    assert strategy.is_struct
    assert strategy.field("rollingUpdate") is not None


def test_atomic_lists_sets_and_maps() -> None:
    pod_spec = _pod_spec()
    tolerations = pod_spec.field("tolerations")
    assert tolerations is not None
    assert tolerations.list_type == "atomic"
    assert tolerations.patch_strategies == set()
    assert tolerations.patch_merge_key is None
    node_selector = pod_spec.field("nodeSelector")
    assert node_selector is not None and node_selector.map_type == "atomic" and node_selector.is_map
    meta = schemas.node_for("v1", "Pod").field("metadata")  # type: ignore[union-attr]
    assert meta is not None
    finalizers = meta.field("finalizers")
    assert finalizers is not None
    assert finalizers.list_type == "set"
    assert finalizers.patch_strategies == {"merge"}
    assert finalizers.patch_merge_key is None
    selector = schemas.node_for("apps/v1", "Deployment").field("spec").field("selector")  # type: ignore[union-attr]
    assert selector is not None and selector.is_atomic_object


def test_maps_and_their_values() -> None:
    meta = schemas.node_for("v1", "ConfigMap").field("metadata")  # type: ignore[union-attr]
    assert meta is not None
    labels = meta.field("labels")
    assert labels is not None
    assert labels.is_map and not labels.is_struct
    values = labels.map_values()
    assert values is not None and values.types == {"string"}
    # any key of a map has the value schema
    assert labels.field("app.kubernetes.io/name") is not None
    data = schemas.node_for("v1", "ConfigMap").field("data")  # type: ignore[union-attr]
    assert data is not None and data.is_map


def test_unknown_fields_and_wrong_questions_give_none() -> None:
    node = schemas.node_for("apps/v1", "Deployment")
    assert node is not None
    assert node.field("nonsense") is None
    assert node.items() is None
    assert node.map_values() is None
    assert not node.is_map
    replicas = node.field("spec").field("replicas")  # type: ignore[union-attr]
    assert replicas is not None
    assert replicas.types == {"integer"}
    assert replicas.field("x") is None
    assert replicas.list_type is None
    assert replicas.list_map_keys == ()


def test_a_property_named_ref_is_not_a_reference() -> None:
    props = schemas.node_for(
        "apiextensions.k8s.io/v1", "CustomResourceDefinition"
    )  # the openAPIV3Schema type has a "$ref" property
    assert props is not None
    name = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"
    node = SchemaNode({"$ref": f"#/$defs/{name}"})
    ref = node.field("$ref")
    assert ref is not None and ref.types == {"string"}


def test_inline_schemas_need_no_definitions() -> None:
    node = SchemaNode(
        {
            "type": "object",
            "properties": {
                "items": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["id"],
                    "items": {"type": "object", "properties": {"id": {"type": "integer"}}},
                }
            },
        }
    )
    items = node.field("items")
    assert items is not None and items.list_map_keys == ("id",)
    item = items.items()
    assert item is not None and item.field("id") is not None
    assert repr(node) == "SchemaNode(inline)"


def test_openapi_v3_component_references_resolve_too() -> None:
    node = SchemaNode({"allOf": [{"$ref": "#/components/schemas/io.k8s.api.core.v1.PodSpec"}]})
    assert node.name == "io.k8s.api.core.v1.PodSpec"
    assert node.field("containers") is not None


# -- OpenAPI v3 form ------------------------------------------------------------------------------


def test_definitions_are_rewritten_for_openapi_v3() -> None:
    defs = schemas.definitions()
    assert DEPLOYMENT in defs
    assert len(defs) > 500
    for definition in defs.values():
        for node in _walk(definition):
            ref = node.get("$ref")
            if isinstance(ref, str):
                assert ref.startswith("#/components/schemas/")
                assert ref.removeprefix("#/components/schemas/") in defs
                assert set(node) == {"$ref"}
            assert not isinstance(node.get("type"), list)
    assert schemas.definitions() is defs


def test_references_with_siblings_are_wrapped_in_all_of() -> None:
    spec = schemas.definitions()["io.k8s.api.apps.v1.DeploymentSpec"]
    strategy = spec["properties"]["strategy"]
    assert strategy["allOf"] == [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentStrategy"}]
    assert strategy["x-kubernetes-patch-strategy"] == "retainKeys"
    containers = schemas.definitions()["io.k8s.api.core.v1.PodSpec"]["properties"]["containers"]
    assert containers["items"] == {"$ref": "#/components/schemas/io.k8s.api.core.v1.Container"}
    assert containers["type"] == "array"
    assert containers["x-kubernetes-patch-merge-key"] == "name"


def test_kind_and_api_version_are_not_pinned() -> None:
    deployment = schemas.definitions()[DEPLOYMENT]
    assert deployment["properties"]["kind"] == {
        "description": deployment["properties"]["kind"]["description"],
        "type": "string",
    }
    assert "enum" not in deployment["properties"]["apiVersion"]
    assert deployment["x-kubernetes-group-version-kind"] == [
        {"group": "apps", "kind": "Deployment", "version": "v1"}
    ]


def test_int_or_string_stays_one_of() -> None:
    int_or_string = schemas.definitions()["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]
    assert int_or_string["oneOf"] == [{"type": "string"}, {"type": "integer"}]


def test_schemas_for_takes_the_transitive_references() -> None:
    found = schemas.schemas_for([DEPLOYMENT, "no.such.Definition"])
    assert DEPLOYMENT in found
    assert "no.such.Definition" not in found
    for name in (
        "io.k8s.api.apps.v1.DeploymentSpec",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "io.k8s.api.core.v1.PodSpec",
        "io.k8s.api.core.v1.Container",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry",
    ):
        assert name in found
    assert "io.k8s.api.batch.v1.Job" not in found
    for definition in found.values():
        for node in _walk(definition):
            ref = node.get("$ref")
            if isinstance(ref, str):
                assert ref.removeprefix("#/components/schemas/") in found
    assert found[DEPLOYMENT] is schemas.definitions()[DEPLOYMENT]
    assert schemas.schemas_for([]) == {}


def test_the_bundled_schema_is_left_untouched() -> None:
    raw = schemas.definition_for("apps/v1", "Deployment")
    assert raw is not None
    before = json.dumps(raw, sort_keys=True)
    schemas.definitions()
    schemas.schemas_for([DEPLOYMENT])
    assert json.dumps(raw, sort_keys=True) == before
    assert raw["properties"]["spec"] == {
        "$ref": "#/$defs/io.k8s.api.apps.v1.DeploymentSpec",
        "description": raw["properties"]["spec"]["description"],
    }


def test_the_newest_release_is_used_when_the_preferred_one_is_missing() -> None:
    preferred = f"{schemas.PREFERRED_RELEASE}-local"
    assert schemas._pick_release(["v1.9.0-local", preferred, "v1.40.1-local"]) == preferred
    assert schemas._pick_release(["v1.9.0-local", "v1.10.2-local", "v1.10.10-local"]) == "v1.10.10-local"
    with pytest.raises(RuntimeError):
        schemas._pick_release([])
