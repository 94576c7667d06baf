"""Checking a built-in object against its schema: unknown fields (``fieldValidation``: Strict rejects,
Warn warns) and values of the wrong JSON type (always rejected, as kube-apiserver's decoder does)."""

from __future__ import annotations

import json
from typing import Any

from karmadad.api import schemas
from karmadad.api.registry import ResourceType
from karmadad.api.strategy import KARMADA_GROUPS

_JSON_TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    for name in ("integer", "number", "string", "object", "array"):
        if isinstance(value, _JSON_TYPES[name]):
            return name
    return "null"


def _type_mismatch(node: schemas.SchemaNode, value: Any) -> str | None:
    """The expected type when ``value`` does not have it (None: fine, or the schema does not say)."""
    expected = node.types
    if value is None or not expected:
        return None
    actual = _json_type(value)
    if actual in expected or (actual == "integer" and "number" in expected):
        return None
    return "/".join(sorted(expected))


def _walk(
    node: schemas.SchemaNode | None, value: Any, path: str, found: list[str], wrong: list[str] | None = None
) -> None:
    if node is None or node.schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if wrong is not None and (expected := _type_mismatch(node, value)) is not None:
        wrong.append(f"{path}: expected {expected}, got {_json_type(value)} {json.dumps(value)[:60]}")
        return
    if isinstance(value, dict):
        if node.is_struct:
            for key, child in value.items():
                sub = node.field(key)
                if sub is None:
                    found.append(f"{path}.{key}" if path else key)
                else:
                    _walk(sub, child, f"{path}.{key}" if path else key, found, wrong)
        elif node.is_map:
            for key, child in value.items():
                _walk(node.map_values(), child, f"{path}.{key}" if path else key, found, wrong)
    elif isinstance(value, list):
        items = node.items()
        for index, child in enumerate(value):
            _walk(items, child, f"{path}[{index}]", found, wrong)


def unknown_fields(resource: ResourceType, obj: dict) -> list[str]:
    """JSON paths of fields the kind's schema does not declare (none known for custom resources)."""
    if resource.group in KARMADA_GROUPS:
        from karmadad.api.karmada import unknown_fields as karmada_unknown

        return karmada_unknown(resource.kind, obj)
    if resource.custom:
        return []
    node = schemas.node_for(resource.api_version, resource.kind)
    found: list[str] = []
    _walk(node, {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}, "", found)
    return found


def type_errors(resource: ResourceType, obj: dict) -> list[str]:
    """``path: expected T, got U value`` for each value of a built-in kind with the wrong JSON type."""
    if resource.group in KARMADA_GROUPS or resource.custom:
        return []  # Karmada admission and CRD schemas check their own
    wrong: list[str] = []
    node = schemas.node_for(resource.api_version, resource.kind)
    _walk(node, {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}, "", [], wrong)
    return wrong
