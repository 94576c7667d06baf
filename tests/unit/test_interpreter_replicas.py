"""Replicas and replica requirements must be what Karmada's default interpreter reads from a template."""

from __future__ import annotations

import pytest

from karmadad.interpreter import get_replicas, pod_requests
from karmadad.interpreter.replicas import node_claim, resource_request


def container(name: str = "c", requests: dict | None = None, limits: dict | None = None) -> dict:
    resources: dict = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": name, "image": "nginx", "resources": resources}


def workload(api_version: str, kind: str, spec: dict | None = None, pod_spec: dict | None = None) -> dict:
    spec = dict(spec or {})
    if pod_spec is not None:
        spec["template"] = {"metadata": {"labels": {"app": "a"}}, "spec": pod_spec}
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "w", "namespace": "shop"},
        "spec": spec,
    }


WEB = {"containers": [container(requests={"cpu": "100m", "memory": "64Mi"})]}


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")],
)
def test_scaled_workloads_read_spec_replicas(api_version, kind):
    replicas, requirements = get_replicas(workload(api_version, kind, {"replicas": 3}, WEB))
    assert replicas == 3
    assert requirements == {"resourceRequest": {"cpu": "100m", "memory": "64Mi"}, "namespace": "shop"}


@pytest.mark.parametrize("kind", ["Deployment", "ReplicaSet", "StatefulSet"])
def test_absent_replicas_are_the_kubernetes_default_of_one(kind):
    assert get_replicas(workload("apps/v1", kind, {}, WEB))[0] == 1
    assert get_replicas(workload("apps/v1", kind, {"replicas": 0}, WEB))[0] == 0


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, 1),  # both defaulted to 1
        ({"parallelism": 4}, 4),  # a work queue: completions stay unset
        ({"completions": 5}, 1),  # parallelism defaults to 1
        ({"parallelism": 4, "completions": 2}, 2),  # never more pods than completions left
        ({"parallelism": 2, "completions": 6}, 2),
        ({"parallelism": 0, "completions": 3}, 0),
        ({"parallelism": 3, "completions": 0}, 0),
    ],
)
def test_job_replicas_are_parallelism_capped_by_completions(spec, expected):
    replicas, requirements = get_replicas(workload("batch/v1", "Job", spec, WEB))
    assert replicas == expected
    assert requirements == {"resourceRequest": {"cpu": "100m", "memory": "64Mi"}, "namespace": "shop"}


def test_a_pod_is_one_replica_of_its_own_spec():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {**WEB, "priorityClassName": "high"},
    }
    assert get_replicas(pod) == (
        1,
        {
            "resourceRequest": {"cpu": "100m", "memory": "64Mi"},
            "namespace": "default",
            "priorityClassName": "high",
        },
    )


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "CronJob"),
        ("v1", "ConfigMap"),
        ("example.com/v1", "Deployment"),  # a custom kind of the same name
        ("apps/v1beta1", "Deployment"),  # Karmada matches the exact group-version
    ],
)
def test_other_kinds_have_no_replicas(api_version, kind):
    assert get_replicas(workload(api_version, kind, {"replicas": 3}, WEB)) == (0, None)
    assert get_replicas({}) == (0, None)


def test_no_requests_and_no_node_claim_mean_no_requirements():
    bare = {"containers": [container()]}
    assert get_replicas(workload("apps/v1", "Deployment", {"replicas": 2}, bare)) == (2, None)
    assert get_replicas(workload("apps/v1", "Deployment", {"replicas": 2})) == (2, None)
    assert get_replicas({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}) == (1, None)
    # A priority class alone does not make requirements (Karmada returns nil before looking at it).
    assert get_replicas(workload("apps/v1", "Deployment", {}, {**bare, "priorityClassName": "x"})) == (
        1,
        None,
    )


def test_requests_sum_containers_take_the_largest_init_container_and_add_overhead():
    spec = {
        "containers": [
            container("a", {"cpu": "100m", "memory": "64Mi"}),
            container("b", {"cpu": "50m", "memory": "32Mi", "nvidia.com/gpu": "1"}),
        ],
        "initContainers": [
            container("i1", {"cpu": "500m", "memory": "16Mi"}),
            container("i2", {"cpu": "200m", "memory": "128Mi"}),
        ],
        "overhead": {"cpu": "10m", "memory": "1Mi"},
    }
    assert pod_requests(spec) == pytest.approx({"cpu": 0.51, "memory": 129 * 2**20, "nvidia.com/gpu": 1.0})
    assert resource_request(spec) == {"cpu": "510m", "memory": "129Mi", "nvidia.com/gpu": "1"}


def test_limits_stand_in_for_missing_requests():
    spec = {
        "containers": [
            container("a", requests={"cpu": "100m"}, limits={"cpu": "1", "memory": "1Gi"}),
            container("b", limits={"cpu": "2"}),
        ],
        "initContainers": [container("i", limits={"memory": "2Gi"})],
    }
    assert resource_request(spec) == {"cpu": "2100m", "memory": "2Gi"}


def test_quantities_are_rendered_canonically():
    spec = {
        "containers": [
            container("a", {"cpu": "1.5", "memory": "1.5Gi", "ephemeral-storage": "1G"}),
            container("b", {"cpu": "500m", "hugepages-2Mi": "4Mi"}),
        ]
    }
    assert resource_request(spec) == {
        "cpu": "2",
        "ephemeral-storage": "1000000000",
        "hugepages-2Mi": "4Mi",
        "memory": "1536Mi",
    }


def test_zero_and_unqualified_resources_are_dropped_as_karmada_does():
    spec = {
        "containers": [container(requests={"cpu": "0", "memory": "0", "foo": "3", "example.com/dongle": "2"})]
    }
    assert resource_request(spec) == {"example.com/dongle": "2"}
    assert resource_request({"containers": [container(requests={"cpu": "0"})]}) is None


def test_node_claim_takes_selector_required_affinity_and_tolerations():
    required = {
        "nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}]
    }
    tolerations = [{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    spec = {
        "containers": [container()],
        "nodeSelector": {"disk": "ssd"},
        "tolerations": tolerations,
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": required,
                "preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 1, "preference": {"matchExpressions": []}}
                ],
            },
            "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": []},
        },
    }
    claim = {"hardNodeAffinity": required, "nodeSelector": {"disk": "ssd"}, "tolerations": tolerations}
    assert node_claim(spec) == claim
    replicas, requirements = get_replicas(workload("apps/v1", "StatefulSet", {"replicas": 2}, spec))
    assert (replicas, requirements) == (2, {"nodeClaim": claim, "namespace": "shop"})


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"nodeSelector": {}, "tolerations": []},
        {"affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": []}}},
        {"affinity": {"podAffinity": {}}},
    ],
)
def test_empty_node_constraints_make_no_node_claim(spec):
    assert node_claim(spec) is None


def test_parts_of_a_node_claim_stand_alone():
    assert node_claim({"nodeSelector": {"a": "b"}}) == {"nodeSelector": {"a": "b"}}
    assert node_claim({"tolerations": [{"operator": "Exists"}]}) == {"tolerations": [{"operator": "Exists"}]}
    replicas, requirements = get_replicas(
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"nodeSelector": {"a": "b"}}}
    )
    assert (replicas, requirements) == (
        1,
        {"nodeClaim": {"nodeSelector": {"a": "b"}}},
    )  # no namespace, no key
