"""Kubernetes-style field errors and the small name/value validators Karmada's webhooks rely on.

Why this module exists: admission reports every problem as a :class:`karmadad.errors.Cause` whose message
reads like a Kubernetes ``field.Error`` (``Invalid value: "x": ...``, ``Required value``, ``Unsupported
value: ...``), because users and tools match on those words. The validators follow
``k8s.io/apimachinery/pkg/util/validation`` (qualified names, label values, DNS-1123 labels) and
go-openapi's JSON pointer rule; the texts are kept close to the originals.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from karmadad.errors import Cause
from karmadad.quantity import exact_quantity as parse_quantity  # the one exact parser; re-exported

__all__ = [
    "MAX_INT64",
    "dns1123_label_problems",
    "duplicate",
    "forbidden",
    "invalid",
    "json_pointer_problem",
    "label_value_problems",
    "not_supported",
    "parse_quantity",
    "qualified_name_problems",
    "render",
    "required",
    "too_long",
]

MAX_INT64 = 2**63 - 1


# --------------------------------------------------------------------------- causes


def render(value: Any) -> str:
    """A value as Kubernetes prints it in a field error: strings quoted, objects as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


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


def too_long(path: str, limit: int) -> Cause:
    return Cause(path, f"Too long: may not be more than {limit} bytes", "FieldValueTooLong")


# --------------------------------------------------------------------------- names and values

_QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = f"({_QUALIFIED_NAME_FMT})?"
_DNS1123_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN_FMT = rf"{_DNS1123_LABEL_FMT}(\.{_DNS1123_LABEL_FMT})*"

_QUALIFIED_NAME_RE = re.compile(_QUALIFIED_NAME_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_DNS1123_LABEL_RE = re.compile(_DNS1123_LABEL_FMT)
_DNS1123_SUBDOMAIN_RE = re.compile(_DNS1123_SUBDOMAIN_FMT)

_QUALIFIED_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
    "character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must "
    "start and end with an alphanumeric character"
)
_DNS1123_LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
    "and end with an alphanumeric character"
)
_DNS1123_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
    "start and end with an alphanumeric character"
)


def _regex_error(message: str, pattern: str, *examples: str) -> str:
    # The shape of apimachinery's RegexError, including the double spaces between examples.
    listed = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {listed}regex used for validation is '{pattern}')"


def _max_len_error(limit: int) -> str:
    return f"must be no more than {limit} characters"


def qualified_name_problems(name: str) -> list[str]:
    """Why ``name`` is not a qualified name (``[prefix/]name``, as label keys); empty when it is."""
    parts = name.split("/")
    if len(parts) > 2:
        hint = _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        return [
            f"a qualified name {hint} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    problems: list[str] = []
    short = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            if len(prefix) > 253:
                problems.append(f"prefix part {_max_len_error(253)}")
            if not _DNS1123_SUBDOMAIN_RE.fullmatch(prefix):
                hint = _regex_error(_DNS1123_SUBDOMAIN_MSG, _DNS1123_SUBDOMAIN_FMT, "example.com")
                problems.append(f"prefix part {hint}")
    if not short:
        problems.append("name part must be non-empty")
    elif len(short) > 63:
        problems.append(f"name part {_max_len_error(63)}")
    if not _QUALIFIED_NAME_RE.fullmatch(short):
        hint = _regex_error(_QUALIFIED_NAME_MSG, _QUALIFIED_NAME_FMT, "MyName", "my.name", "123-abc")
        problems.append(f"name part {hint}")
    return problems


def label_value_problems(value: str) -> list[str]:
    problems: list[str] = []
    if len(value) > 63:
        problems.append(_max_len_error(63))
    if not _LABEL_VALUE_RE.fullmatch(value):
        problems.append(_regex_error(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return problems


def dns1123_label_problems(value: str) -> list[str]:
    problems: list[str] = []
    if len(value) > 63:
        problems.append(_max_len_error(63))
    if not _DNS1123_LABEL_RE.fullmatch(value):
        problems.append(_regex_error(_DNS1123_LABEL_MSG, _DNS1123_LABEL_FMT, "my-name", "123-abc"))
    return problems


def json_pointer_problem(pointer: str) -> str | None:
    """Why ``pointer`` is not a JSON pointer to go-openapi's parser (which Karmada uses), or None.

    Like that parser, only the leading ``/`` is checked: a ``~`` not followed by ``0`` or ``1`` is taken as
    it is.
    """
    if pointer and not pointer.startswith("/"):
        return 'JSON pointer must be empty or start with a "/"'
    return None


# --------------------------------------------------------------------------- quantities
