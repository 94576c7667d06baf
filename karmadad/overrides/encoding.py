"""Text forms that must come out the way Karmada's Go binary writes them.

Why: two outputs of the override manager are text a user or a member cluster sees byte for byte — a
field overrider writes a JSON or YAML document back into a string field (a ConfigMap key, say), and
the applied-overrides annotations are JSON. Go's encoder writes compact JSON and escapes ``<``, ``>``,
``&``, U+2028 and U+2029; the YAML round trip goes through JSON (YAML 1.1 scalars, timestamps left as
strings, keys made strings; read by :mod:`karmadad.decoding`) and back out as block YAML with sorted keys.
"""

from __future__ import annotations

import json
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


_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def yaml_text(value: Any) -> str:
    """Block-style YAML with sorted keys, without a document-end marker."""
    text = yaml.dump(value, Dumper=_BaseDumper, default_flow_style=False, sort_keys=True, allow_unicode=True)
    return text.removesuffix("...\n")
