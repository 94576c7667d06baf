"""The protobuf codec on its own: Go's JSON rules, the self-marshalling types, the envelope, bad input.

What real Go clients and kube-apiserver make of it is proved against them in
tests/api/test_protobuf_differential.py; these pin the rules one by one.
"""

from __future__ import annotations

import struct

import pytest

from karmadad.protobuf.codec import MAGIC, NoMessage, ProtobufError, codec

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "team-a", "labels": {"app": "web"}},
    "spec": {
        "replicas": 0,
        "selector": {"matchLabels": {"app": "web"}},
        "strategy": {"rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "nginx",
                        "image": "nginx",
                        "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}},
                        "livenessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5},
                    }
                ],
                "volumes": [{"name": "settings", "configMap": {"name": "settings"}}],
            },
        },
    },
}


def roundtrip(obj: dict) -> dict:
    return codec().decode(codec().encode(obj))


def test_a_deployment_comes_back_as_go_writes_it():
    back = roundtrip(DEPLOYMENT)
    assert list(back)[:2] == ["kind", "apiVersion"]
    spec = back["spec"]
    assert spec["replicas"] == 0  # a pointer: zero is kept
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": "25%"}
    container = spec["template"]["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"cpu": "500m", "memory": "1Gi"}}
    # Probe embeds ProbeHandler and Volume embeds VolumeSource: their fields sit in the parent
    assert container["livenessProbe"] == {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5}
    assert spec["template"]["spec"]["volumes"] == [{"name": "settings", "configMap": {"name": "settings"}}]
    assert back["status"] == {}  # a struct is always written, even empty
    assert "creationTimestamp" not in back["metadata"]  # omitzero since 1.36


def test_zero_scalars_follow_omitempty():
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"ports": [{"port": 80, "targetPort": 0, "name": ""}]},
    }
    port = roundtrip(service)["spec"]["ports"][0]
    assert port["port"] == 80
    assert port["targetPort"] == 0  # IntOrString is a struct: written even when zero
    assert "name" not in port  # omitempty string
    rule = roundtrip(
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"},
         "rules": [{"verbs": ["get"], "apiGroups": [""]}]}
    )["rules"][0]  # fmt: skip
    assert rule == {"verbs": ["get"], "apiGroups": [""]}


def test_nil_lists_without_omitempty_are_null():
    role = roundtrip(
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "r"}}
    )  # fmt: skip
    assert role["rules"] is None  # `json:"rules"` with no omitempty: Go writes null


def test_times_quantities_and_raw_json():
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "l", "creationTimestamp": "2024-05-01T10:00:00Z"},
        "spec": {"acquireTime": "2024-05-01T10:00:00.123456Z", "leaseDurationSeconds": 15},
    }
    back = roundtrip(lease)
    assert back["metadata"]["creationTimestamp"] == "2024-05-01T10:00:00Z"
    assert back["spec"]["acquireTime"] == "2024-05-01T10:00:00.123456Z"
    managed = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "c",
            "managedFields": [
                {"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:data": {"f:a": {}}}, "time": "2024-05-01T10:00:00Z"}
            ],
        },
        "binaryData": {"blob": "AAEC"},
    }  # fmt: skip
    back = roundtrip(managed)
    assert back["metadata"]["managedFields"][0]["fieldsV1"] == {"f:data": {"f:a": {}}}
    assert back["binaryData"] == {"blob": "AAEC"}
    revision = {"apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": {"name": "r"},
                "data": {"spec": {"x": [1, 2]}}, "revision": 3}  # fmt: skip
    assert roundtrip(revision)["data"] == {"spec": {"x": [1, 2]}}


def test_an_embedded_object_in_protobuf_reads_as_json():
    """Go clients write a RawExtension holding a typed object in the outer codec's form: an envelope."""
    inner = codec().encode({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "in"}})
    revision = codec()._class("k8s.io.api.apps.v1.ControllerRevision")(revision=1)
    revision.data.raw = inner
    decoded = codec().decode(codec().wrap("apps/v1", "ControllerRevision", revision.SerializeToString()))
    assert decoded["data"] == {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "in"}}


def test_embedded_objects_nest_only_so_deep():
    revision_class = codec()._class("k8s.io.api.apps.v1.ControllerRevision")
    body = codec().encode({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "in"}})
    for _ in range(150):  # each level a ControllerRevision holding the one before, in protobuf
        revision = revision_class(revision=1)
        revision.data.raw = body
        body = codec().wrap("apps/v1", "ControllerRevision", revision.SerializeToString())
    with pytest.raises(ProtobufError, match="nested in objects more than 100 deep"):
        codec().decode(body)


def test_embedded_json_is_read_as_request_json_is():
    revision = codec()._class("k8s.io.api.apps.v1.ControllerRevision")(revision=1)
    revision.data.raw = b'{"a": "\\ud800", "n": 123456789012345678901234567890}'
    decoded = codec().decode(codec().wrap("apps/v1", "ControllerRevision", revision.SerializeToString()))
    assert decoded["data"] == {"a": "\ufffd", "n": 1.2345678901234568e29}
    revision.data.raw = b"{not json"
    with pytest.raises(ProtobufError, match="does not hold JSON"):
        codec().decode(codec().wrap("apps/v1", "ControllerRevision", revision.SerializeToString()))


def test_secret_bytes_are_base64_both_ways():
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "aGk="}}
    message = codec().encode(secret)
    assert b"hi" in message  # the bytes themselves travel, not their base64
    assert codec().decode(message)["data"] == {"k": "aGk="}


def test_invalid_utf8_becomes_the_replacement_character():
    good = codec().encode(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "aXb"}}
    )
    broken = good.replace(b"aXb", b"a\xffb")
    assert codec().decode(broken)["data"] == {"k": "a\ufffdb"}


def test_unknown_fields_are_dropped_as_go_drops_them():
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "bogus": 1}, "extra": {"x": 1}}
    assert roundtrip(body) == {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "c"}}


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "prefix"),
        (b"{}", "prefix"),
        (MAGIC + b"\xff\xff\xff", "envelope cannot be parsed"),
        (MAGIC + b"\x0a\x02\x0a\x00", "names no kind"),
    ],
)
def test_bad_bodies_say_what_is_wrong(body, words):
    with pytest.raises(ProtobufError, match=words):
        codec().decode(body)


def test_a_kind_without_a_message_is_told_apart():
    envelope = codec().encode({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    strange = envelope.replace(b"ConfigMap", b"ConfigMop")
    with pytest.raises(NoMessage, match='no kind "ConfigMop"'):
        codec().decode(strange)
    with pytest.raises(NoMessage):
        codec().encode({"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy"})


def test_a_truncated_message_is_a_protobuf_error():
    envelope = codec().encode(DEPLOYMENT)
    with pytest.raises(ProtobufError):
        codec().decode(envelope[:-7])


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"spec": {"replicas": "two"}}, "spec.replicas"),
        ({"spec": {"selector": []}}, "spec.selector"),
        ({"spec": {"template": {"spec": {"containers": {}}}}}, "spec.template.spec.containers"),
        ({"metadata": {"labels": {"a": 1}}}, "metadata.labels[a]"),
        ({"metadata": {"creationTimestamp": "yesterday"}}, "not an RFC 3339 time"),
    ],
)
def test_values_of_the_wrong_type_name_their_field(patch, where):
    obj = {**DEPLOYMENT, **{k: {**DEPLOYMENT.get(k, {}), **v} for k, v in patch.items()}}
    with pytest.raises(ProtobufError, match=where.replace("[", r"\[").replace("]", r"\]")):
        codec().encode(obj)


def test_a_watch_frame_is_a_length_then_a_bare_watch_event():
    frame = codec().watch_frame("ADDED", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})
    (length,) = struct.unpack(">I", frame[:4])
    assert length == len(frame) - 4
    assert frame[4:6] == b"\x0a\x05" and frame[6:11] == b"ADDED"
    assert MAGIC in frame  # the object inside is a whole envelope


def test_the_tables_agree_with_the_descriptors():
    """Every message the JSON facts describe exists with those field numbers; every kind has its message."""
    tables = codec()
    for name, fields in tables._facts.items():
        descriptor = tables._pool.FindMessageTypeByName(name)
        for number, *_ in fields:
            assert number in descriptor.fields_by_number, (name, number)
    for (api_version, kind), name in tables._kinds.items():
        assert tables._pool.FindMessageTypeByName(name), (api_version, kind)
    assert tables.speaks("apps/v1", "Deployment") and tables.speaks("v1", "Status")
    assert not tables.speaks("apiextensions.k8s.io/v1", "CustomResourceDefinition")
