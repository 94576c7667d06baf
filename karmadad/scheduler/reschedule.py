"""Whether a binding needs scheduling at all (Karmada's ``doScheduleBinding`` checks, in order).

Why separate from :func:`schedule`: most binding events (status updates, unrelated spec changes)
must not move replicas; Karmada only reschedules a Divided workload when its placement, replica count
or a reschedule request changed, or a target cluster is being deleted.  Duplicated and non-workload
bindings are always re-evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from karmadad.scheduler.placement import reschedule_required

_AFFINITY_FREE_PARTS = ("clusterAffinity", "clusterTolerations", "spreadConstraints", "replicaScheduling")


def _prune(value: Any) -> Any:
    """Drop what Go's ``omitempty`` drops (null, "", 0, [], {}), so JSON round trips compare equal."""
    if isinstance(value, Mapping):
        pruned = {k: _prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if not _empty(v)}
    if isinstance(value, list | tuple):
        return [_prune(v) for v in value]
    return value


def _empty(value: Any) -> bool:
    if (
        value is None
        or value == ""
        or (isinstance(value, int) and not isinstance(value, bool) and value == 0)
    ):
        return True
    return isinstance(value, Mapping | list) and not value


def _term(terms: Any, name: str) -> Any:
    for term in terms or ():
        if isinstance(term, Mapping) and term.get("affinityName") == name:
            return term
    return None


def placement_changed(placement: Mapping[str, Any], applied_json: str | None, observed_affinity: str) -> bool:
    """``placementChanged``: the placement differs from the one last scheduled by.

    Changes confined to clusterAffinities count only when the term in use changed (or none is in use).
    An annotation that does not parse counts as unchanged, as in Karmada.
    """
    if not applied_json:
        return True
    try:
        applied = json.loads(applied_json)
    except ValueError:
        return False
    if not isinstance(applied, Mapping):
        return False
    current, applied = _prune(placement), _prune(applied)
    if current == applied:
        return False
    if any(current.get(part) != applied.get(part) for part in _AFFINITY_FREE_PARTS):
        return True
    if not observed_affinity:
        return True
    now = _term(current.get("clusterAffinities"), observed_affinity)
    before = _term(applied.get("clusterAffinities"), observed_affinity)
    return now is None or before is None or now != before


def replicas_changed(spec: Mapping[str, Any]) -> bool:
    """``IsBindingReplicasChanged``: the current assignment no longer adds up to the wanted replicas."""
    strategy = (spec.get("placement") or {}).get("replicaScheduling")
    if strategy is None:
        return False
    replicas = spec.get("replicas") or 0
    targets = spec.get("clusters") or ()
    kind = strategy.get("replicaSchedulingType") or "Divided"
    if kind == "Duplicated":
        return any((t.get("replicas") or 0) != replicas for t in targets)
    if kind == "Divided":
        return sum(t.get("replicas") or 0 for t in targets) != replicas
    return False


def always_rescheduled(spec: Mapping[str, Any]) -> bool:
    """Non-workload and Duplicated bindings: Karmada evaluates them afresh each time they are looked at
    (placing them again never moves a replica, only adds or removes whole copies)."""
    workload = (spec.get("replicas") or 0) > 0 or spec.get("replicaRequirements") is not None
    strategy = (spec.get("placement") or {}).get("replicaScheduling")
    duplicated = strategy is None or (strategy.get("replicaSchedulingType") or "Divided") == "Duplicated"
    return not workload or duplicated


def needs_rescheduling(
    spec: Mapping[str, Any],
    status: Mapping[str, Any] | None,
    applied_placement_json: str | None,
    deleting_clusters: Collection[str] | None = None,
) -> bool:
    """Whether the scheduler should (re)schedule this binding now.

    ``applied_placement_json`` is the ``policy.karmada.io/applied-placement`` annotation;
    ``deleting_clusters`` the names of clusters with a deletionTimestamp.
    """
    status = status or {}
    placement = spec.get("placement")
    if placement is None:
        return False
    if placement_changed(
        placement, applied_placement_json, str(status.get("schedulerObservingAffinityName") or "")
    ):
        return True
    if replicas_changed(spec):
        return True
    if reschedule_required(spec.get("rescheduleTriggeredAt"), status.get("lastScheduledTime")):
        return True
    if always_rescheduled(spec):
        return True
    if deleting_clusters:
        return any(t.get("name") in deleting_clusters for t in spec.get("clusters") or ())
    return False
