"""RBAC's decisions as pure functions: rule matching, aggregation, bindings by subject."""

from __future__ import annotations

import pytest

from karmadad.apiserver.auth import User
from karmadad.apiserver.rbac import Attributes, aggregated_rules, build_index, rule_allows

PODS_READ = {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "pods/log"]}


@pytest.mark.parametrize(
    ("rule", "request_", "allowed"),
    [
        (PODS_READ, Attributes("get", "", "pods"), True),
        (PODS_READ, Attributes("watch", "", "pods"), False),
        (PODS_READ, Attributes("get", "apps", "pods"), False),
        (PODS_READ, Attributes("get", "", "pods", "log"), True),
        (PODS_READ, Attributes("get", "", "pods", "exec"), False),
        ({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*/scale"]}, Attributes("update", "apps", "deployments", "scale"), True),
        ({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*/scale"]}, Attributes("update", "apps", "deployments"), False),
        ({"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]}, Attributes("get", "", "configmaps", name="a"), True),
        ({"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]}, Attributes("get", "", "configmaps", name="b"), False),
        ({"verbs": ["list"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]}, Attributes("list", "", "configmaps"), False),
        ({"verbs": ["get"], "nonResourceURLs": ["/apis/*"]}, Attributes("get", path="/apis/apps"), True),
        ({"verbs": ["get"], "nonResourceURLs": ["/apis"]}, Attributes("get", path="/apis/apps"), False),
        ({"verbs": ["get"], "nonResourceURLs": ["/apis/*"]}, Attributes("get", "", "pods"), False),
        ({"verbs": "get", "apiGroups": [""], "resources": ["pods"]}, Attributes("get", "", "pods"), False),
    ],
)  # fmt: skip
def test_rule_matching(rule, request_, allowed):
    assert rule_allows(rule, request_) is allowed


def _role(name: str, rules=(), labels=None, selectors=None) -> dict:
    role = {"metadata": {"name": name, "labels": labels or {}}, "rules": list(rules)}
    if selectors is not None:
        role["aggregationRule"] = {"clusterRoleSelectors": selectors}
    return role


def test_aggregation_is_transitive_and_survives_cycles():
    roles = {
        "view": _role("view", [PODS_READ], {"to-edit": "true"}, [{"matchLabels": {"to-view": "true"}}]),
        "edit": _role("edit", [], {"to-view": "true"}, [{"matchLabels": {"to-edit": "true"}}]),
        "extra": _role(
            "extra", [{"verbs": ["get"], "apiGroups": ["x"], "resources": ["y"]}], {"to-view": "true"}
        ),
    }
    rules = aggregated_rules(roles)
    assert {"verbs": ["get"], "apiGroups": ["x"], "resources": ["y"]} in rules["view"]
    assert PODS_READ in rules["edit"]  # edit picks view, which picked extra


def test_bindings_apply_by_subject_and_namespace():
    cluster_roles = [_role("reader", [PODS_READ])]
    roles = [
        {
            "metadata": {"name": "local", "namespace": "a"},
            "rules": [{"verbs": ["create"], "apiGroups": [""], "resources": ["pods"]}],
        }
    ]
    bindings = [
        {
            "metadata": {"name": "b1", "namespace": "a"},
            "roleRef": {"kind": "Role", "name": "local"},
            "subjects": [{"kind": "Group", "name": "devs"}],
        },
        {
            "metadata": {"name": "b2", "namespace": "b"},
            "roleRef": {"kind": "ClusterRole", "name": "reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "bot", "namespace": "ci"}],
        },
    ]
    cluster_bindings = [
        {"metadata": {"name": "c1"}, "roleRef": {"kind": "ClusterRole", "name": "reader"},
         "subjects": [{"kind": "User", "name": "ann"}]},
    ]  # fmt: skip
    index = build_index(roles, cluster_roles, bindings, cluster_bindings)
    assert index.cluster[("user", "ann")] == [PODS_READ]
    assert index.namespaced[("group", "devs")]["a"][0]["verbs"] == ["create"]
    assert index.namespaced[("user", "system:serviceaccount:ci:bot")]["b"] == [PODS_READ]
    assert User("ann", ()) and ("user", "nobody") not in index.cluster
