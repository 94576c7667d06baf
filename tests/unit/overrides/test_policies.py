"""Which policies and rules reach a manifest on a cluster, in what order, and the Work annotations."""

from __future__ import annotations

import copy
import json

import pytest

from karmadad.api.karmada.names import APPLIED_CLUSTER_OVERRIDES, APPLIED_OVERRIDES
from karmadad.overrides import OverrideError, applicable_policies, apply_overrides
from karmadad.scheduler.snapshot import snapshot

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "test", "namespace": "default", "labels": {"app": "web"}},
    "spec": {
        "replicas": 1,
        "template": {"spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}},
    },
}
CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "reader"},
}
KIND = {"apiVersion": "apps/v1", "kind": "Deployment"}


def cluster(name: str, labels: dict | None = None, **spec):
    return snapshot({"metadata": {"name": name, "labels": labels or {}}, "spec": spec})


MEMBER1, MEMBER2 = cluster("member1"), cluster("member2")


def policy(
    name: str, *rules: dict, selectors: list | None = None, namespace: str = "default", **spec
) -> dict:
    """An OverridePolicy (a ClusterOverridePolicy when ``namespace`` is empty)."""
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    body: dict = {**spec}
    if selectors is not None:
        body["resourceSelectors"] = selectors
    if rules:
        body["overrideRules"] = list(rules)
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "OverridePolicy" if namespace else "ClusterOverridePolicy",
        "metadata": meta,
        "spec": body,
    }


def rule(overriders: dict, target: dict | None = None) -> dict:
    return {"overriders": overriders, **({"targetCluster": target} if target is not None else {})}


def set_label(value: str, key: str = "order") -> dict:
    return {"labelsOverrider": [{"operator": "add", "value": {key: value}}]}


def trail(value: str) -> dict:
    """A rule that appends ``value`` to the ``trail`` annotation, recording the order rules ran in."""
    return {"plaintext": [{"path": "/metadata/annotations/trail", "operator": "add", "value": value}]}


def with_trail(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    obj["metadata"]["annotations"] = {}
    return obj


def names(policies: list[dict]) -> list[str]:
    return [p["metadata"]["name"] for p in policies]


# --- matching and ordering ----------------------------------------------------------------------


def test_karmadas_matching_vectors():
    """Karmada's getOverridersFromOverridePolicies cases: the name-selecting policy applies after the
    select-everything one, and its rules apply in order where their clusters match."""
    by_name = policy(
        "overridePolicy1",
        rule(set_label("1"), {"clusterNames": ["member1", "member2"]}),
        rule(set_label("2"), {"clusterNames": ["member2"]}),
        selectors=[{**KIND, "name": "test"}],
    )
    everything = policy("overridePolicy2", rule(set_label("3"), {"clusterNames": ["member1", "member2"]}))
    empty_selectors = policy(
        "overridePolicy3", rule(set_label("3"), {"clusterNames": ["member1"]}), selectors=[]
    )
    legacy = policy(
        "oldOverridePolicy",
        namespace="",
        targetCluster={"clusterNames": ["member1"]},
        overriders=set_label("old"),
    )

    for target, expected in ((MEMBER1, "1"), (MEMBER2, "2")):
        result, applied = apply_overrides(DEPLOYMENT, target, [], [by_name, everything])
        assert result["metadata"]["labels"]["order"] == expected
        entries = json.loads(applied[APPLIED_OVERRIDES])
        rule_values = [e["overriders"]["labelsOverrider"][0]["value"]["order"] for e in entries]
        assert rule_values == (["1", "3"] if target is MEMBER1 else ["1", "2", "3"])  # sorted by policy name
    assert names(applicable_policies(DEPLOYMENT, MEMBER2, [], [empty_selectors])) == []
    assert names(applicable_policies(DEPLOYMENT, MEMBER1, [], [empty_selectors])) == ["overridePolicy3"]
    result, applied = apply_overrides(DEPLOYMENT, MEMBER1, [legacy], [])
    assert result["metadata"]["labels"]["order"] == "old"
    assert list(applied) == [APPLIED_CLUSTER_OVERRIDES]
    assert apply_overrides(DEPLOYMENT, MEMBER2, [legacy], []) == (DEPLOYMENT, {})


def test_cluster_policies_apply_before_namespaced_ones_and_the_last_wins():
    cops = [policy("z-cop", rule(set_label("cop")), namespace="")]
    ops = [policy("a-op", rule(set_label("op")))]
    result, _ = apply_overrides(DEPLOYMENT, MEMBER1, cops, ops)
    assert result["metadata"]["labels"]["order"] == "op"
    assert names(applicable_policies(DEPLOYMENT, MEMBER1, cops, ops)) == ["z-cop", "a-op"]


def test_within_a_group_implicit_priority_then_name():
    ops = [
        policy("a-name", rule(trail("name")), selectors=[{**KIND, "name": "test"}]),
        policy(
            "b-labels",
            rule(trail("labels")),
            selectors=[{**KIND, "labelSelector": {"matchLabels": {"app": "web"}}}],
        ),
        policy("c-kind", rule(trail("kind")), selectors=[KIND]),
        policy("d-all", rule(trail("all"))),
        policy("b-all", rule(trail("all-b"))),
        policy(
            "e-best-of-two",
            rule(trail("best")),
            selectors=[KIND, {**KIND, "name": "test"}, {**KIND, "name": "other"}],
        ),
    ]
    expected = ["b-all", "c-kind", "d-all", "b-labels", "a-name", "e-best-of-two"]
    assert names(applicable_policies(DEPLOYMENT, MEMBER1, [], ops)) == expected
    # a patch "add" replaces the member, so what is left is the trail value of the last policy applied
    result, _ = apply_overrides(with_trail(DEPLOYMENT), MEMBER1, [], list(reversed(ops)))
    assert result["metadata"]["annotations"]["trail"] == "best"


def test_order_is_observable_through_a_growing_list():
    def push(value: str) -> dict:
        return {"plaintext": [{"path": "/spec/order/-", "operator": "add", "value": value}]}

    obj = copy.deepcopy(DEPLOYMENT)
    obj["spec"]["order"] = []
    cops = [policy("b", rule(push("cop-b")), namespace=""), policy("a", rule(push("cop-a")), namespace="")]
    ops = [
        policy("y", rule(push("op-y-1")), rule(push("op-y-2")), selectors=[{**KIND, "name": "test"}]),
        policy("x", rule(push("op-x"))),
        policy("w", rule(push("op-w")), selectors=[KIND]),
    ]
    result, _ = apply_overrides(obj, MEMBER1, cops, ops)
    assert result["spec"]["order"] == ["cop-a", "cop-b", "op-w", "op-x", "op-y-1", "op-y-2"]


def test_unmatched_deleting_and_foreign_namespace_policies_are_skipped():
    ops = [
        policy("other-kind", rule(set_label("x")), selectors=[{"apiVersion": "v1", "kind": "ConfigMap"}]),
        policy("other-name", rule(set_label("x")), selectors=[{**KIND, "name": "nope"}]),
        policy("other-ns-selector", rule(set_label("x")), selectors=[{**KIND, "namespace": "prod"}]),
        policy(
            "other-labels",
            rule(set_label("x")),
            selectors=[{**KIND, "labelSelector": {"matchLabels": {"app": "db"}}}],
        ),
        policy("elsewhere", rule(set_label("x")), namespace="prod"),
    ]
    deleting = policy("deleting", rule(set_label("x")))
    deleting["metadata"]["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    assert applicable_policies(DEPLOYMENT, MEMBER1, [], [*ops, deleting]) == []
    assert apply_overrides(DEPLOYMENT, MEMBER1, [], [*ops, deleting]) == (DEPLOYMENT, {})


def test_cluster_scoped_objects_only_get_cluster_policies():
    op = policy("op", rule(set_label("op")))
    cop = policy("cop", rule(set_label("cop")), namespace="")
    result, applied = apply_overrides(CLUSTER_ROLE, MEMBER1, [cop], [op])
    assert result["metadata"]["labels"] == {"order": "cop"}
    assert list(applied) == [APPLIED_CLUSTER_OVERRIDES]
    assert names(applicable_policies(CLUSTER_ROLE, MEMBER1, [cop], [op])) == ["cop"]


def test_namespaced_policies_match_what_the_cluster_policies_left():
    cop = policy("cop", rule(set_label("db", key="app")), namespace="")
    op = policy(
        "op",
        rule(set_label("matched")),
        selectors=[{**KIND, "labelSelector": {"matchLabels": {"app": "db"}}}],
    )
    result, applied = apply_overrides(DEPLOYMENT, MEMBER1, [cop], [op])
    assert result["metadata"]["labels"] == {"app": "db", "order": "matched"}
    assert set(applied) == {APPLIED_CLUSTER_OVERRIDES, APPLIED_OVERRIDES}
    assert names(applicable_policies(DEPLOYMENT, MEMBER1, [cop], [op])) == ["cop"]  # the template alone


def test_input_manifest_is_untouched():
    before = copy.deepcopy(DEPLOYMENT)
    ops = [
        policy(
            "op",
            rule(
                {
                    **set_label("x"),
                    "imageOverrider": [{"component": "Registry", "operator": "add", "value": "r.io"}],
                }
            ),
        )
    ]
    result, _ = apply_overrides(DEPLOYMENT, MEMBER1, [], ops)
    assert DEPLOYMENT == before
    assert result["spec"]["template"]["spec"]["containers"][0]["image"] == "r.io/nginx:1.27"


# --- rule targeting -----------------------------------------------------------------------------

PROD_EU = cluster("member1", {"env": "prod"}, provider="aws", region="eu-west-1", zones=["eu-west-1a"])
DEV_US = cluster("member2", {"env": "dev"}, provider="gcp", region="us-east1", zones=["us-east1-b"])


@pytest.mark.parametrize(
    ("target", "hits"),
    [
        (None, {"member1", "member2"}),
        ({}, {"member1", "member2"}),
        ({"labelSelector": {"matchLabels": {"env": "prod"}}}, {"member1"}),
        (
            {
                "labelSelector": {
                    "matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["prod"]}]
                }
            },
            {"member2"},
        ),
        (
            {
                "fieldSelector": {
                    "matchExpressions": [{"key": "provider", "operator": "In", "values": ["gcp"]}]
                }
            },
            {"member2"},
        ),
        (
            {
                "fieldSelector": {
                    "matchExpressions": [{"key": "region", "operator": "NotIn", "values": ["us-east1"]}]
                }
            },
            {"member1"},
        ),
        (
            {
                "fieldSelector": {
                    "matchExpressions": [{"key": "zone", "operator": "In", "values": ["eu-west-1a"]}]
                }
            },
            {"member1"},
        ),
        ({"clusterNames": ["member2"]}, {"member2"}),
        ({"exclude": ["member1"]}, {"member2"}),
        ({"clusterNames": ["member1", "member2"], "exclude": ["member1"]}, {"member2"}),
        ({"labelSelector": {"matchLabels": {"env": "prod"}}, "clusterNames": ["member2"]}, set()),
        ({"labelSelector": {"matchExpressions": [{"key": "env", "operator": "Bogus"}]}}, set()),
    ],
)
def test_rule_targeting(target, hits):
    ops = [policy("op", rule(set_label("hit"), target))]
    for member in (PROD_EU, DEV_US):
        result, applied = apply_overrides(DEPLOYMENT, member, [], ops)
        assert (result["metadata"]["labels"].get("order") == "hit") == (member.name in hits)
        assert (APPLIED_OVERRIDES in applied) == (member.name in hits)
        assert bool(applicable_policies(DEPLOYMENT, member, [], ops)) == (member.name in hits)


def test_legacy_fields_are_ignored_when_rules_exist():
    op = policy(
        "op",
        rule(set_label("rule")),
        targetCluster={"clusterNames": ["nowhere"]},
        overriders=set_label("legacy"),
    )
    result, _ = apply_overrides(DEPLOYMENT, MEMBER1, [], [op])
    assert result["metadata"]["labels"]["order"] == "rule"


# --- the annotations ----------------------------------------------------------------------------


def test_annotation_values_are_byte_exact():
    cop_overriders = {
        "imageOverrider": [
            {"component": "Registry", "operator": "replace", "value": "r.io"},
            {
                "predicate": {"path": "/spec/template/spec/containers/0/image"},
                "component": "Tag",
                "operator": "remove",
            },
        ],
        "unknownField": "dropped",
    }
    op_overriders = {
        "fieldOverrider": [
            {
                "fieldPath": "/metadata/annotations/cfg",
                "json": [{"subPath": "/a", "operator": "add", "value": {"z": 1, "a": "<&>"}}],
            }
        ],
        "annotationsOverrider": [{"operator": "add", "value": {"cfg": "{}", "b": "2"}}],
        "labelsOverrider": [{"operator": "remove", "value": {"gone": ""}}],
        "argsOverrider": [{"containerName": "nginx", "operator": "add", "value": ["-v"]}],
        "commandOverrider": [{"containerName": "nginx", "operator": "remove"}],
        "plaintext": [
            {"path": "/spec/replicas", "operator": "replace", "value": 3.0},
            {"path": "/spec/paused", "operator": "remove"},
        ],
    }
    obj = copy.deepcopy(DEPLOYMENT)
    obj["spec"]["paused"] = False
    cops = [policy("cop", rule(cop_overriders), namespace="")]
    ops = [
        policy("op-b", rule(op_overriders)),
        policy("op-a", rule({}), rule(set_label("x"), {"clusterNames": ["member1"]})),
    ]
    result, applied = apply_overrides(obj, MEMBER1, cops, ops)
    assert result["spec"]["template"]["spec"]["containers"][0] == {
        "name": "nginx",
        "image": "r.io/nginx",
        "args": ["-v"],
        "command": [],
    }
    assert result["metadata"]["annotations"] == {"cfg": '{"a":{"z":1,"a":"\\u003c\\u0026\\u003e"}}', "b": "2"}
    assert applied == {
        APPLIED_CLUSTER_OVERRIDES: '[{"policyName":"cop","overriders":{"imageOverrider":['
        '{"component":"Registry","operator":"replace","value":"r.io"},'
        '{"predicate":{"path":"/spec/template/spec/containers/0/image"},"component":"Tag","operator":"remove"}]}}]',
        APPLIED_OVERRIDES: '[{"policyName":"op-a","overriders":{}},'
        '{"policyName":"op-a","overriders":{"labelsOverrider":[{"operator":"add","value":{"order":"x"}}]}},'
        '{"policyName":"op-b","overriders":{"plaintext":[{"path":"/spec/replicas","operator":"replace","value":3},'
        '{"path":"/spec/paused","operator":"remove","value":null}],'
        '"commandOverrider":[{"containerName":"nginx","operator":"remove"}],'
        '"argsOverrider":[{"containerName":"nginx","operator":"add","value":["-v"]}],'
        '"labelsOverrider":[{"operator":"remove","value":{"gone":""}}],'
        '"annotationsOverrider":[{"operator":"add","value":{"b":"2","cfg":"{}"}}],'
        '"fieldOverrider":[{"fieldPath":"/metadata/annotations/cfg","json":[{"subPath":"/a","operator":"add",'
        '"value":{"a":"\\u003c\\u0026\\u003e","z":1}}]}]}}]',
    }


def test_no_annotation_without_applied_rules():
    ops = [policy("op", rule(set_label("x"), {"clusterNames": ["member2"]}))]
    assert apply_overrides(DEPLOYMENT, MEMBER1, [], ops)[1] == {}
    assert apply_overrides(DEPLOYMENT, MEMBER1, [], [])[1] == {}


# --- failures -----------------------------------------------------------------------------------


def test_failure_names_policy_rule_cluster_overrider_and_path():
    ops = [
        policy("fine", rule(set_label("x"))),
        policy(
            "broken",
            rule({}),
            rule({"plaintext": [{"path": "/spec/nothing/here", "operator": "replace", "value": 1}]}),
        ),
    ]
    with pytest.raises(OverrideError) as caught:
        apply_overrides(DEPLOYMENT, MEMBER1, [], ops)
    error = caught.value
    assert str(error).startswith(
        "OverridePolicy default/broken overrideRules[1] on cluster member1: plaintext[0]:"
    )
    assert "/spec/nothing/here" in str(error)
    assert (error.policy, error.path) == ("override policy(default/broken)", "/spec/nothing/here")


def test_cluster_policy_failure_and_legacy_location():
    cop = policy(
        "cop",
        namespace="",
        overriders={
            "fieldOverrider": [
                {"fieldPath": "/spec/replicas", "yaml": [{"subPath": "/a", "operator": "add", "value": 1}]}
            ]
        },
    )
    with pytest.raises(
        OverrideError,
        match=r"^ClusterOverridePolicy cop overriders on cluster member1: fieldOverrider\[0\] fieldPath /spec/replicas: .*not a string",
    ):
        apply_overrides(DEPLOYMENT, MEMBER1, [cop], [])
