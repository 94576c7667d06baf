"""Policy matching, claims and binding construction: the detector's pure rules."""

from __future__ import annotations

from karmadad.api.karmada.resource_selectors import (
    MATCH_ALL,
    MATCH_LABEL_SELECTOR,
    MATCH_NAME,
    MISMATCH,
    selector_priority,
)
from karmadad.propagation.claims import (
    Claim,
    best_policy,
    binding_name,
    changed_by_karmada_only,
    claim_of,
    desired_binding,
    is_lazy,
    merged_binding,
    preempts,
    with_claim,
    without_claim,
)

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": "shop",
        "uid": "u-1",
        "resourceVersion": "7",
        "labels": {"app": "web"},
    },
    "spec": {"replicas": 2},
}


def policy(name: str, *selectors: dict, kind: str = "PropagationPolicy", priority: int = 0, **spec) -> dict:
    meta = {"name": name, "labels": {}}
    if kind == "PropagationPolicy":
        meta["namespace"] = "shop"
        meta["labels"]["propagationpolicy.karmada.io/permanent-id"] = f"id-{name}"
    else:
        meta["labels"]["clusterpropagationpolicy.karmada.io/permanent-id"] = f"id-{name}"
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": kind,
        "metadata": meta,
        "spec": {"resourceSelectors": list(selectors), "priority": priority, "placement": {}, **spec},
    }


KIND = {"apiVersion": "apps/v1", "kind": "Deployment"}
NAME = {**KIND, "name": "web"}
LABEL = {**KIND, "labelSelector": {"matchLabels": {"app": "web"}}}


def test_selector_priority():
    assert selector_priority(KIND, DEPLOY) == MATCH_ALL
    assert selector_priority(LABEL, DEPLOY) == MATCH_LABEL_SELECTOR
    assert selector_priority(NAME, DEPLOY) == MATCH_NAME
    assert selector_priority({**NAME, "labelSelector": {"matchLabels": {"app": "x"}}}, DEPLOY) == MATCH_NAME
    assert selector_priority({**NAME, "name": "other"}, DEPLOY) == MISMATCH
    assert selector_priority({**KIND, "apiVersion": "apps/v1beta1"}, DEPLOY) == MISMATCH
    assert selector_priority({**KIND, "namespace": "other"}, DEPLOY) == MISMATCH
    assert selector_priority({**KIND, "namespace": "shop"}, DEPLOY) == MATCH_ALL
    assert selector_priority({**KIND, "labelSelector": {"matchLabels": {"app": "x"}}}, DEPLOY) == MISMATCH


def test_best_policy_order():
    kind_a, kind_b = policy("b-kind", KIND), policy("a-kind", KIND)
    label, name = policy("label", LABEL), policy("name", NAME)
    assert best_policy([kind_a, kind_b], DEPLOY)["metadata"]["name"] == "a-kind"
    assert best_policy([kind_a, label], DEPLOY)["metadata"]["name"] == "label"
    assert best_policy([label, name, kind_b], DEPLOY)["metadata"]["name"] == "name"
    assert best_policy([name, policy("high", KIND, priority=3)], DEPLOY)["metadata"]["name"] == "high"
    deleting = policy("zz", NAME, priority=9)
    deleting["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z"
    assert best_policy([deleting, kind_a], DEPLOY)["metadata"]["name"] == "b-kind"
    assert best_policy([policy("none", {**KIND, "kind": "StatefulSet"})], DEPLOY) is None


def test_claims_round_trip_and_a_pp_claim_replaces_a_cpp_claim():
    cpp = policy("c", KIND, kind="ClusterPropagationPolicy")
    by_cpp = with_claim(DEPLOY, cpp)
    assert claim_of(by_cpp) == Claim("ClusterPropagationPolicy", "", "c", "id-c")
    by_pp = with_claim(by_cpp, policy("p", KIND))
    assert claim_of(by_pp) == Claim("PropagationPolicy", "shop", "p", "id-p")
    assert "clusterpropagationpolicy.karmada.io/name" not in by_pp["metadata"]["annotations"]
    released = without_claim(by_pp, "PropagationPolicy")
    assert claim_of(released) is None and released["metadata"]["labels"] == {"app": "web"}
    assert "annotations" not in released["metadata"]


def test_preemption_rules():
    low = policy("low", KIND, priority=1)
    claim = Claim("PropagationPolicy", "shop", "low", "id-low")
    assert preempts(policy("hi", NAME, priority=5, preemption="Always"), low, claim, DEPLOY)
    assert not preempts(policy("hi", NAME, priority=5, preemption="Never"), low, claim, DEPLOY)
    assert not preempts(policy("hi", NAME, priority=1, preemption="Always"), low, claim, DEPLOY)
    assert not preempts(
        policy("hi", LABEL, priority=5, preemption="Always"), low, claim, DEPLOY
    )  # names only
    cpp_claim = Claim("ClusterPropagationPolicy", "", "c", "id-c")
    cpp = policy("c", KIND, kind="ClusterPropagationPolicy", priority=100)
    assert preempts(policy("p", NAME, preemption="Always"), cpp, cpp_claim, DEPLOY)  # any PP beats a CPP
    assert not preempts(
        policy("c2", NAME, kind="ClusterPropagationPolicy", priority=5, preemption="Always"),
        low,
        claim,
        DEPLOY,
    )  # a CPP never preempts a PP


def test_binding_names_as_karmada():
    assert binding_name("Deployment", "nginx") == "nginx-deployment"
    assert binding_name("ClusterRole", "system:foo") == "system.foo-clusterrole"


def test_binding_from_template_and_policy_then_merged_keeping_the_schedulers_fields():
    pp = policy(
        "p", NAME, propagateDeps=True, conflictResolution="Overwrite", suspension={"dispatching": True}
    )
    desired = desired_binding(with_claim(DEPLOY, pp), pp, 2, {"resourceRequest": {"cpu": "1"}})
    meta, spec = desired["metadata"], desired["spec"]
    assert (desired["kind"], meta["name"], meta["namespace"]) == ("ResourceBinding", "web-deployment", "shop")
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "web",
            "uid": "u-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    assert meta["finalizers"] == ["karmada.io/binding-controller"]
    assert meta["labels"] == {"propagationpolicy.karmada.io/permanent-id": "id-p"}
    assert spec["resource"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": "shop",
        "name": "web",
        "uid": "u-1",
        "resourceVersion": "7",
    }
    assert (spec["replicas"], spec["propagateDeps"], spec["schedulerName"]) == (2, True, "default-scheduler")
    assert spec["conflictResolution"] == "Overwrite" and spec["suspension"] == {"dispatching": True}
    existing = {
        **desired,
        "metadata": {**meta, "labels": {**meta["labels"], "resourcebinding.karmada.io/permanent-id": "b"}},
        "spec": {**spec, "clusters": [{"name": "m1", "replicas": 2}], "suspension": {"scheduling": True}},
        "status": {"schedulerObservedGeneration": 1},
    }
    updated = desired_binding(
        DEPLOY | {"metadata": {**DEPLOY["metadata"], "resourceVersion": "8"}}, pp, 3, None
    )
    merged = merged_binding(existing, updated)
    assert merged["spec"]["clusters"] == [{"name": "m1", "replicas": 2}]  # the scheduler's, untouched
    assert merged["spec"]["replicas"] == 3 and "replicaRequirements" not in merged["spec"]
    assert merged["spec"]["resource"]["resourceVersion"] == "8"
    assert merged["spec"]["suspension"] == {"dispatching": True, "scheduling": True}
    assert merged["metadata"]["labels"]["resourcebinding.karmada.io/permanent-id"] == "b"
    assert merged["status"] == {"schedulerObservedGeneration": 1}
    converged = {
        **existing,
        "spec": {**existing["spec"], "suspension": {"dispatching": True, "scheduling": True}},
    }
    moved = desired_binding(DEPLOY | {"metadata": {**DEPLOY["metadata"], "resourceVersion": "9"}}, pp, 2, {"resourceRequest": {"cpu": "1"}})  # fmt: skip
    assert merged_binding(converged, moved) is converged, (
        "the template's resourceVersion alone writes nothing"
    )


def test_cluster_scoped_templates_get_cluster_resource_bindings():
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "a:b", "uid": "r"},
    }
    cpp = policy(
        "c",
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole"},
        kind="ClusterPropagationPolicy",
    )
    desired = desired_binding(role, cpp, 0, None)
    assert desired["kind"] == "ClusterResourceBinding" and desired["metadata"]["name"] == "a.b-clusterrole"
    assert "namespace" not in desired["metadata"] and "namespace" not in desired["spec"]["resource"]
    assert desired["metadata"]["finalizers"] == ["karmada.io/cluster-resource-binding-controller"]
    assert "replicas" not in desired["spec"]


def test_a_change_to_karmadas_labels_and_annotations_alone_does_not_wake_a_lazy_policy():
    base = {"metadata": {"name": "app", "labels": {"app": "a"}, "generation": 1}, "spec": {"replicas": 1}}
    claimed = {
        **base,
        "metadata": {
            **base["metadata"],
            "labels": {"app": "a", "propagationpolicy.karmada.io/permanent-id": "x"},
            "annotations": {"propagationpolicy.karmada.io/name": "lazy"},
            "generation": 2,
        },
    }
    assert changed_by_karmada_only(base, claimed)
    skip = {**claimed, "metadata": {**claimed["metadata"], "labels": {
        **claimed["metadata"]["labels"], "namespace.karmada.io/skip-auto-propagation": "true"}}}  # fmt: skip
    assert not changed_by_karmada_only(claimed, skip), "a label users set, for all its prefix"
    annotated = {**claimed, "metadata": {**claimed["metadata"], "annotations": {"example.com/x": "1"}}}
    assert not changed_by_karmada_only(claimed, annotated)
    assert not changed_by_karmada_only(base, {**base, "spec": {"replicas": 2}})
    assert is_lazy({"spec": {"activationPreference": "Lazy"}})
    assert not is_lazy({"spec": {}})
