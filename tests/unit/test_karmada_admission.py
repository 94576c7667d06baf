"""admit(): the CRD schema plus Karmada's mutating and validating webhooks, kind by kind."""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karmadad.api.karmada import KIND_MODELS, admit, openapi_schemas, unknown_fields
from karmadad.errors import Cause, Invalid

PP_ID = "propagationpolicy.karmada.io/permanent-id"
CPP_ID = "clusterpropagationpolicy.karmada.io/permanent-id"
RB_ID = "resourcebinding.karmada.io/permanent-id"
CRB_ID = "clusterresourcebinding.karmada.io/permanent-id"
WORK_ID = "work.karmada.io/permanent-id"
PP_FINALIZER = "karmada.io/propagation-policy-controller"
CPP_FINALIZER = "karmada.io/cluster-propagation-policy-controller"
RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
POLICY_DEFAULTS = {
    "priority": 0,
    "preemption": "Never",
    "schedulerName": "default-scheduler",
    "conflictResolution": "Abort",
}


def causes_of(kind: str, obj: dict, old: dict | None = None) -> list[Cause]:
    with pytest.raises(Invalid) as raised:
        admit(kind, obj, old=old)
    return list(raised.value.causes)


def only_cause(kind: str, obj: dict, old: dict | None = None) -> Cause:
    causes = causes_of(kind, obj, old)
    assert len(causes) == 1, causes
    return causes[0]


def is_uuid4(text: str) -> bool:
    return uuid.UUID(text).version == 4


def pp(spec: dict | None = None, **spec_fields: Any) -> dict:
    spec = spec or {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}]}
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "nginx-propagation", "namespace": "default"},
        "spec": {**spec, **spec_fields},
    }


def placement(**fields: Any) -> dict:
    return pp(placement=fields)


def op(rules: list[dict], **spec_fields: Any) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "OverridePolicy",
        "metadata": {"name": "nginx-op", "namespace": "default"},
        "spec": {"overrideRules": rules, **spec_fields},
    }


def overriders(**fields: Any) -> dict:
    return op([{"targetCluster": {"clusterNames": ["member1"]}, "overriders": fields}])


def cluster(spec: dict | None = None, name: str = "member1") -> dict:
    obj = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name}}
    if spec is not None:
        obj["spec"] = spec
    return obj


def rb(kind: str = "ResourceBinding") -> dict:
    meta = {"name": "nginx-deployment"}
    if kind == "ResourceBinding":
        meta["namespace"] = "default"
    return {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": kind,
        "metadata": meta,
        "spec": {
            "resource": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "namespace": "default",
                "name": "nginx",
            },
            "replicas": 2,
        },
    }


def without_ids(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    labels = obj["metadata"].get("labels", {})
    for key in (PP_ID, CPP_ID, RB_ID, CRB_ID, WORK_ID):
        labels.pop(key, None)
    if not labels:
        obj["metadata"].pop("labels", None)
    return obj


# ----------------------------------------------------------------------------- Karmada's own manifests

NGINX_PP = {
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
                        {"targetCluster": {"clusterNames": ["member2"]}, "weight": 1},
                    ]
                },
            },
        },
    },
}


def test_karmada_sample_propagation_policy_gets_only_defaults():
    out = admit("PropagationPolicy", NGINX_PP)
    expected = copy.deepcopy(NGINX_PP)
    expected["spec"]["resourceSelectors"][0]["namespace"] = "default"
    expected["spec"].update(POLICY_DEFAULTS)
    expected["metadata"]["finalizers"] = [PP_FINALIZER]
    assert without_ids(out) == expected
    assert is_uuid4(out["metadata"]["labels"][PP_ID])
    assert NGINX_PP["spec"]["resourceSelectors"][0].get("namespace") is None  # input untouched


def test_karmada_sample_cluster_propagation_policy():
    cpp = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "ClusterPropagationPolicy",
        "metadata": {"name": "example-policy"},
        "spec": {
            "resourceSelectors": [
                {
                    "apiVersion": "apiextensions.k8s.io/v1",
                    "kind": "CustomResourceDefinition",
                    "name": "guestbooks.webapp.my.domain",
                }
            ],
            "placement": {"clusterAffinity": {"clusterNames": ["member1"]}},
        },
    }
    out = admit("ClusterPropagationPolicy", cpp)
    expected = copy.deepcopy(cpp)
    expected["spec"].update(POLICY_DEFAULTS)
    expected["metadata"]["finalizers"] = [CPP_FINALIZER]
    assert without_ids(out) == expected  # no namespace is filled in for a cluster-wide policy
    assert is_uuid4(out["metadata"]["labels"][CPP_ID])


NGINX_OP = {
    "apiVersion": "policy.karmada.io/v1alpha1",
    "kind": "OverridePolicy",
    "metadata": {"name": "nginx-op", "namespace": "default"},
    "spec": {
        "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}],
        "overrideRules": [
            {
                "targetCluster": {"clusterNames": ["member2"]},
                "overriders": {
                    "labelsOverrider": [
                        {"operator": "add", "value": {"env": "skoala-dev"}},
                        {"operator": "add", "value": {"env-stat": "skoala-stage"}},
                        {"operator": "remove", "value": {"for": "for"}},
                        {"operator": "replace", "value": {"bar": "test"}},
                    ]
                },
            },
            {
                "targetCluster": {"clusterNames": ["member1"]},
                "overriders": {
                    "annotationsOverrider": [
                        {"operator": "add", "value": {"env": "skoala-stage"}},
                        {"operator": "remove", "value": {"bom": "bom"}},
                        {"operator": "replace", "value": {"emma": "sophia"}},
                    ]
                },
            },
        ],
    },
}


def test_karmada_sample_override_policies():
    out = admit("OverridePolicy", NGINX_OP)
    expected = copy.deepcopy(NGINX_OP)
    expected["spec"]["resourceSelectors"][0]["namespace"] = "default"
    expected["spec"]["overriders"] = {}  # the webhook's Go struct always has the deprecated overriders
    assert out == expected  # no labels, no finalizers for override policies

    guestbook = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "OverridePolicy",
        "metadata": {"name": "guestbook-sample", "namespace": "default"},
        "spec": {
            "resourceSelectors": [{"apiVersion": "webapp.my.domain/v1", "kind": "Guestbook"}],
            "overrideRules": [
                {
                    "targetCluster": {"clusterNames": ["member1"]},
                    "overriders": {
                        "plaintext": [
                            {"path": "/spec/size", "operator": "replace", "value": 4},
                            {
                                "path": "/metadata/annotations",
                                "operator": "add",
                                "value": {"OverridePolicy": "test"},
                            },
                        ]
                    },
                }
            ],
        },
    }
    out = admit("OverridePolicy", guestbook)
    assert out["spec"]["overrideRules"] == guestbook["spec"]["overrideRules"]


def test_documented_features_pass():
    """Examples in the style of Karmada's user guide: spread, affinity terms, failover, overriders."""
    spread = placement(
        clusterAffinity={"labelSelector": {"matchLabels": {"location": "us"}}},
        spreadConstraints=[
            {"spreadByField": "region", "maxGroups": 2, "minGroups": 2},
            {"spreadByField": "cluster", "maxGroups": 4, "minGroups": 4},
        ],
    )
    assert admit("PropagationPolicy", spread)["spec"]["placement"] == spread["spec"]["placement"]

    terms = placement(
        clusterAffinities=[
            {"affinityName": "local-clusters", "clusterNames": ["local-member1", "local-member2"]},
            {
                "affinityName": "cloud-clusters",
                "fieldSelector": {
                    "matchExpressions": [{"key": "provider", "operator": "In", "values": ["aws"]}]
                },
            },
        ],
        clusterTolerations=[
            {"key": "cluster.karmada.io/not-ready", "operator": "Exists", "effect": "NoExecute"}
        ],
    )
    assert admit("PropagationPolicy", terms)["spec"]["placement"] == terms["spec"]["placement"]

    failover = pp(
        propagateDeps=True,
        failover={
            "application": {
                "decisionConditions": {"tolerationSeconds": 120},
                "purgeMode": "Never",
                "statePreservation": {
                    "rules": [{"aliasLabelName": "app.failover/state", "jsonPath": "{ .s }"}]
                },
            }
        },
    )
    assert admit("PropagationPolicy", failover)["spec"]["failover"] == failover["spec"]["failover"]

    images = overriders(
        imageOverrider=[
            {"component": "Registry", "operator": "replace", "value": "test-repo"},
            {
                "predicate": {"path": "/spec/template/spec/containers/0/image"},
                "component": "Tag",
                "operator": "add",
                "value": "-debug",
            },
        ],
        commandOverrider=[{"containerName": "nginx", "operator": "add", "value": ["--cluster=member1"]}],
        argsOverrider=[{"containerName": "nginx", "operator": "remove", "value": ["--verbose"]}],
        fieldOverrider=[
            {
                "fieldPath": "/data/db-config.yaml",
                "yaml": [
                    {"subPath": "/db/port", "operator": "replace", "value": 5432},
                    {"subPath": "/db/debug", "operator": "remove"},
                ],
            }
        ],
    )
    assert admit("OverridePolicy", images)["spec"] == {**images["spec"], "overriders": {}}


# ----------------------------------------------------------------------------- defaulting


def test_resource_selector_namespace_defaults_to_the_policys():
    obj = pp(
        resourceSelectors=[
            {"apiVersion": "apps/v1", "kind": "Deployment"},
            {"apiVersion": "v1", "kind": "Service", "namespace": "default"},
        ]
    )
    out = admit("PropagationPolicy", obj)
    assert [s["namespace"] for s in out["spec"]["resourceSelectors"]] == ["default", "default"]


def test_spread_constraint_defaults():
    out = admit(
        "PropagationPolicy",
        placement(
            spreadConstraints=[{}, {"spreadByField": "region", "maxGroups": 2}, {"spreadByLabel": "team"}]
        ),
    )
    # A label constraint alongside field ones is allowed as long as a cluster constraint exists.
    assert out["spec"]["placement"]["spreadConstraints"] == [
        {"spreadByField": "cluster", "minGroups": 1},
        {"spreadByField": "region", "maxGroups": 2, "minGroups": 1},
        {"spreadByLabel": "team", "minGroups": 1},
    ]


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        (
            {"replicaSchedulingType": "Divided"},
            {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"},
        ),
        ({}, {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}),
        (
            {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"},
            {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"},
        ),
        ({"replicaSchedulingType": "Duplicated"}, {"replicaSchedulingType": "Duplicated"}),
    ],
)
def test_replica_scheduling_defaults(strategy, expected):
    out = admit("PropagationPolicy", placement(replicaScheduling=strategy))
    assert out["spec"]["placement"]["replicaScheduling"] == expected


def test_no_replica_scheduling_block_stays_absent():
    out = admit("PropagationPolicy", placement(clusterAffinity={"clusterNames": ["m"]}))
    assert "replicaScheduling" not in out["spec"]["placement"]


def test_failover_defaults():
    out = admit(
        "PropagationPolicy", pp(propagateDeps=True, failover={"application": {"decisionConditions": {}}})
    )
    assert out["spec"]["failover"] == {
        "application": {
            "decisionConditions": {"tolerationSeconds": 300},
            "purgeMode": "Gracefully",
            "gracePeriodSeconds": 600,
        }
    }
    out = admit("PropagationPolicy", pp(failover={"cluster": {}}))
    assert out["spec"]["failover"] == {"cluster": {"purgeMode": "Gracefully"}}


def test_explicit_values_are_kept():
    out = admit(
        "PropagationPolicy",
        pp(priority=5, preemption="Never", conflictResolution="Overwrite", schedulerName="my-scheduler"),
    )
    assert {k: out["spec"][k] for k in POLICY_DEFAULTS} == {
        "priority": 5,
        "preemption": "Never",
        "schedulerName": "my-scheduler",
        "conflictResolution": "Overwrite",
    }


def test_service_import_selector_turns_on_propagate_deps():
    obj = pp(
        resourceSelectors=[
            {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport", "name": "s"}
        ]
    )
    assert admit("PropagationPolicy", obj)["spec"]["propagateDeps"] is True


def test_unknown_fields_are_pruned_and_nulls_dropped():
    obj = pp()
    obj["spec"]["placement"] = {"clusterAfinity": {"clusterNames": ["m"]}, "clusterAffinity": None}
    obj["spec"]["bogus"] = 1
    obj["metadata"]["lables"] = {}
    out = admit("PropagationPolicy", obj)
    assert out["spec"]["placement"] == {}
    assert "bogus" not in out["spec"]
    assert "lables" not in out["metadata"]


def test_admit_never_changes_its_input():
    obj = pp(placement={"spreadConstraints": [{}], "replicaScheduling": {}})
    snapshot = copy.deepcopy(obj)
    old = admit("PropagationPolicy", obj)
    old_snapshot = copy.deepcopy(old)
    admit("PropagationPolicy", obj, old=old)
    assert obj == snapshot
    assert old == old_snapshot


# ----------------------------------------------------------------------------- propagation policy validation


@pytest.mark.parametrize(
    ("constraints", "field", "detail"),
    [
        (
            [{"spreadByField": "cluster", "spreadByLabel": "team"}],
            "spec.placement.spreadConstraints[0]",
            "spreadByLabel should not co-exist with spreadByField",
        ),
        (
            [{"spreadByField": "cluster", "minGroups": -1}],
            "spec.placement.spreadConstraints[0]",
            "minGroups lower than 0",
        ),
        (
            [{"spreadByField": "cluster", "maxGroups": -1}],
            "spec.placement.spreadConstraints[0]",
            "maxGroups lower than 0",
        ),
        (
            [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 2}],
            "spec.placement.spreadConstraints[0]",
            "maxGroups lower than minGroups is not allowed",
        ),
        (
            [{"spreadByField": "cluster"}, {"spreadByField": "cluster", "maxGroups": 3}],
            "spec.placement.spreadConstraints",
            "multiple cluster spread constraints are not allowed",
        ),
        (
            [{"spreadByField": "region", "maxGroups": 2}],
            "spec.placement.spreadConstraints",
            "the cluster spread constraint must be enabled in one of the constraints",
        ),
    ],
)
def test_spread_constraint_validation(constraints, field, detail):
    cause = only_cause("PropagationPolicy", placement(spreadConstraints=constraints))
    assert (cause.field, cause.reason) == (field, "FieldValueInvalid")
    assert cause.message.startswith("Invalid value: ")
    assert detail in cause.message


def test_spread_by_field_enum():
    cause = only_cause("PropagationPolicy", placement(spreadConstraints=[{"spreadByField": "rack"}]))
    assert cause.field == "spec.placement.spreadConstraints[0].spreadByField"
    assert cause.reason == "FieldValueNotSupported"
    assert (
        cause.message
        == 'Unsupported value: "rack": supported values: "cluster", "region", "zone", "provider"'
    )


def test_invalid_message_names_kind_group_and_object():
    with pytest.raises(Invalid) as raised:
        admit(
            "PropagationPolicy",
            placement(spreadConstraints=[{"spreadByField": "cluster", "spreadByLabel": "x"}]),
        )
    error = raised.value
    assert error.code == 422
    assert error.message.startswith('PropagationPolicy.policy.karmada.io "nginx-propagation" is invalid: ')
    assert error.status()["details"]["causes"][0]["field"] == "spec.placement.spreadConstraints[0]"


def test_every_problem_is_reported_at_once():
    obj = placement(
        clusterAffinity={"clusterNames": ["a"]},
        clusterAffinities=[{"affinityName": "x"}],
        clusterTolerations=[{"key": "k", "operator": "Gt", "value": "1"}],
    )
    obj["spec"]["resourceSelectors"].append({"apiVersion": "v1", "kind": "Service", "namespace": "other"})
    fields = {c.field for c in causes_of("PropagationPolicy", obj)}
    assert fields == {
        "spec.placement",
        "spec.placement.clusterTolerations[0].operator",
        "spec.resourceSelectors[1].namespace",
    }


def test_selector_in_another_namespace_is_rejected():
    obj = pp(resourceSelectors=[{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "kube-system"}])
    cause = only_cause("PropagationPolicy", obj)
    assert cause.field == "spec.resourceSelectors[0].namespace"
    assert cause.message == (
        'Invalid value: "kube-system": namespace of resource selector must be the same as the namespace of the policy'
    )


def test_cluster_policy_may_select_any_namespace():
    obj = pp(resourceSelectors=[{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "kube-system"}])
    obj["kind"] = "ClusterPropagationPolicy"
    del obj["metadata"]["namespace"]
    assert (
        admit("ClusterPropagationPolicy", obj)["spec"]["resourceSelectors"][0]["namespace"] == "kube-system"
    )


def test_invalid_label_selector_is_admitted_as_karmada_does():
    # Karmada's webhooks never parse label selectors: an invalid one is stored and selects nothing.
    obj = pp(
        resourceSelectors=[
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In", "values": []}]},
            }
        ]
    )
    admit("PropagationPolicy", obj)
    admit(
        "PropagationPolicy", placement(clusterAffinity={"labelSelector": {"matchLabels": {"bad key": "v"}}})
    )


def test_cluster_affinity_and_affinities_are_exclusive():
    cause = only_cause(
        "PropagationPolicy",
        placement(clusterAffinity={"clusterNames": ["a"]}, clusterAffinities=[{"affinityName": "x"}]),
    )
    assert cause.field == "spec.placement"
    assert cause.message.endswith("clusterAffinities cannot co-exist with clusterAffinity")


@pytest.mark.parametrize(
    ("name", "field", "reason"),
    [
        ("", "spec.placement.clusterAffinities[0].affinityName", "FieldValueInvalid"),
        ("a" * 33, "spec.placement.clusterAffinities[0].affinityName", "FieldValueTooLong"),
        ("not a name", "spec.placement.clusterAffinities[0]", "FieldValueInvalid"),
    ],
)
def test_affinity_name_rules(name, field, reason):
    cause = only_cause("PropagationPolicy", placement(clusterAffinities=[{"affinityName": name}]))
    assert (cause.field, cause.reason) == (field, reason)


def test_affinity_names_must_be_unique():
    obj = placement(clusterAffinities=[{"affinityName": "a", "clusterNames": ["m1"]}, {"affinityName": "a"}])
    cause = only_cause("PropagationPolicy", obj)
    assert cause.field == "spec.placement.clusterAffinities"
    assert cause.message.endswith("each affinity term in a policy must have a unique name")


def test_affinity_name_is_required():
    # The mutating webhook writes the missing name as "", which the schema's minLength then refuses.
    cause = only_cause("PropagationPolicy", placement(clusterAffinities=[{"clusterNames": ["m1"]}]))
    assert (cause.field, cause.message, cause.reason) == (
        "spec.placement.clusterAffinities[0].affinityName",
        'Invalid value: "": spec.placement.clusterAffinities[0].affinityName in body should be at least 1 '
        "chars long",
        "FieldValueInvalid",
    )


def test_overflow_affinities_need_dynamic_or_aggregated_division():
    term = {
        "affinityName": "primary",
        "clusterNames": ["m1"],
        "overflowAffinities": [{"affinityName": "spill", "clusterNames": ["m2"]}],
    }
    cause = only_cause("PropagationPolicy", placement(clusterAffinities=[term]))
    assert cause.field == "spec.placement.clusterAffinities[0].overflowAffinities"
    ok = placement(
        clusterAffinities=[term],
        replicaScheduling={"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"},
    )
    admit("PropagationPolicy", ok)
    clash = copy.deepcopy(ok)
    clash["spec"]["placement"]["clusterAffinities"][0]["overflowAffinities"][0]["affinityName"] = "primary"
    cause = only_cause("PropagationPolicy", clash)
    assert cause.field == "spec.placement.clusterAffinities[0].overflowAffinities[0].affinityName"


@pytest.mark.parametrize("operator", ["Lt", "Gt"])
def test_toleration_operators(operator):
    cause = only_cause(
        "PropagationPolicy", placement(clusterTolerations=[{"key": "k", "operator": operator}])
    )
    assert cause.field == "spec.placement.clusterTolerations[0].operator"
    assert cause.reason == "FieldValueNotSupported"
    assert cause.message == f'Unsupported value: "{operator}": supported values: "", "Exists", "Equal"'


def test_field_selector_keys_and_operators():
    bad_key = placement(
        clusterAffinity={
            "fieldSelector": {"matchExpressions": [{"key": "rack", "operator": "In", "values": ["a"]}]}
        }
    )
    cause = only_cause("PropagationPolicy", bad_key)
    assert cause.field == "spec.placement.clusterAffinity.fieldSelector"
    assert cause.message.endswith('unsupported key "rack", must be provider, region, or zone')
    bad_op = placement(
        clusterAffinity={"fieldSelector": {"matchExpressions": [{"key": "zone", "operator": "Exists"}]}}
    )
    assert only_cause("PropagationPolicy", bad_op).message.endswith(
        'unsupported operator "Exists", must be In or NotIn'
    )


def test_static_weight_must_be_positive():
    obj = placement(
        replicaScheduling={
            "replicaSchedulingType": "Divided",
            "weightPreference": {
                "staticWeightList": [{"targetCluster": {"clusterNames": ["m"]}, "weight": 0}]
            },
        }
    )
    cause = only_cause("PropagationPolicy", obj)
    assert cause.field == "spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight"
    assert cause.message == (
        "Invalid value: 0: spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight "
        "in body should be greater than or equal to 1"
    )


@pytest.mark.parametrize(
    ("spec_fields", "field", "value"),
    [
        ({"preemption": "Sometimes"}, "spec.preemption", "Sometimes"),
        ({"conflictResolution": "Merge"}, "spec.conflictResolution", "Merge"),
        ({"activationPreference": "Eager"}, "spec.activationPreference", "Eager"),
        (
            {"placement": {"replicaScheduling": {"replicaSchedulingType": "Split"}}},
            "spec.placement.replicaScheduling.replicaSchedulingType",
            "Split",
        ),
        (
            {"placement": {"replicaScheduling": {"replicaDivisionPreference": "Even"}}},
            "spec.placement.replicaScheduling.replicaDivisionPreference",
            "Even",
        ),
        (
            {"placement": {"replicaScheduling": {"weightPreference": {"dynamicWeight": "Load"}}}},
            "spec.placement.replicaScheduling.weightPreference.dynamicWeight",
            "Load",
        ),
        (
            {
                "propagateDeps": True,
                "failover": {"application": {"decisionConditions": {}, "purgeMode": "Later"}},
            },
            "spec.failover.application.purgeMode",
            "Later",
        ),
        ({"failover": {"cluster": {"purgeMode": "Never"}}}, "spec.failover.cluster.purgeMode", "Never"),
    ],
)
def test_unknown_enum_values(spec_fields, field, value):
    cause = only_cause("PropagationPolicy", pp(**spec_fields))
    assert (cause.field, cause.reason) == (field, "FieldValueNotSupported")
    assert cause.message.startswith(f'Unsupported value: "{value}": supported values: ')


def test_wrong_types_and_missing_required_fields():
    cause = only_cause("PropagationPolicy", pp(priority="high"))
    assert cause.field == "spec.priority"
    assert cause.message == 'Invalid value: "string": spec.priority in body must be of type integer: "string"'
    causes = causes_of("PropagationPolicy", pp(resourceSelectors=[]))
    assert [(c.field, c.message) for c in causes] == [
        (
            "spec.resourceSelectors",
            "Invalid value: 0: spec.resourceSelectors in body should have at least 1 items",
        )
    ]
    # The mutating webhook writes a missing apiVersion as "" before the schema is checked (see
    # test_karmada_values); a ClusterOverridePolicy has no mutating webhook, so there it is required.
    cop = op([{"overriders": {}}])
    cop["kind"] = "ClusterOverridePolicy"
    del cop["metadata"]["namespace"]
    cop["spec"]["resourceSelectors"] = [{"kind": "Deployment"}]
    causes = causes_of("ClusterOverridePolicy", cop)
    assert [(c.field, c.reason) for c in causes] == [
        ("spec.resourceSelectors[0].apiVersion", "FieldValueRequired")
    ]
    no_spec = pp()
    del no_spec["spec"]
    assert only_cause("PropagationPolicy", no_spec).field == "spec.resourceSelectors"


def test_application_failover_needs_propagate_deps():
    cause = only_cause("PropagationPolicy", pp(failover={"application": {"decisionConditions": {}}}))
    assert cause.field == "spec.propagateDeps"
    assert cause.message == "Invalid value: false: application failover is set, propagateDeps must be true"


@pytest.mark.parametrize(
    ("application", "field", "detail"),
    [
        (
            {"decisionConditions": {"tolerationSeconds": -1}},
            "decisionConditions.tolerationSeconds",
            "must be greater than or equal to 0",
        ),
        (
            {"decisionConditions": {}, "purgeMode": "Directly", "gracePeriodSeconds": 30},
            "gracePeriodSeconds",
            "only takes effect when purgeMode is gracefully",
        ),
        ({"decisionConditions": {}, "gracePeriodSeconds": 0}, "gracePeriodSeconds", "must be greater than 0"),
        (
            {
                "decisionConditions": {},
                "statePreservation": {"rules": [{"aliasLabelName": "bad label", "jsonPath": "{.a}"}]},
            },
            "statePreservation.rules[0].aliasLabelName",
            "name part must consist of alphanumeric characters",
        ),
    ],
)
def test_application_failover_rules(application, field, detail):
    cause = only_cause("PropagationPolicy", pp(propagateDeps=True, failover={"application": application}))
    assert cause.field == f"spec.failover.application.{field}"
    assert detail in cause.message


def test_application_failover_decision_conditions_come_from_the_webhook():
    # decisionConditions is a Go struct: the mutating webhook writes it, and the CRD defaults fill it in.
    out = admit("PropagationPolicy", pp(propagateDeps=True, failover={"application": {}}))
    assert out["spec"]["failover"]["application"]["decisionConditions"] == {"tolerationSeconds": 300}


def test_preemption_always_needs_named_selectors():
    obj = pp(preemption="Always", resourceSelectors=[{"apiVersion": "apps/v1", "kind": "Deployment"}])
    cause = only_cause("PropagationPolicy", obj)
    assert cause.field == "spec.resourceSelectors[0].name"
    assert "name cannot be empty if preemption is Always" in cause.message


def test_suspension_dispatching_excludes_cluster_list():
    obj = pp(suspension={"dispatching": True, "dispatchingOnClusters": {"clusterNames": ["m1"]}})
    cause = only_cause("PropagationPolicy", obj)
    assert cause.field == "spec.suspension"
    assert cause.message.endswith(
        "suspension dispatching cannot co-exist with dispatchingOnClusters.clusterNames"
    )
    admit(
        "PropagationPolicy",
        pp(suspension={"dispatching": False, "dispatchingOnClusters": {"clusterNames": ["m1"]}}),
    )


def test_workload_affinity_keys():
    obj = placement(
        workloadAffinity={"affinity": {"groupByLabelKey": "app"}, "antiAffinity": {"groupByLabelKey": "app"}}
    )
    assert only_cause("PropagationPolicy", obj).field == "spec.placement.workloadAffinity"
    obj = placement(workloadAffinity={"affinity": {"groupByLabelKey": "bad key"}})
    assert (
        only_cause("PropagationPolicy", obj).field
        == "spec.placement.workloadAffinity.affinity.groupByLabelKey"
    )


# ----------------------------------------------------------------------------- permanent ids and finalizers


def test_policy_create_gets_a_fresh_id_and_the_finalizer():
    obj = pp()
    obj["metadata"]["labels"] = {PP_ID: "copied-from-elsewhere", "team": "a"}
    obj["metadata"]["finalizers"] = ["example.com/keep"]
    out = admit("PropagationPolicy", obj)
    assert out["metadata"]["labels"]["team"] == "a"
    assert out["metadata"]["labels"][PP_ID] != "copied-from-elsewhere"  # as Karmada: ids are never copied
    assert is_uuid4(out["metadata"]["labels"][PP_ID])
    assert out["metadata"]["finalizers"] == ["example.com/keep", PP_FINALIZER]
    again = admit("PropagationPolicy", {**obj, "metadata": {**obj["metadata"], "finalizers": [PP_FINALIZER]}})
    assert again["metadata"]["finalizers"] == [PP_FINALIZER]


def test_each_create_gets_its_own_id():
    first = admit("PropagationPolicy", pp())["metadata"]["labels"][PP_ID]
    second = admit("PropagationPolicy", pp())["metadata"]["labels"][PP_ID]
    assert first != second


def test_policy_update_keeps_the_id():
    stored = admit("PropagationPolicy", pp())
    stored_id = stored["metadata"]["labels"][PP_ID]

    edited = copy.deepcopy(stored)
    edited["spec"]["priority"] = 3
    out = admit("PropagationPolicy", edited, old=stored)
    assert out["metadata"]["labels"][PP_ID] == stored_id

    dropped = copy.deepcopy(stored)
    del dropped["metadata"]["labels"]
    dropped["metadata"]["finalizers"] = []
    out = admit("PropagationPolicy", dropped, old=stored)
    assert out["metadata"]["labels"][PP_ID] == stored_id  # given back
    assert out["metadata"]["finalizers"] == []  # the finalizer is only added on create

    changed = copy.deepcopy(stored)
    changed["metadata"]["labels"][PP_ID] = str(uuid.uuid4())
    cause = only_cause("PropagationPolicy", changed, old=stored)
    assert cause.field == f"metadata.labels[{PP_ID}]"
    assert cause.message.endswith(
        f"label {PP_ID} is immutable, it can only be set by the system during creation"
    )


def test_cluster_policy_id_and_finalizer():
    cpp = pp()
    cpp["kind"] = "ClusterPropagationPolicy"
    del cpp["metadata"]["namespace"]
    stored = admit("ClusterPropagationPolicy", cpp)
    assert is_uuid4(stored["metadata"]["labels"][CPP_ID])
    assert PP_ID not in stored["metadata"]["labels"]
    assert stored["metadata"]["finalizers"] == [CPP_FINALIZER]
    out = admit("ClusterPropagationPolicy", cpp, old=stored)
    assert out["metadata"]["labels"][CPP_ID] == stored["metadata"]["labels"][CPP_ID]


def test_scheduler_name_cannot_change():
    stored = admit("PropagationPolicy", pp())
    unchanged = copy.deepcopy(stored)
    del unchanged["spec"]["schedulerName"]  # defaulted again to the same value
    admit("PropagationPolicy", unchanged, old=stored)
    changed = copy.deepcopy(stored)
    changed["spec"]["schedulerName"] = "other"
    cause = only_cause("PropagationPolicy", changed, old=stored)
    assert cause.field == "spec.schedulerName"
    assert cause.message == 'Invalid value: "other": the schedulerName should not be updated'


@pytest.mark.parametrize(("kind", "label"), [("ResourceBinding", RB_ID), ("ClusterResourceBinding", CRB_ID)])
def test_binding_ids(kind, label):
    created = admit(kind, rb(kind))
    assert is_uuid4(created["metadata"]["labels"][label])
    assert created["spec"]["conflictResolution"] == "Abort"
    assert "finalizers" not in created["metadata"]

    preset = rb(kind)
    preset["metadata"]["labels"] = {label: "given-by-the-detector"}
    assert admit(kind, preset)["metadata"]["labels"][label] == "given-by-the-detector"

    dropped = copy.deepcopy(created)
    del dropped["metadata"]["labels"]
    assert (
        admit(kind, dropped, old=created)["metadata"]["labels"][label] == created["metadata"]["labels"][label]
    )

    changed = copy.deepcopy(created)  # unlike a policy's, a binding's id may be changed by an update
    changed["metadata"]["labels"][label] = "other"
    assert admit(kind, changed, old=created)["metadata"]["labels"][label] == "other"


def test_binding_validation():
    stored = admit("ResourceBinding", rb())
    obj = copy.deepcopy(stored)
    del obj["spec"]["resource"]  # updates do not pass the mutating webhook, which writes it on create
    assert only_cause("ResourceBinding", obj, old=stored).field == "spec.resource"
    obj = rb()
    obj["metadata"]["annotations"] = {"resourcebinding.karmada.io/dependencies": "[{"}
    cause = only_cause("ResourceBinding", obj)
    assert cause.field == "metadata.annotations[resourcebinding.karmada.io/dependencies]"
    assert cause.message.endswith("annotation value must be a valid JSON")
    obj = rb()
    obj["spec"]["gracefulEvictionTasks"] = [
        {"fromCluster": "m1", "producer": "TaintManager", "reason": "not valid!"}
    ]
    assert only_cause("ResourceBinding", obj).field == "spec.gracefulEvictionTasks[0].reason"


def test_binding_placement_gets_crd_defaults():
    obj = rb()
    obj["spec"]["placement"] = {"replicaScheduling": {}}
    out = admit("ResourceBinding", obj)
    assert out["spec"]["placement"] == {"replicaScheduling": {"replicaSchedulingType": "Divided"}}


def test_status_writes_only_get_the_schema():
    stored = admit("ResourceBinding", rb())
    with_status = copy.deepcopy(stored)
    with_status["status"] = {
        "conditions": [
            {
                "type": "Scheduled",
                "status": "True",
                "reason": "Success",
                "message": "",
                "lastTransitionTime": "2024-05-01T10:00:00Z",
            }
        ],
        "schedulerObservedGeneration": 1,
    }
    out = admit("ResourceBinding", with_status, old=stored, subresource="status")
    assert out["status"] == with_status["status"]
    bad = copy.deepcopy(with_status)
    bad["status"]["conditions"][0]["status"] = "Maybe"
    del bad["status"]["conditions"][0]["reason"]
    with pytest.raises(Invalid) as raised:
        admit("ResourceBinding", bad, old=stored, subresource="status")
    assert {c.field for c in raised.value.causes} == {
        "status.conditions[0].status",
        "status.conditions[0].reason",
    }


# ----------------------------------------------------------------------------- works


def test_work_gets_an_id_and_its_manifest_is_prepared():
    work = {
        "apiVersion": "work.karmada.io/v1alpha1",
        "kind": "Work",
        "metadata": {"name": "nginx-687f7fb96f", "namespace": "karmada-es-member1"},
        "spec": {
            "workload": {
                "manifests": [
                    {
                        "apiVersion": "apps/v1",
                        "kind": "Deployment",
                        "metadata": {
                            "name": "nginx",
                            "namespace": "default",
                            "uid": "u",
                            "resourceVersion": "5",
                            "generation": 2,
                            "creationTimestamp": "2024-01-01T00:00:00Z",
                            "labels": {"app": "nginx"},
                            "annotations": {"deployment.kubernetes.io/revision": "3", "team": "a"},
                        },
                        "spec": {"replicas": 2},
                        "status": {"replicas": 2},
                    }
                ]
            }
        },
    }
    out = admit("Work", work)
    work_id = out["metadata"]["labels"][WORK_ID]
    assert is_uuid4(work_id)
    manifest = out["spec"]["workload"]["manifests"][0]
    assert manifest == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "nginx",
            "namespace": "default",
            "labels": {"app": "nginx", WORK_ID: work_id},
            "annotations": {
                "team": "a",
                "resourcetemplate.karmada.io/managed-annotations": (
                    "resourcetemplate.karmada.io/managed-annotations,resourcetemplate.karmada.io/managed-labels,team"
                ),
                "resourcetemplate.karmada.io/managed-labels": f"app,{WORK_ID}",
            },
        },
        "spec": {"replicas": 2},
    }
    # idempotent: an update of the stored Work changes nothing
    assert admit("Work", out, old=out) == out


def test_work_manifest_kind_specific_pruning():
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "ports": [{"port": 80}]},
    }
    headless = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "h"},
        "spec": {"clusterIP": "None"},
    }
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {
            "ttlSecondsAfterFinished": 10,
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "x"}},
            "template": {"metadata": {"labels": {"job-name": "j", "app": "j"}}},
        },
    }
    work = {
        "apiVersion": "work.karmada.io/v1alpha1",
        "kind": "Work",
        "metadata": {"name": "w", "namespace": "karmada-es-member1", "labels": {WORK_ID: "fixed"}},
        "spec": {"workload": {"manifests": [service, headless, job]}},
    }
    svc, head, out_job = admit("Work", work)["spec"]["workload"]["manifests"]
    assert svc["spec"] == {"ports": [{"port": 80}]}
    assert head["spec"] == {"clusterIP": "None"}
    assert out_job["spec"] == {
        "selector": {"matchLabels": {}},
        "template": {"metadata": {"labels": {"app": "j"}}},
    }
    assert out_job["metadata"]["labels"] == {WORK_ID: "fixed"}


def test_work_manifests_must_be_objects():
    work = {
        "kind": "Work",
        "metadata": {"name": "w", "namespace": "n"},
        "spec": {"workload": {"manifests": ["x"]}},
    }
    assert only_cause("Work", work).field == "spec.workload.manifests[0]"


# ----------------------------------------------------------------------------- override policy validation


def test_override_selector_namespace():
    out = admit("OverridePolicy", op([], resourceSelectors=[{"apiVersion": "apps/v1", "kind": "Deployment"}]))
    assert out["spec"]["resourceSelectors"][0]["namespace"] == "default"
    other = op([], resourceSelectors=[{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "other"}])
    assert only_cause("OverridePolicy", other).field == "spec.resourceSelectors[0].namespace"
    cop = copy.deepcopy(other)
    cop["kind"] = "ClusterOverridePolicy"
    del cop["metadata"]["namespace"]
    assert admit("ClusterOverridePolicy", cop)["spec"]["resourceSelectors"][0]["namespace"] == "other"


RULE = "spec.overrideRules[0].overriders"


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        (
            {"imageOverrider": [{"component": "Registry", "operator": "append"}]},
            f"{RULE}.imageOverrider[0].operator",
            "FieldValueNotSupported",
        ),
        (
            {"imageOverrider": [{"component": "Digest", "operator": "add"}]},
            f"{RULE}.imageOverrider[0].component",
            "FieldValueNotSupported",
        ),
        (
            {"imageOverrider": [{"operator": "add"}]},
            f"{RULE}.imageOverrider[0].component",
            "FieldValueNotSupported",  # written as "" by the mutating webhook
        ),
        (
            {
                "imageOverrider": [
                    {"component": "Tag", "operator": "add", "predicate": {"path": "spec/image"}}
                ]
            },
            f"{RULE}.imageOverrider[0].predicate.path",
            "FieldValueInvalid",
        ),
        (
            {"commandOverrider": [{"containerName": "c", "operator": "replace"}]},
            f"{RULE}.commandOverrider[0].operator",
            "FieldValueNotSupported",
        ),
        (
            {"labelsOverrider": [{"operator": "upsert", "value": {"a": "b"}}]},
            f"{RULE}.labelsOverrider[0].operator",
            "FieldValueNotSupported",
        ),
        (
            {"labelsOverrider": [{"operator": "add", "value": {"bad key": "b"}}]},
            f"{RULE}.labelsOverrider[0].value",
            "FieldValueInvalid",
        ),
        (
            {"labelsOverrider": [{"operator": "add", "value": {"k": "bad value!"}}]},
            f"{RULE}.labelsOverrider[0].value",
            "FieldValueInvalid",
        ),
        (
            {"annotationsOverrider": [{"operator": "add", "value": {"/x": "y"}}]},
            f"{RULE}.annotationsOverrider[0].value",
            "FieldValueInvalid",
        ),
        (
            {"plaintext": [{"path": "/spec/replicas", "operator": "move", "value": 1}]},
            f"{RULE}.plaintext[0].operator",
            "FieldValueNotSupported",
        ),
        ({"fieldOverrider": [{"fieldPath": "/data/a"}]}, f"{RULE}.fieldOverrider[0]", "FieldValueRequired"),
        (
            {
                "fieldOverrider": [
                    {
                        "fieldPath": "/data/a",
                        "json": [{"subPath": "/a", "operator": "remove"}],
                        "yaml": [{"subPath": "/a", "operator": "remove"}],
                    }
                ]
            },
            f"{RULE}.fieldOverrider[0]",
            "FieldValueInvalid",
        ),
        (
            {"fieldOverrider": [{"fieldPath": "data/a", "json": [{"subPath": "/a", "operator": "remove"}]}]},
            f"{RULE}.fieldOverrider[0].fieldPath",
            "FieldValueInvalid",
        ),
        (
            {"fieldOverrider": [{"fieldPath": "/data/a", "json": [{"subPath": "a", "operator": "remove"}]}]},
            f"{RULE}.fieldOverrider[0].json[0].subPath",
            "FieldValueInvalid",
        ),
        (
            {"fieldOverrider": [{"fieldPath": "/data/a", "json": [{"subPath": "/a", "operator": "add"}]}]},
            f"{RULE}.fieldOverrider[0].json[0].value",
            "FieldValueInvalid",
        ),
        (
            {
                "fieldOverrider": [
                    {"fieldPath": "/data/a", "yaml": [{"subPath": "/a", "operator": "remove", "value": 1}]}
                ]
            },
            f"{RULE}.fieldOverrider[0].yaml[0].value",
            "FieldValueInvalid",
        ),
        (
            {
                "fieldOverrider": [
                    {"fieldPath": "/data/a", "yaml": [{"subPath": "/a", "operator": "patch", "value": 1}]}
                ]
            },
            f"{RULE}.fieldOverrider[0].yaml[0].operator",
            "FieldValueNotSupported",
        ),
    ],
)
def test_overrider_rules(fields, field, reason):
    cause = only_cause("OverridePolicy", overriders(**fields))
    assert (cause.field, cause.reason) == (field, reason)


def test_plaintext_paths_are_not_checked():
    # Karmada only finds out when it applies the patch (the Work then fails); a missing path is written as "".
    admit("OverridePolicy", overriders(plaintext=[{"path": "spec", "operator": "remove"}]))
    admit("OverridePolicy", overriders(plaintext=[{"operator": "remove"}]))


def test_field_overrider_messages():
    cause = only_cause("OverridePolicy", overriders(fieldOverrider=[{"fieldPath": "/data/a"}]))
    assert cause.message == "Required value: FieldOverrider must have either JSON or YAML set"
    add = overriders(
        fieldOverrider=[{"fieldPath": "/data/a", "json": [{"subPath": "/a", "operator": "add"}]}]
    )
    assert (
        only_cause("OverridePolicy", add).message
        == "Invalid value: null: value is required for add or replace operation"
    )


def test_deprecated_fields_and_rules_do_not_mix():
    obj = op(
        [{"overriders": {"plaintext": [{"path": "/a", "operator": "remove"}]}}],
        targetCluster={"clusterNames": ["m1"]},
        overriders={"plaintext": [{"path": "/b", "operator": "remove"}]},
    )
    fields = {c.field for c in causes_of("OverridePolicy", obj)}
    assert fields == {"spec.targetCluster", "spec.overriders"}
    legacy = op([])
    del legacy["spec"]["overrideRules"]
    legacy["spec"]["targetCluster"] = {"clusterNames": ["m1"]}
    legacy["spec"]["overriders"] = {"plaintext": [{"path": "/b", "operator": "remove"}]}
    assert admit("OverridePolicy", legacy)["spec"]["overriders"] == legacy["spec"]["overriders"]


def test_override_rule_needs_overriders_and_valid_target():
    # OverridePolicy's mutating webhook writes the missing overriders struct; ClusterOverridePolicy has none.
    assert (
        admit("OverridePolicy", op([{"targetCluster": {}}]))["spec"]["overrideRules"][0]["overriders"] == {}
    )
    cop = op([{"targetCluster": {}}])
    cop["kind"] = "ClusterOverridePolicy"
    del cop["metadata"]["namespace"]
    assert only_cause("ClusterOverridePolicy", cop).field == "spec.overrideRules[0].overriders"
    obj = op(
        [
            {
                "targetCluster": {"fieldSelector": {"matchExpressions": [{"key": "rack", "operator": "In"}]}},
                "overriders": {},
            }
        ]
    )
    assert only_cause("OverridePolicy", obj).field == "spec.overrideRules[0].targetCluster.fieldSelector"


# ----------------------------------------------------------------------------- clusters


def test_cluster_defaults():
    out = admit("Cluster", cluster())
    assert out["spec"]["syncMode"] == "Push"
    models = out["spec"]["resourceModels"]
    assert [m["grade"] for m in models] == list(range(9))
    assert models[0]["ranges"] == [
        {"name": "cpu", "min": "0", "max": "1"},
        {"name": "memory", "min": "0", "max": "4Gi"},
    ]
    assert models[-1]["ranges"][1] == {"name": "memory", "min": "1Ti", "max": "9223372036854775807"}
    # an update does not bring the default models back
    edited = copy.deepcopy(out)
    del edited["spec"]["resourceModels"]
    assert "resourceModels" not in admit("Cluster", edited, old=out)["spec"]


def test_karmadactl_join_cluster_passes():
    obj = cluster(
        {
            "apiEndpoint": "https://172.18.0.3:6443",
            "id": "2a4a4ef8-0c2b-4b43-b0ef-4b1e7c3b7a5e",
            "impersonatorSecretRef": {"name": "member1-impersonator", "namespace": "karmada-cluster"},
            "secretRef": {"name": "member1", "namespace": "karmada-cluster"},
            "syncMode": "Pull",
            "provider": "aws",
            "region": "us-east-1",
            "zones": ["us-east-1a"],
            "taints": [{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}],
        }
    )
    out = admit("Cluster", obj)
    assert {k: v for k, v in out["spec"].items() if k != "resourceModels"} == obj["spec"]


def test_cluster_zone_migrates_and_taints_get_time_added():
    out = admit(
        "Cluster",
        cluster(
            {
                "zone": "z1",
                "taints": [
                    {"key": "a", "effect": "NoExecute"},
                    {"key": "b", "effect": "NoSchedule"},
                    {"key": "c", "effect": "NoExecute", "timeAdded": "2024-01-01T00:00:00Z"},
                ],
            }
        ),
    )
    assert out["spec"]["zones"] == ["z1"]
    assert "zone" not in out["spec"]
    taints = out["spec"]["taints"]
    assert RFC3339.fullmatch(taints[0]["timeAdded"])
    assert "timeAdded" not in taints[1]
    assert taints[2]["timeAdded"] == "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("obj", "field", "reason"),
    [
        (cluster({"syncMode": "Sideways"}), "spec.syncMode", "FieldValueNotSupported"),
        (cluster(name="a" * 49), "metadata.name", "FieldValueInvalid"),
        (cluster(name="Member_1"), "metadata.name", "FieldValueInvalid"),
        (cluster({"zone": "z1", "zones": ["z2"]}), "spec.zone", "FieldValueInvalid"),
        (cluster({"zones": ["bad zone"]}), "spec.zones[0]", "FieldValueInvalid"),
        (cluster({"region": "-x"}), "spec.region", "FieldValueInvalid"),
        (
            cluster({"taints": [{"key": "k", "effect": "PreferNoSchedule"}]}),
            "spec.taints[0].effect",
            "FieldValueNotSupported",
        ),
        (cluster({"taints": [{"key": "k"}]}), "spec.taints[0].effect", "FieldValueRequired"),
        (
            cluster({"taints": [{"key": "bad key", "effect": "NoSchedule"}]}),
            "spec.taints[0].key",
            "FieldValueInvalid",
        ),
        (
            cluster(
                {
                    "taints": [
                        {"key": "k", "effect": "NoSchedule"},
                        {"key": "k", "value": "v", "effect": "NoSchedule"},
                    ]
                }
            ),
            "spec.taints[1]",
            "FieldValueDuplicate",
        ),
        (cluster({"apiEndpoint": "https://"}), "spec.apiEndpoint", "FieldValueInvalid"),
        (cluster({"apiEndpoint": "https://user:pw@host:6443"}), "spec.apiEndpoint", "FieldValueInvalid"),
        (cluster({"proxyURL": "ftp://proxy:21"}), "spec.proxyURL", "FieldValueInvalid"),
        (
            cluster({"secretRef": {"namespace": "karmada-cluster", "name": ""}}),
            "spec.secretRef.name",
            "FieldValueRequired",
        ),
        (
            cluster(
                {
                    "resourceModels": [
                        {"grade": 0, "ranges": [{"name": "cpu", "min": "0", "max": "2"}]},
                        {"grade": 1, "ranges": [{"name": "cpu", "min": "1", "max": "4"}]},
                    ]
                }
            ),
            "spec.resourceModels",
            "FieldValueInvalid",
        ),
    ],
)
def test_cluster_validation(obj, field, reason):
    cause = only_cause("Cluster", obj)
    assert (cause.field, cause.reason) == (field, reason)


def test_cluster_name_messages():
    assert only_cause("Cluster", cluster(name="a" * 49)).message.endswith(
        "must be no more than 48 characters"
    )
    message = only_cause("Cluster", cluster(name="Member_1")).message
    assert message.startswith('Invalid value: "Member_1": a lowercase RFC 1123 label must consist of')


def test_cluster_resource_models_are_standardized():
    models = [
        {"grade": 1, "ranges": [{"name": "cpu", "min": "2", "max": "8"}]},
        {"grade": 0, "ranges": [{"name": "cpu", "min": "1", "max": "2"}]},
    ]
    out = admit("Cluster", cluster({"resourceModels": models}))
    assert out["spec"]["resourceModels"] == [
        {"grade": 0, "ranges": [{"name": "cpu", "min": "0", "max": "2"}]},
        {"grade": 1, "ranges": [{"name": "cpu", "min": "2", "max": "9223372036854775807"}]},
    ]


def test_not_a_karmada_kind():
    with pytest.raises(KeyError):
        admit("Deployment", {"kind": "Deployment"})


# ----------------------------------------------------------------------------- robustness


def _field_names() -> list[str]:
    names: set[str] = set()
    for schema in openapi_schemas().values():
        names.update(schema.get("properties", {}))
    return sorted(names)


_WORDS = st.sampled_from(
    [
        "cluster",
        "region",
        "Divided",
        "Duplicated",
        "Aggregated",
        "Always",
        "add",
        "remove",
        "/a",
        "a",
        "In",
        "",
        "NoExecute",
    ]
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | _WORDS,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(_field_names()), children, max_size=4)
    ),
    max_leaves=12,
)
_NAMESPACED = {"PropagationPolicy", "OverridePolicy", "ResourceBinding", "Work"}


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(sorted(KIND_MODELS)), spec=_JSON, status=_JSON)
def test_admit_accepts_or_rejects_but_never_crashes(kind, spec, status):
    meta = {"name": "x", "namespace": "default"} if kind in _NAMESPACED else {"name": "x"}
    obj = {"kind": kind, "metadata": meta, "spec": spec, "status": status}
    try:
        out = admit(kind, obj)
    except Invalid as error:
        assert error.causes
        return
    assert unknown_fields(kind, out) == []
    assert admit(kind, out, old=out) == out


@pytest.mark.parametrize(
    ("mode", "grace"), [("Graciously", 600), ("Gracefully", 600), ("Immediately", None), ("Directly", None)]
)
def test_every_purge_mode_of_karmada_v1_18_is_accepted_as_sent(mode, grace):
    """Immediately and Graciously are deprecated names Karmada still accepts (and defaults like their successors)."""
    policy = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
            "propagateDeps": True,
            "failover": {"application": {"decisionConditions": {"tolerationSeconds": 30}, "purgeMode": mode}},
        },
    }
    out = admit("PropagationPolicy", policy)
    application = out["spec"]["failover"]["application"]
    assert application["purgeMode"] == mode
    assert application.get("gracePeriodSeconds") == grace
