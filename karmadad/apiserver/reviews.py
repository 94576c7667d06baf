"""Who am I, and may I: the self-reviews kube-apiserver answers (``kubectl auth whoami``, ``auth can-i``,
``auth can-i --list``), from the same rules that authorize every request (:class:`rbac.RBAC`).

Why from the same rules: an answer that differs from what a request would meet is worse than none. The
reviews are created, never stored; every authenticated user may ask about themselves, as Kubernetes'
``system:basic-user`` role allows.
"""

from __future__ import annotations

from typing import Any

from karmadad.api.registry import ResourceType
from karmadad.apiserver.auth import ADMIN_GROUP, User
from karmadad.apiserver.rbac import AUTHENTICATED, RBAC, SELF_REVIEWS, Attributes
from karmadad.errors import BadRequest

REVIEW_TYPES: tuple[ResourceType, ...] = tuple(
    ResourceType(group, "v1", kind, kind.lower() + "s", "", False, verbs=("create",))
    for group, kind in SELF_REVIEWS
)
_REVIEW_KINDS = frozenset((r.group, r.plural) for r in REVIEW_TYPES)


def is_review(resource: ResourceType) -> bool:
    return (resource.group, resource.plural) in _REVIEW_KINDS


def answer(resource: ResourceType, body: Any, user: User, rbac: RBAC) -> dict:
    """The review with its ``status`` filled in for ``user``."""
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a {resource.kind} object")
    spec = body.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    if resource.kind == "SelfSubjectReview":
        status: dict = {"userInfo": {"username": user.name, "groups": [*user.groups, AUTHENTICATED]}}
    elif resource.kind == "SelfSubjectAccessReview":
        status = {"allowed": rbac.allowed(user, review_attributes(spec))}
    else:
        status = rules(user, str(spec.get("namespace") or ""), rbac)
    return {
        "kind": resource.kind,
        "apiVersion": resource.api_version,
        "metadata": {"creationTimestamp": None},
        **({"spec": spec} if resource.kind != "SelfSubjectReview" else {}),
        "status": status,
    }


def review_attributes(spec: dict) -> Attributes:
    """The request a SelfSubjectAccessReview describes."""
    attributes = spec.get("resourceAttributes")
    if isinstance(attributes, dict):
        get = lambda key: str(attributes.get(key) or "")  # noqa: E731
        return Attributes(
            get("verb"), get("group"), get("resource"), get("subresource"), get("namespace"), get("name")
        )
    other = spec.get("nonResourceAttributes")
    if not isinstance(other, dict):
        other = {}
    return Attributes(str(other.get("verb") or ""), path=str(other.get("path") or ""))


def rules(user: User, namespace: str, rbac: RBAC) -> dict:
    """A SelfSubjectRulesReview's status: every rule that applies to ``user`` in ``namespace``."""
    if ADMIN_GROUP in user.groups:
        found = [
            {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
            {"verbs": ["*"], "nonResourceURLs": ["*"]},
        ]
    else:
        found = rbac.rules_for(user, namespace)
    resource_rules, non_resource_rules = [], []
    for rule in found:
        if rule.get("nonResourceURLs"):
            entry = {"verbs": rule.get("verbs") or [], "nonResourceURLs": rule["nonResourceURLs"]}
            if entry not in non_resource_rules:
                non_resource_rules.append(entry)
        else:
            entry = {"verbs": rule.get("verbs") or [], "apiGroups": rule.get("apiGroups") or [],
                     "resources": rule.get("resources") or []}  # fmt: skip
            if rule.get("resourceNames"):
                entry["resourceNames"] = rule["resourceNames"]
            if entry not in resource_rules:
                resource_rules.append(entry)
    return {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": False}
