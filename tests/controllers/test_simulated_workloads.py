"""A simulated member's controllers over a store of their own: workloads get their Pods, Pods get nodes with
room for them (or kube-scheduler's reasons and Event), and statuses follow."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import anyio
import pytest

from karmadad.api import strategy
from karmadad.api.builtin import member_registry
from karmadad.config import SimulationConfig
from karmadad.controllers.garbage_collector import GarbageCollector
from karmadad.simulation import objects
from karmadad.simulation.workloads import WorkloadSimulator
from karmadad.store import Store
from karmadad.store.store import new_uid
from karmadad.store.watch import Query
from tests.store.conftest import store  # noqa: F401 - the fixture

pytestmark = pytest.mark.anyio

REGISTRY = member_registry()
SETTINGS = SimulationConfig(nodes=2, nodeCPU="2", nodeMemory="4Gi", nodePods=10, jobSeconds=0.2)


@dataclass
class Member:
    store: Store
    simulator: WorkloadSimulator

    async def create(self, obj: dict) -> dict:
        resource = REGISTRY.by_kind(obj["apiVersion"], obj["kind"])
        assert resource is not None, obj["kind"]
        uid = new_uid()  # a Job's selector is made from it
        prepared = strategy.prepare_create(resource, obj, uid=uid)
        return await self.store.create(resource.group_resource, prepared, uid=uid)

    def pods(self, **labels: str) -> list[dict]:
        pods = self.store.list(Query("pods", namespace="default")).items
        return [
            p for p in pods if all(p["metadata"].get("labels", {}).get(k) == v for k, v in labels.items())
        ]

    def find(self, resource: str, name: str) -> dict:
        found = self.store.find(resource, "default", name)
        assert found is not None, name
        return found


@pytest.fixture
async def member(store) -> AsyncIterator[Member]:  # noqa: F811 - the store fixture
    for index in range(1, SETTINGS.nodes + 1):
        await store.create(
            "nodes", objects.node_object("m", index, SETTINGS, "m-zone-a", "2026-01-01T00:00:00Z")
        )
    simulator = WorkloadSimulator(store, REGISTRY, "m", 1, SETTINGS)
    async with anyio.create_task_group() as tasks:
        await tasks.start(GarbageCollector(store, name="m-garbage-collector").run)
        await tasks.start(simulator.run)
        yield Member(store, simulator)
        tasks.cancel_scope.cancel()


async def eventually(check: Callable[[], object], within: float = 10.0) -> object:
    """Wait until ``check()`` holds (returns a true value without failing an assertion)."""
    last: object = None
    with anyio.fail_after(within):
        while True:
            try:
                if last := check():
                    return last
            except AssertionError as failed:
                last = failed
            await anyio.sleep(0.02)


def workload(kind: str, name: str, replicas: int | None = 2, cpu: str = "100m", **spec: object) -> dict:
    group = "batch/v1" if kind == "Job" else "apps/v1"
    container = {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}
    pod_spec: dict = {"containers": [container]}
    if kind == "Job":
        pod_spec["restartPolicy"] = "Never"
    body: dict = {"template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}, **spec}
    if kind != "Job":
        body["selector"] = {"matchLabels": {"app": name}}
    if replicas is not None and kind not in ("Job", "DaemonSet"):
        body["replicas"] = replicas
    return {
        "apiVersion": group,
        "kind": kind,
        "metadata": {"name": name, "namespace": "default"},
        "spec": body,
    }


def ready_pods(member: Member, app: str) -> list[dict]:
    return [p for p in member.pods(app=app) if objects.is_ready(p)]


async def test_a_deployment_gets_a_replicaset_and_ready_pods_spread_over_the_nodes(member: Member):
    await member.create(workload("Deployment", "web", replicas=4))
    status = await eventually(
        lambda: (
            (s := member.find("deployments.apps", "web").get("status")) and s.get("readyReplicas") == 4 and s
        )
    )
    assert isinstance(status, dict)
    assert status["availableReplicas"] == 4 and status["observedGeneration"] == 1
    (rs,) = member.store.list_all("replicasets.apps")
    assert rs["metadata"]["labels"]["pod-template-hash"] in rs["metadata"]["name"]
    assert rs["status"]["readyReplicas"] == 4
    nodes = sorted(p["spec"]["nodeName"] for p in member.pods(app="web"))
    assert nodes == ["m-node-1", "m-node-1", "m-node-2", "m-node-2"]
    assert all(p["status"]["podIP"] and p["status"]["hostIP"] for p in member.pods(app="web"))

    deployment = member.find("deployments.apps", "web")
    await member.store.update(
        "deployments.apps", {**deployment, "spec": {**deployment["spec"], "replicas": 1}}
    )
    await eventually(
        lambda: (
            len(member.pods(app="web")) == 1
            and member.find("deployments.apps", "web")["status"].get("replicas") == 1
        )
    )


async def test_a_new_template_replaces_the_old_replicaset(member: Member):
    await member.create(workload("Deployment", "web", replicas=2))
    await eventually(lambda: len(ready_pods(member, "web")) == 2)
    (old,) = member.store.list_all("replicasets.apps")
    deployment = member.find("deployments.apps", "web")
    template = deployment["spec"]["template"]
    changed = {**template, "metadata": {**template["metadata"], "annotations": {"rev": "2"}}}
    await member.store.update(
        "deployments.apps", {**deployment, "spec": {**deployment["spec"], "template": changed}}
    )
    await eventually(
        lambda: (
            [rs["metadata"]["name"] for rs in member.store.list_all("replicasets.apps")]
            not in ([], [old["metadata"]["name"]])
            and len(ready_pods(member, "web")) == 2
            and all(p["metadata"].get("annotations", {}).get("rev") == "2" for p in member.pods(app="web"))
        )
    )


async def test_pods_that_find_no_room_wait_with_kube_schedulers_reason_and_event(member: Member):
    # 2 nodes of 2 CPU: two 1500m replicas fit (one per node), the third does not
    await member.create(workload("StatefulSet", "db", replicas=3, cpu="1500m", serviceName="db"))
    pending = await eventually(lambda: member.find("pods", "db-2").get("status", {}).get("conditions"))
    assert pending == [
        {
            "type": "PodScheduled",
            "status": "False",
            "reason": "Unschedulable",
            "message": "0/2 nodes are available: 2 Insufficient cpu.",
            "lastProbeTime": None,
            "lastTransitionTime": pending[0]["lastTransitionTime"],  # type: ignore[index]
        }
    ]
    assert [objects.is_ready(member.find("pods", f"db-{i}")) for i in range(3)] == [True, True, False]
    assert member.find("pods", "db-0")["spec"]["hostname"] == "db-0"
    events = await eventually(
        lambda: [e for e in member.store.list_all("events") if e["reason"] == "FailedScheduling"]
    )
    assert events[0]["source"]["component"] == "default-scheduler"  # type: ignore[index]
    status = member.find("statefulsets.apps", "db")["status"]
    assert (status["replicas"], status["readyReplicas"], status["availableReplicas"]) == (3, 2, 2)

    sts = member.find("statefulsets.apps", "db")
    await member.store.update("statefulsets.apps", {**sts, "spec": {**sts["spec"], "replicas": 1}})
    await eventually(lambda: [p["metadata"]["name"] for p in member.pods(app="db")] == ["db-0"])


async def test_room_freed_by_a_deleted_pod_goes_to_a_waiting_one(member: Member):
    await member.create(workload("Deployment", "big", replicas=2, cpu="1500m"))
    await eventually(lambda: len(ready_pods(member, "big")) == 2)
    await member.create(workload("Deployment", "late", replicas=1, cpu="1500m"))
    await eventually(
        lambda: member.pods(app="late") and member.pods(app="late")[0]["status"].get("phase") == "Pending"
    )
    await member.store.delete("deployments.apps", "default", "big", propagation="Background")
    await eventually(lambda: len(ready_pods(member, "late")) == 1)


async def test_a_daemonset_runs_one_pod_per_selected_node(member: Member):
    await member.create(workload("DaemonSet", "agent"))
    await eventually(lambda: len(ready_pods(member, "agent")) == 2)
    assert sorted(p["spec"]["nodeName"] for p in member.pods(app="agent")) == ["m-node-1", "m-node-2"]
    status = await eventually(
        lambda: (
            (s := member.find("daemonsets.apps", "agent").get("status")) and s.get("numberReady") == 2 and s
        )
    )
    assert isinstance(status, dict) and status["desiredNumberScheduled"] == 2


async def test_a_job_completes_once_its_pods_have_succeeded(member: Member):
    await member.create(workload("Job", "pi", completions=2, parallelism=1))
    status = await eventually(
        lambda: (s := member.find("jobs.batch", "pi").get("status")) and s.get("conditions") and s
    )
    assert isinstance(status, dict)
    assert status["succeeded"] == 2 and [c["type"] for c in status["conditions"]] == [
        "SuccessCriteriaMet",
        "Complete",
    ]
    assert sorted(p["status"]["phase"] for p in member.pods(**{"job-name": "pi"})) == [
        "Succeeded",
        "Succeeded",
    ]
