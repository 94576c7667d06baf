"""Spread constraints: by cluster, region, zone and provider, with min/max groups."""

from __future__ import annotations

from typing import Any

import pytest

from karmadad.scheduler import schedule
from karmadad.scheduler.candidates import Candidate, SelectionFailure
from karmadad.scheduler.groups import Group, select_groups
from karmadad.scheduler.spread import group_score, select_clusters

from .helpers import AGGREGATED, DYNAMIC, as_map, binding, cluster, divided, pods_cluster


def candidate(name: str, available: int, score: int = 0, **kwargs: Any) -> Candidate:
    return Candidate.of(cluster(name, **kwargs), score, 0, available, available)


def by_cluster(min_groups: int = 1, max_groups: int = 0) -> dict[str, Any]:
    return {"spreadByField": "cluster", "minGroups": min_groups, "maxGroups": max_groups}


def names(result) -> list[str]:
    return sorted(c["name"] for c in result.clusters)


def test_spread_by_cluster_takes_the_best_max_groups() -> None:
    clusters = [pods_cluster("m1", 5), pods_cluster("m2", 50), pods_cluster("m3", 20)]
    result = schedule(binding(3, {"spreadConstraints": [by_cluster(1, 2)]}), {}, clusters)
    assert names(result) == ["m2", "m3"]  # most available replicas first
    # locality beats capacity
    result = schedule(binding(3, {"spreadConstraints": [by_cluster(1, 2)]}, previous={"m1": 3}), {}, clusters)
    assert names(result) == ["m1", "m2"]


def test_spread_by_cluster_min_groups_not_met() -> None:
    clusters = [pods_cluster("m1", 5), pods_cluster("m2", 5)]
    result = schedule(binding(3, {"spreadConstraints": [by_cluster(3, 3)]}), {}, clusters)
    assert result.reason == "SchedulerError"
    assert result.message == "2 feasible clusters, fewer than the 3 spreadConstraint cluster minGroups wants"


def test_spread_by_cluster_swaps_in_capacity_under_divided() -> None:
    # Karmada's own example: member1 and member2 score highest but hold only 70 of the 80 replicas.
    chosen = select_clusters(
        [candidate("member1", 40, 100), candidate("member2", 30, 100), candidate("member3", 60)],
        {"spreadConstraints": [by_cluster(1, 2)], "replicaScheduling": DYNAMIC},
        80,
    )
    assert [c.name for c in chosen] == ["member1", "member3"]


def test_spread_by_cluster_ignores_capacity_under_duplicated() -> None:
    chosen = select_clusters(
        [candidate("member1", 40, 100), candidate("member2", 30, 100), candidate("member3", 60)],
        {"spreadConstraints": [by_cluster(1, 2)]},
        80,
    )
    assert [c.name for c in chosen] == ["member1", "member2"]


def test_spread_by_cluster_without_enough_capacity_fails() -> None:
    with pytest.raises(
        SelectionFailure,
        match="not enough capacity in 2 clusters: 80 replicas wanted, the best 2 clusters hold 70",
    ):
        select_clusters(
            [candidate("a", 40), candidate("b", 30), candidate("c", 20)],
            {"spreadConstraints": [by_cluster(1, 2)], "replicaScheduling": DYNAMIC},
            80,
        )


def test_max_groups_zero_means_no_limit_when_spreading_by_cluster() -> None:
    clusters = [pods_cluster(f"m{i}", 5) for i in range(4)]
    result = schedule(binding(2, {"spreadConstraints": [{"spreadByField": "cluster"}]}), {}, clusters)
    assert len(result.clusters) == 4


def test_static_weight_ignores_spread_constraints() -> None:
    clusters = [pods_cluster(f"m{i}", 5) for i in range(4)]
    placement = {
        "spreadConstraints": [by_cluster(1, 1)],
        "replicaScheduling": divided(staticWeightList=[{"targetCluster": {}, "weight": 1}]),
    }
    assert len(schedule(binding(4, placement), {}, clusters).clusters) == 4
    # a dynamic weight does honour them
    placement["replicaScheduling"] = DYNAMIC
    assert len(schedule(binding(4, placement), {}, clusters).clusters) == 1


REGIONS = [
    pods_cluster("eu1", 10, region="eu", zones=["eu-a"], provider="aws"),
    pods_cluster("eu2", 10, region="eu", zones=["eu-b"], provider="aws"),
    pods_cluster("us1", 30, region="us", zones=["us-a"], provider="gcp"),
    pods_cluster("us2", 5, region="us", zones=["us-a"], provider="gcp"),
    pods_cluster("ap1", 1, region="ap", zones=["ap-a", "eu-a"], provider="azure"),
]


def group_spread(
    field: str, min_groups: int, max_groups: int, cluster_min: int, cluster_max: int
) -> list[dict]:
    return [
        {"spreadByField": field, "minGroups": min_groups, "maxGroups": max_groups},
        by_cluster(cluster_min, cluster_max),
    ]


def test_spread_by_region_picks_the_best_regions_and_one_cluster_each() -> None:
    placement = {"spreadConstraints": group_spread("region", 2, 2, 2, 2), "replicaScheduling": DYNAMIC}
    result = schedule(binding(20, placement), {}, REGIONS)
    # Each region's share is ceil(20/2) = 10 with 2 clusters: eu and us both score 10000, ap 1000.
    assert as_map(result.clusters) == {"eu1": 5, "us1": 15}
    # Aggregated then packs the two selected clusters: us1 alone holds 20.
    placement["replicaScheduling"] = AGGREGATED
    assert as_map(schedule(binding(20, placement), {}, REGIONS).clusters) == {"us1": 20}


def test_spread_by_region_fills_up_to_the_cluster_max_groups() -> None:
    placement = {"spreadConstraints": group_spread("region", 2, 2, 2, 3), "replicaScheduling": DYNAMIC}
    result = schedule(binding(6, placement), {}, REGIONS)
    assert names(result) == ["eu1", "eu2", "us1"]


def test_spread_by_region_min_groups_not_met() -> None:
    placement = {"spreadConstraints": group_spread("region", 4, 4, 1, 4), "replicaScheduling": DYNAMIC}
    result = schedule(binding(6, placement), {}, REGIONS)
    assert result.reason == "SchedulerError"
    assert (
        result.message
        == "3 regions have feasible clusters, fewer than the 4 spreadConstraint region minGroups wants"
    )


def test_spread_by_region_without_a_combination_holding_enough_clusters() -> None:
    placement = {"spreadConstraints": group_spread("region", 1, 1, 3, 3), "replicaScheduling": DYNAMIC}
    result = schedule(binding(6, placement), {}, REGIONS)
    assert result.reason == "SchedulerError"
    assert "no 1..1 regions together have the 3 feasible clusters" in result.message


def test_spread_by_region_filters_clusters_without_region() -> None:
    clusters = [*REGIONS, pods_cluster("nowhere", 100)]
    placement = {"spreadConstraints": group_spread("region", 1, 3, 1, 5), "replicaScheduling": DYNAMIC}
    result = schedule(binding(6, placement), {}, clusters)
    assert "nowhere" not in names(result)
    assert result.message.endswith("5/6 clusters fit: 1 has no region")


def test_spread_by_zone_drives_selection() -> None:
    # Duplicated 3: zone scores eu-a 1000, eu-b 1000, us-a 2000 (two clusters hold 3), ap-a 0.
    placement = {"spreadConstraints": group_spread("zone", 3, 3, 3, 3)}
    result = schedule(binding(3, placement), {}, REGIONS)
    assert names(result) == ["eu1", "eu2", "us1"]  # one cluster in each of eu-a, eu-b, us-a
    placement = {"spreadConstraints": group_spread("zone", 5, 5, 1, 5)}
    result = schedule(binding(3, placement), {}, REGIONS)
    assert (
        result.message
        == "4 zones have feasible clusters, fewer than the 5 spreadConstraint zone minGroups wants"
    )


def test_a_cluster_with_several_zones_counts_in_its_first_zone() -> None:
    clusters = [candidate("c1", 5, zones=["z1", "z2"]), candidate("c2", 5, zones=["z2"])]
    placement = {"spreadConstraints": group_spread("zone", 2, 2, 2, 2)}
    assert [c.name for c in select_clusters(clusters, placement, 1)] == ["c1", "c2"]
    clusters = [candidate("c1", 5, zones=["z2", "z1"]), candidate("c2", 5, zones=["z2"])]
    with pytest.raises(SelectionFailure, match="1 zones have feasible clusters"):
        select_clusters(clusters, placement, 1)


def test_spread_by_provider() -> None:
    placement = {"spreadConstraints": group_spread("provider", 1, 1, 1, 1), "replicaScheduling": DYNAMIC}
    # 3 replicas: aws and gcp both hold them (score 3000 each): the tie goes to the first path found, aws
    assert names(schedule(binding(3, placement), {}, REGIONS)) == ["eu1"]
    # 25 replicas: aws holds 20 (score 20000), gcp 25 (25000)
    assert names(schedule(binding(25, placement), {}, REGIONS)) == ["us1"]
    placement = {"spreadConstraints": group_spread("provider", 3, 3, 1, 3)}
    result = schedule(binding(3, placement), {}, REGIONS)
    assert names(result) == ["ap1", "eu1", "us1"]  # one per provider, Duplicated
    placement = {"spreadConstraints": group_spread("provider", 4, 5, 1, 5)}
    result = schedule(binding(3, placement), {}, REGIONS)
    assert (
        result.message
        == "3 providers have feasible clusters, fewer than the 4 spreadConstraint provider minGroups wants"
    )


def test_region_drives_when_zone_is_also_given() -> None:
    placement = {
        "spreadConstraints": [
            {"spreadByField": "zone", "minGroups": 2, "maxGroups": 5},  # would pick 2 clusters if it drove
            {"spreadByField": "region", "minGroups": 1, "maxGroups": 1},
            by_cluster(1, 1),
        ],
        "replicaScheduling": DYNAMIC,
    }
    result = schedule(binding(25, placement), {}, REGIONS)
    assert names(result) == ["us1"]


def test_group_score_for_duplicated_counts_clusters_that_hold_all_replicas() -> None:
    clusters = [candidate("a", 60, 100), candidate("b", 70, 100), candidate("c", 40, 100)]
    assert group_score(clusters, 50, True, 1, 1) == 2 * 1000 + 100
    assert group_score([candidate("a", 10)], 50, True, 1, 1) == 0


def test_group_score_for_divided_weighs_capacity_for_the_share_first() -> None:
    # Karmada's examples: 100 replicas over minGroups 2 -> 50 per group.
    first = [candidate(n, a, 100) for n, a in (("m1", 10), ("m2", 10), ("m3", 10), ("m4", 10), ("m5", 5))]
    second = [candidate(n, a) for n, a in (("m1", 40), ("m2", 30), ("m3", 10), ("m4", 10))]
    assert group_score(first, 100, False, 2, 1) == 45 * 1000 + 100
    assert group_score(second, 100, False, 2, 1) == 50 * 1000 + 0


def groups(*spec: tuple[str, int, int]) -> list[Group]:
    return [Group(name, [None] * value, score) for name, value, score in spec]


def test_select_groups_best_weight_wins() -> None:
    # Karmada's example: target 7, values 2, 3, 6, 7, exactly two groups.
    chosen = select_groups(groups(("g2", 2, 10), ("g3", 3, 40), ("g6", 6, 20), ("g7", 7, 30)), 2, 2, 7)
    assert [g.name for g in chosen] == ["g3", "g7"]


def test_select_groups_prefers_a_feasible_prefix_of_the_best() -> None:
    # The search visits z (1 cluster) first: [z, x] holds 3 < 4, so it goes on to [z, x, y] (weight 191),
    # and later finds [x, y] (weight 190). The best, ordered by weight, is x, y, z; [x, y] is a
    # feasible prefix of it, so [x, y] wins.
    chosen = select_groups(groups(("x", 2, 100), ("y", 2, 90), ("z", 1, 1)), 2, 3, 4)
    assert [g.name for g in chosen] == ["x", "y"]


def test_select_groups_equal_weight_prefers_more_clusters_then_the_first_found() -> None:
    assert [g.name for g in select_groups(groups(("a", 1, 10), ("b", 3, 10)), 1, 1, 1)] == ["b"]
    assert [g.name for g in select_groups(groups(("b", 2, 10), ("a", 2, 10)), 1, 1, 1)] == ["a"]


def test_select_groups_none_feasible() -> None:
    assert select_groups(groups(("a", 1, 1), ("b", 1, 1)), 1, 2, 3) is None
    assert select_groups([], 1, 1, 0) is None


def test_select_groups_with_many_groups_falls_back_to_greedy() -> None:
    many = groups(*((f"z{i:03d}", 1, i) for i in range(200)))
    chosen = select_groups(many, 5, 50, 40)
    assert chosen is not None and len(chosen) == 40
    assert {g.name for g in chosen} == {f"z{i:03d}" for i in range(160, 200)}
