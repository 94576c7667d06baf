from karmadad.config import ClusterConfig
from karmadad.controllers.cluster import (
    desired_cluster,
    format_quantity,
    node_figures,
    parse_quantity,
    pod_figures,
)


def test_quantities():
    assert (
        parse_quantity("500m") == 0.5 and parse_quantity("2Gi") == 2 * 2**30 and parse_quantity("110") == 110
    )
    assert format_quantity("cpu", 64.0) == "64" and format_quantity("cpu", 1.5) == "1500m"
    assert format_quantity("memory", 512 * 2**30) == "512Gi" and format_quantity("pods", 220.0) == "220"


def test_node_figures_sum_allocatable_and_count_ready():
    nodes = [
        {
            "status": {
                "allocatable": {"cpu": "32", "memory": "256Gi", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True"}],
            }
        },
        {
            "status": {
                "allocatable": {"cpu": "500m", "memory": "512Mi", "pods": "10"},
                "conditions": [{"type": "Ready", "status": "False"}],
            }
        },
    ]
    summary, allocatable = node_figures(nodes)
    assert summary == {"totalNum": 2, "readyNum": 1}
    assert allocatable == {"cpu": "32500m", "memory": "262656Mi", "pods": "120"}


def test_desired_cluster_keeps_the_taints_others_set_and_drops_those_the_config_no_longer_lists(tmp_path):
    kubeconfig = tmp_path / "k"
    kubeconfig.write_text("{}")
    entry = ClusterConfig(
        name="m1",
        kubeconfig=kubeconfig,
        provider="aws",
        zones=["a"],
        taints=[{"key": "dedicated", "effect": "NoSchedule"}],
    )
    existing = {
        "metadata": {"name": "m1", "annotations": {"karmadad.io/config-taints": '[["old", "NoSchedule"]]'}},
        "spec": {
            "taints": [
                {"key": "cluster.karmada.io/unreachable", "effect": "NoSchedule"},
                {"key": "old", "effect": "NoSchedule"},
                {"key": "by-policy", "effect": "NoExecute", "timeAdded": "2026-01-01T00:00:00Z"},
            ]
        },
    }
    cluster = desired_cluster(entry, "https://x", existing)
    assert [t["key"] for t in cluster["spec"]["taints"]] == [
        "dedicated",
        "cluster.karmada.io/unreachable",
        "by-policy",
    ]
    assert cluster["metadata"]["annotations"]["karmadad.io/config-taints"] == '[["dedicated", "NoSchedule"]]'
    again = desired_cluster(entry, "https://x", cluster)
    assert again["spec"]["taints"] == cluster["spec"]["taints"], "registering again changes nothing"
    assert cluster["spec"]["syncMode"] == "Push" and cluster["spec"]["apiEndpoint"] == "https://x"
    assert cluster["metadata"]["annotations"]["karmadad.io/registered-by"] == "config"


def test_pod_figures_split_bound_from_pending_and_skip_finished():
    def pod(node, phase, cpu, init_cpu=None):
        spec = {"containers": [{"resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}]}
        if init_cpu:
            spec["initContainers"] = [{"resources": {"requests": {"cpu": init_cpu}}}]
        if node:
            spec["nodeName"] = node
        return {"spec": spec, "status": {"phase": phase}}

    allocated, allocating = pod_figures(
        [
            pod("n1", "Running", "100m"),
            pod("n1", "Running", "100m", init_cpu="1"),
            pod(None, "Pending", "250m"),
            pod("n2", "Succeeded", "4"),
        ]
    )
    assert allocated == {"cpu": "1100m", "memory": "128Mi", "pods": "2"}
    assert allocating == {"cpu": "250m", "memory": "64Mi", "pods": "1"}


def test_readiness_taints_are_the_controllers_own_no_schedule_ones_only():
    from karmadad.controllers.cluster import readiness_taints

    policy = {"key": "cluster.karmada.io/not-ready", "effect": "NoExecute", "timeAdded": "t0"}
    own = {"key": "cluster.karmada.io/unreachable", "effect": "NoSchedule", "timeAdded": "t0"}
    assert readiness_taints([policy], False, "ClusterNotReachable", "t1") == [
        policy,
        {"key": "cluster.karmada.io/unreachable", "effect": "NoSchedule", "timeAdded": "t1"},
    ]
    assert readiness_taints([own, policy], False, "ClusterNotReachable", "t1") == [own, policy], "kept as is"
    assert readiness_taints([own, policy], False, "ClusterNotReady", "t1") == [
        policy,
        {"key": "cluster.karmada.io/not-ready", "effect": "NoSchedule", "timeAdded": "t1"},
    ]
    assert readiness_taints([own, policy], True, "ClusterReady", "t1") == [policy], "the policy's stays"
