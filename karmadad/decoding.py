"""Text into JSON values, safely: the one place where bytes from outside become dicts, lists and scalars.

Why one place: request bodies, and documents kept inside objects (a ConfigMap key a field overrider
rewrites), come from people karmadad does not trust. Whatever is decoded here is what every controller,
the store and the encoder later walk, so it must already be plain JSON data of bounded shape:

- JSON as Go's decoder reads it: invalid UTF-8 and lone surrogate escapes become U+FFFD (kube-apiserver
  stores ``"\\ud800"`` as ``"\\ufffd"``), integers beyond 64 bits become floats, ``NaN`` and
  ``Infinity`` are not JSON.
- YAML 1.1 as Go's yaml.v2 reads it for Kubernetes: the first document; timestamps stay the text they
  were written as; keys that are numbers or booleans become their text (null and non-scalar keys are
  refused); ``!!binary`` becomes its decoded text and ``!!set`` an object of nulls; merge keys (``<<``)
  merged; custom tags refused.
- Bounded: at most :data:`MAX_DEPTH` nested objects and arrays, and aliases may add at most
  :data:`MAX_ALIAS_VALUES` values beyond those written out (a 500-byte "billion laughs" document
  would otherwise expand to gigabytes).

Anything else raises :class:`DecodeError` with a message saying what is wrong; callers turn it into
their own error (a 400 for a request).
"""

from __future__ import annotations

import base64
import json
import math
import re
from typing import Any

import orjson
import yaml
import yaml.constructor

MAX_DEPTH = 100
MAX_ALIAS_VALUES = 100_000

_SURROGATE = re.compile("[\ud800-\udfff]")
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SCALARS = yaml.constructor.SafeConstructor()  # its scalar constructors need no loader state
_TAG = "tag:yaml.org,2002:"


class DecodeError(ValueError):
    """The text is not a JSON value karmadad accepts; the message says why."""


def _reject_constant(name: str) -> Any:
    raise DecodeError(f"{name} is not valid JSON")


def _go_int(text: str) -> int | float:
    """An integer as Go's unstructured decoding keeps it: int64, else float64 (orjson agrees)."""
    value = int(text)
    return value if -(2**63) <= value < 2**63 else _go_float(text)


def _go_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise DecodeError(f"the number {text[:40]} is out of range for a 64-bit float")
    return value


def _too_deep() -> DecodeError:
    return DecodeError(f"exceeded max depth of {MAX_DEPTH}")


def check_depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raise unless ``value`` nests at most ``limit`` objects and arrays (iterative: no recursion limit)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth >= limit:
                    raise _too_deep()
                stack.append((child, depth + 1))


def _clean_strings(value: Any) -> Any:
    """Lone surrogates (which no UTF-8 encoder writes) replaced by U+FFFD, as Go's decoder does."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_clean_strings(key): _clean_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean_strings(item) for item in value]
    return value


def parse_json(raw: bytes | str, *, strict: bool = False) -> Any:
    """One JSON value, with Go's treatment of broken Unicode and the depth limit.

    ``strict``: broken Unicode is an error instead, as for bodies Kubernetes reads with its YAML decoder
    (an apply patch), which refuses what Go's JSON decoder repairs.
    """
    try:
        value = orjson.loads(raw)  # fast path: valid UTF-8, no lone surrogates, 64-bit numbers
    except orjson.JSONDecodeError as error:
        if strict:
            raise DecodeError(str(error)) from None
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes | bytearray) else raw
        try:
            value = json.loads(
                text, parse_constant=_reject_constant, parse_int=_go_int, parse_float=_go_float
            )
        except RecursionError:
            raise _too_deep() from None
        except ValueError as error:
            raise DecodeError(str(error)) from None
        check_depth_if_nested(text, value)
        return _clean_strings(value)
    check_depth_if_nested(raw, value)
    return value


def check_depth_if_nested(raw: bytes | str, value: Any) -> None:
    """The depth check, skipped when the text has too few brackets to nest that deep (the usual case)."""
    if not isinstance(value, dict | list):
        return
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogatepass")
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH:
        check_depth(value)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], depth: int = 1) -> int:
    """How many values ``node`` stands for once every alias in it is expanded (memoised per node, so
    counting is linear in the document even when the expansion is exponential)."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    if depth > MAX_DEPTH:
        raise _too_deep()
    if isinstance(node, yaml.ScalarNode):
        size = 1
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(item, sizes, depth + 1) for item in node.value)
    else:
        size = 1 + sum(
            _expanded_size(key, sizes, depth + 1) + _expanded_size(value, sizes, depth + 1)
            for key, value in node.value
        )
    sizes[id(node)] = size
    return size


def _build(node: yaml.Node, depth: int) -> Any:
    """The JSON value of a composed YAML node graph (whose expansion was measured first)."""
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    if depth > MAX_DEPTH:
        raise _too_deep()
    if isinstance(node, yaml.SequenceNode):
        if node.tag != _TAG + "seq":
            raise _unsupported(node)
        return [_build(item, depth + 1) for item in node.value]
    if not isinstance(node, yaml.MappingNode) or node.tag not in (_TAG + "map", _TAG + "set"):
        raise _unsupported(node)
    return _mapping(node, depth)


def _mapping(node: yaml.MappingNode, depth: int) -> dict:
    result: dict[str, Any] = {}
    merged: list[dict] = []
    for key_node, value_node in node.value:
        if key_node.tag == _TAG + "merge":
            merged.extend(_merge_sources(value_node, depth))
            continue
        if not isinstance(key_node, yaml.ScalarNode):
            raise DecodeError(f"line {key_node.start_mark.line + 1}: a mapping key must be a scalar")
        result[_key_text(_scalar(key_node))] = _build(value_node, depth + 1)
    for source in merged:  # written keys win; among merged mappings, the earlier one
        for key, value in source.items():
            result.setdefault(key, value)
    return result


def _merge_sources(node: yaml.Node, depth: int) -> list[dict]:
    sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
    built = [_build(source, depth) for source in sources]
    if not all(isinstance(source, dict) for source in built):
        raise DecodeError(f"line {node.start_mark.line + 1}: a merge key (<<) needs mappings")
    return built


def _scalar(node: yaml.ScalarNode) -> Any:
    tag = node.tag
    if tag in (_TAG + "str", _TAG + "timestamp"):  # Go's yaml.v2 hands timestamps on as text
        return _SURROGATE.sub("\ufffd", node.value)
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        return _SCALARS.construct_yaml_bool(node)
    if tag == _TAG + "int":
        return _SCALARS.construct_yaml_int(node)
    if tag == _TAG + "binary":
        try:
            return base64.b64decode("".join(node.value.split()), validate=True).decode(
                "utf-8", errors="replace"
            )
        except ValueError:
            raise DecodeError(
                f"line {node.start_mark.line + 1}: !!binary value contains invalid base64 data"
            ) from None
    if tag == _TAG + "float":
        value = _SCALARS.construct_yaml_float(node)
        if not math.isfinite(value):
            raise DecodeError(f"line {node.start_mark.line + 1}: {node.value} cannot be represented in JSON")
        return value
    raise _unsupported(node)


def _unsupported(node: yaml.Node) -> DecodeError:
    tag = node.tag.replace(_TAG, "!!")
    return DecodeError(f"line {node.start_mark.line + 1}: unsupported tag {tag} (only JSON's types)")


def _key_text(key: Any) -> str:
    """Keys as Go's YAML-to-JSON conversion writes them."""
    if key is None:
        raise DecodeError("unsupported map key: null")
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)


def parse_yaml(text: bytes | str) -> Any:
    """The first YAML document of ``text`` as a JSON value (``None`` when there is none)."""
    loader = _YAML_LOADER(text)
    try:
        if not loader.check_node():
            return None
        node = loader.get_node()
    except yaml.YAMLError as error:
        raise DecodeError(str(error)) from None
    except RecursionError:
        raise _too_deep() from None
    finally:
        loader.dispose()
    sizes: dict[int, int] = {}
    if _expanded_size(node, sizes) - len(sizes) > MAX_ALIAS_VALUES:
        raise DecodeError(
            f"document contains excessive aliasing (more than {MAX_ALIAS_VALUES} values through aliases)"
        )
    return _build(node, 1)
