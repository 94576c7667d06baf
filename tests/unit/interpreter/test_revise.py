"""A member's copy gets its share of the replicas; a divided Job its share of the completions."""

from __future__ import annotations

import copy

import pytest

from karmadad.interpreter.revise import (
    divide_completions,
    divides_completions,
    has_completions,
    revise_replicas,
)


def obj(api_version: str, kind: str, spec: dict | None = None) -> dict:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "w", "namespace": "ns"},
        "spec": spec or {},
    }


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "StatefulSet"])
def test_scaled_kinds_get_spec_replicas(kind: str) -> None:
    template = obj("apps/v1", kind, {"replicas": 10, "template": {}})
    before = copy.deepcopy(template)
    revised = revise_replicas(template, 3)
    assert revised["spec"] == {"replicas": 3, "template": {}}
    assert template == before


def test_absent_replicas_is_defaulted_so_it_is_revised() -> None:
    assert revise_replicas(obj("apps/v1", "Deployment"), 4)["spec"]["replicas"] == 4


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("v1", "Pod"), ("apps/v1", "DaemonSet"), ("apps/v1beta2", "Deployment"), ("v1", "ConfigMap")],
)
def test_other_kinds_are_unchanged(api_version: str, kind: str) -> None:
    template = obj(api_version, kind, {"replicas": 10})
    revised = revise_replicas(template, 3)
    assert revised == template
    assert revised is not template


def test_job_gets_parallelism_and_given_completions() -> None:
    job = obj("batch/v1", "Job", {"parallelism": 6, "completions": 12})
    assert revise_replicas(job, 2)["spec"] == {"parallelism": 2, "completions": 12}
    assert revise_replicas(job, 2, completions=4)["spec"] == {"parallelism": 2, "completions": 4}


def test_work_queue_job_keeps_completions_unset() -> None:
    job = obj("batch/v1", "Job", {"parallelism": 6})
    assert not has_completions(job)
    assert revise_replicas(job, 2, completions=4)["spec"] == {"parallelism": 2}


def test_job_without_either_field_has_defaulted_completions() -> None:
    job = obj("batch/v1", "Job")
    assert has_completions(job)
    assert revise_replicas(job, 1, completions=1)["spec"] == {"parallelism": 1, "completions": 1}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"replicas": 3, "placement": {"replicaScheduling": {"replicaSchedulingType": "Divided"}}}, True),
        ({"replicas": 3, "placement": {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}}}, False),
        ({"replicas": 3, "placement": {}}, False),
        ({"replicas": 0, "placement": {"replicaScheduling": {"replicaSchedulingType": "Divided"}}}, False),
        ({"placement": {"replicaScheduling": {"replicaSchedulingType": "Divided"}}}, False),
    ],
)
def test_divides_completions(spec: dict, expected: bool) -> None:
    assert divides_completions(spec) is expected


def test_completions_follow_the_parallelism_weights() -> None:
    job = obj("batch/v1", "Job", {"parallelism": 5, "completions": 10})
    targets = [{"name": "a", "replicas": 2}, {"name": "b", "replicas": 3}]
    assert divide_completions(job, targets) == {"a": 4, "b": 6}


def test_completions_ties_break_by_template_uid() -> None:
    job = obj("batch/v1", "Job", {"parallelism": 2, "completions": 3})
    targets = [{"name": "a", "replicas": 1}, {"name": "b", "replicas": 1}]
    assert divide_completions(job, targets, uid="uid-2") == {"a": 2, "b": 1}  # fnv32a even: ascending
    assert divide_completions(job, targets, uid="uid-1") == {"a": 1, "b": 2}  # odd: descending


def test_zero_weight_clusters_get_zero_completions() -> None:
    job = obj("batch/v1", "Job", {"parallelism": 4, "completions": 5})
    targets = [{"name": "a", "replicas": 0}, {"name": "b", "replicas": 3}, {"name": "c", "replicas": 1}]
    assert divide_completions(job, targets) == {"a": 0, "b": 4, "c": 1}


def test_no_division_without_completions_or_weights() -> None:
    targets = [{"name": "a", "replicas": 2}]
    assert divide_completions(obj("batch/v1", "Job", {"parallelism": 2}), targets) == {}
    zero = [{"name": "a", "replicas": 0}, {"name": "b"}]
    assert divide_completions(obj("batch/v1", "Job", {"completions": 4}), zero) == {}
    assert divide_completions(obj("apps/v1", "Deployment", {"replicas": 2}), targets) == {}
