"""Health of a member's object, as Karmada's default InterpretHealth judges it."""

from __future__ import annotations

import pytest

from karmadad.interpreter.health import HEALTHY, UNHEALTHY, UNKNOWN, has_health_rule, interpret_health


def make(
    api_version: str, kind: str, spec: dict | None = None, status: dict | None = None, generation: int = 0
) -> dict:
    obj: dict = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", "namespace": "ns"}}
    if generation:
        obj["metadata"]["generation"] = generation
    if spec is not None:
        obj["spec"] = spec
    if status is not None:
        obj["status"] = status
    return obj


ROLLED = {"observedGeneration": 2, "updatedReplicas": 3, "availableReplicas": 3}


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        ({"replicas": 3}, ROLLED, HEALTHY),
        ({"replicas": 3}, {**ROLLED, "observedGeneration": 1}, UNHEALTHY),  # old generation seen
        ({"replicas": 4}, ROLLED, UNHEALTHY),  # not all updated
        ({"replicas": 3}, {**ROLLED, "availableReplicas": 2}, UNHEALTHY),  # updated but not available
        (
            {},
            {**ROLLED, "updatedReplicas": 1, "availableReplicas": 1},
            HEALTHY,
        ),  # no spec.replicas: not compared
        ({"replicas": 0}, {"observedGeneration": 2}, HEALTHY),
        ({"replicas": 3}, {**ROLLED, "availableReplicas": "3"}, UNKNOWN),  # unreadable as its kind
    ],
)
def test_rolled_out_workloads(kind: str, spec: dict, status: dict, expected: str) -> None:
    assert interpret_health(make("apps/v1", kind, spec, status, generation=2)) == expected


@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        ({"replicas": 3}, {"observedGeneration": 1, "availableReplicas": 3}, HEALTHY),
        ({"replicas": 3}, {"observedGeneration": 1, "availableReplicas": 2}, UNHEALTHY),
        ({"replicas": 3}, {"observedGeneration": 0, "availableReplicas": 3}, UNHEALTHY),
        ({}, {"observedGeneration": 1}, HEALTHY),
    ],
)
def test_replica_set(spec: dict, status: dict, expected: str) -> None:
    assert interpret_health(make("apps/v1", "ReplicaSet", spec, status, generation=1)) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            {
                "observedGeneration": 1,
                "desiredNumberScheduled": 2,
                "updatedNumberScheduled": 2,
                "numberAvailable": 2,
            },
            HEALTHY,
        ),
        (
            {
                "observedGeneration": 1,
                "desiredNumberScheduled": 3,
                "updatedNumberScheduled": 2,
                "numberAvailable": 2,
            },
            UNHEALTHY,
        ),
        (
            {
                "observedGeneration": 1,
                "desiredNumberScheduled": 2,
                "updatedNumberScheduled": 2,
                "numberAvailable": 1,
            },
            UNHEALTHY,
        ),
        ({"desiredNumberScheduled": 0}, UNHEALTHY),  # generation 1 not observed
    ],
)
def test_daemon_set(status: dict, expected: str) -> None:
    assert interpret_health(make("apps/v1", "DaemonSet", {}, status, generation=1)) == expected


@pytest.mark.parametrize(
    ("spec", "status", "expected"),
    [
        ({"type": "ClusterIP"}, None, HEALTHY),
        ({"type": "NodePort"}, {}, HEALTHY),
        ({}, None, HEALTHY),
        ({"type": "LoadBalancer"}, {"loadBalancer": {}}, UNHEALTHY),
        ({"type": "LoadBalancer"}, {"loadBalancer": {"ingress": [{"ipMode": "VIP"}]}}, UNHEALTHY),
        ({"type": "LoadBalancer"}, {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}}, HEALTHY),
        ({"type": "LoadBalancer"}, {"loadBalancer": {"ingress": [{}, {"hostname": "lb.example"}]}}, HEALTHY),
        ({"type": "LoadBalancer"}, {"loadBalancer": {"ingress": "1.2.3.4"}}, UNKNOWN),
    ],
)
def test_service(spec: dict, status: dict | None, expected: str) -> None:
    assert interpret_health(make("v1", "Service", spec, status)) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (None, UNHEALTHY),
        ({"loadBalancer": {}}, UNHEALTHY),
        ({"loadBalancer": {"ingress": [{"hostname": "a.example"}]}}, HEALTHY),
        ({"loadBalancer": {"ingress": [{"ip": "10.1.1.1"}]}}, HEALTHY),
    ],
)
def test_ingress(status: dict | None, expected: str) -> None:
    assert interpret_health(make("networking.k8s.io/v1", "Ingress", {}, status)) == expected


@pytest.mark.parametrize(
    ("phase", "expected"), [("Bound", HEALTHY), ("Pending", UNHEALTHY), ("Lost", UNHEALTHY)]
)
def test_claim(phase: str, expected: str) -> None:
    assert interpret_health(make("v1", "PersistentVolumeClaim", {}, {"phase": phase})) == expected


READY = {"type": "Ready", "status": "True"}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"phase": "Succeeded"}, HEALTHY),
        ({"phase": "Running", "conditions": [{"type": "PodScheduled", "status": "True"}, READY]}, HEALTHY),
        ({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]}, UNHEALTHY),
        ({"phase": "Running"}, UNHEALTHY),
        ({"phase": "Pending", "conditions": [READY]}, UNHEALTHY),
        ({"phase": "Failed"}, UNHEALTHY),
    ],
)
def test_pod(status: dict, expected: str) -> None:
    assert interpret_health(make("v1", "Pod", {}, status)) == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"currentHealthy": 3, "desiredHealthy": 3}, HEALTHY),
        ({"currentHealthy": 4, "desiredHealthy": 3}, HEALTHY),
        ({"currentHealthy": 2, "desiredHealthy": 3}, UNHEALTHY),
        ({}, HEALTHY),
    ],
)
def test_disruption_budget(status: dict, expected: str) -> None:
    assert interpret_health(make("policy/v1", "PodDisruptionBudget", {}, status)) == expected


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("v1", "ConfigMap"), ("batch/v1", "Job"), ("apps/v1beta1", "Deployment"), ("example.io/v1", "Widget")],
)
def test_kinds_without_a_rule_are_healthy(api_version: str, kind: str) -> None:
    obj = make(api_version, kind, {"replicas": 3}, {"observedGeneration": 0}, generation=5)
    assert not has_health_rule(obj)
    assert interpret_health(obj) == HEALTHY
