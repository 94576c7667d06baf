"""Which feasible clusters to use under the placement's spread constraints.

Karmada (``pkg/scheduler/core/spreadconstraint/``) drives selection by ``cluster`` and by ``region``
only; zone and provider merely filter.  karmadad also lets ``zone`` and ``provider`` drive selection,
exactly the way region does.  Rules of our own, documented here:

* when several group fields are given, one drives: region, else zone, else provider (the others
  still filter, as in Karmada);
* a cluster with several zones belongs to the group of its first listed zone;
* ``maxGroups: 0`` means "no limit" wherever Karmada would otherwise select nothing and fail — the
  cluster constraint when spreading by cluster, and the group constraint; with a group field driving,
  a cluster constraint without maxGroups keeps Karmada's behaviour (one cluster per chosen group).

Everything else is Karmada's: spread constraints are ignored for static-weight division; under
Duplicated the available replicas are not considered; when spreading by cluster the best
``maxGroups`` clusters are taken and, for Divided, the weakest ones are swapped for the clusters with
the most available replicas until the selection can hold the replicas.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter, itemgetter
from typing import Any

from karmadad.scheduler.candidates import Candidate, SelectionFailure, order_key
from karmadad.scheduler.groups import Group, select_groups

GROUP_FIELDS = ("region", "zone", "provider")
_PLURAL = {"region": "regions", "zone": "zones", "provider": "providers", "cluster": "clusters"}
_WEIGHT_UNIT = 1000
_CLUSTER = itemgetter(4)  # a Candidate's ClusterSnapshot


def spread_ignored(placement: Mapping[str, Any]) -> bool:
    """Static-weight division ignores spread constraints (``shouldIgnoreSpreadConstraint``)."""
    strategy = placement.get("replicaScheduling")
    if not strategy or strategy.get("replicaSchedulingType") != "Divided":
        return False
    if strategy.get("replicaDivisionPreference") != "Weighted":
        return False
    preference = strategy.get("weightPreference")
    if preference is None:
        return True
    return bool(preference.get("staticWeightList")) and not preference.get("dynamicWeight")


def _group_keys(candidates: Sequence[Candidate], field: str) -> list[str]:
    """Each candidate's group: its region or provider, or its first zone."""
    if field == "zone":
        return [zones[0] if (zones := cluster.zones) else "" for cluster in map(_CLUSTER, candidates)]
    return list(map(attrgetter(field), map(_CLUSTER, candidates)))


def group_score(
    clusters: Sequence[Candidate], replicas: int, duplicated: bool, group_min: int, cluster_min: int
) -> int:
    """Karmada's ``calcGroupScore``: capacity for the group's share first (times 1000), cluster score second."""
    if duplicated:
        valid = [c for c in clusters if c.available >= replicas]
        if not valid:
            return 0
        return len(valid) * _WEIGHT_UNIT + sum(c.score for c in valid) // len(valid)
    target = -(-replicas // group_min)  # ceil(replicas / minGroups)
    need_clusters = max(cluster_min, group_min)
    capacity = score = count = 0
    for candidate in clusters:
        capacity += candidate.available
        score += candidate.score
        count += 1
        if count >= need_clusters and capacity >= target:
            break
    if capacity < target:
        return capacity * _WEIGHT_UNIT + score // len(clusters)
    return target * _WEIGHT_UNIT + score // count


def _by_cluster(
    candidates: list[Candidate], constraint: Mapping[str, Any], need_replicas: int | None
) -> list[Candidate]:
    total = len(candidates)
    min_groups = constraint.get("minGroups") or 1
    if total < min_groups:
        raise SelectionFailure(
            f"{total} feasible clusters, fewer than the {min_groups} spreadConstraint cluster minGroups wants"
        )
    count = min(total, constraint.get("maxGroups") or total)
    if need_replicas is None:
        return candidates[:count]
    chosen = candidates[:count]
    rest = candidates[count:]
    capacity = sum(c.available for c in chosen)
    # Replace the weakest choices, last first, by the remaining cluster with the most available replicas.
    index = count - 1
    while capacity < need_replicas and index >= 0:
        best, best_available = -1, chosen[index].available
        for j, other in enumerate(rest):
            if other.available > best_available:
                best, best_available = j, other.available
        if best >= 0:
            capacity += rest[best].available - chosen[index].available
            chosen[index], rest[best] = rest[best], chosen[index]
        index -= 1
    if capacity < need_replicas:
        best_total = sum(sorted((c.available for c in candidates), reverse=True)[:count])
        raise SelectionFailure(
            f"not enough capacity in {count} clusters: {need_replicas} replicas wanted, "
            f"the best {count} clusters hold {best_total}"
        )
    return chosen


def _by_group(
    candidates: list[Candidate],
    field: str,
    constraints: Mapping[str, Mapping[str, Any]],
    replicas: int,
    duplicated: bool,
) -> list[Candidate]:
    group_constraint = constraints[field]
    cluster_constraint = constraints.get("cluster") or {}
    group_min = group_constraint.get("minGroups") or 1
    cluster_min = cluster_constraint.get("minGroups") or 0
    members: dict[str, list[Candidate]] = {}
    for key, candidate in zip(_group_keys(candidates, field), candidates, strict=True):
        if key:
            bucket = members.get(key)
            if bucket is None:
                members[key] = [candidate]
            else:
                bucket.append(candidate)
    groups = {key: Group(key, bucket) for key, bucket in members.items()}
    plural = _PLURAL[field]
    if len(groups) < group_min:
        raise SelectionFailure(
            f"{len(groups)} {plural} have feasible clusters, fewer than the {group_min} "
            f"spreadConstraint {field} minGroups wants"
        )
    for group in groups.values():
        group.score = group_score(group.clusters, replicas, duplicated, group_min, cluster_min)
    group_max = group_constraint.get("maxGroups") or len(groups)
    chosen = select_groups(list(groups.values()), group_min, group_max, cluster_min)
    if not chosen:
        raise SelectionFailure(
            f"no {group_min}..{group_max} {plural} together have the {cluster_min} feasible clusters "
            "spreadConstraint cluster minGroups wants"
        )
    selected = [group.clusters[0] for group in chosen]
    rest = [c for group in chosen for c in group.clusters[1:]]
    wanted = min(len(selected) + len(rest), cluster_constraint.get("maxGroups") or 0) - len(selected)
    if wanted > 0:
        rest.sort(key=order_key)
        selected.extend(rest[:wanted])
    return selected


def select_clusters(
    candidates: list[Candidate], placement: Mapping[str, Any], replicas: int
) -> list[Candidate]:
    """The clusters to assign replicas to, from the feasible ones in Karmada's cluster order."""
    constraints_list = placement.get("spreadConstraints") or []
    if not constraints_list or spread_ignored(placement):
        return candidates
    constraints: dict[str, Mapping[str, Any]] = {}
    for constraint in constraints_list:
        constraints[constraint.get("spreadByField") or ""] = constraint
    strategy = placement.get("replicaScheduling")
    duplicated = not strategy or strategy.get("replicaSchedulingType") == "Duplicated"
    for field in GROUP_FIELDS:
        if field in constraints:
            return _by_group(candidates, field, constraints, replicas, duplicated)
    if "cluster" in constraints:
        return _by_cluster(candidates, constraints["cluster"], None if duplicated else replicas)
    raise SelectionFailure("only cluster, region, zone and provider spread constraints can select clusters")
