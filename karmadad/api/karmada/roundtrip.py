"""What passing through Karmada's Go types does to an object: ``omitempty`` and friends.

Why this module exists: Karmada's mutating webhooks (PropagationPolicy, ClusterPropagationPolicy,
OverridePolicy and Work on create and update; ResourceBinding and ClusterResourceBinding on create) decode
the object into Karmada's Go structs and answer with a patch to the struct encoded again. That re-encoding
normalises the object before the CRD schema is checked and before the validating webhooks look at it:

- a field tagged ``omitempty`` that holds Go's zero value (``""``, ``0``, ``false``, an empty list or map)
  disappears, so ``spreadByField: ""`` or ``clusterAffinities: []`` count as never sent, and the CRD
  default of such a field (``preemption``, ``schedulerName``, ...) comes back;
- a field without ``omitempty`` is always written: a missing required string, number or boolean comes back
  as ``""``, ``0`` or ``false``, a struct that is not a pointer as ``{}`` (``spec.placement``,
  ``spec.overriders``); a missing list or map comes back as null, which the API server drops again;
- timestamps are written in UTC with whole seconds.

The Go types are read off the pydantic models (:mod:`.policy`, :mod:`.work`, :mod:`.cluster`), which follow
them: a required field is one without ``omitempty``; an optional number or boolean (``int | None``) is a Go
pointer and keeps its zero value; an optional string (an enum such as ``spreadByField``) is a plain Go
string; a model-typed field that is not optional is a Go struct. ``metadata`` and free-form values
(manifests, JSON values, quantities) are left alone, and so is anything of a type Go could not decode:
the schema check reports it.
"""

from __future__ import annotations

import datetime
import functools
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, WithJsonSchema
from pydantic.fields import FieldInfo

from karmadad.api.karmada.meta import KarmadaModel, ObjectMeta

__all__ = ["go_roundtrip"]

_Shape = Literal["struct", "list", "map", "string", "integer", "boolean", "time", "opaque"]


@dataclass(frozen=True)
class _Field:
    shape: _Shape
    required: bool  # no omitempty: written even when empty
    pointer: bool  # a Go pointer: only an absent value is omitted
    model: type[KarmadaModel] | None = None  # the struct, or the model of list items / map values


def _unwrap(annotation: Any, metadata: list[Any]) -> tuple[Any, bool, list[Any]]:
    """(the type without Optional and Annotated, whether it was Optional, the Annotated metadata)."""
    optional = False
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType) and type(None) in args:
        optional = True
        rest = [arg for arg in args if arg is not type(None)]
        annotation = rest[0] if len(rest) == 1 else typing.Union[tuple(rest)]  # noqa: UP007
    if typing.get_origin(annotation) is typing.Annotated:
        base, *extra = typing.get_args(annotation)
        return base, optional, [*metadata, *extra]
    return annotation, optional, metadata


def _json_schema_of(metadata: list[Any]) -> dict[str, Any]:
    for item in metadata:
        if isinstance(item, WithJsonSchema) and isinstance(item.json_schema, dict):
            return item.json_schema
    return {}


def _model_of(annotation: Any) -> type[KarmadaModel] | None:
    annotation, _, _ = _unwrap(annotation, [])
    if isinstance(annotation, type) and issubclass(annotation, KarmadaModel) and annotation is not ObjectMeta:
        return annotation
    return None


def _shape(info: FieldInfo) -> _Field:
    annotation, optional, metadata = _unwrap(info.annotation, list(info.metadata))
    required = info.is_required()
    schema = _json_schema_of(metadata)
    if schema.get("format") == "date-time":
        return _Field("time", required, pointer=optional)
    if schema or annotation is Any:
        return _Field("opaque", required, pointer=optional)
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        model = _model_of(annotation)
        return _Field("struct" if model else "opaque", required, pointer=optional, model=model)
    if origin is list:
        return _Field("list", required, pointer=False, model=_model_of(typing.get_args(annotation)[0]))
    if origin is dict:
        return _Field("map", required, pointer=False, model=_model_of(typing.get_args(annotation)[1]))
    if annotation is bool:
        return _Field("boolean", required, pointer=optional)
    if annotation is int:
        return _Field("integer", required, pointer=optional)
    if annotation is str or origin is Literal:
        # Karmada's enums are plain Go strings; karmadad marks them optional only to keep "" out of the enum.
        return _Field("string", required, pointer=False)
    return _Field("opaque", required, pointer=optional)


@functools.cache
def _fields(model: type[KarmadaModel]) -> dict[str, _Field]:
    return {info.alias or name: _shape(info) for name, info in model.model_fields.items()}


_ZERO: dict[str, Any] = {"string": "", "integer": 0, "boolean": False}


def _is_zero(field: _Field, value: Any) -> bool:
    if field.shape == "string":
        return value == ""
    if field.shape == "integer":
        return isinstance(value, int) and not isinstance(value, bool) and value == 0
    if field.shape == "boolean":
        return value is False
    if field.shape in ("list", "map"):
        return isinstance(value, list | dict) and not value
    return False


def _go_time(value: Any) -> Any:
    """An RFC 3339 timestamp as metav1.Time writes it (UTC, whole seconds); other values unchanged."""
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return value
    if parsed.tzinfo is None:
        return value
    return parsed.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _value(field: _Field, value: Any) -> Any:
    if field.shape == "struct" and isinstance(value, dict) and field.model is not None:
        return go_roundtrip(field.model, value)
    if field.shape == "list" and isinstance(value, list) and field.model is not None:
        return [go_roundtrip(field.model, item) if isinstance(item, dict) else item for item in value]
    if field.shape == "map" and isinstance(value, dict) and field.model is not None:
        return {
            key: go_roundtrip(field.model, item) if isinstance(item, dict) else item
            for key, item in value.items()
        }
    if field.shape == "time":
        return _go_time(value)
    return value


def go_roundtrip(model: type[KarmadaModel], obj: dict) -> dict:
    """``obj`` decoded into the Go struct ``model`` stands for and encoded again (a new dict).

    ``obj`` should already be pruned and defaulted as the CRD's schema does; run the schema's defaulting
    again on the result, as the API server does after a webhook's patch.
    """
    fields = _fields(model)
    out: dict[str, Any] = {}
    for key, value in obj.items():
        field = fields.get(key)
        if field is None:
            out[key] = value
        elif field.pointer or field.required or not _is_zero(field, value):
            out[key] = _value(field, value)
    for key, field in fields.items():
        if key in obj or field.pointer:
            continue
        if field.shape == "struct" and field.model is not None:
            out[key] = go_roundtrip(field.model, {})
        elif field.required and field.shape in _ZERO:
            out[key] = _ZERO[field.shape]
    return out
