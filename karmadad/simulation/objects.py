"""The objects a simulated cluster writes, built as kube-controller-manager, kube-scheduler and the kubelet
would write them: Nodes with capacity, Pods made from their owner's template, the states of a Pod's life,
and each workload's status counted from its Pods. Pure: every time and address comes in as an argument."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from karmadad.config import SimulationConfig
from karmadad.quantity import parse_quantity
from karmadad.simulation.scheduling import NodeRoom

SIMULATED_KUBELET = "v1.36.3"  # the Kubernetes version the simulated nodes report
NAME_LETTERS = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet of Kubernetes' generated name parts


def short_hash(value: Any, length: int = 10) -> str:
    """A stable name part for a value (a pod template's ``pod-template-hash``, a revision)."""
    digest = int.from_bytes(
        hashlib.sha256(orjson.dumps(value, option=orjson.OPT_SORT_KEYS)).digest()[:8], "big"
    )
    letters = []
    for _ in range(length):
        digest, index = divmod(digest, len(NAME_LETTERS))
        letters.append(NAME_LETTERS[index])
    return "".join(letters)


# -- nodes ------------------------------------------------------------------------------------------


def node_object(cluster: str, index: int, settings: SimulationConfig, zone: str, now: str) -> dict:
    """Node ``index`` (from 1) of a simulated cluster: Ready, with the configured capacity."""
    name = f"{cluster}-node-{index}"
    capacity = {
        "cpu": settings.nodeCPU,
        "ephemeral-storage": "100Gi",
        "memory": settings.nodeMemory,
        "pods": str(settings.nodePods),
    }
    ready = {
        "type": "Ready",
        "status": "True",
        "reason": "KubeletReady",
        "message": "kubelet is posting ready status",
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "topology.kubernetes.io/zone": zone,
            },
        },
        "spec": {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"]},
        "status": {
            "capacity": capacity,
            "allocatable": capacity,
            "conditions": [ready],
            "addresses": [
                {"type": "InternalIP", "address": node_address(index)},
                {"type": "Hostname", "address": name},
            ],
            "nodeInfo": {
                "architecture": "amd64",
                "operatingSystem": "linux",
                "kubeletVersion": SIMULATED_KUBELET,
                "containerRuntimeVersion": "simulated://1.0",
                "osImage": "karmadad simulated node",
                "kernelVersion": "",
                "bootID": "",
                "machineID": "",
                "systemUUID": "",
                "kubeProxyVersion": "",
            },
        },
    }


def node_address(index: int) -> str:
    return f"172.18.{index // 250}.{index % 250 + 2}"


def node_room(node: Mapping[str, Any]) -> NodeRoom:
    """What scheduling needs of a stored Node."""
    meta, spec, status = node.get("metadata") or {}, node.get("spec") or {}, node.get("status") or {}
    return NodeRoom(
        name=meta.get("name", ""),
        labels=dict(meta.get("labels") or {}),
        allocatable={k: parse_quantity(v) for k, v in (status.get("allocatable") or {}).items()},
        taints=tuple(spec.get("taints") or ()),
        unschedulable=bool(spec.get("unschedulable")),
    )


# -- pods -------------------------------------------------------------------------------------------


def owner_reference(owner: Mapping[str, Any]) -> dict:
    meta = owner["metadata"]
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def from_template(
    owner: Mapping[str, Any],
    template: Mapping[str, Any],
    name: str,
    *,
    labels: Mapping[str, str] | None = None,
    spec: Mapping[str, Any] | None = None,
) -> dict:
    """An object made from an owner's template (a Pod, or a Deployment's ReplicaSet's template), owned by it."""
    meta = template.get("metadata") or {}
    made: dict[str, Any] = {
        "metadata": {
            "name": name,
            "namespace": owner["metadata"]["namespace"],
            "labels": {**(meta.get("labels") or {}), **(labels or {})},
            "ownerReferences": [owner_reference(owner)],
        },
        "spec": {**(template.get("spec") or {}), **(spec or {})},
    }
    if annotations := meta.get("annotations"):
        made["metadata"]["annotations"] = dict(annotations)
    return made


def pod_condition(kind: str, status: str, now: str, reason: str = "", message: str = "") -> dict:
    condition = {"type": kind, "status": status, "lastProbeTime": None, "lastTransitionTime": now}
    if reason:
        condition["reason"] = reason
    if message:
        condition["message"] = message
    return condition


def unschedulable(pod: Mapping[str, Any], message: str, now: str) -> dict:
    """The Pod's status when no node fits."""
    status = {**(pod.get("status") or {}), "phase": "Pending"}
    status["conditions"] = [pod_condition("PodScheduled", "False", now, "Unschedulable", message)]
    return status


def _container_states(pod: Mapping[str, Any], state: dict, *, ready: bool) -> list[dict]:
    return [
        {
            "name": container.get("name", ""),
            "image": container.get("image", ""),
            "imageID": "",
            "containerID": f"simulated://{short_hash([pod['metadata'].get('uid'), container.get('name')], 16)}",
            "ready": ready,
            "started": ready,
            "restartCount": 0,
            "state": state,
        }
        for container in (pod.get("spec") or {}).get("containers") or ()
    ]


def running(pod: Mapping[str, Any], host_ip: str, pod_ip: str, now: str) -> dict:
    """The Pod's status once its node has started its containers and they are ready."""
    kinds = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    return {
        **(pod.get("status") or {}),
        "phase": "Running",
        "conditions": [pod_condition(kind, "True", now) for kind in kinds],
        "hostIP": host_ip,
        "hostIPs": [{"ip": host_ip}],
        "podIP": pod_ip,
        "podIPs": [{"ip": pod_ip}],
        "startTime": now,
        "containerStatuses": _container_states(pod, {"running": {"startedAt": now}}, ready=True),
    }


def succeeded(pod: Mapping[str, Any], now: str) -> dict:
    """The Pod's status once its containers have run to completion (a Job's Pod)."""
    status = dict(pod.get("status") or {})
    started = status.get("startTime", now)
    done = {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": started, "finishedAt": now}}
    conditions = [
        pod_condition(kind, "False" if kind in ("Ready", "ContainersReady") else "True", now)
        for kind in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
    ]
    for condition in conditions:
        if condition["status"] == "False":
            condition["reason"] = "PodCompleted"
    return {
        **status,
        "phase": "Succeeded",
        "conditions": conditions,
        "containerStatuses": _container_states(pod, done, ready=False),
    }


def is_ready(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and any(
        c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or ()
    )


def is_finished(pod: Mapping[str, Any]) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


# -- workload statuses ------------------------------------------------------------------------------


def _counts(**counts: int) -> dict[str, int]:
    """Status counts as Go writes them: zeros left out (``omitempty``)."""
    return {key: value for key, value in counts.items() if value}


def _condition(kind: str, status: str, reason: str, message: str, now: str, old: Iterable[dict]) -> dict:
    """A workload condition; its transition time moves only when its status does."""
    previous = next((c for c in old if c.get("type") == kind), {})
    changed = previous.get("status") != status
    return {
        "type": kind,
        "status": status,
        "lastUpdateTime": previous.get("lastUpdateTime", now) if previous.get("reason") == reason else now,
        "lastTransitionTime": now if changed else previous.get("lastTransitionTime", now),
        "reason": reason,
        "message": message,
    }


def replicaset_status(rs: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> dict:
    live = [p for p in pods if not is_finished(p)]
    ready = sum(1 for p in live if is_ready(p))
    return {
        "replicas": len(live),
        **_counts(fullyLabeledReplicas=len(live), readyReplicas=ready, availableReplicas=ready),
        "observedGeneration": rs["metadata"].get("generation", 1),
    }


def deployment_status(
    deployment: Mapping[str, Any],
    current: Mapping[str, Any] | None,
    pods: Sequence[Mapping[str, Any]],
    now: str,
) -> dict:
    """A Deployment's status from its current ReplicaSet and the Pods of all of its ReplicaSets."""
    wanted = int((deployment.get("spec") or {}).get("replicas", 1))
    live = [p for p in pods if not is_finished(p)]
    ready = sum(1 for p in live if is_ready(p))
    current_name = current["metadata"]["name"] if current else ""
    updated = sum(
        1
        for p in live
        if any(o.get("name") == current_name for o in p["metadata"].get("ownerReferences") or ())
    )
    old = (deployment.get("status") or {}).get("conditions") or ()
    tolerated = wanted * 25 // 100  # the default maxUnavailable, 25 %
    available = ready >= wanted - tolerated
    progressed = updated == wanted and ready == wanted
    conditions = [
        _condition(
            "Available",
            "True" if available else "False",
            "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
            "Deployment has minimum availability."
            if available
            else "Deployment does not have minimum availability.",
            now,
            old,
        ),
        _condition(
            "Progressing",
            "True",
            "NewReplicaSetAvailable" if progressed else "ReplicaSetUpdated",
            f'ReplicaSet "{current_name}" has successfully progressed.'
            if progressed
            else f'ReplicaSet "{current_name}" is progressing.',
            now,
            old,
        ),
    ]
    return {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        **_counts(
            replicas=len(live),
            updatedReplicas=updated,
            readyReplicas=ready,
            availableReplicas=ready,
            unavailableReplicas=max(0, wanted - ready),
        ),
        "conditions": conditions,
    }


def statefulset_status(sts: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], revision: str) -> dict:
    live = [p for p in pods if not is_finished(p)]
    ready = sum(1 for p in live if is_ready(p))
    return {
        "observedGeneration": sts["metadata"].get("generation", 1),
        "replicas": len(live),
        "availableReplicas": ready,
        **_counts(readyReplicas=ready, currentReplicas=len(live), updatedReplicas=len(live)),
        "currentRevision": revision,
        "updateRevision": revision,
        "collisionCount": 0,
    }


def daemonset_status(ds: Mapping[str, Any], desired: int, pods: Sequence[Mapping[str, Any]]) -> dict:
    live = [p for p in pods if not is_finished(p)]
    ready = sum(1 for p in live if is_ready(p))
    return {
        "currentNumberScheduled": len(live),
        "numberMisscheduled": 0,
        "desiredNumberScheduled": desired,
        "numberReady": ready,
        "observedGeneration": ds["metadata"].get("generation", 1),
        **_counts(
            updatedNumberScheduled=len(live),
            numberAvailable=ready,
            numberUnavailable=max(0, desired - ready),
        ),
    }


def job_status(job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]], now: str) -> dict:
    """A Job's status; once enough Pods succeeded, its SuccessCriteriaMet and Complete conditions."""
    status = dict(job.get("status") or {})
    active = [p for p in pods if not is_finished(p)]
    done = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
    completions = int((job.get("spec") or {}).get("completions") or 1)
    new: dict[str, Any] = {
        **({"startTime": status.get("startTime", now)} if pods or status.get("startTime") else {}),
        **_counts(active=len(active), succeeded=done),
        "ready": sum(1 for p in active if is_ready(p)),
        "uncountedTerminatedPods": {},
    }
    if done >= completions:
        new["completionTime"] = status.get("completionTime", now)
        new["conditions"] = status.get("conditions") or [  # once complete, a Job stays as it was
            {
                "type": kind,
                "status": "True",
                "lastProbeTime": now,
                "lastTransitionTime": now,
                "reason": "CompletionsReached",
                "message": "Reached expected number of succeeded pods",
            }
            for kind in ("SuccessCriteriaMet", "Complete")
        ]
        new.pop("active", None)
    return new


def wanted_pods(job: Mapping[str, Any], pods: Sequence[Mapping[str, Any]]) -> int:
    """How many new Pods a Job starts now: up to its parallelism, no more than completions still need."""
    spec = job.get("spec") or {}
    if spec.get("suspend"):
        return 0
    completions = int(spec.get("completions") or 1)
    parallelism = int(spec.get("parallelism", 1))
    active = sum(1 for p in pods if not is_finished(p))
    done = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Succeeded")
    return max(0, min(parallelism - active, completions - done - active))
