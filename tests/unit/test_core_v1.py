"""Secrets and ConfigMaps as kube-apiserver decodes them (stringData merged, base64 checked and made
canonical, sizes limited), names over their limits, and Event names for long-named objects."""

from __future__ import annotations

import base64
import uuid

import pytest

from karmadad.api import strategy
from karmadad.api.builtin import default_registry
from karmadad.api.core_v1 import (
    MAX_DATA_SIZE,
    base64_error_offset,
    content_causes,
    decode_base64,
    decoded_config_map,
    decoded_secret,
)
from karmadad.api.name_rules import is_dns_subdomain
from karmadad.api.registry import ResourceType
from karmadad.errors import BadRequest, Invalid
from karmadad.events import event_name

REGISTRY = default_registry()
SECRETS = REGISTRY.get("", "v1", "secrets")
CONFIG_MAPS = REGISTRY.get("", "v1", "configmaps")


def b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def secret(**fields) -> dict:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}, **fields}


def config_map(**fields) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "default"},
        **fields,
    }


# -- stringData -----------------------------------------------------------------------------------


def test_string_data_is_merged_into_data_and_never_kept():
    sent = secret(data={"a": b64("old"), "keep": b64("k")}, stringData={"a": "new", "b": "b"})
    decoded = decoded_secret(sent)
    assert decoded["data"] == {"a": b64("new"), "keep": b64("k"), "b": b64("b")}, "stringData wins"
    assert "stringData" not in decoded
    assert "stringData" in sent, "the object sent is not changed"


def test_string_data_alone_makes_data_of_its_utf8_bytes():
    decoded = decoded_secret(secret(stringData={"greeting": "grüß dich", "empty": "", "null": None}))
    assert decoded["data"] == {"greeting": b64("grüß dich".encode()), "empty": "", "null": ""}
    assert base64.b64decode(decoded["data"]["greeting"]).decode() == "grüß dich"


def test_a_secret_without_data_stays_without():
    assert decoded_secret(secret()) == secret()  # its type is defaulted with the other defaults
    assert "data" not in decoded_secret(secret(data=None, stringData={}))
    typed = decoded_secret(secret(type="kubernetes.io/tls", data={}))
    assert typed["type"] == "kubernetes.io/tls" and typed["data"] == {}


def test_data_is_kept_in_its_canonical_encoding():
    # line breaks are skipped and nonzero trailing bits accepted, as Go's decoder does; then re-encoded
    assert decoded_secret(secret(data={"a": "YW\nJj\r\nZA==", "b": "YR=="}))["data"] == {
        "a": b64("abcd"),
        "b": b64("a"),
    }


def test_prepare_create_and_update_store_the_merged_form():
    created = strategy.prepare_create(SECRETS, secret(stringData={"a": "b"}))
    assert created["data"] == {"a": b64("b")} and "stringData" not in created
    assert created["type"] == "Opaque"
    updated = strategy.prepare_update(SECRETS, created, {**created, "stringData": {"c": "d"}})
    assert updated["data"] == {"a": b64("b"), "c": b64("d")} and "stringData" not in updated


def test_a_custom_kind_named_secret_is_left_alone():
    custom = ResourceType("example.com", "v1", "Secret", "secrets", "secret", True, custom=True)
    created = strategy.prepare_create(custom, {"metadata": {"name": "x"}, "stringData": {"a": "b"}})
    assert created["stringData"] == {"a": "b"} and "data" not in created and "type" not in created


# -- base64 as Go decodes it ----------------------------------------------------------------------

# offsets as Go's encoding/json reports them for a []byte field ("illegal base64 data at input byte N"),
# checked against Go 1.26
GO_OFFSETS = [
    ("", None),
    ("YQ==", None),
    ("Y\nQ==", None),
    ("YQ=\n=", None),
    ("YWI=\n", None),
    ("b", 0),
    ("YQ", 0),
    ("YQ=", 3),
    ("not base64!", 3),
    ("YQ===", 4),
    ("YQ==YQ==", 4),
    ("YWJj=", 4),
    ("YQ=\nx", 3),
    ("=", 0),
    ("YWJjZA", 4),
    ("YWJjZA=", 7),
    ("é", 0),
]


@pytest.mark.parametrize(("text", "offset"), GO_OFFSETS)
def test_base64_errors_are_found_where_go_finds_them(text, offset):
    assert base64_error_offset(text.encode()) == offset
    decoded = decode_base64(text)
    if offset is None:
        assert decoded == base64.b64decode(text.replace("\n", "").replace("\r", ""))
    else:
        assert decoded == offset


def test_undecodable_secret_data_is_a_bad_request_naming_the_field():
    with pytest.raises(BadRequest) as refused:
        decoded_secret(secret(data={"ok": b64("x"), "tls.key": "not base64!"}))
    assert refused.value.code == 400
    assert refused.value.message == (
        'Secret in version "v1" cannot be handled as a Secret: '
        "data.tls.key: illegal base64 data at input byte 3"
    )
    # refused while decoding, so even a key stringData replaces, and before any validation
    with pytest.raises(BadRequest):
        strategy.prepare_create(SECRETS, secret(data={"a": "b"}, stringData={"a": "b"}))
    with pytest.raises(BadRequest):
        strategy.prepare_create(SECRETS, {**secret(data={"a": "b"}), "metadata": {"name": "Not_Valid"}})


def test_string_data_values_must_be_strings():
    with pytest.raises(BadRequest) as refused:
        decoded_secret(secret(stringData={"port": 5432}))
    assert refused.value.message.endswith("stringData.port: expected string, got integer")


def test_undecodable_config_map_binary_data_is_a_bad_request():
    with pytest.raises(BadRequest) as refused:
        strategy.prepare_create(CONFIG_MAPS, config_map(binaryData={"blob": "YQ="}))
    assert refused.value.message == (
        'ConfigMap in version "v1" cannot be handled as a ConfigMap: '
        "binaryData.blob: illegal base64 data at input byte 3"
    )
    assert decoded_config_map(config_map(binaryData={"blob": "Y\nQ=="}))["binaryData"] == {"blob": "YQ=="}
    assert decoded_config_map(config_map(data={"a": "b"})) == config_map(data={"a": "b"})


# -- sizes ----------------------------------------------------------------------------------------


def test_a_secret_may_hold_one_mebibyte_of_data_and_no_more():
    half = b"x" * (MAX_DATA_SIZE // 2)
    assert content_causes("Secret", decoded_secret(secret(data={"a": b64(half), "b": b64(half)}))) == []
    over = decoded_secret(secret(data={"a": b64(half), "b": b64(half)}, stringData={"c": "y"}))
    [cause] = content_causes("Secret", over)
    assert (cause.field, cause.message, cause.reason) == (
        "data",
        "Too long: may not be more than 1048576 bytes",
        "FieldValueTooLong",
    )
    with pytest.raises(Invalid) as refused:
        strategy.prepare_create(SECRETS, secret(stringData={"big": "z" * (MAX_DATA_SIZE + 1)}))
    assert refused.value.code == 422
    assert (
        refused.value.message == 'Secret "s" is invalid: data: Too long: may not be more than 1048576 bytes'
    )


def test_a_config_map_counts_data_and_binary_data_together():
    text = "é" * (MAX_DATA_SIZE // 4)  # two bytes each: half the limit
    binary = b64(b"\0" * (MAX_DATA_SIZE // 2))
    assert content_causes("ConfigMap", config_map(data={"t": text}, binaryData={"b": binary})) == []
    [cause] = content_causes("ConfigMap", config_map(data={"t": text, "u": "1"}, binaryData={"b": binary}))
    assert (cause.field, cause.reason) == ("[]", "FieldValueTooLong")
    with pytest.raises(Invalid) as refused:
        strategy.prepare_update(
            CONFIG_MAPS, config_map(), config_map(data={"t": text, "u": "1"}, binaryData={"b": binary})
        )
    assert refused.value.message == (
        'ConfigMap "c" is invalid: []: Too long: may not be more than 1048576 bytes'
    )
    assert content_causes("Deployment", {"data": {"a": "x" * (MAX_DATA_SIZE + 1)}}) == []


# -- names ----------------------------------------------------------------------------------------


def test_a_name_over_253_characters_is_refused_as_kube_apiserver_words_it():
    name = "c" * 254
    with pytest.raises(Invalid) as refused:
        strategy.prepare_create(CONFIG_MAPS, {**config_map(), "metadata": {"name": name}})
    assert refused.value.message == (
        f'ConfigMap "{name}" is invalid: metadata.name: Invalid value: "{name}": '
        "must be no more than 253 characters"
    )
    assert strategy.prepare_create(CONFIG_MAPS, {**config_map(), "metadata": {"name": "c" * 253}})


def test_namespace_names_are_labels_of_at_most_63_characters():
    namespaces = REGISTRY.get("", "v1", "namespaces")
    with pytest.raises(Invalid) as refused:
        strategy.prepare_create(namespaces, {"metadata": {"name": "n" * 64}})
    assert "must be no more than 63 characters" in refused.value.message
    assert strategy.prepare_create(namespaces, {"metadata": {"name": "n" * 63}})


def test_dns_subdomains():
    assert is_dns_subdomain("a.b-c") and is_dns_subdomain("a" * 253)
    for bad in ("a" * 254, "A", "system:controller", "a\n", "-a", ""):
        assert not is_dns_subdomain(bad), bad


def test_events_about_long_or_odd_named_objects_get_a_uuid_name():
    assert event_name("web", "18ee2116780a0500") == "web.18ee2116780a0500"
    assert event_name("w" * 236, "18ee2116780a0500") == "w" * 236 + ".18ee2116780a0500"
    for name in ("w" * 237, "c" * 253, "system:controller"):
        generated = event_name(name, "18ee2116780a0500")
        assert str(uuid.UUID(generated)) == generated
    assert event_name("c" * 253, "1") != event_name("c" * 253, "1")
