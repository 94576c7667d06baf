"""A plain body skips the field checks: ``strategy.plainly_decoded`` (``Codec.plainly_typed`` on the body as
written) may give an object's decoded form only where ``karmadad.api.fields`` would have found nothing to
say (no value of the wrong type, no unknown field, no null for Go's decoder to make a zero of), and that
form, defaulted, is what the checked path decodes. Held three ways: the schemas side by side for every
served built-in kind, the manifest corpus, and generated damage to it."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from karmadad.api import fields, strategy
from karmadad.api.builtin import default_registry
from karmadad.api.registry import ResourceType
from karmadad.protobuf.codec import (
    FIELDS_V1,
    INT_OR_STRING,
    MICRO_TIME,
    QUANTITY,
    RAW_EXTENSION,
    TIME,
    codec,
)
from tests.api.manifests import corpus_documents

_INTEGERS = (
    FieldDescriptor.CPPTYPE_INT32,
    FieldDescriptor.CPPTYPE_INT64,
    FieldDescriptor.CPPTYPE_UINT32,
    FieldDescriptor.CPPTYPE_UINT64,
)


def _served() -> dict[tuple[str, str], ResourceType]:
    """Every served built-in kind the codec has a message for, by (apiVersion, kind)."""
    found = {}
    for resource in default_registry().all():
        if resource.custom or resource.group.endswith("karmada.io"):
            continue
        if codec().message_name(resource.api_version, resource.kind) is not None:
            found[(resource.api_version, resource.kind)] = resource
    return found


SERVED = _served()


def _accepts(shape: fields._Shape, *kinds: type) -> bool:
    return not shape.accepts or all(kind in shape.accepts for kind in kinds)


def _mismatches(descriptor: Descriptor, shape: fields._Shape | None, path: str, seen: set) -> Iterator[str]:
    """Where a value the codec takes as plain would draw a remark from the fields' check."""
    if shape is None or shape.preserve or (descriptor.full_name, id(shape)) in seen:
        return
    seen.add((descriptor.full_name, id(shape)))
    if not (shape.struct and _accepts(shape, dict)):
        yield f"{path}: a {descriptor.full_name} object, where the schema has no struct"
        return
    plan = codec()._plan(descriptor)
    for key, (via, field) in plan.by_json.items():
        owner = descriptor
        for name in via:
            owner = owner.fields_by_name[name].message_type
        fd = owner.fields_by_name[field.name]
        try:
            sub = shape.field(key)
        except LookupError:
            yield f"{path}.{key}: known to the codec, unknown to the schema"
            continue
        yield from _field_mismatches(fd, sub, f"{path}.{key}", seen)


def _field_mismatches(fd: FieldDescriptor, shape: fields._Shape, path: str, seen: set) -> Iterator[str]:
    if shape.preserve:
        return
    if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        if shape.struct or not _accepts(shape, dict) or shape.values is None:
            yield f"{path}: a map, where the schema has none"
            return
        yield from _value_mismatches(
            fd.message_type.fields_by_name["value"], shape.values, f"{path}[k]", seen
        )
    elif fd.is_repeated:
        if not _accepts(shape, list) or shape.items is None:
            yield f"{path}: a list, where the schema has none"
            return
        yield from _value_mismatches(fd, shape.items, f"{path}[0]", seen)
    else:
        yield from _value_mismatches(fd, shape, path, seen)


def _value_mismatches(fd: FieldDescriptor, shape: fields._Shape, path: str, seen: set) -> Iterator[str]:
    """One value of ``fd`` (an element, for lists and maps) against its schema."""
    if shape.preserve:
        return
    if fd.type == fd.TYPE_MESSAGE:
        name = fd.message_type.full_name
        if name == QUANTITY:
            if not (shape.quantity and _accepts(shape, str)):
                yield f"{path}: a quantity, where the schema has none"
        elif name in (TIME, MICRO_TIME):
            if not _accepts(shape, str):
                yield f"{path}: a time, where the schema takes no string"
        elif name == INT_OR_STRING:
            if not _accepts(shape, str, int):
                yield f"{path}: an int-or-string, where the schema takes {sorted(shape.types)}"
        elif name not in (RAW_EXTENSION, FIELDS_V1):  # never plain
            yield from _mismatches(fd.message_type, shape, path, seen)
        return
    wanted = {
        fd.TYPE_STRING: (str,),
        fd.TYPE_BYTES: (str,),
        fd.TYPE_BOOL: (bool,),
    }.get(fd.type) or ((int,) if fd.cpp_type in _INTEGERS else (int, float))
    if not _accepts(shape, *wanted) or any(kind not in shape.leaves for kind in wanted):
        yield f"{path}: {fd.type} values, where the schema takes {sorted(shape.types)}"


@pytest.mark.parametrize("key", sorted(SERVED), ids=lambda key: f"{key[0]}/{key[1]}")
def test_what_the_codec_takes_as_plain_the_schema_takes_without_remark(key):
    resource = SERVED[key]
    name = codec().message_name(*key)
    assert name is not None
    root = fields._root(resource)
    if root is None:
        pytest.skip("no schema: the fields' check has nothing to say either")
    assert list(_mismatches(codec()._pool.FindMessageTypeByName(name), root, "", set())) == []


CORPUS_DOCUMENTS = [doc for doc in corpus_documents() if (doc.get("apiVersion"), doc.get("kind")) in SERVED]


def _agrees(doc: dict) -> bool:
    """Check the promise on one document; whether it was plain."""
    resource = SERVED[(doc["apiVersion"], doc["kind"])]
    plain = strategy.plainly_decoded(resource, copy.deepcopy(doc))
    if plain is None:
        return False
    checked = copy.deepcopy(doc)
    assert fields.inspected(resource, checked, zero_nulls=True) == ([], []), doc
    assert checked == doc, "the fields' check would have changed a plain body"
    assert strategy._defaulted(resource, plain) == strategy._decode(resource, checked)
    return True


def test_the_corpus_is_plain_where_the_fields_check_finds_nothing():
    plain = [doc for doc in CORPUS_DOCUMENTS if _agrees(doc)]
    # most of the corpus is written as teams write manifests: plain
    assert len(plain) > len(CORPUS_DOCUMENTS) // 2, (len(plain), len(CORPUS_DOCUMENTS))


def _places(value: object, trail: tuple = ()) -> Iterator[tuple]:
    """Every place in a document where a value can be put: (container path, key or index)."""
    if isinstance(value, dict):
        for key, child in value.items():
            if not trail and key in ("apiVersion", "kind"):
                continue  # what says which kind the document is
            yield (trail, key)
            yield from _places(child, (*trail, key))
        yield (trail, "injectedField")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield (trail, index)
            yield from _places(child, (*trail, index))
    if not trail:
        yield ((), "status")  # written, though its writes never take it
        yield ((), "stringData")


DAMAGE = st.sampled_from(
    [None, 1.0, 2.5, "lots", "1Gi", " 2 ", {"x": 1}, [None], [1], True, 0, "", 2**40, -1, {"a": None}, ["a"]]
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_documents_are_plain_only_when_the_fields_check_finds_nothing(data):
    doc = copy.deepcopy(data.draw(st.sampled_from(CORPUS_DOCUMENTS)))
    places = list(_places(doc))
    for _ in range(data.draw(st.integers(1, 3))):
        trail, key = data.draw(st.sampled_from(places))
        container = doc
        try:
            for step in trail:
                container = container[step]
            container[key] = data.draw(DAMAGE)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change took this place away
    _agrees(doc)
