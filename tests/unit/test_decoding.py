"""Untrusted text into JSON values: Go's readings where kube-apiserver has one, limits where it would hurt."""

from __future__ import annotations

import json

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karmadad.decoding import MAX_ALIAS_VALUES, MAX_DEPTH, DecodeError, check_depth, parse_json, parse_yaml


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _plain_json(value) -> bool:
    """Only JSON's types, string keys, strings that UTF-8 can carry."""
    orjson.dumps(value)  # raises on lone surrogates, non-string keys, bytes, dates
    return _depth(value) <= MAX_DEPTH


# -- JSON --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"k":"\\ud800"}', {"k": "\ufffd"}),  # a lone surrogate, as Go decodes it
        (b'{"k":"\\udc00\\ud800"}', {"k": "\ufffd\ufffd"}),
        (b'{"k":"\\ud800\\u0041"}', {"k": "\ufffdA"}),
        (b'{"k":"\\ud83d\\ude00"}', {"k": "\U0001f600"}),  # a real pair stays one character
        (b'{"\\ud800":1}', {"\ufffd": 1}),  # keys too
        (b'{"k":"\xff"}', {"k": "\ufffd"}),  # invalid UTF-8
        (b'{"n":123456789012345678901234567890}', {"n": 1.2345678901234568e29}),  # float64, as in Go
        (b'{"n":123456789012345678901234567890,"k":"\\ud800"}', {"n": 1.2345678901234568e29, "k": "\ufffd"}),
    ],
)
def test_json_reads_broken_unicode_as_go_does(raw, expected):
    value = parse_json(raw)
    assert value == expected
    assert _plain_json(value)


@pytest.mark.parametrize(
    "raw",
    [
        b"NaN",
        b'{"a":Infinity}',
        b'{"a":-Infinity}',
        b"{",
        b"",
        b'{"a":1}x',
        b"1" + b"0" * 400,
        b"1e999",
        b"-1e400",
    ],
)
def test_json_that_go_refuses_is_refused(raw):
    with pytest.raises(DecodeError):
        parse_json(raw)


def test_json_depth_is_capped_without_recursing():
    assert _depth(parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)) == MAX_DEPTH
    for depth in (MAX_DEPTH + 1, 1_000, 100_000):
        with pytest.raises(DecodeError, match="exceeded max depth"):
            parse_json(b"[" * depth + b"]" * depth)
        with pytest.raises(DecodeError, match="exceeded max depth"):
            parse_json(b'{"a":' * depth + b"1" + b"}" * depth)


def test_depth_check_is_iterative():
    value: list = []
    for _ in range(50_000):  # far beyond Python's recursion limit
        value = [value]
    with pytest.raises(DecodeError):
        check_depth(value)


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_give_json_values_or_a_decode_error(raw):
    try:
        value = parse_json(raw)
    except DecodeError:
        return
    assert _plain_json(value)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
        lambda children: st.one_of(st.lists(children), st.dictionaries(st.text(), children)),
        max_leaves=30,
    )
)
def test_json_text_from_python_round_trips(value):
    text = json.dumps(value)  # ensure_ascii: lone surrogates of st.text() travel as escapes
    parsed = parse_json(text.encode())
    assert _plain_json(parsed)
    assert orjson.dumps(parsed) == orjson.dumps(_replace_surrogates(value))


def _replace_surrogates(value):
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    return value


# -- YAML --------------------------------------------------------------------------------------------


def test_yaml_keys_and_scalars_as_kubernetes_reads_them():
    value = parse_yaml(
        "labels: {2024-01-01: x, 1: y, true: z, 0x1F: w}\n"
        "date: 2024-01-01\n"
        "explicit: !!timestamp 2024-01-01T10:00:00Z\n"
        "bin: !!binary aGVsbG8=\n"
        "set: !!set {a, b}\n"
        "n: 017\n"
        "on: yes\n"
        "base: &base {a: 1, b: 2}\n"
        "merged: {<<: *base, b: 3}\n"
        "---\n"
        "second: document\n"
    )
    assert value == {
        "labels": {"2024-01-01": "x", "1": "y", "true": "z", "31": "w"},
        "date": "2024-01-01",
        "explicit": "2024-01-01T10:00:00Z",
        "bin": "hello",
        "set": {"a": None, "b": None},
        "n": 15,
        "true": True,
        "base": {"a": 1, "b": 2},
        "merged": {"a": 1, "b": 3},
    }
    assert _plain_json(value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !foo x", "unsupported tag !foo"),
        ("a: !!python/object:os.system x", "unsupported tag"),
        ("? [a]\n: b", "key must be a scalar"),
        ("~: b", "unsupported map key"),
        ("a: .inf", "cannot be represented in JSON"),
        ("a: .nan", "cannot be represented in JSON"),
        ('a: "\\ud800"', "invalid Unicode"),
        ("a: !!binary '***'", "invalid base64"),
        ("&a [*a]", "exceeded max depth"),
        ("a: [", "expected"),
    ],
)
def test_yaml_beyond_json_is_refused(text, message):
    with pytest.raises(DecodeError, match=message):
        parse_yaml(text)


def test_yaml_alias_bomb_is_refused_early():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    bomb = "\n".join(lines)
    assert len(bomb) < 600
    with pytest.raises(DecodeError, match="excessive aliasing"):
        parse_yaml(bomb)


def test_yaml_aliases_within_the_budget_are_expanded():
    items = ",".join(str(i) for i in range(100))
    text = f"a: &a [{items}]\nb: [" + ",".join(["*a"] * (MAX_ALIAS_VALUES // 200)) + "]"
    value = parse_yaml(text)
    assert value["b"][0] == list(range(100))
    assert value["b"][0] is not value["a"]  # copies, not shared references


def test_yaml_depth_is_capped():
    assert _depth(parse_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH)) == MAX_DEPTH
    for text in (
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "[" * 100_000,
        "".join("  " * i + "a:\n" for i in range(2_000)),
    ):
        with pytest.raises(DecodeError):
            parse_yaml(text)


_YAML_PIECES = st.sampled_from(
    [*"ab:-[]{},&*!?\n '\"#|>~0123456789.", "\ud800", "!!binary ", "!!set ", "<<: ", "&x ", "*x"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_YAML_PIECES, max_size=40).map("".join))
def test_any_yaml_text_gives_json_values_or_a_decode_error(text):
    try:
        value = parse_yaml(text.encode("utf-8", errors="surrogatepass"))
    except DecodeError:
        return
    assert _plain_json(value)
