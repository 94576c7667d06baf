"""Which policy claims a template, through the running daemon and the real kubectl: PP over CPP,
priority, name over labelSelector over kind, preemption on and off, and what deleting a policy does."""

from __future__ import annotations

import time

from tests.api.test_scheduling import apply, deployment, get_json

PLACEMENT = {"clusterAffinity": {"clusterNames": ["nowhere"]}}  # scheduling is not the point here


def pp(name: str, namespace: str, selector: dict, **spec) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"resourceSelectors": [selector], "placement": PLACEMENT, **spec},
    }


def cpp(name: str, selector: dict, **spec) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "ClusterPropagationPolicy",
        "metadata": {"name": name},
        "spec": {"resourceSelectors": [selector], "placement": PLACEMENT, **spec},
    }


def by_kind() -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment"}


def by_name(name: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}


def by_label(**labels: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": labels}}


def claim(kubectl, namespace: str, name: str) -> tuple[str, str] | None:
    annotations = get_json(kubectl, "deployment", name, "-n", namespace)["metadata"].get("annotations") or {}
    if "propagationpolicy.karmada.io/name" in annotations:
        return ("pp", annotations["propagationpolicy.karmada.io/name"])
    if "clusterpropagationpolicy.karmada.io/name" in annotations:
        return ("cpp", annotations["clusterpropagationpolicy.karmada.io/name"])
    return None


def eventually_claimed(kubectl, namespace: str, name: str, expected, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    found = None
    while time.monotonic() < deadline:
        found = claim(kubectl, namespace, name)
        if found == expected:
            return
        time.sleep(0.1)
    raise AssertionError(f"{namespace}/{name} claimed by {found}, expected {expected}")


def still_claimed(kubectl, namespace: str, name: str, expected, settle: float = 1.5) -> None:
    """The claim stays as it is (given a moment for a wrong change to show)."""
    time.sleep(settle)
    assert claim(kubectl, namespace, name) == expected


NS_PREFIX = "prec-"  # each test's own namespace (the ``ns`` fixture of conftest.py)


def test_a_propagation_policy_beats_a_cluster_policy_of_higher_priority(kubectl, ns):
    apply(kubectl, cpp(f"{ns}-c", by_name("app"), priority=100))
    try:
        apply(kubectl, pp("p", ns, by_kind()), deployment("app", ns, 1))
        eventually_claimed(kubectl, ns, "app", ("pp", "p"))
        binding = get_json(kubectl, "rb", "app-deployment", "-n", ns)
        assert binding["metadata"]["annotations"]["propagationpolicy.karmada.io/name"] == "p"
        assert "clusterpropagationpolicy.karmada.io/name" not in binding["metadata"]["annotations"]
    finally:
        kubectl("delete", "cpp", f"{ns}-c")


def test_a_cluster_policy_claims_what_no_propagation_policy_matches(kubectl, ns):
    apply(kubectl, cpp(f"{ns}-c", by_name("lonely")))
    try:
        apply(kubectl, deployment("lonely", ns, 1))
        eventually_claimed(kubectl, ns, "lonely", ("cpp", f"{ns}-c"))
        binding = get_json(kubectl, "rb", "lonely-deployment", "-n", ns)
        assert binding["metadata"]["labels"]["clusterpropagationpolicy.karmada.io/permanent-id"]
    finally:
        kubectl("delete", "cpp", f"{ns}-c")


def test_explicit_priority_then_name_over_label_over_kind_then_policy_name(kubectl, ns):
    apply(kubectl, deployment("app", ns, 1, labels={"app": "app", "team": "a"}))
    apply(kubectl, pp("z-kind", ns, by_kind()))
    eventually_claimed(kubectl, ns, "app", ("pp", "z-kind"))
    # a claimed template stays with its policy; a new better one claims templates created afterwards
    apply(kubectl, pp("y-label", ns, by_label(team="a")), pp("x-name", ns, by_name("later")))
    apply(kubectl, pp("b-kind", ns, by_kind()))
    apply(kubectl, deployment("later", ns, 1, labels={"app": "later", "team": "a"}))
    eventually_claimed(kubectl, ns, "later", ("pp", "x-name"))
    apply(kubectl, deployment("labelled", ns, 1, labels={"app": "labelled", "team": "a"}))
    eventually_claimed(kubectl, ns, "labelled", ("pp", "y-label"))
    apply(kubectl, deployment("plain", ns, 1))
    eventually_claimed(kubectl, ns, "plain", ("pp", "b-kind"))  # kind-only twins: the smaller name
    apply(kubectl, pp("high", ns, by_kind(), priority=5))
    apply(kubectl, deployment("prized", ns, 1, labels={"app": "prized", "team": "a"}))
    eventually_claimed(kubectl, ns, "prized", ("pp", "high"))  # priority beats specificity
    still_claimed(kubectl, ns, "app", ("pp", "z-kind"))


def test_preemption_only_with_always(kubectl, ns):
    apply(kubectl, pp("low", ns, by_kind(), priority=1), deployment("app", ns, 1))
    eventually_claimed(kubectl, ns, "app", ("pp", "low"))
    apply(kubectl, pp("never", ns, by_name("app"), priority=10, preemption="Never"))
    still_claimed(kubectl, ns, "app", ("pp", "low"))
    apply(kubectl, pp("always", ns, by_name("app"), priority=5, preemption="Always"))
    eventually_claimed(kubectl, ns, "app", ("pp", "always"))
    events = get_json(kubectl, "events", "-n", ns, "--field-selector", "involvedObject.name=app")
    assert "PreemptPolicySucceed" in {e["reason"] for e in events["items"]}


def test_a_propagation_policy_preempts_a_cluster_policy(kubectl, ns):
    apply(kubectl, cpp(f"{ns}-c", by_name("app"), priority=50))
    try:
        apply(kubectl, deployment("app", ns, 1))
        eventually_claimed(kubectl, ns, "app", ("cpp", f"{ns}-c"))
        apply(kubectl, pp("taker", ns, by_name("app"), preemption="Always"))
        eventually_claimed(kubectl, ns, "app", ("pp", "taker"))
    finally:
        kubectl("delete", "cpp", f"{ns}-c")


def test_deleting_the_policy_releases_the_claim_and_keeps_the_binding(kubectl, ns):
    apply(kubectl, pp("first", ns, by_name("app")), pp("second", ns, by_kind()), deployment("app", ns, 1))
    eventually_claimed(kubectl, ns, "app", ("pp", "first"))
    kubectl("delete", "pp", "first", "-n", ns, "--timeout=20s")
    eventually_claimed(kubectl, ns, "app", ("pp", "second"))  # released, then claimed by the next best
    kubectl("delete", "pp", "second", "-n", ns, "--timeout=20s")
    eventually_claimed(kubectl, ns, "app", None)
    binding = get_json(kubectl, "rb", "app-deployment", "-n", ns)
    labels = binding["metadata"].get("labels") or {}
    assert "propagationpolicy.karmada.io/permanent-id" not in labels
    assert "propagationpolicy.karmada.io/name" not in (binding["metadata"].get("annotations") or {})


def test_a_deleted_template_takes_its_binding_along(kubectl, ns):
    apply(kubectl, pp("p", ns, by_kind()), deployment("gone", ns, 1))
    eventually_claimed(kubectl, ns, "gone", ("pp", "p"))
    kubectl("delete", "deployment", "gone", "-n", ns)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if kubectl("get", "rb", "gone-deployment", "-n", ns, check=False).returncode != 0:
            return
        time.sleep(0.1)
    raise AssertionError("the binding outlived its template")
