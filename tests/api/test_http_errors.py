"""Bad requests get proper Status answers over the wire, with the right codes."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

import pytest

from karmadad.protobuf.codec import codec
from tests.api.test_karmada_kinds import INVALID_SPREAD


@pytest.fixture(scope="module")
def call(karmadad):
    context = ssl.create_default_context(cafile=str(karmadad.workdir / "data" / "pki" / "ca.crt"))
    token = (karmadad.workdir / "admin.token").read_text().strip()

    def request(method: str, path: str, body: bytes | None = None, content_type: str = "application/json"):
        req = urllib.request.Request(f"https://{karmadad.api}{path}", data=body, method=method)
        req.add_header("Authorization", f"Bearer {token}")
        if body is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=context, timeout=10) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    return request


def test_malformed_json_is_400(call):
    code, status = call("POST", "/api/v1/namespaces/default/configmaps", b"{not json")
    assert code == 400 and status["kind"] == "Status" and status["reason"] == "BadRequest"


def test_unsupported_media_type_is_415(call):
    code, status = call("POST", "/api/v1/namespaces/default/configmaps", b"{}", "text/plain")
    assert code == 415 and status["reason"] == "UnsupportedMediaType"
    code, _ = call("PATCH", "/api/v1/namespaces/default/configmaps/x", b"{}", "text/plain")
    assert code == 415
    # Karmada's kinds, like custom resources, have no protobuf form
    code, status = call(
        "POST",
        "/apis/policy.karmada.io/v1alpha1/namespaces/default/propagationpolicies",
        codec().wrap("policy.karmada.io/v1alpha1", "PropagationPolicy", b""),
        "application/vnd.kubernetes.protobuf",
    )
    assert code == 415 and status["reason"] == "UnsupportedMediaType"


def test_malformed_protobuf_is_400(call):
    code, status = call(
        "POST", "/api/v1/namespaces/default/configmaps", b"\x00k8s", "application/vnd.kubernetes.protobuf"
    )
    assert code == 400 and status["reason"] == "BadRequest"
    assert "Kubernetes protobuf prefix" in status["message"]


def test_bodies_over_3_mib_are_413(call):
    big = json.dumps({"metadata": {"name": "big"}, "data": {"k": "x" * (3 * 1024 * 1024 + 10)}}).encode()
    code, status = call("POST", "/api/v1/namespaces/default/configmaps", big)
    assert code == 413 and status["reason"] == "RequestEntityTooLarge"


def test_unknown_resource_is_404(call):
    code, status = call("GET", "/apis/apps/v1/namespaces/default/widgets")
    assert code == 404 and status["reason"] == "NotFound"


def test_invalid_policy_is_422_with_the_field_path(call):
    import yaml

    body = json.dumps(yaml.safe_load(INVALID_SPREAD)).encode()
    code, status = call(
        "POST", "/apis/policy.karmada.io/v1alpha1/namespaces/default/propagationpolicies", body
    )
    assert code == 422 and status["reason"] == "Invalid"
    assert any(
        c["field"].startswith("spec.placement.spreadConstraints[0]") for c in status["details"]["causes"]
    )


def test_dry_run_writes_nothing_and_delete_collection_by_label(call):
    path = "/api/v1/namespaces/default/configmaps"
    code, obj = call("POST", path + "?dryRun=All", json.dumps({"metadata": {"name": "dry"}}).encode())
    assert code == 201 and obj["metadata"]["name"] == "dry"
    assert call("GET", path + "/dry")[0] == 404
    for i in range(3):
        body = {"metadata": {"name": f"sweep-{i}", "labels": {"sweep": "yes" if i < 2 else "no"}}}
        assert call("POST", path, json.dumps(body).encode())[0] == 201
    code, deleted = call("DELETE", path + "?labelSelector=sweep%3Dyes")
    assert code == 200 and sorted(o["metadata"]["name"] for o in deleted["items"]) == ["sweep-0", "sweep-1"]
    assert call("GET", path + "/sweep-2")[0] == 200


def test_a_value_of_the_wrong_type_is_400_naming_the_field(call):
    body = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "typed"},
        "spec": {
            "replicas": "three",
            "selector": {"matchLabels": {"a": "b"}},
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }
    code, status = call("POST", "/apis/apps/v1/namespaces/default/deployments", json.dumps(body).encode())
    assert code == 400 and "spec.replicas: expected integer, got string" in status["message"]
    body["spec"]["replicas"] = 2
    body["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 80, "protocol": "TCP"}]
    body["spec"]["strategy"] = {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}
    assert call("POST", "/apis/apps/v1/namespaces/default/deployments", json.dumps(body).encode())[0] == 201
