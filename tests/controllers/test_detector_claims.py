"""The detector in process: a policy claims a template (marks on the template, a binding for it), lets it go
when deleted (marks removed from both, the binding and its Works stay), and a higher-priority policy takes it
over only when it says ``preemption: Always`` — each asserted as exact labels, annotations and specs."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from karmadad.api.karmada.resources import PROPAGATION_POLICIES, WORKS
from tests.controllers.objects import NAMESPACE, deployment, prepared
from tests.controllers.pipeline import Pipeline, pipeline

pytestmark = pytest.mark.anyio
TEMPLATES = "deployments.apps"
PERMANENT_ID = "propagationpolicy.karmada.io/permanent-id"


@pytest.fixture
async def plane(tmp_path):
    async with pipeline(tmp_path, clusters=("m1", "m2")) as plane:
        yield plane


async def policy(plane: Pipeline, name: str, cluster: str, **spec: object) -> dict:
    """A policy for the Deployment ``web`` (named: Karmada refuses preemption for selectors without one)."""
    obj = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
           "metadata": {"name": name, "namespace": NAMESPACE},
           "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                    "placement": {"clusterAffinity": {"clusterNames": [cluster]}}, **spec}}  # fmt: skip
    return await plane.store.create(
        PROPAGATION_POLICIES, prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", obj)
    )


def claim(plane: Pipeline) -> tuple[dict, dict]:
    """The claim marks (karmada's labels and annotations) on the template ``web``."""
    meta = plane.store.get(TEMPLATES, NAMESPACE, "web")["metadata"]
    return (
        {k: v for k, v in (meta.get("labels") or {}).items() if "karmada.io" in k},
        {k: v for k, v in (meta.get("annotations") or {}).items() if k.startswith("propagationpolicy.")},
    )


def claimed_by(plane: Pipeline, name: str) -> tuple[dict, dict]:
    permanent = plane.store.get(PROPAGATION_POLICIES, NAMESPACE, name)["metadata"]["labels"][PERMANENT_ID]
    return (
        {PERMANENT_ID: permanent},
        {"propagationpolicy.karmada.io/name": name, "propagationpolicy.karmada.io/namespace": NAMESPACE},
    )


def placed_in(plane: Pipeline) -> list[str]:
    return sorted(w["metadata"]["namespace"] for w in plane.store.list_all(WORKS) if w["metadata"]["name"].startswith("web-"))  # fmt: skip


async def test_a_policy_claims_its_template_and_binds_it(plane):
    await policy(plane, "pp", "m1")
    template = await plane.create("apps", "v1", "deployments", deployment("web"))
    await plane.drained()
    assert claim(plane) == claimed_by(plane, "pp")
    binding = plane.binding("web-deployment")
    assert binding["spec"]["resource"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "namespace": NAMESPACE,
        "name": "web",
        "uid": template["metadata"]["uid"],
        "resourceVersion": plane.store.get(TEMPLATES, NAMESPACE, "web")["metadata"]["resourceVersion"],
    }
    assert binding["metadata"]["ownerReferences"] == [
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": template["metadata"]["uid"],
         "controller": True, "blockOwnerDeletion": True}
    ]  # fmt: skip
    assert binding["metadata"]["labels"][PERMANENT_ID] == claimed_by(plane, "pp")[0][PERMANENT_ID]
    assert binding["spec"]["clusters"] == [{"name": "m1", "replicas": 2}]
    assert placed_in(plane) == ["karmada-es-m1"]


async def test_a_template_no_policy_could_claim_is_not_reconciled_until_a_policy_comes(plane):
    def template_adds() -> float:
        return REGISTRY.get_sample_value("workqueue_adds_total", {"name": "detector"}) or 0.0

    await plane.drained()
    adds = template_adds()
    await plane.create("apps", "v1", "deployments", deployment("web"))
    await plane.drained()
    assert template_adds() == adds  # no policy exists: nothing to look at
    assert claim(plane) == ({}, {})
    await policy(plane, "pp", "m1")
    await plane.drained()
    assert claim(plane) == claimed_by(plane, "pp")
    assert placed_in(plane) == ["karmada-es-m1"]


async def test_a_deleted_policy_lets_its_template_go_and_leaves_what_was_propagated(plane):
    await policy(plane, "pp", "m1")
    await plane.create("apps", "v1", "deployments", deployment("web"))
    await plane.drained()
    await plane.store.delete(PROPAGATION_POLICIES, NAMESPACE, "pp")
    await plane.drained()
    assert plane.store.find(PROPAGATION_POLICIES, NAMESPACE, "pp") is None
    assert claim(plane) == ({}, {})
    binding = plane.binding("web-deployment")
    assert PERMANENT_ID not in (binding["metadata"].get("labels") or {})
    assert binding["spec"]["clusters"] == [{"name": "m1", "replicas": 2}], "kept where it was"
    assert placed_in(plane) == ["karmada-es-m1"]


async def test_a_higher_priority_policy_preempts_only_when_it_says_always(plane):
    await policy(plane, "low", "m1")
    await plane.create("apps", "v1", "deployments", deployment("web"))
    await plane.drained()
    await policy(plane, "never", "m2", priority=5)
    await plane.drained()
    assert claim(plane) == claimed_by(plane, "low"), "preemption is Never by default"
    assert placed_in(plane) == ["karmada-es-m1"]
    await policy(plane, "always", "m2", priority=10, preemption="Always")
    await plane.drained()
    assert claim(plane) == claimed_by(plane, "always")
    assert plane.binding("web-deployment")["spec"]["clusters"] == [{"name": "m2", "replicas": 2}]
    assert placed_in(plane) == ["karmada-es-m2"]
