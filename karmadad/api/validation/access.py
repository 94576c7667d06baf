"""What RBAC roles and bindings must be, as kube-apiserver's rbac validation checks them."""

from __future__ import annotations

from karmadad.api.field_errors import GoStruct, invalid, not_supported, required
from karmadad.api.name_rules import path_segment_problems, subdomain_problems
from karmadad.api.validation.meta import selector_causes, selector_matches
from karmadad.errors import Cause

RBAC_GROUP = "rbac.authorization.k8s.io"


def _rule_causes(rules: list[dict], *, namespaced: bool) -> list[Cause]:
    """``ValidatePolicyRule`` for each rule."""
    causes: list[Cause] = []
    for index, rule in enumerate(rules):
        at = f"rules[{index}]"
        if not rule.get("verbs"):
            causes.append(required(f"{at}.verbs", "verbs must contain at least one value"))
        urls = rule.get("nonResourceURLs") or []
        if urls:
            if namespaced:
                causes.append(
                    invalid(
                        f"{at}.nonResourceURLs", urls, "namespaced rules cannot apply to non-resource URLs"
                    )
                )
            if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                detail = "rules cannot apply to both regular resources and non-resource URLs"
                causes.append(invalid(f"{at}.nonResourceURLs", urls, detail))
            continue
        if not rule.get("apiGroups"):
            causes.append(required(f"{at}.apiGroups", "resource rules must supply at least one api group"))
        if not rule.get("resources"):
            causes.append(required(f"{at}.resources", "resource rules must supply at least one resource"))
    return causes


def role_causes(obj: dict, old: dict | None) -> list[Cause]:
    return _rule_causes(obj.get("rules") or [], namespaced=True)


def cluster_role_causes(obj: dict, old: dict | None) -> list[Cause]:
    causes = _rule_causes(obj.get("rules") or [], namespaced=False)
    aggregation = obj.get("aggregationRule")
    if aggregation is not None:
        selectors = aggregation.get("clusterRoleSelectors") or []
        if not selectors:
            detail = "at least one clusterRoleSelector required if aggregationRule is non-nil"
            causes.append(required("aggregationRule.clusterRoleSelectors", detail))
        for index, selector in enumerate(selectors):
            at = f"aggregationRule.clusterRoleSelectors[{index}]"
            causes.extend(selector_causes(selector, at))
            if selector_matches(selector, {}) is None:
                causes.append(invalid(at, None, "invalid label selector."))
    return causes


def _binding_causes(obj: dict, old: dict | None, *, cluster: bool) -> list[Cause]:
    ref = obj.get("roleRef") or {}
    causes: list[Cause] = []
    if ref.get("apiGroup", "") != RBAC_GROUP:
        causes.append(not_supported("roleRef.apiGroup", ref.get("apiGroup", ""), (RBAC_GROUP,)))
    kinds = ("ClusterRole",) if cluster else ("Role", "ClusterRole")
    if ref.get("kind", "") not in kinds:
        causes.append(not_supported("roleRef.kind", ref.get("kind", ""), kinds))
    name = ref.get("name", "")
    if not name:
        causes.append(required("roleRef.name"))
    else:
        causes.extend(invalid("roleRef.name", name, problem) for problem in path_segment_problems(name))
    for index, subject in enumerate(obj.get("subjects") or []):
        at = f"subjects[{index}]"
        subject_name, kind, group = (
            subject.get("name", ""),
            subject.get("kind", ""),
            subject.get("apiGroup", ""),
        )
        if not subject_name:
            causes.append(required(f"{at}.name"))
        if kind == "ServiceAccount":
            if subject_name:
                causes.extend(
                    invalid(f"{at}.name", subject_name, p) for p in subdomain_problems(subject_name)
                )
            if group:
                causes.append(not_supported(f"{at}.apiGroup", group, ("",)))
            if cluster and not subject.get("namespace"):
                causes.append(required(f"{at}.namespace"))
        elif kind in ("User", "Group"):
            if group != RBAC_GROUP:
                causes.append(not_supported(f"{at}.apiGroup", group, (RBAC_GROUP,)))
        else:
            causes.append(not_supported(f"{at}.kind", kind, ("ServiceAccount", "User", "Group")))
    if old is not None and ref != (old.get("roleRef") or {}):
        shown = GoStruct(APIGroup=ref.get("apiGroup", ""), Kind=ref.get("kind", ""), Name=name)
        causes.append(invalid("roleRef", shown, "cannot change roleRef"))
    return causes


def role_binding_causes(obj: dict, old: dict | None) -> list[Cause]:
    return _binding_causes(obj, old, cluster=False)


def cluster_role_binding_causes(obj: dict, old: dict | None) -> list[Cause]:
    return _binding_causes(obj, old, cluster=True)
