"""Scheduling one binding: filter, score, estimate, select, divide — and explain.

This is Karmada's generic scheduler plus its affinity-term loop (``pkg/scheduler/core/
generic_scheduler.go``, ``pkg/scheduler/scheduler.go``) as one pure function.  The controller shell
patches ``spec.clusters``, the applied-placement annotation and the Scheduled condition from the
:class:`ScheduleResult`:

* ``Success``: write ``clusters``, set ``schedulerObservingAffinityName`` to ``affinity_name``;
* ``NoClusterFit``: clear ``spec.clusters`` (``clusters`` is empty), do not retry;
* ``Unschedulable`` / ``SchedulerError``: keep ``spec.clusters`` as it is, retry later.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from karmadad.scheduler.affinity import compile_affinity
from karmadad.scheduler.candidates import (
    Candidate,
    NoClusterFit,
    SchedulingFailure,
    SelectionFailure,
    order_key,
)
from karmadad.scheduler.division import assign_replicas, is_workload
from karmadad.scheduler.estimate import MAX_INT32, estimate_all, parse_request
from karmadad.scheduler.explain import SUCCESS, affinity_label, fit_summary
from karmadad.scheduler.filters import build_filter, run_filters
from karmadad.scheduler.placement import default_placement, previous_targets, reschedule_required
from karmadad.scheduler.reschedule import needs_rescheduling
from karmadad.scheduler.snapshot import ClusterSnapshot
from karmadad.scheduler.spread import select_clusters
from karmadad.scheduler.webster import names_descending

__all__ = ["ScheduleResult", "needs_rescheduling", "schedule"]

LOCALITY_SCORE = 100
# Karmada's names for the steps its scheduling-algorithm latency is broken down by.
STEP_FILTER, STEP_SCORE, STEP_SELECT, STEP_ASSIGN = "Filter", "Score", "Select", "AssignReplicas"
StepTimes = dict[str, float]  # seconds spent per step, summed over the affinity terms tried
_UNMATCHED_TIER = 1000


@dataclass
class ScheduleResult:
    clusters: list[dict] = field(default_factory=list)
    """Karmada TargetCluster dicts sorted by name; ``{"name"}`` only for non-workloads."""
    affinity_name: str = ""
    """The clusterAffinities term used ("" without clusterAffinities; unchanged on failure)."""
    reason: str = "Success"
    """Success, NoClusterFit, Unschedulable or SchedulerError (Karmada's Scheduled condition reasons)."""
    message: str = SUCCESS
    fit: int = 0
    """Clusters that passed the filters (of the affinity term used, or of the first failing one)."""
    total: int = 0


@dataclass(slots=True)
class _Attempt:
    clusters: list[dict]
    fit: int
    summary: str
    """The fit summary when some clusters were filtered out, else ""."""


class _Binding:
    """What every attempt of one binding shares, computed once."""

    __slots__ = ("descending", "fresh", "placement", "previous", "replicas", "request", "spec", "workload")

    def __init__(self, spec: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        self.spec = spec
        self.placement = default_placement(spec.get("placement"))
        self.replicas = int(spec.get("replicas") or 0)
        self.workload = is_workload(spec)
        self.previous = previous_targets(spec)
        self.fresh = reschedule_required(spec.get("rescheduleTriggeredAt"), status.get("lastScheduledTime"))
        self.descending = names_descending(str((spec.get("resource") or {}).get("uid") or ""))
        self.request = parse_request(spec.get("replicaRequirements")) if self.replicas > 0 else None


def _tier_of(term: Mapping[str, Any]):
    primary = compile_affinity(term)
    overflow = [compile_affinity(a) for a in term.get("overflowAffinities") or ()]

    def tier(cluster: ClusterSnapshot) -> int:
        if primary(cluster):
            return 0
        for index, matches in enumerate(overflow, start=1):
            if matches(cluster):
                return index
        return _UNMATCHED_TIER

    return tier


def _attempt(
    binding: _Binding,
    clusters: Sequence[ClusterSnapshot],
    term: Mapping[str, Any] | None,
    empty_workload_propagation: bool,
    steps: StepTimes,
) -> _Attempt:
    placement = binding.placement
    total = len(clusters)
    overflow = False
    if placement.get("clusterAffinity") is not None:
        affinities: list | None = [placement["clusterAffinity"]]
        label = "placement.clusterAffinity"
    elif term is not None:
        affinities = [term]
        overflow = bool(term.get("overflowAffinities"))
        if overflow and binding.workload:
            affinities.extend(term["overflowAffinities"])
        label = affinity_label(str(term.get("affinityName", "")))
    else:
        affinities, label = None, "placement.clusterAffinity"

    clock = time.perf_counter
    began = clock()
    fit, reasons = run_filters(build_filter(binding.spec, placement, affinities, label), clusters)
    began = _took(steps, STEP_FILTER, began)
    summary = fit_summary(len(fit), total, reasons) if reasons or not total else ""
    if not fit:
        raise NoClusterFit(summary)

    try:
        previous = binding.previous
        replicas = binding.replicas
        request = binding.request
        tier_of = _tier_of(term) if overflow and term is not None else None
        if replicas > 0:
            estimates = estimate_all(fit, request)
        else:
            estimates = [0] * len(fit)  # non-workloads and workloads at 0 replicas: nothing to estimate
        candidates: list[Candidate] = []
        append = candidates.append
        for cluster, allocatable in zip(fit, estimates, strict=True):
            name = cluster.name
            if allocatable == MAX_INT32:
                allocatable = replicas
            held = previous.get(name)
            score = 0 if held is None else LOCALITY_SCORE
            available = allocatable if held is None else allocatable + held
            tier = 0 if tier_of is None else tier_of(cluster)
            append(Candidate((tier, -score, -available, name, cluster, score, allocatable, available)))
        candidates.sort(key=order_key)
        began = _took(steps, STEP_SCORE, began)
        selected = select_clusters(candidates, placement, replicas)
        began = _took(steps, STEP_SELECT, began)
        if not selected:
            raise SelectionFailure("no clusters available to schedule")
        targets = assign_replicas(
            selected,
            binding.spec,
            placement,
            fresh=binding.fresh,
            overflow=overflow,
            descending=binding.descending,
            empty_workload_propagation=empty_workload_propagation,
        )
        _took(steps, STEP_ASSIGN, began)
    except SchedulingFailure as failure:
        if summary:
            failure.message = f"{failure.message}; {summary}"
        failure.fit = len(fit)
        raise
    return _Attempt(targets, len(fit), summary)


def _took(steps: StepTimes, step: str, began: float) -> float:
    """Add the time since ``began`` to ``step``; now, for the next step to start from."""
    now = time.perf_counter()
    steps[step] = steps.get(step, 0.0) + now - began
    return now


def schedule(
    spec: Mapping[str, Any],
    status: Mapping[str, Any] | None,
    clusters: Sequence[ClusterSnapshot],
    *,
    empty_workload_propagation: bool = True,
    steps: StepTimes | None = None,
) -> ScheduleResult:
    """Where a ResourceBinding's resource goes, as Karmada's scheduler decides it, with an explanation.

    ``spec`` and ``status`` are the binding's; ``clusters`` every known cluster's snapshot.
    ``empty_workload_propagation`` keeps a workload scaled to 0 on every selected cluster (see
    :mod:`karmadad.scheduler.division`). ``steps``, when given, gathers the seconds each step took (the
    shell reports them; the decision does not depend on them).
    """
    steps = {} if steps is None else steps
    status = status or {}
    binding = _Binding(spec, status)
    total = len(clusters)
    terms = [t for t in binding.placement.get("clusterAffinities") or () if isinstance(t, Mapping)]
    if not terms:
        try:
            attempt = _attempt(binding, clusters, None, empty_workload_propagation, steps)
        except SchedulingFailure as failure:
            return ScheduleResult([], "", failure.reason, failure.message, failure.fit, total)
        message = f"{SUCCESS} {attempt.summary}" if attempt.summary else SUCCESS
        return ScheduleResult(attempt.clusters, "", "Success", message, attempt.fit, total)

    observed = str(status.get("schedulerObservingAffinityName") or "")
    start = 0
    if observed and not binding.fresh:
        start = next((i for i, t in enumerate(terms) if t.get("affinityName") == observed), 0)
    segments: list[str] = []
    first: SchedulingFailure | None = None
    for term in terms[start:]:
        name = str(term.get("affinityName", ""))
        try:
            attempt = _attempt(binding, clusters, term, empty_workload_propagation, steps)
        except SchedulingFailure as failure:
            first = first or failure
            segments.append(f"{affinity_label(name)}: {failure.message}")
            continue
        used = f"scheduled by {affinity_label(name)}"
        segments.append(f"{used}: {attempt.summary}" if attempt.summary else used)
        return ScheduleResult(
            attempt.clusters, name, "Success", f"{SUCCESS} {'; '.join(segments)}", attempt.fit, total
        )
    assert first is not None
    return ScheduleResult([], observed, first.reason, "; ".join(segments), first.fit, total)
