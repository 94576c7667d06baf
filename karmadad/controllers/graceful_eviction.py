"""Graceful eviction: a binding's eviction tasks end once the workload runs healthy where it was moved to, or
when their grace period is over (Karmada's graceful eviction controllers).

A binding is looked at whenever it changes while it has tasks, and again when the first grace period runs
out; the decision is :func:`karmadad.failover.eviction.assess_tasks`. Ending a task is writing the binding
without it: the binding controller then deletes the old cluster's Work (its copy stayed until now), and
Karmada's ``EvictWorkloadFromClusterSucceed`` Event is recorded on the binding and its template.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

from karmadad.api.karmada.resources import BINDINGS, describe_karmada_key
from karmadad.events import EventRecorder
from karmadad.failover.eviction import assess_tasks
from karmadad.logs import get_logger
from karmadad.runtime.controller import Controller
from karmadad.store import Change, Store

log = get_logger("graceful-eviction")

BindingKey = tuple[str, str, str]  # (store resource, namespace, name)


class GracefulEviction:
    def __init__(
        self,
        store: Store,
        recorder: EventRecorder,
        *,
        timeout: float = 600.0,
        clock: Callable[[], float] = time.time,
    ):
        """``timeout``: how long a task without its own grace period lasts (``--graceful-eviction-timeout``)."""
        self.store = store
        self.recorder = recorder
        self.timeout = timeout
        self.clock = clock
        self.controller: Controller[BindingKey] = Controller(
            "graceful-eviction", self.reconcile, describe=describe_karmada_key
        )
        store.subscribe(self._on_change, resources=list(BINDINGS))

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        for resource in BINDINGS:
            for binding in self.store.list_all(resource):
                self._enqueue(resource, binding)
        await self.controller.run(task_status=task_status)

    def _enqueue(self, resource: str, binding: dict) -> None:
        if (binding.get("spec") or {}).get("gracefulEvictionTasks"):
            meta = binding["metadata"]
            self.controller.queue.add((resource, meta.get("namespace", ""), meta["name"]))

    def _on_change(self, change: Change) -> None:
        if change.type != "DELETED":
            self._enqueue(change.resource, change.object)

    async def reconcile(self, key: BindingKey) -> float | None:
        binding = self.store.find(*key)
        if binding is None or binding["metadata"].get("deletionTimestamp"):
            return None
        spec = binding.get("spec") or {}
        tasks = spec.get("gracefulEvictionTasks") or []
        assessment = assess_tasks(binding, self.clock(), self.timeout)
        if assessment.kept != tasks:
            new_spec = {**spec, "gracefulEvictionTasks": assessment.kept}
            if not assessment.kept:
                new_spec.pop("gracefulEvictionTasks")
            await self.store.update(key[0], {**binding, "spec": new_spec})
            for cluster in assessment.ended:
                log.info("eviction ended", binding=describe_karmada_key(key), cluster=cluster)
                self.recorder.binding_event(
                    binding,
                    "Normal",
                    "EvictWorkloadFromClusterSucceed",
                    f"Evict from cluster {cluster} succeed.",
                )
        return assessment.next_look
