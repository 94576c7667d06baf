"""The failover decisions: ClusterTaintPolicy taints, NoExecute eviction verdicts, eviction tasks, the brake."""

from __future__ import annotations

import pytest

from karmadad.failover.eviction import (
    Verdict,
    assess_tasks,
    evicted_spec,
    eviction_verdict,
    evictions_halted,
    format_time,
    parse_time,
    purge_mode,
)
from karmadad.failover.taint_policies import conditions_match, policy_taints
from karmadad.scheduler.snapshot import snapshot

T0 = parse_time("2026-12-01T00:00:00Z")
assert T0 is not None


def ready(status: str) -> list[dict]:
    return [{"type": "Ready", "status": status}]


@pytest.mark.parametrize(
    ("tests", "status", "held"),
    [
        ([], "False", False),  # no tests never hold
        ([{"conditionType": "Ready", "operator": "In", "statusValues": ["False", "Unknown"]}], "False", True),
        ([{"conditionType": "Ready", "operator": "In", "statusValues": ["False", "Unknown"]}], "True", False),
        ([{"conditionType": "Ready", "operator": "NotIn", "statusValues": ["False"]}], "True", True),
        ([{"conditionType": "Ready", "operator": "NotIn", "statusValues": ["True"]}], "True", False),
        (
            [{"conditionType": "Other", "operator": "NotIn", "statusValues": ["True"]}],
            "True",
            False,
        ),  # missing
        ([{"conditionType": "Ready", "operator": "Exists", "statusValues": []}], "True", False),
    ],
)
def test_match_conditions_are_anded_over_present_conditions(tests, status, held):
    assert conditions_match(ready(status), tests) is held


def failover_policy(name: str, created: str, effect: str = "NoExecute", target: dict | None = None) -> dict:
    spec = {
        "addOnConditions": [
            {"conditionType": "Ready", "operator": "In", "statusValues": ["False", "Unknown"]}
        ],
        "removeOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}],
        "taints": [{"key": "cluster.karmada.io/not-ready", "effect": effect}],
    }
    if target is not None:
        spec["targetClusters"] = target
    return {"metadata": {"name": name, "creationTimestamp": created}, "spec": spec}


def cluster(status: str, taints: list[dict] | None = None, labels: dict | None = None) -> dict:
    return {
        "metadata": {"name": "m2", "labels": labels or {}},
        "spec": {"taints": taints or []},
        "status": {"conditions": ready(status)},
    }


def test_a_policy_adds_its_taint_once_and_removes_it_when_the_cluster_is_ready_again():
    policies = [failover_policy("p", "2026-01-01T00:00:00Z")]
    down = cluster("False", [{"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"}])
    tainted = policy_taints(down, snapshot(down), policies, "2026-12-01T00:00:00Z")
    assert tainted == [
        {"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule"},
        {"key": "cluster.karmada.io/not-ready", "effect": "NoExecute", "timeAdded": "2026-12-01T00:00:00Z"},
    ]
    later = cluster("False", tainted)
    assert policy_taints(later, snapshot(later), policies, "2026-12-01T00:05:00Z") == tainted, (
        "timeAdded stays: tolerationSeconds count from the first time"
    )
    back = cluster("True", tainted)
    assert policy_taints(back, snapshot(back), policies, "2026-12-01T00:06:00Z") == tainted[:1]


def test_a_policy_that_does_not_target_the_cluster_leaves_its_taints_alone():
    policies = [failover_policy("p", "2026-01-01T00:00:00Z", target={"labelSelector": {"matchLabels": {"tier": "edge"}}})]  # fmt: skip
    down = cluster("False", labels={"tier": "core"})
    assert policy_taints(down, snapshot(down), policies, "t") == []


def test_policies_apply_oldest_first_so_a_later_one_can_take_a_taint_off():
    remover = failover_policy("later", "2026-02-01T00:00:00Z")
    remover["spec"]["removeOnConditions"] = remover["spec"]["addOnConditions"]
    remover["spec"]["addOnConditions"] = []
    down = cluster("False")
    assert policy_taints(down, snapshot(down), [remover, failover_policy("first", "2026-01-01T00:00:00Z")], "t") == []  # fmt: skip


NO_EXECUTE = {
    "key": "cluster.karmada.io/not-ready",
    "effect": "NoExecute",
    "timeAdded": "2026-12-01T00:00:00Z",
}


def tolerating(seconds: int | None) -> dict:
    toleration = {"key": "cluster.karmada.io/not-ready", "operator": "Exists", "effect": "NoExecute"}
    if seconds is not None:
        toleration["tolerationSeconds"] = seconds
    return {"clusterTolerations": [toleration]}


def test_an_untolerated_no_execute_taint_evicts_at_once():
    assert eviction_verdict([NO_EXECUTE], {}, T0) == Verdict(True)


def test_a_toleration_with_seconds_evicts_when_they_run_out_counted_from_time_added():
    assert eviction_verdict([NO_EXECUTE], tolerating(30), T0 + 10) == Verdict(False, 20.0)
    assert eviction_verdict([NO_EXECUTE], tolerating(30), T0 + 30) == Verdict(True)


def test_a_toleration_without_seconds_keeps_the_binding_for_good():
    assert eviction_verdict([NO_EXECUTE], tolerating(None), T0 + 10_000) == Verdict(False)
    assert eviction_verdict([], {}, T0) == Verdict(False)


def test_purge_mode_is_the_policys_else_the_configured_default():
    assert purge_mode({"cluster": {"purgeMode": "Directly"}}, "Gracefully") == "Directly"
    assert purge_mode({"cluster": {}}, "Directly") == "Gracefully"
    assert purge_mode(None, "Directly") == "Directly"
    assert purge_mode({}, "Gracefully") == "Gracefully"


def test_evicting_takes_the_cluster_out_and_records_one_task_with_its_replicas():
    spec = {"clusters": [{"name": "m1", "replicas": 2}, {"name": "m2", "replicas": 2}], "replicas": 4}
    task = {"purgeMode": "Gracefully", "reason": "TaintUntolerated", "producer": "TaintManager"}
    evicted = evicted_spec(spec, "m2", task)
    assert evicted["clusters"] == [{"name": "m1", "replicas": 2}]
    assert evicted["gracefulEvictionTasks"] == [{"fromCluster": "m2", **task, "replicas": 2}]
    assert evicted_spec(evicted, "m2", task) == evicted, "not a target any more: nothing to do"
    again = evicted_spec({**evicted, "clusters": spec["clusters"]}, "m2", {**task, "reason": "Other"})
    assert again["gracefulEvictionTasks"] == evicted["gracefulEvictionTasks"], "one task per cluster"


def binding(tasks: list[dict], *, scheduled: bool = True, health: str = "Healthy") -> dict:
    return {
        "metadata": {"generation": 3},
        "spec": {"clusters": [{"name": "m1", "replicas": 4}], "gracefulEvictionTasks": tasks},
        "status": {
            "schedulerObservedGeneration": 3 if scheduled else 2,
            "aggregatedStatus": [{"clusterName": "m1", "health": health}],
        },
    }


TASK = {"fromCluster": "m2", "reason": "TaintUntolerated", "producer": "TaintManager", "creationTimestamp": format_time(T0)}  # fmt: skip


def test_a_task_ends_when_the_new_placement_is_healthy():
    assessment = assess_tasks(binding([TASK]), T0 + 5, 600)
    assert (assessment.kept, assessment.ended) == ([], ["m2"])


def test_a_task_waits_while_the_new_placement_is_unhealthy_or_unscheduled_until_its_grace_period_ends():
    for waiting in (binding([TASK], health="Unhealthy"), binding([TASK], scheduled=False)):
        assessment = assess_tasks(waiting, T0 + 5, 600)
        assert (assessment.kept, assessment.ended, assessment.next_look) == ([TASK], [], 595)
    assert assess_tasks(binding([TASK], health="Unhealthy"), T0 + 601, 600).ended == ["m2"]
    own = {**TASK, "gracePeriodSeconds": 30}
    assert assess_tasks(binding([own], health="Unhealthy"), T0 + 31, 600).ended == ["m2"]


def test_suppress_deletion_keeps_a_task_or_ends_it_at_once():
    kept = {**TASK, "suppressDeletion": True}
    assert assess_tasks(binding([kept]), T0 + 10_000, 600).kept == [kept]
    assert assess_tasks(
        binding([{**TASK, "suppressDeletion": False}], health="Unhealthy"), T0, 600
    ).ended == ["m2"]


def test_a_task_without_a_creation_time_gets_one():
    undated = {k: v for k, v in TASK.items() if k != "creationTimestamp"}
    assert assess_tasks(binding([undated]), T0, 600).kept == [
        {**undated, "creationTimestamp": format_time(T0)}
    ]


def test_evictions_stop_when_more_than_the_share_of_clusters_is_not_ready():
    def clusters(*statuses: str) -> list[dict]:
        return [{"status": {"conditions": ready(s)}} for s in statuses]

    assert not evictions_halted(clusters("True", "True", "False"), 0.5)
    assert evictions_halted(clusters("True", "False", "False"), 0.5)
    assert not evictions_halted(clusters("True", "False"), 0.5)
    assert not evictions_halted([], 0.5)


def test_a_cluster_taint_policy_is_admitted_as_karmadas_webhook_admits_it():
    from karmadad.api.karmada.admission import WebhookOptions, admit
    from karmadad.errors import Invalid

    policy = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "ClusterTaintPolicy",
        "metadata": {"name": "not-ready"},
        "spec": failover_policy("not-ready", "")["spec"],
    }
    with pytest.raises(Invalid) as refused:
        admit("ClusterTaintPolicy", policy)
    assert [(c.field, c.message) for c in refused.value.causes] == [
        (
            "spec.taints[0]",
            "Forbidden: Configuring taint with NoExecute effect is not allowed, this capability must be "
            "explicitly enabled by administrators through command-line flags",
        )
    ]
    allowed = admit("ClusterTaintPolicy", policy, webhooks=WebhookOptions(allow_no_execute_taint_policy=True))
    assert allowed["spec"]["taints"] == policy["spec"]["taints"]
    twice = {**policy, "spec": {**policy["spec"], "taints": policy["spec"]["taints"] * 2}}
    with pytest.raises(Invalid) as duplicated:
        admit("ClusterTaintPolicy", twice, webhooks=WebhookOptions(allow_no_execute_taint_policy=True))
    assert [c.field for c in duplicated.value.causes] == ["spec.taints[0]"]
    assert "Duplicate taint with the same key(cluster.karmada.io/not-ready) and effect(NoExecute)" in (
        duplicated.value.causes[0].message
    )
    with pytest.raises(Invalid) as empty:
        admit("ClusterTaintPolicy", {**policy, "spec": {"taints": []}})
    assert [c.field for c in empty.value.causes] == ["spec.taints"]


def test_application_health_counts_unhealthy_clusters_not_already_being_left():
    from karmadad.failover.application import health_by_cluster

    binding = {
        "spec": {"gracefulEvictionTasks": [{"fromCluster": "m3"}]},
        "status": {"aggregatedStatus": [
            {"clusterName": "m1", "health": "Unhealthy"}, {"clusterName": "m2", "health": "Unknown"},
            {"clusterName": "m3", "health": "Unhealthy"}, {"clusterName": "m4", "health": "Healthy"}]},
    }  # fmt: skip
    assert health_by_cluster(binding) == (["m1"], ["m2", "m4"])


def test_application_failure_is_decided_once_unhealthy_longer_than_the_toleration():
    from karmadad.failover.application import detect_failures

    first = detect_failures(["m1"], {}, 30, T0)
    assert (first.evict, first.since, first.next_look) == ([], {"m1": T0}, 30)
    later = detect_failures(["m1", "m2"], first.since, 30, T0 + 20)
    assert (later.evict, later.since, later.next_look) == ([], {"m1": T0, "m2": T0 + 20}, 10)
    due = detect_failures(["m1"], later.since, 30, T0 + 31)
    assert (due.evict, due.since) == (["m1"], {"m1": T0}), "m2 healthy again: its count is forgotten"


def test_an_application_task_carries_the_policys_purge_mode_grace_and_preserved_state():
    from karmadad.failover.application import StateNotCollected, application_task

    binding = {
        "kind": "ResourceBinding",
        "spec": {"clusters": [{"name": "m1", "replicas": 2}]},
        "status": {"aggregatedStatus": [{"clusterName": "m1", "status": {"replicas": 2, "phase": {"x": 1}}}]},
    }
    behavior = {
        "purgeMode": "Gracefully",
        "gracePeriodSeconds": 120,
        "statePreservation": {"rules": [
            {"aliasLabelName": "example.com/replicas", "jsonPath": "{.replicas}"},
            {"aliasLabelName": "example.com/phase", "jsonPath": "{.phase}"}]},
    }  # fmt: skip
    assert application_task(behavior, binding, "m1", stateful=True) == {
        "purgeMode": "Gracefully",
        "reason": "ApplicationFailure",
        "producer": "resource-binding-application-failover-controller",
        "gracePeriodSeconds": 120,
        "preservedLabelState": {"example.com/replicas": "2", "example.com/phase": '{"x":1}'},
        "clustersBeforeFailover": ["m1"],
    }
    assert "preservedLabelState" not in application_task(behavior, binding, "m1", stateful=False)
    assert application_task({"purgeMode": "Never"}, binding, "m1", stateful=False)["suppressDeletion"] is True
    with pytest.raises(StateNotCollected):
        application_task(behavior, {**binding, "status": {}}, "m1", stateful=True)


def test_preserved_labels_go_only_to_a_single_new_cluster_after_a_direct_purge():
    from karmadad.failover.application import injected_labels

    task = {"fromCluster": "m1", "purgeMode": "Directly", "preservedLabelState": {"k": "v"}, "clustersBeforeFailover": ["m1"]}  # fmt: skip
    spec = {"clusters": [{"name": "m2"}], "gracefulEvictionTasks": [task]}
    assert injected_labels(spec, "m2") == {"k": "v"}
    assert injected_labels(spec, "m1") == {}, "not where it ran before"
    assert injected_labels({**spec, "clusters": [{"name": "m2"}, {"name": "m3"}]}, "m2") == {}
    assert (
        injected_labels({**spec, "gracefulEvictionTasks": [{**task, "purgeMode": "Gracefully"}]}, "m2") == {}
    )


def test_a_task_does_not_end_on_the_health_of_the_replicas_from_before_the_eviction():
    before = binding([TASK])
    before["status"]["aggregatedStatus"][0]["status"] = {"replicas": 2, "readyReplicas": 2}
    assert assess_tasks(before, T0 + 5, 600).ended == [], "2 healthy replicas reported, 4 assigned"
    before["status"]["aggregatedStatus"][0]["status"] = {"replicas": 4, "readyReplicas": 4}
    assert assess_tasks(before, T0 + 5, 600).ended == ["m2"]


def test_evictions_read_the_placement_the_binding_was_scheduled_by():
    from karmadad.failover.eviction import applied_placement

    spec = {"placement": {"clusterTolerations": []}}
    scheduled_by = '{"clusterTolerations":[{"key":"k","operator":"Exists"}]}'
    annotated = {
        "metadata": {"annotations": {"policy.karmada.io/applied-placement": scheduled_by}},
        "spec": spec,
    }
    assert applied_placement(annotated) == {"clusterTolerations": [{"key": "k", "operator": "Exists"}]}
    assert applied_placement({"metadata": {}, "spec": spec}) == spec["placement"]
    broken = {"metadata": {"annotations": {"policy.karmada.io/applied-placement": "{"}}, "spec": spec}
    assert applied_placement(broken) == spec["placement"]
