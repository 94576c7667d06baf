"""Failover in process: a ClusterTaintPolicy taints a NotReady member NoExecute, the taint manager evicts the
binding from it, the scheduler places its replicas on the others, and the old copy goes only once the new
ones are healthy; with most members NotReady at once, nothing moves and the Clusters say why."""

from __future__ import annotations

import pytest

from karmadad.api import strategy
from karmadad.api.conditions import is_true
from karmadad.api.karmada.admission import WebhookOptions
from karmadad.api.karmada.resources import CLUSTER_TAINT_POLICIES, CLUSTERS, WORKLOAD_REBALANCERS, WORKS
from karmadad.config import FailoverConfig
from tests.controllers.objects import NAMESPACE, REGISTRY, deployment, events_about
from tests.controllers.pipeline import DEPLOYMENTS, Pipeline, pipeline

pytestmark = pytest.mark.anyio

WEB = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
ON = FailoverConfig(
    enableNoExecuteTaintEviction=True, allowNoExecuteTaintPolicy=True, resourceEvictionRate=100
)
TAINT_POLICY = {
    "apiVersion": "policy.karmada.io/v1alpha1",
    "kind": "ClusterTaintPolicy",
    "metadata": {"name": "not-ready"},
    "spec": {
        "addOnConditions": [
            {"conditionType": "Ready", "operator": "In", "statusValues": ["False", "Unknown"]}
        ],
        "removeOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["True"]}],
        "taints": [{"key": "cluster.karmada.io/not-ready", "effect": "NoExecute"}],
    },
}


@pytest.fixture
async def plane(tmp_path):
    async with pipeline(tmp_path, clusters=("m1", "m2", "m3"), failover=ON) as plane:
        await taint_not_ready_clusters(plane)
        template = deployment("web")
        template["spec"]["replicas"] = 6
        await plane.create("apps", "v1", "deployments", template)
        divided = {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}
        await plane.propagate(WEB, ["m1", "m2", "m3"], placement={
            "clusterAffinity": {"clusterNames": ["m1", "m2", "m3"]}, "replicaScheduling": divided})  # fmt: skip
        await plane.drained()
        yield plane


async def taint_not_ready_clusters(plane: Pipeline) -> None:
    allowed = WebhookOptions(allow_no_execute_taint_policy=True)
    resource = REGISTRY.get("policy.karmada.io", "v1alpha1", "clustertaintpolicies")
    await plane.store.create(
        CLUSTER_TAINT_POLICIES, strategy.prepare_create(resource, TAINT_POLICY, webhooks=allowed)
    )


async def set_ready(plane: Pipeline, name: str, ready: bool) -> None:
    cluster = plane.store.get(CLUSTERS, "", name)
    conditions = [{"type": "Ready", "status": "True" if ready else "False", "reason": "ClusterReady" if ready else "ClusterNotReachable",
                   "message": "", "lastTransitionTime": "2026-12-01T00:00:00Z"}]  # fmt: skip
    await plane.store.update(CLUSTERS, {**cluster, "status": {**cluster["status"], "conditions": conditions}}, subresource="status")  # fmt: skip


async def run_healthy(plane: Pipeline, cluster: str) -> None:
    """The member's Deployment reports all its replicas ready (what its controllers would do)."""
    store = plane.members[cluster].store
    found = store.get(DEPLOYMENTS.group_resource, NAMESPACE, "web")
    replicas = found["spec"]["replicas"]
    status = {"observedGeneration": found["metadata"]["generation"], "replicas": replicas,
              "updatedReplicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}  # fmt: skip
    await store.update(DEPLOYMENTS.group_resource, {**found, "status": status}, subresource="status")


def web_works(plane: Pipeline) -> list[str]:
    """The execution spaces holding a Work of ``web``."""
    works = plane.store.list_all(WORKS)
    return sorted(w["metadata"]["namespace"] for w in works if w["metadata"]["name"].startswith("web-"))


def placement(plane: Pipeline) -> list[tuple[str, int]]:
    return [(t["name"], t["replicas"]) for t in plane.binding("web-deployment")["spec"].get("clusters") or ()]


async def test_a_not_ready_member_is_left_and_its_copy_goes_once_the_new_replicas_are_healthy(plane):
    assert placement(plane) == [("m1", 2), ("m2", 2), ("m3", 2)]
    await set_ready(plane, "m2", False)
    await plane.drained()
    m2 = plane.store.get(CLUSTERS, "", "m2")
    assert [(t["key"], t["effect"]) for t in m2["spec"]["taints"]] == [
        ("cluster.karmada.io/not-ready", "NoExecute")
    ]
    assert [e["message"] for e in events_about(plane.store, m2, "TaintClusterSucceed")] == [
        "Update Cluster(m2) with taints({Key:cluster.karmada.io/not-ready,Effect:NoExecute}) succeed"
    ]
    binding = plane.binding("web-deployment")
    assert placement(plane) == [("m1", 3), ("m3", 3)]
    (task,) = binding["spec"]["gracefulEvictionTasks"]
    assert {k: task[k] for k in ("fromCluster", "purgeMode", "reason", "producer", "replicas")} == {
        "fromCluster": "m2", "purgeMode": "Gracefully", "reason": "TaintUntolerated", "producer": "TaintManager", "replicas": 2}  # fmt: skip
    assert plane.members["m2"].find(DEPLOYMENTS, NAMESPACE, "web") is not None, (
        "the old copy serves meanwhile"
    )
    await run_healthy(plane, "m1")
    await plane.drained()
    assert plane.binding("web-deployment")["spec"].get("gracefulEvictionTasks"), "m3 is not healthy yet"
    await run_healthy(plane, "m3")
    await plane.drained()
    binding = plane.binding("web-deployment")
    assert "gracefulEvictionTasks" not in binding["spec"]
    (leaving,) = [w for w in plane.store.list_all(WORKS) if w["metadata"]["namespace"] == "karmada-es-m2" and w["metadata"]["name"].startswith("web-")]  # fmt: skip
    assert leaving["metadata"].get("deletionTimestamp"), "deleted, its member object with it once m2 answers"
    assert [e["message"] for e in events_about(plane.store, binding, "EvictWorkloadFromClusterSucceed")] == [
        "Evict from cluster m2 succeed."
    ]
    await set_ready(plane, "m2", True)
    await plane.drained()
    assert web_works(plane) == ["karmada-es-m1", "karmada-es-m3"]
    assert plane.members["m2"].find(DEPLOYMENTS, NAMESPACE, "web") is None
    assert "taints" not in plane.store.get(CLUSTERS, "", "m2")["spec"]
    assert placement(plane) == [("m1", 3), ("m3", 3)], "a member coming back takes nothing by itself"

    rebalancer = {"apiVersion": "apps.karmada.io/v1alpha1", "kind": "WorkloadRebalancer", "metadata": {"name": "again"},
                  "spec": {"workloads": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "namespace": NAMESPACE},
                                         {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gone", "namespace": NAMESPACE}]}}  # fmt: skip
    await plane.create("apps.karmada.io", "v1alpha1", "workloadrebalancers", rebalancer)
    await plane.drained()
    assert placement(plane) == [("m1", 2), ("m2", 2), ("m3", 2)], "spread by the policy again"
    status = plane.store.get(WORKLOAD_REBALANCERS, "", "again")["status"]
    assert [
        (w["workload"]["name"], w.get("result"), w.get("reason")) for w in status["observedWorkloads"]
    ] == [
        ("gone", "Failed", "ReferencedBindingNotFound"),
        ("web", "Successful", None),
    ]
    assert status["finishTime"] and status["observedGeneration"] == 1
    once = {
        **rebalancer,
        "metadata": {"name": "once"},
        "spec": {**rebalancer["spec"], "ttlSecondsAfterFinished": 0},
    }
    await plane.create("apps.karmada.io", "v1alpha1", "workloadrebalancers", once)
    await plane.drained()
    assert plane.store.find(WORKLOAD_REBALANCERS, "", "once") is None, "finished, its time to live over"


async def test_with_most_members_not_ready_nothing_is_evicted_and_the_clusters_say_why(plane):
    await set_ready(plane, "m2", False)
    await set_ready(plane, "m3", False)
    await plane.drained()
    assert placement(plane) == [("m1", 2), ("m2", 2), ("m3", 2)]
    binding = plane.binding("web-deployment")
    assert "gracefulEvictionTasks" not in binding["spec"]
    for name in ("m2", "m3"):
        cluster = plane.store.get(CLUSTERS, "", name)
        assert is_true(cluster, "EvictionsHalted")
        assert events_about(plane.store, cluster, "EvictionsHalted")
    assert events_about(plane.store, binding, "EvictionsHalted")
    assert is_true(binding, "EvictionsHalted")
    await set_ready(plane, "m3", True)
    await plane.drained()
    assert placement(plane) == [("m1", 3), ("m3", 3)], "the brake off, m2 is left"
    assert not is_true(plane.store.get(CLUSTERS, "", "m2"), "EvictionsHalted")
    assert not is_true(plane.binding("web-deployment"), "EvictionsHalted")


async def test_an_application_unhealthy_past_its_toleration_moves_and_takes_its_preserved_state(tmp_path):
    async with pipeline(tmp_path, clusters=("m1", "m2"), failover=ON) as plane:
        await plane.create("apps", "v1", "deployments", deployment("web"))
        failover = {
            "application": {
                "decisionConditions": {"tolerationSeconds": 0},
                "purgeMode": "Directly",
                "statePreservation": {"rules": [{"aliasLabelName": "failover.example.com/replicas", "jsonPath": "{.replicas}"}]},
            }
        }  # fmt: skip
        await plane.propagate(WEB, ["m1", "m2"], propagateDeps=True, failover=failover, placement={
            "clusterAffinity": {"clusterNames": ["m1", "m2"]},
            "spreadConstraints": [{"spreadByField": "cluster", "maxGroups": 1, "minGroups": 1}],
            "replicaScheduling": {"replicaSchedulingType": "Duplicated"}})  # fmt: skip
        await plane.drained()
        assert placement(plane) == [("m1", 2)]
        assert web_works(plane) == ["karmada-es-m1"], "not failed over while its health is not known"
        store = plane.members["m1"].store
        found = store.get(DEPLOYMENTS.group_resource, NAMESPACE, "web")
        stuck = {"observedGeneration": found["metadata"]["generation"], "replicas": 2, "updatedReplicas": 2,
                 "readyReplicas": 0, "availableReplicas": 0, "unavailableReplicas": 2}  # fmt: skip
        await store.update(DEPLOYMENTS.group_resource, {**found, "status": stuck}, subresource="status")
        await plane.drained()
        binding = plane.binding("web-deployment")
        assert placement(plane) == [("m2", 2)]
        (task,) = binding["spec"]["gracefulEvictionTasks"]
        assert {k: task[k] for k in ("fromCluster", "purgeMode", "reason", "producer", "preservedLabelState", "clustersBeforeFailover")} == {
            "fromCluster": "m1", "purgeMode": "Directly", "reason": "ApplicationFailure",
            "producer": "resource-binding-application-failover-controller",
            "preservedLabelState": {"failover.example.com/replicas": "2"}, "clustersBeforeFailover": ["m1"]}  # fmt: skip
        assert web_works(plane) == ["karmada-es-m2"], "Directly: the old copy goes"
        moved = plane.members["m2"].find(DEPLOYMENTS, NAMESPACE, "web")
        assert moved["metadata"]["labels"]["failover.example.com/replicas"] == "2"
        assert plane.members["m1"].find(DEPLOYMENTS, NAMESPACE, "web") is None


async def test_remote_dr_fails_over_from_the_primary_term_to_the_backup(tmp_path):
    async with pipeline(tmp_path, clusters=("m1", "m2"), failover=ON) as plane:
        await taint_not_ready_clusters(plane)
        await plane.create("apps", "v1", "deployments", deployment("web"))
        terms = [
            {"affinityName": "primary", "clusterNames": ["m1"]},
            {"affinityName": "backup", "clusterNames": ["m2"]},
        ]
        keep = {"rules": [{"aliasLabelName": "failover.example.com/replicas", "jsonPath": "{.replicas}"}]}
        await plane.propagate(WEB, ["m1"], failover={"cluster": {"purgeMode": "Directly", "statePreservation": keep}}, placement={
            "clusterAffinities": terms, "replicaScheduling": {"replicaSchedulingType": "Duplicated"}})  # fmt: skip
        await plane.drained()
        assert placement(plane) == [("m1", 2)]
        await run_healthy(plane, "m1")
        await plane.drained()
        assert plane.binding("web-deployment")["status"]["schedulerObservingAffinityName"] == "primary"
        await set_ready(plane, "m1", False)
        await plane.drained()
        binding = plane.binding("web-deployment")
        assert placement(plane) == [("m2", 2)]
        assert binding["status"]["schedulerObservingAffinityName"] == "backup"
        assert binding["spec"]["gracefulEvictionTasks"][0]["purgeMode"] == "Directly"
        deleting = {w["metadata"]["namespace"]: bool(w["metadata"].get("deletionTimestamp")) for w in plane.store.list_all(WORKS) if w["metadata"]["name"].startswith("web-")}  # fmt: skip
        assert deleting == {"karmada-es-m1": True, "karmada-es-m2": False}, (
            "Directly: the primary's Work goes at once"
        )


async def test_with_failover_on_but_no_taint_policy_a_not_ready_member_keeps_its_replicas(tmp_path):
    async with pipeline(tmp_path, clusters=("m1", "m2"), failover=ON) as plane:
        await plane.create("apps", "v1", "deployments", deployment("web"))
        await plane.propagate(WEB, ["m1", "m2"], placement={"clusterAffinity": {"clusterNames": ["m1", "m2"]},
            "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}})  # fmt: skip
        await plane.drained()
        assert placement(plane) == [("m1", 1), ("m2", 1)]
        m2 = plane.store.get(CLUSTERS, "", "m2")
        unready = {"key": "cluster.karmada.io/unreachable", "effect": "NoSchedule", "timeAdded": "2026-12-01T00:00:00Z"}  # fmt: skip
        await plane.store.update(CLUSTERS, {**m2, "spec": {**m2["spec"], "taints": [unready]}})
        await set_ready(plane, "m2", False)
        await plane.drained()
        assert placement(plane) == [("m1", 1), ("m2", 1)], "a NoSchedule taint never evicts"
        assert "gracefulEvictionTasks" not in plane.binding("web-deployment")["spec"]
