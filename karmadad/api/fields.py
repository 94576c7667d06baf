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
_SCALARS = frozenset({str, int, float, bool})


_TYPE_NAMES: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    dict: "object",
    list: "array",
}


def _json_type(value: Any) -> str:
    name = _TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, bool):
        return "boolean"
    for name in ("integer", "number", "string", "object", "array"):
        if isinstance(value, _JSON_TYPES[name]):
            return name
    return "null"


class _Shape:
    """What the walk needs of one schema, worked out once (schemas are shared and never change): the
    Python types its values may have (``accepts``; empty when any will do), whether it is a quantity, a
    struct (the shapes of its fields, each worked out when first met), a map or a list (the shape of its
    values or items, and the zero a null one becomes)."""

    __slots__ = (
        "_fields",
        "_items",
        "_values",
        "accepts",
        "items_zero",
        "leaves",
        "preserve",
        "properties",
        "quantity",
        "struct",
        "types",
        "values_zero",
    )

    def __init__(self, node: schemas.SchemaNode):
        self.preserve = bool(node.schema.get("x-kubernetes-preserve-unknown-fields"))
        self.types = node.types
        self.accepts = frozenset(kind for name in self.types for kind in _JSON_TYPES.get(name, ()))
        self.quantity = node.name == _QUANTITY
        # The types of value that need no walk below this schema: right-typed scalars (but a quantity's
        # text, which is checked), nulls, and anything where unknown fields are kept.
        if self.preserve:
            self.leaves: frozenset[type] = frozenset({*_SCALARS, type(None), dict, list})
        elif self.quantity:
            self.leaves = frozenset({type(None)})
        else:
            self.leaves = (_SCALARS & self.accepts if self.accepts else _SCALARS) | {type(None)}
        self.struct = node.is_struct
        properties = node.schema.get("properties")
        self.properties: Mapping[str, Any] = properties if isinstance(properties, dict) else {}
        values, items = node.map_values(), node.items()
        self._values = values.schema_site if values is not None else None
        self.values_zero = _zero_of(values)
        self._items = items.schema_site if items is not None else None
        self.items_zero = _zero_of(items)
        self._fields: dict[str, _Shape] = {}

    def field(self, key: str) -> _Shape:
        """The shape of a struct's field ``key`` (LookupError: the struct declares no such field)."""
        try:
            return self._fields[key]
        except KeyError:
            sub = _shape(self.properties.get(key) or self._values)
            if sub is None:
                raise LookupError(key) from None
            self._fields[key] = sub
            return sub

    @property
    def values(self) -> _Shape | None:
        return _shape(self._values)

    @property
    def items(self) -> _Shape | None:
        return _shape(self._items)


_SHAPES: dict[int, _Shape] = {}


def _shape(schema: Mapping[str, Any] | None) -> _Shape | None:
    if schema is None:
        return None
    shape = _SHAPES.get(id(schema))
    if shape is None:
        shape = _SHAPES[id(schema)] = _Shape(schemas.SchemaNode(schema))
    return shape


def _joined(trail: list[str]) -> str:
    return "".join(trail)[1:]  # the root is an object: the path starts with ".field"


def _walk(
    shape: _Shape | None,
    value: Any,
    trail: list[str],
    found: list[str],
    wrong: list[str] | None = None,
    zero_nulls: bool = False,
) -> None:
    """Check ``value`` against ``shape``; ``trail`` is its JSON path in pieces (``.key``, ``[index]``),
    joined only for what is reported."""
    if shape is None or shape.preserve:
        return
    kind = type(value)
    if wrong is not None and value is not None and shape.accepts and kind not in shape.accepts:
        actual = _json_type(value)
        if actual not in shape.types and not (actual == "integer" and "number" in shape.types):
            expected = "/".join(sorted(shape.types))
            wrong.append(f"{_joined(trail)}: expected {expected}, got {actual} {json.dumps(value)[:60]}")
            return
    if kind is dict or isinstance(value, dict):
        if shape.struct:
            for key, child in value.items():
                try:
                    sub = shape.field(key)
                except LookupError:
                    found.append(_joined([*trail, "." + key]))
                    continue
                if type(child) not in sub.leaves:
                    trail.append("." + key)
                    _walk(sub, child, trail, found, wrong, zero_nulls)
                    trail.pop()
        elif shape._values is not None:
            values, zero = shape.values, shape.values_zero if zero_nulls else None
            for key, child in value.items():
                if child is None and zero is not None:
                    value[key] = zero  # the same key: the dict does not change size
                elif values is None or type(child) not in values.leaves:
                    trail.append("." + key)
                    _walk(values, child, trail, found, wrong, zero_nulls)
                    trail.pop()
    elif kind is list or isinstance(value, list):
        items, zero = shape.items, shape.items_zero if zero_nulls else None
        for index, child in enumerate(value):
            if child is None and zero is not None:
                value[index] = zero
            elif items is None or type(child) not in items.leaves:
                trail.append(f"[{index}]")
                _walk(items, child, trail, found, wrong, zero_nulls)
                trail.pop()
    elif (
        shape.quantity
        and wrong is not None
        and isinstance(value, str)
        and not is_quantity_text(value.strip())
    ):
        wrong.append(QUANTITY_FORMAT)  # kube-apiserver's decoder says no more (no path either)


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
    _walk(_root(resource), body, [], found, wrong, zero_nulls)
    return wrong, found
