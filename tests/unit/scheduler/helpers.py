"""Builders for Cluster objects and binding specs used across the scheduler tests."""

from __future__ import annotations

from typing import Any

from karmadad.scheduler import snapshot
from karmadad.scheduler.snapshot import ClusterSnapshot

DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "uid": ""}
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "uid": ""}
APIS = [
    {"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]},
    {"groupVersion": "v1", "resources": [{"name": "configmaps", "kind": "ConfigMap"}]},
]
NOT_READY = {"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"}


def cluster_object(
    name: str,
    *,
    pods: int | None = 110,
    cpu: str = "100",
    memory: str = "256Gi",
    allocated: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    taints: list[dict[str, Any]] | None = None,
    region: str = "",
    zones: list[str] | None = None,
    provider: str = "",
    apis: list[dict[str, Any]] | None = None,
    deleting: bool = False,
    summary: bool = True,
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "labels": labels or {}}
    if deleting:
        metadata["deletionTimestamp"] = "2024-01-01T00:00:00Z"
    status: dict[str, Any] = {"apiEnablements": APIS if apis is None else apis}
    if summary:
        allocatable = {"cpu": cpu, "memory": memory}
        if pods is not None:
            allocatable["pods"] = str(pods)
        status["resourceSummary"] = {"allocatable": allocatable, "allocated": allocated or {}}
    return {
        "metadata": metadata,
        "spec": {"region": region, "zones": zones or [], "provider": provider, "taints": taints or []},
        "status": status,
    }


def cluster(name: str, **kwargs: Any) -> ClusterSnapshot:
    return snapshot(cluster_object(name, **kwargs))


def pods_cluster(name: str, capacity: int, **kwargs: Any) -> ClusterSnapshot:
    """A cluster whose capacity for a request-less workload is ``capacity`` replicas."""
    return cluster(name, pods=capacity, **kwargs)


def divided(preference: str = "Weighted", **weight_preference: Any) -> dict[str, Any]:
    strategy: dict[str, Any] = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": preference}
    if weight_preference:
        strategy["weightPreference"] = weight_preference
    return strategy


def static_weights(*pairs: tuple[str, int]) -> dict[str, Any]:
    return divided(
        staticWeightList=[
            {"targetCluster": {"clusterNames": [name]}, "weight": weight} for name, weight in pairs
        ]
    )


DYNAMIC = {
    "replicaSchedulingType": "Divided",
    "replicaDivisionPreference": "Weighted",
    "weightPreference": {"dynamicWeight": "AvailableReplicas"},
}
AGGREGATED = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}


def binding(
    replicas: int | None = None,
    placement: dict[str, Any] | None = None,
    *,
    previous: dict[str, int] | None = None,
    resource: dict[str, Any] | None = None,
    uid: str = "",
    request: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "resource": dict(resource or DEPLOYMENT, uid=uid),
        "placement": placement if placement is not None else {},
    }
    if replicas is not None:
        spec["replicas"] = replicas
        spec["replicaRequirements"] = {"resourceRequest": request or {}}
    if previous is not None:
        spec["clusters"] = [{"name": name, "replicas": count} for name, count in previous.items()]
    spec.update(extra)
    return spec


def as_map(clusters: list[dict[str, Any]]) -> dict[str, Any]:
    return {c["name"]: c.get("replicas") for c in clusters}
