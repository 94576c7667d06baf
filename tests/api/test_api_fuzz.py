"""Fuzzing the API with generated requests: never a 5xx, the server keeps answering, the store stays sound."""

from __future__ import annotations

import json

import anyio
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from karmadad.api.builtin import default_registry
from karmadad.apiserver.auth import TokenAuthenticator, User
from karmadad.apiserver.server import APIServer
from karmadad.controllers.garbage_collector import GarbageCollector
from karmadad.store import open_store

TOKEN = "fuzz-token-0123456789"
EXAMPLES = 10_000

names = st.sampled_from(["a", "web", "x" * 70, "Bad_Name", "", "..", "default", "%2F", "a.b"])
namespaces = st.sampled_from(["default", "kube-system", "missing", "", "team"])
plurals = st.sampled_from(
    [
        "configmaps",
        "deployments",
        "namespaces",
        "secrets",
        "propagationpolicies",
        "nonsense",
        "customresourcedefinitions",
    ]
)
prefixes = st.sampled_from(
    [
        "/api/v1",
        "/apis/apps/v1",
        "/apis/policy.karmada.io/v1alpha1",
        "/apis/apiextensions.k8s.io/v1",
        "/apis/nope/v9",
        "/apis",
        "/api",
        "/openapi/v3",
        "/version",
        "",
    ]
)
subresources = st.sampled_from(["", "", "status", "scale", "finalize", "bogus"])
queries = st.sampled_from(
    [
        "",
        "?watch=true&timeoutSeconds=1",
        "?watch=1&resourceVersion=1&timeoutSeconds=1",
        "?labelSelector=a%3Db",
        "?labelSelector=%3D%3D%3D",
        "?fieldSelector=metadata.name%3Da",
        "?fieldSelector=spec.x%3D1",
        "?limit=2",
        "?limit=x",
        "?continue=garbage",
        "?resourceVersion=999999",
        "?dryRun=All",
        "?dryRun=Nope",
        "?propagationPolicy=Orphan",
        "?propagationPolicy=Sideways",
        "?fieldManager=fuzz&force=true",
    ]
)
methods = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
content_types = st.sampled_from(
    [
        "application/json",
        "application/yaml",
        "application/merge-patch+json",
        "application/json-patch+json",
        "application/strategic-merge-patch+json",
        "application/apply-patch+yaml",
        "application/vnd.kubernetes.protobuf",
        "text/plain",
        "",
    ]
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def bodies(draw) -> bytes:
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.binary(max_size=64))
    if kind == 1:
        return json.dumps(draw(json_values)).encode()
    meta = {"name": draw(names), "namespace": draw(namespaces)}
    if draw(st.booleans()):
        meta["labels"] = draw(st.dictionaries(st.text(max_size=5), json_values, max_size=2))
    if draw(st.booleans()):
        meta["ownerReferences"] = draw(json_values)
    obj = {
        "apiVersion": draw(st.sampled_from(["v1", "apps/v1", "policy.karmada.io/v1alpha1", "x/y"])),
        "kind": draw(st.sampled_from(["ConfigMap", "Deployment", "PropagationPolicy", "Namespace", "Nope"])),
        "metadata": meta,
        "spec": draw(json_values),
        "data": draw(json_values),
    }
    if kind == 3:
        return json.dumps(
            [
                {
                    "op": draw(st.sampled_from(["add", "remove", "replace", "test", "bogus"])),
                    "path": draw(st.sampled_from(["/metadata/labels/a", "/spec", "", "/x/y/z"])),
                    "value": draw(json_values),
                }
            ]
        ).encode()
    return json.dumps(obj).encode()


@st.composite
def requests(draw):
    prefix = draw(prefixes)
    ns, plural, name, sub = draw(namespaces), draw(plurals), draw(names), draw(subresources)
    shape = draw(st.integers(0, 3))
    if shape == 0:
        path = f"{prefix}/{plural}"
    elif shape == 1:
        path = f"{prefix}/namespaces/{ns}/{plural}"
    elif shape == 2:
        path = f"{prefix}/namespaces/{ns}/{plural}/{name}" + (f"/{sub}" if sub else "")
    else:
        path = f"{prefix}/{plural}/{name}" + (f"/{sub}" if sub else "")
    return draw(methods), path + draw(queries), draw(content_types), draw(bodies())


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_generated_requests_never_get_a_5xx(tmp_path):
    async def scenario() -> None:
        async with open_store(tmp_path / "fuzz.db") as store:
            async with anyio.create_task_group() as tasks:
                await tasks.start(GarbageCollector(store).run)
                api = APIServer(
                    store,
                    default_registry(),
                    TokenAuthenticator({TOKEN: User("fuzz", ("admin",))}),
                    address="127.0.0.1:0",
                )
                async with TestClient(TestServer(api.app())) as client:
                    seen: list[int] = []

                    @settings(
                        max_examples=EXAMPLES,
                        deadline=None,
                        derandomize=True,
                        database=None,
                        suppress_health_check=list(HealthCheck),
                    )
                    @given(requests())
                    def one(request) -> None:
                        seen.append(request)

                    one()  # hypothesis draws the examples; they are replayed against the server below
                    assert len(seen) >= EXAMPLES
                    statuses: dict[int, int] = {}
                    for method, path, content_type, body in seen:
                        headers = {"Authorization": f"Bearer {TOKEN}"}
                        if content_type:
                            headers["Content-Type"] = content_type
                        with anyio.move_on_after(10) as hung:
                            async with client.request(method, path, data=body, headers=headers) as resp:
                                await resp.read()
                                statuses[resp.status] = statuses.get(resp.status, 0) + 1
                                assert resp.status < 500, (
                                    method,
                                    path,
                                    content_type,
                                    body,
                                    await resp.text(),
                                )
                        assert not hung.cancelled_caught, (
                            "no answer within 10 s",
                            method,
                            path,
                            content_type,
                            body,
                        )
                    async with client.get("/readyz") as resp:
                        assert resp.status == 200
                    assert await store.integrity_check() == "ok"
                    assert len(statuses) > 5, statuses  # the requests really reached different outcomes
                tasks.cancel_scope.cancel()

    anyio.run(scenario)
