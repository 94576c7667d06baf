"""Reflecting a member's status into its Work and aggregating members' statuses into the template,
as Karmada's reflectstatus.go and aggregatestatus.go do."""

from __future__ import annotations

import copy

import pytest

from karmadad.api.karmada.names import TEMPLATE_GENERATION
from karmadad.interpreter.fields import Malformed
from karmadad.interpreter.status import aggregate_status, has_aggregate_rule, reflect_status

NOW = "2024-05-01T12:00:00Z"


def make(
    api_version: str,
    kind: str,
    *,
    spec: dict | None = None,
    status: dict | None = None,
    generation: int = 0,
    template_generation: str | None = None,
) -> dict:
    obj: dict = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "ns"}}
    if generation:
        obj["metadata"]["generation"] = generation
    if template_generation is not None:
        obj["metadata"]["annotations"] = {TEMPLATE_GENERATION: template_generation}
    if spec is not None:
        obj["spec"] = spec
    if status is not None:
        obj["status"] = status
    return obj


def item(cluster: str, status: dict | None) -> dict:
    entry: dict = {"clusterName": cluster, "applied": True, "health": "Healthy"}
    if status is not None:
        entry["status"] = status
    return entry


# --------------------------------------------------------------------------- reflect


def test_reflect_deployment_adds_generations_and_drops_zero_counters() -> None:
    member = make(
        "apps/v1",
        "Deployment",
        generation=4,
        template_generation="7",
        status={
            "observedGeneration": 4,
            "replicas": 3,
            "updatedReplicas": 3,
            "readyReplicas": 2,
            "availableReplicas": 2,
            "unavailableReplicas": 0,
            "conditions": [{"type": "Available", "status": "True"}],
            "collisionCount": 1,
        },
    )
    assert reflect_status(member) == {
        "generation": 4,
        "resourceTemplateGeneration": 7,
        "observedGeneration": 4,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 2,
        "availableReplicas": 2,
    }


def test_reflect_deployment_without_anything_to_say_is_none() -> None:
    assert reflect_status(make("apps/v1", "Deployment")) is None
    assert reflect_status(make("apps/v1", "Deployment", status={})) is None
    assert reflect_status(make("apps/v1", "Deployment", status={}, generation=1)) == {"generation": 1}


def test_reflect_rejects_a_generation_annotation_that_is_not_a_number() -> None:
    member = make("apps/v1", "Deployment", status={"replicas": 1}, template_generation="seven")
    with pytest.raises(Malformed):
        reflect_status(member)
    with pytest.raises(ValueError):  # Malformed is a ValueError
        reflect_status(make("apps/v1", "StatefulSet", status={}, template_generation="1.5"))


def test_reflect_replica_set_always_has_replicas() -> None:
    member = make(
        "apps/v1", "ReplicaSet", generation=2, status={"observedGeneration": 2, "fullyLabeledReplicas": 1}
    )
    assert reflect_status(member) == {"generation": 2, "replicas": 0, "observedGeneration": 2}


def test_reflect_stateful_set_has_no_observed_generation() -> None:
    member = make(
        "apps/v1",
        "StatefulSet",
        generation=3,
        template_generation="2",
        status={"observedGeneration": 3, "replicas": 2, "readyReplicas": 2, "currentRevision": "r1"},
    )
    assert reflect_status(member) == {
        "generation": 3,
        "resourceTemplateGeneration": 2,
        "availableReplicas": 0,
        "replicas": 2,
        "readyReplicas": 2,
    }


def test_reflect_daemon_set_always_has_its_scheduling_counters() -> None:
    member = make(
        "apps/v1", "DaemonSet", generation=1, status={"observedGeneration": 1, "numberAvailable": 2}
    )
    assert reflect_status(member) == {
        "generation": 1,
        "currentNumberScheduled": 0,
        "desiredNumberScheduled": 0,
        "numberMisscheduled": 0,
        "numberReady": 0,
        "numberAvailable": 2,
        "observedGeneration": 1,
    }


def test_reflect_service_only_for_load_balancers() -> None:
    lb = {"ingress": [{"ip": "1.2.3.4", "ports": [{"port": 80, "protocol": "TCP"}]}]}
    status = {"loadBalancer": lb, "conditions": [{"type": "x"}]}
    assert reflect_status(make("v1", "Service", spec={"type": "LoadBalancer"}, status=status)) == {
        "loadBalancer": lb
    }
    assert reflect_status(make("v1", "Service", spec={"type": "LoadBalancer"}, status={})) == {
        "loadBalancer": {}
    }
    assert reflect_status(make("v1", "Service", spec={"type": "LoadBalancer"})) is None
    assert reflect_status(make("v1", "Service", spec={"type": "ClusterIP"}, status=status)) is None
    assert reflect_status(make("v1", "Service", spec={}, status=status)) is None


def test_reflect_job_picks_counts_conditions_and_times() -> None:
    status = {
        "active": 1,
        "succeeded": 0,
        "failed": 2,
        "ready": 1,
        "uncountedTerminatedPods": {},
        "conditions": [{"type": "Failed", "status": "False"}],
        "startTime": "2024-01-01T00:00:00Z",
    }
    assert reflect_status(make("batch/v1", "Job", status=status)) == {
        "active": 1,
        "failed": 2,
        "conditions": [{"type": "Failed", "status": "False"}],
        "startTime": "2024-01-01T00:00:00Z",
    }
    assert reflect_status(make("batch/v1", "Job", status={})) == {}


def test_reflect_disruption_budget_and_autoscaler() -> None:
    pdb = make(
        "policy/v1",
        "PodDisruptionBudget",
        status={"observedGeneration": 1, "currentHealthy": 2, "desiredHealthy": 1, "conditions": []},
    )
    assert reflect_status(pdb) == {
        "disruptionsAllowed": 0,
        "expectedPods": 0,
        "desiredHealthy": 1,
        "currentHealthy": 2,
    }
    hpa = make(
        "autoscaling/v2", "HorizontalPodAutoscaler", status={"currentReplicas": 0, "desiredReplicas": 0}
    )
    assert reflect_status(hpa) == {"desiredReplicas": 0}


def test_reflect_other_kinds_copy_their_whole_status() -> None:
    status = {"phase": "Running", "podIP": "10.0.0.1"}
    pod = make("v1", "Pod", status=status)
    reflected = reflect_status(pod)
    assert reflected == status
    reflected["phase"] = "changed"
    assert pod["status"]["phase"] == "Running"
    assert reflect_status(make("v1", "ConfigMap")) is None
    ingress = {"loadBalancer": {"ingress": [{"hostname": "a"}]}}
    assert reflect_status(make("networking.k8s.io/v1", "Ingress", status=ingress)) == ingress
    assert reflect_status(make("example.io/v1", "Widget", status={"ready": True})) == {"ready": True}
    with pytest.raises(Malformed):
        reflect_status(make("example.io/v1", "Widget", status="broken"))  # type: ignore[arg-type]


# --------------------------------------------------------------------------- aggregate: counted workloads


def deploy_status(generation: int, template: int, observed: int, **counters: int) -> dict:
    return {
        "generation": generation,
        "resourceTemplateGeneration": template,
        "observedGeneration": observed,
        **counters,
    }


def test_deployment_sums_counters_and_takes_the_template_generation() -> None:
    template = make(
        "apps/v1", "Deployment", generation=5, status={"observedGeneration": 4, "conditions": ["kept"]}
    )
    before = copy.deepcopy(template)
    items = [
        item(
            "a", deploy_status(2, 5, 2, replicas=2, readyReplicas=2, updatedReplicas=2, availableReplicas=2)
        ),
        item("b", deploy_status(9, 6, 9, replicas=1, updatedReplicas=1, unavailableReplicas=1)),
    ]
    result = aggregate_status(template, items)
    assert template == before
    assert result["status"] == {
        "observedGeneration": 5,
        "conditions": ["kept"],
        "replicas": 3,
        "readyReplicas": 2,
        "updatedReplicas": 3,
        "availableReplicas": 2,
        "unavailableReplicas": 1,
    }
    assert {k: v for k, v in result.items() if k != "status"} == {
        k: v for k, v in template.items() if k != "status"
    }


@pytest.mark.parametrize(
    ("items", "why"),
    [
        ([item("a", deploy_status(3, 5, 2, replicas=1))], "member has not observed its own generation"),
        ([item("a", deploy_status(3, 4, 3, replicas=1))], "member runs an older template generation"),
        ([item("a", deploy_status(3, 5, 3, replicas=1)), item("b", None)], "a member has no status yet"),
        (
            [item("a", {"replicas": 1, "observedGeneration": 1})],
            "member without generations (template 0 < 5)",
        ),
    ],
)
def test_deployment_observed_generation_stays_unless_every_member_is_current(items: list, why: str) -> None:
    template = make("apps/v1", "Deployment", generation=5, status={"observedGeneration": 4})
    assert aggregate_status(template, items)["status"]["observedGeneration"] == 4, why


def test_deployment_member_newer_than_template_counts_as_current() -> None:
    template = make("apps/v1", "Deployment", generation=5, status={"observedGeneration": 4})
    items = [item("a", deploy_status(3, 6, 4, replicas=1))]
    assert aggregate_status(template, items)["status"]["observedGeneration"] == 5


def test_deployment_without_items_observes_its_generation() -> None:
    template = make("apps/v1", "Deployment", generation=2, status={"replicas": 3})
    assert aggregate_status(template, [])["status"] == {"observedGeneration": 2}


def test_deployment_unchanged_status_returns_an_equal_copy() -> None:
    template = make(
        "apps/v1",
        "Deployment",
        generation=2,
        status={"observedGeneration": 2, "replicas": 0, "readyReplicas": 1},
    )
    items = [item("a", deploy_status(1, 2, 1, readyReplicas=1))]
    result = aggregate_status(template, items)
    assert result == template
    assert result is not template


def test_replica_set_keeps_replicas_even_at_zero() -> None:
    template = make("apps/v1", "ReplicaSet", generation=1, status={"replicas": 4})
    items = [
        item("a", {"generation": 1, "resourceTemplateGeneration": 1, "observedGeneration": 1, "replicas": 0})
    ]
    assert aggregate_status(template, items)["status"] == {"replicas": 0, "observedGeneration": 1}


def test_daemon_set_sums_and_writes_its_required_counters() -> None:
    template = make("apps/v1", "DaemonSet", generation=3)
    member = {
        "generation": 1,
        "resourceTemplateGeneration": 3,
        "observedGeneration": 1,
        "currentNumberScheduled": 2,
        "desiredNumberScheduled": 2,
        "numberAvailable": 2,
        "numberReady": 2,
        "updatedNumberScheduled": 2,
    }
    result = aggregate_status(template, [item("a", member), item("b", member)])
    assert result["status"] == {
        "currentNumberScheduled": 4,
        "desiredNumberScheduled": 4,
        "numberAvailable": 4,
        "numberMisscheduled": 0,
        "numberReady": 4,
        "updatedNumberScheduled": 4,
        "observedGeneration": 3,
    }


def test_stateful_set_compares_template_generation_with_the_members_own() -> None:
    # Karmada's rule for StatefulSets: resourceTemplateGeneration >= the member's generation
    template = make("apps/v1", "StatefulSet", generation=9, status={"observedGeneration": 1})
    current = {"generation": 2, "resourceTemplateGeneration": 2, "observedGeneration": 2, "replicas": 1}
    result = aggregate_status(template, [item("a", current)])
    assert result["status"] == {"observedGeneration": 9, "replicas": 1, "availableReplicas": 0}
    # what Karmada actually reflects for a StatefulSet has no observedGeneration: it never counts as current
    reflected = reflect_status(
        make(
            "apps/v1",
            "StatefulSet",
            generation=2,
            template_generation="9",
            status={"observedGeneration": 2, "replicas": 1},
        )
    )
    assert aggregate_status(template, [item("a", reflected)])["status"]["observedGeneration"] == 1


# --------------------------------------------------------------------------- aggregate: networking


def test_service_load_balancer_ingresses_are_merged_deduplicated_and_sorted() -> None:
    template = make("v1", "Service", spec={"type": "LoadBalancer"}, status={"conditions": [{"type": "x"}]})
    items = [
        item(
            "a",
            {
                "loadBalancer": {
                    "ingress": [
                        {"ip": "10.0.0.2"},
                        {"ip": "10.0.0.1", "ports": [{"port": 443, "protocol": "TCP"}]},
                        {"hostname": "b.example"},
                    ]
                }
            },
        ),
        item(
            "b",
            {
                "loadBalancer": {
                    "ingress": [
                        {
                            "ip": "10.0.0.1",
                            "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}],
                        },
                        {"hostname": "a.example", "ip": "10.0.0.9"},
                        {"ip": "10.0.0.1", "ipMode": "Proxy"},
                        {
                            "ip": "10.0.0.3",
                            "ports": [
                                {"port": 80, "protocol": "UDP", "error": "x"},
                                {"port": 80, "protocol": "UDP"},
                            ],
                        },
                    ]
                }
            },
        ),
        item("c", None),
    ]
    assert aggregate_status(template, items)["status"] == {
        "loadBalancer": {
            "ingress": [
                {"ip": "10.0.0.9", "hostname": "a.example"},
                {"hostname": "b.example"},
                {"ip": "10.0.0.1", "ipMode": "Proxy"},
                {
                    "ip": "10.0.0.1",
                    "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443, "protocol": "TCP"}],
                },
                {"ip": "10.0.0.2"},
                {
                    "ip": "10.0.0.3",
                    "ports": [{"port": 80, "protocol": "UDP"}, {"port": 80, "protocol": "UDP", "error": "x"}],
                },
            ]
        }
    }


def test_service_not_load_balancer_is_unchanged_and_empty_load_balancer_is_written() -> None:
    plain = make("v1", "Service", spec={"type": "ClusterIP"}, status={"x": 1})
    assert aggregate_status(plain, [item("a", {"loadBalancer": {"ingress": [{"ip": "1.1.1.1"}]}})]) == plain
    lb = make("v1", "Service", spec={"type": "LoadBalancer"})
    assert aggregate_status(lb, [item("a", {"loadBalancer": {}})])["status"] == {"loadBalancer": {}}


def test_ingress_merges_without_ip_mode() -> None:
    template = make("networking.k8s.io/v1", "Ingress", spec={})
    items = [
        item("a", {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}}),
        item("b", {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}, {"hostname": "h"}]}}),
    ]
    assert aggregate_status(template, items)["status"] == {
        "loadBalancer": {"ingress": [{"hostname": "h"}, {"ip": "10.0.0.1"}]}
    }


# --------------------------------------------------------------------------- aggregate: jobs


def complete(**extra) -> dict:
    return {"conditions": [{"type": "Complete", "status": "True"}], **extra}


def test_job_completes_when_every_member_completed() -> None:
    template = make("batch/v1", "Job", status={"active": 2})
    items = [
        item(
            "a",
            complete(succeeded=2, startTime="2024-01-01T00:00:05Z", completionTime="2024-01-01T00:10:00Z"),
        ),
        item(
            "b",
            complete(
                succeeded=3, startTime="2024-01-01T00:00:01Z", completionTime="2024-01-01T02:00:00+02:00"
            ),
        ),
    ]
    assert aggregate_status(template, items, now=NOW)["status"] == {
        "succeeded": 5,
        "conditions": [
            {
                "type": "Complete",
                "status": "True",
                "lastProbeTime": NOW,
                "lastTransitionTime": NOW,
                "reason": "Completed",
                "message": "Job completed",
            }
        ],
        "startTime": "2024-01-01T00:00:01Z",
        "completionTime": "2024-01-01T00:10:00Z",
    }


def test_job_success_criteria_met_only_when_every_member_met_it() -> None:
    met = {"type": "SuccessCriteriaMet", "status": "True"}
    both = [item(c, {"conditions": [met, {"type": "Complete", "status": "True"}]}) for c in "ab"]
    types = [
        c["type"] for c in aggregate_status(make("batch/v1", "Job"), both, now=NOW)["status"]["conditions"]
    ]
    assert types == ["Complete", "SuccessCriteriaMet"]
    one = [both[0], item("b", complete())]
    types = [
        c["type"] for c in aggregate_status(make("batch/v1", "Job"), one, now=NOW)["status"]["conditions"]
    ]
    assert types == ["Complete"]


def test_job_fails_when_any_member_failed() -> None:
    failed = {"failed": 1, "conditions": [{"type": "Failed", "status": "True"}]}
    items = [item("m2", failed), item("m1", {"active": 1}), item("m3", failed)]
    status = aggregate_status(make("batch/v1", "Job"), items, now=NOW)["status"]
    assert status["active"] == 1
    assert status["failed"] == 2
    assert status["conditions"] == [
        {
            "type": "Failed",
            "status": "True",
            "lastProbeTime": NOW,
            "lastTransitionTime": NOW,
            "reason": "JobFailed",
            "message": "Job executed failed in member clusters m2,m3",
        }
    ]


def test_job_start_time_needs_every_member_started_and_is_kept_once_set() -> None:
    items = [item("a", {"active": 1, "startTime": "2024-01-01T00:00:00Z"}), item("b", None)]
    assert "startTime" not in aggregate_status(make("batch/v1", "Job"), items, now=NOW)["status"]
    kept = make("batch/v1", "Job", status={"startTime": "2023-12-31T00:00:00Z"})
    assert aggregate_status(kept, items[:1], now=NOW)["status"]["startTime"] == "2023-12-31T00:00:00Z"


def test_job_not_complete_while_a_member_has_no_status() -> None:
    items = [item("a", complete(completionTime="2024-01-01T00:00:00Z")), item("b", None)]
    status = aggregate_status(make("batch/v1", "Job"), items, now=NOW).get("status", {})
    assert "conditions" not in status
    assert "completionTime" not in status


def test_finished_job_is_never_changed() -> None:
    template = make("batch/v1", "Job", status={"conditions": [{"type": "Failed", "status": "True"}]})
    assert aggregate_status(template, [item("a", complete(succeeded=1))], now=NOW) == template


def test_cron_job_merges_active_and_takes_the_latest_times() -> None:
    items = [
        item("a", {"active": [{"name": "j1"}], "lastScheduleTime": "2024-01-01T01:00:00Z"}),
        item(
            "b",
            {
                "active": [{"name": "j2"}],
                "lastScheduleTime": "2024-01-01T03:00:00Z",
                "lastSuccessfulTime": "2024-01-01T00:30:00Z",
            },
        ),
        item("c", {"lastScheduleTime": "2024-01-01T02:00:00Z"}),
    ]
    assert aggregate_status(make("batch/v1", "CronJob"), items)["status"] == {
        "active": [{"name": "j1"}, {"name": "j2"}],
        "lastScheduleTime": "2024-01-01T03:00:00Z",
        "lastSuccessfulTime": "2024-01-01T00:30:00Z",
    }


# --------------------------------------------------------------------------- aggregate: phases and counts


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        (["Running", "Succeeded"], "Running"),
        (["Succeeded", "Succeeded"], "Succeeded"),
        (["Running", None], "Pending"),  # no status yet counts as Pending
        (["Pending", "Failed", "Running"], "Failed"),
        (["Unknown"], None),
    ],
)
def test_pod_takes_the_worst_phase(phases: list, expected: str | None) -> None:
    items = [item(f"m{i}", None if p is None else {"phase": p}) for i, p in enumerate(phases)]
    status = aggregate_status(make("v1", "Pod"), items).get("status", {})
    assert status.get("phase") == expected


def test_pod_container_statuses_keep_ready_and_state() -> None:
    state = {"running": {"startedAt": "2024-01-01T00:00:00Z"}}
    member = {
        "phase": "Running",
        "containerStatuses": [
            {"name": "c", "ready": True, "state": state, "restartCount": 3, "image": "nginx"}
        ],
        "initContainerStatuses": [{"name": "i", "ready": False}],
    }
    status = aggregate_status(make("v1", "Pod"), [item("a", member)])["status"]
    blank = {"name": "", "lastState": {}, "restartCount": 0, "image": "", "imageID": ""}
    assert status == {
        "phase": "Running",
        "containerStatuses": [{**blank, "state": state, "ready": True}],
        "initContainerStatuses": [{**blank, "state": {}, "ready": False}],
    }


def test_pod_without_items_is_unchanged() -> None:
    pod = make("v1", "Pod", status={"phase": "Running"})
    assert aggregate_status(pod, []) == pod


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        (["Bound", "Available"], {"phase": "Available"}),
        (["Released", "Bound"], {"phase": "Bound"}),
        (["Bound", None], {"phase": "Pending"}),
        (["Failed", "Pending"], {"phase": "Failed"}),
        ([], {}),
    ],
)
def test_persistent_volume_takes_the_worst_phase(phases: list, expected: dict) -> None:
    items = [item(f"m{i}", None if p is None else {"phase": p}) for i, p in enumerate(phases)]
    template = make("v1", "PersistentVolume", status={"phase": "Bound", "message": "m"})
    assert aggregate_status(template, items)["status"] == expected


@pytest.mark.parametrize(
    ("phases", "expected"),
    [
        (["Bound", "Bound"], "Bound"),
        (["Bound", "Pending"], "Pending"),
        (["Pending", "Lost", "Pending"], "Lost"),
        (["Bound", None], "Bound"),  # a member without status does not count
        ([], "Bound"),
    ],
)
def test_claim_phase(phases: list, expected: str) -> None:
    items = [item(f"m{i}", None if p is None else {"phase": p}) for i, p in enumerate(phases)]
    template = make(
        "v1", "PersistentVolumeClaim", status={"phase": "Pending", "capacity": {"storage": "1Gi"}}
    )
    assert aggregate_status(template, items)["status"] == {"phase": expected}


def test_disruption_budget_sums_and_names_disrupted_pods_by_cluster() -> None:
    items = [
        item(
            "a",
            {
                "currentHealthy": 2,
                "desiredHealthy": 1,
                "expectedPods": 2,
                "disruptionsAllowed": 1,
                "disruptedPods": {"p": "2024-01-01T00:00:00Z"},
            },
        ),
        item("b", {"currentHealthy": 1, "desiredHealthy": 1, "expectedPods": 1, "disruptionsAllowed": 0}),
    ]
    assert aggregate_status(make("policy/v1", "PodDisruptionBudget"), items)["status"] == {
        "currentHealthy": 3,
        "desiredHealthy": 2,
        "expectedPods": 3,
        "disruptionsAllowed": 1,
        "disruptedPods": {"a/p": "2024-01-01T00:00:00Z"},
    }


def test_autoscaler_sums_replicas() -> None:
    items = [item("a", {"currentReplicas": 2, "desiredReplicas": 3}), item("b", {"desiredReplicas": 1})]
    template = make(
        "autoscaling/v2", "HorizontalPodAutoscaler", status={"currentMetrics": [], "desiredReplicas": 9}
    )
    assert aggregate_status(template, items)["status"] == {"currentReplicas": 2, "desiredReplicas": 4}


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("v1", "ConfigMap"), ("autoscaling/v1", "HorizontalPodAutoscaler"), ("example.io/v1", "Widget")],
)
def test_kinds_without_a_rule_are_unchanged(api_version: str, kind: str) -> None:
    template = make(api_version, kind, status={"x": 1})
    assert not has_aggregate_rule(template)
    result = aggregate_status(template, [item("a", {"x": 2})])
    assert result == template
    assert result is not template


def test_unreadable_member_status_raises() -> None:
    with pytest.raises(Malformed):
        aggregate_status(make("apps/v1", "Deployment", generation=1), [item("a", {"replicas": "three"})])
