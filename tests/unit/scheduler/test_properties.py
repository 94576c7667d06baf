"""Properties of schedule() over generated clusters and placements."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from karmadad.scheduler import schedule
from karmadad.scheduler.filters import build_filter

from .helpers import AGGREGATED, DYNAMIC, NOT_READY, binding, divided, pods_cluster

NAMES = [f"m{i}" for i in range(8)]


@st.composite
def clusters(draw) -> list:
    count = draw(st.integers(1, 8))
    result = []
    for name in NAMES[:count]:
        result.append(
            pods_cluster(
                name,
                draw(st.integers(0, 30)),
                labels={"env": draw(st.sampled_from(["prod", "dev"]))},
                region=draw(st.sampled_from(["eu", "us", "ap"])),
                zones=[draw(st.sampled_from(["z1", "z2", "z3", "z4"]))],
                provider=draw(st.sampled_from(["aws", "gcp"])),
                taints=[NOT_READY] if draw(st.integers(0, 4)) == 0 else [],
            )
        )
    return result


STRATEGY_LIST = [
    None,
    DYNAMIC,
    AGGREGATED,
    divided(),
    divided(staticWeightList=[{"targetCluster": {"clusterNames": ["m0", "m1"]}, "weight": 2}]),
]
STRATEGIES = st.sampled_from(STRATEGY_LIST)
AFFINITIES = st.sampled_from([None, {"labelSelector": {"matchLabels": {"env": "prod"}}}, {"exclude": ["m0"]}])


SPREADS = st.sampled_from([None, "cluster", "region", "zone", "provider"])


@st.composite
def bindings(draw, strategies=STRATEGIES, spreads=SPREADS) -> dict[str, Any]:
    placement: dict[str, Any] = {}
    strategy = draw(strategies)
    if strategy is not None:
        placement["replicaScheduling"] = strategy
    affinity = draw(AFFINITIES)
    if affinity is not None:
        placement["clusterAffinity"] = affinity
    spread = draw(spreads)
    if spread is not None:
        min_groups = draw(st.integers(1, 3))
        max_groups = draw(st.integers(min_groups, 4))
        constraints = [{"spreadByField": spread, "minGroups": min_groups, "maxGroups": max_groups}]
        if spread != "cluster":
            constraints.append(
                {"spreadByField": "cluster", "minGroups": 1, "maxGroups": draw(st.integers(1, 8))}
            )
        placement["spreadConstraints"] = constraints
    previous = draw(st.dictionaries(st.sampled_from(NAMES), st.integers(1, 10), max_size=3))
    return binding(
        draw(st.integers(0, 60)),
        placement,
        previous=previous or None,
        uid=draw(st.sampled_from(["", "a", "b"])),
    )


PROPERTY = settings(max_examples=200, deadline=None)


def is_divided(spec: dict[str, Any]) -> bool:
    return (spec["placement"].get("replicaScheduling") or {}).get("replicaSchedulingType") == "Divided"


DIVIDED = st.sampled_from([s for s in STRATEGY_LIST if s is not None])


@PROPERTY
@given(bindings(strategies=DIVIDED), clusters())
def test_divided_assignments_sum_to_the_replicas(spec: dict[str, Any], snaps: list) -> None:
    assert is_divided(spec)
    result = schedule(spec, {}, snaps)
    if result.reason == "Success":
        assert sum(c["replicas"] for c in result.clusters) == spec["replicas"]
        if spec["replicas"]:
            assert all(c["replicas"] > 0 for c in result.clusters)
    else:
        assert result.clusters == []


@PROPERTY
@given(bindings(strategies=st.sampled_from([DYNAMIC, AGGREGATED])), clusters())
def test_capacity_is_enough_for_dynamic_division_when_it_covers_the_replicas(
    spec: dict[str, Any], snaps: list
) -> None:
    """Without spread constraints or affinities, dynamic division fails only when capacity is short."""
    strategy = spec["placement"]["replicaScheduling"]
    spec = {**spec, "placement": {"replicaScheduling": strategy}, "clusters": []}
    fit = [s for s in snaps if not s.taints]
    capacity = sum(s.free_pods for s in fit)
    result = schedule(spec, {}, snaps)
    if not fit:
        assert result.reason == "NoClusterFit"
    elif capacity >= spec["replicas"]:
        assert result.reason == "Success", result.message
    else:
        assert result.reason == "Unschedulable"
        assert f"{spec['replicas']} replicas wanted, {capacity} available" in result.message


@PROPERTY
@given(bindings(), clusters(), st.randoms(use_true_random=False))
def test_same_input_same_output_whatever_the_cluster_order(
    spec: dict[str, Any], snaps: list, rnd: random.Random
) -> None:
    first = schedule(spec, {}, snaps)
    assert schedule(spec, {}, snaps) == first
    shuffled = list(snaps)
    rnd.shuffle(shuffled)
    assert schedule(spec, {}, shuffled) == first


@PROPERTY
@given(bindings(), clusters())
def test_no_cluster_outside_the_filters(spec: dict[str, Any], snaps: list) -> None:
    result = schedule(spec, {}, snaps)
    placement = spec["placement"]
    affinity = placement.get("clusterAffinity")
    cluster_filter = build_filter(spec, placement, [affinity] if affinity is not None else None)
    by_name = {s.name: s for s in snaps}
    for target in result.clusters:
        assert cluster_filter.reason(by_name[target["name"]]) is None
    assert result.fit == sum(cluster_filter.reason(s) is None for s in snaps)
    assert result.total == len(snaps)


@PROPERTY
@given(
    bindings(strategies=st.just(None), spreads=st.sampled_from(["cluster", "region", "zone", "provider"])),
    clusters(),
)
def test_min_and_max_groups_are_honoured(spec: dict[str, Any], snaps: list) -> None:
    # Karmada ignores spread constraints for static weights, and division may leave selected clusters
    # empty, so look at Duplicated placements, where every selected cluster appears.
    constraints = spec["placement"]["spreadConstraints"]
    assume(spec["replicas"] > 0)
    result = schedule(spec, {}, snaps)
    if result.reason != "Success":
        return
    chosen = [s for s in snaps if s.name in {c["name"] for c in result.clusters}]
    by_field = {c["spreadByField"]: c for c in constraints}
    field = next(iter(by_field))
    if field == "cluster":
        assert by_field["cluster"]["minGroups"] <= len(chosen) <= by_field["cluster"]["maxGroups"]
    else:
        key = {"region": lambda s: s.region, "zone": lambda s: s.zones[0], "provider": lambda s: s.provider}[
            field
        ]
        groups = {key(s) for s in chosen}
        assert by_field[field]["minGroups"] <= len(groups) <= by_field[field]["maxGroups"]
        # at least one cluster per chosen group, at most max(groups, cluster maxGroups) clusters
        assert len(chosen) <= max(len(groups), by_field["cluster"]["maxGroups"])
