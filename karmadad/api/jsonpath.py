"""The JSONPath subset of printer columns (Karmada's CRDs, custom resources): one evaluator for both."""

from __future__ import annotations

import functools
import re
from typing import Any

_STEP_RE = re.compile(
    r'\.([A-Za-z0-9_-]+)|\[\*\]|\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*["\']([^"\']*)["\']\)\]|\[(\d+)\]'
)


@functools.cache
def parse_steps(json_path: str) -> tuple[tuple[str, Any], ...]:
    """The JSONPath forms printer columns use: ``.a.b``, ``.a[0]``, ``.a[*].b``, ``.a[?(@.type=="X")].b``."""
    steps: list[tuple[str, Any]] = []
    position = 0
    for match in _STEP_RE.finditer(json_path):
        if match.start() != position:
            break
        position = match.end()
        if match[1]:
            steps.append(("key", match[1]))
        elif match[2]:
            steps.append(("filter", (match[2], match[3])))
        elif match[4]:
            steps.append(("index", int(match[4])))
        else:
            steps.append(("all", None))
    if position != len(json_path):
        raise ValueError(f"unsupported JSONPath: {json_path}")
    return tuple(steps)


def column_value(obj: dict, json_path: str) -> Any:
    """A column's value in ``obj``: one value, several joined by commas (as kubectl does), or None."""
    values: list[Any] = [obj]
    for step, argument in parse_steps(json_path):
        found: list[Any] = []
        for value in values:
            if step == "key":
                if isinstance(value, dict) and argument in value:
                    found.append(value[argument])
            elif isinstance(value, list):
                if step == "all":
                    found.extend(value)
                elif step == "index":
                    found.extend(value[argument : argument + 1])
                else:
                    field, wanted = argument
                    found.extend(v for v in value if isinstance(v, dict) and v.get(field) == wanted)
        values = found
    if not values:
        return None
    if len(values) == 1:
        value = values[0]
        return ",".join(str(v) for v in value) if isinstance(value, list) else value
    return ",".join(str(v) for v in values)
