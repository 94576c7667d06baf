"""JSON values: copies are independent, encoding is exact for everything JSON allows."""

from __future__ import annotations

import json

from karmadad.jsonvalue import encode, json_copy


def test_a_copy_shares_nothing_mutable_with_its_original():
    original = {"spec": {"containers": [{"name": "c", "args": ["a"]}]}, "n": 1, "s": "x", "none": None}
    copied = json_copy(original)
    assert copied == original
    copied["spec"]["containers"][0]["args"].append("b")
    copied["spec"]["extra"] = True
    assert original == {
        "spec": {"containers": [{"name": "c", "args": ["a"]}]},
        "n": 1,
        "s": "x",
        "none": None,
    }


def test_encoding_is_compact_utf8_and_round_trips():
    value = {"name": "café", "list": [1, 2.5, True, None], "nested": {"k": "v"}}
    raw = encode(value)
    assert raw == json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    assert json.loads(raw) == value


def test_integers_beyond_64_bits_are_encoded_exactly():
    value = {"big": 2**70, "negative": -(2**65), "small": 3}
    assert json.loads(encode(value)) == value
