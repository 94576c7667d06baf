"""Checking a built-in object against its schema: unknown fields (``fieldValidation``: Strict rejects,
Warn warns) and values of the wrong JSON type (always rejected, as kube-apiserver's decoder does)."""

from __future__ import annotations

import json
from typing import Any

from karmadad.api import crd_schemas, schemas
from karmadad.api.registry import ResourceType
from karmadad.api.strategy import KARMADA_GROUPS
from karmadad.quantity import QUANTITY_FORMAT, is_quantity_text

_JSON_TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


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
    node: schemas.SchemaNode | None,
    value: Any,
    path: str,
    found: list[str],
    wrong: list[str] | None = None,
    zero_nulls: bool = False,
) -> None:
    if node is None or node.schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if wrong is not None and (expected := _type_mismatch(node, value)) is not None:
        wrong.append(f"{path}: expected {expected}, got {_json_type(value)} {json.dumps(value)[:60]}")
        return
    if (
        wrong is not None
        and node.name == _QUANTITY
        and isinstance(value, str)
        and not is_quantity_text(value.strip())
    ):
        wrong.append(QUANTITY_FORMAT)  # kube-apiserver's decoder says no more (no path either)
        return
    if isinstance(value, dict):
        if node.is_struct:
            for key, child in value.items():
                sub = node.field(key)
                if sub is None:
                    found.append(f"{path}.{key}" if path else key)
                else:
                    _walk(sub, child, f"{path}.{key}" if path else key, found, wrong, zero_nulls)
        elif node.is_map:
            values = node.map_values()
            zero = _zero_of(values) if zero_nulls else None
            for key, child in value.items():
                if child is None and zero is not None:
                    value[key] = zero  # the same key: the dict does not change size
                else:
                    _walk(values, child, f"{path}.{key}" if path else key, found, wrong, zero_nulls)
    elif isinstance(value, list):
        items = node.items()
        zero = _zero_of(items) if zero_nulls else None
        for index, child in enumerate(value):
            if child is None and zero is not None:
                value[index] = zero
            else:
                _walk(items, child, f"{path}[{index}]", found, wrong, zero_nulls)


_ZEROS = {"string": "", "integer": 0, "boolean": False}


def _zero_of(node: schemas.SchemaNode | None) -> Any:
    """Go's zero value for a plain string, integer or boolean schema (None for anything else: quantities,
    int-or-strings, objects...): what Go's decoder makes of a null map value or list item of that type."""
    if (
        node is None
        or len(node.types) != 1
        or node.schema.get("format")
        or node.schema.get("x-kubernetes-int-or-string")
    ):
        return None
    (kind,) = node.types
    return _ZEROS.get(kind)


def unknown_fields(resource: ResourceType, obj: dict) -> list[str]:
    """JSON paths of fields the kind's schema does not declare (a custom resource's: its CRD version's)."""
    if resource.group in KARMADA_GROUPS:
        from karmadad.api.karmada import unknown_fields as karmada_unknown

        return karmada_unknown(resource.kind, obj)
    if resource.custom:
        return crd_schemas.prepared(resource.extra.get("schema"), obj).unknown
    node = schemas.node_for(resource.api_version, resource.kind)
    found: list[str] = []
    _walk(node, {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}, "", found)
    return found


def type_errors(resource: ResourceType, obj: dict, *, zero_nulls: bool = False) -> list[str]:
    """``path: expected T, got U value`` for each value of a built-in kind with the wrong JSON type.

    With ``zero_nulls``, as Go's typed decoder does, a null value of a map or item of a list whose values are plain
    strings, integers or booleans becomes that type's zero (``"data": {"k": null}`` stores ``"k": ""``):
    ``obj`` is changed in place, so callers pass their own copy."""
    if resource.group in KARMADA_GROUPS or resource.custom:
        return []  # Karmada admission and CRD schemas check their own
    wrong: list[str] = []
    node = schemas.node_for(resource.api_version, resource.kind)
    _walk(node, {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}, "", [], wrong, zero_nulls)
    return wrong
