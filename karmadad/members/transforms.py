"""Lean member objects for informer caches: only what karmadad's controllers read.

A cached Pod keeps its identity, owners, node, phase, the conditions that matter and its effective
resource requests, summed once here (``spec.requests``, numbers: cores, bytes, counts); a Node its labels, taints, capacity, allocatable and conditions. New dicts are built with the
keys written here (shared string constants), so thousands of cached objects do not each carry their own
copies of the key strings the JSON decoder made.
"""

from __future__ import annotations

from karmadad.interpreter.replicas import pod_requests  # the one summing of requests, also Karmada's

_POD_CONDITIONS = frozenset({"Ready", "PodScheduled"})


def _meta(meta: dict) -> dict:
    lean = {"name": meta.get("name"), "uid": meta.get("uid"), "resourceVersion": meta.get("resourceVersion")}
    if namespace := meta.get("namespace"):
        lean["namespace"] = namespace
    if labels := meta.get("labels"):
        lean["labels"] = labels
    if owners := meta.get("ownerReferences"):
        lean["ownerReferences"] = [
            {
                "apiVersion": o.get("apiVersion"),
                "kind": o.get("kind"),
                "name": o.get("name"),
                "uid": o.get("uid"),
            }
            for o in owners
        ]
    if meta.get("deletionTimestamp"):
        lean["deletionTimestamp"] = meta["deletionTimestamp"]
    return lean


def lean_pod(pod: dict) -> dict:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    lean_spec: dict = {"requests": pod_requests(spec)}
    if node := spec.get("nodeName"):
        lean_spec["nodeName"] = node
    conditions = [
        {"type": c.get("type"), "status": c.get("status")}
        for c in status.get("conditions") or ()
        if c.get("type") in _POD_CONDITIONS
    ]
    return {
        "metadata": _meta(pod.get("metadata") or {}),
        "spec": lean_spec,
        "status": {"phase": status.get("phase"), "conditions": conditions},
    }


def lean_node(node: dict) -> dict:
    spec, status = node.get("spec") or {}, node.get("status") or {}
    lean_spec = {}
    if spec.get("unschedulable"):
        lean_spec["unschedulable"] = True
    if taints := spec.get("taints"):
        lean_spec["taints"] = taints
    return {
        "metadata": _meta(node.get("metadata") or {}),
        "spec": lean_spec,
        "status": {
            "capacity": status.get("capacity") or {},
            "allocatable": status.get("allocatable") or {},
            "conditions": [
                {"type": c.get("type"), "status": c.get("status")} for c in status.get("conditions") or ()
            ],
        },
    }
