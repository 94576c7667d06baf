"""Reading fields of plain-dict objects the way Karmada reads its typed Go structs.

Karmada converts an object (or a member's reflected status) into a typed struct before its interpreters look
at it. A missing field reads as the zero value, and a field of the wrong type (a string where a count
belongs) makes the conversion fail — the interpreter then reports an error instead of an answer (health
``Unknown``, no status). These helpers give the interpreters here the same two behaviours:
:class:`Malformed` for the second.
"""

from __future__ import annotations

import datetime
from typing import Any


class Malformed(ValueError):
    """A field has a type Karmada's typed conversion would reject."""


def at(obj: Any, *path: str) -> Any:
    """The value at ``path`` or None; a non-map on the way is malformed."""
    for key in path:
        if obj is None:
            return None
        if not isinstance(obj, dict):
            raise Malformed(f"{key}: parent is not an object")
        obj = obj.get(key)
    return obj


def as_int(value: Any, what: str = "value") -> int:
    """An integer field: absent is 0; whole floats pass (JSON numbers); anything else is malformed."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise Malformed(f"{what}: {value!r} is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise Malformed(f"{what}: {value!r} is not an integer")


def as_str(value: Any, what: str = "value") -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Malformed(f"{what}: {value!r} is not a string")
    return value


def as_map(value: Any, what: str = "value") -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Malformed(f"{what}: {value!r} is not an object")
    return value


def as_list(value: Any, what: str = "value") -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise Malformed(f"{what}: {value!r} is not a list")
    return value


def type_key(obj: dict) -> tuple[str, str]:
    """``(apiVersion, kind)`` of ``obj``, the key of the interpreters' per-kind tables; a missing or
    non-string field reads as ``""``, which no table has."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    return (api_version if isinstance(api_version, str) else "", kind if isinstance(kind, str) else "")


def int_at(obj: Any, *path: str) -> int:
    return as_int(at(obj, *path), ".".join(path))


def str_at(obj: Any, *path: str) -> str:
    return as_str(at(obj, *path), ".".join(path))


def map_at(obj: Any, *path: str) -> dict:
    return as_map(at(obj, *path), ".".join(path))


def list_at(obj: Any, *path: str) -> list:
    return as_list(at(obj, *path), ".".join(path))


def parse_time(value: Any, what: str = "time") -> datetime.datetime | None:
    """An RFC 3339 timestamp (``metav1.Time``), None when absent."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise Malformed(f"{what}: {value!r} is not a timestamp")
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise Malformed(f"{what}: {value!r} is not a timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed


def format_time(moment: datetime.datetime) -> str:
    """How ``metav1.Time`` writes itself: UTC, whole seconds, ``Z``."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
