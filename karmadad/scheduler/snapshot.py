"""A Cluster object parsed once into what the scheduler reads on every binding.

Why: scheduling a binding touches every cluster; parsing quantity strings, API lists and taints
again for each binding would dominate the cost.  The cluster informer builds one snapshot per
Cluster change and hands the tuple of snapshots to :func:`karmadad.scheduler.core.schedule`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from karmadad.scheduler.quantities import ceil_milli, ceil_value, exact

# Taint effects the TaintToleration filter looks at (PreferNoSchedule never blocks scheduling).
BLOCKING_EFFECTS = frozenset({"NoSchedule", "NoExecute"})
MEMO_LIMIT = 512
NOTHING_FREE = (0, 0)


@dataclass(frozen=True, slots=True)
class Taint:
    key: str
    value: str
    effect: str

    def label(self) -> str:
        """How an explanation names the taint: ``key`` or ``key=value``."""
        return f"{self.key}={self.value}" if self.value else self.key


@dataclass(frozen=True, slots=True)
class ClusterSnapshot:
    """What the scheduler needs of one Cluster, pre-parsed (see :func:`snapshot`)."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    deleting: bool = False
    provider: str = ""
    region: str = ""
    zones: tuple[str, ...] = ()
    taints: tuple[Taint, ...] = ()
    """Only the NoSchedule / NoExecute taints, in spec order."""
    apis: frozenset[tuple[str, str]] = frozenset()
    """Enabled (groupVersion, kind) pairs from status.apiEnablements."""
    has_summary: bool = False
    """status.resourceSummary present; without it the estimator answers 0."""
    free_pods: int = 0
    """allocatable.pods - allocated.pods - allocating.pods, each rounded up as Quantity.Value(), ≥ 0."""
    free: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Per allocatable resource: (Value(), MilliValue()) of allocatable - allocated - allocating, or
    (0, 0) when Value() is not positive."""
    fields: Mapping[str, str] = field(default_factory=dict)
    """provider / region as field-selector labels (only the non-empty ones, as Karmada builds them)."""
    memo: dict = field(default_factory=dict, compare=False, repr=False)
    """Answers about this cluster that many bindings share — the estimate per parsed request, the
    verdict per compiled affinity — kept until the snapshot is replaced, i.e. until the Cluster
    changes.  Bounded by :data:`MEMO_LIMIT` entries."""

    def __hash__(self) -> int:
        return hash(self.name)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _free_resources(summary: Mapping[str, Any]) -> tuple[int, dict[str, tuple[int, int]]]:
    allocatable = _mapping(summary.get("allocatable"))
    allocated = _mapping(summary.get("allocated"))
    allocating = _mapping(summary.get("allocating"))
    pods = (
        ceil_value(exact(allocatable.get("pods", 0)))
        - ceil_value(exact(allocated.get("pods", 0)))
        - ceil_value(exact(allocating.get("pods", 0)))
    )
    free: dict[str, tuple[int, int]] = {}
    for name, amount in allocatable.items():
        left = exact(amount)
        if name in allocated:
            left -= exact(allocated[name])
        if name in allocating:
            left -= exact(allocating[name])
        value = ceil_value(left)
        # Nothing free (Value() <= 0) admits no replica at all: store it as zero in both units.
        free[name] = (value, ceil_milli(left)) if value > 0 else NOTHING_FREE
    return max(pods, 0), free


def snapshot(cluster: Mapping[str, Any]) -> ClusterSnapshot:
    """Parse a stored Cluster object (a plain dict as the API serves it) into a snapshot."""
    metadata = _mapping(cluster.get("metadata"))
    spec = _mapping(cluster.get("spec"))
    status = _mapping(cluster.get("status"))

    zones = tuple(z for z in (spec.get("zones") or ()) if z)
    if not zones and spec.get("zone"):  # the old single-zone field migrates into zones
        zones = (spec["zone"],)
    taints = tuple(
        Taint(str(t.get("key", "")), str(t.get("value") or ""), str(t.get("effect", "")))
        for t in spec.get("taints") or ()
        if isinstance(t, Mapping) and t.get("effect") in BLOCKING_EFFECTS
    )
    apis = frozenset(
        (str(entry.get("groupVersion", "")), str(resource.get("kind", "")))
        for entry in status.get("apiEnablements") or ()
        if isinstance(entry, Mapping)
        for resource in entry.get("resources") or ()
        if isinstance(resource, Mapping)
    )
    summary = status.get("resourceSummary")
    has_summary = isinstance(summary, Mapping)
    free_pods, free = _free_resources(summary) if isinstance(summary, Mapping) else (0, {})
    provider = str(spec.get("provider") or "")
    region = str(spec.get("region") or "")
    fields = {key: value for key, value in (("provider", provider), ("region", region)) if value}
    return ClusterSnapshot(
        name=str(metadata.get("name", "")),
        labels=dict(_mapping(metadata.get("labels"))),
        deleting=bool(metadata.get("deletionTimestamp")),
        provider=provider,
        region=region,
        zones=zones,
        taints=taints,
        apis=apis,
        has_summary=has_summary,
        free_pods=free_pods,
        free=free,
        fields=fields,
    )
