"""A binding no cluster fitted is tried again when a cluster's status changes what the scheduler reads of it
(its API enablements here: a member that joined after the template was applied); a placed binding stays."""

from __future__ import annotations

import anyio
import pytest

from karmadad.api.karmada.resources import CLUSTERS, PROPAGATION_POLICIES, RESOURCE_BINDINGS
from karmadad.controllers.scheduler import SchedulerController
from karmadad.events import EventRecorder
from tests.controllers.fake_member import drained
from tests.controllers.objects import NAMESPACE, REGISTRY, deployment, policy, prepared, ready_cluster

pytestmark = pytest.mark.anyio


def scheduled(binding: dict) -> tuple[str, str, list]:
    (condition,) = [c for c in binding["status"]["conditions"] if c["type"] == "Scheduled"]
    return condition["status"], condition["reason"], binding["spec"].get("clusters") or []


async def test_a_binding_that_found_no_cluster_is_placed_once_a_cluster_serves_its_kind(plane):
    db = plane.store
    await ready_cluster(db, "m1")
    m1 = db.get(CLUSTERS, "", "m1")
    without = {**m1["status"], "apiEnablements": []}  # joined, its APIs not collected yet
    await db.update(CLUSTERS, {**m1, "status": without}, subresource="status")
    claiming = policy("PropagationPolicy", {"apiVersion": "apps/v1", "kind": "Deployment"})
    await db.create(
        PROPAGATION_POLICIES, prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", claiming)
    )
    await db.create("deployments.apps", prepared("apps", "v1", "deployments", deployment("web")))
    scheduler = SchedulerController(db, REGISTRY, EventRecorder(db, "karmada-scheduler"), workers=1)
    queues = [
        plane.detector.templates,
        plane.detector.policies,
        plane.bindings.controller,
        scheduler.controller,
    ]
    async with anyio.create_task_group() as tasks:
        await tasks.start(scheduler.run)
        await drained([db], queues)
        unplaced = db.get(RESOURCE_BINDINGS, NAMESPACE, "web-deployment")
        assert scheduled(unplaced) == ("False", "NoClusterFit", [])
        m1 = db.get(CLUSTERS, "", "m1")
        summary = {"allocatable": {"cpu": "4", "pods": "110"}, "allocated": {"cpu": "1", "pods": "3"}}
        await db.update(CLUSTERS, {**m1, "status": {**m1["status"], "resourceSummary": summary}}, subresource="status")  # fmt: skip
        await drained([db], queues)
        again = db.get(RESOURCE_BINDINGS, NAMESPACE, "web-deployment")
        assert again["metadata"]["resourceVersion"] == unplaced["metadata"]["resourceVersion"], (
            "tried, same answer: nothing written"
        )
        m1 = db.get(CLUSTERS, "", "m1")
        await db.update(CLUSTERS, {**m1, "status": {**m1["status"], "apiEnablements": m1_apis()}}, subresource="status")  # fmt: skip
        await drained([db], queues)
        placed = db.get(RESOURCE_BINDINGS, NAMESPACE, "web-deployment")
        assert scheduled(placed) == ("True", "Success", [{"name": "m1", "replicas": 2}])
        m1 = db.get(CLUSTERS, "", "m1")
        await db.update(
            CLUSTERS, {**m1, "status": {**m1["status"], "apiEnablements": []}}, subresource="status"
        )
        await drained([db], queues)
        kept = db.get(RESOURCE_BINDINGS, NAMESPACE, "web-deployment")
        assert kept["metadata"]["resourceVersion"] == placed["metadata"]["resourceVersion"], (
            "status alone moves nothing placed"
        )
        tasks.cancel_scope.cancel()


def m1_apis() -> list[dict]:
    return [{"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}]


async def test_a_placed_duplicated_binding_spreads_to_a_cluster_whose_apis_arrive_later(plane):
    db = plane.store
    await ready_cluster(db, "m1")
    await ready_cluster(db, "m2")
    m2 = db.get(CLUSTERS, "", "m2")
    await db.update(CLUSTERS, {**m2, "status": {**m2["status"], "apiEnablements": []}}, subresource="status")  # fmt: skip
    claiming = policy("PropagationPolicy", {"apiVersion": "apps/v1", "kind": "Deployment"})
    claiming["spec"]["placement"] = {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}}
    await db.create(
        PROPAGATION_POLICIES, prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", claiming)
    )
    await db.create("deployments.apps", prepared("apps", "v1", "deployments", deployment("web")))
    recorder = EventRecorder(db, "karmada-scheduler")
    scheduler = SchedulerController(db, REGISTRY, recorder, workers=1)
    queues = [
        plane.detector.templates,
        plane.detector.policies,
        plane.bindings.controller,
        scheduler.controller,
    ]
    async with anyio.create_task_group() as tasks:
        await tasks.start(recorder.run)
        await tasks.start(scheduler.run)
        await drained([db], queues)
        assert scheduled(db.get(RESOURCE_BINDINGS, NAMESPACE, "web-deployment"))[2] == [
            {"name": "m1", "replicas": 2}
        ]
        m2 = db.get(CLUSTERS, "", "m2")
        await db.update(CLUSTERS, {**m2, "status": {**m2["status"], "apiEnablements": m1_apis()}}, subresource="status")  # fmt: skip
        await drained([db], queues)
        spread = db.get(RESOURCE_BINDINGS, NAMESPACE, "web-deployment")
        assert scheduled(spread) == ("True", "Success", [{"name": "m1", "replicas": 2}, {"name": "m2", "replicas": 2}])  # fmt: skip
        tasks.cancel_scope.cancel()


async def test_a_restarted_scheduler_writes_and_tells_nothing_about_converged_bindings(plane):
    db = plane.store
    await ready_cluster(db, "m1")
    await ready_cluster(db, "m2")
    for name, kind in (("dup", "Duplicated"), ("div", "Divided")):
        claiming = policy("PropagationPolicy", {"apiVersion": "apps/v1", "kind": "Deployment", "name": name})
        claiming["metadata"]["name"] = name
        claiming["spec"]["placement"] = {"replicaScheduling": {"replicaSchedulingType": kind}}
        await db.create(
            PROPAGATION_POLICIES, prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", claiming)
        )
        await db.create("deployments.apps", prepared("apps", "v1", "deployments", deployment(name)))
    queues = [plane.detector.templates, plane.detector.policies, plane.bindings.controller]
    for attempt in ("first", "restarted"):
        recorder = EventRecorder(db, "karmada-scheduler")
        scheduler = SchedulerController(db, REGISTRY, recorder, workers=1)
        async with anyio.create_task_group() as tasks:
            await tasks.start(recorder.run)
            await tasks.start(scheduler.run)
            await drained([db], [*queues, scheduler.controller])
            await recorder.write_pending()
            bindings = {b["metadata"]["name"]: b for b in db.list_all(RESOURCE_BINDINGS)}
            told = [e for e in db.list_all("events") if e["reason"] == "ScheduleBindingSucceed"]
            tasks.cancel_scope.cancel()
        if attempt == "first":
            assert {n: scheduled(b)[0] for n, b in bindings.items()} == {"dup-deployment": "True", "div-deployment": "True"}  # fmt: skip
            converged, told_before = bindings, len(told)
    assert told_before == 4  # each binding and its template, once
    assert len(told) == told_before, "a restart tells nothing new"
    assert {n: b["metadata"]["resourceVersion"] for n, b in bindings.items()} == {
        n: b["metadata"]["resourceVersion"] for n, b in converged.items()
    }, "a restart writes nothing to bindings"
