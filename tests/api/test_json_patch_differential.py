"""JSON patches (RFC 6902, as kube-apiserver applies them) against karmadad and the test bed's kube-apiserver:
the same corpus of operations on present and missing paths, the same answers (``dryRun=All``)."""

from __future__ import annotations

import json

import pytest

from tests.api.rawhttp import Client

NS_PREFIX = "patch-"

NAME = "json-patch-target"
PATH = f"/api/v1/namespaces/default/configmaps/{NAME}"
TARGET = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {
        "name": NAME,
        "labels": {"x": "y"},
        "finalizers": ["a.example.com/one", "b.example.com/two"],
    },
    "data": {"a": "1", "b": "2"},
}
CORPUS = {
    "add a key": [{"op": "add", "path": "/data/c", "value": "3"}],
    "add over a key": [{"op": "add", "path": "/data/a", "value": "9"}],
    "add under a missing parent": [{"op": "add", "path": "/spec/x", "value": 1}],
    "add to a list's end": [{"op": "add", "path": "/metadata/finalizers/-", "value": "c.example.com/x"}],
    "add inside a list": [{"op": "add", "path": "/metadata/finalizers/1", "value": "c.example.com/x"}],
    "add past a list's end": [{"op": "add", "path": "/metadata/finalizers/5", "value": "c.example.com/x"}],
    "replace a key": [{"op": "replace", "path": "/data/a", "value": "9"}],
    "replace a missing key": [{"op": "replace", "path": "/data/z", "value": "9"}],
    "replace under a missing parent": [{"op": "replace", "path": "/spec/x", "value": 1}],
    "replace a list item": [{"op": "replace", "path": "/metadata/finalizers/0", "value": "c.example.com/x"}],
    "replace past a list's end": [
        {"op": "replace", "path": "/metadata/finalizers/7", "value": "c.example.com/x"}
    ],
    "remove a key": [{"op": "remove", "path": "/data/a"}],
    "remove a missing key": [{"op": "remove", "path": "/data/z"}],
    "remove a list item": [{"op": "remove", "path": "/metadata/finalizers/0"}],
    "remove past a list's end": [{"op": "remove", "path": "/metadata/finalizers/4"}],
    "move a key": [{"op": "move", "from": "/data/a", "path": "/data/moved"}],
    "move a missing key": [{"op": "move", "from": "/data/z", "path": "/data/moved"}],
    "copy a key": [{"op": "copy", "from": "/data/b", "path": "/data/copied"}],
    "copy a missing key": [{"op": "copy", "from": "/data/z", "path": "/data/copied"}],
    "test a value": [
        {"op": "test", "path": "/data/a", "value": "1"},
        {"op": "add", "path": "/data/t", "value": "ok"},
    ],
    "test a wrong value": [{"op": "test", "path": "/data/a", "value": "2"}],
    "test a missing key against null": [
        {"op": "test", "path": "/data/z", "value": None},
        {"op": "add", "path": "/data/t", "value": "ok"},
    ],
    "test a missing key against a value": [{"op": "test", "path": "/data/z", "value": "1"}],
    "an unknown op": [{"op": "frobnicate", "path": "/data/a"}],
    "add null": [{"op": "add", "path": "/data/n", "value": None}],
    "replace with null": [{"op": "replace", "path": "/metadata/labels/x", "value": None}],
    "escaped keys": [{"op": "add", "path": "/metadata/labels/a.io~1b", "value": "c"}],
    "several in order": [
        {"op": "add", "path": "/data/c", "value": "3"},
        {"op": "remove", "path": "/data/a"},
        {"op": "replace", "path": "/data/c", "value": "4"},
    ],
}


@pytest.fixture(scope="module")
def both(karmadad, kube_members):
    member = kube_members.member("member1")
    clients = (Client(karmadad.api), Client(member.server.removeprefix("https://"), member.token))
    for client in clients:
        client.request("DELETE", PATH)
        status, raw = client.request(
            "POST", "/api/v1/namespaces/default/configmaps", json.dumps(TARGET).encode()
        )
        assert status == 201, raw
    yield clients
    for client in clients:
        client.request(
            "PATCH", PATH, b'[{"op":"remove","path":"/metadata/finalizers"}]', "application/json-patch+json"
        )
        client.request("DELETE", PATH)
        client.close()


@pytest.mark.parametrize("case", list(CORPUS))
def test_json_patches_answer_as_kube_apiserver_answers(both, case):
    body = json.dumps(CORPUS[case]).encode()
    (ours_status, ours), (theirs_status, theirs) = (
        (status, json.loads(raw))
        for status, raw in (
            c.request("PATCH", f"{PATH}?dryRun=All", body, "application/json-patch+json") for c in both
        )
    )
    assert ours_status == theirs_status, (ours, theirs)
    if ours_status >= 400:
        assert ours["reason"] == theirs["reason"], (ours, theirs)
        return
    for key in ("data",):
        assert ours.get(key) == theirs.get(key)
    assert ours["metadata"].get("labels") == theirs["metadata"].get("labels")
    assert ours["metadata"].get("finalizers") == theirs["metadata"].get("finalizers")


def test_a_null_string_in_a_json_body_is_stored_as_kube_apiserver_stores_it(both):
    body = json.dumps({**TARGET, "metadata": {"name": "json-null"}, "data": {"k": None, "j": "v"}}).encode()
    answers = [c.request("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", body) for c in both]
    (ours_status, ours), (theirs_status, theirs) = ((s, json.loads(raw)) for s, raw in answers)
    assert ours_status == theirs_status == 201, (ours, theirs)
    assert ours["data"] == theirs["data"] == {"k": "", "j": "v"}


def test_replacing_a_field_a_policy_lacks(kubectl, ns):
    """Karmada drops ``propagateDeps: false``, so clients replace a field that is not there (kubectl patch)."""
    kubectl("apply", "-n", ns, "-f", "-", stdin=(
        "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: deps}\n"
        "spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n"
        "  placement: {clusterAffinity: {clusterNames: [member1]}}\n"
    ))  # fmt: skip
    patch = '[{"op":"replace","path":"/spec/propagateDeps","value":true}]'
    assert "patched" in kubectl("patch", "pp", "deps", "-n", ns, "--type=json", "-p", patch).stdout
    policy = json.loads(kubectl("get", "pp", "deps", "-n", ns, "-o", "json").stdout)
    assert policy["spec"]["propagateDeps"] is True
