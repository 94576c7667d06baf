"""The taint manager: bindings leave clusters whose NoExecute taints they do not tolerate (Karmada's
``NoExecuteTaintManager``), only when the operator turned it on (``featureGates.Failover`` and
``failover.enableNoExecuteTaintEviction``).

Each Cluster with NoExecute taints is looked at when its taints or readiness change and every
:data:`RETRY_SECONDS` while they stay; each binding placed on it is queued for eviction now, or for when its
``tolerationSeconds`` run out (:func:`karmadad.failover.eviction.eviction_verdict`). The eviction queue is
paced at ``failover.resourceEvictionRate`` per second; an eviction takes the cluster out of
``spec.clusters`` and records a graceful eviction task (producer ``TaintManager``, reason
``TaintUntolerated``), so the scheduler places the replicas elsewhere while the old copy keeps serving.

Beyond Karmada: while more than ``failover.maxNotReadyShare`` of the clusters is NotReady, nothing is evicted
— most clusters failing at once more likely means this daemon lost its network. The tainted Clusters say so
and each binding that would have been evicted say so in an ``EvictionsHalted`` condition and an Event.
Beyond Karmada, each eviction is told in a ``TaintUntolerated`` Event on the binding and its template (Karmada
tells only failures, and the end of the eviction), so ``kubectl describe`` shows why a workload moved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio

from karmadad import metrics
from karmadad.api.conditions import condition, is_true, with_condition
from karmadad.api.karmada.resources import BINDINGS, CLUSTER_RESOURCE_BINDINGS, CLUSTERS, RESOURCE_BINDINGS
from karmadad.config import FailoverConfig
from karmadad.events import EventRecorder
from karmadad.failover.application import StateNotCollected, preserved_state
from karmadad.failover.eviction import (
    PRODUCER_TAINT_MANAGER,
    REASON_TAINT_UNTOLERATED,
    applied_placement,
    evicted_spec,
    eviction_message,
    eviction_verdict,
    evictions_halted,
    format_time,
    no_execute_taints,
    purge_mode,
)
from karmadad.logs import describe_object, get_logger
from karmadad.runtime.controller import Controller, Requeue
from karmadad.runtime.failures import is_race
from karmadad.store import Change, Store

log = get_logger("taint-manager")

RETRY_SECONDS = 10.0  # Karmada's ClusterTaintEvictionRetryFrequency
STATE_RETRY_SECONDS = 5.0  # how soon to try again when the state to preserve is not collected yet
CONDITION_HALTED = "EvictionsHalted"
CLUSTER_HALTED = (
    "more than {share} of the clusters are NotReady at once: no workload is evicted until enough of them "
    "are Ready again"
)
BINDING_HALTED = (
    "not evicted: more than {share} of the clusters are NotReady at once (see the Clusters' EvictionsHalted "
    "condition)"
)
KINDS = {RESOURCE_BINDINGS: "ResourceBinding", CLUSTER_RESOURCE_BINDINGS: "ClusterResourceBinding"}
EvictionKey = tuple[str, str, str, str]  # (binding resource, namespace, name, cluster)


def _describe_eviction(key: EvictionKey) -> str:
    """An eviction's key as logs name it: ``ResourceBinding shop/web-deployment from member1``."""
    resource, namespace, name, cluster = key
    return f"{describe_object(KINDS[resource], namespace, name)} from {cluster}"


def _targets(binding: dict) -> set[str]:
    return {t.get("name") for t in (binding.get("spec") or {}).get("clusters") or ()}


class Pacer:
    """At most ``rate`` passes per second, one at a time (burst 1), as Karmada paces its eviction queue."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic):
        self.interval = 1.0 / rate
        self.clock = clock
        self._next = 0.0

    async def wait(self) -> None:
        now = self.clock()
        start = max(now, self._next)
        self._next = start + self.interval
        await anyio.sleep(start - now)


class TaintManager:
    def __init__(
        self,
        store: Store,
        recorder: EventRecorder,
        settings: FailoverConfig,
        *,
        stateful: bool = False,
        clock: Callable[[], float] = time.time,
    ):
        """``stateful``: the StatefulFailoverInjection gate (``failover.cluster.statePreservation`` is
        honoured)."""
        self.store = store
        self.recorder = recorder
        self.settings = settings
        self.stateful = stateful
        self.clock = clock
        self.pacer = Pacer(settings.resourceEvictionRate)
        self.clusters: Controller[str] = Controller(
            "taint-manager", self.sync_cluster, describe=lambda name: describe_object("Cluster", "", name)
        )
        self.evictions: Controller[EvictionKey] = Controller(
            "binding-eviction", self.evict, describe=_describe_eviction
        )
        self._queued: set[EvictionKey] = set()  # for eviction_kind_total
        store.subscribe(self._on_change, resources=[CLUSTERS])

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        for cluster in self.store.list_all(CLUSTERS):
            self.clusters.queue.add(cluster["metadata"]["name"])
        async with anyio.create_task_group() as tasks:
            await tasks.start(self.clusters.run)
            await tasks.start(self.evictions.run)
            task_status.started()

    def _on_change(self, change: Change) -> None:
        if change.type == "DELETED":
            return
        before = change.previous or {}
        if change.type == "ADDED" or is_true(before, "Ready") != is_true(change.object, "Ready"):
            for cluster in self.store.list_all(CLUSTERS):  # the share of NotReady clusters changed
                if no_execute_taints(cluster):
                    self.clusters.queue.add(cluster["metadata"]["name"])
        elif no_execute_taints(before) != no_execute_taints(change.object):
            self.clusters.queue.add(change.name)

    # -- clusters ---------------------------------------------------------------------------------

    async def sync_cluster(self, name: str) -> float | None:
        cluster = self.store.find(CLUSTERS, "", name)
        if cluster is None:
            return None
        taints = no_execute_taints(cluster)
        halted = bool(taints) and evictions_halted(
            self.store.list_all(CLUSTERS), self.settings.maxNotReadyShare
        )
        metrics.EVICTIONS_HALTED.set(1 if halted else 0)
        await self._say_halted(CLUSTERS, cluster, halted, CLUSTER_HALTED)
        now = self.clock()
        for resource in BINDINGS:
            for binding in self.store.list_all(resource):
                if name not in _targets(binding) or binding["metadata"].get("deletionTimestamp"):
                    continue
                meta = binding["metadata"]
                verdict = eviction_verdict(taints, applied_placement(binding), now)
                await self._say_halted(resource, binding, halted and verdict.evict, BINDING_HALTED)
                key = (resource, meta.get("namespace", ""), meta["name"], name)
                if halted:
                    continue
                if verdict.evict:
                    self._queue(key)
                elif verdict.after is not None:
                    self._queue(key, after=verdict.after)
        return RETRY_SECONDS if taints else None

    def _queue(self, key: EvictionKey, *, after: float = 0.0) -> None:
        if key not in self._queued:
            self._queued.add(key)
            metrics.EVICTION_KIND_TOTAL.labels(key[3], KINDS[key[0]]).inc()
        if after:
            self.evictions.queue.add_after(key, after)
        else:
            self.evictions.queue.add(key)
        metrics.EVICTION_QUEUE_DEPTH.labels("binding-eviction").set(len(self.evictions.queue))

    async def _say_halted(self, resource: str, obj: dict, halted: bool, message: str) -> None:
        """Put the brake's ``EvictionsHalted`` condition on a Cluster or binding, with an Event, when
        evictions stop; take it off when they go on."""
        status = obj.get("status") or {}
        conditions = status.get("conditions") or []
        present = any(c.get("type") == CONDITION_HALTED for c in conditions)
        if halted == present:
            return
        if halted:
            share = f"{self.settings.maxNotReadyShare:.0%}"
            message = message.format(share=share)
            halt = condition(conditions, CONDITION_HALTED, True, "TooManyClustersNotReady", message)
            updated = with_condition(conditions, halt)
        else:
            updated = [c for c in conditions if c.get("type") != CONDITION_HALTED]
        await self.store.update(
            resource, {**obj, "status": {**status, "conditions": updated}}, subresource="status"
        )
        if halted and resource == CLUSTERS:
            self.recorder.event(obj, "Warning", CONDITION_HALTED, message)
        elif halted:
            self.recorder.binding_event(obj, "Warning", CONDITION_HALTED, message)

    # -- bindings ---------------------------------------------------------------------------------

    async def evict(self, key: EvictionKey) -> float | None:
        resource, namespace, name, cluster_name = key
        if key in self._queued:
            self._queued.discard(key)
            metrics.EVICTION_KIND_TOTAL.labels(cluster_name, KINDS[resource]).dec()
        started = time.monotonic()
        metrics.EVICTION_QUEUE_DEPTH.labels("binding-eviction").set(len(self.evictions.queue))
        try:
            return await self._evict(resource, namespace, name, cluster_name)
        except Exception:
            metrics.EVICTION_PROCESSING_TOTAL.labels("binding-eviction", "error").inc()
            raise
        finally:
            metrics.EVICTION_PROCESSING_LATENCY.labels("binding-eviction").observe(time.monotonic() - started)

    async def _evict(self, resource: str, namespace: str, name: str, cluster_name: str) -> float | None:
        cluster = self.store.find(CLUSTERS, "", cluster_name)
        binding = self.store.find(resource, namespace, name)
        if cluster is None or binding is None or binding["metadata"].get("deletionTimestamp"):
            return None
        if cluster_name not in _targets(binding):
            return None
        if evictions_halted(self.store.list_all(CLUSTERS), self.settings.maxNotReadyShare):
            return None  # the cluster's sync tells why and queues it again once the brake is off
        verdict = eviction_verdict(no_execute_taints(cluster), applied_placement(binding), self.clock())
        if not verdict.evict:
            return verdict.after
        await self.pacer.wait()
        binding = self.store.find(resource, namespace, name)  # read again: the pace may have taken a while
        if binding is None or cluster_name not in _targets(binding):
            return None
        spec = binding.get("spec") or {}
        task: dict[str, Any] = {
            "purgeMode": purge_mode(spec.get("failover"), self.settings.noExecuteTaintEvictionPurgeMode),
            "reason": REASON_TAINT_UNTOLERATED,
            "producer": PRODUCER_TAINT_MANAGER,
            "creationTimestamp": format_time(self.clock()),
        }
        rules = ((((spec.get("failover") or {}).get("cluster") or {}).get("statePreservation")) or {}).get(
            "rules"
        )
        if self.stateful and rules:
            try:
                task["preservedLabelState"] = preserved_state(rules, binding, cluster_name)
            except StateNotCollected as waiting:
                raise Requeue(f"{cluster_name}: {waiting}", after=STATE_RETRY_SECONDS) from None
        try:
            await self.store.update(resource, {**binding, "spec": evicted_spec(spec, cluster_name, task)})
        except Exception as error:
            if is_race(error):
                raise  # another writer was first: read again and retried quietly
            self.recorder.binding_event(
                binding,
                "Warning",
                "EvictWorkloadFromClusterFailed",
                f"Evict from cluster {cluster_name} failed.",
            )
            raise
        metrics.EVICTION_PROCESSING_TOTAL.labels("binding-eviction", "success").inc()
        self.recorder.binding_event(
            binding, "Normal", REASON_TAINT_UNTOLERATED, eviction_message(cluster_name, task)
        )
        log.info("evicted", binding=describe_object(KINDS[resource], namespace, name), cluster=cluster_name)
        return None
