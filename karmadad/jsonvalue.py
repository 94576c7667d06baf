"""Copying and encoding JSON values (dicts, lists, scalars), the shape of every object karmadad holds.

Objects in the store and in informer caches are shared and read-only; whoever changes one changes a copy.
Those copies sit on the hot path (every Work's manifest is copied to revise replicas, apply overrides and
keep member-owned fields), where ``copy.deepcopy``'s generality costs several times more. So does encoding:
every committed batch, every API answer and every request to a member is JSON, written by orjson.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON-like value."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


class Unencodable(ValueError):
    """A value that has no JSON form: a string with a lone surrogate, nesting beyond the encoders' limits."""


def encode(value: Any) -> bytes:
    """Compact UTF-8 JSON. orjson refuses integers beyond 64 bits, which JSON (and Python) allow: those
    values go through the standard library instead. What neither can write raises :class:`Unencodable`."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError as error:
        first = error
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
    except (ValueError, TypeError, RecursionError):
        raise Unencodable(str(first)) from None
