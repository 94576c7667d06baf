"""The ResourceBinding (or ClusterResourceBinding) a claimed template gets — built as Karmada builds it.

The detector owns a binding's identity, owner reference, claim metadata and the spec copied from the
template and its policy; ``spec.clusters`` and the scheduling annotation and status belong to the
scheduler and are kept untouched when an existing binding is brought up to date.
"""

from __future__ import annotations

from karmadad.api.karmada.admission import BINDING_CONTROLLER_FINALIZERS
from karmadad.api.registry import Registry
from karmadad.propagation.matching import claim_metadata
from karmadad.store import Store

BINDING_API_VERSION = "work.karmada.io/v1alpha2"
DEFAULT_SCHEDULER = "default-scheduler"

# spec fields the detector writes; everything else in an existing binding's spec is left as it is
_OWNED_SPEC_FIELDS = (
    "resource",
    "replicas",
    "replicaRequirements",
    "propagateDeps",
    "schedulerName",
    "placement",
    "failover",
    "conflictResolution",
    "preserveResourcesOnDeletion",
    "schedulePriority",
)


def binding_name(kind: str, name: str) -> str:
    """``<name>-<kind>`` lower-cased, ``:`` replaced by ``.`` (names such as ``system:foo`` are valid
    for RBAC kinds, not for bindings)."""
    return f"{name.replace(':', '.')}-{kind}".lower()


def binding_kind(template: dict) -> str:
    return (
        "ResourceBinding" if (template.get("metadata") or {}).get("namespace") else "ClusterResourceBinding"
    )


def desired_binding(
    template: dict, policy: dict, replicas: int, requirements: dict | None, priority: int | None = None
) -> dict:
    """The binding the detector wants for ``template`` claimed by ``policy``; ``priority``: the value of
    the policy's PriorityClass when bindings are scheduled by priority (namespaced bindings only)."""
    meta = template["metadata"]
    spec = policy.get("spec") or {}
    kind = binding_kind(template)
    labels, annotations = claim_metadata(policy)
    resource = {
        "apiVersion": template["apiVersion"],
        "kind": template["kind"],
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "uid": meta.get("uid", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if not resource["namespace"]:
        resource.pop("namespace")
    binding_spec: dict = {
        "resource": resource,
        "propagateDeps": bool(spec.get("propagateDeps")),
        "schedulerName": spec.get("schedulerName") or DEFAULT_SCHEDULER,
        "placement": spec.get("placement") or {},
    }
    for field in ("failover", "conflictResolution", "preserveResourcesOnDeletion"):
        if spec.get(field) is not None:
            binding_spec[field] = spec[field]
    if replicas:
        binding_spec["replicas"] = replicas
    if requirements:
        binding_spec["replicaRequirements"] = requirements
    if spec.get("suspension") is not None:
        binding_spec["suspension"] = dict(spec["suspension"])
    if priority is not None and kind == "ResourceBinding":
        binding_spec["schedulePriority"] = {"priority": priority}
    binding_meta: dict = {
        "name": binding_name(template["kind"], meta["name"]),
        "labels": labels,
        "annotations": annotations,
        "ownerReferences": [
            {
                "apiVersion": template["apiVersion"],
                "kind": template["kind"],
                "name": meta["name"],
                "uid": meta.get("uid", ""),
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ],
        "finalizers": [BINDING_CONTROLLER_FINALIZERS[kind]],
    }
    if meta.get("namespace"):
        binding_meta["namespace"] = meta["namespace"]
    return {"apiVersion": BINDING_API_VERSION, "kind": kind, "metadata": binding_meta, "spec": binding_spec}


def merged_binding(existing: dict, desired: dict) -> dict:
    """``existing`` brought up to ``desired``: labels, annotations and finalizers merged, the owner
    reference and the detector's spec fields replaced, the scheduler's fields kept. Suspension keeps the
    binding's own ``scheduling`` and takes dispatching from the policy."""
    old_meta, new_meta = existing["metadata"], desired["metadata"]
    meta = {
        **old_meta,
        "labels": {**(old_meta.get("labels") or {}), **new_meta["labels"]},
        "annotations": {**(old_meta.get("annotations") or {}), **new_meta["annotations"]},
        "finalizers": list(dict.fromkeys([*(old_meta.get("finalizers") or ()), *new_meta["finalizers"]])),
        "ownerReferences": new_meta["ownerReferences"],
    }
    spec = {k: v for k, v in (existing.get("spec") or {}).items() if k not in _OWNED_SPEC_FIELDS}
    spec.update({k: v for k, v in desired["spec"].items() if k in _OWNED_SPEC_FIELDS})
    scheduling = ((existing.get("spec") or {}).get("suspension") or {}).get("scheduling")
    suspension = {**(desired["spec"].get("suspension") or {})}
    if scheduling is not None:
        suspension["scheduling"] = scheduling
    if suspension:
        spec["suspension"] = suspension
    else:
        spec.pop("suspension", None)
    return {**existing, "metadata": meta, "spec": spec}


def controller_uid(binding: dict) -> str | None:
    """The uid of the binding's controlling owner (its template), if any."""
    for ref in binding["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref.get("uid")
    return None


def referenced(store: Store, registry: Registry, binding: dict) -> dict | None:
    """The binding's template as stored now: the one lookup every controller makes. None when it is gone,
    of a kind not served, or a newer object of the same name (not the uid the binding refers to)."""
    ref = (binding.get("spec") or {}).get("resource") or {}
    resource = registry.by_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
    if resource is None:
        return None
    template = store.find(resource.group_resource, ref.get("namespace", ""), ref.get("name", ""))
    if template is None or ("uid" in ref and template["metadata"].get("uid") != ref["uid"]):
        return None
    return template
