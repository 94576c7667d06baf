"""The controllers of a simulated cluster: what kube-controller-manager, kube-scheduler and the kubelet do
with the workloads karmadad puts there, written into the member's own store.

One work queue takes keys ``(resource, namespace, name)``:

- a Deployment keeps one ReplicaSet per pod template (the current one scaled to its replicas, older ones
  removed: a rollout is immediate) and reports status from their Pods;
- a ReplicaSet, StatefulSet, DaemonSet or Job keeps its Pods (StatefulSet Pods by ordinal, one DaemonSet Pod
  per node it selects, Job Pods up to its parallelism until its completions have succeeded) and reports
  status;
- a Pod without a node is placed (:func:`karmadad.simulation.scheduling.place`) or marked Unschedulable
  with kube-scheduler's reasons; a placed one starts and becomes ready at once; a Job's Pod succeeds after
  ``jobSeconds``.

What each node has given away is kept as an index of the store's Pod changes, current before a write is
acknowledged, so two Pods placed one after the other never both take the last room on a node.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from typing import Any

import anyio
from anyio.abc import TaskStatus

from karmadad.api import strategy
from karmadad.api.registry import Registry
from karmadad.config import SimulationConfig
from karmadad.errors import AlreadyExists, Conflict, NotFound
from karmadad.events import NORMAL, WARNING, EventRecorder
from karmadad.failover.eviction import parse_time
from karmadad.runtime.controller import Controller
from karmadad.simulation import objects
from karmadad.simulation.scheduling import NodeRoom, place, requests_of, selects
from karmadad.store.changes import Change
from karmadad.store.store import Store, now_timestamp

Key = tuple[str, str, str]  # (resource, namespace, name)

PODS, NODES = "pods", "nodes"
DEPLOYMENTS, REPLICASETS = "deployments.apps", "replicasets.apps"
STATEFULSETS, DAEMONSETS, JOBS = "statefulsets.apps", "daemonsets.apps", "jobs.batch"
_OWNER_RESOURCES = {
    "ReplicaSet": REPLICASETS,
    "StatefulSet": STATEFULSETS,
    "DaemonSet": DAEMONSETS,
    "Job": JOBS,
    "Deployment": DEPLOYMENTS,
}
WATCHED = (PODS, NODES, DEPLOYMENTS, REPLICASETS, STATEFULSETS, DAEMONSETS, JOBS)
# Who records what, as in a real cluster: the scheduler places Pods, each workload's controller makes them.
SCHEDULER = "default-scheduler"
_MAKERS = {
    DEPLOYMENTS: "deployment-controller",
    REPLICASETS: "replicaset-controller",
    STATEFULSETS: "statefulset-controller",
    DAEMONSETS: "daemonset-controller",
    JOBS: "job-controller",
}


def _controller_of(obj: dict) -> tuple[str, str] | None:
    """(kind, name) of the object's controlling owner."""
    for owner in obj["metadata"].get("ownerReferences") or ():
        if owner.get("controller"):
            return owner.get("kind", ""), owner.get("name", "")
    return None


def _kind_word(resource: str) -> str:
    return "pod" if resource == PODS else "replica set"


def _random_suffix() -> str:
    return "".join(secrets.choice(objects.NAME_LETTERS) for _ in range(5))


class WorkloadSimulator:
    def __init__(
        self, store: Store, registry: Registry, cluster: str, index: int, settings: SimulationConfig
    ):
        self.store = store
        self.cluster = cluster
        self.settings = settings
        self._types = {  # what the simulator itself creates
            PODS: registry.require("", "v1", "pods"),
            REPLICASETS: registry.require("apps", "v1", "replicasets"),
        }
        self._pod_network = f"10.{100 + index % 150}"
        self._next_ip = 0
        self._placed: dict[tuple[str, str], tuple[str, dict[str, float]]] = {}  # pod -> (node, takes)
        self._used: dict[str, dict[str, float]] = {}  # node -> what its pods take
        self._pending: set[tuple[str, str]] = set()  # pods no node had room for
        self.controller: Controller[Key] = Controller(f"simulated-{cluster}", self.reconcile)
        self.events = {
            component: EventRecorder(store, component) for component in (SCHEDULER, *_MAKERS.values())
        }
        store.subscribe_index(self._account, resources=[PODS])
        store.subscribe(self._on_change, resources=WATCHED)

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        for resource in WATCHED:
            for obj in self.store.list_all(resource):
                if resource == PODS:
                    self._account_pod(obj["metadata"].get("namespace", ""), obj["metadata"]["name"], obj)
                self._queue(resource, obj)
        async with anyio.create_task_group() as tasks:
            for recorder in self.events.values():
                await tasks.start(recorder.run)
            await tasks.start(self.controller.run)
            task_status.started()

    # -- what the nodes have given away ------------------------------------------------------------

    def _account(self, change: Change) -> None:
        self._account_pod(change.namespace, change.name, None if change.type == "DELETED" else change.object)

    def _account_pod(self, namespace: str, name: str, pod: dict | None) -> None:
        key = (namespace, name)
        if (held := self._placed.pop(key, None)) is not None:
            used = self._used[held[0]]
            for resource, amount in held[1].items():
                used[resource] -= amount
        if pod is None or objects.is_finished(pod):
            return
        node = (pod.get("spec") or {}).get("nodeName")
        if not node:
            return
        takes = requests_of(pod.get("spec") or {})
        self._placed[key] = (node, takes)
        used = self._used.setdefault(node, {})
        for resource, amount in takes.items():
            used[resource] = used.get(resource, 0.0) + amount

    # -- what to look at -------------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.type != "DELETED":
            self._queue(change.resource, change.object)
        elif (owner := _controller_of(change.object)) is not None:
            self._queue_owner(change.namespace, owner)
        if change.resource == PODS and (change.type == "DELETED" or objects.is_finished(change.object)):
            self._retry_pending()  # room was freed
        elif change.resource == NODES:
            self._retry_pending()
            for ds in self.store.list_all(DAEMONSETS):
                self._queue(DAEMONSETS, ds)

    def _queue(self, resource: str, obj: dict) -> None:
        meta = obj["metadata"]
        if resource != NODES:
            self.controller.enqueue((resource, meta.get("namespace", ""), meta["name"]))
        if resource in (PODS, REPLICASETS) and (owner := _controller_of(obj)) is not None:
            self._queue_owner(meta.get("namespace", ""), owner)

    def _queue_owner(self, namespace: str, owner: tuple[str, str]) -> None:
        kind, name = owner
        if (resource := _OWNER_RESOURCES.get(kind)) is not None:
            self.controller.enqueue((resource, namespace, name))

    def _retry_pending(self) -> None:
        for namespace, name in self._pending:
            self.controller.enqueue((PODS, namespace, name))

    # -- reconciling -------------------------------------------------------------------------------------

    async def reconcile(self, key: Key) -> float | None:
        resource, namespace, name = key
        obj = self.store.find(resource, namespace, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            self._pending.discard((namespace, name))
            return None
        if resource == PODS:
            return await self._pod(obj)
        if resource == DEPLOYMENTS:
            await self._deployment(obj)
        elif resource == REPLICASETS:
            await self._replicaset(obj)
        elif resource == STATEFULSETS:
            await self._statefulset(obj)
        elif resource == DAEMONSETS:
            await self._daemonset(obj)
        elif resource == JOBS:
            await self._job(obj)
        return None

    def _nodes(self) -> list[NodeRoom]:
        return [objects.node_room(node) for node in self.store.list_all(NODES)]

    def _owned(self, owner: dict, resource: str) -> list[dict]:
        return [
            obj
            for kind, obj in self.store.dependents(owner["metadata"]["uid"])
            if kind == resource and not obj["metadata"].get("deletionTimestamp")
        ]

    async def _create(self, owner: dict, resource: str, obj: dict) -> None:
        """Make ``obj`` for ``owner``, and say so in an Event about the owner, as its controller does."""
        with contextlib.suppress(AlreadyExists):  # made by an earlier pass: the next look counts it
            await self.store.create(resource, strategy.prepare_create(self._types[resource], obj))
            self._said(
                owner, "SuccessfulCreate", f"Created {_kind_word(resource)}: {obj['metadata']['name']}"
            )

    async def _delete(self, owner: dict, resource: str, obj: dict) -> None:
        with contextlib.suppress(NotFound):
            meta = obj["metadata"]
            await self.store.delete(
                resource, meta.get("namespace", ""), meta["name"], propagation="Background"
            )
            self._said(owner, "SuccessfulDelete", f"Deleted {_kind_word(resource)}: {meta['name']}")

    def _said(self, owner: dict, reason: str, message: str) -> None:
        """A Normal Event about a workload, from its controller."""
        self.events[_MAKERS[_OWNER_RESOURCES[owner["kind"]]]].event(owner, NORMAL, reason, message)

    async def _report(self, resource: str, obj: dict, status: dict) -> None:
        if obj.get("status") != status:
            await self.store.update(resource, {**obj, "status": status}, subresource="status")

    async def _keep_pods(self, owner: dict, wanted: int, make: Iterator[dict]) -> list[dict]:
        """Start or remove Pods of ``owner`` until ``wanted`` are alive (the unready and newest go first);
        returns the owner's Pods."""
        pods = self._owned(owner, PODS)
        live = [p for p in pods if not objects.is_finished(p)]
        for _ in range(wanted - len(live)):
            await self._create(owner, PODS, next(make))
        if len(live) > wanted:
            live.sort(key=lambda p: (objects.is_ready(p), p["metadata"].get("creationTimestamp", "")))
            for pod in live[: len(live) - wanted]:
                await self._delete(owner, PODS, pod)
        return self._owned(owner, PODS)

    def _pods_from(self, owner: dict, template: dict, **extra: Any) -> Iterator[dict]:
        while True:
            yield objects.from_template(
                owner, template, f"{owner['metadata']['name']}-{_random_suffix()}", **extra
            )

    async def _deployment(self, deployment: dict) -> None:
        spec = deployment.get("spec") or {}
        template = spec.get("template") or {}
        hash_ = objects.short_hash(template)
        name = f"{deployment['metadata']['name']}-{hash_}"
        wanted = int(spec.get("replicas", 1))
        current = None
        for rs in self._owned(deployment, REPLICASETS):
            if rs["metadata"]["name"] != name:
                await self._delete(deployment, REPLICASETS, rs)
            else:
                current = rs
        if current is None:
            labels = {"pod-template-hash": hash_}
            selector = spec.get("selector") or {}
            rs = objects.from_template(
                deployment,
                {"metadata": template.get("metadata") or {}, "spec": {}},
                name,
                labels=labels,
                spec={
                    "replicas": wanted,
                    "selector": {
                        **selector,
                        "matchLabels": {**(selector.get("matchLabels") or {}), **labels},
                    },
                    "template": {
                        **template,
                        "metadata": {
                            **(template.get("metadata") or {}),
                            "labels": {**((template.get("metadata") or {}).get("labels") or {}), **labels},
                        },
                    },
                },
            )
            rs["metadata"]["annotations"] = {"deployment.kubernetes.io/revision": "1"}
            await self._create(deployment, REPLICASETS, rs)
            current = self.store.find(REPLICASETS, deployment["metadata"]["namespace"], name)
        elif int((current.get("spec") or {}).get("replicas", 0)) != wanted:
            current = await self.store.update(
                REPLICASETS, {**current, "spec": {**current["spec"], "replicas": wanted}}
            )
        pods = [pod for rs in self._owned(deployment, REPLICASETS) for pod in self._owned(rs, PODS)]
        await self._report(
            DEPLOYMENTS, deployment, objects.deployment_status(deployment, current, pods, now_timestamp())
        )

    async def _replicaset(self, rs: dict) -> None:
        spec = rs.get("spec") or {}
        pods = await self._keep_pods(
            rs, int(spec.get("replicas", 1)), self._pods_from(rs, spec.get("template") or {})
        )
        await self._report(REPLICASETS, rs, objects.replicaset_status(rs, pods))

    async def _statefulset(self, sts: dict) -> None:
        spec = sts.get("spec") or {}
        template, name = spec.get("template") or {}, sts["metadata"]["name"]
        revision = f"{name}-{objects.short_hash(template)}"
        wanted = int(spec.get("replicas", 1))
        pods = {p["metadata"]["name"]: p for p in self._owned(sts, PODS)}
        for ordinal in range(wanted):
            pod_name = f"{name}-{ordinal}"
            pod = pods.pop(pod_name, None)
            if (
                pod is not None
                and (pod["metadata"].get("labels") or {}).get("controller-revision-hash") == revision
            ):
                continue
            if pod is not None:
                await self._delete(sts, PODS, pod)  # an older revision: replaced by the next pass
                continue
            labels = {
                "controller-revision-hash": revision,
                "statefulset.kubernetes.io/pod-name": pod_name,
                "apps.kubernetes.io/pod-index": str(ordinal),
            }
            extra = {
                "hostname": pod_name,
                **({"subdomain": spec["serviceName"]} if spec.get("serviceName") else {}),
            }
            await self._create(
                sts, PODS, objects.from_template(sts, template, pod_name, labels=labels, spec=extra)
            )
        for pod in pods.values():  # ordinals beyond the replicas
            await self._delete(sts, PODS, pod)
        await self._report(
            STATEFULSETS, sts, objects.statefulset_status(sts, self._owned(sts, PODS), revision)
        )

    async def _daemonset(self, ds: dict) -> None:
        template = (ds.get("spec") or {}).get("template") or {}
        nodes = self._nodes()
        targets = {n.name for n in nodes if selects(template.get("spec") or {}, n)}
        pods = self._owned(ds, PODS)
        have = {(p.get("spec") or {}).get("nodeName") for p in pods}
        for node in sorted(targets - have):
            pod = objects.from_template(
                ds, template, f"{ds['metadata']['name']}-{_random_suffix()}", spec={"nodeName": node}
            )
            await self._create(ds, PODS, pod)
        for pod in pods:
            if (pod.get("spec") or {}).get("nodeName") not in targets:
                await self._delete(ds, PODS, pod)
        await self._report(DAEMONSETS, ds, objects.daemonset_status(ds, len(targets), self._owned(ds, PODS)))

    async def _job(self, job: dict) -> None:
        template = (job.get("spec") or {}).get("template") or {}
        pods = self._owned(job, PODS)
        if not any(c.get("type") == "Complete" for c in (job.get("status") or {}).get("conditions") or ()):
            make = self._pods_from(job, template)
            for _ in range(objects.wanted_pods(job, pods)):
                await self._create(job, PODS, next(make))
            pods = self._owned(job, PODS)
        await self._report(JOBS, job, objects.job_status(job, pods, now_timestamp()))

    async def _pod(self, pod: dict) -> float | None:
        key = (pod["metadata"].get("namespace", ""), pod["metadata"]["name"])
        if objects.is_finished(pod):
            return None
        spec = pod.get("spec") or {}
        now = now_timestamp()
        if not spec.get("nodeName"):
            nodes = self._nodes()
            placement = place(spec, nodes, self._used)
            if placement.node is None:
                self._pending.add(key)
                self.events[SCHEDULER].event(pod, WARNING, "FailedScheduling", placement.reason)
                await self._report(PODS, pod, objects.unschedulable(pod, placement.reason, now))
                return None
            self._pending.discard(key)
            self.events[SCHEDULER].event(
                pod, NORMAL, "Scheduled", f"Successfully assigned {key[0]}/{key[1]} to {placement.node}"
            )
            pod = {**pod, "spec": {**spec, "nodeName": placement.node}}
        if not objects.is_ready(pod):
            node = self.store.find(NODES, "", pod["spec"]["nodeName"])
            host_ip = next(
                (
                    a["address"]
                    for a in ((node or {}).get("status") or {}).get("addresses") or ()
                    if a.get("type") == "InternalIP"
                ),
                "",
            )
            pod = await self.store.update(
                PODS, {**pod, "status": objects.running(pod, host_ip, self._pod_ip(), now)}
            )
        if (_controller_of(pod) or ("",))[0] != "Job":
            return None
        started = parse_time((pod.get("status") or {}).get("startTime") or now) or time.time()
        left = started + self.settings.jobSeconds - time.time()
        if left > 0:
            return left
        with contextlib.suppress(Conflict):
            await self.store.update(
                PODS, {**pod, "status": objects.succeeded(pod, now)}, subresource="status"
            )
        return None

    def _pod_ip(self) -> str:
        self._next_ip += 1
        return f"{self._pod_network}.{self._next_ip // 254 % 256}.{self._next_ip % 254 + 1}"
