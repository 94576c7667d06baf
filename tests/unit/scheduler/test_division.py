"""Replica assignment through :func:`schedule`: every strategy, steady and fresh mode, capacity errors."""

from __future__ import annotations

from karmadad.scheduler import schedule

from .helpers import (
    AGGREGATED,
    CONFIGMAP,
    DYNAMIC,
    as_map,
    binding,
    cluster,
    divided,
    pods_cluster,
    static_weights,
)

THREE = [cluster("member1"), cluster("member2"), cluster("member3")]


def test_non_workload_goes_everywhere_without_replicas() -> None:
    result = schedule(binding(resource=CONFIGMAP, placement={"replicaScheduling": DYNAMIC}), {}, THREE[::-1])
    assert result.reason == "Success"
    assert result.clusters == [{"name": "member1"}, {"name": "member2"}, {"name": "member3"}]


def test_missing_replica_scheduling_means_duplicated() -> None:
    result = schedule(binding(5), {}, THREE)
    assert as_map(result.clusters) == {"member1": 5, "member2": 5, "member3": 5}


def test_workload_scaled_to_zero_stays_on_every_selected_cluster() -> None:
    for strategy in (None, DYNAMIC, AGGREGATED, divided()):
        placement = {"replicaScheduling": strategy} if strategy else {}
        result = schedule(binding(0, placement, previous={"member1": 2}), {}, THREE)
        assert result.clusters == [{"name": f"member{i}", "replicas": 0} for i in (1, 2, 3)], strategy
    # ... unless empty workload propagation is off: then, as in Karmada by default, nothing is left
    result = schedule(binding(0, {"replicaScheduling": DYNAMIC}), {}, THREE, empty_workload_propagation=False)
    assert result.clusters == []


def test_static_weight_check_values() -> None:
    two = THREE[:2]
    assert as_map(
        schedule(
            binding(9, {"replicaScheduling": static_weights(("member1", 1), ("member2", 2))}), {}, two
        ).clusters
    ) == {
        "member1": 3,
        "member2": 6,
    }
    assert as_map(
        schedule(
            binding(9, {"replicaScheduling": static_weights(("member1", 1), ("member2", 3))}), {}, two
        ).clusters
    ) == {
        "member1": 2,
        "member2": 7,
    }
    weights = static_weights(("member1", 6), ("member2", 12), ("member3", 18))
    assert as_map(schedule(binding(12, {"replicaScheduling": weights}), {}, THREE).clusters) == {
        "member1": 2,
        "member2": 4,
        "member3": 6,
    }


def test_static_weight_without_preference_weighs_everyone_equally() -> None:
    result = schedule(binding(7, {"replicaScheduling": divided()}), {}, THREE)
    assert as_map(result.clusters) == {"member1": 3, "member2": 2, "member3": 2}


def test_unweighted_clusters_are_left_out() -> None:
    result = schedule(
        binding(6, {"replicaScheduling": static_weights(("member1", 1), ("member2", 2))}), {}, THREE
    )
    assert as_map(result.clusters) == {"member1": 2, "member2": 4}


def test_when_no_rule_matches_everyone_weighs_one() -> None:
    result = schedule(binding(6, {"replicaScheduling": static_weights(("elsewhere", 5))}), {}, THREE)
    assert as_map(result.clusters) == {"member1": 2, "member2": 2, "member3": 2}


def test_a_cluster_takes_its_largest_matching_weight() -> None:
    clusters = [cluster("member1", labels={"env": "prod"}), cluster("member2", labels={"env": "prod"})]
    strategy = divided(
        staticWeightList=[
            {"targetCluster": {"labelSelector": {"matchLabels": {"env": "prod"}}}, "weight": 1},
            {"targetCluster": {"clusterNames": ["member2"]}, "weight": 3},
        ]
    )
    assert as_map(schedule(binding(8, {"replicaScheduling": strategy}), {}, clusters).clusters) == {
        "member1": 2,
        "member2": 6,
    }


def test_static_weight_ignores_capacity_and_drops_zero_entries() -> None:
    clusters = [pods_cluster("member1", 0), pods_cluster("member2", 0), pods_cluster("member3", 0)]
    result = schedule(binding(2, {"replicaScheduling": divided()}), {}, clusters)
    assert result.reason == "Success"
    assert result.clusters == [{"name": "member1", "replicas": 1}, {"name": "member2", "replicas": 1}]


def test_static_weight_tie_break_by_uid() -> None:
    spec = binding(1, {"replicaScheduling": divided()}, uid="a")  # fnv32a even: ascending names
    assert schedule(spec, {}, THREE).clusters == [{"name": "member1", "replicas": 1}]
    spec = binding(1, {"replicaScheduling": divided()}, uid="b")  # odd: descending names
    assert schedule(spec, {}, THREE).clusters == [{"name": "member3", "replicas": 1}]


def test_dynamic_weight_by_available_replicas() -> None:
    clusters = [pods_cluster("A", 6), pods_cluster("B", 3), pods_cluster("C", 1)]
    result = schedule(binding(5, {"replicaScheduling": DYNAMIC}), {}, clusters)
    # A 6, B 3, A 2, A 1.2, then B (1/1, one seat) and C (1/1, no seat) tie: fewer seats first -> C
    assert as_map(result.clusters) == {"A": 3, "B": 1, "C": 1}


def test_not_enough_capacity_is_unschedulable_with_numbers() -> None:
    clusters = [pods_cluster("member1", 4), pods_cluster("member2", 2)]
    result = schedule(binding(10, {"replicaScheduling": DYNAMIC}), {}, clusters)
    assert result.reason == "Unschedulable"
    assert result.clusters == []
    assert result.message == "not enough capacity: 10 replicas wanted, 6 available (member1: 4, member2: 2)"


def test_steady_scale_up_divides_only_the_extra_replicas() -> None:
    clusters = [pods_cluster("A", 10), pods_cluster("B", 10), pods_cluster("C", 10)]
    result = schedule(binding(6, {"replicaScheduling": DYNAMIC}, previous={"A": 2, "B": 1}), {}, clusters)
    assert as_map(result.clusters) == {"A": 3, "B": 2, "C": 1}


def test_steady_scale_up_capacity_message_counts_the_delta() -> None:
    clusters = [pods_cluster("A", 1), pods_cluster("B", 1)]
    result = schedule(binding(6, {"replicaScheduling": DYNAMIC}, previous={"A": 2}), {}, clusters)
    assert result.reason == "Unschedulable"
    assert (
        result.message
        == "not enough capacity: 4 more replicas wanted (2 already placed), 2 available (A: 1, B: 1)"
    )


def test_steady_scale_down_is_proportional_to_the_previous_assignment() -> None:
    clusters = [pods_cluster("A", 0), pods_cluster("B", 0), pods_cluster("C", 100)]
    result = schedule(binding(6, {"replicaScheduling": DYNAMIC}, previous={"A": 6, "B": 3}), {}, clusters)
    assert as_map(result.clusters) == {"A": 4, "B": 2}


def test_unchanged_replicas_keep_the_previous_assignment() -> None:
    clusters = [pods_cluster("A", 0), pods_cluster("B", 0), pods_cluster("C", 100)]
    result = schedule(binding(9, {"replicaScheduling": DYNAMIC}, previous={"A": 6, "B": 3}), {}, clusters)
    assert as_map(result.clusters) == {"A": 6, "B": 3}


def test_replicas_on_clusters_that_no_longer_fit_are_placed_again() -> None:
    clusters = [pods_cluster("A", 10), pods_cluster("B", 10, taints=[]), pods_cluster("C", 10, deleting=True)]
    result = schedule(binding(6, {"replicaScheduling": DYNAMIC}, previous={"A": 3, "C": 3}), {}, clusters)
    assert as_map(result.clusters) == {"A": 5, "B": 1}  # the 3 extra split 10:10 -> A 2, B 1 (name order)


def test_fresh_mode_recomputes_everything() -> None:
    clusters = [pods_cluster("A", 0), pods_cluster("B", 0), pods_cluster("C", 20)]
    spec = binding(
        8,
        {"replicaScheduling": DYNAMIC},
        previous={"A": 4, "B": 4},
        rescheduleTriggeredAt="2024-05-01T10:00:00Z",
    )
    steady = schedule(spec, {"lastScheduledTime": "2024-05-01T10:00:00Z"}, clusters)  # not after: steady
    assert as_map(steady.clusters) == {"A": 4, "B": 4}
    fresh = schedule(spec, {"lastScheduledTime": "2024-05-01T09:59:59Z"}, clusters)
    # weights: C 20, A 0+4, B 0+4
    assert as_map(fresh.clusters) == {"A": 1, "B": 1, "C": 6}
    # never scheduled successfully yet: steady
    assert as_map(schedule(spec, {}, clusters).clusters) == {"A": 4, "B": 4}


def test_aggregated_uses_the_fewest_clusters() -> None:
    clusters = [pods_cluster("A", 5), pods_cluster("B", 8), pods_cluster("C", 3)]
    result = schedule(binding(10, {"replicaScheduling": AGGREGATED}), {}, clusters)
    assert as_map(result.clusters) == {"A": 4, "B": 6}
    result = schedule(binding(8, {"replicaScheduling": AGGREGATED}), {}, clusters)
    assert as_map(result.clusters) == {"B": 8}


def test_aggregated_scale_up_prefers_clusters_already_used() -> None:
    clusters = [pods_cluster("A", 3), pods_cluster("B", 10)]
    result = schedule(binding(4, {"replicaScheduling": AGGREGATED}, previous={"A": 2}), {}, clusters)
    assert as_map(result.clusters) == {"A": 4}


def test_aggregated_scale_down_keeps_the_minimal_prefix() -> None:
    clusters = [pods_cluster("A", 0), pods_cluster("B", 0)]
    result = schedule(binding(4, {"replicaScheduling": AGGREGATED}, previous={"A": 5, "B": 3}), {}, clusters)
    assert as_map(result.clusters) == {"A": 4}


def test_aggregated_not_enough_capacity() -> None:
    clusters = [pods_cluster("A", 1), pods_cluster("B", 2)]
    result = schedule(binding(4, {"replicaScheduling": AGGREGATED}), {}, clusters)
    assert (result.reason, result.message) == (
        "Unschedulable",
        "not enough capacity: 4 replicas wanted, 3 available (B: 2, A: 1)",
    )


def test_capacity_message_lists_at_most_ten_clusters() -> None:
    clusters = [pods_cluster(f"m{i:02d}", 1) for i in range(12)]
    result = schedule(binding(20, {"replicaScheduling": DYNAMIC}), {}, clusters)
    assert result.message.startswith("not enough capacity: 20 replicas wanted, 12 available (m00: 1, ")
    assert result.message.endswith("m09: 1, and 2 more)")


def test_overflow_affinities_fill_the_primary_group_first() -> None:
    clusters = [pods_cluster("a1", 3, labels={"g": "a"}), pods_cluster("b1", 10, labels={"g": "b"})]
    term = {
        "affinityName": "main",
        "labelSelector": {"matchLabels": {"g": "a"}},
        "overflowAffinities": [{"affinityName": "spill", "labelSelector": {"matchLabels": {"g": "b"}}}],
    }
    placement = {"clusterAffinities": [term], "replicaScheduling": DYNAMIC}
    assert as_map(schedule(binding(2, placement), {}, clusters).clusters) == {"a1": 2}
    result = schedule(binding(7, placement), {}, clusters)
    assert (result.affinity_name, as_map(result.clusters)) == ("main", {"a1": 3, "b1": 4})
    result = schedule(binding(20, placement), {}, clusters)
    assert result.reason == "Unschedulable"
    # a non-workload only uses the primary group
    result = schedule(binding(resource=CONFIGMAP, placement=placement), {}, clusters)
    assert result.clusters == [{"name": "a1"}]
