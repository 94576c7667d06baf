"""schedulePriority under Karmada's PriorityBasedScheduling gate: a binding carries the value of its
policy's PriorityClass, waits (ApplyPolicyFailed, no binding) while the class does not exist, and
bindings waiting for the scheduler are taken highest priority first. In process, over a store, with one
scheduler worker so that waiting is visible."""

from __future__ import annotations

import anyio
import pytest

from karmadad.api.karmada.resources import PROPAGATION_POLICIES, RESOURCE_BINDINGS
from karmadad.controllers.detector import Detector
from karmadad.controllers.scheduler import SchedulerController
from karmadad.events import EventRecorder
from karmadad.propagation.claims import binding_name
from karmadad.store import Change
from tests.controllers.objects import NAMESPACE, REGISTRY, deployment, events_about, prepared, ready_cluster
from tests.store.test_store_gc import eventually

pytestmark = pytest.mark.anyio
PRIORITY_CLASSES = "priorityclasses.scheduling.k8s.io"


def priority_class(name: str, value: int) -> dict:
    return prepared("scheduling.k8s.io", "v1", "priorityclasses", {
        "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": value,
    })  # fmt: skip


def prioritised_policy(name: str, template: str, priority_class_name: str) -> dict:
    return prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": template}],
            "placement": {"clusterAffinity": {"clusterNames": ["m1"]}},
            "schedulePriority": {"priorityClassSource": "KubePriorityClass", "priorityClassName": priority_class_name},
        },
    })  # fmt: skip


@pytest.mark.parametrize("by_priority", [True, False])
async def test_waiting_bindings_are_scheduled_highest_priority_first(store, by_priority):
    await store.create("namespaces", prepared("", "v1", "namespaces", {"metadata": {"name": NAMESPACE}}))
    await ready_cluster(store, "m1")
    await store.create(PRIORITY_CLASSES, priority_class("low", 10))
    await store.create(PRIORITY_CLASSES, priority_class("high", 1000))
    for name, klass in (("first", "low"), ("second", "low"), ("urgent", "high")):
        await store.create(PROPAGATION_POLICIES, prioritised_policy(name, name, klass))
    recorder = EventRecorder(store, "karmada-controller-manager")
    detector = Detector(store, REGISTRY, recorder, workers=1, priorities=True)
    scheduled: list[str] = []

    def on_change(change: Change) -> None:
        status = change.object.get("status") or {}
        if (
            change.resource == RESOURCE_BINDINGS
            and "lastScheduledTime" in status
            and change.name not in scheduled
        ):
            scheduled.append(change.name)

    store.subscribe(on_change)
    async with anyio.create_task_group() as tasks:
        await tasks.start(recorder.run)
        await tasks.start(detector.run)
        for name in ("first", "second", "urgent"):  # created in this order: the lowest first
            await store.create("deployments.apps", prepared("apps", "v1", "deployments", deployment(name)))
            await eventually(
                lambda name=name: store.find(RESOURCE_BINDINGS, NAMESPACE, binding_name("Deployment", name))
            )
        bindings = {b["metadata"]["name"]: b for b in store.list_all(RESOURCE_BINDINGS)}
        assert {n: b["spec"]["schedulePriority"] for n, b in bindings.items()} == {
            "first-deployment": {"priority": 10},
            "second-deployment": {"priority": 10},
            "urgent-deployment": {"priority": 1000},
        }
        # the three wait for a scheduler that starts now, with one worker
        scheduler = SchedulerController(store, REGISTRY, recorder, workers=1, by_priority=by_priority)
        await tasks.start(scheduler.run)
        await eventually(lambda: len(scheduled) == 3)
        tasks.cancel_scope.cancel()
    if by_priority:
        assert scheduled == ["urgent-deployment", "first-deployment", "second-deployment"]
    else:
        assert scheduled == ["first-deployment", "second-deployment", "urgent-deployment"]


async def test_a_missing_priority_class_holds_the_binding_back_until_it_exists(store):
    await store.create("namespaces", prepared("", "v1", "namespaces", {"metadata": {"name": NAMESPACE}}))
    await store.create(PROPAGATION_POLICIES, prioritised_policy("pp", "web", "later"))
    recorder = EventRecorder(store, "karmada-controller-manager")
    detector = Detector(store, REGISTRY, recorder, workers=1, priorities=True)
    binding = binding_name("Deployment", "web")
    async with anyio.create_task_group() as tasks:
        await tasks.start(recorder.run)
        await tasks.start(detector.run)
        template = await store.create(
            "deployments.apps", prepared("apps", "v1", "deployments", deployment("web"))
        )
        [failed] = await eventually(lambda: events_about(store, template, "ApplyPolicyFailed"))
        assert (failed["type"], failed["message"]) == (
            "Warning", f'Apply policy({NAMESPACE}/pp) failed: PriorityClass.scheduling.k8s.io "later" not found',
        )  # fmt: skip
        assert store.find(RESOURCE_BINDINGS, NAMESPACE, binding) is None
        await anyio.sleep(0.5)  # backing off now: seconds apart, then minutes
        await store.create(PRIORITY_CLASSES, priority_class("later", 7))
        # the class's creation brings the template back at once, not at its next backoff
        with anyio.fail_after(2):
            created = await eventually(lambda: store.find(RESOURCE_BINDINGS, NAMESPACE, binding))
        assert created["spec"]["schedulePriority"] == {"priority": 7}
        tasks.cancel_scope.cancel()


async def test_without_the_gate_the_policys_priority_class_is_not_read(store):
    await store.create("namespaces", prepared("", "v1", "namespaces", {"metadata": {"name": NAMESPACE}}))
    await store.create(PROPAGATION_POLICIES, prioritised_policy("pp", "web", "absent"))
    recorder = EventRecorder(store, "karmada-controller-manager")
    detector = Detector(store, REGISTRY, recorder, workers=1)
    async with anyio.create_task_group() as tasks:
        await tasks.start(recorder.run)
        await tasks.start(detector.run)
        await store.create("deployments.apps", prepared("apps", "v1", "deployments", deployment("web")))
        created = await eventually(
            lambda: store.find(RESOURCE_BINDINGS, NAMESPACE, binding_name("Deployment", "web"))
        )
        assert "schedulePriority" not in created["spec"]
        tasks.cancel_scope.cancel()
