"""The ``policy.karmada.io/applied-overrides`` and ``applied-cluster-overrides`` Work annotations.

Why byte-exact: users and tools read these annotations to see which overrides reached a cluster, and
compare them across control planes. Karmada writes a JSON list of ``{"policyName", "overriders"}``, one
entry per applied override rule, sorted by policy name (not in the order applied), with the overriders
serialised as its Go API types serialise them: fields in declaration order, empty optional fields left
out, raw JSON values with sorted keys. A group with nothing applied gets no annotation at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from karmadad.api.karmada.names import APPLIED_CLUSTER_OVERRIDES, APPLIED_OVERRIDES
from karmadad.overrides.encoding import go_json


def _stored(value: Any) -> Any:
    """A raw JSON value as the API server stores it: object keys sorted, whole floats as integers."""
    if isinstance(value, dict):
        return {str(k): _stored(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list):
        return [_stored(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _patch_operations(operations: Iterable[dict], path_field: str) -> list[dict]:
    return [
        {
            path_field: _text(o.get(path_field)),
            "operator": _text(o.get("operator")),
            "value": _stored(o.get("value")),
        }
        for o in operations
    ]


def _image(overrider: dict) -> dict:
    shadow: dict[str, Any] = {}
    if overrider.get("predicate") is not None:
        shadow["predicate"] = {"path": _text(overrider["predicate"].get("path"))}
    shadow["component"] = _text(overrider.get("component"))
    shadow["operator"] = _text(overrider.get("operator"))
    if overrider.get("value"):
        shadow["value"] = _text(overrider["value"])
    return shadow


def _command_args(overrider: dict) -> dict:
    shadow: dict[str, Any] = {
        "containerName": _text(overrider.get("containerName")),
        "operator": _text(overrider.get("operator")),
    }
    if overrider.get("value"):
        shadow["value"] = [_text(v) for v in overrider["value"]]
    return shadow


def _label_annotation(overrider: dict) -> dict:
    value = overrider.get("value")
    return {
        "operator": _text(overrider.get("operator")),
        "value": None if value is None else {k: _text(value[k]) for k in sorted(value)},
    }


def _field(overrider: dict) -> dict:
    shadow: dict[str, Any] = {"fieldPath": _text(overrider.get("fieldPath"))}
    for language in ("json", "yaml"):
        if overrider.get(language):
            shadow[language] = _patch_operations(overrider[language], "subPath")
    return shadow


def overriders_shadow(overriders: dict | None) -> dict:
    """``overriders`` reduced to the fields Karmada's API type has, in its field order."""
    overriders = overriders or {}
    shadow: dict[str, Any] = {}
    if overriders.get("plaintext"):
        shadow["plaintext"] = _patch_operations(overriders["plaintext"], "path")
    if overriders.get("imageOverrider"):
        shadow["imageOverrider"] = [_image(o) for o in overriders["imageOverrider"]]
    for key in ("commandOverrider", "argsOverrider"):
        if overriders.get(key):
            shadow[key] = [_command_args(o) for o in overriders[key]]
    for key in ("labelsOverrider", "annotationsOverrider"):
        if overriders.get(key):
            shadow[key] = [_label_annotation(o) for o in overriders[key]]
    if overriders.get("fieldOverrider"):
        shadow["fieldOverrider"] = [_field(o) for o in overriders["fieldOverrider"]]
    return shadow


def applied_value(items: Iterable[tuple[str, dict | None]]) -> str | None:
    """The annotation value for (policy name, overriders) pairs in the order applied; None when empty."""
    entries = sorted(items, key=lambda item: item[0])  # stable: rules of one policy keep their order
    if not entries:
        return None
    return go_json([{"policyName": name, "overriders": overriders_shadow(o)} for name, o in entries])


def applied_annotations(
    cluster_items: Iterable[tuple[str, dict | None]], namespaced_items: Iterable[tuple[str, dict | None]]
) -> dict[str, str]:
    annotations: dict[str, str] = {}
    if (value := applied_value(cluster_items)) is not None:
        annotations[APPLIED_CLUSTER_OVERRIDES] = value
    if (value := applied_value(namespaced_items)) is not None:
        annotations[APPLIED_OVERRIDES] = value
    return annotations


def cluster_override_reference(name: str) -> str:
    """A ClusterOverridePolicy as Karmada's override Events name it."""
    return f"cluster override policy({name})"


def override_reference(namespace: str, name: str) -> str:
    """An OverridePolicy as Karmada's override Events name it."""
    return f"override policy({namespace}/{name})"


def applied_references(annotations: dict[str, str], namespace: str) -> list[str]:
    """Each override rule the applied-overrides annotations record, as Karmada's Events name its policy:
    cluster-wide ones first (OverridePolicies live in the object's ``namespace``)."""

    def names(key: str) -> list[str]:
        return [entry["policyName"] for entry in json.loads(annotations.get(key) or "[]")]

    return [
        *(cluster_override_reference(name) for name in names(APPLIED_CLUSTER_OVERRIDES)),
        *(override_reference(namespace, name) for name in names(APPLIED_OVERRIDES)),
    ]


def applied_message(reference: str, cluster: str, *, ok: bool) -> str:
    """The message of Karmada's ApplyOverridePolicySucceed / ApplyOverridePolicyFailed Event."""
    return f"Apply {reference} for cluster({cluster}) {'succeed' if ok else 'failed'}."
