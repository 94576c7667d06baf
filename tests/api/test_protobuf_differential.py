"""karmadad's protobuf against kube-apiserver's: each reads what the other writes, to the same object.

- kube-apiserver answers the same dry-run create in JSON and in protobuf: karmadad's decoding of the
  protobuf answer is the JSON answer (defaulted objects of every kind people propagate: probes, volumes,
  quantities, int-or-strings, times, managed fields, ...);
- kube-apiserver lists the same objects, at one resourceVersion, in both: the same again (nodes with
  their status, leases with microsecond times, the built-in ClusterRoles, ...);
- karmadad's encoding of an object, sent to kube-apiserver as a protobuf create, makes the same object
  as the JSON create.
"""

from __future__ import annotations

import copy
import json

import pytest

from karmadad.protobuf.codec import MEDIA_TYPE, codec
from tests.api.rawhttp import Client

NS = "default"
POD_SPEC = {
    "initContainers": [{"name": "init", "image": "busybox", "command": ["true"]}],
    "containers": [
        {
            "name": "app",
            "image": "nginx:1.27",
            "ports": [{"name": "http", "containerPort": 80}],
            "env": [
                {"name": "A", "value": "1"},
                {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "c", "key": "k", "optional": True}}},
                {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1"}},
            "livenessProbe": {"httpGet": {"path": "/", "port": "http"}, "initialDelaySeconds": 3},
            "readinessProbe": {"tcpSocket": {"port": 80}},
            "startupProbe": {"exec": {"command": ["ls"]}, "failureThreshold": 30},
            "lifecycle": {"preStop": {"sleep": {"seconds": 2}}},
            "securityContext": {"runAsNonRoot": False, "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "cfg", "mountPath": "/cfg"}],
        }
    ],
    "volumes": [
        {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}},
        {"name": "cfg", "projected": {"sources": [{"configMap": {"name": "c"}}, {"secret": {"name": "s"}}]}},
    ],
    "affinity": {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 10,
                    "podAffinityTerm": {
                        "topologyKey": "kubernetes.io/hostname",
                        "labelSelector": {"matchLabels": {"app": "pb"}},
                    },
                }
            ]
        }
    },
    "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
    "topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app": "pb"}},
        }
    ],
}
TEMPLATE = {"metadata": {"labels": {"app": "pb"}}, "spec": POD_SPEC}
SELECTOR = {"matchLabels": {"app": "pb"}}

# kind: (collection path, object)
OBJECTS: dict[str, tuple[str, dict]] = {
    "Deployment": (
        f"/apis/apps/v1/namespaces/{NS}/deployments",
        {
            "spec": {
                "replicas": 2,
                "selector": SELECTOR,
                "template": TEMPLATE,
                "strategy": {"rollingUpdate": {"maxSurge": "50%", "maxUnavailable": 0}},
            }
        },
    ),
    "StatefulSet": (
        f"/apis/apps/v1/namespaces/{NS}/statefulsets",
        {
            "spec": {
                "serviceName": "pb",
                "selector": SELECTOR,
                "template": TEMPLATE,
                "volumeClaimTemplates": [
                    {
                        "metadata": {"name": "data"},
                        "spec": {
                            "accessModes": ["ReadWriteOnce"],
                            "resources": {"requests": {"storage": "1Gi"}},
                        },
                    }
                ],
            }
        },
    ),
    "DaemonSet": (
        f"/apis/apps/v1/namespaces/{NS}/daemonsets",
        {"spec": {"selector": SELECTOR, "template": TEMPLATE}},
    ),
    "Job": (
        f"/apis/batch/v1/namespaces/{NS}/jobs",
        {"spec": {"backoffLimit": 2, "template": {"spec": {**POD_SPEC, "restartPolicy": "Never"}}}},
    ),
    "CronJob": (
        f"/apis/batch/v1/namespaces/{NS}/cronjobs",
        {
            "spec": {
                "schedule": "*/5 * * * *",
                "jobTemplate": {"spec": {"template": {"spec": {**POD_SPEC, "restartPolicy": "OnFailure"}}}},
            }
        },
    ),
    "Service": (
        f"/api/v1/namespaces/{NS}/services",
        {"spec": {"selector": {"app": "pb"}, "ports": [{"name": "web", "port": 80, "targetPort": "http"}]}},
    ),
    "ConfigMap": (f"/api/v1/namespaces/{NS}/configmaps", {"data": {"k": "v"}, "binaryData": {"b": "AAEC"}}),
    "Secret": (f"/api/v1/namespaces/{NS}/secrets", {"type": "Opaque", "data": {"password": "aHVudGVyMg=="}}),
    "ServiceAccount": (f"/api/v1/namespaces/{NS}/serviceaccounts", {"automountServiceAccountToken": False}),
    "PersistentVolumeClaim": (
        f"/api/v1/namespaces/{NS}/persistentvolumeclaims",
        {"spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}},
    ),
    "ResourceQuota": (
        f"/api/v1/namespaces/{NS}/resourcequotas",
        {"spec": {"hard": {"pods": "10", "cpu": "4"}}},
    ),
    "LimitRange": (
        f"/api/v1/namespaces/{NS}/limitranges",
        {"spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}, "max": {"memory": "2Gi"}}]}},
    ),
    "Ingress": (
        f"/apis/networking.k8s.io/v1/namespaces/{NS}/ingresses",
        {
            "spec": {
                "rules": [
                    {
                        "host": "pb.example.com",
                        "http": {
                            "paths": [
                                {
                                    "path": "/",
                                    "pathType": "Prefix",
                                    "backend": {"service": {"name": "pb", "port": {"number": 80}}},
                                }
                            ]
                        },
                    }
                ]
            }
        },
    ),
    "NetworkPolicy": (
        f"/apis/networking.k8s.io/v1/namespaces/{NS}/networkpolicies",
        {"spec": {"podSelector": SELECTOR, "ingress": [{"ports": [{"port": "http"}, {"port": 443}]}]}},
    ),
    "Role": (
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NS}/roles",
        {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
    ),
    "RoleBinding": (
        f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NS}/rolebindings",
        {
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}],
        },
    ),
    "PodDisruptionBudget": (
        f"/apis/policy/v1/namespaces/{NS}/poddisruptionbudgets",
        {"spec": {"minAvailable": "50%", "selector": SELECTOR}},
    ),
    "HorizontalPodAutoscaler": (
        f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers",
        {
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "pb"},
                "minReplicas": 1,
                "maxReplicas": 5,
                "metrics": [
                    {
                        "type": "Resource",
                        "resource": {
                            "name": "cpu",
                            "target": {"type": "Utilization", "averageUtilization": 70},
                        },
                    }
                ],
            }
        },
    ),
    "Lease": (
        f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases",
        {
            "spec": {
                "holderIdentity": "a",
                "leaseDurationSeconds": 15,
                "acquireTime": "2024-05-01T10:00:00.123456Z",
            }
        },
    ),
    "Endpoints": (
        f"/api/v1/namespaces/{NS}/endpoints",
        {"subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]},
    ),
    "EndpointSlice": (
        f"/apis/discovery.k8s.io/v1/namespaces/{NS}/endpointslices",
        {
            "addressType": "IPv4",
            "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}],
            "ports": [{"port": 80, "protocol": "TCP"}],
        },
    ),
    "PriorityClass": ("/apis/scheduling.k8s.io/v1/priorityclasses", {"value": 1000, "description": "pb"}),
    "StorageClass": (
        "/apis/storage.k8s.io/v1/storageclasses",
        {"provisioner": "example.com/pb", "parameters": {"type": "fast"}, "allowVolumeExpansion": True},
    ),
    "ClusterRole": (
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        {"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"pb": "true"}}]}},
    ),
}
# Objects kube-apiserver keeps, listed at one resourceVersion in both forms.
LISTS = (
    "/api/v1/nodes",
    "/api/v1/namespaces",
    "/apis/coordination.k8s.io/v1/leases",
    "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
    "/apis/discovery.k8s.io/v1/endpointslices",
    "/api/v1/configmaps",
    "/apis/flowcontrol.apiserver.k8s.io/v1/flowschemas",
)


def manifest(kind: str) -> tuple[str, dict]:
    path, body = OBJECTS[kind]
    api_version = path.split("/")[2:4] if path.startswith("/apis/") else ["v1"]
    return path, {
        "apiVersion": "/".join(api_version) if path.startswith("/apis/") else "v1",
        "kind": kind,
        "metadata": {"name": f"pb-{kind.lower()}", "labels": {"app": "pb"}},
        **copy.deepcopy(body),
    }


JOB_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")


def normalized(obj: dict) -> dict:
    """Without what differs between two creates of the same object (uids, times, allocated IPs)."""
    obj = copy.deepcopy(obj)
    meta, spec = obj.get("metadata", {}), obj.get("spec", {})
    for key in ("uid", "creationTimestamp"):
        meta.pop(key, None)
    for entry in meta.get("managedFields") or ():
        entry.pop("time", None)
    for key in ("clusterIP", "clusterIPs"):
        spec.pop(key, None)
    if obj.get("kind") == "Job":
        for labels in (spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"]):
            for key in JOB_UID_LABELS:
                labels.pop(key, None)
    for claim in spec.get("volumeClaimTemplates") or ():
        # An embedded object's apiVersion and kind (Go's TypeMeta) have no protobuf field: kube-apiserver
        # writes them in JSON only, and Go clients reading protobuf do not see them either.
        claim.pop("apiVersion", None)
        claim.pop("kind", None)
    return obj


@pytest.fixture(scope="module")
def kube(kube_members) -> Client:
    member = kube_members.member("member1")
    client = Client(member.server.removeprefix("https://"), member.token)
    yield client
    client.close()


@pytest.mark.parametrize("kind", list(OBJECTS))
def test_karmadad_reads_what_kube_apiserver_writes(kube, kind):
    path, obj = manifest(kind)
    body = json.dumps(obj).encode()
    status, as_json = kube.request("POST", f"{path}?dryRun=All", body)
    assert status == 201, as_json
    status, as_protobuf = kube.request("POST", f"{path}?dryRun=All", body, accept=MEDIA_TYPE)
    assert status == 201 and as_protobuf.startswith(b"k8s\x00"), as_protobuf[:200]
    assert normalized(codec().decode(as_protobuf)) == normalized(json.loads(as_json))


@pytest.mark.parametrize("kind", list(OBJECTS))
def test_kube_apiserver_reads_what_karmadad_writes(kube, kind):
    path, obj = manifest(kind)
    status, reference = kube.request("POST", f"{path}?dryRun=All", json.dumps(obj).encode())
    assert status == 201, reference
    status, answer = kube.request("POST", f"{path}?dryRun=All", codec().encode(obj), MEDIA_TYPE)
    assert status == 201, answer
    assert normalized(json.loads(answer)) == normalized(json.loads(reference))


@pytest.mark.parametrize("path", LISTS)
def test_the_same_list_reads_the_same_in_both_forms(kube, path):
    status, as_json = kube.request("GET", path)
    assert status == 200
    listed = json.loads(as_json)
    exact = f"{path}?resourceVersion={listed['metadata']['resourceVersion']}&resourceVersionMatch=Exact"
    status, as_protobuf = kube.request("GET", exact, accept=MEDIA_TYPE)
    assert status == 200, as_protobuf[:300]
    assert codec().decode(as_protobuf) == listed
    assert listed["items"], path  # there was something to compare


def test_a_status_error_in_protobuf_reads_as_the_json_one(kube):
    path = f"/api/v1/namespaces/{NS}/configmaps/pb-missing"
    _, as_json = kube.request("GET", path)
    status, as_protobuf = kube.request("GET", path, accept=f"{MEDIA_TYPE},application/json")
    assert status == 404
    assert codec().decode(as_protobuf) == json.loads(as_json)
