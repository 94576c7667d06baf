"""ClusterTaintPolicies at work: each Cluster's taints follow its status conditions.

A Cluster is looked at when it appears or its conditions change, and every Cluster when a policy appears or
its spec changes; the decision is :func:`karmadad.failover.taint_policies.policy_taints`. A changed set of
taints is written to the Cluster's spec with Karmada's ``TaintClusterSucceed`` Event (``TaintClusterFailed``
when the write fails). Runs only with the Failover feature gate, as in Karmada.
"""

from __future__ import annotations

import anyio

from karmadad.api.karmada.resources import CLUSTER_TAINT_POLICIES, CLUSTERS
from karmadad.controllers.cluster_snapshots import ClusterSnapshots
from karmadad.events import EventRecorder
from karmadad.failover.taint_policies import policy_taints
from karmadad.logs import describe_object
from karmadad.runtime.controller import Controller
from karmadad.store import Change, Store
from karmadad.store.store import now_timestamp


def taints_message(taints: list[dict]) -> str:
    """The taints as Karmada's Events list them."""
    if not taints:
        return "cluster now does not have taints"
    parts = []
    for taint in taints:
        value = f"Value:{taint['value']}," if taint.get("value") else ""
        parts.append(f"{{Key:{taint.get('key', '')},{value}Effect:{taint.get('effect', '')}}}")
    return ",".join(parts)


class ClusterTaintPolicies:
    def __init__(self, store: Store, recorder: EventRecorder, snapshots: ClusterSnapshots):
        self.store = store
        self.recorder = recorder
        self.snapshots = snapshots
        self.controller: Controller[str] = Controller(
            "cluster-taint-policy", self.reconcile, describe=lambda name: describe_object("Cluster", "", name)
        )
        store.subscribe(self._on_change, resources=[CLUSTERS, CLUSTER_TAINT_POLICIES])

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        self._every_cluster()
        await self.controller.run(task_status=task_status)

    def _every_cluster(self) -> None:
        for cluster in self.store.list_all(CLUSTERS):
            self.controller.queue.add(cluster["metadata"]["name"])

    def _on_change(self, change: Change) -> None:
        if change.type == "DELETED":
            return  # taints stay when a policy goes; a deleted cluster has nothing left to taint
        if change.resource == CLUSTERS:
            before = ((change.previous or {}).get("status") or {}).get("conditions")
            if change.type == "ADDED" or before != (change.object.get("status") or {}).get("conditions"):
                self.controller.queue.add(change.name)
        elif change.type == "ADDED" or (change.previous or {}).get("spec") != change.object.get("spec"):
            self._every_cluster()

    async def reconcile(self, name: str) -> None:
        cluster = self.store.find(CLUSTERS, "", name)
        snapshot = self.snapshots.get(name)
        if cluster is None or snapshot is None or cluster["metadata"].get("deletionTimestamp"):
            return
        current = (cluster.get("spec") or {}).get("taints") or []
        taints = policy_taints(
            cluster, snapshot, self.store.list_all(CLUSTER_TAINT_POLICIES), now_timestamp()
        )
        if taints == current:
            return
        spec = {**(cluster.get("spec") or {}), "taints": taints}
        if not taints:
            spec.pop("taints")
        try:
            await self.store.update(CLUSTERS, {**cluster, "spec": spec})
        except Exception as error:
            self.recorder.event(cluster, "Warning", "TaintClusterFailed", str(error))
            raise
        message = f"Update Cluster({name}) with taints({taints_message(taints)}) succeed"
        self.recorder.event(cluster, "Normal", "TaintClusterSucceed", message)
