"""The pure decisions of simulated members: where a Pod goes (or kube-scheduler's words for why nowhere), and
the statuses workloads report from their Pods."""

from __future__ import annotations

from karmadad.config import SimulationConfig
from karmadad.simulation import objects
from karmadad.simulation.scheduling import NodeRoom, place, selects

GIB = 2.0**30


def node(name: str, cpu: float = 4, memory: float = 8 * GIB, pods: float = 110, **extra) -> NodeRoom:
    return NodeRoom(name, allocatable={"cpu": cpu, "memory": memory, "pods": pods}, **extra)


def spec(cpu: str = "", memory: str = "", **extra) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    return {"containers": [{"name": "c", "image": "i", "resources": {"requests": requests}}], **extra}


def test_a_pod_goes_to_the_node_with_the_most_room_left():
    nodes = [node("a"), node("b"), node("c")]
    used = {"a": {"cpu": 1.0}, "b": {"cpu": 0.5}, "c": {"cpu": 2.0}}
    assert place(spec(cpu="500m"), nodes, used).node == "b"
    assert place(spec(cpu="500m"), nodes, {}).node == "a"  # all equal: by name


def test_no_room_is_said_in_kube_schedulers_words():
    nodes = [node("a", cpu=1), node("b", cpu=1)]
    placement = place(spec(cpu="2"), nodes, {})
    assert placement.node is None
    assert placement.reason == "0/2 nodes are available: 2 Insufficient cpu."
    used = {"a": {"pods": 110.0}}
    mixed = place(
        spec(cpu="500m", nodeSelector={"disk": "ssd"}),
        [node("a"), node("b"), node("c", labels={"disk": "ssd"}, cpu=0.1)],
        used,
    )
    assert mixed.reason == (
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector."
    )
    assert place(spec(), [node("a")], used).reason == "0/1 nodes are available: 1 Too many pods."


def test_the_room_a_pod_takes_counts_its_requests_and_one_pod():
    nodes = [node("a", cpu=1, pods=2)]
    assert place(spec(cpu="600m"), nodes, {"a": {"cpu": 0.5, "pods": 1.0}}).node is None
    assert place(spec(cpu="500m"), nodes, {"a": {"cpu": 0.5, "pods": 1.0}}).node == "a"


def test_required_node_affinity_and_selectors():
    ssd = node("a", labels={"disk": "ssd", "generation": "5"})
    plain = node("b", labels={"generation": "3"})

    def affinity(*expressions: dict, fields: tuple = ()) -> dict:
        term = {"matchExpressions": list(expressions), **({"matchFields": list(fields)} if fields else {})}
        return {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}
                }
            }
        }

    assert selects(spec(**affinity({"key": "disk", "operator": "In", "values": ["ssd"]})), ssd)
    assert not selects(spec(**affinity({"key": "disk", "operator": "In", "values": ["ssd"]})), plain)
    assert selects(spec(**affinity({"key": "disk", "operator": "DoesNotExist"})), plain)
    assert selects(spec(**affinity({"key": "generation", "operator": "Gt", "values": ["4"]})), ssd)
    assert not selects(spec(**affinity({"key": "generation", "operator": "Gt", "values": ["4"]})), plain)
    assert selects(
        spec(**affinity(fields=({"key": "metadata.name", "operator": "In", "values": ["b"]},))), plain
    )
    assert not selects(spec(nodeSelector={"disk": "ssd"}), plain)


def test_taints_keep_pods_off_unless_tolerated():
    tainted = node("a", taints=({"key": "dedicated", "value": "gpu", "effect": "NoSchedule"},))
    assert place(spec(), [tainted], {}).reason == (
        "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}."
    )
    tolerant = spec(
        tolerations=[{"key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule"}]
    )
    assert place(tolerant, [tainted], {}).node == "a"
    assert place(spec(tolerations=[{"operator": "Exists"}]), [tainted], {}).node == "a"
    soft = node("b", taints=({"key": "dedicated", "effect": "PreferNoSchedule"},))
    assert place(spec(), [soft], {}).node == "b"
    cordoned = node("c", unschedulable=True)
    assert place(spec(), [cordoned], {}).reason == "0/1 nodes are available: 1 node(s) were unschedulable."


def test_nodes_have_the_configured_capacity():
    settings = SimulationConfig(nodeCPU="16", nodeMemory="64Gi", nodePods=50)
    made = objects.node_object("member1", 2, settings, "member1-zone-a", "2026-01-01T00:00:00Z")
    assert made["metadata"]["name"] == "member1-node-2"
    assert made["status"]["allocatable"] == {
        "cpu": "16",
        "ephemeral-storage": "100Gi",
        "memory": "64Gi",
        "pods": "50",
    }
    room = objects.node_room(made)
    assert room.allocatable["memory"] == 64 * GIB and room.allocatable["pods"] == 50
    assert room.labels["topology.kubernetes.io/zone"] == "member1-zone-a"


def pod(phase: str = "Running", ready: bool = True, owner: str = "") -> dict:
    conditions = [{"type": "Ready", "status": "True" if ready else "False"}]
    meta = {"name": "p", "ownerReferences": [{"name": owner, "controller": True}] if owner else []}
    return {"metadata": meta, "status": {"phase": phase, "conditions": conditions}}


def test_a_deployment_counts_ready_and_updated_pods():
    deployment = {"metadata": {"generation": 3}, "spec": {"replicas": 4}, "status": {}}
    current = {"metadata": {"name": "web-abc"}}
    pods = [
        pod(owner="web-abc"),
        pod(owner="web-abc"),
        pod(ready=False, owner="web-abc"),
        pod(owner="web-old"),
    ]
    status = objects.deployment_status(deployment, current, pods, "now")
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": 3,
        "replicas": 4,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
        "unavailableReplicas": 1,
    }
    available, progressing = status["conditions"]
    assert (available["status"], available["reason"]) == (
        "True",
        "MinimumReplicasAvailable",
    )  # 3 of 4: 25 % may be down
    assert (progressing["reason"], progressing["message"]) == (
        "ReplicaSetUpdated",
        'ReplicaSet "web-abc" is progressing.',
    )
    done = objects.deployment_status(deployment, current, [pod(owner="web-abc")] * 4, "later")
    assert done["conditions"][1]["reason"] == "NewReplicaSetAvailable"
    assert "unavailableReplicas" not in done


def test_a_condition_keeps_its_transition_time_while_its_status_holds():
    deployment = {"metadata": {}, "spec": {"replicas": 1}, "status": {}}
    first = objects.deployment_status(deployment, None, [pod()], "t1")
    again = objects.deployment_status({**deployment, "status": first}, None, [pod()], "t2")
    assert again["conditions"][0]["lastTransitionTime"] == "t1"
    down = objects.deployment_status({**deployment, "status": again}, None, [pod(ready=False)], "t3")
    assert down["conditions"][0]["lastTransitionTime"] == "t3" and down["conditions"][0]["status"] == "False"


def test_a_job_runs_up_to_its_parallelism_until_its_completions_succeeded():
    job = {"metadata": {}, "spec": {"completions": 3, "parallelism": 2}, "status": {}}
    assert objects.wanted_pods(job, []) == 2
    assert objects.wanted_pods(job, [pod(), pod("Succeeded")]) == 1
    assert objects.wanted_pods(job, [pod("Succeeded"), pod("Succeeded"), pod()]) == 0
    assert objects.wanted_pods({**job, "spec": {**job["spec"], "suspend": True}}, []) == 0
    running = objects.job_status(job, [pod(), pod("Succeeded")], "t1")
    assert (running["active"], running["succeeded"], running["ready"]) == (1, 1, 1)
    assert "conditions" not in running
    done = objects.job_status({**job, "status": running}, [pod("Succeeded")] * 3, "t2")
    assert [c["type"] for c in done["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert done["startTime"] == "t1" and done["completionTime"] == "t2" and "active" not in done


def test_generated_name_parts_are_stable_and_use_kubernetes_letters():
    template = {"spec": {"containers": [{"name": "c"}]}}
    assert objects.short_hash(template) == objects.short_hash({"spec": {"containers": [{"name": "c"}]}})
    assert objects.short_hash(template) != objects.short_hash({"spec": {}})
    assert (
        set(objects.short_hash(template)) <= set(objects.NAME_LETTERS)
        and len(objects.short_hash(template)) == 10
    )
