"""Text forms that must come out the way Karmada's Go binary writes them.

Why: two outputs of the override manager are text a user or a member cluster sees byte for byte — a
field overrider writes a JSON or YAML document back into a string field (a ConfigMap key, say), and
the applied-overrides annotations are JSON. Go's encoder writes compact JSON and escapes ``<``, ``>``,
``&``, U+2028 and U+2029; the YAML round trip goes through JSON (YAML 1.1 scalars, timestamps left as
strings, keys made strings) and back out as block YAML with sorted keys.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import yaml

_GO_JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)


def go_json(value: Any) -> str:
    """Compact JSON as Go's ``encoding/json`` writes it (object keys keep the order given)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).translate(
        _GO_JSON_ESCAPES
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(text: str) -> Any:
    """Strict JSON (no NaN or Infinity, which Go rejects)."""
    return json.loads(text, parse_constant=_reject_constant)


_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """YAML 1.1 like Go's yaml.v2, except that timestamps stay strings, as they do there."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _key_text(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def _json_compatible(value: Any) -> Any:
    if isinstance(value, dict):
        return {_key_text(k): _json_compatible(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_compatible(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} cannot be represented in JSON")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)  # explicit !!timestamp, !!binary and the like: Go hands them on as text


def parse_yaml(text: str) -> Any:
    """The first YAML document of ``text`` as JSON-compatible data (``None`` when there is none)."""
    documents: Iterator[Any] = yaml.load_all(text, Loader=_Loader)
    return _json_compatible(next(iter(documents), None))


def yaml_text(value: Any) -> str:
    """Block-style YAML with sorted keys, without a document-end marker."""
    text = yaml.dump(value, Dumper=_BaseDumper, default_flow_style=False, sort_keys=True, allow_unicode=True)
    return text.removesuffix("...\n")
