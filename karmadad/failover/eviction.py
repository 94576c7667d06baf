"""Evictions: when a NoExecute taint evicts a binding from a cluster, what the eviction writes into the
binding, when the evicted copy may go, and when evicting must stop altogether.

Karmada's taint manager and graceful eviction controller decide the same way
(``pkg/controllers/cluster/taint_manager.go``, ``pkg/controllers/gracefuleviction/evictiontask.go``):

- A binding is evicted from a cluster with NoExecute taints when one of them is not tolerated by the
  placement's ``clusterTolerations``, or when the earliest ``timeAdded + tolerationSeconds`` among the
  tolerations in use has passed; until then it waits that long.
- Evicting takes the cluster out of ``spec.clusters`` and appends a graceful eviction task (one per
  cluster) so the scheduler places the replicas elsewhere while the old copy keeps serving.
- A task ends when its grace period (the task's own, else the configured timeout) has passed, or when the
  binding is scheduled for its current generation and every cluster it is scheduled to reports Healthy (with
  the replicas now assigned to it, where its status counts them: beyond Karmada, which may take the health
  of the replicas that ran before the eviction);
  ``suppressDeletion`` true keeps it, false ends it at once.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from karmadad.api.conditions import is_true
from karmadad.api.karmada.names import APPLIED_PLACEMENT
from karmadad.scheduler.filters import Toleration, tolerations_of
from karmadad.scheduler.snapshot import Taint

PRODUCER_TAINT_MANAGER = "TaintManager"
REASON_TAINT_UNTOLERATED = "TaintUntolerated"


def parse_time(value: Any) -> float | None:
    """Seconds since the epoch of an RFC 3339 timestamp, or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def format_time(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(int(seconds), datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def no_execute_taints(cluster: Mapping[str, Any]) -> list[dict]:
    return [t for t in (cluster.get("spec") or {}).get("taints") or () if t.get("effect") == "NoExecute"]


@dataclass(frozen=True)
class Verdict:
    """Whether to evict now; if not, ``after`` seconds until it is due (None: never, as things stand)."""

    evict: bool
    after: float | None = None


KEEP = Verdict(False)
EVICT = Verdict(True)


def eviction_verdict(
    taints: Sequence[Mapping[str, Any]], placement: Mapping[str, Any], now: float
) -> Verdict:
    """What the cluster's NoExecute ``taints`` mean for a binding placed by ``placement``."""
    if not taints:
        return KEEP
    tolerations = tolerations_of(placement)
    parsed: list[tuple[Taint, float | None]] = []
    used: list[Toleration] = []
    for raw in taints:
        taint = Taint(str(raw.get("key", "")), str(raw.get("value") or ""), "NoExecute")
        toleration = next((t for t in tolerations if t.tolerates(taint)), None)
        if toleration is None:
            return EVICT
        parsed.append((taint, parse_time(raw.get("timeAdded"))))
        used.append(toleration)
    # each limited toleration in use starts a clock on every taint it covers; the first to run out counts
    due = [
        added + toleration.seconds
        for toleration in used
        if toleration.seconds is not None
        for taint, added in parsed
        if added is not None and toleration.tolerates(taint)
    ]
    if not due:
        return KEEP
    first = min(due)
    return EVICT if first <= now else Verdict(False, first - now)


def applied_placement(binding: Mapping[str, Any]) -> dict:
    """The placement the binding was last scheduled by (its annotation), else its current one."""
    recorded = ((binding.get("metadata") or {}).get("annotations") or {}).get(APPLIED_PLACEMENT)
    try:
        placement = json.loads(recorded) if recorded else None
    except ValueError:
        placement = None
    if not isinstance(placement, dict):
        placement = (binding.get("spec") or {}).get("placement") or {}
    return placement


def purge_mode(failover: Mapping[str, Any] | None, default: str) -> str:
    """How an evicted copy goes: the policy's ``failover.cluster.purgeMode`` (Gracefully when it has a
    cluster failover without one), else the configured default."""
    cluster = (failover or {}).get("cluster")
    if isinstance(cluster, Mapping):
        return str(cluster.get("purgeMode") or "Gracefully")
    return "Directly" if default == "Directly" else "Gracefully"


def evicted_spec(spec: Mapping[str, Any], cluster: str, task: Mapping[str, Any]) -> dict:
    """``spec`` with ``cluster`` taken out of the placement and ``task`` recorded for it (one task per
    cluster: an existing one stays as it is). Unchanged when the cluster is not a target."""
    targets = list(spec.get("clusters") or ())
    leaving = next((t for t in targets if t.get("name") == cluster), None)
    if leaving is None:
        return dict(spec)
    new = {**spec, "clusters": [t for t in targets if t is not leaving]}
    tasks = list(spec.get("gracefulEvictionTasks") or ())
    if not any(t.get("fromCluster") == cluster for t in tasks):
        recorded = {"fromCluster": cluster, **task}
        if leaving.get("replicas"):
            recorded["replicas"] = leaving["replicas"]
        new["gracefulEvictionTasks"] = [*tasks, recorded]
    if not new["clusters"]:
        new.pop("clusters")
    return new


def eviction_message(cluster: str, task: Mapping[str, Any]) -> str:
    """What an eviction's Event says: where from, why, and what becomes of the old copy."""
    mode = task.get("purgeMode") or "Gracefully"
    if task.get("suppressDeletion"):
        fate = "its copy there is kept"
    elif mode in ("Directly", "Immediately"):
        fate = "its copy there is removed at once"
    else:
        fate = "its copy there stays until the replicas placed elsewhere are healthy"
    return f"Evicting from cluster {cluster} ({task.get('reason')}, purge mode {mode}): {fate}."


@dataclass(frozen=True)
class Assessment:
    kept: list[dict]
    """The tasks still running (a task without a creationTimestamp gets ``now``)."""
    ended: list[str]
    """The clusters whose tasks ended: their copies may go."""
    next_look: float | None
    """Seconds until the first running task's grace period ends (None: no deadline)."""


def _healthy_everywhere(clusters: Sequence[Mapping[str, Any]], statuses: Sequence[Mapping[str, Any]]) -> bool:
    """Every target reports Healthy — and, beyond Karmada, with the replicas it is assigned now where its
    status counts replicas, so a health reported before the new assignment reached the member (the status
    of the replicas it ran until the eviction) does not count."""
    by_cluster = {s.get("clusterName"): s for s in statuses}
    for target in clusters:
        item = by_cluster.get(target.get("name")) or {}
        if item.get("health") != "Healthy":
            return False
        reported = (item.get("status") or {}).get("replicas")
        if target.get("replicas") and isinstance(reported, int) and reported != target["replicas"]:
            return False
    return True


def assess_tasks(binding: Mapping[str, Any], now: float, timeout: float) -> Assessment:
    """Which of the binding's graceful eviction tasks go on, and which have ended."""
    spec, status = binding.get("spec") or {}, binding.get("status") or {}
    generation = (binding.get("metadata") or {}).get("generation")
    scheduled = status.get("schedulerObservedGeneration") == generation
    replaced = scheduled and _healthy_everywhere(
        spec.get("clusters") or (), status.get("aggregatedStatus") or ()
    )
    kept: list[dict] = []
    ended: list[str] = []
    deadlines: list[float] = []
    for task in spec.get("gracefulEvictionTasks") or ():
        created = parse_time(task.get("creationTimestamp"))
        if created is None:
            kept.append({**task, "creationTimestamp": format_time(now)})
            continue
        grace = task.get("gracePeriodSeconds")
        deadline = created + (grace if isinstance(grace, int) else timeout)
        suppress = task.get("suppressDeletion")
        if suppress is True:
            kept.append(task)
        elif suppress is False or now > deadline or replaced:
            ended.append(task.get("fromCluster", ""))
        else:
            kept.append(task)
            deadlines.append(deadline)
    return Assessment(kept, ended, max(min(deadlines) - now, 0.0) if deadlines else None)


def evictions_halted(clusters: Sequence[dict], max_not_ready_share: float) -> bool:
    """Whether more than ``max_not_ready_share`` of the clusters is NotReady: then karmadad evicts nothing
    (when most clusters fail together, the likelier failure is the management network's)."""
    if not clusters:
        return False
    not_ready = sum(1 for c in clusters if not is_true(c, "Ready"))
    return not_ready / len(clusters) > max_not_ready_share
