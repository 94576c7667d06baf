"""Kubernetes' protobuf wire format, to and from the JSON values the rest of karmadad works with.

client-go's typed clients send built-in kinds as ``application/vnd.kubernetes.protobuf``: the four bytes
``k8s\\0``, then a ``runtime.Unknown`` holding the apiVersion, the kind and the object's message. Messages
are parsed and written by the ``protobuf`` package from the descriptors in ``kubernetes.binpb``; what this
module adds is the mapping between a message and the object's Kubernetes JSON, which is not protobuf's
JSON mapping. The Go types decide it (``kubernetes-json.json`` records them, see ``regenerate.py``):

- a message decodes to exactly what Go's ``encoding/json`` writes for the decoded Go struct, so a
  protobuf request is the same JSON object the client would have sent as JSON: zero scalars kept or
  dropped by ``omitempty``, structs always written, nil pointers, slices and maps ``null`` unless
  ``omitempty``, embedded structs' fields inlined into their parent;
- six types write their own JSON: ``Time`` (RFC 3339, seconds; zero is ``null``), ``MicroTime``
  (microseconds), ``Quantity`` (its string), ``IntOrString`` (a number or a string), and
  ``RawExtension``/``FieldsV1`` (raw JSON bytes, inlined);
- ``[]byte`` is base64 text; invalid UTF-8 in strings becomes U+FFFD, as Go's JSON encoder writes it.

Encoding a JSON object writes the fields it has: a field the message does not know is dropped, as Go's
decoder drops it.
"""

from __future__ import annotations

import base64
import binascii
import json
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, partial
from pathlib import Path
from typing import Any, NamedTuple

import orjson
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import DecodeError, EncodeError

from karmadad import decoding
from karmadad.quantity import is_quantity_text

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"
_HERE = Path(__file__).resolve().parent
# A message of a class built at run time from the descriptors (message_factory): its fields are attributes
# that exist only once the descriptor set is loaded, so no type checker can know them.
DynamicMessage = Any

TIME = "k8s.io.apimachinery.pkg.apis.meta.v1.Time"
MICRO_TIME = "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime"
QUANTITY = "k8s.io.apimachinery.pkg.api.resource.Quantity"
INT_OR_STRING = "k8s.io.apimachinery.pkg.util.intstr.IntOrString"
RAW_EXTENSION = "k8s.io.apimachinery.pkg.runtime.RawExtension"
FIELDS_V1 = "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1"
_UNKNOWN = "k8s.io.apimachinery.pkg.runtime.Unknown"
_WATCH_EVENT = "k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent"
_ABSENT = object()
_EMPTY = object()  # a repeated or map field given no elements: not present, as in a message
_SPECIAL = frozenset({TIME, MICRO_TIME, QUANTITY, INT_OR_STRING, RAW_EXTENSION, FIELDS_V1})
_INTEGER_RANGES = {
    FieldDescriptor.CPPTYPE_INT32: (-(2**31), 2**31 - 1),
    FieldDescriptor.CPPTYPE_INT64: (-(2**63), 2**63 - 1),
    FieldDescriptor.CPPTYPE_UINT32: (0, 2**32 - 1),
    FieldDescriptor.CPPTYPE_UINT64: (0, 2**64 - 1),
}


class ProtobufError(ValueError):
    """A body or value that cannot be read or written as protobuf; the text says what and where."""

    def __init__(self, message: str, path: tuple[str, ...] = ()):
        super().__init__(message)
        self.message, self.path = message, path

    def at(self, step: str) -> ProtobufError:
        """The same error one level up: ``step`` is a field name, ``[index]`` or ``[key]``."""
        return type(self)(self.message, (step, *self.path))

    def __str__(self) -> str:
        if not self.path:
            return self.message
        where = self.path[0] + "".join(s if s.startswith("[") else f".{s}" for s in self.path[1:])
        return f"{where}: {self.message}"


def _message_type(fd: FieldDescriptor) -> Descriptor:
    """The message type of a field of type message (the descriptor set guarantees it has one)."""
    if fd.message_type is None:
        raise ProtobufError(f"field {fd.full_name} has no message type")
    return fd.message_type


class NoMessage(ProtobufError):
    """The kind has no protobuf message (custom resources, Karmada's kinds)."""


def _expected(what: str, value: Any) -> ProtobufError:
    return ProtobufError(f"expected {what}, not {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str  # the protobuf field's name, for getattr
    json: str
    inline: bool  # an embedded Go struct: its fields are the parent's in JSON
    written_absent: bool  # Go writes it even when it is not on the wire (structs; no omitempty)
    omit_falsy: bool  # a present zero scalar is left out (omitempty)
    omitzero: bool
    struct: bool
    to_json: Callable[[Any], Any]  # the present value (a list or a map for repeated fields) as JSON
    zero: Any  # what Go writes for an absent scalar, pointer, slice or map without omitempty
    set: Callable[[DynamicMessage, Any], None]  # sets the field on its message from a JSON value


@dataclass(frozen=True, slots=True)
class _Plan:
    by_number: dict[int, _Field]
    written_absent: tuple[_Field, ...]  # inline fields, and those Go writes even when absent
    by_json: dict[str, tuple[tuple[str, ...], _Field]]  # JSON name -> (inline fields on the way, field)


class _JsonField(NamedTuple):
    """One JSON name of a message as :meth:`Codec.typed` reads it (a tuple: the walk unpacks it at once)."""

    via: str | None  # the inline field it belongs to (None: the message's own)
    number: int  # its field's number: Go writes fields in this order
    json: str
    convert: Callable[[Any], Any]
    omit_falsy: bool  # a zero is left out (omitempty)
    omitzero: bool  # a null is left out


@dataclass(frozen=True, slots=True)
class _JsonPlan:
    """A message type as :meth:`Codec.typed` walks JSON of it: its fields by JSON name, and what is
    written when absent."""

    by_json: dict[str, _JsonField]
    absent: tuple[tuple[str, Descriptor | None, Callable[[], Any]], ...]
    strict: bool  # see Codec.plainly_typed
    numbers: dict[str, int]  # the field number of each JSON name written


def _identity(value: Any) -> Any:
    return value


def _not_plain(value: Any) -> Any:
    raise ProtobufError("an embedded raw object is not plain")


def _nothing() -> None:
    return None


def _text(value: str | bytes) -> str:
    # proto2 strings are not checked for UTF-8: broken ones arrive as bytes.
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def _time_text(seconds: int, micros: int | None = None) -> str:
    try:
        moment = datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ProtobufError(f"time out of range: {seconds} seconds") from None
    if micros is None:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{micros:06d}Z"


def _parse_time(text: Any) -> datetime:
    if not isinstance(text, str):
        raise ProtobufError(f"a time must be a string, not {type(text).__name__}")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ProtobufError(f"{text!r} is not an RFC 3339 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _checker(fd: FieldDescriptor, strict: bool = False) -> Callable[[Any], Any]:
    """The check (and conversion) of a JSON value for a scalar field, as Go's JSON decoder would make
    (``strict``: no conversion, an integral number written as a float is refused)."""
    if fd.type == fd.TYPE_BYTES:

        def check_bytes(value: Any) -> bytes:
            if not isinstance(value, str):
                raise _expected("base64 text", value)
            try:
                return base64.b64decode(value, validate=True)
            except binascii.Error as error:
                raise ProtobufError(str(error)) from None

        return check_bytes
    if fd.type == fd.TYPE_BOOL:

        def check_bool(value: Any) -> bool:
            if not isinstance(value, bool):
                raise _expected("a boolean", value)
            return value

        return check_bool
    if fd.type == fd.TYPE_STRING:

        def check_string(value: Any) -> str:
            if not isinstance(value, str):
                raise _expected("a string", value)
            return value

        return check_string
    if fd.cpp_type in (fd.CPPTYPE_INT32, fd.CPPTYPE_INT64, fd.CPPTYPE_UINT32, fd.CPPTYPE_UINT64):

        def check_integer(value: Any) -> int:
            if isinstance(value, float) and value.is_integer() and not strict:
                return int(value)
            if isinstance(value, bool) or not isinstance(value, int):
                raise _expected("an integer", value)
            return value

        return check_integer

    def check_number(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _expected("a number", value)
        return value

    return check_number


class Codec:
    """Protobuf messages of one Kubernetes release, read and written as Kubernetes JSON."""

    def __init__(self, descriptors: bytes, facts: dict):
        self._pool = descriptor_pool.DescriptorPool()
        for file in descriptor_pb2.FileDescriptorSet.FromString(descriptors).file:
            self._pool.Add(file)
        self._facts = facts["messages"]
        self._kinds: dict[tuple[str, str], str] = {
            tuple(key.split(" ", 1)): message for key, message in facts["kinds"].items()
        }
        self.kubernetes: str = facts["kubernetes"]
        custom = set(facts["customJSON"])
        handled = {TIME, MICRO_TIME, QUANTITY, INT_OR_STRING, RAW_EXTENSION, FIELDS_V1}
        if custom != handled:  # a release that brings a new self-marshalling type needs code here
            raise RuntimeError(f"types writing their own JSON not handled: {sorted(custom ^ handled)}")
        self._plans: dict[str, _Plan] = {}
        self._json_plans: dict[tuple[str, bool], _JsonPlan] = {}
        self._classes: dict[str, type[DynamicMessage]] = {}
        self._nesting = threading.local()  # how deep embedded envelopes go (bodies decode on threads too)
        self._unknown = self._class(_UNKNOWN)
        self._watch_event = self._class(_WATCH_EVENT)

    # -- tables ------------------------------------------------------------------------------

    def message_name(self, api_version: str, kind: str) -> str | None:
        """The message of an apiVersion/kind, or None when it has none."""
        return self._kinds.get((api_version, kind))

    def speaks(self, api_version: str, kind: str) -> bool:
        return (api_version, kind) in self._kinds

    def _class(self, name: str) -> type[DynamicMessage]:
        found = self._classes.get(name)
        if found is None:
            found = self._classes[name] = message_factory.GetMessageClass(
                self._pool.FindMessageTypeByName(name)
            )
        return found

    def _plan(self, descriptor: Descriptor) -> _Plan:
        plan = self._plans.get(descriptor.full_name)
        if plan is None:
            plan = self._plans[descriptor.full_name] = self._make_plan(descriptor)
        return plan

    def _make_plan(self, descriptor: Descriptor) -> _Plan:
        by_number: dict[int, _Field] = {}
        by_json: dict[str, tuple[tuple[str, ...], _Field]] = {}
        for number, json_name, shape, flags in self._facts.get(descriptor.full_name, ()):
            fd = descriptor.fields_by_number[number]
            inline, omitempty, omitzero = "i" in flags, "e" in flags, "z" in flags
            field = _Field(
                name=fd.name,
                json=json_name,
                inline=inline,
                written_absent=inline or (shape == "struct" and not omitzero) or not omitempty,
                omit_falsy=omitempty and shape in ("scalar", "bytes"),
                omitzero=omitzero,
                struct=shape == "struct",
                to_json=self._value_to_json(fd),
                zero=fd.default_value if shape == "scalar" else None,
                set=self._setter(fd),
            )
            by_number[number] = field
            if inline:
                for key, (via, inner) in self._plan(_message_type(fd)).by_json.items():
                    by_json.setdefault(key, ((fd.name, *via), inner))
            else:
                by_json[json_name] = ((), field)
        written = tuple(f for f in by_number.values() if f.written_absent)
        return _Plan(by_number, written, by_json)

    # -- protobuf -> JSON ----------------------------------------------------------------------

    def _value_to_json(self, fd: FieldDescriptor) -> Callable[[Any], Any]:
        """How the field's present value (a list or a map for repeated and map fields) becomes JSON."""
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value = self._element_to_json(fd.message_type.fields_by_name["value"])
            return lambda entries: {_text(k): value(v) for k, v in entries.items()}
        element = self._element_to_json(fd)
        if fd.is_repeated:
            return lambda items: [element(item) for item in items]
        return element

    def _element_to_json(self, fd: FieldDescriptor) -> Callable[[Any], Any]:
        if fd.type == fd.TYPE_MESSAGE:
            special = self._special_to_json(_message_type(fd).full_name)
            return special if special is not None else self.to_json
        if fd.type == fd.TYPE_STRING:
            return _text
        if fd.type == fd.TYPE_BYTES:
            return lambda raw: base64.b64encode(raw).decode()
        return lambda value: value

    def _special_to_json(self, name: str) -> Callable[[DynamicMessage], Any] | None:
        if name == TIME:
            return lambda m: _time_text(m.seconds) if m.ListFields() else None
        if name == MICRO_TIME:
            return lambda m: _time_text(m.seconds, m.nanos // 1000) if m.ListFields() else None
        if name == QUANTITY:
            return lambda m: _text(m.string) or "0"
        if name == INT_OR_STRING:
            return lambda m: _text(m.strVal) if m.type == 1 else m.intVal
        if name in (RAW_EXTENSION, FIELDS_V1):
            attribute = "raw" if name == RAW_EXTENSION else "Raw"

            def raw_json(m: DynamicMessage) -> Any:
                raw = getattr(m, attribute)
                if not raw:
                    return None
                if raw.startswith(MAGIC):  # an embedded object a Go client wrote in protobuf
                    return self._embedded(raw)
                try:
                    return decoding.parse_json(raw)
                except decoding.DecodeError as error:
                    raise ProtobufError(f"{name.rsplit('.', 1)[1]} does not hold JSON: {error}") from None

            return raw_json
        return None

    def to_json(self, message: DynamicMessage) -> dict:
        """The message as Go's encoding/json writes the Go struct it decodes to."""
        plan = self._plan(message.DESCRIPTOR)
        out: dict[str, Any] = {}
        for fd, value in message.ListFields():
            field = plan.by_number.get(fd.number)
            if field is None or field.inline or (field.omit_falsy and not value):
                continue
            converted = field.to_json(value)
            if converted is None and field.omitzero:
                continue
            out[field.json] = converted
        for field in plan.written_absent:
            if field.inline:
                out.update(self.to_json(getattr(message, field.name)))
            elif field.json not in out:
                out[field.json] = field.to_json(getattr(message, field.name)) if field.struct else field.zero
        return out

    # -- JSON -> protobuf ----------------------------------------------------------------------

    def fill(self, message: DynamicMessage, obj: Any) -> None:
        """Sets the message's fields from a JSON object; fields the message does not know are dropped."""
        if not isinstance(obj, dict):
            raise _expected("an object", obj)
        by_json = self._plan(message.DESCRIPTOR).by_json
        for key, value in obj.items():
            found = by_json.get(key)
            if found is None or value is None:
                continue
            via, field = found
            holder = message
            for name in via:
                holder = getattr(holder, name)
            try:
                field.set(holder, value)
            except ProtobufError as error:
                raise error.at(key) from None
            except (TypeError, ValueError) as error:  # the protobuf runtime's own checks (ranges, ...)
                raise ProtobufError(str(error), (key,)) from None

    def _setter(self, fd: FieldDescriptor) -> Callable[[DynamicMessage, Any], None]:
        """How the field is set from a JSON value, decided once per field."""
        name = fd.name
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            if value_fd.type == value_fd.TYPE_MESSAGE:
                write = self._writer(_message_type(value_fd))

                def put(container: Any, key: str, item: Any) -> None:
                    write(container[key], item)
            else:
                check = _checker(value_fd)

                def put(container: Any, key: str, item: Any) -> None:
                    container[key] = check(item)

            def set_map(holder: DynamicMessage, value: Any) -> None:
                if not isinstance(value, dict):
                    raise _expected("an object", value)
                container = getattr(holder, name)
                for key, item in value.items():
                    if item is not None:
                        try:
                            put(container, key, item)
                        except ProtobufError as error:
                            raise error.at(f"[{key}]") from None

            return set_map
        if fd.is_repeated:
            if fd.type == fd.TYPE_MESSAGE:
                write = self._writer(_message_type(fd))

                def add(container: Any, item: Any) -> None:
                    element = container.add()
                    if item is not None:
                        write(element, item)
            else:
                check = _checker(fd)

                def add(container: Any, item: Any) -> None:
                    container.append(check(item))

            def set_list(holder: DynamicMessage, value: Any) -> None:
                if not isinstance(value, list):
                    raise _expected("a list", value)
                container = getattr(holder, name)
                for index, item in enumerate(value):
                    try:
                        add(container, item)
                    except ProtobufError as error:
                        raise error.at(f"[{index}]") from None

            return set_list
        if fd.type == fd.TYPE_MESSAGE:
            write = self._writer(_message_type(fd))
            return lambda holder, value: write(getattr(holder, name), value)
        check = _checker(fd)
        return lambda holder, value: setattr(holder, name, check(value))

    def _writer(self, descriptor: Descriptor) -> Callable[[DynamicMessage, Any], None]:
        """How a JSON value is written into a message of this type."""
        name = descriptor.full_name
        if name in (TIME, MICRO_TIME):
            micro = name == MICRO_TIME

            def write_time(message: DynamicMessage, value: Any) -> None:
                moment = _parse_time(value)
                message.seconds = int(moment.timestamp() // 1)
                if micro:
                    message.nanos = moment.microsecond * 1000

            return write_time
        if name == QUANTITY:

            def write_quantity(message: DynamicMessage, value: Any) -> None:
                if isinstance(value, bool) or not isinstance(value, str | int | float):
                    raise _expected("a quantity (a string or a number)", value)
                message.string = value if isinstance(value, str) else json.dumps(value)

            return write_quantity
        if name == INT_OR_STRING:

            def write_int_or_string(message: DynamicMessage, value: Any) -> None:
                if isinstance(value, str):
                    message.type, message.strVal = 1, value
                elif isinstance(value, int) and not isinstance(value, bool):
                    message.type, message.intVal = 0, value
                else:
                    raise _expected("an integer or a string", value)

            return write_int_or_string
        if name in (RAW_EXTENSION, FIELDS_V1):
            attribute = "raw" if name == RAW_EXTENSION else "Raw"
            return lambda message, value: setattr(message, attribute, orjson.dumps(value))

        def write_message(message: DynamicMessage, value: Any) -> None:
            message.SetInParent()
            self.fill(message, value)

        return write_message

    # -- the envelope --------------------------------------------------------------------------

    def _embedded(self, raw: bytes) -> dict:
        """An envelope inside a RawExtension, decoded; nesting them is bounded like JSON nesting."""
        depth = getattr(self._nesting, "depth", 0)
        if depth >= decoding.MAX_DEPTH:
            raise ProtobufError(f"objects nested in objects more than {decoding.MAX_DEPTH} deep")
        self._nesting.depth = depth + 1
        try:
            return self.decode(raw)
        finally:
            self._nesting.depth = depth

    def decode(self, raw: bytes) -> dict:
        """A request body (``k8s\\0`` + ``runtime.Unknown``) as the JSON object it stands for."""
        if not raw.startswith(MAGIC):
            raise ProtobufError("the body does not start with the Kubernetes protobuf prefix k8s\\x00")
        try:
            envelope = self._unknown.FromString(raw[len(MAGIC) :])
        except DecodeError as error:
            raise ProtobufError(f"the runtime.Unknown envelope cannot be parsed: {error}") from None
        api_version, kind = _text(envelope.typeMeta.apiVersion), _text(envelope.typeMeta.kind)
        if envelope.contentEncoding:
            raise ProtobufError(f"content encoding {_text(envelope.contentEncoding)!r} is not supported")
        if envelope.contentType not in ("", MEDIA_TYPE):
            raise ProtobufError(
                f"content type {_text(envelope.contentType)!r} in the envelope is not supported"
            )
        name = self.message_name(api_version, kind)
        if name is None:
            if not kind:
                raise ProtobufError("the envelope names no kind")
            raise NoMessage(f'no kind "{kind}" is registered for version "{api_version}"')
        try:
            message = self._class(name).FromString(envelope.raw)
        except DecodeError as error:
            raise ProtobufError(f"the {kind} message cannot be parsed: {error}") from None
        return {"kind": kind, "apiVersion": api_version, **self.to_json(message)}

    def encode(self, obj: dict) -> bytes:
        """A JSON object with its apiVersion and kind, in the envelope."""
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        name = self.message_name(api_version, kind)
        if name is None:
            raise NoMessage(f"{api_version} {kind} has no protobuf form")
        message = self._class(name)()
        self.fill(message, obj)
        try:
            return self.wrap(api_version, kind, message.SerializeToString())
        except EncodeError as error:
            raise ProtobufError(str(error)) from None

    def typed(self, obj: dict) -> dict:
        """A JSON object as Go holds it once decoded into its type, written back as JSON: unknown fields
        and nulls gone, zero scalars dropped where ``omitempty`` drops them, structs written even when
        absent (a container's ``resources: {}``, a Deployment's ``status: {}``). This is the form
        kube-apiserver stores and answers with; objects of kinds without a message come back as they are.

        It is what :meth:`fill` then :meth:`to_json` make of the object (``typed_through_messages``, which
        the tests hold this to), computed on the JSON directly: building the messages costs three times
        as much."""
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        name = self.message_name(api_version, kind)
        if name is None:
            return obj
        descriptor = self._pool.FindMessageTypeByName(name)
        return {"apiVersion": api_version, "kind": kind, **self._shaped(self._json_plan(descriptor), obj)}

    def plainly_typed(self, obj: dict) -> dict | None:
        """:meth:`typed`, when ``obj`` is plain; None when it is not, or its kind has no message.

        Plain: every field is one its type declares, and every value is exactly of its field's JSON type,
        with nothing for Go's decoder to convert or to make up: no integer written as a float, no null map
        value or list item, no embedded raw object, every quantity well-formed. Such an object is one
        kube-apiserver's strict decoding takes without a remark, so the caller has no field check to
        make (``karmadad.api.fields``), and its typed form comes from the one walk."""
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        name = self.message_name(api_version, kind)
        if name is None:
            return None
        plan = self._json_plan(self._pool.FindMessageTypeByName(name), strict=True)
        body = {key: value for key, value in obj.items() if key != "apiVersion" and key != "kind"}
        try:
            return {"apiVersion": api_version, "kind": kind, **self._shaped(plan, body)}
        except (ProtobufError, TypeError, ValueError):
            return None

    def typed_through_messages(self, obj: dict) -> dict:
        """:meth:`typed` the long way, through a message: the reference it is tested against."""
        api_version, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        name = self.message_name(api_version, kind)
        if name is None:
            return obj
        message = self._class(name)()
        self.fill(message, obj)
        return {"apiVersion": api_version, "kind": kind, **self.to_json(message)}

    # -- JSON -> typed JSON, without messages -------------------------------------------------------

    def _json_plan(self, descriptor: Descriptor, strict: bool = False) -> _JsonPlan:
        """How :meth:`typed` (or, ``strict``, :meth:`plainly_typed`) walks JSON of a message type."""
        key = (descriptor.full_name, strict)
        plan = self._json_plans.get(key)
        if plan is None:
            plan = self._json_plans[key] = self._make_json_plan(descriptor, strict)
        return plan

    def _make_json_plan(self, descriptor: Descriptor, strict: bool) -> _JsonPlan:
        plan = self._plan(descriptor)
        by_json: dict[str, _JsonField] = {}
        for key, (via, field) in plan.by_json.items():
            if via:
                by_json[key] = _JsonField(via[0], 0, key, _identity, False, False)
            else:
                fd = descriptor.fields_by_name[field.name]
                convert = self._field_converter(fd, strict)
                by_json[key] = _JsonField(
                    None, fd.number, field.json, convert, field.omit_falsy, field.omitzero
                )
        absent: list[tuple[str, Descriptor | None, Callable[[], Any]]] = []
        for field in plan.written_absent:
            fd = descriptor.fields_by_name[field.name]
            if field.inline:
                absent.append((field.name, _message_type(fd), _nothing))
            elif field.struct:
                absent.append((field.json, None, self._empty_value(_message_type(fd))))
            else:
                absent.append((field.json, None, partial(_identity, field.zero)))
        numbers = {field.json: field.number for field in by_json.values() if field.via is None}
        return _JsonPlan(by_json, tuple(absent), strict, numbers)

    def _empty_value(self, descriptor: Descriptor) -> Callable[[], Any]:
        """What ``to_json`` writes for an empty message of this type (an absent struct, a null list item)."""
        name = descriptor.full_name
        if name in _SPECIAL:
            special = {QUANTITY: "0", INT_OR_STRING: 0}.get(name)
            return lambda: special
        convert = self._message_converter(descriptor, strict=False)
        return lambda: convert({})

    def _field_converter(self, fd: FieldDescriptor, strict: bool) -> Callable[[Any], Any]:
        """The JSON ``to_json`` writes for a present field set from a value (``_EMPTY``: not present after
        all, as an empty list or map is not)."""
        if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
            element = self._element_converter(fd.message_type.fields_by_name["value"], strict)

            def convert_map(value: Any) -> Any:
                if not isinstance(value, dict):
                    raise _expected("an object", value)
                out = {}
                for key in sorted(value):  # Go writes a map's keys sorted
                    if value[key] is None:
                        if strict:
                            raise ProtobufError("a null map value is not plain")
                        continue
                    try:
                        out[key] = element(value[key])
                    except ProtobufError as error:
                        raise error.at(f"[{key}]") from None
                return out if out else _EMPTY

            return convert_map
        if fd.is_repeated:
            element = self._element_converter(fd, strict)
            empty = self._empty_value(_message_type(fd)) if fd.type == fd.TYPE_MESSAGE else None
            if strict:
                empty = None  # a null item is not plain: the element's check refuses it

            def convert_list(value: Any) -> Any:
                if not isinstance(value, list):
                    raise _expected("a list", value)
                items = []
                for index, item in enumerate(value):
                    try:
                        items.append(empty() if item is None and empty is not None else element(item))
                    except ProtobufError as error:
                        raise error.at(f"[{index}]") from None
                return items if items else _EMPTY

            return convert_list
        return self._element_converter(fd, strict)

    def _element_converter(self, fd: FieldDescriptor, strict: bool) -> Callable[[Any], Any]:
        """One value of a field (or list item, or map value) as ``to_json`` writes it back."""
        if fd.type == fd.TYPE_MESSAGE:
            sub = _message_type(fd)
            name = sub.full_name
            if name in (TIME, MICRO_TIME):
                micro = name == MICRO_TIME

                def convert_time(value: Any) -> str:
                    moment = _parse_time(value)
                    return _time_text(int(moment.timestamp() // 1), moment.microsecond if micro else None)

                return convert_time
            if name == QUANTITY:

                def convert_quantity(value: Any) -> str:
                    if isinstance(value, bool) or not isinstance(value, str | int | float):
                        raise _expected("a quantity (a string or a number)", value)
                    if strict and not (isinstance(value, str) and is_quantity_text(value.strip())):
                        raise ProtobufError("only a well-formed quantity text is plain")
                    return (value if isinstance(value, str) else json.dumps(value)) or "0"

                return convert_quantity
            if name == INT_OR_STRING:

                def convert_int_or_string(value: Any) -> Any:
                    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
                        return value
                    raise _expected("an integer or a string", value)

                return convert_int_or_string
            if name in (RAW_EXTENSION, FIELDS_V1):
                if strict:
                    return _not_plain
                return lambda value: orjson.loads(orjson.dumps(value))
            return self._message_converter(sub, strict)
        check = _checker(fd, strict)
        if fd.type == fd.TYPE_BYTES:
            return lambda value: base64.b64encode(check(value)).decode()
        bounds = _INTEGER_RANGES.get(fd.cpp_type)
        if bounds is None:
            return check
        low, high = bounds

        def convert_integer(value: Any) -> int:
            checked = check(value)
            if not low <= checked <= high:
                raise ProtobufError(f"Value out of range: {checked}")
            return checked

        return convert_integer

    def _message_converter(self, descriptor: Descriptor, strict: bool) -> Callable[[Any], dict]:
        """A value of a message field as :meth:`_shaped` writes it; the plan is found when first needed
        (message types may contain themselves)."""
        found: list[_JsonPlan] = []

        def convert_message(value: Any) -> dict:
            if not found:
                found.append(self._json_plan(descriptor, strict))
            return self._shaped(found[0], value)

        return convert_message

    def _shaped(self, plan: _JsonPlan, obj: Any) -> dict:
        """What ``to_json`` writes for a message filled from ``obj``, worked out on the JSON."""
        if not isinstance(obj, dict):
            raise _expected("an object", obj)
        out: dict[str, Any] = {}
        last, in_order = -1, True
        inline: dict[str, dict] = {}
        field_of = plan.by_json.get
        for key, value in obj.items():
            field = field_of(key)
            if field is None:
                if plan.strict:
                    raise ProtobufError(f"unknown field {key!r} is not plain")
                continue
            if value is None:
                continue
            via, number, json_name, convert, omit_falsy, omitzero = field
            if via is not None:
                inline.setdefault(via, {})[key] = value
                continue
            try:
                converted = convert(value)
            except ProtobufError as error:
                raise error.at(key) from None
            except (TypeError, ValueError) as error:
                raise ProtobufError(str(error), (key,)) from None
            if not (
                converted is _EMPTY or (omit_falsy and not converted) or (converted is None and omitzero)
            ):
                out[json_name] = converted
                in_order = in_order and number > last
                last = number
        if not in_order:  # Go writes fields in their number's order
            out = {json_name: out[json_name] for json_name in sorted(out, key=plan.numbers.__getitem__)}
        for json_name, inline_descriptor, empty in plan.absent:
            if inline_descriptor is not None:
                inline_plan = self._json_plan(inline_descriptor, plan.strict)
                out.update(self._shaped(inline_plan, inline.get(json_name, {})))
            elif json_name not in out:
                out[json_name] = empty()
        return out

    def wrap(self, api_version: str, kind: str, raw: bytes) -> bytes:
        """A serialized message in the envelope."""
        envelope = self._unknown(raw=raw)
        envelope.typeMeta.apiVersion, envelope.typeMeta.kind = api_version, kind
        return MAGIC + envelope.SerializeToString()

    def watch_frame(self, event_type: str, obj: dict) -> bytes:
        """One watch event as a ``;stream=watch`` frame: a big-endian length, then a bare WatchEvent whose
        object is the enveloped object."""
        event = self._watch_event(type=event_type)
        event.object.raw = self.encode(obj)
        body = event.SerializeToString()
        return struct.pack(">I", len(body)) + body


@cache
def codec() -> Codec:
    """The codec of the release in this package's tables (loaded once: about 40 ms)."""
    facts = json.loads((_HERE / "kubernetes-json.json").read_text())
    return Codec((_HERE / "kubernetes.binpb").read_bytes(), facts)
