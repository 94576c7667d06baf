"""Hostile input through every verb and content type, against the running daemon.

Whatever arrives — lone surrogates, YAML tags and non-string keys, alias and depth bombs, objects
beyond the size limits, 2^31-1 replicas in every division mode — the daemon answers with a 4xx
Status (or accepts what is legal), never exits, never answers 5xx; its ``/healthz`` answers within
100 ms throughout and its memory stays within 200 MiB of where it started.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from karmadad.protobuf.codec import codec
from tests.api.healthz_probe import rss
from tests.api.rawhttp import Client
from tests.api.test_scheduling import deployment, ready_status, set_cluster_status

NAMESPACE = "hostile"
CONFIGMAPS = f"/api/v1/namespaces/{NAMESPACE}/configmaps"
HEALTHZ_LIMIT = 0.100
RSS_LIMIT = 200 * 1024 * 1024


# -- the daemon under watch ---------------------------------------------------------------------------


@dataclass
class Watch:
    """What the probe saw while hostile requests ran."""

    start_rss: int
    slowest: float = 0.0
    peak_rss: int = 0
    failures: list[str] = field(default_factory=list)


@contextmanager
def watched(karmadad) -> Iterator[Watch]:
    """Probe /healthz and RSS from a separate process while the block runs, then check what it saw."""
    watch = Watch(start_rss=rss(karmadad.proc.pid))
    probe = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.api.healthz_probe",
            f"http://{karmadad.metrics}",
            str(karmadad.proc.pid),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert probe.stdout is not None and probe.stdout.readline().strip() == "probing"
    try:
        yield watch
    finally:
        probe.send_signal(signal.SIGTERM)
        seen = json.loads(probe.communicate(timeout=30)[0])
        watch.slowest, watch.peak_rss, watch.failures = seen["slowest"], seen["peak_rss"], seen["failures"]
        print(
            f"/healthz slowest {watch.slowest * 1000:.1f} ms, RSS +{(watch.peak_rss - watch.start_rss) >> 20} MiB"
        )
    assert karmadad.proc.poll() is None, "karmadad exited"
    assert not watch.failures, watch.failures[:3]
    assert watch.slowest < HEALTHZ_LIMIT, f"/healthz took {watch.slowest * 1000:.0f} ms"
    assert watch.peak_rss - watch.start_rss < RSS_LIMIT, (watch.start_rss, watch.peak_rss)


@pytest.fixture(scope="module")
def client(karmadad, kubectl) -> Iterator[Client]:
    kubectl("apply", "-f", "-", stdin=_ns_yaml())
    client = Client(karmadad.api)
    yield client
    client.close()
    kubectl("delete", "namespace", NAMESPACE, "--wait=false")


def _ns_yaml() -> str:
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})


def _configmap(name: str, data: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "data": data,
    }


def _status(raw: bytes) -> dict:
    status = json.loads(raw)
    assert status["kind"] == "Status" and status["status"] == "Failure" and status["message"], status
    return status


# -- hostile bodies -----------------------------------------------------------------------------------


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


ALIAS_BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{n}: &{n} [" + ",".join([f"*{p}"] * 9) + "]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
).encode()

HOSTILE_JSON = {
    "lone surrogate in a value": b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-target"},"data":{"k":"\\ud800"}}',
    "lone surrogate in a key": b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-target"},"data":{"\\udfff":"v"}}',
    "lone surrogate in the name": b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\\ud800"}}',
    "lone surrogate in a label": b'{"metadata":{"name":"cm-target","labels":{"a":"\\ud800"}}}',
    "invalid UTF-8": b'{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-target"},"data":{"k":"\xff\xfe"}}',
    "depth 1000": _nested(1000),
    "depth 100000": _nested(100_000),
    "NaN": b'{"metadata":{"name":"cm-target"},"data":{"k":NaN}}',
    "huge integer": b'{"metadata":{"name":"cm-target"},"data":{"k":1' + b"0" * 400 + b"}}",
    "not an object": b"[1,2,3]",
    "truncated": b'{"metadata":{"name":',
    "over 3 MiB": b'{"metadata":{"name":"cm-target"},"data":{"k":"' + b"x" * (3 * 1024 * 1024) + b'"}}',
    "over 1.5 MiB stored": json.dumps(_configmap("cm-target", {"k": "x" * 1_600_000})).encode(),
    "configmap over 1 MiB": json.dumps(_configmap("cm-target", {"k": "x" * 1_100_000})).encode(),
}
HOSTILE_YAML = {
    "date key": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-target\n  labels: {2024-01-01: x}\n",
    "binary value": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-target}\ndata: {k: !!binary aGVsbG8=}\n",
    "set value": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-target}\ndata: !!set {a, b}\n",
    "date value": b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm-target}\ndata: {k: 2024-01-01}\n",
    "python tag": b"metadata: !!python/object/apply:os.system ['true']\n",
    "custom tag": b"metadata: !secret {name: cm-target}\n",
    "sequence key": b"metadata: {name: cm-target}\ndata: {? [a, b] : c}\n",
    "null key": b"metadata: {name: cm-target}\ndata: {~: c}\n",
    "alias bomb": ALIAS_BOMB,
    "self alias": b"&a [*a]\n",
    "deep flow": b"[" * 20_000,
    "deep block": "".join("  " * i + "a:\n" for i in range(1_500)).encode(),
    "lone surrogate escape": b'metadata: {name: cm-target}\ndata: {k: "\\ud800"}\n',
    "infinity": b"metadata: {name: cm-target}\ndata: {k: .inf}\n",
    "two documents": b"metadata: {name: cm-target}\n---\nmetadata: {name: other}\n",
}

VERBS = [
    ("POST", CONFIGMAPS, "application/json"),
    ("PUT", f"{CONFIGMAPS}/cm-target", "application/json"),
    ("PATCH", f"{CONFIGMAPS}/cm-target", "application/merge-patch+json"),
    ("PATCH", f"{CONFIGMAPS}/cm-target", "application/strategic-merge-patch+json"),
    ("PATCH", f"{CONFIGMAPS}/cm-target?fieldManager=hostile", "application/apply-patch+yaml"),
    ("PATCH", f"{CONFIGMAPS}/cm-target", "application/json-patch+json"),
    ("DELETE", f"{CONFIGMAPS}/cm-target", "application/json"),
    ("POST", f"{CONFIGMAPS}?dryRun=All", "application/json"),
]
YAML_VERBS = [
    ("POST", CONFIGMAPS, "application/yaml"),
    ("PUT", f"{CONFIGMAPS}/cm-target", "application/yaml"),
    ("PATCH", f"{CONFIGMAPS}/cm-target?fieldManager=hostile", "application/apply-patch+yaml"),
    ("DELETE", f"{CONFIGMAPS}/cm-target", "application/yaml"),
]


def _ensure_target(client: Client) -> None:
    client.request("DELETE", f"{CONFIGMAPS}/cm-target")
    status, raw = client.request("POST", CONFIGMAPS, json.dumps(_configmap("cm-target", {"k": "v"})).encode())
    assert status == 201, raw


def test_hostile_bodies_through_every_verb_and_content_type(karmadad, client):
    answers: dict[tuple[str, str, str], int] = {}
    with watched(karmadad):
        for bodies, verbs in ((HOSTILE_JSON, VERBS), (HOSTILE_YAML, YAML_VERBS)):
            for what, body in bodies.items():
                for method, path, content_type in verbs:
                    _ensure_target(client)
                    status, raw = client.request(method, path, body, content_type)
                    answers[(what, method, content_type)] = status
                    assert status < 500, (what, method, content_type, raw[:300])
                    if status >= 400:
                        _status(raw)
        status, _ = client.request("GET", f"{CONFIGMAPS}/cm-target")
        assert status in (200, 404)
    # What kube-apiserver decodes, karmadad stores the same way (Go's readings).
    _ensure_target(client)
    status, raw = client.request("PUT", f"{CONFIGMAPS}/cm-target", HOSTILE_JSON["lone surrogate in a value"])
    assert status == 200 and json.loads(raw)["data"] == {"k": "\ufffd"}
    status, raw = client.request(
        "POST", CONFIGMAPS, HOSTILE_YAML["date key"].replace(b"cm-target", b"cm-date"), "application/yaml"
    )
    assert status == 201 and json.loads(raw)["metadata"]["labels"] == {"2024-01-01": "x"}
    # And the limits answer as kube-apiserver does.
    assert answers[("over 3 MiB", "POST", "application/json")] == 413
    assert answers[("configmap over 1 MiB", "POST", "application/json")] == 422  # ConfigMap's own limit
    big = deployment("too-big", NAMESPACE, 1)
    big["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "X", "value": "x" * 1_600_000}]
    status, raw = client.request(
        "POST", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", json.dumps(big).encode()
    )
    assert status == 413 and _status(raw)["reason"] == "RequestEntityTooLarge"  # beyond what etcd stores
    for what in ("depth 1000", "NaN", "truncated"):
        assert answers[(what, "POST", "application/json")] == 400, what
    for what in (
        "alias bomb",
        "python tag",
        "custom tag",
        "sequence key",
        "null key",
        "deep flow",
        "deep block",
    ):
        assert answers[(what, "POST", "application/yaml")] == 400, what


def test_json_patches_that_grow_are_bounded(karmadad, client):
    with watched(karmadad):
        _ensure_target(client)
        doubling = [{"op": "copy", "from": "/data", "path": f"/data/k{i}"} for i in range(40)]
        status, raw = client.request(
            "PATCH", f"{CONFIGMAPS}/cm-target", json.dumps(doubling).encode(), "application/json-patch+json"
        )
        assert status in (413, 422), raw[:300]
        nesting = [{"op": "add", "path": "/metadata/annotations", "value": {}}] + [
            {"op": "copy", "from": "/metadata", "path": "/metadata/annotations/m"} for _ in range(12)
        ]
        status, raw = client.request(
            "PATCH", f"{CONFIGMAPS}/cm-target", json.dumps(nesting).encode(), "application/json-patch+json"
        )
        assert 400 <= status < 500, raw[:300]
        many = [{"op": "test", "path": "/kind", "value": "ConfigMap"}] * 10_001
        status, raw = client.request(
            "PATCH", f"{CONFIGMAPS}/cm-target", json.dumps(many).encode(), "application/json-patch+json"
        )
        assert status == 413 and "maximum operations" in _status(raw)["message"]


_pieces = st.sampled_from(
    [
        '"\\ud800"',
        '"\\udc00"',
        '"x"',
        "1",
        "-0",
        "1e999",
        "null",
        "true",
        "[",
        "]",
        "{",
        "}",
        ",",
        ":",
        '"a":',
        "\\",
        '"',
        "\xff",
        "NaN",
    ]
)
_structured = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def _bodies(draw) -> tuple[str, str, str, bytes]:
    method, path, content_type = draw(st.sampled_from(VERBS + YAML_VERBS))
    kind = draw(st.sampled_from(["pieces", "object", "yaml"]))
    if kind == "pieces":
        body = "".join(draw(st.lists(_pieces, max_size=40))).encode("utf-8", errors="surrogatepass")
    elif kind == "object":
        meta = {"name": "cm-target"} if draw(st.booleans()) else draw(_structured)
        body = json.dumps({"metadata": meta, "data": draw(_structured)}).encode()
    else:
        body = yaml.safe_dump({"metadata": {"name": "cm-target"}, "data": draw(_structured)}).encode()
    return method, path, content_type, body


def test_generated_bodies_never_get_a_5xx(karmadad, client):
    seen: dict[int, int] = {}

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(_bodies())
    def attempt(case) -> None:
        method, path, content_type, body = case
        status, raw = client.request(method, path, body, content_type)
        seen[status] = seen.get(status, 0) + 1
        assert status < 500, (method, path, content_type, body[:200], raw[:300])

    with watched(karmadad):
        _ensure_target(client)
        attempt()
    assert len(seen) > 2  # successes and refusals both occurred


PROTOBUF = "application/vnd.kubernetes.protobuf"
_SEEDS = (
    (CONFIGMAPS, _configmap("cm-pb", {"k": "v"})),
    (
        f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments",
        deployment("pb-deploy", NAMESPACE, 3),
    ),
)


@st.composite
def _protobuf_bodies(draw) -> tuple[str, bytes]:
    """A valid envelope, then damaged: bytes flipped, cut, inserted or swapped for huge varints."""
    path, obj = draw(st.sampled_from(_SEEDS))
    body = bytearray(codec().encode(obj))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(body)))
        action = draw(st.sampled_from(["flip", "cut", "insert", "varint"]))
        if action == "flip" and at < len(body):
            body[at] ^= draw(st.integers(1, 255))
        elif action == "cut":
            del body[at:]
        elif action == "insert":
            body[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            body[at:at] = b"\xff\xff\xff\xff\x0f"
    return path, bytes(body)


def test_damaged_protobuf_never_gets_a_5xx(karmadad, client):
    seen: dict[int, int] = {}

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(_protobuf_bodies())
    def attempt(case) -> None:
        path, body = case
        status, raw = client.request("POST", f"{path}?dryRun=All", body, PROTOBUF)
        seen[status] = seen.get(status, 0) + 1
        assert status < 500, (path, body[:200], raw[:300])
        if status >= 400:
            _status(raw)

    with watched(karmadad):
        attempt()
    assert seen.get(400) and len(seen) > 1, seen  # refusals, and damage that still made a valid object


# -- replicas at the limit -------------------------------------------------------------------------------

HUGE = 2**31 - 1
HUGE_CLUSTERS = ("huge-1", "huge-2", "huge-3")
PLACEMENTS = {
    "duplicated": {"replicaScheduling": {"replicaSchedulingType": "Duplicated"}},
    "static": {
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {
                "staticWeightList": [
                    {"targetCluster": {"clusterNames": [name]}, "weight": weight}
                    for name, weight in zip(HUGE_CLUSTERS, (1, 2, 3), strict=True)
                ]
            },
        }
    },
    "dynamic": {
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"dynamicWeight": "AvailableReplicas"},
        }
    },
    "aggregated": {
        "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}
    },
    "even": {
        "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"}
    },
}


def _cluster(name: str) -> dict:
    return {
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name, "labels": {"huge-test": "yes"}},
        "spec": {"syncMode": "Push"},
    }


@pytest.fixture
def huge_clusters(kubectl):
    kubectl("apply", "-f", "-", stdin="\n---\n".join(yaml.safe_dump(_cluster(n)) for n in HUGE_CLUSTERS))
    for name, cores in zip(HUGE_CLUSTERS, (10**6, 2 * 10**6, 3 * 10**6), strict=True):
        set_cluster_status(kubectl, name, ready_status(str(cores), memory="1000000Gi", pods="1000000000"))
    yield
    kubectl("delete", "clusters", *HUGE_CLUSTERS, "--wait=false")


def test_the_largest_replica_count_in_every_division_mode(karmadad, kubectl, client, huge_clusters):
    with watched(karmadad):
        objects = []
        for mode, placement in PLACEMENTS.items():
            workload = deployment(f"huge-{mode}", NAMESPACE, HUGE)
            workload["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "1m"}}
            objects.append(workload)
            objects.append(
                {
                    "apiVersion": "policy.karmada.io/v1alpha1",
                    "kind": "PropagationPolicy",
                    "metadata": {"name": f"huge-{mode}", "namespace": NAMESPACE},
                    "spec": {
                        "resourceSelectors": [
                            {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"huge-{mode}"}
                        ],
                        "placement": {
                            "clusterAffinity": {"labelSelector": {"matchLabels": {"huge-test": "yes"}}},
                            **placement,
                        },
                    },
                }
            )
        kubectl("apply", "-f", "-", stdin="\n---\n".join(yaml.safe_dump(o) for o in objects))
        deadline = time.monotonic() + 60
        pending = set(PLACEMENTS)
        while pending and time.monotonic() < deadline:
            for mode in list(pending):
                status, raw = client.request(
                    "GET",
                    f"/apis/work.karmada.io/v1alpha2/namespaces/{NAMESPACE}/resourcebindings/huge-{mode}-deployment",
                )
                if status != 200:
                    continue
                binding = json.loads(raw)
                if any(c["type"] == "Scheduled" for c in (binding.get("status") or {}).get("conditions", [])):
                    pending.discard(mode)
                    clusters = binding["spec"].get("clusters") or []
                    if mode in ("static", "dynamic", "aggregated", "even") and clusters:
                        assert sum(c["replicas"] for c in clusters) == HUGE, (mode, clusters)
            time.sleep(0.1)
        assert not pending, pending
        for mode in PLACEMENTS:  # and scaling again re-divides as quickly
            status, raw = client.request(
                "PATCH",
                f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments/huge-{mode}",
                json.dumps({"spec": {"replicas": HUGE - 1}}).encode(),
                "application/merge-patch+json",
            )
            assert status == 200, raw[:300]
    kubectl("delete", "deployments,propagationpolicies", "--all", "-n", NAMESPACE, "--wait=false")


HOSTILE_PATHS = [
    f"{CONFIGMAPS}/%ED%A0%80",  # a lone surrogate's UTF-8 bytes in the name
    f"{CONFIGMAPS}/%FF%FE",
    f"{CONFIGMAPS}/a%00b",
    "/api/v1/namespaces/%ED%A0%80/configmaps",
    f"{CONFIGMAPS}?labelSelector=a%3D%ED%A0%80",
    f"{CONFIGMAPS}?fieldSelector=metadata.name%3D%ED%A0%80",
    f"{CONFIGMAPS}?labelSelector=" + "a%3Db," * 5000 + "c",
    f"{CONFIGMAPS}?limit=99999999999999999999999",
    f"{CONFIGMAPS}?resourceVersion=99999999999999999999999",
    f"{CONFIGMAPS}?continue=%ED%A0%80",
    f"{CONFIGMAPS}?watch=true&timeoutSeconds=99999999999999999999",
    f"{CONFIGMAPS}?watch=true&resourceVersion=-1&timeoutSeconds=1",
    "/apis/%ED%A0%80/v1/things",
    "/openapi/v3/apis/%ED%A0%80/v1",
]


def test_hostile_paths_and_parameters(karmadad, client):
    with watched(karmadad):
        for path in HOSTILE_PATHS:
            for method in ("GET", "DELETE", "PATCH", "PUT", "POST"):
                body = b"{}" if method in ("PATCH", "PUT", "POST") else None
                status, raw = client.request(
                    method,
                    path,
                    body,
                    "application/merge-patch+json" if method == "PATCH" else "application/json",
                )
                assert status < 500, (method, path, raw[:300])


@pytest.mark.parametrize(
    "header",
    [
        b"Authorization: Bearer \xed\xa0\x80\xff",
        b"Authorization: Bearer admin-token-for-the-api-tests\r\nContent-Type: application/\xed\xa0\x80",
        b"Authorization: Bearer admin-token-for-the-api-tests\r\nAccept: application/json;as=Table;v=\xff",
        b"Authorization: \xff\xfe",
    ],
)
def test_hostile_header_bytes(karmadad, header):
    import socket
    import ssl

    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    host, port = karmadad.api.rsplit(":", 1)
    body = b'{"metadata":{"name":"hdr"}}'
    with socket.create_connection((host, int(port)), timeout=10) as raw, context.wrap_socket(raw) as tls:
        tls.sendall(
            b"POST "
            + CONFIGMAPS.encode()
            + b"?dryRun=All HTTP/1.1\r\nHost: k\r\nConnection: close\r\n"
            + header
            + b"\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        answer = b""
        while chunk := tls.recv(65536):
            answer += chunk
    status = int(answer.split(b" ", 2)[1])
    assert status < 500, answer[:400]
    assert karmadad.proc.poll() is None


def test_unknown_fields_with_any_characters_come_back_as_warnings(karmadad, client):
    body = json.dumps(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "warned"},
            '\u00e9\u4e2d\ud83d\ude00"\n': 1,
        }
    ).encode()
    for validation in ("Warn", "Strict"):
        status, raw = client.request("POST", f"{CONFIGMAPS}?dryRun=All&fieldValidation={validation}", body)
        assert status in (201, 400), raw[:300]
