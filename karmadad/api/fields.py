"""Checking a built-in object against its schema: unknown fields (``fieldValidation``: Strict rejects,
Warn warns) and values of the wrong JSON type (always rejected, as kube-apiserver's decoder does)."""

from __future__ import annotations

import json
from collections.abc import Mapping
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


class _Shape:
    """What the walk needs of one schema, worked out once (schemas are shared and never change): allowed
    types, whether it is a quantity, a struct (its properties), a map or a list (the schema of its values
    or items, and the zero a null one becomes)."""

    __slots__ = (
        "items",
        "items_zero",
        "preserve",
        "properties",
        "quantity",
        "struct",
        "types",
        "values",
        "values_zero",
    )

    def __init__(self, node: schemas.SchemaNode):
        self.preserve = bool(node.schema.get("x-kubernetes-preserve-unknown-fields"))
        self.types = node.types
        self.quantity = node.name == _QUANTITY
        self.struct = node.is_struct
        properties = node.schema.get("properties")
        self.properties: Mapping[str, Any] = properties if isinstance(properties, dict) else {}
        values, items = node.map_values(), node.items()
        self.values = values.schema_site if values is not None else None
        self.values_zero = _zero_of(values)
        self.items = items.schema_site if items is not None else None
        self.items_zero = _zero_of(items)


_SHAPES: dict[int, _Shape] = {}


def _shape(schema: Mapping[str, Any] | None) -> _Shape | None:
    if schema is None:
        return None
    shape = _SHAPES.get(id(schema))
    if shape is None:
        shape = _SHAPES[id(schema)] = _Shape(schemas.SchemaNode(schema))
    return shape


def _walk(
    shape: _Shape | None,
    value: Any,
    path: str,
    found: list[str],
    wrong: list[str] | None = None,
    zero_nulls: bool = False,
) -> None:
    if shape is None or shape.preserve:
        return
    if wrong is not None and value is not None and shape.types:
        actual = _json_type(value)
        if actual not in shape.types and not (actual == "integer" and "number" in shape.types):
            expected = "/".join(sorted(shape.types))
            wrong.append(f"{path}: expected {expected}, got {actual} {json.dumps(value)[:60]}")
            return
    if (
        wrong is not None
        and shape.quantity
        and isinstance(value, str)
        and not is_quantity_text(value.strip())
    ):
        wrong.append(QUANTITY_FORMAT)  # kube-apiserver's decoder says no more (no path either)
        return
    if isinstance(value, dict):
        if shape.struct:
            for key, child in value.items():
                sub = shape.properties.get(key) or shape.values
                if sub is None:
                    found.append(f"{path}.{key}" if path else key)
                else:
                    _walk(_shape(sub), child, f"{path}.{key}" if path else key, found, wrong, zero_nulls)
        elif shape.values is not None:
            values, zero = _shape(shape.values), shape.values_zero if zero_nulls else None
            for key, child in value.items():
                if child is None and zero is not None:
                    value[key] = zero  # the same key: the dict does not change size
                else:
                    _walk(values, child, f"{path}.{key}" if path else key, found, wrong, zero_nulls)
    elif isinstance(value, list):
        items, zero = _shape(shape.items), shape.items_zero if zero_nulls else None
        for index, child in enumerate(value):
            if child is None and zero is not None:
                value[index] = zero
            else:
                _walk(items, child, f"{path}[{index}]", found, wrong, zero_nulls)


def _root(resource: ResourceType) -> _Shape | None:
    node = schemas.node_for(resource.api_version, resource.kind)
    return None if node is None else _shape(node.schema_site)


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


def inspected(resource: ResourceType, obj: dict, *, zero_nulls: bool = False) -> tuple[list[str], list[str]]:
    """(values of the wrong JSON type, as ``path: expected T, got U value``; JSON paths of fields the kind's
    schema does not declare) of an object, in one walk over a built-in one.

    With ``zero_nulls``, as Go's typed decoder does, a null value of a map or item of a list whose values
    are plain strings, integers or booleans becomes that type's zero (``"data": {"k": null}`` stores
    ``"k": ""``): ``obj`` is changed in place, so callers pass their own copy."""
    if resource.group in KARMADA_GROUPS:
        from karmadad.api.karmada import unknown_fields as karmada_unknown

        return [], karmada_unknown(resource.kind, obj)  # Karmada admission checks their types
    if resource.custom:
        return [], crd_schemas.prepared(
            resource.extra.get("schema"), obj
        ).unknown  # their schema checks types
    wrong: list[str] = []
    found: list[str] = []
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    _walk(_root(resource), body, "", found, wrong, zero_nulls)
    return wrong, found
