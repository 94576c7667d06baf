"""``Codec.typed`` works the typed form of an object out on its JSON; ``typed_through_messages`` gets it
by filling a protobuf message and writing it back, as the protobuf wire does. The two must agree on every
object: the manifest corpus, and the corners of Go's JSON (nulls, empty lists and maps, omitempty zeros,
absent structs, quantities, times, int-or-strings, raw extensions, bytes, integer ranges, wrong types)."""

from __future__ import annotations

import pytest

from karmadad.protobuf.codec import ProtobufError, codec
from tests.api.manifests import corpus_documents


def _pod(spec: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": spec}


CORNERS = {
    "nulls in maps and lists": {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {"a": None, "b": "x"}, "finalizers": [None, "x/y"]},
        "data": {"k": None},
    },
    "empty lists and maps": _pod({"containers": [], "nodeSelector": {}, "volumes": []}),
    "omitempty zeros": _pod(
        {
            "containers": [{"name": "", "image": "", "ports": [{"containerPort": 0, "hostPort": 0}]}],
            "hostNetwork": False,
        }
    ),
    "null list item of a struct": _pod({"containers": [None, {"name": "a"}]}),
    "quantities as numbers": _pod(
        {"containers": [{"name": "a", "resources": {"limits": {"cpu": 0.5, "memory": 1024}}}]}
    ),
    "empty quantity": _pod({"containers": [{"name": "a", "resources": {"limits": {"cpu": ""}}}]}),
    "times with offsets": {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": "e", "creationTimestamp": "2024-01-02T03:04:05+01:00"},
        "eventTime": "2024-01-02T03:04:05.123456Z",
        "involvedObject": {"kind": "Pod"},
    },
    "int or string": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "50%"}}},
    },
    "raw extension": {
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {"name": "r"},
        "data": {"spec": {"a": [1, 2.5, None, {"b": True}]}},
        "revision": 1,
    },
    "bytes": {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"a": "aGk=", "b": ""},
    },
    "an integer out of range": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"replicas": 2**40},
    },
    "an integral float": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"replicas": 3.0},
    },
    "a string for an integer": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": {"replicas": "3"},
    },
    "a list for an object": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "d"},
        "spec": [],
    },
    "an object for a list": _pod({"containers": {"name": "a"}}),
    "bad base64": {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"a": "not base64!"},
    },
    "a bad time": {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "creationTimestamp": "yesterday"},
    },
    "inline fields": _pod({"volumes": [{"name": "v", "emptyDir": {}, "unknown": 1}]}),
}


def _answer(method, obj: dict):
    try:
        return method(obj)
    except ProtobufError as error:
        return ("refused", str(error))


@pytest.mark.parametrize(
    "obj", corpus_documents(), ids=lambda obj: f"{obj['kind']}/{obj['metadata']['name']}"
)
def test_the_corpus_takes_the_same_typed_form_both_ways(obj):
    assert _answer(codec().typed, obj) == _answer(codec().typed_through_messages, obj)


@pytest.mark.parametrize("case", list(CORNERS))
def test_the_corners_of_gos_json_take_the_same_typed_form_both_ways(case):
    ours = _answer(codec().typed, CORNERS[case])
    assert ours == _answer(codec().typed_through_messages, CORNERS[case])
    if case.startswith(
        ("an integer out", "a string for", "a list for", "an object for", "bad base64", "a bad time")
    ):
        assert ours[0] == "refused", ours


def test_map_keys_come_sorted_as_go_writes_them():
    typed = codec().typed(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"b": "1", "a": "2"}}
    )
    assert list(typed["data"]) == ["a", "b"]
