"""Concurrent patchers of one object all succeed, as kube-apiserver's server-side retries make them."""

from __future__ import annotations

import json
import threading

import pytest
import yaml

from tests.api.rawhttp import Client

NAMESPACE = "contended"
CONFIGMAPS = f"/api/v1/namespaces/{NAMESPACE}/configmaps"

WRITERS = 16
PATCHES = 100


@pytest.fixture(scope="module")
def client(karmadad, kubectl):
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    kubectl("apply", "-f", "-", stdin=yaml.safe_dump(namespace))
    client = Client(karmadad.api)
    yield client
    client.close()
    kubectl("delete", "namespace", NAMESPACE, "--wait=false")


def _configmap(name: str, data: dict) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def test_sixteen_merge_patchers_of_one_object_all_succeed(karmadad, client):
    client.request("DELETE", f"{CONFIGMAPS}/contended")
    status, raw = client.request(
        "POST", CONFIGMAPS, json.dumps(_configmap("contended", {"start": "1"})).encode()
    )
    assert status == 201, raw
    outcomes: list[list[int]] = [[] for _ in range(WRITERS)]

    def writer(index: int) -> None:
        own = Client(karmadad.api)
        try:
            for round_ in range(PATCHES):
                patch = {"data": {f"writer-{index}": str(round_)}}
                status, _ = own.request(
                    "PATCH",
                    f"{CONFIGMAPS}/contended",
                    json.dumps(patch).encode(),
                    "application/merge-patch+json",
                )
                outcomes[index].append(status)
        finally:
            own.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    statuses = [status for per_writer in outcomes for status in per_writer]
    assert statuses.count(200) == WRITERS * PATCHES, {s: statuses.count(s) for s in set(statuses)}
    status, raw = client.request("GET", f"{CONFIGMAPS}/contended")
    data = json.loads(raw)["data"]
    assert data == {"start": "1", **{f"writer-{i}": str(PATCHES - 1) for i in range(WRITERS)}}


def test_json_patches_that_race_are_retried_on_the_newer_object(karmadad, client):
    client.request("DELETE", f"{CONFIGMAPS}/raced")
    status, raw = client.request("POST", CONFIGMAPS, json.dumps(_configmap("raced", {"n": "0"})).encode())
    assert status == 201, raw
    outcomes: list[int] = []

    def writer(index: int) -> None:
        own = Client(karmadad.api)
        try:
            for round_ in range(25):
                patch = [{"op": "add", "path": f"/data/w{index}", "value": str(round_)}]
                status, _ = own.request(
                    "PATCH", f"{CONFIGMAPS}/raced", json.dumps(patch).encode(), "application/json-patch+json"
                )
                outcomes.append(status)
        finally:
            own.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert outcomes.count(200) == 8 * 25
    status, raw = client.request("GET", f"{CONFIGMAPS}/raced")
    assert json.loads(raw)["data"] == {"n": "0", **{f"w{i}": "24" for i in range(8)}}
