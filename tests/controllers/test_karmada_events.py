"""The failure Events Karmada records that no valid object through the API can bring about in the real
members (the Go types refuse such objects before Karmada reads them): a template whose replicas cannot be
read (``GetReplicasFailed``) and a member status that cannot be aggregated (``AggregateStatusFailed``).
The controllers run in process against a store written to directly."""

from __future__ import annotations

import pytest

from karmadad.api.karmada.resources import CLUSTERS, PROPAGATION_POLICIES, RESOURCE_BINDINGS, WORKS
from karmadad.propagation.claims import binding_name
from karmadad.quantity import QUANTITY_FORMAT
from tests.controllers.objects import NAMESPACE, deployment, events_about, policy, prepared
from tests.store.test_store_gc import eventually

pytestmark = pytest.mark.anyio
DEPLOYMENTS = {"apiVersion": "apps/v1", "kind": "Deployment"}
BINDING = binding_name("Deployment", "web")


async def propagate_deployments(db) -> None:
    pp = policy("PropagationPolicy", DEPLOYMENTS)
    await db.create(
        PROPAGATION_POLICIES, prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", pp)
    )


async def test_replicas_that_cannot_be_read_are_told_and_nothing_is_bound(plane):
    db = plane.store
    await propagate_deployments(db)
    broken = deployment("web")
    broken["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "lots"}}
    template = await db.create("deployments.apps", prepared("apps", "v1", "deployments", broken))
    await eventually(lambda: events_about(db, template, "GetReplicasFailed"))
    [event] = events_about(db, template, "GetReplicasFailed")
    assert (event["type"], event["message"]) == ("Warning", f"'lots': {QUANTITY_FORMAT}")
    [failed] = events_about(db, template, "ApplyPolicyFailed")
    assert failed["message"] == f"Apply policy({NAMESPACE}/pp) failed: 'lots': {QUANTITY_FORMAT}"
    assert events_about(db, template, "GetReplicasSucceed") == []
    assert db.list_all(RESOURCE_BINDINGS) == []


async def test_a_kind_without_replicas_is_not_told_about_them(plane):
    db = plane.store
    await db.create(
        PROPAGATION_POLICIES,
        prepared(
            "policy.karmada.io",
            "v1alpha1",
            "propagationpolicies",
            policy("PropagationPolicy", {"apiVersion": "v1", "kind": "ConfigMap"}),
        ),
    )
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": NAMESPACE}}
    template = await db.create("configmaps", prepared("", "v1", "configmaps", cm))
    await eventually(lambda: events_about(db, template, "ApplyPolicySucceed"))
    assert events_about(db, template, "GetReplicasSucceed") == []


async def test_a_member_status_that_cannot_be_aggregated_is_told_on_the_template(plane):
    db = plane.store
    cluster = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "m1"}}
    await db.create(CLUSTERS, prepared("cluster.karmada.io", "v1alpha1", "clusters", cluster))
    space = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "karmada-es-m1"}}
    await db.create("namespaces", prepared("", "v1", "namespaces", space))
    await propagate_deployments(db)
    template = await db.create("deployments.apps", prepared("apps", "v1", "deployments", deployment("web")))
    [replicas] = await eventually(lambda: events_about(db, template, "GetReplicasSucceed"))
    assert (replicas["type"], replicas["message"]) == (
        "Normal",
        "Get replicas of resource template successfully.",
    )
    await eventually(lambda: db.find(RESOURCE_BINDINGS, NAMESPACE, BINDING) is not None)
    binding = db.find(RESOURCE_BINDINGS, NAMESPACE, BINDING)
    clusters = [{"name": "m1", "replicas": 2}]
    await db.update(RESOURCE_BINDINGS, {**binding, "spec": {**binding["spec"], "clusters": clusters}})
    [work] = await eventually(lambda: db.list_all(WORKS))
    applied = {"type": "Applied", "status": "True", "reason": "AppliedSuccessful", "message": "applied",
               "lastTransitionTime": "2026-01-01T00:00:00Z"}  # fmt: skip
    member_status = {"identifier": {"ordinal": 0, "version": "v1", "kind": "Deployment", "name": "web",
                                    "namespace": NAMESPACE, "group": "apps", "resource": "deployments"},
                     "status": {"replicas": "many"}, "health": "Healthy"}  # fmt: skip
    await db.update(WORKS, {**work, "status": {"conditions": [applied], "manifestStatuses": [member_status]}})
    binding = await eventually(
        lambda: events_about(db, db.find(RESOURCE_BINDINGS, NAMESPACE, BINDING), "AggregateStatusSucceed")
    )
    assert [(e["type"], e["message"]) for e in binding] == [
        ("Normal", f"Update ResourceBinding({NAMESPACE}/{BINDING}) with AggregatedStatus successfully.")
    ]
    [failed] = await eventually(lambda: events_about(db, template, "AggregateStatusFailed"))
    assert failed["type"] == "Warning" and "replicas" in failed["message"], failed
