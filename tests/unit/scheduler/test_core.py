"""schedule(): ordering, affinity terms, results and the explanation text."""

from __future__ import annotations

from karmadad.scheduler import ScheduleResult, schedule

from .helpers import CONFIGMAP, DYNAMIC, NOT_READY, as_map, binding, cluster, divided, pods_cluster

SUCCESS = "Binding has been scheduled successfully."


def test_success_when_every_cluster_fits_says_just_that() -> None:
    result = schedule(binding(2), {}, [cluster("m1"), cluster("m2")])
    assert result == ScheduleResult(
        [{"name": "m1", "replicas": 2}, {"name": "m2", "replicas": 2}], "", "Success", SUCCESS, 2, 2
    )


def five_clusters() -> list:
    return [
        cluster("a", taints=[NOT_READY]),
        cluster("b", taints=[NOT_READY]),
        cluster("c"),
        cluster("d"),
        cluster("e"),
    ]


def test_no_cluster_fit_counts_reasons_by_count_then_text() -> None:
    spec = binding(3, {"clusterAffinity": {"clusterNames": ["a", "b"]}})
    result = schedule(spec, {}, five_clusters())
    assert result.reason == "NoClusterFit"
    assert result.clusters == []
    assert result.message == (
        "0/5 clusters fit: 3 did not match placement.clusterAffinity, "
        "2 had untolerated taint {cluster.karmada.io/not-ready}"
    )
    assert (result.fit, result.total) == (0, 5)


def test_equal_counts_are_listed_alphabetically() -> None:
    clusters = [cluster("a", taints=[NOT_READY]), cluster("b", deleting=True)]
    assert schedule(binding(1), {}, clusters).message == (
        "0/2 clusters fit: 1 had untolerated taint {cluster.karmada.io/not-ready}, 1 is being deleted"
    )


def test_no_clusters_at_all() -> None:
    result = schedule(binding(1), {}, [])
    assert (result.reason, result.message) == ("NoClusterFit", "0/0 clusters fit: no cluster exists")


def test_partial_fit_is_explained_on_success() -> None:
    result = schedule(binding(1), {}, five_clusters())
    assert result.reason == "Success"
    assert (
        result.message
        == f"{SUCCESS} 3/5 clusters fit: 2 had untolerated taint {{cluster.karmada.io/not-ready}}"
    )
    assert [c["name"] for c in result.clusters] == ["c", "d", "e"]
    assert (result.fit, result.total) == (3, 5)


def test_failure_after_filtering_mentions_the_filtered_clusters() -> None:
    clusters = [pods_cluster("a", 1, taints=[NOT_READY]), pods_cluster("b", 2)]
    result = schedule(binding(5, {"replicaScheduling": DYNAMIC}), {}, clusters)
    assert result.reason == "Unschedulable"
    assert result.message == (
        "not enough capacity: 5 replicas wanted, 2 available (b: 2); "
        "1/2 clusters fit: 1 had untolerated taint {cluster.karmada.io/not-ready}"
    )
    assert result.fit == 1


def test_results_are_sorted_by_name_and_independent_of_input_order() -> None:
    clusters = [pods_cluster(n, c) for n, c in (("z", 5), ("a", 7), ("m", 3))]
    spec = binding(9, {"replicaScheduling": DYNAMIC})
    forward = schedule(spec, {}, clusters)
    assert [c["name"] for c in forward.clusters] == ["a", "m", "z"]
    assert schedule(spec, {}, clusters[::-1]) == forward


def affinities(*terms: tuple[str, list[str]]) -> dict:
    return {"clusterAffinities": [{"affinityName": name, "clusterNames": names} for name, names in terms]}


def test_affinity_terms_are_tried_in_order() -> None:
    clusters = [
        cluster("a", taints=[NOT_READY]),
        cluster("b", taints=[NOT_READY]),
        cluster("c"),
        cluster("d"),
    ]
    spec = binding(1, affinities(("primary", ["a", "b"]), ("backup", ["c"])))
    result = schedule(spec, {}, clusters)
    assert result.reason == "Success"
    assert result.affinity_name == "backup"
    assert result.clusters == [{"name": "c", "replicas": 1}]
    assert result.message == (
        f'{SUCCESS} affinity "primary": 0/4 clusters fit: 2 did not match affinity "primary", '
        "2 had untolerated taint {cluster.karmada.io/not-ready}; "
        'scheduled by affinity "backup": 1/4 clusters fit: '
        '2 had untolerated taint {cluster.karmada.io/not-ready}, 1 did not match affinity "backup"'
    )
    assert (result.fit, result.total) == (1, 4)


def test_first_term_fitting_names_itself() -> None:
    spec = binding(1, affinities(("primary", []), ("backup", [])))
    result = schedule(spec, {}, [cluster("a")])
    assert (result.affinity_name, result.message) == ("primary", f'{SUCCESS} scheduled by affinity "primary"')


def test_scheduling_starts_at_the_observed_term() -> None:
    spec = binding(1, affinities(("primary", ["a"]), ("backup", ["b"])))
    status = {"schedulerObservingAffinityName": "backup"}
    result = schedule(spec, status, [cluster("a"), cluster("b")])
    assert (result.affinity_name, as_map(result.clusters)) == ("backup", {"b": 1})
    # an unknown observed name starts from the first term
    result = schedule(spec, {"schedulerObservingAffinityName": "gone"}, [cluster("a"), cluster("b")])
    assert result.affinity_name == "primary"


def test_a_triggered_reschedule_starts_again_at_the_first_term() -> None:
    spec = binding(
        1, affinities(("primary", ["a"]), ("backup", ["b"])), rescheduleTriggeredAt="2024-01-02T00:00:00Z"
    )
    status = {"schedulerObservingAffinityName": "backup", "lastScheduledTime": "2024-01-01T00:00:00Z"}
    assert schedule(spec, status, [cluster("a"), cluster("b")]).affinity_name == "primary"


def test_all_terms_failing_reports_the_first_failure_and_keeps_the_observed_name() -> None:
    spec = binding(1, affinities(("primary", ["x"]), ("backup", ["y"])))
    result = schedule(spec, {"schedulerObservingAffinityName": "primary"}, [cluster("a")])
    assert result.reason == "NoClusterFit"
    assert result.affinity_name == "primary"
    assert result.clusters == []
    assert result.message == (
        'affinity "primary": 0/1 clusters fit: 1 did not match affinity "primary"; '
        'affinity "backup": 0/1 clusters fit: 1 did not match affinity "backup"'
    )


def test_a_capacity_failure_moves_on_to_the_next_term() -> None:
    clusters = [pods_cluster("small", 1), pods_cluster("big", 10)]
    placement = {**affinities(("primary", ["small"]), ("backup", ["big"])), "replicaScheduling": DYNAMIC}
    result = schedule(binding(5, placement), {}, clusters)
    assert (result.affinity_name, as_map(result.clusters)) == ("backup", {"big": 5})
    assert result.message.startswith(
        f'{SUCCESS} affinity "primary": not enough capacity: 5 replicas wanted, 1 available (small: 1); 1/2 clusters fit'
    )
    # the first failure decides the reason when every term fails
    placement = {**affinities(("primary", ["small"]), ("backup", ["none"])), "replicaScheduling": DYNAMIC}
    assert schedule(binding(5, placement), {}, clusters).reason == "Unschedulable"


def test_empty_affinity_terms_list_means_no_terms() -> None:
    spec = binding(1, {"clusterAffinities": [], "clusterAffinity": None})
    result = schedule(spec, {}, [cluster("a")])
    assert (result.reason, result.affinity_name) == ("Success", "")


def test_previously_used_clusters_score_first() -> None:
    clusters = [pods_cluster("big", 100), pods_cluster("small", 2)]
    placement = {"spreadConstraints": [{"spreadByField": "cluster", "maxGroups": 1}]}
    assert as_map(schedule(binding(1, placement), {}, clusters).clusters) == {"big": 1}
    assert as_map(schedule(binding(1, placement, previous={"small": 1}), {}, clusters).clusters) == {
        "small": 1
    }


def test_replica_scheduling_defaults() -> None:
    clusters = [cluster("a"), cluster("b")]
    # replicaScheduling present without a type is Divided (CRD default) and Weighted
    result = schedule(binding(4, {"replicaScheduling": {}}), {}, clusters)
    assert as_map(result.clusters) == {"a": 2, "b": 2}
    result = schedule(binding(4, {"replicaScheduling": {"replicaSchedulingType": "Divided"}}), {}, clusters)
    assert as_map(result.clusters) == {"a": 2, "b": 2}
    # spread constraint without field: by cluster, minGroups 1
    result = schedule(
        binding(4, {"spreadConstraints": [{"maxGroups": 1}], "replicaScheduling": DYNAMIC}), {}, clusters
    )
    assert as_map(result.clusters) == {"a": 4}


def test_the_input_is_not_modified() -> None:
    placement = {
        "spreadConstraints": [{"maxGroups": 1}],
        "replicaScheduling": {"replicaSchedulingType": "Divided"},
    }
    spec = binding(4, placement)
    schedule(spec, {}, [cluster("a")])
    assert spec["placement"] == {
        "spreadConstraints": [{"maxGroups": 1}],
        "replicaScheduling": {"replicaSchedulingType": "Divided"},
    }


def test_non_workload_on_divided_placement() -> None:
    result = schedule(
        binding(resource=CONFIGMAP, placement={"replicaScheduling": divided()}), {}, [cluster("a")]
    )
    assert result.clusters == [{"name": "a"}]
