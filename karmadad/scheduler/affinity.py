"""A placement ``ClusterAffinity`` compiled once per binding into a fast cluster predicate.

Why: the ClusterAffinity filter, static weight rules and overflow tiers all ask "does this cluster
match this affinity" for every cluster; compiling the selectors once keeps that question cheap.
Semantics follow Karmada's ``util.ClusterMatches``: exclude wins; then labelSelector; then
fieldSelector (provider and region behave like labels, zone is matched against ``spec.zones``);
then clusterNames.  A selector that does not parse matches no cluster, as in Karmada.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from karmadad.scheduler.snapshot import ClusterSnapshot
from karmadad.selectors import LabelSelector, Requirement, SelectorError, label_selector_from_struct

Matcher = Callable[[ClusterSnapshot], bool]

_NODE_OPERATORS = {
    "In": "in",
    "NotIn": "notin",
    "Exists": "exists",
    "DoesNotExist": "!",
    "Gt": "gt",
    "Lt": "lt",
}


_MISSING = object()


def label_matcher(selector: LabelSelector) -> Callable[[Mapping[str, str]], bool]:
    """A fast predicate equivalent to ``selector.matches`` (set lookups instead of generic dispatch)."""
    requirements = selector.requirements
    if all(r.operator in ("=", "in") and len(r.values) == 1 for r in requirements):
        pairs = tuple((r.key, r.values[0]) for r in requirements)

        def match_equal(labels: Mapping[str, str]) -> bool:
            for key, value in pairs:
                if labels.get(key, _MISSING) != value:
                    return False
            return True

        return match_equal
    prepared = tuple((r.key, r.operator, frozenset(r.values), r) for r in requirements)

    def match(labels: Mapping[str, str]) -> bool:
        for key, operator, values, requirement in prepared:
            value = labels.get(key, _MISSING)
            if operator in ("=", "in"):
                if value not in values:
                    return False
            elif operator in ("!=", "notin"):
                if value in values:
                    return False
            elif operator == "exists":
                if value is _MISSING:
                    return False
            elif operator == "!":
                if value is not _MISSING:
                    return False
            elif not requirement.matches(labels):
                return False
        return True

    return match


def _never(_: ClusterSnapshot) -> bool:
    return False


def _always(_: ClusterSnapshot) -> bool:
    return True


def _zone_test(operator: str, values: frozenset[str]) -> Callable[[tuple[str, ...]], bool] | None:
    """Karmada's zone rules: In = any overlap, NotIn = no overlap, Exists / DoesNotExist on emptiness."""
    if operator == "In":
        return lambda zones: any(zone in values for zone in zones)
    if operator == "NotIn":
        return lambda zones: not any(zone in values for zone in zones)
    if operator == "Exists":
        return lambda zones: bool(zones)
    if operator == "DoesNotExist":
        return lambda zones: not zones
    return None


def _field_requirement(expression: Mapping[str, Any]) -> Requirement:
    """One non-zone fieldSelector expression as a label requirement (``NodeSelectorRequirementsAsSelector``)."""
    operator = _NODE_OPERATORS.get(expression.get("operator", ""))
    values = tuple(expression.get("values") or ())
    if operator is None:
        raise SelectorError(f"unsupported operator {expression.get('operator')!r}")
    if operator in ("in", "notin") and not values:
        raise SelectorError("values must be non-empty for In and NotIn")
    if operator in ("exists", "!") and values:
        raise SelectorError("values must be empty for Exists and DoesNotExist")
    return Requirement(str(expression.get("key", "")), operator, values)


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("[", *(_freeze(v) for v in value))
    return value


_compiled: dict[Any, Matcher] = {}
_COMPILED_LIMIT = 4096


def compile_affinity(affinity: Mapping[str, Any] | None) -> Matcher:
    """A predicate for one ClusterAffinity dict; ``None`` or ``{}`` matches every cluster.

    Compiled predicates are memoised by the affinity's content: parsing and validating a label
    selector costs far more than matching it, and bindings of one policy share their affinities.
    """
    if not affinity:
        return _always
    try:
        key = _freeze(affinity)
        hash(key)
    except TypeError:
        return _compile_affinity(affinity)
    matcher = _compiled.get(key)
    if matcher is None:
        if len(_compiled) >= _COMPILED_LIMIT:
            _compiled.clear()
        matcher = _compiled[key] = _compile_affinity(affinity)
    return matcher


def _compile_affinity(affinity: Mapping[str, Any]) -> Matcher:
    exclude = frozenset(affinity.get("exclude") or ())
    names = frozenset(affinity.get("clusterNames") or ())
    label_selector: Callable[[Mapping[str, str]], bool] | None = None
    zone_tests: list[Callable[[tuple[str, ...]], bool]] = []
    field_requirements: list[Requirement] = []
    try:
        if affinity.get("labelSelector") is not None:
            parsed = label_selector_from_struct(affinity["labelSelector"])
            if not parsed.empty:
                label_selector = label_matcher(parsed)
        for expression in (affinity.get("fieldSelector") or {}).get("matchExpressions") or ():
            if expression.get("key") == "zone":
                test = _zone_test(expression.get("operator", ""), frozenset(expression.get("values") or ()))
                if test is None:
                    return _never
                zone_tests.append(test)
            else:
                field_requirements.append(_field_requirement(expression))
    except (SelectorError, TypeError, AttributeError):
        return _never

    def matches(cluster: ClusterSnapshot) -> bool:
        if cluster.name in exclude:
            return False
        if label_selector is not None and not label_selector(cluster.labels):
            return False
        for test in zone_tests:
            if not test(cluster.zones):
                return False
        for requirement in field_requirements:
            if not requirement.matches(cluster.fields):
                return False
        return not names or cluster.name in names

    return matches
