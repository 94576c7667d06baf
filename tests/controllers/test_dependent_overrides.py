"""A policy whose ``dependentOverrides`` do not exist yet waits for them, quietly, and goes on the moment the
last one is created — not at the template's next backoff (which by then is seconds away and growing)."""

from __future__ import annotations

import anyio
import pytest

from karmadad import metrics
from karmadad.api.karmada.resources import OVERRIDE_POLICIES, PROPAGATION_POLICIES, RESOURCE_BINDINGS
from karmadad.propagation.claims import binding_name
from tests.controllers.objects import NAMESPACE, deployment, events_about, prepared
from tests.store.test_store_gc import eventually

pytestmark = pytest.mark.anyio


def waiting_policy() -> dict:
    return prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "pp", "namespace": NAMESPACE},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
            "placement": {"clusterAffinity": {"clusterNames": ["m1"]}},
            "dependentOverrides": ["registry"],
        },
    })  # fmt: skip


def override_policy() -> dict:
    return prepared("policy.karmada.io", "v1alpha1", "overridepolicies", {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "OverridePolicy",
        "metadata": {"name": "registry", "namespace": NAMESPACE},
        "spec": {"overrideRules": [{"overriders": {"labelsOverrider": [{"operator": "add", "value": {"a": "b"}}]}}]},
    })  # fmt: skip


async def test_the_template_goes_on_as_soon_as_its_dependent_override_exists(plane):
    db = plane.store
    errors = metrics.RECONCILE_ERRORS.labels("detector")
    errors_before = errors._value.get()
    await db.create(PROPAGATION_POLICIES, waiting_policy())
    await db.create("deployments.apps", prepared("apps", "v1", "deployments", deployment("web")))
    key = ("deployments.apps", NAMESPACE, "web")
    # waiting: retried with growing delays, until the next try is seconds away
    await eventually(lambda: plane.detector.templates.queue.retries(key) >= 10, within=15)
    assert db.find(RESOURCE_BINDINGS, NAMESPACE, binding_name("Deployment", "web")) is None
    assert errors._value.get() == errors_before, "waiting is not an error"
    template = db.find("deployments.apps", NAMESPACE, "web")
    assert events_about(db, template, "ApplyPolicyFailed") == []
    await db.create(OVERRIDE_POLICIES, override_policy())
    with anyio.fail_after(2):
        await eventually(lambda: db.find(RESOURCE_BINDINGS, NAMESPACE, binding_name("Deployment", "web")))
