"""The scheduler's shell: which bindings to (re)schedule, and writing the result as Karmada writes it.

The decision itself is :func:`karmadad.scheduler.core.schedule`, a pure function over the binding and
snapshots of the Clusters (each parsed once per resourceVersion). A binding is scheduled when Karmada
would (placement differs from the ``policy.karmada.io/applied-placement`` annotation, replicas changed,
``rescheduleTriggeredAt`` is newer than ``lastScheduledTime``, Duplicated or non-workload, a target
cluster is being deleted) — and, beyond Karmada, when a Cluster's labels or placement facts (region,
zones, provider…) change, so placement follows the clusters (:func:`cluster_change_scope`). Taints and
status never move a placed Divided binding (evicting is the taint manager's decision); a binding no
cluster fitted is tried again whenever what the scheduler reads of a cluster changes (readiness, API
enablements, capacity), so a member joining after its templates were applied takes them, and Duplicated
and non-workload bindings are placed again when a cluster may take more (taints changed, APIs grew). Bindings nobody
claims (their policy was deleted) and bindings for another ``schedulerName`` are left alone.

Writes: ``spec.clusters`` and the applied-placement annotation, then status — the ``Scheduled``
condition (Success / NoClusterFit / Unschedulable, with karmadad's explanation of what did not fit),
``schedulerObservedGeneration``, ``lastScheduledTime``, ``schedulerObservingAffinityName`` — in one
write, and only when something changed, so a restart writes nothing for bindings already scheduled.
As in Karmada's scheduling queue, a binding that does not fit (NoClusterFit, Unschedulable) waits in the
unschedulable set: it comes back on every cluster change that could make it fit, and at the latest after
:data:`UNSCHEDULABLE_FLUSH` seconds; one that failed otherwise (e.g. too few regions for a spread
constraint) backs off from :data:`BACKOFF_INITIAL` to :data:`BACKOFF_MAX` seconds. A retry with the same
answer writes nothing and tells nothing.
"""

from __future__ import annotations

import json
import time
from typing import Literal

import anyio

from karmadad import metrics
from karmadad.api.conditions import condition, is_true, with_condition
from karmadad.api.karmada.names import APPLIED_PLACEMENT
from karmadad.api.karmada.resources import BINDINGS, CLUSTERS, describe_karmada_key
from karmadad.api.registry import Registry
from karmadad.controllers.cluster_snapshots import ClusterSnapshots
from karmadad.events import EventRecorder
from karmadad.logs import get_logger
from karmadad.propagation.claims import DEFAULT_SCHEDULER, claim_of
from karmadad.runtime.controller import Controller, Requeue
from karmadad.runtime.failures import is_race
from karmadad.scheduler.core import ScheduleResult, schedule
from karmadad.scheduler.reschedule import (
    always_rescheduled,
    needs_rescheduling,
    placement_changed,
    replicas_changed,
)
from karmadad.scheduler.snapshot import snapshot
from karmadad.store import Change, Store
from karmadad.store.store import now_timestamp

log = get_logger("scheduler")

BindingKey = tuple[str, str, str]  # (store resource, namespace, name)
CLUSTERS_CHANGED = "clusters changed"  # the reason a binding is queued to be rescheduled for a Cluster change
CONDITION_SCHEDULED = "Scheduled"
# Karmada's scheduling queue: a binding that does not fit is flushed back after 5 minutes at the latest;
# one that failed otherwise backs off from 1 s, doubling, to 10 s.
UNSCHEDULABLE_FLUSH = 300.0
BACKOFF_INITIAL = 1.0
BACKOFF_MAX = 10.0
UNFIT = ("NoClusterFit", "Unschedulable")
# Karmada's schedule_type label values, and its scheduling queue's incoming event types
RECONCILE_SCHEDULE, SCALE_SCHEDULE = "ReconcileSchedule", "ScaleSchedule"
BINDING_ADD, BINDING_UPDATE, CLUSTER_CHANGED = "BindingAdd", "BindingUpdate", "ClusterChanged"
SCHEDULE_ATTEMPT_FAILURE = "ScheduleAttemptFailure"


class SchedulingFailed(Requeue):
    """Not placed: waiting for a change or the flush (does not fit), or backing off (another failure)."""


def retry_after(reason: str, failures: int) -> float:
    """When a binding whose scheduling ended with ``reason`` (its ``failures``-th failure in a row) is
    tried again unprompted."""
    if reason in UNFIT:
        return UNSCHEDULABLE_FLUSH
    return min(BACKOFF_INITIAL * 2 ** max(failures - 1, 0), BACKOFF_MAX)


def schedule_type(spec: dict, status: dict, applied_placement: str | None) -> str:
    """Karmada's name for why a binding is scheduled: ScaleSchedule when only its replicas changed,
    ReconcileSchedule for everything else (placement, a triggered or cluster-driven reschedule, ...)."""
    if not placement_changed(
        spec.get("placement") or {},
        applied_placement,
        str(status.get("schedulerObservingAffinityName") or ""),
    ) and replicas_changed(spec):
        return SCALE_SCHEDULE
    return RECONCILE_SCHEDULE


def placement_json(placement: dict) -> str:
    return json.dumps(placement, separators=(",", ":"), sort_keys=True)


def scheduled_binding(binding: dict, result: ScheduleResult, *, triggered: bool) -> dict:
    """``binding`` with ``result`` written into it (spec, annotation and status), Karmada's way.

    On success the observed generation is the one this very write produces (a changed ``spec.clusters``
    bumps it by one), so the binding does not need a second write to say it is up to date.
    """
    meta, spec, status = binding["metadata"], binding.get("spec") or {}, dict(binding.get("status") or {})
    new_spec = dict(spec)
    if result.reason == "Success":
        new_spec["clusters"] = result.clusters
    elif result.reason == "NoClusterFit":
        new_spec.pop("clusters", None)
    if not new_spec.get("clusters"):
        new_spec.pop("clusters", None)
    annotations = {**(meta.get("annotations") or {})}
    if result.reason in ("Success", "NoClusterFit"):  # what Karmada patches; errors leave the result alone
        annotations[APPLIED_PLACEMENT] = placement_json(spec.get("placement") or {})
    conditions = status.get("conditions") or []
    previous = next((c for c in conditions if c.get("type") == CONDITION_SCHEDULED), None)
    scheduled = condition(
        conditions, CONDITION_SCHEDULED, result.reason == "Success", result.reason, result.message
    )
    status["conditions"] = with_condition(conditions, scheduled)
    if result.affinity_name:
        status["schedulerObservingAffinityName"] = result.affinity_name
    if result.reason == "Success":
        generation = int(meta.get("generation") or 1)
        status["schedulerObservedGeneration"] = generation + (new_spec != spec)
        if triggered or new_spec != spec or previous is not scheduled or "lastScheduledTime" not in status:
            status["lastScheduledTime"] = now_timestamp()
    return {**binding, "metadata": {**meta, "annotations": annotations}, "spec": new_spec, "status": status}


def cluster_change_scope(change: Change) -> Literal["all", "open", "unplaced"] | None:
    """Which bindings a Cluster change sends back to the scheduler.

    ``all``: a cluster came, went or started going, or its labels or placement facts (region, zones,
    provider…) changed — placement follows the clusters. ``open``: it may take more than before (its taints
    changed, its API enablements grew): bindings placed afresh each time (Duplicated, non-workload) and those
    not placed. ``unplaced``: what the scheduler reads of it changed with its status (readiness, capacity):
    only bindings not placed — status alone never moves a replica. None: nothing the scheduler reads.
    """
    if change.type != "MODIFIED":
        return "all"
    old, new = change.before, change.object
    if (
        old["metadata"].get("labels") != new["metadata"].get("labels")
        or bool(old["metadata"].get("deletionTimestamp")) != bool(new["metadata"].get("deletionTimestamp"))
        or {**(old.get("spec") or {}), "taints": None} != {**(new.get("spec") or {}), "taints": None}
    ):
        return "all"
    before, after = snapshot(old), snapshot(new)
    if (old.get("spec") or {}).get("taints") != (new.get("spec") or {}).get(
        "taints"
    ) or after.apis - before.apis:
        return "open"
    return "unplaced" if before != after else None


def schedule_priority(binding: dict) -> int:
    """A binding's scheduling priority: ``spec.schedulePriority.priority``, 0 when unset."""
    priority = ((binding.get("spec") or {}).get("schedulePriority") or {}).get("priority")
    return priority if isinstance(priority, int) else 0


def _targets(clusters: list[dict]) -> str:
    return ", ".join(f"{c['name']}:{c.get('replicas', 0)}" for c in clusters)


class SchedulerController:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        recorder: EventRecorder,
        *,
        workers: int = 32,
        by_priority: bool = False,
        snapshots: ClusterSnapshots | None = None,
    ):
        """``by_priority`` (Karmada's PriorityBasedScheduling gate): bindings waiting to be scheduled
        go highest ``spec.schedulePriority.priority`` first. ``snapshots``: the clusters as shared with
        the binding controller (else a cache of its own)."""
        self.store = store
        self.registry = registry
        self.recorder = recorder
        self.controller: Controller[BindingKey] = Controller(
            "scheduler",
            self.reconcile,
            workers=workers,
            priority=self._priority if by_priority else None,
            describe=describe_karmada_key,
        )
        self.snapshots = snapshots or ClusterSnapshots(store)
        self._failures: dict[BindingKey, int] = {}  # failed schedulings in a row, for the backoff
        store.subscribe(self._on_change)

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        for resource in BINDINGS:
            for binding in self.store.list_all(resource):
                self._enqueue(resource, binding, BINDING_ADD)
        await self.controller.run(task_status=task_status)

    # -- events -> keys ---------------------------------------------------------------------------

    def _priority(self, key: BindingKey) -> int:
        return schedule_priority(self.store.find(*key) or {})

    def _enqueue(self, resource: str, binding: dict, event: str) -> None:
        meta = binding["metadata"]
        metrics.SCHEDULER_QUEUE_INCOMING.labels(event).inc()
        self.controller.queue.add((resource, meta.get("namespace", ""), meta["name"]))

    def _on_change(self, change: Change) -> None:
        if change.resource in BINDINGS:
            if change.type == "ADDED":
                self._enqueue(change.resource, change.object, BINDING_ADD)
            elif change.type == "MODIFIED" and self._binding_changed(change.before, change.object):
                self._enqueue(change.resource, change.object, BINDING_UPDATE)
        elif change.resource == CLUSTERS:
            scope = cluster_change_scope(change)
            if scope is None:
                return
            for resource in BINDINGS:
                for binding in self.store.list_all(resource):
                    if (
                        scope == "all"
                        or not is_true(binding, CONDITION_SCHEDULED)
                        or (scope == "open" and always_rescheduled(binding.get("spec") or {}))
                    ):
                        meta = binding["metadata"]
                        key = (resource, meta.get("namespace", ""), meta["name"])
                        metrics.SCHEDULER_QUEUE_INCOMING.labels(CLUSTER_CHANGED).inc()
                        self.controller.enqueue(key, CLUSTERS_CHANGED)

    @staticmethod
    def _binding_changed(old: dict, new: dict) -> bool:
        """A change worth a look: a new generation the scheduler has not written itself (its own writes
        record the generation they produce as observed), or a claim given or taken."""
        generation = new["metadata"].get("generation")
        if old["metadata"].get("generation") != generation:
            return (new.get("status") or {}).get("schedulerObservedGeneration") != generation
        return claim_of(old) != claim_of(new)

    # -- reconcile --------------------------------------------------------------------------------

    async def reconcile(self, key: BindingKey) -> float | None:
        resource, namespace, name = key
        cluster_changed = CLUSTERS_CHANGED in self.controller.reasons(key)
        binding = self.store.find(resource, namespace, name)
        if binding is None or binding["metadata"].get("deletionTimestamp"):
            self._failures.pop(key, None)
            return None
        spec, status = binding.get("spec") or {}, binding.get("status") or {}
        if (spec.get("schedulerName") or DEFAULT_SCHEDULER) != DEFAULT_SCHEDULER or claim_of(binding) is None:
            return None
        if spec.get("placement") is None:
            return None
        snapshots = self.snapshots.all()
        deleting = {c.name for c in snapshots if c.deleting}
        applied = (binding["metadata"].get("annotations") or {}).get(APPLIED_PLACEMENT)
        if not cluster_changed and not needs_rescheduling(spec, status, applied, deleting):
            generation = int(binding["metadata"].get("generation") or 1)
            if status.get("schedulerObservedGeneration") != generation and is_true(
                binding, CONDITION_SCHEDULED
            ):
                await self.store.update(
                    resource, {**binding, "status": {**status, "schedulerObservedGeneration": generation}}
                )
            return None
        started = time.perf_counter()
        kind = schedule_type(spec, status, applied)
        steps: dict[str, float] = {}
        error: BaseException | None = None
        try:
            result = schedule(spec, status, snapshots, steps=steps)
            triggered = (spec.get("rescheduleTriggeredAt") or "") > (status.get("lastScheduledTime") or "")
            updated = scheduled_binding(binding, result, triggered=triggered)
            if updated != binding:
                await self.store.update(resource, updated)
                self._record(binding, result)
        except Exception as failed:
            error = failed
            raise
        finally:
            self._observe(kind, started, steps, error if error is not None else result.reason != "Success")
        if result.reason == "Success":
            self._failures.pop(key, None)
            return None
        failures = self._failures[key] = self._failures.get(key, 0) + 1
        metrics.SCHEDULER_QUEUE_INCOMING.labels(SCHEDULE_ATTEMPT_FAILURE).inc()
        raise SchedulingFailed(result.message, after=retry_after(result.reason, failures))

    @staticmethod
    def _observe(kind: str, started: float, steps: dict[str, float], failed: BaseException | bool) -> None:
        """One scheduling attempt in Karmada's scheduler metrics. A write that lost a race with another
        writer is not an attempt's result: the binding is scheduled again from what that writer wrote."""
        for step, seconds in steps.items():
            metrics.SCHEDULING_ALGORITHM_DURATION.labels(step).observe(seconds)
        if isinstance(failed, BaseException) and is_race(failed):
            return
        result = metrics.ERROR if failed else metrics.SCHEDULED
        metrics.SCHEDULE_ATTEMPTS.labels(result, kind).inc()
        metrics.E2E_SCHEDULING_DURATION.labels(result, kind).observe(time.perf_counter() - started)

    def _record(self, binding: dict, result: ScheduleResult) -> None:
        if result.reason == "Success":
            message = f"Binding has been scheduled successfully. Result: {{{_targets(result.clusters)}}}"
            self.recorder.binding_event(binding, "Normal", "ScheduleBindingSucceed", message)
        else:
            self.recorder.binding_event(binding, "Warning", "ScheduleBindingFailed", result.message)
