"""Which override policies reach a manifest on a cluster, and the manifest they produce there.

Why this order: when several policies touch the same field the last one wins, so the order is the
contract. As Karmada's override manager: every ClusterOverridePolicy first, then the OverridePolicies of
the manifest's namespace (none for cluster-scoped objects). Within each group a policy applies when its
``resourceSelectors`` match (none = every object); they sort ascending by how specifically they match
(match-all < labelSelector < name, :mod:`karmadad.api.karmada.resource_selectors`) and then by name, so the most
specific applies last. A policy's ``overrideRules`` apply in their own order, each only where its
``targetCluster`` affinity takes the cluster (no affinity = every cluster); a policy without rules falls
back to the legacy ``targetCluster`` + ``overriders`` pair. The OverridePolicies are matched against the
manifest as the cluster-wide policies left it, as Karmada does. Policies being deleted are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from karmadad.api.karmada.resource_selectors import MATCH_ALL, MISMATCH, implicit_priority
from karmadad.jsonvalue import json_copy
from karmadad.overrides.applied import applied_annotations, cluster_override_reference, override_reference
from karmadad.overrides.overriders import OverrideError, apply_overriders_in_place
from karmadad.scheduler.affinity import compile_affinity
from karmadad.scheduler.snapshot import ClusterSnapshot


def _spec(policy: dict) -> dict:
    return policy.get("spec") or {}


def _implicit_priority(policy: dict, obj: dict) -> int:
    if not _spec(policy).get("resourceSelectors"):
        return MATCH_ALL
    return implicit_priority(policy, obj)


def _namespace(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("namespace") or ""


def policies_in_order(policies: Iterable[dict], obj: dict) -> list[dict]:
    """The policies of one group whose selectors match ``obj``, in the order they apply."""
    ranked = []
    for policy in policies:
        meta = policy.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            continue
        priority = _implicit_priority(policy, obj)
        if priority != MISMATCH:
            ranked.append((priority, meta.get("name", ""), policy))
    ranked.sort(key=lambda entry: (entry[0], entry[1]))
    return [policy for _, _, policy in ranked]


def _namespaced(policies: Iterable[dict], obj: dict) -> list[dict]:
    namespace = _namespace(obj)
    if not namespace:
        return []
    return [p for p in policies if (p.get("metadata") or {}).get("namespace", "") == namespace]


def override_rules(policy: dict) -> list[tuple[str, dict | None, dict]]:
    """(where, targetCluster, overriders) of each rule; the legacy pair when there are no rules."""
    spec = _spec(policy)
    rules = spec.get("overrideRules")
    if not rules:
        return [("overriders", spec.get("targetCluster"), spec.get("overriders") or {})]
    return [
        (f"overrideRules[{index}]", rule.get("targetCluster"), rule.get("overriders") or {})
        for index, rule in enumerate(rules)
    ]


def _targets(affinity: dict | None, cluster: ClusterSnapshot) -> bool:
    return affinity is None or compile_affinity(affinity)(cluster)


def _rules_for(policy: dict, cluster: ClusterSnapshot) -> Iterator[tuple[str, dict]]:
    for where, affinity, overriders in override_rules(policy):
        if _targets(affinity, cluster):
            yield where, overriders


def applicable_policies(
    template: dict, cluster: ClusterSnapshot, cluster_policies: list[dict], policies: list[dict]
) -> list[dict]:
    """The ClusterOverridePolicies, then the OverridePolicies of the template's namespace, that select
    ``template`` and have a rule for ``cluster`` — in the order they apply. (Matched against the template
    itself; :func:`apply_overrides` matches the OverridePolicies after the cluster-wide ones applied.)"""
    return [
        policy
        for group in (cluster_policies, _namespaced(policies, template))
        for policy in policies_in_order(group, template)
        if any(_targets(affinity, cluster) for _, affinity, _ in override_rules(policy))
    ]


def _describe(policy: dict, cluster_scoped: bool) -> str:
    meta = policy.get("metadata") or {}
    if cluster_scoped:
        return f"ClusterOverridePolicy {meta.get('name', '')}"
    return f"OverridePolicy {meta.get('namespace', '')}/{meta.get('name', '')}"


def _reference(policy: dict, cluster_scoped: bool) -> str:
    meta = policy.get("metadata") or {}
    if cluster_scoped:
        return cluster_override_reference(meta.get("name", ""))
    return override_reference(meta.get("namespace", ""), meta.get("name", ""))


def _apply_group(
    obj: dict, cluster: ClusterSnapshot, policies: list[dict], cluster_scoped: bool
) -> tuple[dict, list[tuple[str, dict]]]:
    applied = []
    for policy in policies_in_order(policies, obj):
        name = (policy.get("metadata") or {}).get("name", "")
        for where, overriders in _rules_for(policy, cluster):
            try:
                obj = apply_overriders_in_place(obj, overriders)
            except OverrideError as error:
                raise OverrideError(
                    f"{_describe(policy, cluster_scoped)} {where} on cluster {cluster.name}: {error}",
                    path=error.path,
                    policy=_reference(policy, cluster_scoped),
                ) from error
            applied.append((name, overriders))
    return obj, applied


def apply_overrides(
    manifest: dict, cluster: ClusterSnapshot, cluster_policies: list[dict], policies: list[dict]
) -> tuple[dict, dict[str, str]]:
    """The manifest for ``cluster`` (a new object) and the applied-overrides annotations for its Work.

    Raises :class:`OverrideError` naming the policy, rule, overrider and path when an overrider cannot
    apply; Karmada then fails the Work for this cluster."""
    obj = json_copy(manifest)
    obj, cluster_applied = _apply_group(obj, cluster, cluster_policies, cluster_scoped=True)
    obj, namespaced_applied = _apply_group(obj, cluster, _namespaced(policies, obj), cluster_scoped=False)
    return obj, applied_annotations(cluster_applied, namespaced_applied)
