"""Placement defaulting and the small binding facts the scheduler derives from spec and status.

Why here: a binding's placement is a copy of its policy's, which Karmada's webhook and CRD defaults
have filled in; bindings reaching karmadad may not have passed through that, so the scheduler applies
the same defaults itself before deciding (missing replicaScheduling ⇒ Duplicated; a replicaScheduling
without type ⇒ Divided; Divided without preference ⇒ Weighted; a spread constraint with neither
field nor label ⇒ by cluster; minGroups 0 ⇒ 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any


def default_placement(placement: Mapping[str, Any] | None) -> dict[str, Any]:
    """A defaulted copy of the placement (the input is never changed)."""
    result = dict(placement or {})
    constraints = result.get("spreadConstraints")
    if constraints:
        defaulted = []
        for constraint in constraints:
            constraint = dict(constraint)
            if not constraint.get("spreadByField") and not constraint.get("spreadByLabel"):
                constraint["spreadByField"] = "cluster"
            if not constraint.get("minGroups"):
                constraint["minGroups"] = 1
            defaulted.append(constraint)
        result["spreadConstraints"] = defaulted
    strategy = result.get("replicaScheduling")
    if strategy is not None:
        strategy = dict(strategy)
        if not strategy.get("replicaSchedulingType"):
            strategy["replicaSchedulingType"] = "Divided"
        if strategy["replicaSchedulingType"] == "Divided" and not strategy.get("replicaDivisionPreference"):
            strategy["replicaDivisionPreference"] = "Weighted"
        result["replicaScheduling"] = strategy
    return result


@lru_cache(maxsize=4096)
def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def reschedule_required(triggered_at: Any, last_scheduled: Any) -> bool:
    """``util.RescheduleRequired``: a reschedule asked for after the last successful scheduling."""
    if not triggered_at or not last_scheduled:
        return False
    trigger = triggered_at if isinstance(triggered_at, datetime) else _parse_time(str(triggered_at))
    last = last_scheduled if isinstance(last_scheduled, datetime) else _parse_time(str(last_scheduled))
    if trigger is None or last is None:
        return False
    try:
        return trigger > last
    except TypeError:  # one naive, one aware: treat the naive one as UTC
        return trigger.replace(tzinfo=None) > last.replace(tzinfo=None)


def previous_targets(spec: Mapping[str, Any]) -> dict[str, int]:
    """Replicas per cluster of the binding's current ``spec.clusters`` (first entry wins per name)."""
    targets: dict[str, int] = {}
    for target in spec.get("clusters") or ():
        name = target.get("name")
        if name is not None and name not in targets:
            targets[name] = int(target.get("replicas") or 0)
    return targets
