"""Propagation decisions through the running daemon, driven by the real kubectl.

Five Cluster objects are created with a status (no member behind them): regions, zones, providers,
labels, one NoSchedule taint and different free CPU. Each case applies a Deployment and a
PropagationPolicy and checks the ResourceBinding's ``spec.clusters`` and conditions exactly, and that
the explanation names the reasons clusters were left out.
"""

from __future__ import annotations

import json
import time

import pytest
import yaml

CLUSTERS = {
    # name: (region, zone, provider, labels, free cpu cores, taints)
    "s-east-1": ("east", "east-a", "aws", {"tier": "gold"}, 8, []),
    "s-east-2": ("east", "east-b", "gcp", {"tier": "silver"}, 4, []),
    "s-west-1": ("west", "west-a", "aws", {"tier": "gold"}, 12, []),
    "s-west-2": ("west", "west-b", "gcp", {}, 2, []),
    "s-north-1": (
        "north",
        "north-a",
        "azure",
        {"tier": "gold"},
        16,
        [{"key": "maintenance", "effect": "NoSchedule"}],
    ),
}
SCHED = {"sched-test": "yes"}  # every case's affinity includes this: only these clusters take part


def cluster_manifest(name: str) -> dict:
    region, zone, provider, labels, _, taints = CLUSTERS[name]
    spec = {"syncMode": "Push", "region": region, "zones": [zone], "provider": provider}
    if taints:
        spec["taints"] = taints
    return {
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name, "labels": {**SCHED, **labels}},
        "spec": spec,
    }


def ready_status(cpu: str, memory: str = "64Gi", pods: str = "110") -> dict:
    """A Ready Cluster's status serving Deployments and ConfigMaps, with this much free capacity."""
    return {
        "status": {
            "kubernetesVersion": "v1.36.3",
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "ClusterReady",
                    "message": "cluster is healthy and ready to accept workloads",
                    "lastTransitionTime": "2026-01-01T00:00:00Z",
                }
            ],
            "apiEnablements": [
                {"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]},
                {"groupVersion": "v1", "resources": [{"name": "configmaps", "kind": "ConfigMap"}]},
            ],
            "resourceSummary": {
                "allocatable": {"cpu": cpu, "memory": memory, "pods": pods},
                "allocated": {"cpu": "0", "memory": "0", "pods": "0"},
            },
        }
    }


def cluster_status(name: str) -> dict:
    return ready_status(str(CLUSTERS[name][4]))


def set_cluster_status(kubectl, name: str, status: dict) -> None:
    kubectl("patch", "cluster", name, "--subresource=status", "--type=merge", "-p", json.dumps(status))


@pytest.fixture(scope="module")
def clusters(kubectl):
    kubectl("apply", "-f", "-", stdin="\n---\n".join(yaml.safe_dump(cluster_manifest(n)) for n in CLUSTERS))
    for name in CLUSTERS:
        set_cluster_status(kubectl, name, cluster_status(name))
    yield
    kubectl("delete", "clusters", *CLUSTERS, "--wait=false")


def deployment(name: str, namespace: str, replicas: int, labels: dict | None = None) -> dict:
    app = name[:63]  # a label value holds at most 63 characters; names may be longer
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {"app": app}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": {
                    "containers": [
                        {
                            "name": "c",
                            "image": "nginx",
                            "resources": {"requests": {"cpu": "1", "memory": "100Mi"}},
                        }
                    ]
                },
            },
        },
    }


def policy(name: str, namespace: str, placement: dict, selectors: list[dict] | None = None, **spec) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "resourceSelectors": selectors or [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name}],
            "placement": placement,
            **spec,
        },
    }


def affinity(**extra) -> dict:
    selector = {"matchLabels": {**SCHED, **extra.pop("matchLabels", {})}}
    return {"labelSelector": selector, **extra}


def apply(kubectl, *objects: dict) -> None:
    kubectl("apply", "-f", "-", stdin="\n---\n".join(yaml.safe_dump(o) for o in objects))


def get_json(kubectl, *args: str) -> dict:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def scheduled_binding(kubectl, namespace: str, name: str, within: float = 15.0) -> dict:
    """The Deployment's binding once its Scheduled condition is there and up to date."""
    deadline = time.monotonic() + within
    binding: dict = {}
    while time.monotonic() < deadline:
        found = kubectl("get", "rb", f"{name}-deployment", "-n", namespace, "-o", "json", check=False)
        if found.returncode == 0:
            binding = json.loads(found.stdout)
            status = binding.get("status") or {}
            if any(c["type"] == "Scheduled" for c in status.get("conditions") or ()) and (
                status.get("schedulerObservedGeneration") == binding["metadata"]["generation"]
                or any(c["type"] == "Scheduled" and c["status"] == "False" for c in status["conditions"])
            ):
                return binding
        time.sleep(0.1)
    raise AssertionError(f"binding {namespace}/{name}-deployment not scheduled: {json.dumps(binding)[:3000]}")


def scheduled(binding: dict) -> dict:
    return next(c for c in binding["status"]["conditions"] if c["type"] == "Scheduled")


def targets(binding: dict) -> list[dict]:
    return binding["spec"].get("clusters") or []


NS_PREFIX = "sched-"  # each test's own namespace (the ``ns`` fixture of conftest.py)


def test_cluster_names_duplicate_every_replica(kubectl, clusters, ns):
    apply(
        kubectl,
        deployment("web", ns, 3),
        policy("web", ns, {"clusterAffinity": {"clusterNames": ["s-east-1", "s-west-1"]}}),
    )
    binding = scheduled_binding(kubectl, ns, "web")
    assert targets(binding) == [{"name": "s-east-1", "replicas": 3}, {"name": "s-west-1", "replicas": 3}]
    condition = scheduled(binding)
    assert (condition["status"], condition["reason"]) == ("True", "Success")
    assert condition["message"].startswith("Binding has been scheduled successfully.")
    assert "did not match placement.clusterAffinity" in condition["message"]
    annotations = binding["metadata"]["annotations"]
    assert json.loads(annotations["policy.karmada.io/applied-placement"]) == {
        "clusterAffinity": {"clusterNames": ["s-east-1", "s-west-1"]}
    }
    assert binding["status"]["lastScheduledTime"]
    # the template is claimed, the binding owned by it
    template = get_json(kubectl, "deployment", "web", "-n", ns)
    assert template["metadata"]["annotations"]["propagationpolicy.karmada.io/name"] == "web"
    assert template["metadata"]["labels"]["propagationpolicy.karmada.io/permanent-id"]
    owner = binding["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == (
        "Deployment",
        "web",
        template["metadata"]["uid"],
        True,
    )
    assert binding["spec"]["replicas"] == 3
    assert binding["spec"]["replicaRequirements"]["resourceRequest"] == {"cpu": "1", "memory": "100Mi"}
    assert binding["metadata"]["finalizers"] == ["karmada.io/binding-controller"]


def test_label_selector_and_a_taint_are_explained(kubectl, clusters, ns):
    apply(
        kubectl,
        deployment("gold", ns, 2),
        policy("gold", ns, {"clusterAffinity": affinity(matchLabels={"tier": "gold"})}),
    )
    binding = scheduled_binding(kubectl, ns, "gold")
    assert targets(binding) == [{"name": "s-east-1", "replicas": 2}, {"name": "s-west-1", "replicas": 2}]
    message = scheduled(binding)["message"]
    assert "1 had untolerated taint {maintenance}" in message, message
    assert "did not match placement.clusterAffinity" in message, message


def test_field_selector_by_region(kubectl, clusters, ns):
    placement = {
        "clusterAffinity": affinity(
            fieldSelector={"matchExpressions": [{"key": "region", "operator": "In", "values": ["west"]}]}
        )
    }
    apply(kubectl, deployment("westy", ns, 1), policy("westy", ns, placement))
    binding = scheduled_binding(kubectl, ns, "westy")
    assert targets(binding) == [{"name": "s-west-1", "replicas": 1}, {"name": "s-west-2", "replicas": 1}]


def test_tolerations_admit_a_tainted_cluster(kubectl, clusters, ns):
    names = {"clusterAffinity": {"clusterNames": ["s-north-1", "s-east-1"]}}
    apply(kubectl, deployment("intolerant", ns, 1), policy("intolerant", ns, names))
    binding = scheduled_binding(kubectl, ns, "intolerant")
    assert targets(binding) == [{"name": "s-east-1", "replicas": 1}]
    tolerated = {
        **names,
        "clusterTolerations": [{"key": "maintenance", "operator": "Exists", "effect": "NoSchedule"}],
    }
    apply(kubectl, deployment("tolerant", ns, 1), policy("tolerant", ns, tolerated))
    binding = scheduled_binding(kubectl, ns, "tolerant")
    assert targets(binding) == [{"name": "s-east-1", "replicas": 1}, {"name": "s-north-1", "replicas": 1}]


def test_spread_by_region_takes_one_cluster_per_region(kubectl, clusters, ns):
    placement = {
        "clusterAffinity": affinity(),
        "spreadConstraints": [
            {"spreadByField": "cluster", "minGroups": 2, "maxGroups": 2},
            {"spreadByField": "region", "minGroups": 2, "maxGroups": 2},
        ],
    }
    apply(kubectl, deployment("spread", ns, 1), policy("spread", ns, placement))
    binding = scheduled_binding(kubectl, ns, "spread")
    assert targets(binding) == [{"name": "s-east-1", "replicas": 1}, {"name": "s-west-1", "replicas": 1}]
    # three regions wanted, two fit (north is tainted): a scheduler error, as Karmada's, saying why
    placement["spreadConstraints"] = [
        {"spreadByField": "cluster", "minGroups": 3, "maxGroups": 3},
        {"spreadByField": "region", "minGroups": 3, "maxGroups": 3},
    ]
    apply(kubectl, deployment("too-spread", ns, 1), policy("too-spread", ns, placement))
    binding = scheduled_binding(kubectl, ns, "too-spread")
    condition = scheduled(binding)
    assert (condition["status"], condition["reason"]) == ("False", "SchedulerError")
    assert "region" in condition["message"] and not targets(binding)


def divided(clusters: list[str], **preference) -> dict:
    return {
        "clusterAffinity": {"clusterNames": clusters},
        "replicaScheduling": {"replicaSchedulingType": "Divided", **preference},
    }


def test_static_weights_one_to_three(kubectl, clusters, ns):
    weights = {
        "staticWeightList": [
            {"targetCluster": {"clusterNames": ["s-east-1"]}, "weight": 1},
            {"targetCluster": {"clusterNames": ["s-west-1"]}, "weight": 3},
        ]
    }
    placement = divided(
        ["s-east-1", "s-west-1"], replicaDivisionPreference="Weighted", weightPreference=weights
    )
    apply(kubectl, deployment("weighted", ns, 4), policy("weighted", ns, placement))
    binding = scheduled_binding(kubectl, ns, "weighted")
    assert targets(binding) == [{"name": "s-east-1", "replicas": 1}, {"name": "s-west-1", "replicas": 3}]
    # scaling the template reschedules: 8 -> 2:6
    kubectl("scale", "deployment", "weighted", "-n", ns, "--replicas=8")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        binding = scheduled_binding(kubectl, ns, "weighted")
        if binding["spec"].get("replicas") == 8 and sum(t["replicas"] for t in targets(binding)) == 8:
            break
        time.sleep(0.1)
    assert targets(binding) == [{"name": "s-east-1", "replicas": 2}, {"name": "s-west-1", "replicas": 6}]


def test_dynamic_weight_follows_free_capacity(kubectl, clusters, ns):
    placement = divided(
        ["s-east-2", "s-west-2"],
        replicaDivisionPreference="Weighted",
        weightPreference={"dynamicWeight": "AvailableReplicas"},
    )
    apply(kubectl, deployment("dynamic", ns, 3), policy("dynamic", ns, placement))
    binding = scheduled_binding(kubectl, ns, "dynamic")
    assert targets(binding) == [{"name": "s-east-2", "replicas": 2}, {"name": "s-west-2", "replicas": 1}]
    # more than the 6 free replicas: Unschedulable, saying what is missing
    apply(kubectl, deployment("too-big", ns, 9), policy("too-big", ns, placement))
    binding = scheduled_binding(kubectl, ns, "too-big")
    condition = scheduled(binding)
    assert (condition["status"], condition["reason"]) == ("False", "Unschedulable")
    assert "9" in condition["message"] and "6" in condition["message"], condition["message"]


def test_aggregated_uses_the_fewest_clusters(kubectl, clusters, ns):
    placement = divided(["s-east-1", "s-east-2", "s-west-2"], replicaDivisionPreference="Aggregated")
    apply(kubectl, deployment("aggregated", ns, 6), policy("aggregated", ns, placement))
    binding = scheduled_binding(kubectl, ns, "aggregated")
    assert targets(binding) == [{"name": "s-east-1", "replicas": 6}]


def test_cluster_affinities_fall_back_when_the_first_term_is_tainted(kubectl, clusters, ns):
    placement = {
        "clusterAffinities": [
            {"affinityName": "primary", "clusterNames": ["s-north-1"]},
            {"affinityName": "backup", "clusterNames": ["s-east-2"]},
        ]
    }
    apply(kubectl, deployment("fallback", ns, 2), policy("fallback", ns, placement))
    binding = scheduled_binding(kubectl, ns, "fallback")
    assert targets(binding) == [{"name": "s-east-2", "replicas": 2}]
    assert binding["status"]["schedulerObservingAffinityName"] == "backup"
    message = scheduled(binding)["message"]
    assert "primary" in message and "untolerated taint {maintenance}" in message, message


def test_events_explain_the_decision(kubectl, clusters, ns):
    apply(
        kubectl,
        deployment("told", ns, 1),
        policy("told", ns, {"clusterAffinity": {"clusterNames": ["s-west-1"]}}),
    )
    scheduled_binding(kubectl, ns, "told")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        described = kubectl("describe", "rb", "told-deployment", "-n", ns).stdout
        if "ScheduleBindingSucceed" in described:
            break
        time.sleep(0.2)
    assert "ScheduleBindingSucceed" in described and "s-west-1:1" in described, described
    events = get_json(kubectl, "events", "-n", ns, "--field-selector", "involvedObject.kind=Deployment")
    reasons = {e["reason"] for e in events["items"] if e["involvedObject"]["name"] == "told"}
    assert {"ApplyPolicySucceed", "ScheduleBindingSucceed"} <= reasons


def test_a_cluster_label_change_reschedules(kubectl, clusters, ns):
    placement = {"clusterAffinity": affinity(matchLabels={"tier": "silver"})}
    apply(kubectl, deployment("silver", ns, 1), policy("silver", ns, placement))
    binding = scheduled_binding(kubectl, ns, "silver")
    assert targets(binding) == [{"name": "s-east-2", "replicas": 1}]
    kubectl("label", "cluster", "s-west-2", "tier=silver")
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            binding = scheduled_binding(kubectl, ns, "silver")
            if len(targets(binding)) == 2:
                break
            time.sleep(0.1)
        assert targets(binding) == [{"name": "s-east-2", "replicas": 1}, {"name": "s-west-2", "replicas": 1}]
    finally:
        kubectl("label", "cluster", "s-west-2", "tier-")


def test_a_cluster_status_change_alone_never_reschedules(kubectl, clusters, ns):
    apply(
        kubectl,
        deployment("steady", ns, 2),
        policy("steady", ns, {"clusterAffinity": {"clusterNames": ["s-east-1"]}}),
    )
    before = scheduled_binding(kubectl, ns, "steady")
    changed = cluster_status("s-east-1")
    changed["status"]["resourceSummary"]["allocated"] = {"cpu": "7", "memory": "1Gi", "pods": "9"}
    kubectl("patch", "cluster", "s-east-1", "--subresource=status", "--type=merge", "-p", json.dumps(changed))
    try:
        time.sleep(1.5)
        after = get_json(kubectl, "rb", "steady-deployment", "-n", ns)
        assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    finally:
        kubectl(
            "patch",
            "cluster",
            "s-east-1",
            "--subresource=status",
            "--type=merge",
            "-p",
            json.dumps(cluster_status("s-east-1")),
        )
