"""Application failover: a workload that stays unhealthy in a cluster for ``decisionConditions.tolerationSeconds``
is moved away from it (Karmada's application failover controllers, ``failover.application`` of a policy).

A cluster counts as unhealthy for a binding when its aggregated status says ``Unhealthy`` and the binding is
not already leaving it; ``Healthy`` or ``Unknown`` clears the count. The eviction is recorded like the taint
manager's, with producer ``resource-binding-application-failover-controller`` (or the cluster binding's) and
reason ``ApplicationFailure``, the policy's purge mode (``Never`` keeps the old copy: ``suppressDeletion``)
and grace period, and — with the StatefulFailoverInjection gate — the ``statePreservation`` values read from
the old copy's status, handed to the workload in the cluster it moves to as labels.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from karmadad.api.jsonpath import column_value

REASON_APPLICATION_FAILURE = "ApplicationFailure"
PRODUCERS = {
    "ResourceBinding": "resource-binding-application-failover-controller",
    "ClusterResourceBinding": "cluster-resource-binding-application-failover-controller",
}


class StateNotCollected(Exception):
    """The state to preserve cannot be read yet from the old copy's status."""


def health_by_cluster(binding: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The clusters where the workload is Unhealthy (and not already being left), and those where it is
    Healthy or Unknown."""
    leaving = {t.get("fromCluster") for t in (binding.get("spec") or {}).get("gracefulEvictionTasks") or ()}
    unhealthy, others = [], []
    for item in (binding.get("status") or {}).get("aggregatedStatus") or ():
        cluster, health = item.get("clusterName", ""), item.get("health")
        if health == "Unhealthy" and cluster not in leaving:
            unhealthy.append(cluster)
        if health in ("Healthy", "Unknown"):
            others.append(cluster)
    return unhealthy, others


@dataclass(frozen=True)
class Detection:
    evict: list[str]
    """Clusters unhealthy for longer than the toleration."""
    since: dict[str, float]
    """When each still-unhealthy cluster was first seen so (what to remember for the next look)."""
    next_look: float | None
    """Seconds until the next cluster's toleration runs out (None: nothing is counting)."""


def detect_failures(
    unhealthy: Sequence[str], since: Mapping[str, float], toleration: float, now: float
) -> Detection:
    """Which unhealthy clusters have been so for longer than ``toleration`` seconds (``since``: when each was
    first seen unhealthy; a cluster seen for the first time starts counting now)."""
    evict: list[str] = []
    counting: dict[str, float] = {}
    waits: list[float] = []
    for cluster in unhealthy:
        first = since.get(cluster, now)
        counting[cluster] = first
        if now - first > toleration:
            evict.append(cluster)
        else:
            waits.append(toleration - (now - first))
    return Detection(evict, counting, max(min(waits), 0.0) if waits else None)


def preserved_state(
    rules: Sequence[Mapping[str, Any]], binding: Mapping[str, Any], cluster: str
) -> dict[str, str]:
    """The values ``statePreservation`` rules select from the status of the copy in ``cluster`` (as the
    binding's aggregated status holds it), by their label names."""
    statuses = (binding.get("status") or {}).get("aggregatedStatus") or ()
    status = next((i.get("status") for i in statuses if i.get("clusterName") == cluster), None)
    if not isinstance(status, dict):
        raise StateNotCollected("the application status has not yet been collected")
    values: dict[str, str] = {}
    for rule in rules:
        path = str(rule.get("jsonPath", "")).strip()
        if path.startswith("{") and path.endswith("}"):
            path = path[1:-1]
        try:
            value = column_value(status, path)
        except ValueError as error:
            raise StateNotCollected(str(error)) from None
        if value is None:
            raise StateNotCollected(f"{rule.get('jsonPath')} is not in the status")
        values[str(rule.get("aliasLabelName", ""))] = value if isinstance(value, str) else _text(value)
    return values


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def application_task(
    behavior: Mapping[str, Any],
    binding: Mapping[str, Any],
    cluster: str,
    *,
    stateful: bool,
) -> dict:
    """The eviction task for leaving ``cluster`` (raises StateNotCollected when state to preserve cannot be
    read yet: the eviction waits for it)."""
    spec = binding.get("spec") or {}
    task: dict[str, Any] = {
        "purgeMode": behavior.get("purgeMode") or "Gracefully",
        "reason": REASON_APPLICATION_FAILURE,
        "producer": PRODUCERS.get(str(binding.get("kind")), PRODUCERS["ResourceBinding"]),
    }
    rules = ((behavior.get("statePreservation") or {}).get("rules")) or ()
    if stateful and rules:
        task["preservedLabelState"] = preserved_state(rules, binding, cluster)
        task["clustersBeforeFailover"] = [t.get("name", "") for t in spec.get("clusters") or ()]
    if task["purgeMode"] in ("Gracefully", "Graciously") and behavior.get("gracePeriodSeconds") is not None:
        task["gracePeriodSeconds"] = behavior["gracePeriodSeconds"]
    elif task["purgeMode"] == "Never":
        task["suppressDeletion"] = True
    return task


def injected_labels(spec: Mapping[str, Any], cluster: str) -> dict[str, str]:
    """The preserved labels the workload carries in ``cluster`` (Karmada's rules: the binding runs in one
    cluster, its last eviction task purged its old copy Directly, and ``cluster`` is not one it ran in
    before the failover)."""
    tasks = spec.get("gracefulEvictionTasks") or ()
    if len(spec.get("clusters") or ()) > 1 or not tasks:
        return {}
    last = tasks[-1]
    if last.get("purgeMode") not in ("Directly", "Immediately"):
        return {}
    if cluster in (last.get("clustersBeforeFailover") or ()):
        return {}
    return dict(last.get("preservedLabelState") or {})
