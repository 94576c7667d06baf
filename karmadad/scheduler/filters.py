"""Karmada's filter plugins, each answering "why not this cluster" as a short reason.

Why reasons instead of booleans: karmadad explains placements (``0/5 clusters fit: 2 had untolerated
taint {...}``), so every failing filter names itself.  A cluster counts under its first failing
filter, in this order: deleting, APIEnablement, TaintToleration, ClusterAffinity, SpreadConstraint,
ClusterEviction.  (Karmada runs its plugins in map order and stops at the first failure too; only the
reported reason can differ, never the verdict.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from karmadad.scheduler.affinity import Matcher, compile_affinity
from karmadad.scheduler.snapshot import MEMO_LIMIT, ClusterSnapshot, Taint

DELETING = "is being deleted"
EVICTING = "is being evicted"


@dataclass(frozen=True, slots=True)
class Toleration:
    key: str
    operator: str
    value: str
    effect: str
    seconds: int | None = None
    """``tolerationSeconds``: how long a NoExecute taint is tolerated (None: for good)."""

    def tolerates(self, taint: Taint) -> bool:
        """``corev1.Toleration.ToleratesTaint`` with the Lt/Gt operators disabled, as Karmada calls it."""
        if self.effect and self.effect != taint.effect:
            return False
        if self.key and self.key != taint.key:
            return False
        if self.operator in ("", "Equal"):
            return self.value == taint.value
        return self.operator == "Exists"


def tolerations_of(placement: Mapping[str, Any]) -> tuple[Toleration, ...]:
    return tuple(
        Toleration(
            str(t.get("key") or ""),
            str(t.get("operator") or ""),
            str(t.get("value") or ""),
            str(t.get("effect") or ""),
            t["tolerationSeconds"] if isinstance(t.get("tolerationSeconds"), int) else None,
        )
        for t in placement.get("clusterTolerations") or ()
        if isinstance(t, Mapping)
    )


def untolerated_taint(taints: Sequence[Taint], tolerations: Sequence[Toleration]) -> Taint | None:
    """The first blocking taint no toleration covers (``FindMatchingUntoleratedTaint``)."""
    for taint in taints:
        if not any(toleration.tolerates(taint) for toleration in tolerations):
            return taint
    return None


@dataclass(frozen=True, slots=True)
class ClusterFilter:
    """Every filter for one binding and one affinity term, compiled once and applied per cluster."""

    reason: Callable[[ClusterSnapshot], str | None]
    """``None`` when the cluster passes every filter, else why it does not."""


@lru_cache(maxsize=1024)
def _compile(
    targets: frozenset[str],
    api: tuple[str, str],
    tolerations: tuple[Toleration, ...],
    affinity: Matcher | None,
    affinity_label: str,
    spread_fields: tuple[str, ...],
    evicting: frozenset[str],
) -> Callable[[ClusterSnapshot], str | None]:
    api_reason = f"did not enable {api[0]} {api[1]}"
    affinity_reason = f"did not match {affinity_label}"
    need_provider = "provider" in spread_fields
    need_region = "region" in spread_fields
    need_zone = "zone" in spread_fields
    spread_order = spread_fields

    def reason(cluster: ClusterSnapshot) -> str | None:
        if cluster.deleting:
            return DELETING
        in_targets = cluster.name in targets
        if not in_targets and api not in cluster.apis:
            return api_reason
        if cluster.taints and not in_targets:
            taint = untolerated_taint(cluster.taints, tolerations)
            if taint is not None:
                return f"had untolerated taint {{{taint.label()}}}"
        if affinity is not None:
            memo = cluster.memo
            matched = memo.get(affinity)
            if matched is None:
                matched = affinity(cluster)
                if len(memo) >= MEMO_LIMIT:
                    memo.clear()
                memo[affinity] = matched
            if not matched:
                return affinity_reason
        if (
            (need_provider and not cluster.provider)
            or (need_region and not cluster.region)
            or (need_zone and not cluster.zones)
        ):
            for spread_field in spread_order:  # report the first missing field in constraint order
                if not getattr(cluster, "zones" if spread_field == "zone" else spread_field):
                    return f"has no {spread_field}"
        if cluster.name in evicting:
            return EVICTING
        return None

    return reason


@lru_cache(maxsize=1024)
def _any_of(matchers: tuple[Matcher, ...]) -> Matcher:
    """One predicate for "matches any of these" (a term with overflow affinities); shared, so memoisable."""
    if len(matchers) == 1:
        return matchers[0]
    return lambda cluster: any(match(cluster) for match in matchers)


def build_filter(
    spec: Mapping[str, Any],
    placement: Mapping[str, Any],
    affinities: Sequence[Mapping[str, Any] | None] | None,
    affinity_label: str = "placement.clusterAffinity",
) -> ClusterFilter:
    """Compile the filters for a binding.

    ``affinities`` are the ClusterAffinity dicts a cluster may match (the term's own affinity, then its
    overflow affinities for workloads); ``None`` means no affinity restricts the clusters.
    """
    resource = spec.get("resource") or {}
    matcher: Matcher | None = None
    if affinities is not None:
        matcher = _any_of(tuple(compile_affinity(affinity) for affinity in affinities))

    spread_fields = tuple(
        dict.fromkeys(
            c.get("spreadByField")
            for c in placement.get("spreadConstraints") or ()
            if c.get("spreadByField") in ("provider", "region", "zone")
        )
    )
    return ClusterFilter(
        _compile(
            targets=frozenset(c.get("name", "") for c in spec.get("clusters") or ()),
            api=(str(resource.get("apiVersion", "")), str(resource.get("kind", ""))),
            tolerations=tolerations_of(placement),
            affinity=matcher,
            affinity_label=affinity_label,
            spread_fields=spread_fields,
            evicting=frozenset(t.get("fromCluster", "") for t in spec.get("gracefulEvictionTasks") or ()),
        )
    )


_RESULTS_LIMIT = 256
_results: dict[tuple, tuple[tuple[ClusterSnapshot, ...], list[ClusterSnapshot], dict[str, str]]] = {}


def run_filters(
    cluster_filter: ClusterFilter, clusters: Sequence[ClusterSnapshot]
) -> tuple[list[ClusterSnapshot], dict[str, str]]:
    """The clusters that fit, and for each one that does not, its reason (both shared: read only).

    Bindings of one policy compile to the same filter (``_compile`` is cached by its inputs), so over the
    same cluster snapshots the answer is remembered: scheduling a thousand templates of one policy filters
    the clusters once. Snapshots are immutable, and a remembered answer keeps every one of them alive, so
    the ids in its key cannot be taken by others.
    """
    key = (cluster_filter.reason, tuple(map(id, clusters)))
    found = _results.get(key)
    if found is not None:
        return found[1], found[2]
    fit: list[ClusterSnapshot] = []
    reasons: dict[str, str] = {}
    reason_of = cluster_filter.reason
    for cluster in clusters:
        reason = reason_of(cluster)
        if reason is None:
            fit.append(cluster)
        else:
            reasons[cluster.name] = reason
    if len(_results) >= _RESULTS_LIMIT:
        _results.clear()
    _results[key] = (tuple(clusters), fit, reasons)
    return fit, reasons
