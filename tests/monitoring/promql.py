"""Which metrics a PromQL expression reads, and which of their labels it names: enough to check that a
dashboard or an alert asks for series karmadad exports, without a full PromQL parser (none is maintained
for Python).

The expression is split into tokens (strings, numbers, durations, identifiers, label matchers, punctuation).
An identifier is a metric name unless a ``(`` follows it (a function or an aggregation), it is a keyword,
or it sits in a grouping list (``by (...)``, ``without``, ``on``, ``ignoring``, ``group_left``,
``group_right``), whose names are labels of the expression as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(
    r"""
    (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<range>\[[^\]]*\])
  | (?P<matchers>\{[^}]*\})
  | (?P<number>(?<![\w.])(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(?:ms|[smhdwy])?(?![\w]))
  | (?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)
  | (?P<punct>[()\[\],]|[-+*/%^=!<>~]+)
  | (?P<space>\s+)
    """,
    re.VERBOSE,
)
_MATCHER = re.compile(
    r"""\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*,?"""
)
KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "Inf", "NaN"})
# aggregations may take their grouping before their parentheses (``sum by (le) (...)``)
AGGREGATIONS = frozenset(
    {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk"}
    | {"quantile", "limitk", "limit_ratio"}
)
GROUPINGS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})


@dataclass
class Query:
    metrics: dict[str, set[str]] = field(default_factory=dict)  # metric name -> labels its matchers name
    grouping_labels: set[str] = field(default_factory=set)  # labels of by/without/on/ignoring lists
    name_matchers: list[str] = field(default_factory=list)  # __name__ selectors, which name no metric


def parse_matchers(text: str) -> list[tuple[str, str, str]]:
    """``{a="x", b=~"y"}`` → [(a, =, "x"), (b, =~, "y")]."""
    inner, found, at = text.strip()[1:-1], [], 0
    while at < len(inner):
        match = _MATCHER.match(inner, at)
        if match is None:
            if inner[at:].strip():
                raise ValueError(f"cannot read label matchers {text!r}")
            break
        found.append((match.group(1), match.group(2), match.group(3)[1:-1]))
        at = match.end()
    return found


def tokens(expression: str) -> list[tuple[str, str]]:
    out, at = [], 0
    while at < len(expression):
        match = _TOKEN.match(expression, at)
        if match is None:
            raise ValueError(f"cannot read PromQL at {expression[at : at + 30]!r}")
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            out.append((kind, match.group()))
        at = match.end()
    return out


def read_query(expression: str) -> Query:
    """The metrics ``expression`` reads, each with the labels its matchers name, and its grouping labels."""
    query = Query()
    found = tokens(expression)
    index = 0
    while index < len(found):
        kind, text = found[index]
        following = found[index + 1] if index + 1 < len(found) else ("", "")
        if kind == "name" and text in GROUPINGS:
            index += 1
            if found[index : index + 1] == [("punct", "(")]:
                index += 1
                while index < len(found) and found[index] != ("punct", ")"):
                    if found[index][0] == "name":
                        query.grouping_labels.add(found[index][1])
                    index += 1
            index += 1
            continue
        if kind == "name" and text not in KEYWORDS | AGGREGATIONS and following != ("punct", "("):
            labels = query.metrics.setdefault(text, set())
            if following[0] == "matchers":
                labels.update(name for name, _, _ in parse_matchers(following[1]))
                index += 1
        elif kind == "matchers":  # a selector with no name before its braces
            for name, _, value in parse_matchers(text):
                if name == "__name__":
                    query.name_matchers.append(value)
        index += 1
    return query
