"""Which propagation policy claims a resource template, and what the claim gives it (its marks and its
ResourceBinding) — Karmada's rules, as pure functions.

How specifically a policy's selectors match gives its *implicit* priority
(:mod:`karmadad.api.karmada.resource_selectors`: name > labelSelector > kind). The best policy has the highest explicit
``priority``, then the highest implicit priority, then the smallest name; any PropagationPolicy of the
template's namespace beats every ClusterPropagationPolicy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from karmadad.api.karmada.admission import BINDING_CONTROLLER_FINALIZERS
from karmadad.api.karmada.names import (
    CPP_NAME,
    CPP_PERMANENT_ID,
    EXECUTION_SPACE_PREFIX,
    PP_NAME,
    PP_NAMESPACE,
    PP_PERMANENT_ID,
    SKIP_AUTO_PROPAGATION,
)
from karmadad.api.karmada.resource_selectors import (
    MATCH_NAME,
    MISMATCH,
    implicit_priority,
)
from karmadad.api.registry import Registry
from karmadad.store import Store

PP_CLAIM_LABELS, PP_CLAIM_ANNOTATIONS = (PP_PERMANENT_ID,), (PP_NAMESPACE, PP_NAME)
CPP_CLAIM_LABELS, CPP_CLAIM_ANNOTATIONS = (CPP_PERMANENT_ID,), (CPP_NAME,)


_NEVER_TEMPLATES = frozenset({"events", "events.events.k8s.io"})
_RESERVED_NAMESPACES = frozenset({"karmada-system", "karmada-cluster"})
# Karmada's --skipped-propagating-namespaces default: regular expressions matched against whole names.
DEFAULT_SKIPPED_NAMESPACES = ("kube-.*",)


def is_template_resource(resource: str) -> bool:
    """Everything users propagate: not Karmada's own kinds, events or leases."""
    group = resource.partition(".")[2]
    return not (
        resource in _NEVER_TEMPLATES or group.endswith("karmada.io") or group == "coordination.k8s.io"
    )


def is_reserved_namespace(namespace: str) -> bool:
    """Karmada's own namespaces: never templates' or auto-propagated."""
    return namespace in _RESERVED_NAMESPACES or namespace.startswith(EXECUTION_SPACE_PREFIX)


@dataclass(frozen=True)
class SkippedNamespaces:
    """The namespaces whose objects are not templates and which are not auto-propagated themselves:
    Karmada's reserved ones, and those a pattern (``skippedPropagatingNamespaces``) matches whole."""

    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def of(cls, expressions: Iterable[str] = DEFAULT_SKIPPED_NAMESPACES) -> SkippedNamespaces:
        return cls(tuple(re.compile(expression) for expression in expressions))

    def __call__(self, namespace: str) -> bool:
        return is_reserved_namespace(namespace) or any(p.fullmatch(namespace) for p in self.patterns)


is_skipped_namespace = SkippedNamespaces.of()  # with Karmada's default patterns


def explicit_priority(policy: dict) -> int:
    return int((policy.get("spec") or {}).get("priority") or 0)


def best_policy(policies: Iterable[dict], obj: dict) -> dict | None:
    """The policy that claims ``obj`` among ``policies`` of one kind (all PPs of a namespace, or all CPPs);
    policies being deleted match nothing."""
    best, best_rank = None, None
    for policy in policies:
        if policy["metadata"].get("deletionTimestamp"):
            continue
        implicit = implicit_priority(policy, obj)
        if implicit == MISMATCH:
            continue
        # higher explicit, then higher implicit, then the smaller name wins
        rank = (-explicit_priority(policy), -implicit, policy["metadata"]["name"])
        if best_rank is None or rank < best_rank:
            best, best_rank = policy, rank
    return best


@dataclass(frozen=True)
class Claim:
    """Which policy a template is claimed by, read from its claim labels and annotations."""

    kind: str  # "PropagationPolicy" | "ClusterPropagationPolicy"
    namespace: str
    name: str
    permanent_id: str


def claim_of(obj: dict) -> Claim | None:
    meta = obj.get("metadata") or {}
    labels, annotations = meta.get("labels") or {}, meta.get("annotations") or {}
    if annotations.get(PP_NAMESPACE) and annotations.get(PP_NAME) and labels.get(PP_PERMANENT_ID):
        return Claim(
            "PropagationPolicy", annotations[PP_NAMESPACE], annotations[PP_NAME], labels[PP_PERMANENT_ID]
        )
    if annotations.get(CPP_NAME) and labels.get(CPP_PERMANENT_ID):
        return Claim("ClusterPropagationPolicy", "", annotations[CPP_NAME], labels[CPP_PERMANENT_ID])
    return None


def claim_metadata(policy: dict) -> tuple[dict[str, str], dict[str, str]]:
    """The labels and annotations that mark an object as claimed by ``policy``."""
    meta = policy["metadata"]
    if policy.get("kind") == "ClusterPropagationPolicy":
        return {CPP_PERMANENT_ID: (meta.get("labels") or {}).get(CPP_PERMANENT_ID, "")}, {
            CPP_NAME: meta["name"]
        }
    return (
        {PP_PERMANENT_ID: (meta.get("labels") or {}).get(PP_PERMANENT_ID, "")},
        {PP_NAMESPACE: meta.get("namespace", ""), PP_NAME: meta["name"]},
    )


def with_claim(obj: dict, policy: dict) -> dict:
    """``obj`` claimed by ``policy``; a PropagationPolicy's claim replaces a ClusterPropagationPolicy's."""
    labels, annotations = claim_metadata(policy)
    if policy.get("kind") == "PropagationPolicy":
        obj = without_claim(obj, "ClusterPropagationPolicy")
    meta = obj.get("metadata") or {}
    return {
        **obj,
        "metadata": {
            **meta,
            "labels": {**(meta.get("labels") or {}), **labels},
            "annotations": {**(meta.get("annotations") or {}), **annotations},
        },
    }


def without_claim(obj: dict, kind: str) -> dict:
    """``obj`` with the claim metadata of a policy kind removed (empty maps dropped)."""
    labels_, annotations_ = (
        (PP_CLAIM_LABELS, PP_CLAIM_ANNOTATIONS)
        if kind == "PropagationPolicy"
        else (CPP_CLAIM_LABELS, CPP_CLAIM_ANNOTATIONS)
    )
    meta = dict(obj.get("metadata") or {})
    for field, keys in (("labels", labels_), ("annotations", annotations_)):
        kept = {k: v for k, v in (meta.get(field) or {}).items() if k not in keys}
        if kept:
            meta[field] = kept
        else:
            meta.pop(field, None)
    return {**obj, "metadata": meta}


def preempts(candidate: dict, claimed_by: dict | None, claim: Claim, obj: dict) -> bool:
    """Whether ``candidate`` (with ``preemption: Always``) takes ``obj`` from the policy that claims it
    (``claimed_by``, None when that policy is gone). As Karmada, preemption only reaches templates the
    candidate names explicitly; a PP preempts a lower-priority PP and any CPP; a CPP only a lower-priority CPP.
    """
    if (candidate.get("spec") or {}).get("preemption") != "Always" or candidate["metadata"].get(
        "deletionTimestamp"
    ):
        return False
    if implicit_priority(candidate, obj) != MATCH_NAME:
        return False
    candidate_meta = candidate["metadata"]
    if (candidate.get("kind"), candidate_meta.get("namespace", ""), candidate_meta["name"]) == (
        claim.kind,
        claim.namespace,
        claim.name,
    ):
        return False
    if candidate.get("kind") == "PropagationPolicy" and claim.kind == "ClusterPropagationPolicy":
        return True
    if candidate.get("kind") != claim.kind or claimed_by is None:
        return False
    return explicit_priority(candidate) > explicit_priority(claimed_by)


_KARMADA_KEYS = ".karmada.io"  # a label or annotation key holding this is Karmada's
_USERS_KARMADA_LABELS = frozenset({SKIP_AUTO_PROPAGATION})  # users set this one


def is_lazy(policy: dict) -> bool:
    """Whether a propagation policy activates lazily: its creation or change reaches a template only when
    the template itself next changes (``activationPreference: Lazy``)."""
    return (policy.get("spec") or {}).get("activationPreference") == "Lazy"


def _without_karmadas(obj: dict) -> dict:
    meta = dict(obj.get("metadata") or {})
    labels = {
        k: v
        for k, v in (meta.get("labels") or {}).items()
        if _KARMADA_KEYS not in k or k in _USERS_KARMADA_LABELS
    }
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if _KARMADA_KEYS not in k}
    meta["labels"], meta["annotations"] = labels, annotations
    meta.pop("generation", None)
    return {**obj, "metadata": meta}


def changed_by_karmada_only(old: dict, new: dict) -> bool:
    """Whether a template's change touched only what Karmada writes on it (its ``*.karmada.io`` labels
    and annotations, and the generation they may move): such a change does not wake a lazy policy.
    Both are compared without status, managedFields and resourceVersion
    (:func:`karmadad.store.changes.specification`)."""
    return _without_karmadas(old) == _without_karmadas(new)


# -- the binding a claim gives -------------------------------------------------------------------------
# The detector owns a binding's identity, owner reference, claim metadata and the spec copied from the
# template and its policy; ``spec.clusters`` and the scheduling annotation and status belong to the
# scheduler and are kept untouched when an existing binding is brought up to date (as Karmada builds it).

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
    merged = {**existing, "metadata": meta, "spec": spec}
    # the template's resourceVersion moves with each status write of it: recorded when the binding is written
    # for another reason, never a reason to write it (a restart would rewrite every binding for nothing)
    old_resource = (existing.get("spec") or {}).get("resource")
    if isinstance(old_resource, dict) and merged != existing:
        unmoved = {**merged, "spec": {**spec, "resource": {**spec["resource"], "resourceVersion": old_resource.get("resourceVersion")}}}  # fmt: skip
        if unmoved == existing:
            return existing
    return merged


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
