"""Core v1 Secrets and ConfigMaps as kube-apiserver decodes and validates them.

Why apart from the generic strategy: these two kinds carry data that other programs read as files
(volume keys) and bytes (base64), and kube-apiserver treats them specially before any validation runs —
a Secret's ``stringData`` is write-only and merged into ``data``, base64 must decode (400 otherwise, at
the same input byte Go's decoder names), and both kinds hold at most 1 MiB under keys that are valid file
names. Everything here is pure: objects in, new objects or causes out.
"""

from __future__ import annotations

import base64
import binascii
import re

from karmadad.api.name_rules import config_key_problems
from karmadad.errors import BadRequest, Cause

MAX_DATA_SIZE = 1048576  # bytes a Secret's data, or a ConfigMap's data and binaryData together, may hold
_BASE64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_LINE_BREAKS = frozenset(b"\r\n")
_PAD = ord("=")
_NOT_ALPHABET_NOR_LINE_BREAK = re.compile(rb"[^A-Za-z0-9+/\r\n]")
_JSON_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", dict: "object", list: "array"}


def _skip_line_breaks(data: bytes, position: int) -> int:
    while position < len(data) and data[position] in _LINE_BREAKS:
        position += 1
    return position


def base64_error_offset(data: bytes) -> int | None:
    """The input byte at which Go's padded standard base64 decoder (which skips line breaks) gives up on
    ``data``, as its ``illegal base64 data at input byte N`` names it; None when ``data`` decodes."""
    # Up to the first byte that is neither of the alphabet nor a line break, quanta of four simply fill;
    # what that byte is (padding, or not allowed at all) decides the rest within a few bytes.
    special = _NOT_ALPHABET_NOR_LINE_BREAK.search(data)
    position, end = (special.start() if special else len(data)), len(data)
    taken = (position - data.count(b"\r", 0, position) - data.count(b"\n", 0, position)) % 4
    while position < end:
        byte = data[position]
        position += 1
        if byte in _BASE64_ALPHABET:
            taken = (taken + 1) % 4
        elif byte in _LINE_BREAKS:
            continue
        elif byte != _PAD or taken < 2:
            return position - 1
        else:  # padding ends the input: "==" after two characters of a quantum, "=" after three
            if taken == 2:
                position = _skip_line_breaks(data, position)
                if position == end:
                    return end
                if data[position] != _PAD:
                    return position - 1
                position += 1
            position = _skip_line_breaks(data, position)
            return position if position < end else None
    return None if taken == 0 else end - taken


def decode_base64(text: str) -> bytes | int:
    """The bytes ``text`` encodes in base64 as Go decodes a JSON ``[]byte``, or the offset of the input
    byte where decoding fails."""
    raw = text.encode("utf-8", "surrogatepass")
    offset = base64_error_offset(raw)
    return binascii.a2b_base64(raw.translate(None, b"\r\n")) if offset is None else offset


def _cannot_decode(kind: str, problem: str) -> BadRequest:
    return BadRequest(f'{kind} in version "v1" cannot be handled as a {kind}: {problem}')


def _canonical_base64(kind: str, field: str, values: object) -> object:
    """A map of base64 values re-encoded canonically; BadRequest naming the first value that does not
    decode. Anything but a map, and values that are not strings, are left for type checking."""
    if not isinstance(values, dict):
        return values
    canonical = {}
    for key, value in values.items():
        if isinstance(value, str):
            decoded = decode_base64(value)
            if isinstance(decoded, int):
                raise _cannot_decode(kind, f"{field}.{key}: illegal base64 data at input byte {decoded}")
            value = base64.b64encode(decoded).decode("ascii")
        canonical[key] = value
    return canonical


def decoded_secret(secret: dict) -> dict:
    """``secret`` as kube-apiserver decodes a v1 Secret (a new dict): ``data`` checked and canonical,
    each ``stringData`` value merged into ``data`` as the base64 of its UTF-8 bytes (over a ``data``
    value of the same key), ``stringData`` gone (its ``type`` is defaulted with the other defaults)."""
    decoded = {k: v for k, v in secret.items() if k != "stringData"}
    data = _canonical_base64("Secret", "data", secret.get("data"))
    string_data = secret.get("stringData")
    if isinstance(string_data, dict) and string_data:
        data = dict(data) if isinstance(data, dict) else {}
        for key, value in string_data.items():
            if value is not None and not isinstance(value, str):
                got = _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
                raise _cannot_decode("Secret", f"stringData.{key}: expected string, got {got}")
            encoded = (value or "").encode("utf-8", "surrogatepass")
            data[key] = base64.b64encode(encoded).decode("ascii")
    if data is None:
        decoded.pop("data", None)
    else:
        decoded["data"] = data
    return decoded


def decoded_config_map(config_map: dict) -> dict:
    """``config_map`` as kube-apiserver decodes a v1 ConfigMap: ``binaryData`` checked and canonical (a new
    dict; ``config_map`` itself when it has no ``binaryData`` map to decode)."""
    if not isinstance(config_map.get("binaryData"), dict):
        return config_map
    binary = _canonical_base64("ConfigMap", "binaryData", config_map["binaryData"])
    return {**config_map, "binaryData": binary}


def _base64_size(canonical: object) -> int:
    if not isinstance(canonical, str):
        return 0
    return len(canonical) * 3 // 4 - canonical[-2:].count("=")


def _text_size(text: object) -> int:
    return len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else 0


def _config_key_causes(field: str, values: object) -> list[Cause]:
    """Keys of a ConfigMap's or Secret's maps, which become file names in a volume: kube-apiserver's rules."""
    return [
        Cause(f"{field}[{key}]", f'Invalid value: "{key}": {problem}')
        for key in (values if isinstance(values, dict) else ())
        for problem in config_key_problems(key)
    ]


def content_causes(kind: str, obj: dict) -> list[Cause]:
    """Problems with a decoded Secret's or ConfigMap's contents: keys that are not valid file names,
    more than 1 MiB in all."""
    if kind == "Secret":
        data = obj.get("data")
        causes = _config_key_causes("data", data)
        size = sum(_base64_size(v) for v in data.values()) if isinstance(data, dict) else 0
        field = "data"
    elif kind == "ConfigMap":
        data, binary = obj.get("data"), obj.get("binaryData")
        causes = _config_key_causes("data", data) + _config_key_causes("binaryData", binary)
        size = sum(_text_size(v) for v in data.values()) if isinstance(data, dict) else 0
        size += sum(_base64_size(v) for v in binary.values()) if isinstance(binary, dict) else 0
        field = "[]"  # the whole object, as kube-apiserver names it
    else:
        return []
    if size > MAX_DATA_SIZE:
        causes.append(
            Cause(field, f"Too long: may not be more than {MAX_DATA_SIZE} bytes", "FieldValueTooLong")
        )
    return causes


DECODERS = {"Secret": decoded_secret, "ConfigMap": decoded_config_map}
