"""Authorization as kube-apiserver's RBAC authorizer does it, from the RBAC objects stored in karmadad.

A request is allowed when a rule of a role bound to its user (by name), to one of its groups (with
``system:authenticated``), or to its service account allows it: a ClusterRoleBinding's role everywhere, a
RoleBinding's role (a Role of its namespace, or a ClusterRole) in that namespace only. Rules match as
Kubernetes matches them (``*`` for verbs, groups and resources; ``resource/subresource``; ``resourceNames``;
``nonResourceURLs`` with a trailing ``*``). A ClusterRole with an ``aggregationRule`` also holds the rules of
the ClusterRoles its selectors pick (transitively), as the aggregation controller would write them.

Two groups are the config's: ``admin`` bypasses RBAC as ``system:masters`` does, and ``view`` is bound to
the built-in ``view`` ClusterRole (seeded with the other built-in roles, :mod:`karmadad.apiserver.bootstrap`).
Every authenticated user may create the self-reviews and read discovery (kube's ``system:basic-user``,
``system:discovery`` and ``system:public-info-viewer``).

The bindings are indexed by subject once and the index is dropped when a committed change touches an RBAC
kind: the store tells its listeners before it acknowledges the write, so a removed binding denies the
very next request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from karmadad.apiserver.auth import ADMIN_GROUP, User
from karmadad.selectors import SelectorError, label_selector_from_struct
from karmadad.store import Store

RBAC_GROUP = "rbac.authorization.k8s.io"
ROLES, CLUSTER_ROLES = f"roles.{RBAC_GROUP}", f"clusterroles.{RBAC_GROUP}"
ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS = f"rolebindings.{RBAC_GROUP}", f"clusterrolebindings.{RBAC_GROUP}"
RBAC_RESOURCES = frozenset({ROLES, CLUSTER_ROLES, ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS})
AUTHENTICATED = "system:authenticated"
# The self-reviews every authenticated user may create (kube's system:basic-user): (group, kind).
SELF_REVIEWS = (
    ("authentication.k8s.io", "SelfSubjectReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
)
# What any authenticated user may read besides resources (kube's system:discovery and system:public-info-viewer).
DISCOVERY_PATHS = (
    "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/readyz", "/openapi", "/openapi/*",
    "/version", "/version/",
)  # fmt: skip
MAX_ANSWERS = 10_000  # remembered (user, namespace) rule lists; beyond, the memory starts again
BASIC_RULES: tuple[dict, ...] = (
    *(
        {"verbs": ["create"], "apiGroups": [group], "resources": [kind.lower() + "s"]}
        for group, kind in SELF_REVIEWS
    ),
    {"verbs": ["get"], "nonResourceURLs": list(DISCOVERY_PATHS)},
)


@dataclass(frozen=True)
class Attributes:
    """What a request would do: a resource request (``resource`` set) or a non-resource one (``path``)."""

    verb: str
    group: str = ""
    resource: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""


# -- pure matching ---------------------------------------------------------------------------------


def _has(values: Any, wanted: str) -> bool:
    return isinstance(values, list) and ("*" in values or wanted in values)


def rule_allows(rule: dict, request: Attributes) -> bool:
    """Whether one PolicyRule allows the request (Kubernetes' RuleAllows)."""
    if not _has(rule.get("verbs"), request.verb):
        return False
    if not request.resource:
        urls = rule.get("nonResourceURLs") or ()
        return any(
            url == "*" or url == request.path or (url.endswith("*") and request.path.startswith(url[:-1]))
            for url in urls
            if isinstance(url, str)
        )
    if not _has(rule.get("apiGroups"), request.group):
        return False
    resources = rule.get("resources")
    if not isinstance(resources, list):
        return False
    if request.subresource:
        combined = f"{request.resource}/{request.subresource}"
        if not ("*" in resources or combined in resources or f"*/{request.subresource}" in resources):
            return False
    elif not ("*" in resources or request.resource in resources):
        return False
    names = rule.get("resourceNames") or []
    return not names or request.name in names


def _subject_keys(subject: dict, namespace: str) -> Iterable[tuple[str, str]]:
    kind, name = subject.get("kind"), subject.get("name")
    if not isinstance(name, str):
        return ()
    if kind == "User":
        return (("user", name),)
    if kind == "Group":
        return (("group", name),)
    if kind == "ServiceAccount":
        return (("user", f"system:serviceaccount:{subject.get('namespace') or namespace}:{name}"),)
    return ()


def _keys_of(who: User) -> list[tuple[str, str]]:
    return [("user", who.name), *(("group", g) for g in (*who.groups, AUTHENTICATED))]


# -- the index ------------------------------------------------------------------------------------


@dataclass
class _Index:
    """Subject key -> rules that apply cluster-wide, and (namespace -> rules) from RoleBindings."""

    cluster: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    namespaced: dict[tuple[str, str], dict[str, list[dict]]] = field(default_factory=dict)
    # (user, namespace) -> the rules that apply there: requests come again and again from the same few
    answered: dict[tuple[User, str], list[dict]] = field(default_factory=dict)


def aggregated_rules(cluster_roles: dict[str, dict]) -> dict[str, list[dict]]:
    """Each ClusterRole's rules, with the rules of every ClusterRole its aggregationRule picks, directly or
    through the roles those pick (cycles included: each role is visited once)."""
    picks: dict[str, list[str]] = {}
    for name, role in cluster_roles.items():
        picked: list[str] = []
        for selector in (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or ():
            try:
                matches = label_selector_from_struct(selector).matches
            except (SelectorError, AttributeError, TypeError):
                continue
            picked += [
                other
                for other, candidate in cluster_roles.items()
                if other != name and matches(candidate.get("metadata", {}).get("labels") or {})
            ]
        picks[name] = picked

    def own(name: str) -> list[dict]:
        return [rule for rule in cluster_roles[name].get("rules") or () if isinstance(rule, dict)]

    result: dict[str, list[dict]] = {}
    for name in cluster_roles:
        rules, seen, todo = own(name), {name}, list(picks[name])
        while todo:
            other = todo.pop()
            if other in seen:
                continue
            seen.add(other)
            rules += [rule for rule in own(other) if rule not in rules]
            todo += picks[other]
        result[name] = rules
    return result


def build_index(
    roles: Iterable[dict],
    cluster_roles: Iterable[dict],
    bindings: Iterable[dict],
    cluster_bindings: Iterable[dict],
) -> _Index:
    by_name = {r["metadata"]["name"]: r for r in cluster_roles}
    cluster_rules = aggregated_rules(by_name)
    role_rules = {
        (r["metadata"].get("namespace", ""), r["metadata"]["name"]): [x for x in r.get("rules") or () if isinstance(x, dict)]
        for r in roles
    }  # fmt: skip
    index = _Index()
    for binding in cluster_bindings:
        ref = binding.get("roleRef") or {}
        rules = cluster_rules.get(ref.get("name", "")) if ref.get("kind") == "ClusterRole" else None
        for subject in binding.get("subjects") or ():
            for key in _subject_keys(subject, ""):
                index.cluster.setdefault(key, []).extend(rules or ())
    for binding in bindings:
        namespace = binding["metadata"].get("namespace", "")
        ref = binding.get("roleRef") or {}
        if ref.get("kind") == "ClusterRole":
            rules = cluster_rules.get(ref.get("name", ""))
        else:
            rules = role_rules.get((namespace, ref.get("name")))
        for subject in binding.get("subjects") or ():
            for key in _subject_keys(subject, namespace):
                index.namespaced.setdefault(key, {}).setdefault(namespace, []).extend(rules or ())
    return index


class RBAC:
    """The authorizer: RBAC objects in ``store``, indexed on first use after each change to them."""

    def __init__(self, store: Store):
        self._store = store
        self._index: _Index | None = None
        store.subscribe_index(self._changed, resources=RBAC_RESOURCES)

    def _changed(self, change: Any) -> None:
        self._index = None

    def _current(self) -> _Index:
        if self._index is None:
            store = self._store
            self._index = build_index(
                store.list_all(ROLES),
                store.list_all(CLUSTER_ROLES),
                store.list_all(ROLE_BINDINGS),
                store.list_all(CLUSTER_ROLE_BINDINGS),
            )
        return self._index

    def rules_for(self, who: User, namespace: str) -> list[dict]:
        """Every rule that applies to ``who`` in ``namespace`` ("" for cluster-scoped requests)."""
        index = self._current()
        found = index.answered.get((who, namespace))
        if found is None:
            found = list(BASIC_RULES)
            for key in _keys_of(who):
                found += index.cluster.get(key, ())
                if namespace:
                    found += index.namespaced.get(key, {}).get(namespace, ())
            if len(index.answered) >= MAX_ANSWERS:
                index.answered.clear()
            index.answered[(who, namespace)] = found
        return found

    def allowed(self, who: User, request: Attributes) -> bool:
        if ADMIN_GROUP in who.groups:
            return True
        return any(rule_allows(rule, request) for rule in self.rules_for(who, request.namespace))
