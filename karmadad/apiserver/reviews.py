"""Who am I, and may I: the self-reviews kube-apiserver answers (``kubectl auth whoami``, ``auth can-i``,
``auth can-i --list``), from the same rules that authorize every request (:func:`auth.allowed`).

Why from the same rules: an answer that differs from what a request would meet is worse than none. The
reviews are created, never stored; every authenticated user may ask about themselves, as Kubernetes'
``system:basic-user`` role allows.
"""

from __future__ import annotations

from typing import Any

from karmadad.api.registry import Registry, ResourceType
from karmadad.apiserver.auth import ADMIN_GROUP, HIDDEN_FROM_VIEW, READ_VERBS, VIEW_GROUP, User, allowed
from karmadad.errors import BadRequest

AUTHENTICATED = "system:authenticated"
REVIEW_TYPES: tuple[ResourceType, ...] = tuple(
    ResourceType(group, "v1", kind, kind.lower() + "s", "", False, verbs=("create",))
    for group, kind in (
        ("authentication.k8s.io", "SelfSubjectReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
    )
)
_REVIEW_KINDS = frozenset((r.group, r.plural) for r in REVIEW_TYPES)
# What any authenticated user may read besides resources (kube's system:discovery and system:public-info-viewer).
DISCOVERY_PATHS = (
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/readyz",
    "/openapi",
    "/openapi/*",
    "/version",
    "/version/",
)


def is_review(resource: ResourceType) -> bool:
    return (resource.group, resource.plural) in _REVIEW_KINDS


def answer(resource: ResourceType, body: Any, user: User, registry: Registry) -> dict:
    """The review with its ``status`` filled in for ``user``."""
    if not isinstance(body, dict):
        raise BadRequest(f"the request body must be a {resource.kind} object")
    spec = body.get("spec") if isinstance(body.get("spec"), dict) else {}
    if resource.kind == "SelfSubjectReview":
        status: dict = {"userInfo": {"username": user.name, "groups": [*user.groups, AUTHENTICATED]}}
    elif resource.kind == "SelfSubjectAccessReview":
        status = {"allowed": access_allowed(user, spec)}
    else:
        status = rules(user, registry)
    return {
        "kind": resource.kind,
        "apiVersion": resource.api_version,
        "metadata": {"creationTimestamp": None},
        **({"spec": spec} if resource.kind != "SelfSubjectReview" else {}),
        "status": status,
    }


def access_allowed(user: User, spec: dict) -> bool:
    """Whether the request a SelfSubjectAccessReview describes would be allowed."""
    attributes = spec.get("resourceAttributes")
    if isinstance(attributes, dict):
        verb, group, plural = (str(attributes.get(key) or "") for key in ("verb", "group", "resource"))
        if (group, plural) in _REVIEW_KINDS and verb == "create":
            return True
        return allowed(user, verb, group, plural)
    path = (spec.get("nonResourceAttributes") or {}).get("path", "")
    verb = (spec.get("nonResourceAttributes") or {}).get("verb", "")
    if ADMIN_GROUP in user.groups:
        return True
    return verb == "get" and any(
        path == p or (p.endswith("*") and path.startswith(p[:-1])) for p in DISCOVERY_PATHS
    )


def rules(user: User, registry: Registry) -> dict:
    """A SelfSubjectRulesReview's status: every rule that applies to ``user``."""
    resource_rules: list[dict[str, Any]] = [
        {"verbs": ["create"], "apiGroups": [r.group], "resources": [r.plural]} for r in REVIEW_TYPES
    ]
    non_resource_rules: list[dict[str, Any]] = [{"verbs": ["get"], "nonResourceURLs": list(DISCOVERY_PATHS)}]
    if ADMIN_GROUP in user.groups:
        resource_rules.insert(0, {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})
        non_resource_rules.insert(0, {"verbs": ["*"], "nonResourceURLs": ["*"]})
    elif VIEW_GROUP in user.groups:
        readable: dict[str, list[str]] = {}
        for resource in registry.all():
            if (resource.group, resource.plural) not in HIDDEN_FROM_VIEW and not is_review(resource):
                names = readable.setdefault(resource.group, [])
                if resource.plural not in names:
                    names.append(resource.plural)
        resource_rules[:0] = [
            {"verbs": sorted(READ_VERBS), "apiGroups": [group], "resources": sorted(plurals)}
            for group, plurals in sorted(readable.items())
        ]
    return {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules, "incomplete": False}
