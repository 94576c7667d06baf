"""Per-kind rules applied to every write, as kube-apiserver's registry strategies do.

- Kinds with a ``status`` subresource ignore status on create and on updates of the main resource
  (status is written through ``/status``); their spec changes bump ``generation``.
- Karmada kinds get Karmada's webhook defaulting and validation (``karmadad.api.karmada``).
- Names must be DNS-1123 subdomains of at most 253 characters (Namespaces: labels of at most 63; Cluster
  names: labels of at most 48, checked by its admission). Names other objects derive from a template's
  name (``<name>-<kind>`` bindings, ``<name>-<hash>`` Works, ``<name>.<hex>`` Events) can outgrow that;
  the error then names the derived object, as kube-apiserver's would.
- Secrets and ConfigMaps are taken as kube-apiserver decodes them, before any validation: base64 values
  (a Secret's ``data``, a ConfigMap's ``binaryData``) must decode (400 otherwise, as a decoding error),
  and are kept in their canonical encoding; a Secret's ``stringData`` is write-only — merged into
  ``data`` (winning over the same key) and never stored, so create, update, patch, apply and dry runs
  all answer with the merged form; an empty ``type`` becomes ``Opaque``. Their validation then limits
  their contents to 1 MiB in all (422).
"""

from __future__ import annotations

import base64
import binascii
import re

from karmadad.api.registry import ResourceType
from karmadad.errors import BadRequest, Cause, Invalid

_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
KARMADA_GROUPS = frozenset({"cluster.karmada.io", "policy.karmada.io", "work.karmada.io"})
MAX_NAME_LENGTH = 253  # a DNS-1123 subdomain
MAX_NAMESPACE_NAME_LENGTH = 63  # a DNS-1123 label
MAX_DATA_SIZE = 1048576  # bytes a Secret's data, or a ConfigMap's data and binaryData together, may hold
_BASE64_ALPHABET = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_LINE_BREAKS = frozenset(b"\r\n")
_PAD = ord("=")
_NOT_ALPHABET_NOR_LINE_BREAK = re.compile(rb"[^A-Za-z0-9+/\r\n]")
_JSON_TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", dict: "object", list: "array"}


def is_dns_subdomain(name: str) -> bool:
    """Whether ``name`` is valid as most kinds' names are: a DNS-1123 subdomain of at most 253 characters."""
    return len(name) <= MAX_NAME_LENGTH and _DNS1123_SUBDOMAIN.fullmatch(name) is not None


def _name_causes(resource: ResourceType, meta: dict) -> list[Cause]:
    name = meta.get("name") or ""
    causes = []
    pattern, what, limit = (
        (_DNS1123_LABEL, "a lowercase RFC 1123 label", MAX_NAMESPACE_NAME_LENGTH)
        if resource.plural == "namespaces"
        else (_DNS1123_SUBDOMAIN, "a lowercase RFC 1123 subdomain", MAX_NAME_LENGTH)
    )
    if len(name) > limit:
        causes.append(
            Cause("metadata.name", f'Invalid value: "{name}": must be no more than {limit} characters')
        )
    if name and not pattern.fullmatch(name):
        causes.append(
            Cause(
                "metadata.name",
                f'Invalid value: "{name}": must be {what}: consist of lower case alphanumeric characters, '
                "'-' or '.', and must start and end with an alphanumeric character",
            )
        )
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is not None and (
            not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values())
        ):
            causes.append(Cause(f"metadata.{field}", "Invalid value: must be a map of strings"))
    return causes


# -- Secrets and ConfigMaps, as kube-apiserver decodes them ------------------------------------------


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
    value of the same key), ``stringData`` gone, and ``type`` defaulted to ``Opaque``."""
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
    if not decoded.get("type"):
        decoded["type"] = "Opaque"
    return decoded


def decoded_config_map(config_map: dict) -> dict:
    """``config_map`` as kube-apiserver decodes a v1 ConfigMap (a new dict): ``binaryData`` checked and
    canonical."""
    if not isinstance(config_map.get("binaryData"), dict):
        return dict(config_map)
    binary = _canonical_base64("ConfigMap", "binaryData", config_map["binaryData"])
    return {**config_map, "binaryData": binary}


def _base64_size(canonical: object) -> int:
    if not isinstance(canonical, str):
        return 0
    return len(canonical) * 3 // 4 - canonical[-2:].count("=")


def _text_size(text: object) -> int:
    return len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else 0


_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_CONFIG_KEY_FORMAT = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or "
    "'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)


def _config_key_causes(field: str, values: object) -> list[Cause]:
    """Keys of a ConfigMap's or Secret's maps, which become file names in a volume: kube-apiserver's rules."""
    causes = []
    for key in values if isinstance(values, dict) else ():
        problems = []
        if len(key) > MAX_NAME_LENGTH:
            problems.append(f"must be no more than {MAX_NAME_LENGTH} characters")
        if not _CONFIG_KEY.fullmatch(key):
            problems.append(_CONFIG_KEY_FORMAT)
        if key == ".":
            problems.append("must not be '.'")
        elif key == "..":
            problems.append("must not be '..'")
        elif key.startswith(".."):
            problems.append("must not start with '..'")
        causes.extend(Cause(f"{field}[{key}]", f'Invalid value: "{key}": {problem}') for problem in problems)
    return causes


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


_DECODERS = {"Secret": decoded_secret, "ConfigMap": decoded_config_map}


def _decode(resource: ResourceType, obj: dict) -> dict:
    """What kube-apiserver's decoding (conversion and defaulting included) makes of a built-in object;
    only Secrets and ConfigMaps differ from what was sent."""
    if resource.group or resource.custom or resource.version != "v1":
        return obj
    decoder = _DECODERS.get(resource.kind)
    return obj if decoder is None else decoder(obj)


def _object_causes(resource: ResourceType, obj: dict) -> list[Cause]:
    if resource.group or resource.custom:
        return []
    return content_causes(resource.kind, obj)


def _invalid(resource: ResourceType, obj: dict, causes: list[Cause]) -> Invalid:
    return Invalid.of(resource.kind, resource.group, (obj.get("metadata") or {}).get("name", ""), causes)


def _admit_karmada(resource: ResourceType, obj: dict, old: dict | None, *, trusted: bool = False) -> dict:
    if resource.group not in KARMADA_GROUPS:
        return obj
    from karmadad.api.karmada.admission import admit

    return admit(resource.kind, obj, old=old, trusted=trusted)


def prepare_create(resource: ResourceType, obj: dict, *, trusted: bool = False) -> dict:
    """The object to store for a create request (a new dict; ``obj`` is not changed). ``trusted``: built
    by a controller from admitted objects, so Karmada kinds skip their schema pass."""
    obj = _decode(resource, obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(
            resource, obj, [Cause("metadata", "Required value: metadata is required", "FieldValueRequired")]
        )
    if causes := [*_name_causes(resource, meta), *_object_causes(resource, obj)]:
        raise _invalid(resource, obj, causes)
    new = {**obj, "apiVersion": resource.api_version, "kind": resource.kind}
    if "status" in resource.subresources and resource.plural != "namespaces":
        new.pop("status", None)
    return _admit_karmada(resource, new, None, trusted=trusted)


def prepare_update(resource: ResourceType, old: dict, obj: dict, *, trusted: bool = False) -> dict:
    """The object to store for an update of the main resource (``trusted`` as for :func:`prepare_create`)."""
    obj = _decode(resource, obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(
            resource, obj, [Cause("metadata", "Required value: metadata is required", "FieldValueRequired")]
        )
    if causes := [*_name_causes(resource, meta), *_object_causes(resource, obj)]:
        raise _invalid(resource, obj, causes)
    new = {**obj, "apiVersion": resource.api_version, "kind": resource.kind}
    if "status" in resource.subresources:
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
    if resource.plural == "namespaces":
        # spec.finalizers only change through /finalize
        new["spec"] = {**(new.get("spec") or {}), "finalizers": (old.get("spec") or {}).get("finalizers", [])}
        if not new["spec"]["finalizers"]:
            new["spec"].pop("finalizers")
    return _admit_karmada(resource, new, old, trusted=trusted)
