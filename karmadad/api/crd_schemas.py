"""Custom resources as kube-apiserver's apiextensions handler reads them, by the structural schema of their
CRD version: unknown fields pruned, ``default`` values filled in, values checked as go-openapi checks them
(in its words: ``spec.size in body should be greater than or equal to 1``), list types, embedded
resources, and the ``x-kubernetes-validations`` rules in CEL (``cel-python``).

Some of go-openapi's ways are kept on purpose, because clients see them: a bound is compared with an
integer value as an integer (``maximum: 9.5`` refuses 10 as "less than or equal to 9"), the failures of
``anyOf``, ``oneOf`` and ``not`` have no field path (``<nil>``), and CEL rules are not run on an object
whose schema checks failed (one cause says so instead).
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

import celpy

from karmadad.api.cel_library import FUNCTIONS
from karmadad.api.field_errors import (
    duplicate,
    forbidden,
    invalid,
    required,
    too_long,
    too_many,
)
from karmadad.errors import Cause

__all__ = ["Prepared", "prepared", "rule_syntax_problem", "scale_causes", "schema_causes"]

_ROOT_KEPT = ("apiVersion", "kind", "metadata")
_NOT_CHECKED = Cause(
    "<nil>",
    "Invalid value: null: some validation rules were not checked because the object was invalid; correct the "
    "existing errors to complete validation",
    "FieldValueInvalid",
)
# Causes after which kube-apiserver runs no CEL rule (their values may not have the declared types).
_BLOCKING = frozenset(
    {
        "FieldValueNotSupported",
        "FieldValueRequired",
        "FieldValueTooLong",
        "FieldValueTooMany",
        "FieldValueTypeInvalid",
    }
)
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


@dataclass
class Prepared:
    """An object pruned and defaulted, and the paths of the fields its schema does not know."""

    obj: dict
    unknown: list[str] = field(default_factory=list)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _field_schema(schema: dict, key: str) -> dict | None:
    """The schema of field ``key`` of an object: its property, else its ``additionalProperties``."""
    sub = (schema.get("properties") or {}).get(key)
    if sub is None and isinstance(schema.get("additionalProperties"), dict):
        sub = schema["additionalProperties"]
    return sub


def _is_object(schema: dict) -> bool:
    return schema.get("type") == "object" or "properties" in schema or "additionalProperties" in schema


def _shaped(schema: dict, value: Any, path: str, unknown: list[str], *, root: bool = False) -> Any:
    """``value`` pruned of unknown fields and of nulls its schema does not allow, then defaulted."""
    if isinstance(value, dict) and _is_object(schema):
        keep_unknown = schema.get("x-kubernetes-preserve-unknown-fields") is True
        embedded = schema.get("x-kubernetes-embedded-resource") is True
        out: dict[str, Any] = {}
        for key, item in value.items():
            sub = _field_schema(schema, key)
            if (root or embedded) and key in _ROOT_KEPT:
                out[key] = item
                continue
            if sub is None:
                if keep_unknown:
                    out[key] = item
                else:
                    unknown.append(_join(path, key))
                continue
            if item is None and not sub.get("nullable"):
                continue  # pruned, then perhaps defaulted below
            out[key] = _shaped(sub, item, _join(path, key), unknown)
        for key, sub in (schema.get("properties") or {}).items():
            if key not in out and "default" in sub:
                out[key] = _shaped(sub, copy.deepcopy(sub["default"]), _join(path, key), [])
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [
            _shaped(schema["items"], item, f"{path}[{index}]", unknown) for index, item in enumerate(value)
        ]
    return value


def prepared(schema: dict | None, obj: dict) -> Prepared:
    """``obj`` as stored under ``schema`` (a version's ``openAPIV3Schema``; None: taken as it is)."""
    if not isinstance(schema, dict):
        return Prepared(obj)
    unknown: list[str] = []
    shaped = _shaped(schema, obj, "", unknown, root=True)
    return Prepared(shaped, unknown)


# --- value validation ----------------------------------------------------------------------------


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _fits(declared: str, value: Any) -> bool:
    actual = _type_name(value)
    return actual == declared or (declared == "number" and actual == "integer")


def _number(bound: Any, value: Any) -> float:
    """A bound as go-openapi compares it with ``value``: truncated to an integer for integer values."""
    return math.trunc(bound) if isinstance(value, int) and not isinstance(value, bool) else bound


def _shown_number(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else repr(float(number))


_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+|[^@\s]+@[^@\s.]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}")
_HOSTNAME = re.compile(
    r"(?=.{1,255}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
_MAC = re.compile(r"([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}")
_DURATION = re.compile(r"-?([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h|d|w))+|0")


def _format_ok(name: str, text: str) -> bool:
    """The string formats kube-apiserver checks (its restricted strfmt registry); others pass."""
    checks = {
        "date-time": lambda: _RFC3339.fullmatch(text) is not None and _parses_time(text),
        "datetime": lambda: _RFC3339.fullmatch(text) is not None and _parses_time(text),
        "date": lambda: _parses_date(text),
        "email": lambda: _EMAIL.fullmatch(text) is not None,
        "uuid": lambda: _UUID.fullmatch(text) is not None,
        "hostname": lambda: _HOSTNAME.fullmatch(text) is not None,
        "ipv4": lambda: _ip(text, 4),
        "ipv6": lambda: _ip(text, 6),
        "cidr": lambda: _cidr(text),
        "mac": lambda: _MAC.fullmatch(text) is not None,
        "byte": lambda: _base64(text),
        "duration": lambda: _DURATION.fullmatch(text) is not None,
    }
    check = checks.get(name)
    return True if check is None else bool(check())


def _parses_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError:
        return False
    return True


def _parses_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True


def _ip(text: str, version: int) -> bool:
    try:
        return ipaddress.ip_address(text).version == version
    except ValueError:
        return False


def _cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return "/" in text


def _base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _type_error(path: str, actual: str, expected: str) -> Cause:
    message = f'Invalid value: "{actual}": {path} in body must be of type {expected}: "{actual}"'
    return Cause(path, message, "FieldValueTypeInvalid")


class _Checker:
    """One validation of one object: collects causes, and whether any CEL rule was met on the way."""

    def __init__(self) -> None:
        self.causes: list[Cause] = []

    def check(self, schema: dict, value: Any, path: str) -> None:
        if value is None:
            if not schema.get("nullable") and schema.get("type"):
                self.causes.append(_type_error(path, "null", schema["type"]))
            return
        if schema.get("x-kubernetes-int-or-string"):
            if _type_name(value) not in ("integer", "string"):
                self.causes.append(_type_error(path, _type_name(value), "integer,string"))
                return
        elif (declared := schema.get("type")) and not _fits(declared, value):
            self.causes.append(_type_error(path, _type_name(value), declared))
            return
        self._enum(schema, value, path)
        if isinstance(value, bool):
            pass
        elif isinstance(value, int | float):
            self._number(schema, value, path)
        elif isinstance(value, str):
            self._string(schema, value, path)
        elif isinstance(value, list):
            self._array(schema, value, path)
        elif isinstance(value, dict):
            self._object(schema, value, path)
        self._combinations(schema, value, path)

    def _enum(self, schema: dict, value: Any, path: str) -> None:
        allowed = schema.get("enum")
        if isinstance(allowed, list) and value not in allowed:
            listed = ", ".join(json.dumps(a, separators=(",", ":")) for a in allowed)
            message = (
                f"Unsupported value: {json.dumps(value, separators=(',', ':'))}: supported values: {listed}"
            )
            self.causes.append(Cause(path, message, "FieldValueNotSupported"))

    def _number(self, schema: dict, value: float, path: str) -> None:
        shown = _shown_number(value)
        factor = schema.get("multipleOf")
        if isinstance(factor, int | float):
            factor = _number(factor, value)
            if factor <= 0:
                message = f"factor MultipleOf declared for {path} must be positive: {_shown_number(factor)}"
                self.causes.append(
                    Cause(path, f"Invalid value: {_shown_number(factor)}: {message}", "FieldValueInvalid")
                )
            elif abs(value / factor - round(value / factor)) > 1e-9:
                message = f"{path} in body should be a multiple of {_shown_number(factor)}"
                self.causes.append(Cause(path, f"Invalid value: {shown}: {message}", "FieldValueInvalid"))
        for key, exclusive_key, less, words in (
            ("maximum", "exclusiveMaximum", True, "less than"),
            ("minimum", "exclusiveMinimum", False, "greater than"),
        ):
            bound = schema.get(key)
            if not isinstance(bound, int | float):
                continue
            limit = _number(bound, value)
            exclusive = schema.get(exclusive_key) is True
            broken = (
                (value >= limit if exclusive else value > limit)
                if less
                else (value <= limit if exclusive else value < limit)
            )
            if broken:
                relation = words if exclusive else f"{words} or equal to"
                message = f"{path} in body should be {relation} {_shown_number(limit)}"
                self.causes.append(Cause(path, f"Invalid value: {shown}: {message}", "FieldValueInvalid"))
        fmt = schema.get("format")
        bounds = {"int32": _INT32, "int64": _INT64}.get(fmt) if isinstance(fmt, str) else None
        if bounds and isinstance(value, int) and not bounds[0] <= value <= bounds[1]:
            message = f'Invalid value: "": Checked value must be of type integer with format {fmt} in {path}'
            self.causes.append(Cause("<nil>", message, "FieldValueInvalid"))

    def _string(self, schema: dict, value: str, path: str) -> None:
        shown = json.dumps(value, ensure_ascii=False)
        maximum, minimum = schema.get("maxLength"), schema.get("minLength")
        if isinstance(maximum, int) and len(value) > maximum:
            self.causes.append(too_long(path, maximum))
        if isinstance(minimum, int) and len(value) < minimum:
            message = f"{path} in body should be at least {minimum} chars long"
            self.causes.append(Cause(path, f"Invalid value: {shown}: {message}", "FieldValueInvalid"))
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and _compiled(pattern).search(value) is None:
            message = f"{path} in body should match '{pattern}'"
            self.causes.append(Cause(path, f"Invalid value: {shown}: {message}", "FieldValueInvalid"))
        fmt = schema.get("format")
        if isinstance(fmt, str) and not _format_ok(fmt, value):
            message = f"Invalid value: {shown}: {path} in body must be of type {fmt}: {shown}"
            self.causes.append(Cause(path, message, "FieldValueTypeInvalid"))

    def _array(self, schema: dict, value: list, path: str) -> None:
        maximum, minimum = schema.get("maxItems"), schema.get("minItems")
        if isinstance(maximum, int) and len(value) > maximum:
            self.causes.append(too_many(path, len(value), maximum))
        if isinstance(minimum, int) and len(value) < minimum:
            message = f"Invalid value: {len(value)}: {path} in body should have at least {minimum} items"
            self.causes.append(Cause(path, message, "FieldValueInvalid"))
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                self.check(items, item, f"{path}[{index}]")
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "set":
            seen: list[Any] = []
            for index, item in enumerate(value):
                if item in seen:
                    self.causes.append(duplicate(f"{path}[{index}]", item))
                seen.append(item)
        elif list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys") or []
            seen_keys: list[dict] = []
            for index, item in enumerate(value):
                if not isinstance(item, dict):
                    continue
                key = {k: item[k] for k in keys if k in item}
                if key in seen_keys:
                    self.causes.append(duplicate(f"{path}[{index}]", key))
                seen_keys.append(key)

    def _object(self, schema: dict, value: dict, path: str) -> None:
        maximum, minimum = schema.get("maxProperties"), schema.get("minProperties")
        if isinstance(maximum, int) and len(value) > maximum:
            self.causes.append(too_many(path, len(value), maximum))
        if isinstance(minimum, int) and len(value) < minimum:
            message = f"Invalid value: {len(value)}: {path} in body should have at least {minimum} properties"
            self.causes.append(Cause(path, message, "FieldValueInvalid"))
        for key in schema.get("required") or []:
            if key not in value:
                self.causes.append(required(_join(path, key)))
        if schema.get("x-kubernetes-embedded-resource"):
            for key in ("apiVersion", "kind"):
                if not value.get(key):
                    self.causes.append(required(_join(path, key)))
        for key, item in value.items():
            if (sub := _field_schema(schema, key)) is not None:
                self.check(sub, item, _join(path, key))

    def _combinations(self, schema: dict, value: Any, path: str) -> None:
        for key in ("allOf", "anyOf", "oneOf"):
            options = schema.get(key)
            if not isinstance(options, list):
                continue
            results = [self._trial(option, value, path) for option in options]
            passed = sum(1 for causes in results if not causes)
            if key == "allOf":
                for causes in results:
                    self.causes.extend(causes)
            elif key == "anyOf" and not passed:
                self.causes.append(_unpathed(f'"{path}" must validate at least one schema (anyOf)'))
                self.causes.extend(results[0] if results else [])
            elif key == "oneOf" and passed != 1:
                found = f"Found {passed} valid alternatives" if passed else "Found none valid"
                self.causes.append(
                    _unpathed(f'"{path}" must validate one and only one schema (oneOf). {found}')
                )
                if not passed and results:
                    self.causes.extend(results[0])
        negated = schema.get("not")
        if isinstance(negated, dict) and not self._trial(negated, value, path):
            self.causes.append(_unpathed(f'"{path}" must not validate the schema (not)'))

    def _trial(self, schema: dict, value: Any, path: str) -> list[Cause]:
        trial = _Checker()
        trial.check(schema, value, path)
        return trial.causes


def _unpathed(detail: str) -> Cause:
    return Cause("<nil>", f'Invalid value: "": {detail}', "FieldValueInvalid")


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error:
        return re.compile(re.escape(pattern))


# --- CEL rules -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> celpy.Environment:
    """The CEL environment, built on first use: building its parser takes about half a second, which a
    control plane without CEL rules should not pay at start."""
    return celpy.Environment()


def rule_syntax_problem(rule: str) -> str | None:
    """Why a CEL rule does not parse (None when it does), for checking CustomResourceDefinitions."""
    try:
        _environment().compile(rule)
    except celpy.CELParseError as error:
        where = str(error).rstrip("\n")
        return f"ERROR: <input>: Syntax error\n | {where.replace(chr(10), chr(10) + ' | ')}"
    return None


@lru_cache(maxsize=1024)
def _program(rule: str) -> Any:
    environment = _environment()
    return environment.program(environment.compile(rule), functions=FUNCTIONS)


_NO_OLD = object()


def _rules(schema: dict, value: Any, path: str, old: Any = _NO_OLD) -> Iterator[tuple[dict, Any, str, Any]]:
    """Every (rule, value, path, old value) the schema's ``x-kubernetes-validations`` apply to, outer ones
    first; the old value is the one at the same place in the object being replaced (``_NO_OLD`` if none:
    a create, a new field, or a list item, which has no identity to follow)."""
    if value is None:
        return
    for rule in schema.get("x-kubernetes-validations") or []:
        yield rule, value, path, old
    if isinstance(value, dict):
        for key, item in value.items():
            if (sub := _field_schema(schema, key)) is not None:
                before = old.get(key, _NO_OLD) if isinstance(old, dict) else _NO_OLD
                yield from _rules(sub, item, _join(path, key), before)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            yield from _rules(schema["items"], item, f"{path}[{index}]")


def _has_rules(schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    if schema.get("x-kubernetes-validations"):
        return True
    children = [
        *(schema.get("properties") or {}).values(),
        schema.get("items"),
        schema.get("additionalProperties"),
    ]
    return any(_has_rules(child) for child in children)


def _rule_cause(rule: dict, value: Any, path: str) -> Cause:
    message = rule.get("message") or f"failed rule: {rule.get('rule', '')}"
    where = path + (rule.get("fieldPath") or "")
    reason = rule.get("reason") or "FieldValueInvalid"
    if reason == "FieldValueForbidden":
        return forbidden(where, message)
    if reason == "FieldValueRequired":
        return required(where, message)
    if reason == "FieldValueDuplicate":
        return Cause(where, f"Duplicate value: {message}", reason)
    if isinstance(value, dict | list):
        return Cause(where, f"Invalid value: {message}", "FieldValueInvalid")
    return invalid(where, value, message)


def _cel_causes(schema: dict, obj: dict, old: dict | None) -> list[Cause]:
    causes = []
    for rule, value, path, before in _rules(schema, obj, "", _NO_OLD if old is None else old):
        text = rule.get("rule", "")
        bindings = {"self": celpy.json_to_cel(value)}
        if "oldSelf" in text:
            if before is _NO_OLD:
                continue  # a transition rule runs only where there was a value before
            bindings["oldSelf"] = celpy.json_to_cel(before)
        try:
            passed = _program(text).evaluate(bindings)
        except Exception as error:  # a rule that cannot run on this value is reported, as Go does
            causes.append(Cause(path, f"Invalid value: {error}", "FieldValueInvalid"))
            continue
        if not bool(passed):
            causes.append(_rule_cause(rule, value, path))
    return causes


def _go_value(value: Any) -> tuple[str, str]:
    """How Go's ``%v`` and ``%T`` print a value decoded from JSON (for accessor errors)."""
    if isinstance(value, list):
        return "[" + " ".join(_go_value(item)[0] for item in value) + "]", "[]interface {}"
    if isinstance(value, dict):
        inner = " ".join(f"{key}:{_go_value(item)[0]}" for key, item in sorted(value.items()))
        return f"map[{inner}]", "map[string]interface {}"
    if isinstance(value, bool):
        return ("true" if value else "false"), "bool"
    if isinstance(value, str):
        return value, "string"
    if isinstance(value, float):
        return _shown_number(value), "float64"
    return str(value), "int64"


def _replicas_causes(obj: dict, json_path: str | None, *, optional: bool = True) -> list[Cause]:
    """``ValidateScaleSpec``/``ValidateScaleStatus``: the replicas a scale subresource reads are an int32."""
    if not json_path:
        return []
    value: Any = obj
    for step in json_path.removeprefix(".").split("."):
        if not isinstance(value, dict):
            shown, kind = _go_value(value)
            detail = f"{json_path} accessor error: {shown} is of the type {kind}, expected map[string]interface{{}}"
            return [Cause(json_path, f"Invalid value: 0: {detail}", "FieldValueInvalid")]
        if step not in value:
            return []
        value = value[step]
    if not isinstance(value, int) or isinstance(value, bool):
        shown, kind = _go_value(value)
        detail = f"{json_path} accessor error: {shown} is of the type {kind}, expected int64"
        return [Cause(json_path, f"Invalid value: 0: {detail}", "FieldValueInvalid")]
    if value < 0:
        return [invalid(json_path, value, "should be a non-negative integer")]
    if value > _INT32[1]:
        return [invalid(json_path, value, f"should be less than or equal to {_INT32[1]}")]
    return []


def scale_causes(scale: dict | None, obj: dict) -> list[Cause]:
    """The replicas paths of a CRD version's scale subresource, read from ``obj``."""
    if not isinstance(scale, dict):
        return []
    return [
        *_replicas_causes(obj, scale.get("specReplicasPath")),
        *_replicas_causes(obj, scale.get("statusReplicasPath")),
    ]


def value_causes(schema: dict, value: Any) -> list[Cause]:
    """What the schema's value checks (types, formats, enums, bounds; no CEL) find wrong with ``value``,
    its causes pathed from the value itself (a default in a CRD's schema is checked so)."""
    checker = _Checker()
    checker.check(schema, value, "")
    return checker.causes


def schema_causes(
    schema: dict | None, obj: dict, scale: dict | None = None, old: dict | None = None
) -> list[Cause]:
    """What the structural schema, the scale subresource and the CEL rules find wrong with ``obj`` (pruned
    and defaulted); ``old``: the object it replaces, for the transition rules (``oldSelf``)."""
    if not isinstance(schema, dict):
        return scale_causes(scale, obj)
    checker = _Checker()
    body = {key: value for key, value in obj.items() if key not in _ROOT_KEPT}
    root = {**schema, "required": [r for r in schema.get("required") or [] if r not in _ROOT_KEPT]}
    checker.check(root, body, "")
    causes = [*checker.causes, *scale_causes(scale, obj)]
    if not _has_rules(schema):
        return causes
    if any(cause.reason in _BLOCKING for cause in causes):
        return [*causes, _NOT_CHECKED]  # CEL needs values of the declared types
    return [*causes, *_cel_causes(schema, obj, old)]
