"""The same odd requests to karmadad and to a real kube-apiserver (``dryRun=All``): the same answers.

Bodies with broken Unicode, YAML 1.1 keys and tags, Secrets with ``stringData`` and bad base64, objects
over the size limits: what kube-apiserver accepts, karmadad accepts and stores the same way; what it
refuses, karmadad refuses with the same code and reason.
"""

from __future__ import annotations

import json

import pytest

from tests.api.rawhttp import Client

NAMESPACE = "default"
CONFIGMAPS = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
SECRETS = f"/api/v1/namespaces/{NAMESPACE}/secrets"


DEPLOYMENTS = f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments"


def _deployment_asking(name: str, cpu: object) -> bytes:
    """A Deployment whose container requests ``cpu`` (a quantity, or not)."""
    labels = {"app": name}
    container = {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}
    return json.dumps(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
        }
    ).encode()


QUANTITIES = {
    "cpu: lots": "lots",
    "cpu: 1.5.5": "1.5.5",
    "cpu with a blank": " 1",
    "cpu: empty": "",
    "cpu: 500m": "500m",
    "cpu: 1e3": "1e3",
    "cpu: a number": 2,
}


def _configmap_json(name: str, data: bytes) -> bytes:
    return (
        b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"'
        + name.encode()
        + b'"},"data":'
        + data
        + b"}"
    )


CASES = {
    "lone surrogate": (
        CONFIGMAPS,
        _configmap_json("d-surrogate", b'{"k":"\\ud800","\\udc00x":"v"}'),
        "application/json",
    ),
    "reversed pair": (CONFIGMAPS, _configmap_json("d-pair", b'{"k":"\\udc00\\ud800"}'), "application/json"),
    "surrogate in a value only": (
        CONFIGMAPS,
        _configmap_json("d-value", b'{"k":"\\ud800x"}'),
        "application/json",
    ),
    "bad config keys": (
        CONFIGMAPS,
        _configmap_json("d-keys2", b'{"..a":"v","a b":"v","ok":"v"}'),
        "application/json",
    ),
    "invalid UTF-8": (CONFIGMAPS, _configmap_json("d-utf8", b'{"k":"a\xff\xfeb"}'), "application/json"),
    "NaN": (CONFIGMAPS, _configmap_json("d-nan", b'{"k":NaN}'), "application/json"),
    "YAML keys": (
        CONFIGMAPS,
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d-keys\n  labels: {2024-01-01: x}\n"
        b"data: {1: a, true: b, 0x1F: c, 2024-01-02: d}\n",
        "application/yaml",
    ),
    "YAML values": (
        CONFIGMAPS,
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d-values}\n"
        b"data: {date: 2024-01-01, bin: !!binary aGVsbG8=, merged: x}\n",
        "application/yaml",
    ),
    "YAML number as a string value": (
        CONFIGMAPS,
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d-number}\ndata: {k: 1}\n",
        "application/yaml",
    ),
    "YAML null key": (
        CONFIGMAPS,
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d-null}\ndata: {~: a}\n",
        "application/yaml",
    ),
    "YAML sequence key": (
        CONFIGMAPS,
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d-seq}\ndata: {? [a] : b}\n",
        "application/yaml",
    ),
    "YAML alias bomb": (
        CONFIGMAPS,
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d-bomb}\n"
            + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
            + "".join(
                f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]\n"
                for p, n in zip("abcdefgh", "bcdefghi", strict=True)
            )
        ).encode(),
        "application/yaml",
    ),
    "Secret stringData": (
        SECRETS,
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "d-secret"},
                "data": {"a": "eA==", "b": "eQ=="},
                "stringData": {"b": "over", "c": "new"},
            }
        ).encode(),
        "application/json",
    ),
    "Secret bad base64": (
        SECRETS,
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "d-b64"},
                "data": {"a": "not base64!"},
            }
        ).encode(),
        "application/json",
    ),
    "ConfigMap over 1 MiB": (
        CONFIGMAPS,
        _configmap_json("d-big", b'{"k":"' + b"x" * 1_048_577 + b'"}'),
        "application/json",
    ),
    **{
        case: (DEPLOYMENTS, _deployment_asking(f"d-quantity-{index}", cpu), "application/json")
        for index, (case, cpu) in enumerate(QUANTITIES.items())
    },
    "body over 3 MiB": (
        CONFIGMAPS,
        _configmap_json("d-huge", b'{"k":"' + b"x" * (3 * 1024 * 1024) + b'"}'),
        "application/json",
    ),
}


@pytest.fixture(scope="module")
def both(karmadad, kube_members) -> tuple[Client, Client]:
    member = kube_members.member("member1")
    ours, theirs = Client(karmadad.api), Client(member.server.removeprefix("https://"), member.token)
    yield ours, theirs
    ours.close()
    theirs.close()


def _answer(client: Client, path: str, body: bytes, content_type: str) -> tuple[int, dict]:
    status, raw = client.request("POST", f"{path}?dryRun=All", body, content_type)
    return status, json.loads(raw)


@pytest.mark.parametrize("case", list(CASES))
def test_karmadad_answers_as_kube_apiserver_does(both, case):
    path, body, content_type = CASES[case]
    (our_status, ours), (their_status, theirs) = (
        _answer(client, path, body, content_type) for client in both
    )
    assert our_status == their_status, json.dumps([ours, theirs])[:3000]
    if our_status >= 400:
        assert ours.get("reason") == theirs.get("reason"), (ours, theirs)
        if our_status == 422:
            assert sorted((c["field"], c["message"]) for c in ours["details"]["causes"]) == sorted(
                (c["field"], c["message"]) for c in theirs["details"]["causes"]
            )  # Go walks maps in random order
        return
    for key in ("data", "stringData", "binaryData", "type"):
        assert ours.get(key) == theirs.get(key), (key, ours.get(key), theirs.get(key))
    assert ours["metadata"].get("labels") == theirs["metadata"].get("labels")


@pytest.mark.parametrize("case", list(QUANTITIES))
def test_a_quantity_that_is_none_is_refused_in_kube_apiservers_words(both, case):
    body = _deployment_asking("d-quantity-words", QUANTITIES[case])
    (our_status, ours), (their_status, theirs) = (
        _answer(client, DEPLOYMENTS, body, "application/json") for client in both
    )
    assert our_status == their_status, json.dumps([ours, theirs])[:3000]
    if our_status >= 400:
        assert ours["message"] == theirs["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d-apply"}, "data": {"k": 1}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d-apply"}, "data": "text"},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d-apply"}, "data": {"k": "\ud800"}},
    ],
    ids=["number in a string map", "string for a map", "lone surrogate"],
)
def test_server_side_apply_of_wrong_types_answers_as_kube_apiserver_does(both, body):
    path = f"{CONFIGMAPS}/d-apply?dryRun=All&fieldManager=differential"
    raw = json.dumps(body).encode()
    answers = [client.request("PATCH", path, raw, "application/apply-patch+yaml") for client in both]
    (our_status, ours), (their_status, theirs) = ((s, json.loads(r)) for s, r in answers)
    if their_status == 500:  # kube-apiserver's answer to a typed-patch failure; never a 5xx here
        assert our_status == 400 and ours["reason"] == "BadRequest", ours
        return
    assert our_status == their_status, json.dumps([ours, theirs])[:3000]
    if our_status < 400:
        assert ours.get("data") == theirs.get("data")
