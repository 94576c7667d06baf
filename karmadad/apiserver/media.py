"""Representations on the wire: which one a request body is in, and which one an answer goes out in.

JSON is the default. Built-in kinds are also read and written as Kubernetes protobuf
(:mod:`karmadad.protobuf.codec`), which client-go's typed clients send, and ask for first
(``Accept: application/vnd.kubernetes.protobuf,application/json``). YAML bodies are read. As in
kube-apiserver, an answer takes the first representation in the client's Accept list that the kind has;
a client that accepts only protobuf for a kind without a message (a custom resource, Karmada's kinds)
gets 406.
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from aiohttp import web

from karmadad import decoding
from karmadad.errors import BadRequest, NotAcceptable, UnsupportedMediaType
from karmadad.jsonvalue import encode
from karmadad.protobuf.codec import MEDIA_TYPE as PROTOBUF
from karmadad.protobuf.codec import NoMessage, ProtobufError, codec

JSON = "application/json"
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
APPLY_PATCH = "application/apply-patch+yaml"
DECODE_ON_THREAD_BYTES = 256 * 1024
ANSWER = web.RequestKey("answer", str)  # the negotiated representation of the request's answers


def dumps(obj: Any) -> bytes:
    return encode(obj)


def json_response(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=dumps(obj), status=status, content_type=JSON)


def negotiate(accept: str, *, protobuf: bool) -> str:
    """The representation of an answer: :data:`PROTOBUF` when the client lists it before JSON and the kind
    has a message (``protobuf``), else :data:`JSON`. Raises 406 when the client accepts only protobuf and
    the kind has none. Table and metadata-only forms (``as=...``) are chosen elsewhere and skipped here."""
    only_protobuf = False
    for choice in accept.split(","):
        media, *params = (part.strip() for part in choice.split(";"))
        if any(param.startswith("as=") for param in params):
            continue
        media = media.lower()
        if media == PROTOBUF:
            if protobuf:
                return PROTOBUF
            only_protobuf = True
        elif media:
            return JSON  # application/json, */*, and anything else karmadad answers in JSON
    if only_protobuf:
        raise NotAcceptable(f"only the following media types are accepted: {JSON}, {YAML_TYPES[0]}")
    return JSON


def answer(request: web.Request, obj: dict, status: int = 200) -> web.Response:
    """``obj`` in the representation negotiated for the request (JSON unless one was)."""
    if request.get(ANSWER) == PROTOBUF:
        try:
            return web.Response(body=codec().encode(obj), status=status, content_type=PROTOBUF)
        except NoMessage:  # a Table, say: JSON, as kube-apiserver does for forms without a message
            pass
    return json_response(obj, status)


def decode_body(raw: bytes, content_type: str) -> Any:
    """A request body as a JSON value: JSON, YAML (:mod:`karmadad.decoding`) or protobuf; anything else is
    415, anything unparsable or beyond the decoders' limits 400."""
    if content_type in ("", JSON, APPLY_PATCH) or content_type.endswith("+json"):
        try:  # an apply patch is YAML to Kubernetes: JSON that only Go's JSON decoder would repair is not
            return decoding.parse_json(raw, strict=content_type == APPLY_PATCH)
        except decoding.DecodeError as error:
            if content_type != APPLY_PATCH:
                raise BadRequest(f"the request body is not valid JSON: {error}") from None
    elif content_type == PROTOBUF:
        try:
            return codec().decode(raw)
        except NoMessage:
            raise unsupported(content_type, protobuf=False) from None
        except ProtobufError as error:
            raise BadRequest(f"the request body is not valid Kubernetes protobuf: {error}") from None
    elif content_type not in YAML_TYPES:
        raise unsupported(content_type)
    try:
        return decoding.parse_yaml(raw)
    except decoding.DecodeError as error:
        raise BadRequest(f"the request body is not valid YAML: {error}") from None


def unsupported(content_type: str, *, protobuf: bool = True) -> UnsupportedMediaType:
    accepted = f"{JSON}, {YAML_TYPES[0]}" + (f", {PROTOBUF}" if protobuf else "")
    return UnsupportedMediaType(
        f"the body of the request was in an unknown format - accepted media types include: {accepted}"
        + (f', not "{content_type}"' if content_type else "")
    )


async def read_body(request: web.Request, content_type: str | None = None) -> Any:
    """The request's body decoded; a large one on a worker thread, so that parsing megabytes of YAML
    does not hold the event loop (the thread yields it every few milliseconds)."""
    raw = await request.read()
    content_type = request.content_type if content_type is None else content_type
    if len(raw) > DECODE_ON_THREAD_BYTES:
        return await anyio.to_thread.run_sync(decode_body, raw, content_type)
    return decode_body(raw, content_type)
