"""Field errors in kube-apiserver's words: the causes of a 422 Invalid.

Every validation in karmadad (built-in kinds, CRD schemas, Karmada's webhooks) reports its problems as
:class:`karmadad.errors.Cause` values worded as Go's ``field.Error`` prints them (``Required value``,
``Invalid value: "x": detail``, ``Unsupported value: ...``), with the reason kube-apiserver puts beside
them, because users and tools match on both. Paths are written as Go's ``field.Path`` writes them:
``spec.containers[0].resources.limits[cpu]``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from karmadad.errors import Cause

__all__ = [
    "GoStruct",
    "duplicate",
    "forbidden",
    "invalid",
    "nonnegative",
    "not_found",
    "not_supported",
    "render",
    "required",
    "too_long",
    "too_many",
]


class GoStruct(dict):
    """A Go struct shown in an error: its fields print in declaration order (this dict's order), where a
    Go map's keys print sorted. Internal API types have no json tags, so their fields are named as in Go
    (``{"Type":"Foo","RollingUpdate":null}``)."""


def _go_order(value: Any) -> Any:
    if isinstance(value, GoStruct):
        return {key: _go_order(item) for key, item in value.items()}
    if isinstance(value, dict):
        return {key: _go_order(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_go_order(item) for item in value]
    return value


def render(value: Any) -> str:
    """A value as Kubernetes prints it in a field error: strings quoted, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(_go_order(value), ensure_ascii=False, separators=(",", ":"))


def invalid(path: str, value: Any, detail: str) -> Cause:
    return Cause(path, f"Invalid value: {render(value)}: {detail}", "FieldValueInvalid")


def required(path: str, detail: str = "") -> Cause:
    return Cause(path, f"Required value: {detail}" if detail else "Required value", "FieldValueRequired")


def not_supported(path: str, value: Any, supported: Iterable[str]) -> Cause:
    listed = ", ".join(json.dumps(s) for s in supported)
    return Cause(
        path, f"Unsupported value: {render(value)}: supported values: {listed}", "FieldValueNotSupported"
    )


def forbidden(path: str, detail: str) -> Cause:
    return Cause(path, f"Forbidden: {detail}", "FieldValueForbidden")


def duplicate(path: str, value: Any, detail: str = "") -> Cause:
    message = f"Duplicate value: {render(value)}"
    return Cause(path, f"{message}: {detail}" if detail else message, "FieldValueDuplicate")


def not_found(path: str, value: Any) -> Cause:
    return Cause(path, f"Not found: {render(value)}", "FieldValueNotFound")


def too_long(path: str, limit: int) -> Cause:
    return Cause(path, f"Too long: may not be more than {limit} bytes", "FieldValueTooLong")


NEGATIVE = "must be greater than or equal to 0"


def nonnegative(value: Any, path: str) -> list[Cause]:
    """``ValidateNonnegativeField``: a count below zero (absent values pass)."""
    return [invalid(path, value, NEGATIVE)] if isinstance(value, int) and value < 0 else []


def too_many(path: str, actual: int, limit: int) -> Cause:
    return Cause(path, f"Too many: {actual}: must have at most {limit} items", "FieldValueTooMany")
