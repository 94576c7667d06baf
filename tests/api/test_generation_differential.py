"""``metadata.generation`` moves on the updates kube-apiserver moves it on: for Deployments an annotation
change counts (its strategy bumps on spec or annotations), for the other workloads only the spec does.
Same writes to karmadad and to the test bed's kube-apiserver, same generations."""

from __future__ import annotations

import json

import pytest

from tests.api.rawhttp import Client

NAME = "generation-probe"
POD_TEMPLATE = {
    "metadata": {"labels": {"app": NAME}},
    "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
}
WORKLOADS = {
    "deployments": {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": NAME}}, "template": POD_TEMPLATE},
    },
    "statefulsets": {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "spec": {
            "replicas": 0,
            "serviceName": NAME,
            "selector": {"matchLabels": {"app": NAME}},
            "template": POD_TEMPLATE,
        },
    },
}
# (what the merge patch does, the patch)
STEPS = [
    ("add an annotation", {"metadata": {"annotations": {"example.com/a": "1"}}}),
    ("add a label", {"metadata": {"labels": {"example.com/l": "1"}}}),
    ("write the same annotation", {"metadata": {"annotations": {"example.com/a": "1"}}}),
    ("change the annotation", {"metadata": {"annotations": {"example.com/a": "2"}}}),
    ("remove the annotation", {"metadata": {"annotations": {"example.com/a": None}}}),
    ("change the spec", {"spec": {"replicas": 1}}),
]


@pytest.fixture(scope="module")
def both(karmadad, kube_members):
    member = kube_members.member("member1")
    clients = (Client(karmadad.api), Client(member.server.removeprefix("https://"), member.token))
    yield clients
    for client in clients:
        client.close()


@pytest.mark.parametrize("plural", list(WORKLOADS))
def test_generation_moves_where_kube_apiserver_moves_it(both, plural):
    collection = f"/apis/apps/v1/namespaces/default/{plural}"
    path = f"{collection}/{NAME}"
    manifest = {**WORKLOADS[plural], "metadata": {"name": NAME}}
    generations: list[list[int]] = []
    for client in both:
        client.request("DELETE", path)
        status, raw = client.request("POST", collection, json.dumps(manifest).encode())
        assert status == 201, raw
        seen = [json.loads(raw)["metadata"]["generation"]]
        for _, patch in STEPS:
            status, raw = client.request(
                "PATCH", path, json.dumps(patch).encode(), "application/merge-patch+json"
            )
            assert status == 200, raw
            seen.append(json.loads(raw)["metadata"]["generation"])
        client.request("DELETE", path)
        generations.append(seen)
    ours, theirs = generations
    assert ours == theirs, list(zip(["create", *(what for what, _ in STEPS)], ours, theirs, strict=True))
    if plural == "deployments":
        assert theirs == [1, 2, 2, 2, 3, 4, 5]
