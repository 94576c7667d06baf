"""Which taints ClusterTaintPolicies put on a Cluster, given its status conditions (Karmada ≥ 1.14).

Policies apply oldest first. A policy whose ``targetClusters`` matches the cluster adds its taints when all
its ``addOnConditions`` hold, then removes them when all its ``removeOnConditions`` hold (an empty list never
holds). A taint is one per key and effect: one already there is kept as it is (its ``timeAdded`` with it),
so a NoExecute taint's toleration time counts from when it first appeared. A cluster a policy no longer
targets, and every cluster after a policy is deleted, keeps its taints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from karmadad.scheduler.affinity import compile_affinity
from karmadad.scheduler.snapshot import ClusterSnapshot


def conditions_match(conditions: Sequence[Mapping[str, Any]], tests: Sequence[Mapping[str, Any]]) -> bool:
    """Whether every test holds on the cluster's conditions (no tests: False, as Karmada).

    ``In``: the condition is there with one of the statuses; ``NotIn``: it is there with none of them (a
    missing condition fails both). Any other operator fails the whole match.
    """
    if not tests:
        return False
    for test in tests:
        values = test.get("statusValues") or ()
        operator = test.get("operator")
        if operator not in ("In", "NotIn"):
            return False
        statuses = [c.get("status") for c in conditions if c.get("type") == test.get("conditionType")]
        if not statuses:
            return False
        held = statuses[-1] in values
        if held != (operator == "In"):
            return False
    return True


def _same(taint: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    return taint.get("key") == other.get("key") and taint.get("effect") == other.get("effect")


def with_taints(current: list[dict], taints: Iterable[Mapping[str, Any]], now: str) -> list[dict]:
    """``current`` plus each taint not already there by key and effect, stamped ``now``."""
    result = list(current)
    for taint in taints:
        if not any(_same(existing, taint) for existing in result):
            added = {"key": taint.get("key", ""), "effect": taint.get("effect", ""), "timeAdded": now}
            if taint.get("value"):
                added["value"] = taint["value"]
            result.append(added)
    return result


def without_taints(current: list[dict], taints: Iterable[Mapping[str, Any]]) -> list[dict]:
    """``current`` without the taints that match one of ``taints`` by key and effect."""
    removing = list(taints)
    return [t for t in current if not any(_same(t, r) for r in removing)]


def policy_taints(
    cluster: Mapping[str, Any], snapshot: ClusterSnapshot, policies: Sequence[dict], now: str
) -> list[dict]:
    """The Cluster's ``spec.taints`` once every policy had its say (policies in any order: sorted here)."""
    taints = list((cluster.get("spec") or {}).get("taints") or ())
    conditions = (cluster.get("status") or {}).get("conditions") or ()
    ordered = sorted(
        policies, key=lambda p: (p["metadata"].get("creationTimestamp", ""), p["metadata"]["name"])
    )
    for policy in ordered:
        spec = policy.get("spec") or {}
        target = spec.get("targetClusters")
        if target is not None and not compile_affinity(target)(snapshot):
            continue
        if conditions_match(conditions, spec.get("addOnConditions") or ()):
            taints = with_taints(taints, spec.get("taints") or (), now)
        if conditions_match(conditions, spec.get("removeOnConditions") or ()):
            taints = without_taints(taints, spec.get("taints") or ())
    return taints
