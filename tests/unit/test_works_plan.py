"""The binding controller's decision, as a pure function: the Work per target cluster, the Works no longer
targeted, and why a cluster cannot get its Work yet; and the binding's aggregated status from its Works."""

from __future__ import annotations

from karmadad.propagation.work import plan_works
from karmadad.propagation.work_status import aggregated_status
from karmadad.scheduler.snapshot import snapshot

TEMPLATE = {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cfg", "namespace": "shop", "uid": "t-1", "generation": 1}, "data": {"k": "v"}}  # fmt: skip
BINDING = {"apiVersion": "work.karmada.io/v1alpha2", "kind": "ResourceBinding",
           "metadata": {"name": "cfg-configmap", "namespace": "shop", "labels": {"resourcebinding.karmada.io/permanent-id": "b-1"}},
           "spec": {"resource": {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "shop", "name": "cfg", "uid": "t-1"},
                    "clusters": [{"name": "m1"}, {"name": "m2"}, {"name": "gone"}]}}  # fmt: skip


def cluster(name: str) -> dict:
    return {
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name},
        "spec": {},
    }


def work_in(space: str, name: str = "cfg-1", **meta: object) -> dict:
    return {"apiVersion": "work.karmada.io/v1alpha1", "kind": "Work", "metadata": {"name": name, "namespace": space, **meta}}  # fmt: skip


def test_each_target_with_a_cluster_and_a_space_gets_its_work_and_the_rest_is_said():
    old = work_in("karmada-es-m9")
    leaving = work_in("karmada-es-m8", deletionTimestamp="2026-01-01T00:00:00Z")
    plan = plan_works(
        BINDING,
        TEMPLATE,
        {"m1": snapshot(cluster("m1")), "m2": snapshot(cluster("m2"))},  # "gone" has no Cluster any more
        {"karmada-es-m1"},  # m2's execution space is not made yet
        [old, leaving, work_in("karmada-es-m1")],
        [],
        [],
    )
    assert [w["metadata"]["namespace"] for w in plan.desired] == ["karmada-es-m1"]
    (work,) = plan.desired
    assert work["spec"]["workload"]["manifests"][0]["data"] == {"k": "v"}
    assert work["metadata"]["annotations"]["resourcebinding.karmada.io/name"] == "cfg-configmap"
    assert plan.obsolete == [old], "no longer targeted, and not already going"
    assert plan.failures == ["cluster m2: its execution space does not exist yet"]
    assert plan.told == []


def test_the_binding_says_fully_applied_only_when_every_target_applied():
    applied = {"conditions": [{"type": "Applied", "status": "True", "reason": "AppliedSuccessful",
                               "message": "ok", "lastTransitionTime": "2026-01-01T00:00:00Z"}],
               "manifestStatuses": [{"identifier": {}, "health": "Healthy", "status": {"replicas": 1}}]}  # fmt: skip
    works = {"karmada-es-m1": {"status": applied}}
    status = aggregated_status({"schedulerObservedGeneration": 3}, ["m2", "m1"], works)
    assert status["schedulerObservedGeneration"] == 3, "the rest of the status is kept"
    assert status["aggregatedStatus"] == [
        {"clusterName": "m1", "applied": True, "health": "Healthy", "status": {"replicas": 1}},
        {"clusterName": "m2", "applied": False, "health": "Unknown"},
    ]
    (fully,) = status["conditions"]
    assert (fully["type"], fully["status"], fully["reason"]) == (
        "FullyApplied",
        "False",
        "FullyAppliedFailed",
    )
    works["karmada-es-m2"] = {"status": applied}
    (fully,) = aggregated_status(status, ["m1", "m2"], works)["conditions"]
    assert (fully["status"], fully["reason"]) == ("True", "FullyAppliedSuccess")
    assert "aggregatedStatus" not in aggregated_status(status, [], works)
