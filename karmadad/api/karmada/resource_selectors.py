"""How specifically a policy's ``resourceSelectors`` match an object — Karmada's rule, as pure functions.

Propagation policies claim templates and override policies reach manifests by the same rule, so it lives
below both: a selector matches when apiVersion and kind are equal and its namespace is empty or equal;
then a name (when given) must be equal — its labelSelector is then ignored —, else a labelSelector must
match, else it matches every object of the kind. How specific the best matching selector is, is the
policy's *implicit* priority: name 3 > labelSelector 2 > kind 1 > no match 0.
"""

from __future__ import annotations

from karmadad.selectors import SelectorError, label_selector_from_struct

MISMATCH, MATCH_ALL, MATCH_LABEL_SELECTOR, MATCH_NAME = 0, 1, 2, 3


def selector_priority(selector: dict, obj: dict) -> int:
    meta = obj.get("metadata") or {}
    if selector.get("apiVersion") != obj.get("apiVersion") or selector.get("kind") != obj.get("kind"):
        return MISMATCH
    if selector.get("namespace") and selector["namespace"] != meta.get("namespace", ""):
        return MISMATCH
    if selector.get("name"):
        return MATCH_NAME if selector["name"] == meta.get("name") else MISMATCH
    if selector.get("labelSelector") is None:
        return MATCH_ALL
    try:
        matches = label_selector_from_struct(selector["labelSelector"]).matches(meta.get("labels") or {})
    except SelectorError:  # Karmada admits these, and they select nothing
        return MISMATCH
    return MATCH_LABEL_SELECTOR if matches else MISMATCH


def implicit_priority(policy: dict, obj: dict) -> int:
    """The most specific of the policy's selectors that matches ``obj`` (MISMATCH when none does)."""
    return max(
        (selector_priority(s, obj) for s in (policy.get("spec") or {}).get("resourceSelectors") or ()),
        default=MISMATCH,
    )
