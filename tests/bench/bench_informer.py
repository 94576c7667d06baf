"""Benchmark of member informer caches: memory per cached object and watch events processed per second.

    .venv/bin/python -m tests.bench.bench_informer [--objects 10000] [--events 50000]

Objects are shaped like what a member's kube-apiserver sends for a Deployment's Pod and for a
Deployment with status (managedFields included). Memory is measured with tracemalloc over a filled
informer cache, lean (karmadad's transforms) against keeping the decoded objects as they arrive.
Events/s: JSON watch lines decoded and applied to an informer whose handler enqueues keys, on one
core; baseline: the same lines turned into kubernetes_asyncio models (what its Watch does per event).
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import time
import tracemalloc

import anyio

from karmadad.members.connection import strip_managed_fields
from karmadad.members.transforms import lean_pod
from karmadad.runtime.informer import Handler, Informer, SourceEvent
from karmadad.runtime.workqueue import WorkQueue


def pod(i: int) -> dict:
    name = f"web-7f8fbb96d-{i:05x}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "generateName": "web-7f8fbb96d-",
            "namespace": "default",
            "uid": f"6c1b1f0e-0000-4000-8000-{i:012x}",
            "resourceVersion": str(1000 + i),
            "creationTimestamp": "2026-11-25T00:00:00Z",
            "labels": {"app": "web", "pod-template-hash": "7f8fbb96d"},
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "web-7f8fbb96d",
                    "uid": "1d5e2a3b-0000-4000-8000-000000000001",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "managedFields": [
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "apiVersion": "v1",
                    "time": "2026-11-25T00:00:00Z",
                    "fieldsType": "FieldsV1",
                    "fieldsV1": {
                        "f:metadata": {"f:generateName": {}, "f:labels": {".": {}, "f:app": {}}},
                        "f:spec": {"f:containers": {'k:{"name":"nginx"}': {".": {}, "f:image": {}}}},
                    },
                }
            ],
        },
        "spec": {
            "containers": [
                {
                    "name": "nginx",
                    "image": "nginx:1.27",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {
                        "requests": {"cpu": "100m", "memory": "64Mi"},
                        "limits": {"cpu": "500m", "memory": "128Mi"},
                    },
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent",
                    "volumeMounts": [
                        {
                            "name": "kube-api-access-abcde",
                            "readOnly": True,
                            "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                        }
                    ],
                }
            ],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30,
            "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default",
            "serviceAccount": "default",
            "nodeName": f"node-{i % 50}",
            "securityContext": {},
            "schedulerName": "default-scheduler",
            "tolerations": [
                {
                    "key": "node.kubernetes.io/not-ready",
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": 300,
                }
            ],
            "volumes": [
                {
                    "name": "kube-api-access-abcde",
                    "projected": {
                        "sources": [
                            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                            {
                                "configMap": {
                                    "name": "kube-root-ca.crt",
                                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                                }
                            },
                        ]
                    },
                }
            ],
            "priority": 0,
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
        },
        "status": {
            "phase": "Running",
            "conditions": [
                {
                    "type": t,
                    "status": "True",
                    "lastProbeTime": None,
                    "lastTransitionTime": "2026-11-25T00:00:01Z",
                }
                for t in (
                    "PodReadyToStartContainers",
                    "Initialized",
                    "Ready",
                    "ContainersReady",
                    "PodScheduled",
                )
            ],
            "hostIP": "10.0.0.5",
            "podIP": f"10.64.{i // 250}.{i % 250}",
            "startTime": "2026-11-25T00:00:00Z",
            "containerStatuses": [
                {
                    "name": "nginx",
                    "ready": True,
                    "restartCount": 0,
                    "image": "nginx:1.27",
                    "imageID": "docker-pullable://nginx@sha256:" + "0" * 64,
                    "containerID": "containerd://" + f"{i:064x}",
                    "started": True,
                    "state": {"running": {"startedAt": "2026-11-25T00:00:01Z"}},
                }
            ],
            "qosClass": "Burstable",
        },
    }


def deployment(i: int) -> dict:
    template = pod(i)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            **{k: v for k, v in template["metadata"].items() if k not in ("generateName", "ownerReferences")},
            "name": f"web-{i}",
            "generation": 3,
            "annotations": {"deployment.kubernetes.io/revision": "2"},
        },
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": template["spec"]},
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
            },
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600,
        },
        "status": {
            "observedGeneration": 3,
            "replicas": 3,
            "updatedReplicas": 3,
            "readyReplicas": 3,
            "availableReplicas": 3,
            "conditions": [
                {
                    "type": t,
                    "status": "True",
                    "lastUpdateTime": "2026-11-25T00:00:01Z",
                    "lastTransitionTime": "2026-11-25T00:00:01Z",
                    "reason": r,
                    "message": "...",
                }
                for t, r in (
                    ("Available", "MinimumReplicasAvailable"),
                    ("Progressing", "NewReplicaSetAvailable"),
                )
            ],
        },
    }


class ListSource:
    """A source that lists pre-encoded objects (decoded here, as from the wire) and never watches."""

    name, cluster, resource = "bench", "bench", "pods"

    def __init__(self, lines: list[bytes]):
        self.lines = lines

    async def list(self) -> tuple[list[dict], int]:
        return [json.loads(line) for line in self.lines], 1

    async def watch(self, since: int):
        await anyio.sleep_forever()
        yield  # pragma: no cover


async def cache_bytes(lines: list[bytes], transform) -> float:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    informer = Informer(ListSource(lines), transform=transform)
    async with anyio.create_task_group() as tasks:
        await tasks.start(informer.run)
        gc.collect()
        after = tracemalloc.take_snapshot()
        tasks.cancel_scope.cancel()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    return grown / len(lines)


async def events_per_second(events: list[bytes]) -> float:
    informer = Informer(ListSource([]), transform=lean_pod)
    queue: WorkQueue[str] = WorkQueue("bench")
    informer.add_handler(
        Handler(
            on_add=lambda o: queue.add(o["metadata"]["name"]),
            on_update=lambda old, new: queue.add(new["metadata"]["name"]),
        )
    )
    started = time.process_time()
    for line in events:
        event = json.loads(line)
        informer._apply(SourceEvent(event["type"], event["object"], 0))
    return len(events) / (time.process_time() - started)


def model_events_per_second(events: list[bytes]) -> float:
    from kubernetes_asyncio.client import ApiClient

    api = ApiClient()
    deserialize = api._ApiClient__deserialize  # what kubernetes_asyncio's Watch does for every event
    started = time.process_time()
    for line in events:
        event = json.loads(line)
        deserialize(event["object"], "V1Pod")
    return len(events) / (time.process_time() - started)


async def run(objects: int, events: int) -> dict:
    pods = [json.dumps(pod(i)).encode() for i in range(objects)]
    deployments = [json.dumps(deployment(i)).encode() for i in range(objects // 10)]
    updates = []
    for n in range(events):
        changed = copy.deepcopy(pod(n % objects))
        changed["metadata"]["resourceVersion"] = str(100000 + n)
        updates.append(json.dumps({"type": "MODIFIED", "object": changed}).encode())
    return {
        "pod_json_bytes": len(pods[0]),
        "pod_cached_bytes_lean": await cache_bytes(pods, lean_pod),
        "pod_cached_bytes_as_received": await cache_bytes(pods, None),
        "deployment_cached_bytes_lean": await cache_bytes(deployments, strip_managed_fields),
        "deployment_cached_bytes_as_received": await cache_bytes(deployments, None),
        "events_per_s_one_core": await events_per_second(updates),
        "baseline_kubernetes_asyncio_models_per_s": model_events_per_second(updates),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    result = anyio.run(run, args.objects, args.events)
    print(json.dumps(result, indent=2))
    print(f"\n{'figure':<44}{'karmadad':>12}{'baseline':>12}")
    print(
        f"{'bytes per cached Pod':<44}{result['pod_cached_bytes_lean']:>12.0f}{result['pod_cached_bytes_as_received']:>12.0f}"
    )
    print(
        f"{'bytes per cached Deployment':<44}{result['deployment_cached_bytes_lean']:>12.0f}"
        f"{result['deployment_cached_bytes_as_received']:>12.0f}"
    )
    print(
        f"{'watch events/s, one core':<44}{result['events_per_s_one_core']:>12.0f}"
        f"{result['baseline_kubernetes_asyncio_models_per_s']:>12.0f}"
    )


if __name__ == "__main__":
    main()
