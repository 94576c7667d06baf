"""Template names near the 253-character limit: Karmada's derived names (``<name>-<kind>`` bindings,
``<name>-<hash>`` Works) are never shortened, so they can outgrow it. The failure must be visible as a
Warning Event on the template (written under a UUID name, its own name being too long to prefix one),
and retried with backoff rather than in a hot loop; a name that still fits propagates."""

from __future__ import annotations

import time
import uuid

import pytest

from karmadad.api.karmada.resources import (
    CLUSTER_PROPAGATION_POLICIES,
    CLUSTERS,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    WORKS,
)
from karmadad.interpreter.work import work_name
from karmadad.propagation.claims import binding_name
from tests.controllers.objects import NAMESPACE, config_map, deployment, events_about, policy, prepared
from tests.store.test_store_gc import eventually

pytestmark = pytest.mark.anyio
TOO_LONG = "must be no more than 253 characters"


def is_uuid(name: str) -> bool:
    return str(uuid.UUID(name)) == name


@pytest.mark.parametrize(
    ("policy_kind", "plural", "reference", "claimed_by"),
    [
        ("PropagationPolicy", "propagationpolicies", f"policy({NAMESPACE}/pp)", "propagationpolicy"),
        (
            "ClusterPropagationPolicy",
            "clusterpropagationpolicies",
            "cluster policy(cpp)",
            "clusterpropagationpolicy",
        ),
    ],
)
async def test_a_253_character_name_gets_apply_policy_failed_and_backs_off(
    plane, policy_kind, plural, reference, claimed_by
):
    db = plane.store
    claiming = policy(policy_kind, {"apiVersion": "v1", "kind": "ConfigMap"})
    resource = PROPAGATION_POLICIES if policy_kind == "PropagationPolicy" else CLUSTER_PROPAGATION_POLICIES
    await db.create(resource, prepared("policy.karmada.io", "v1alpha1", plural, claiming))
    name = "c" * 253
    template = await db.create("configmaps", prepared("", "v1", "configmaps", config_map(name)))
    await eventually(lambda: events_about(db, template, "ApplyPolicyFailed"))
    [event] = events_about(db, template, "ApplyPolicyFailed")
    binding = binding_name("ConfigMap", name)
    assert event["type"] == "Warning"
    assert event["metadata"]["namespace"] == NAMESPACE
    assert is_uuid(event["metadata"]["name"]), "the template's name leaves no room for a suffix"
    assert event["involvedObject"]["name"] == name
    assert event["message"] == (
        f"Apply {reference} failed: ResourceBinding.work.karmada.io "
        f'"{binding}" is invalid: metadata.name: Invalid value: "{binding}": {TOO_LONG}'
    )
    # the claim is written on the template all the same, as Karmada's detector writes it
    claimed = db.find("configmaps", NAMESPACE, name)
    annotations = claimed["metadata"].get("annotations") or {}
    assert annotations[f"{claimed_by}.karmada.io/name"] == claiming["metadata"]["name"]
    assert claimed["metadata"]["labels"][f"{claimed_by}.karmada.io/permanent-id"]
    assert db.list_all(RESOURCE_BINDINGS) == []
    # retried with growing delays (5 ms, doubling): after b failures the next two wait 5 ms·2^b and 5 ms·2^(b+1)
    # in full before the third fails
    key = ("configmaps", NAMESPACE, name)
    before, started = plane.detector.templates.queue.retries(key), time.monotonic()
    await eventually(lambda: plane.detector.templates.queue.retries(key) >= before + 3)
    assert time.monotonic() - started >= 0.9 * 0.005 * (2**before + 2 ** (before + 1))
    [event] = await eventually(
        lambda: [e for e in events_about(db, template, "ApplyPolicyFailed") if e["count"] >= 2]
    )
    assert event["count"] <= plane.detector.templates.queue.retries(key) + 1, (
        "repeats count into the one Event"
    )


async def test_a_240_character_deployment_name_still_fits(plane):
    db = plane.store
    selector = {"apiVersion": "apps/v1", "kind": "Deployment"}
    await db.create(
        PROPAGATION_POLICIES,
        prepared(
            "policy.karmada.io", "v1alpha1", "propagationpolicies", policy("PropagationPolicy", selector)
        ),
    )
    name = "d" * 240
    template = await db.create("deployments.apps", prepared("apps", "v1", "deployments", deployment(name)))
    binding = binding_name("Deployment", name)
    assert len(binding) == 251
    await eventually(lambda: db.find(RESOURCE_BINDINGS, NAMESPACE, binding) is not None)
    await eventually(lambda: events_about(db, template, "ApplyPolicySucceed"))
    [event] = events_about(db, template, "ApplyPolicySucceed")
    assert is_uuid(event["metadata"]["name"]) and event["involvedObject"]["name"] == name
    assert events_about(db, template, "ApplyPolicyFailed") == []


async def test_a_work_name_over_253_characters_gets_sync_work_failed(plane):
    db = plane.store
    await db.create(
        CLUSTERS,
        prepared(
            "cluster.karmada.io",
            "v1alpha1",
            "clusters",
            {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "m1"}},
        ),
    )
    await db.create(
        "namespaces",
        prepared(
            "",
            "v1",
            "namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "karmada-es-m1"}},
        ),
    )
    selector = {"apiVersion": "v1", "kind": "Secret"}
    await db.create(
        PROPAGATION_POLICIES,
        prepared(
            "policy.karmada.io", "v1alpha1", "propagationpolicies", policy("PropagationPolicy", selector)
        ),
    )
    name = "s" * 246  # its binding, <name>-secret, just fits; its Work, <name>-<hash>, does not
    work = work_name("Secret", NAMESPACE, name)
    assert len(binding_name("Secret", name)) == 253 and len(work) > 253
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": NAMESPACE}}
    template = await db.create("secrets", prepared("", "v1", "secrets", secret))
    binding_key = binding_name("Secret", name)
    await eventually(lambda: db.find(RESOURCE_BINDINGS, NAMESPACE, binding_key) is not None)
    # the scheduler's part, done by hand
    binding = db.find(RESOURCE_BINDINGS, NAMESPACE, binding_key)
    binding = await db.update(
        RESOURCE_BINDINGS, {**binding, "spec": {**binding["spec"], "clusters": [{"name": "m1"}]}}
    )
    await eventually(lambda: events_about(db, binding, "SyncWorkFailed"))
    await eventually(lambda: events_about(db, template, "SyncWorkFailed"))
    for about in (binding, template):
        [event] = events_about(db, about, "SyncWorkFailed")
        assert event["type"] == "Warning"
        assert event["message"] == (
            f'Failed to sync works: cluster m1: Work.work.karmada.io "{work}" is invalid: '
            f'metadata.name: Invalid value: "{work}": {TOO_LONG}'
        )
    assert db.list_all(WORKS) == []
    key = (RESOURCE_BINDINGS, NAMESPACE, binding_key)
    before, started = plane.bindings.controller.queue.retries(key), time.monotonic()
    await eventually(lambda: plane.bindings.controller.queue.retries(key) >= before + 3)
    assert time.monotonic() - started >= 0.9 * 0.005 * (2**before + 2 ** (before + 1)), "backing off"
