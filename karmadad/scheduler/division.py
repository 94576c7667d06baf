"""Sharing a workload's replicas out over the selected clusters (Karmada's ``assignment.go``,
``division_algorithm.go`` and ``common.go``).

* Non-workloads (no replicas and no replica requirements) go to every selected cluster, no count.
* Duplicated: every selected cluster gets all replicas.
* Divided, Weighted with static weights: a cluster's weight is the largest weight among the
  staticWeightList rules its targetCluster affinity matches; weight-0 clusters are left out, and if no
  cluster has a weight all get 1; the replicas are split by Webster (see :mod:`.webster`).
* Divided by dynamic weight (available replicas) and Aggregated, in *steady* mode unless a reschedule
  was triggered after the last scheduling (*fresh* mode):
  - scale-down splits the new total in proportion to the previous assignment;
  - scale-up splits only the extra replicas, weighted by what each cluster can still take;
  - fresh splits everything, weighted by what each cluster can take plus what it holds;
  - Aggregated first keeps the shortest run of clusters, by capacity (previously used ones first when
    scaling up), that covers the replicas;
  - not enough capacity ⇒ Unschedulable.
* Overflow affinities: clusters are tiered by which affinity matched; each tier takes what it can hold,
  in order.

Entries with 0 replicas are dropped.  Our rule, not Karmada's default: a workload scaled to 0 keeps
every selected cluster with ``replicas: 0`` (what Karmada does with --enable-empty-workload-propagation),
so scaling to zero never deletes the workload from member clusters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from karmadad.scheduler.affinity import compile_affinity
from karmadad.scheduler.candidates import Candidate, Unschedulable
from karmadad.scheduler.webster import apportion

DUPLICATED = "Duplicated"
AGGREGATED = "Aggregated"
STATIC_WEIGHT = "StaticWeight"
DYNAMIC_WEIGHT = "DynamicWeight"

_LISTED = 10  # clusters named in a capacity message before "and N more"
_COUNT = itemgetter(1)
_NAME_ALLOCATABLE = itemgetter(3, 6)  # (name, allocatable) of a Candidate


def strategy_type(placement: Mapping[str, Any]) -> str:
    """Duplicated, Aggregated, StaticWeight or DynamicWeight, for a defaulted placement."""
    strategy = placement.get("replicaScheduling")
    if not strategy or strategy.get("replicaSchedulingType") != "Divided":
        return DUPLICATED
    if strategy.get("replicaDivisionPreference") == AGGREGATED:
        return AGGREGATED
    preference = strategy.get("weightPreference") or {}
    return DYNAMIC_WEIGHT if preference.get("dynamicWeight") else STATIC_WEIGHT


def is_workload(spec: Mapping[str, Any]) -> bool:
    """Karmada's ``IsWorkload``: replicas > 0 or replica requirements present."""
    return (spec.get("replicas") or 0) > 0 or spec.get("replicaRequirements") is not None


def capacity_message(wanted: str, capacities: Sequence[tuple[str, int]]) -> str:
    """``not enough capacity: 10 replicas wanted, 6 available (member1: 4, member2: 2)``."""
    ranked = sorted(capacities, key=lambda item: (-item[1], item[0]))
    listed = ", ".join(f"{name}: {count}" for name, count in ranked[:_LISTED])
    if len(ranked) > _LISTED:
        listed += f", and {len(ranked) - _LISTED} more"
    total = sum(map(_COUNT, capacities))
    return f"not enough capacity: {wanted}, {total} available ({listed})"


def _static_weights(candidates: Sequence[Candidate], placement: Mapping[str, Any]) -> list[tuple[str, int]]:
    preference = placement["replicaScheduling"].get("weightPreference")
    if preference is None:
        return [(c.name, 1) for c in candidates]
    rules = [
        (compile_affinity(rule.get("targetCluster")), int(rule.get("weight") or 0))
        for rule in preference.get("staticWeightList") or ()
    ]
    weights = []
    for candidate in candidates:
        weight = 0
        for matches, rule_weight in rules:
            if rule_weight > weight and matches(candidate.cluster):
                weight = rule_weight
        if weight > 0:
            weights.append((candidate.name, weight))
    return weights or [(c.name, 1) for c in candidates]


def _spread(total: int, parties: Sequence[tuple[str, int]], descending: bool) -> list[tuple[str, int]]:
    """Webster over (name, weight) pairs; no result at all when every weight is 0 (Karmada's Dispenser)."""
    if sum(map(_COUNT, parties)) <= 0:
        return []
    return list(apportion(total, parties, descending).items())


def _merge(previous: Sequence[tuple[str, int]], new: list[tuple[str, int]]) -> list[tuple[str, int]]:
    if not previous:
        return new
    if not new:
        return list(previous)
    old = dict(previous)
    merged = [(name, count + old.pop(name, 0)) for name, count in new]
    merged.extend(old.items())
    return merged


def _dynamic(
    candidates: Sequence[Candidate],
    previous_clusters: Sequence[Mapping[str, Any]],
    replicas: int,
    aggregated: bool,
    fresh: bool,
    descending: bool,
) -> list[tuple[str, int]]:
    names = {c.name for c in candidates}
    scheduled = [
        (str(c.get("name")), int(c.get("replicas") or 0)) for c in previous_clusters if c.get("name") in names
    ]
    assigned = sum(map(_COUNT, scheduled))
    wanted: str
    if fresh:
        target = replicas
        held: dict[str, int] = {}
        for name, count in scheduled:
            held[name] = held.get(name, 0) + count
        available = [(c.name, c.allocatable + held.get(c.name, 0)) for c in candidates]
        scheduled = []
        wanted = f"{target} replicas wanted"
    elif assigned > replicas:
        target = replicas
        available = list(scheduled)
        scheduled = []
        wanted = f"{target} replicas wanted"
    elif assigned < replicas:
        target = replicas - assigned
        available = list(map(_NAME_ALLOCATABLE, candidates))
        wanted = (
            f"{target} more replicas wanted ({assigned} already placed)"
            if assigned
            else f"{target} replicas wanted"
        )
    else:
        return scheduled
    available.sort(key=_COUNT, reverse=True)  # stable, as Go's sort is for the small lists it sees
    if sum(map(_COUNT, available)) < target:
        raise Unschedulable(capacity_message(wanted, available))
    if aggregated:
        prior = {name for name, count in scheduled if count > 0}
        if prior:
            available = [a for a in available if a[0] in prior] + [a for a in available if a[0] not in prior]
        covered = 0
        for index, (_, count) in enumerate(available):
            covered += count
            if covered >= target:
                available = available[: index + 1]
                break
    return _merge(scheduled, _spread(target, available, descending))


def _assign_group(
    candidates: Sequence[Candidate],
    spec: Mapping[str, Any],
    placement: Mapping[str, Any],
    replicas: int,
    fresh: bool,
    descending: bool,
) -> list[tuple[str, int]]:
    kind = strategy_type(placement)
    if kind == DUPLICATED:
        result = [(c.name, replicas) for c in candidates]
    elif kind == STATIC_WEIGHT:
        result = _spread(replicas, _static_weights(candidates, placement), descending)
    else:
        result = _dynamic(
            candidates, spec.get("clusters") or (), replicas, kind == AGGREGATED, fresh, descending
        )
    return [(name, count) for name, count in result if count > 0]


def _assign_tiers(
    candidates: Sequence[Candidate],
    spec: Mapping[str, Any],
    placement: Mapping[str, Any],
    replicas: int,
    fresh: bool,
    descending: bool,
) -> list[tuple[str, int]]:
    tiers: dict[int, list[Candidate]] = {}
    for candidate in candidates:
        tiers.setdefault(candidate.tier, []).append(candidate)
    remaining = replicas
    result: list[tuple[str, int]] = []
    for tier in sorted(tiers):
        members = tiers[tier]
        share = min(remaining, sum(c.available for c in members))
        result.extend(_assign_group(members, spec, placement, share, fresh, descending))
        remaining -= share
        if remaining <= 0:
            break
    if remaining > 0:
        capacities = [(c.name, c.available) for c in candidates]
        raise Unschedulable(capacity_message(f"{replicas} replicas wanted", capacities))
    return result


def assign_replicas(
    candidates: Sequence[Candidate],
    spec: Mapping[str, Any],
    placement: Mapping[str, Any],
    *,
    fresh: bool,
    overflow: bool,
    descending: bool,
    empty_workload_propagation: bool = True,
) -> list[dict[str, Any]]:
    """Target clusters (``{"name", "replicas"}``, sorted by name) for the selected candidates."""
    if not is_workload(spec):
        return [{"name": c.name} for c in sorted(candidates, key=lambda c: c.name)]
    replicas = spec.get("replicas") or 0
    if overflow:
        pairs = _assign_tiers(candidates, spec, placement, replicas, fresh, descending)
    else:
        pairs = _assign_group(candidates, spec, placement, replicas, fresh, descending)
    totals: dict[str, int] = {}
    for name, count in pairs:
        totals[name] = totals.get(name, 0) + count
    if replicas == 0 and empty_workload_propagation:
        for candidate in candidates:
            totals.setdefault(candidate.name, 0)
    return [{"name": name, "replicas": totals[name]} for name in sorted(totals)]
