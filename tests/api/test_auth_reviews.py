"""The self-reviews behind ``kubectl auth whoami``, ``auth can-i`` and ``auth can-i --list``: the admin and
the viewer get the answers their requests would meet, asked as JSON and by kubectl itself (which sends them
as protobuf)."""

from __future__ import annotations

import json

import pytest

from tests.api.rawhttp import Client

VIEW_TOKEN = "view-token-for-the-api-tests"  # tests/api/conftest.py


@pytest.fixture(scope="module")
def clients(karmadad):
    admin, viewer = Client(karmadad.api), Client(karmadad.api, VIEW_TOKEN)
    yield admin, viewer
    admin.close()
    viewer.close()


def _review(client: Client, path: str, body: dict) -> dict:
    status, raw = client.request("POST", path, json.dumps(body).encode())
    assert status == 201, raw
    return json.loads(raw)


def test_whoami(clients):
    for client, user, group in zip(clients, ("root", "victor"), ("admin", "view"), strict=True):
        review = _review(
            client,
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
        assert review["status"]["userInfo"] == {"username": user, "groups": [group, "system:authenticated"]}


def _can(client: Client, verb: str, resource: str = "", group: str = "", path: str = "") -> bool:
    spec = (
        {"nonResourceAttributes": {"path": path, "verb": verb}}
        if path
        else {
            "resourceAttributes": {"namespace": "default", "verb": verb, "group": group, "resource": resource}
        }
    )
    body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec}
    return _review(client, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", body)["status"][
        "allowed"
    ]


@pytest.mark.parametrize(
    ("question", "admin", "viewer"),
    [
        ({"verb": "create", "resource": "deployments", "group": "apps"}, True, False),
        ({"verb": "list", "resource": "deployments", "group": "apps"}, True, True),
        ({"verb": "get", "resource": "secrets"}, True, False),
        ({"verb": "watch", "resource": "secrets"}, True, False),
        ({"verb": "delete", "resource": "propagationpolicies", "group": "policy.karmada.io"}, True, False),
        ({"verb": "get", "resource": "clusters", "group": "cluster.karmada.io"}, True, True),
        ({"verb": "create", "resource": "selfsubjectreviews", "group": "authentication.k8s.io"}, True, True),
        ({"verb": "get", "path": "/version"}, True, True),
        ({"verb": "post", "path": "/api"}, True, False),
    ],
)
def test_can_i_answers_as_the_requests_would_be_answered(clients, question, admin, viewer):
    assert [_can(client, **question) for client in clients] == [admin, viewer]


def test_the_answer_matches_what_a_viewers_request_meets(clients):
    _, viewer = clients
    assert _can(viewer, "get", "secrets") is False
    assert viewer.request("GET", "/api/v1/namespaces/default/secrets")[0] == 403
    assert _can(viewer, "list", "configmaps") is True
    assert viewer.request("GET", "/api/v1/namespaces/default/configmaps")[0] == 200


def test_rules_review(clients):
    body = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectRulesReview",
        "spec": {"namespace": "default"},
    }
    path = "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews"
    admin, viewer = (_review(client, path, body)["status"] for client in clients)
    assert {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]} in admin["resourceRules"]
    readable = {
        (group, resource): rule["verbs"]
        for rule in viewer["resourceRules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    assert readable[("", "configmaps")] == ["get", "list", "watch"]
    assert readable[("apps", "deployments")] == ["get", "list", "watch"]
    assert ("", "secrets") not in readable
    assert readable[("authentication.k8s.io", "selfsubjectreviews")] == ["create"]
    assert not any(  # no wildcard reaches the core group's Secrets
        "*" in rule["resources"] and {"", "*"} & set(rule["apiGroups"]) for rule in viewer["resourceRules"]
    )


def test_reviews_are_only_created(clients):
    admin, _ = clients
    for method in ("GET", "DELETE"):
        status, _ = admin.request(method, "/apis/authentication.k8s.io/v1/selfsubjectreviews")
        assert status == 405


def test_kubectl_auth_commands(kubectl, karmadad):
    viewer = {"kubeconfig": karmadad.view_kubeconfig}
    assert "victor" in kubectl("auth", "whoami", **viewer).stdout
    assert kubectl("auth", "can-i", "list", "deployments", **viewer).stdout.strip() == "yes"
    refused = kubectl("auth", "can-i", "get", "secrets", check=False, **viewer)
    assert refused.returncode == 1 and refused.stdout.strip() == "no"
    assert kubectl("auth", "can-i", "create", "deployments").stdout.strip() == "yes"
    listed = kubectl("auth", "can-i", "--list", "-n", "default", **viewer).stdout
    assert "configmaps" in listed and "secrets " not in listed
