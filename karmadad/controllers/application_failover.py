"""Application failover: bindings whose policy sets ``failover.application`` leave a cluster where the
workload stays unhealthy longer than ``decisionConditions.tolerationSeconds`` (Karmada's application failover
controllers, on by default there too: a policy opts in).

Each such binding is looked at when it changes and again when the next toleration runs out; how long each
cluster has been unhealthy is remembered here, in memory, as Karmada does (a restart starts the count anew,
which only ever delays a failover). The decisions are :mod:`karmadad.failover.application`; the eviction
is the one the taint manager records, so the scheduler, the graceful eviction controller and the binding
controller carry it out the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

from karmadad.api.karmada.resources import BINDINGS, describe_karmada_key
from karmadad.events import EventRecorder
from karmadad.failover.application import (
    REASON_APPLICATION_FAILURE,
    StateNotCollected,
    application_task,
    detect_failures,
    health_by_cluster,
)
from karmadad.failover.eviction import evicted_spec, eviction_message, format_time
from karmadad.logs import get_logger
from karmadad.runtime.controller import Controller, Requeue, Terminal
from karmadad.runtime.failures import is_race
from karmadad.store import Change, Store

log = get_logger("application-failover")

BindingKey = tuple[str, str, str]  # (store resource, namespace, name)
STATE_RETRY_SECONDS = 5.0  # how soon to look again when the state to preserve is not collected yet


def _behavior(binding: dict | None) -> dict | None:
    failover = ((binding or {}).get("spec") or {}).get("failover") or {}
    application = failover.get("application")
    return application if isinstance(application, dict) else None


class ApplicationFailover:
    def __init__(
        self,
        store: Store,
        recorder: EventRecorder,
        *,
        stateful: bool = False,
        graceful: bool = True,
        clock: Callable[[], float] = time.time,
    ):
        """``stateful``: the StatefulFailoverInjection gate (statePreservation is honoured); ``graceful``: the
        GracefulEviction gate (without it, purge mode Gracefully cannot be carried out)."""
        self.store = store
        self.recorder = recorder
        self.stateful = stateful
        self.graceful = graceful
        self.clock = clock
        self.controller: Controller[BindingKey] = Controller(
            "application-failover", self.reconcile, describe=describe_karmada_key
        )
        self._unhealthy_since: dict[BindingKey, dict[str, float]] = {}
        store.subscribe(self._on_change, resources=list(BINDINGS))

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        for resource in BINDINGS:
            for binding in self.store.list_all(resource):
                if _behavior(binding) is not None:
                    self.controller.queue.add(self._key(resource, binding))
        await self.controller.run(task_status=task_status)

    @staticmethod
    def _key(resource: str, binding: dict) -> BindingKey:
        meta = binding["metadata"]
        return (resource, meta.get("namespace", ""), meta["name"])

    def _on_change(self, change: Change) -> None:
        key = self._key(change.resource, change.object)
        if change.type == "DELETED":
            self._unhealthy_since.pop(key, None)
        elif _behavior(change.object) is not None or _behavior(change.previous) is not None:
            self.controller.queue.add(key)

    async def reconcile(self, key: BindingKey) -> float | None:
        binding = self.store.find(*key)
        behavior = _behavior(binding)
        if binding is None or behavior is None or binding["metadata"].get("deletionTimestamp"):
            self._unhealthy_since.pop(key, None)
            return None
        spec = binding.get("spec") or {}
        if not spec.get("propagateDeps") or not (binding.get("status") or {}).get("aggregatedStatus"):
            self._unhealthy_since.pop(key, None)
            return None
        toleration = (behavior.get("decisionConditions") or {}).get("tolerationSeconds")
        toleration = 300 if toleration is None else toleration
        unhealthy, _ = health_by_cluster(binding)
        now = self.clock()
        detection = detect_failures(unhealthy, self._unhealthy_since.get(key, {}), toleration, now)
        self._unhealthy_since[key] = detection.since
        if detection.evict:
            await self._evict(key, binding, behavior, detection.evict, now)
        return detection.next_look

    async def _evict(
        self, key: BindingKey, binding: dict, behavior: dict, clusters: list[str], now: float
    ) -> None:
        if behavior.get("purgeMode", "Gracefully") in ("Gracefully", "Graciously") and not self.graceful:
            raise Terminal("purge mode Gracefully needs the GracefulEviction feature gate")
        spec = binding.get("spec") or {}
        tasks = {}
        for cluster in clusters:
            try:
                tasks[cluster] = application_task(behavior, binding, cluster, stateful=self.stateful)
            except StateNotCollected as waiting:
                raise Requeue(f"{cluster}: {waiting}", after=STATE_RETRY_SECONDS) from None
            spec = evicted_spec(spec, cluster, {**tasks[cluster], "creationTimestamp": format_time(now)})
        try:
            await self.store.update(key[0], {**binding, "spec": spec})
        except Exception as error:
            if is_race(error):
                raise  # another writer was first: read again and retried quietly
            for cluster in clusters:
                self.recorder.binding_event(
                    binding,
                    "Warning",
                    "EvictWorkloadFromClusterFailed",
                    f"Evict from cluster {cluster} failed.",
                )
            raise
        for cluster in clusters:
            self._unhealthy_since[key].pop(cluster, None)
            message = eviction_message(cluster, tasks[cluster])
            self.recorder.binding_event(binding, "Normal", REASON_APPLICATION_FAILURE, message)
            log.info("application failed over", binding=describe_karmada_key(key), cluster=cluster)
