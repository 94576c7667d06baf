"""needs_rescheduling(): Karmada's reasons to schedule a binding again."""

from __future__ import annotations

import json

from karmadad.scheduler import needs_rescheduling

from .helpers import CONFIGMAP, DYNAMIC, binding

PLACEMENT = {"clusterAffinity": {"clusterNames": ["a", "b"]}, "replicaScheduling": DYNAMIC}


def settled(**extra) -> dict:
    return binding(4, PLACEMENT, previous={"a": 2, "b": 2}, **extra)


def test_settled_divided_workload_stays() -> None:
    assert not needs_rescheduling(settled(), {}, json.dumps(PLACEMENT))


def test_never_scheduled() -> None:
    assert needs_rescheduling(settled(), {}, None)
    assert needs_rescheduling(settled(), {}, "")


def test_placement_changed() -> None:
    old = {**PLACEMENT, "clusterAffinity": {"clusterNames": ["a"]}}
    assert needs_rescheduling(settled(), {}, json.dumps(old))


def test_empty_and_missing_fields_compare_equal() -> None:
    stored = {**PLACEMENT, "clusterTolerations": [], "spreadConstraints": [], "clusterAffinities": []}
    assert not needs_rescheduling(binding(4, stored, previous={"a": 2, "b": 2}), {}, json.dumps(PLACEMENT))


def test_unparsable_annotation_counts_as_unchanged() -> None:
    assert not needs_rescheduling(settled(), {}, "{not json")


def test_replicas_changed() -> None:
    assert needs_rescheduling(binding(5, PLACEMENT, previous={"a": 2, "b": 2}), {}, json.dumps(PLACEMENT))


def test_duplicated_and_non_workloads_are_always_scheduled() -> None:
    duplicated = {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}}
    spec = binding(2, duplicated, previous={"a": 2})
    assert needs_rescheduling(spec, {}, json.dumps(duplicated))
    no_strategy = binding(2, {}, previous={"a": 2})
    assert needs_rescheduling(no_strategy, {}, json.dumps({}))
    config = binding(resource=CONFIGMAP, placement=PLACEMENT, previous={"a": 0})
    assert needs_rescheduling(config, {}, json.dumps(PLACEMENT))


def test_reschedule_triggered_after_last_scheduling() -> None:
    spec = settled(rescheduleTriggeredAt="2024-03-01T12:00:00Z")
    assert needs_rescheduling(spec, {"lastScheduledTime": "2024-03-01T11:00:00Z"}, json.dumps(PLACEMENT))
    assert not needs_rescheduling(spec, {"lastScheduledTime": "2024-03-01T12:00:00Z"}, json.dumps(PLACEMENT))
    assert not needs_rescheduling(spec, {}, json.dumps(PLACEMENT))  # first scheduling has not finished


def test_target_cluster_deleting() -> None:
    assert needs_rescheduling(settled(), {}, json.dumps(PLACEMENT), {"b"})
    assert not needs_rescheduling(settled(), {}, json.dumps(PLACEMENT), {"c"})


def terms(*names: str, affinity: list[str] | None = None) -> dict:
    return {
        "clusterAffinities": [{"affinityName": n, "clusterNames": affinity or [n]} for n in names],
        "replicaScheduling": DYNAMIC,
    }


def test_cluster_affinities_changes_only_count_for_the_term_in_use() -> None:
    current = terms("primary", "backup")
    spec = binding(4, current, previous={"backup": 4})
    applied = terms("primary", "backup")
    applied["clusterAffinities"][0]["clusterNames"] = ["elsewhere"]  # an unused term changed
    in_use = {"schedulerObservingAffinityName": "backup"}
    assert not needs_rescheduling(spec, in_use, json.dumps(applied))
    assert needs_rescheduling(spec, {"schedulerObservingAffinityName": "primary"}, json.dumps(applied))
    assert needs_rescheduling(spec, {}, json.dumps(applied))  # no term in use
    assert needs_rescheduling(spec, in_use, json.dumps(terms("primary")))  # the term in use went away


def test_no_placement_no_scheduling() -> None:
    spec = settled()
    del spec["placement"]
    assert not needs_rescheduling(spec, {}, None)
