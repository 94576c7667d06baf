"""Kubernetes label and field selectors as pure, dependency-free functions.

Why this module exists: the object store filters list and watch requests by the
``labelSelector`` and ``fieldSelector`` query parameters, and the scheduler and
policy code match ``metav1.LabelSelector`` structs (``matchLabels`` /
``matchExpressions``) against resource labels.  Both must behave exactly like the
Go implementations in k8s.io/apimachinery (``pkg/labels``, ``pkg/fields`` and
``metav1.LabelSelectorAsSelector``), because clients such as kubectl and
controllers written against a real API server rely on those semantics, including
the corner cases: ``!=`` / ``notin`` match objects lacking the key, ``x in ()``
means "x equals the empty string", a nil struct selects nothing while ``{}``
selects everything.

Everything here is immutable and side-effect free; errors are raised as
:class:`SelectorError` with messages modelled on the Kubernetes ones.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from karmadad.text_cache import short_text_cache

__all__ = [
    "NOTHING",
    "RESOURCE_FIELDS",
    "FieldRequirement",
    "FieldSelector",
    "LabelSelector",
    "Requirement",
    "SelectableFields",
    "SelectorError",
    "label_key_problems",
    "label_selector_from_struct",
    "label_value_problems",
    "object_fields",
    "parse_field_selector",
    "parse_label_selector",
    "selectable_fields",
]


class SelectorError(ValueError):
    """A label or field selector could not be parsed or is invalid."""


# --------------------------------------------------------------------------- validation

_LABEL_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = f"({_LABEL_NAME_FMT})?"
_DNS_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN_FMT = rf"{_DNS_LABEL_FMT}(\.{_DNS_LABEL_FMT})*"

_LABEL_NAME_RE = re.compile(_LABEL_NAME_FMT)
_LABEL_VALUE_RE = re.compile(_LABEL_VALUE_FMT)
_DNS_SUBDOMAIN_RE = re.compile(_DNS_SUBDOMAIN_FMT)
_INT64_RE = re.compile(r"[+-]?[0-9]+")

_LABEL_NAME_MAX = 63
_LABEL_VALUE_MAX = 63
_DNS_SUBDOMAIN_MAX = 253
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_LABEL_NAME_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, "
    "'-', '_' or '.', and must start and end with an alphanumeric character"
)
_DNS_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
    "'-' or '.', and must start and end with an alphanumeric character"
)


def _regex_hint(message: str, pattern: str, *examples: str) -> str:
    # Same shape as apimachinery's RegexError text (including its double spaces).
    listed = " or ".join(f"'{example}', " for example in examples)
    return f"{message} (e.g. {listed}regex used for validation is '{pattern}')"


def _byte_len(text: str) -> int:
    # Go measures lengths in bytes of UTF-8.
    return len(text.encode("utf-8", "surrogatepass"))


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@short_text_cache
def label_key_problems(key: str) -> tuple[str, ...]:
    """Reasons ``key`` is not a qualified name (``IsQualifiedName``, apimachinery's ``IsLabelKey``: label and
    annotation keys, finalizers, resource names), in its words (empty when it is valid)."""
    name_hint = _regex_hint(_LABEL_NAME_MSG, _LABEL_NAME_FMT, "MyName", "my.name", "123-abc")
    parts = key.split("/")
    if len(parts) > 2:
        return (
            f"a valid label key {name_hint} with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')",
        )
    problems: list[str] = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            problems.append("prefix part must be non-empty")
        else:
            if _byte_len(prefix) > _DNS_SUBDOMAIN_MAX:
                problems.append(f"prefix part must be no more than {_DNS_SUBDOMAIN_MAX} bytes")
            if not _DNS_SUBDOMAIN_RE.fullmatch(prefix):
                hint = _regex_hint(_DNS_SUBDOMAIN_MSG, _DNS_SUBDOMAIN_FMT, "example.com")
                problems.append(f"prefix part {hint}")
    if not name:
        problems.append("name part must be non-empty")
    elif _byte_len(name) > _LABEL_NAME_MAX:
        problems.append(f"name part must be no more than {_LABEL_NAME_MAX} bytes")
    if not _LABEL_NAME_RE.fullmatch(name):
        problems.append(f"name part {name_hint}")
    return tuple(problems)


@short_text_cache
def label_value_problems(value: str) -> tuple[str, ...]:
    """Reasons ``value`` is not a label value (``IsLabelValue``; empty when it is valid)."""
    problems: list[str] = []
    if _byte_len(value) > _LABEL_VALUE_MAX:
        problems.append(f"must be no more than {_LABEL_VALUE_MAX} bytes")
    if not _LABEL_VALUE_RE.fullmatch(value):
        problems.append(_regex_hint(_LABEL_VALUE_MSG, _LABEL_VALUE_FMT, "MyValue", "my_value", "12345"))
    return tuple(problems)


def _key_message(key: str, problems: Sequence[str]) -> str:
    return f"invalid label key {_quote(key)}: {'; '.join(problems)}"


def _parse_int64(text: str) -> int | None:
    """Go's ``strconv.ParseInt(text, 10, 64)``: optional sign, ASCII digits, int64 range."""
    if not _INT64_RE.fullmatch(text):
        return None
    number = int(text)
    return number if _INT64_MIN <= number <= _INT64_MAX else None


def _aggregate(messages: list[str]) -> str:
    # utilerrors.Aggregate renders one error as itself and several as "[a, b]".
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"


# A problem is (part, index, detail); part is "key", "operator" or "values", and
# index points into values. Callers add field paths when they have them.
_Problem = tuple[str, int | None, str]

_SET_OPERATORS = frozenset({"in", "notin"})
_EXACT_OPERATORS = frozenset({"=", "!="})
_UNARY_OPERATORS = frozenset({"exists", "!"})
_ORDER_OPERATORS = frozenset({"gt", "lt"})
_OPERATORS = ("in", "notin", "=", "==", "!=", "gt", "lt", "exists", "!")


def _requirement_problems(key: str, operator: str, values: tuple[str, ...]) -> list[_Problem]:
    problems: list[_Problem] = []
    key_problems = label_key_problems(key)
    if key_problems:
        problems.append(("key", None, _key_message(key, key_problems)))
    if operator in _SET_OPERATORS:
        if not values:
            problems.append(("values", None, "for 'in', 'notin' operators, values set can't be empty"))
    elif operator in _EXACT_OPERATORS:
        if len(values) != 1:
            problems.append(("values", None, "exact-match compatibility requires one single value"))
    elif operator in _UNARY_OPERATORS:
        if values:
            problems.append(("values", None, "values set must be empty for exists and does not exist"))
    elif operator in _ORDER_OPERATORS:
        if len(values) != 1:
            problems.append(("values", None, "for 'Gt', 'Lt' operators, exactly one value is required"))
        for index, value in enumerate(values):
            if _parse_int64(value) is None:
                detail = (
                    f"invalid value {_quote(value)}: for 'Gt', 'Lt' operators, the value must be an integer"
                )
                problems.append(("values", index, detail))
    else:
        supported = ", ".join(_quote(op) for op in _OPERATORS)
        problems.append(
            ("operator", None, f"unsupported operator {_quote(operator)}: supported values: {supported}")
        )
    for index, value in enumerate(values):
        value_problems = label_value_problems(value)
        if value_problems:
            detail = f"invalid label value {_quote(value)} for key {_quote(key)}: {'; '.join(value_problems)}"
            problems.append(("values", index, detail))
    return problems


# --------------------------------------------------------------------------- label selectors


@dataclass(frozen=True)
class Requirement:
    """One clause of a label selector, e.g. ``tier in (web,api)``.

    ``operator`` is one of ``=``, ``!=``, ``in``, ``notin``, ``exists``, ``!``
    (does not exist), ``gt`` and ``lt``; ``==`` is accepted and stored as ``=``.
    The values of ``in``/``notin`` are a set, so they are stored sorted and
    without duplicates.  Construction validates like ``labels.NewRequirement``.
    """

    key: str
    operator: str
    values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.values, str):
            raise TypeError("Requirement.values must be a sequence of strings, not a string")
        operator = "=" if self.operator == "==" else self.operator
        values = tuple(self.values)
        problems = _requirement_problems(self.key, operator, values)
        if problems:
            raise SelectorError(_aggregate([detail for _, _, detail in problems]))
        self._settle(operator, values)

    def _settle(self, operator: str, values: tuple[str, ...]) -> None:
        """Keep the operator and values as every Requirement holds them: a set's values sorted, once each."""
        object.__setattr__(self, "operator", operator)
        object.__setattr__(
            self, "values", tuple(sorted(set(values))) if operator in _SET_OPERATORS else values
        )

    @classmethod
    def _checked(cls, key: str, operator: str, values: tuple[str, ...]) -> Requirement:
        """One whose clause :func:`_requirement_problems` has found nothing wrong with: not checked again."""
        requirement = object.__new__(cls)
        object.__setattr__(requirement, "key", key)
        requirement._settle(operator, values)
        return requirement

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.operator
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        if op in ("=", "in"):
            return self.key in labels and labels[self.key] in self.values
        if op in ("!=", "notin"):
            return self.key not in labels or labels[self.key] not in self.values
        # gt / lt: both sides must be integers, an absent key never matches.
        if self.key not in labels:
            return False
        actual = _parse_int64(labels[self.key])
        bound = _parse_int64(self.values[0])
        if actual is None or bound is None:
            return False
        return actual > bound if op == "gt" else actual < bound

    def __str__(self) -> str:
        op = self.operator
        if op == "exists":
            return self.key
        if op == "!":
            return f"!{self.key}"
        if op in _SET_OPERATORS:
            return f"{self.key} {op} ({','.join(self.values)})"
        symbol = {"gt": ">", "lt": "<"}.get(op, op)
        return f"{self.key}{symbol}{self.values[0]}"


def _by_key(requirements: Iterable[Requirement]) -> tuple[Requirement, ...]:
    return tuple(sorted(requirements, key=lambda requirement: requirement.key))


@dataclass(frozen=True)
class LabelSelector:
    """The AND of its requirements, kept sorted by key (stable), like Kubernetes.

    An empty selector matches everything; see :data:`NOTHING` for the opposite.
    """

    requirements: tuple[Requirement, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "requirements", _by_key(self.requirements))

    @property
    def empty(self) -> bool:
        """True when the selector does not restrict anything."""
        return not self.requirements

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(requirement.matches(labels) for requirement in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


class _NothingSelector(LabelSelector):
    """What a nil ``metav1.LabelSelector`` converts to: matches no labels at all."""

    @property
    def empty(self) -> bool:
        return False

    def matches(self, labels: Mapping[str, str]) -> bool:
        return False

    def __str__(self) -> str:
        # Kubernetes renders labels.Nothing() as "" too; do not round-trip it.
        return ""

    def __repr__(self) -> str:
        return "NOTHING"


NOTHING: LabelSelector = _NothingSelector()
"""The selector that matches nothing (``labels.Nothing()``)."""


# Lexer. Token kinds are the operator text itself, or one of these two names.
_IDENT = "identifier"
_END = "end of string"
_WHITESPACE = frozenset(" \t\r\n")
_SYMBOLS = frozenset("=!(),<>")
_KEYWORDS = frozenset({"in", "notin"})
_BINARY = {"in": "in", "notin": "notin", "=": "=", "==": "=", "!=": "!=", ">": "gt", "<": "lt"}
_BINARY_EXPECTED = "in, notin, =, ==, !=, gt, lt"

_Token = tuple[str, str]


def _tokenize(text: str) -> list[_Token]:
    """Split a label selector into tokens, the way apimachinery's lexer does.

    That lexer reads bytes and uses NUL as its end marker: a NUL where a token
    would start ends the input, while a NUL right after a token is skipped.
    """
    tokens: list[_Token] = []
    pos, size = 0, len(text)
    while True:
        while pos < size and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= size or text[pos] == "\0":
            tokens.append((_END, ""))
            return tokens
        if text[pos] in _SYMBOLS:
            width = 2 if text[pos : pos + 2] in ("!=", "==") else 1
            literal = text[pos : pos + width]
            tokens.append((literal, literal))
        else:
            end = pos
            while end < size and text[end] not in _SYMBOLS and text[end] not in _WHITESPACE:
                if text[end] == "\0":
                    break
                end += 1
            literal = text[pos:end]
            tokens.append((literal if literal in _KEYWORDS else _IDENT, literal))
            width = end - pos
        pos += width
        if pos < size and text[pos] == "\0":
            pos += 1


class _LabelParser:
    def __init__(self, text: str) -> None:
        self._tokens = _tokenize(text)
        self._pos = 0

    def _peek(self, *, operator: bool = False) -> _Token:
        kind, literal = self._tokens[min(self._pos, len(self._tokens) - 1)]
        # "in"/"notin" are only keywords where an operator is expected.
        if not operator and kind in _KEYWORDS:
            kind = _IDENT
        return kind, literal

    def _take(self, *, operator: bool = False) -> _Token:
        token = self._peek(operator=operator)
        self._pos += 1
        return token

    def parse(self) -> list[Requirement]:
        requirements: list[Requirement] = []
        kind, literal = self._peek()
        if kind == _END:
            return requirements
        if kind not in (_IDENT, "!"):
            raise SelectorError(f"found '{literal}', expected: !, identifier, or 'end of string'")
        while True:
            requirements.append(self._requirement())
            kind, literal = self._take()
            if kind == _END:
                return requirements
            if kind != ",":
                raise SelectorError(f"found '{literal}', expected: ',' or 'end of string'")
            kind, literal = self._peek()
            if kind not in (_IDENT, "!"):
                raise SelectorError(f"found '{literal}', expected: identifier after ','")

    def _requirement(self) -> Requirement:
        try:
            return self._requirement_body()
        except SelectorError as exc:
            raise SelectorError(f"unable to parse requirement: {exc}") from None

    def _requirement_body(self) -> Requirement:
        kind, literal = self._take()
        negated = kind == "!"
        if negated:
            kind, literal = self._take()
        if kind != _IDENT:
            raise SelectorError(f"found '{literal}', expected: identifier")
        key = literal
        problems = label_key_problems(key)
        if problems:
            raise SelectorError(_key_message(key, problems))
        if negated:
            return Requirement(key, "!")
        if self._peek()[0] in (_END, ","):
            return Requirement(key, "exists")
        kind, literal = self._take(operator=True)
        operator = _BINARY.get(kind)
        if operator is None:
            raise SelectorError(f"found '{literal}', expected: {_BINARY_EXPECTED}")
        if operator in _SET_OPERATORS:
            return Requirement(key, operator, self._value_set())
        return Requirement(key, operator, (self._single_value(),))

    def _value_set(self) -> tuple[str, ...]:
        kind, literal = self._take()
        if kind != "(":
            raise SelectorError(f"found '{literal}' expected: '('")
        # A comma separated list whose items may be empty: "()" is {""}.
        values: list[str] = []
        first = True
        while True:
            kind, literal = self._peek()
            if kind == _IDENT:
                self._take()
                values.append(literal)
                kind, literal = self._peek()
                if kind not in (",", ")"):
                    raise SelectorError(f"found '{literal}', expected: ',' or ')'")
            elif kind in (",", ")"):
                values.append("")
            elif first:
                raise SelectorError(f"found '{literal}', expected: ',', ')' or identifier")
            else:
                raise SelectorError(f"found '{literal}', expected: ',', or identifier")
            if self._take()[0] == ")":
                return tuple(values)
            first = False

    def _single_value(self) -> str:
        kind, literal = self._peek()
        if kind in (_END, ","):
            return ""
        self._take()
        if kind != _IDENT:
            raise SelectorError(f"found '{literal}', expected: identifier")
        return literal


def parse_label_selector(text: str) -> LabelSelector:
    """Parse the ``?labelSelector=`` syntax, e.g. ``app=web,tier in (a,b),!canary``.

    The empty string gives the empty selector, which matches everything.
    """
    return LabelSelector(tuple(_LabelParser(text).parse()))


_STRUCT_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def _checked_requirement(key: str, operator: str, values: tuple[str, ...], path_of: Any) -> Requirement:
    """The clause of a struct selector (``operator`` one of :data:`_STRUCT_OPERATORS`' or ``=``), checked
    once: problems are told at ``path_of(part, index)``."""
    problems = _requirement_problems(key, operator, values)
    if problems:
        messages = [f"{path_of(part, index)}: {detail}" for part, index, detail in problems]
        raise SelectorError(_aggregate(messages))
    return Requirement._checked(key, operator, values)


def label_selector_from_struct(selector: Mapping[str, Any] | None) -> LabelSelector:
    """Convert a ``metav1.LabelSelector`` dict, as ``metav1.LabelSelectorAsSelector`` does.

    ``None`` gives :data:`NOTHING` (matches nothing); a selector without
    ``matchLabels`` and ``matchExpressions`` matches everything.
    """
    if selector is None:
        return NOTHING
    # dicts and lists first: they are what JSON gives, and the abstract types' checks are slow
    if not isinstance(selector, dict | Mapping):
        raise SelectorError(f"label selector must be an object, not {type(selector).__name__}")
    match_labels = selector.get("matchLabels") or {}
    match_expressions = selector.get("matchExpressions") or []
    if not isinstance(match_labels, dict | Mapping):
        raise SelectorError("matchLabels: must be an object mapping label keys to values")
    if not isinstance(match_expressions, list) and (
        isinstance(match_expressions, str | bytes | Mapping) or not isinstance(match_expressions, Iterable)
    ):
        raise SelectorError("matchExpressions: must be a list")
    match_expressions = list(match_expressions)
    if not match_labels and not match_expressions:
        return LabelSelector()
    if not match_expressions and all(isinstance(v, str) for v in match_labels.values()):
        return _match_labels_selector(tuple(match_labels.items()))
    return _selector_of(match_labels, match_expressions)


@lru_cache(maxsize=4096)
def _match_labels_selector(labels: tuple[tuple[str, str], ...]) -> LabelSelector:
    """The selector of a ``matchLabels``-only struct (most of them: workloads select their template's labels
    so), made once per set of labels; selectors are immutable."""
    return _selector_of(dict(labels), [])


def _selector_of(match_labels: Mapping[str, Any], match_expressions: list[Any]) -> LabelSelector:
    requirements: list[Requirement] = []
    for key, value in match_labels.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise SelectorError(f"matchLabels[{key}]: label keys and values must be strings")
        requirements.append(
            _checked_requirement(key, "=", (value,), lambda _part, _index, key=key: f"matchLabels[{key}]")
        )

    for position, expression in enumerate(match_expressions):
        base = f"matchExpressions[{position}]"
        if not isinstance(expression, Mapping):
            raise SelectorError(f"{base}: must be an object with key, operator and values")
        key = expression.get("key", "")
        raw_operator = expression.get("operator", "")
        values = expression.get("values") or []
        if not isinstance(key, str):
            raise SelectorError(f"{base}.key: must be a string")
        operator = _STRUCT_OPERATORS.get(raw_operator) if isinstance(raw_operator, str) else None
        if operator is None:
            shown = _quote(raw_operator) if isinstance(raw_operator, str) else repr(raw_operator)
            raise SelectorError(f"{base}.operator: {shown} is not a valid label selector operator")
        if isinstance(values, str) or not isinstance(values, list | tuple):
            raise SelectorError(f"{base}.values: must be a list of strings")
        for index, value in enumerate(values):
            if not isinstance(value, str):
                raise SelectorError(f"{base}.values[{index}]: must be a string")

        def path_of(part: str, index: int | None, base: str = base) -> str:
            return f"{base}.{part}" + ("" if index is None else f"[{index}]")

        requirements.append(_checked_requirement(key, operator, tuple(values), path_of))
    return LabelSelector(tuple(requirements))


# --------------------------------------------------------------------------- field selectors

_FIELD_OPERATORS = ("!=", "==", "=")  # checked in this order at every position


def _escape_field_value(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def _unescape_field_value(raw: str) -> str:
    if not any(ch in raw for ch in "\\,="):
        return raw
    out: list[str] = []
    escaping = False
    for ch in raw:
        if escaping:
            if ch not in "\\,=":
                raise SelectorError(f"invalid field selector: invalid escape sequence: \\{ch}")
            out.append(ch)
            escaping = False
        elif ch == "\\":
            escaping = True
        elif ch in ",=":
            raise SelectorError(f"invalid field selector: unescaped character in value: '{ch}'")
        else:
            out.append(ch)
    if escaping:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


@dataclass(frozen=True)
class FieldRequirement:
    """``field=value`` or ``field!=value``; ``==`` is stored as ``=``."""

    field: str
    operator: str
    value: str

    def __post_init__(self) -> None:
        if self.operator not in _FIELD_OPERATORS:
            raise SelectorError(
                f"unsupported field selector operator {_quote(self.operator)}: supported values: "
                '"=", "==", "!="'
            )
        if self.operator == "==":
            object.__setattr__(self, "operator", "=")

    def matches(self, fields: Mapping[str, str]) -> bool:
        # A missing field reads as "", exactly like fields.Set.Get.
        equal = fields.get(self.field, "") == self.value
        return equal if self.operator == "=" else not equal

    def __str__(self) -> str:
        return f"{self.field}{self.operator}{_escape_field_value(self.value)}"


@dataclass(frozen=True)
class FieldSelector:
    """The AND of field requirements, kept in the order of their string form."""

    requirements: tuple[FieldRequirement, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "requirements", tuple(sorted(self.requirements, key=str)))

    @property
    def empty(self) -> bool:
        return not self.requirements

    @property
    def fields(self) -> frozenset[str]:
        """Field names used, so the caller can reject the ones its resource lacks."""
        return frozenset(requirement.field for requirement in self.requirements)

    def matches(self, fields: Mapping[str, str]) -> bool:
        return all(requirement.matches(fields) for requirement in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(requirement) for requirement in self.requirements)


def _split_field_terms(text: str) -> list[str]:
    terms: list[str] = []
    start = 0
    escaping = False
    for index, ch in enumerate(text):
        if escaping:
            escaping = False
        elif ch == "\\":
            escaping = True
        elif ch == ",":
            terms.append(text[start:index])
            start = index + 1
    terms.append(text[start:])
    return terms


def _split_field_term(term: str) -> tuple[str, str, str] | None:
    for index in range(len(term)):
        for operator in _FIELD_OPERATORS:
            if term.startswith(operator, index):
                return term[:index], operator, term[index + len(operator) :]
    return None


def parse_field_selector(text: str) -> FieldSelector:
    """Parse the ``?fieldSelector=`` syntax, e.g. ``metadata.name=a,metadata.namespace!=b``.

    Values may escape ``\\\\``, ``\\,`` and ``\\=``; whitespace is significant, as in
    Kubernetes.  Empty terms are skipped, and so is a term whose field and
    value are both empty (``=``).
    """
    requirements: list[FieldRequirement] = []
    # Sorted first so that, with several bad terms, the same one is reported as upstream.
    for term in sorted(_split_field_terms(text)):
        if not term:
            continue
        parts = _split_field_term(term)
        if parts is None:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
        name, operator, raw_value = parts
        value = _unescape_field_value(raw_value)
        if name or value:
            requirements.append(FieldRequirement(name, operator, value))
    return FieldSelector(tuple(requirements))


# --------------------------------------------------------------------------- selectable fields per resource
#
# kube-apiserver lets each kind choose the fields a selector may name: its field label conversion
# function says which labels it accepts (and words the refusal of others), and its strategy's GetAttrs
# says what each reads on an object. Kinds without a conversion function take metadata.name and
# metadata.namespace only; custom resources take metadata.name, and metadata.namespace when namespaced.
# Values are read as kube-apiserver stores objects, so the defaults it would have filled in apply.

FieldGetter = Callable[[Mapping[str, Any]], str]
_META_FIELDS = ("metadata.name", "metadata.namespace")


def _text(*path: str, default: str = "") -> FieldGetter:
    """A getter for the string at ``path``, ``default`` when it is absent or empty."""

    def get(obj: Mapping[str, Any]) -> str:
        value: Any = obj
        for step in path:
            value = value.get(step) if isinstance(value, Mapping) else None
        if value is None or value == "":
            return default
        return value if isinstance(value, str) else str(value)

    return get


def _flag(*path: str) -> FieldGetter:
    """A boolean as Go's ``strconv.FormatBool`` writes it; absent is false."""
    read = _text(*path)
    return lambda obj: "true" if read(obj) == "True" else "false"


def _event_source(obj: Mapping[str, Any]) -> str:
    # The component that reported it, or the newer reportingComponent when source is empty.
    return _text("source", "component")(obj) or _text("reportingComponent")(obj)


def _pod_ip(obj: Mapping[str, Any]) -> str:
    # The first of status.podIPs, which status.podIP only stands in for when the list is empty.
    status = obj.get("status")
    ips = status.get("podIPs") if isinstance(status, Mapping) else None
    if isinstance(ips, list) and ips and isinstance(ips[0], Mapping):
        return _text("ip")(ips[0])
    return _text("status", "podIP")(obj)


@dataclass(frozen=True)
class SelectableFields:
    """The fields one resource serves to field selectors, and how it refuses other labels.

    ``extra`` maps a label to its getter; ``refusal`` is the error for an unknown label, with
    ``{label}`` (as is) or ``{quoted}`` (Go's ``%q``) standing for it.
    """

    extra: Mapping[str, FieldGetter]
    meta: tuple[str, ...] = _META_FIELDS
    refusal: str = '{quoted} is not a known field selector: only "metadata.name", "metadata.namespace"'

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(self.meta) | frozenset(self.extra)

    def check(self, selector: FieldSelector) -> None:
        """Raise :class:`SelectorError` for the first requirement naming a label this resource lacks."""
        labels = self.labels
        for requirement in selector.requirements:
            if requirement.field not in labels:
                label = requirement.field
                raise SelectorError(self.refusal.format(label=label, quoted=_quote(label)))


_NOT_SUPPORTED = "field label not supported: {label}"

_DEFAULT_FIELDS = SelectableFields({})

RESOURCE_FIELDS: Mapping[str, SelectableFields] = {
    # Keyed as the store keys resources (``plural.group``, or the plural for the core group).
    "events": SelectableFields(
        {
            "involvedObject.kind": _text("involvedObject", "kind"),
            "involvedObject.namespace": _text("involvedObject", "namespace"),
            "involvedObject.name": _text("involvedObject", "name"),
            "involvedObject.uid": _text("involvedObject", "uid"),
            "involvedObject.apiVersion": _text("involvedObject", "apiVersion"),
            "involvedObject.resourceVersion": _text("involvedObject", "resourceVersion"),
            "involvedObject.fieldPath": _text("involvedObject", "fieldPath"),
            "reason": _text("reason"),
            "reportingComponent": _text("reportingComponent"),
            "source": _event_source,
            "type": _text("type"),
        },
        refusal=_NOT_SUPPORTED,
    ),
    "pods": SelectableFields(
        {
            "spec.nodeName": _text("spec", "nodeName"),
            "spec.host": _text("spec", "nodeName"),  # what old clients call spec.nodeName
            "spec.restartPolicy": _text("spec", "restartPolicy", default="Always"),
            "spec.schedulerName": _text("spec", "schedulerName", default="default-scheduler"),
            "spec.serviceAccountName": _text("spec", "serviceAccountName"),
            "spec.hostNetwork": _flag("spec", "hostNetwork"),
            "status.phase": _text("status", "phase", default="Pending"),
            "status.podIP": _pod_ip,
            "status.nominatedNodeName": _text("status", "nominatedNodeName"),
        },
        refusal=_NOT_SUPPORTED,
    ),
    "namespaces": SelectableFields(
        {"status.phase": _text("status", "phase")}, meta=("metadata.name",), refusal=_NOT_SUPPORTED
    ),
    "secrets": SelectableFields({"type": _text("type", default="Opaque")}, refusal=_NOT_SUPPORTED),
    "services": SelectableFields(
        {
            "spec.clusterIP": _text("spec", "clusterIP"),
            "spec.type": _text("spec", "type", default="ClusterIP"),
        },
        refusal=_NOT_SUPPORTED,
    ),
    "jobs.batch": SelectableFields(
        {"status.successful": _text("status", "succeeded", default="0")},
        refusal="field label {quoted} not supported for Job",
    ),
}

_NAMESPACED_CUSTOM = SelectableFields({}, refusal=_NOT_SUPPORTED)
_CLUSTER_CUSTOM = SelectableFields({}, meta=("metadata.name",), refusal=_NOT_SUPPORTED)


def selectable_fields(resource: str, *, custom: bool = False, namespaced: bool = True) -> SelectableFields:
    """What field selectors may name on ``resource`` (``plural.group``).

    ``custom``: served the way kube-apiserver serves CustomResourceDefinitions (Karmada's own kinds are
    CRDs there too), which accept metadata.namespace only when namespaced.
    """
    if custom:
        return _NAMESPACED_CUSTOM if namespaced else _CLUSTER_CUSTOM
    return RESOURCE_FIELDS.get(resource, _DEFAULT_FIELDS)


def object_fields(obj: Mapping[str, Any], resource: str = "") -> dict[str, str]:
    """The fields of a plain-dict object that field selectors on ``resource`` match against.

    Every object has metadata.name and metadata.namespace; the resource adds its own (see
    :data:`RESOURCE_FIELDS`). A field the object lacks reads as "", as in Kubernetes.
    """
    metadata = obj.get("metadata") or {}
    fields = {
        "metadata.name": metadata.get("name") or "",
        "metadata.namespace": metadata.get("namespace") or "",
    }
    extra = RESOURCE_FIELDS.get(resource)
    if extra is not None:
        for label, get in extra.extra.items():
            fields[label] = get(obj)
    return fields
