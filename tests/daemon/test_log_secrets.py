"""Secrets stay out of the log even at ``log.level: debug``.

Debug is what an operator turns on to chase a bug, and that log is then pasted into tickets and shipped
to log stores. Libraries below karmadad log whole rows and requests at debug (the SQLite driver logs each
statement with its parameters), so a real daemon is run at debug, handed a Secret and a member's
credentials through its API, and its whole output is searched for them.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

from tests.api.conftest import wait_until_ready
from tests.integration.test_cluster_registration import Daemon

DATA_VALUE = "data-value-q7Kx2mWf9ZpL"
STRING_DATA_VALUE = "string-data-value-R4vN8cTj3HsB"
MEMBER_TOKEN = "member-token-value-Y6dG1bQe5UaC"
ES = "karmada-es-unreachable"  # the member's execution namespace


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class DebugDaemon(Daemon):
    """The member-registration tests' daemon, at ``log.level: debug``, probing members every half second."""

    def __init__(self, workdir: Path):
        debug = {"log": {"level": "debug"}, "clusterStatus": {"intervalSeconds": 0.5, "thresholdSeconds": 0}}
        super().__init__(workdir, [], debug)

    def wait_for_object(self, path: str, check, within: float, what: str) -> dict:
        deadline = time.monotonic() + within
        last: dict = {}
        while time.monotonic() < deadline:
            last = self.get(path)
            if check(last):
                return last
            time.sleep(0.2)
        raise AssertionError(f"{what} not reached within {within}s: {json.dumps(last)[:2000]}")

    def wait_for_log(self, text: str, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if text in self.log.read_text():
                return
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not logged within {within}s:\n{self.log.read_text()[-3000:]}")


def has_ready_condition(cluster: dict) -> bool:
    return any(c.get("type") == "Ready" for c in (cluster.get("status") or {}).get("conditions") or ())


def test_no_secret_value_reaches_the_debug_log(tmp_path):
    daemon = DebugDaemon(tmp_path)
    try:
        wait_until_ready(daemon.metrics, daemon.proc, daemon.log)
        # a real CA, so the daemon gets as far as connecting to the member (and is refused)
        ca = (tmp_path / "data" / "pki" / "ca.crt").read_text()
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "app-credentials", "namespace": "default"},
            "data": {"password": b64(DATA_VALUE)},
            "stringData": {"apiKey": STRING_DATA_VALUE},
        }
        stored = daemon.post("/api/v1/namespaces/default/secrets", secret)
        assert stored["data"]["password"] == b64(DATA_VALUE)
        # a member credential as `karmadactl join` stores it, and the Cluster that makes the daemon use it
        daemon.post(
            "/api/v1/namespaces/karmada-cluster/secrets",
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": "member-secret", "namespace": "karmada-cluster"},
                "data": {"token": b64(MEMBER_TOKEN), "caBundle": b64(ca)},
            },
        )
        daemon.post(
            "/apis/cluster.karmada.io/v1alpha1/clusters",
            {
                "apiVersion": "cluster.karmada.io/v1alpha1",
                "kind": "Cluster",
                "metadata": {"name": "unreachable"},
                "spec": {
                    "apiEndpoint": "https://127.0.0.1:1",
                    "syncMode": "Push",
                    "secretRef": {"namespace": "karmada-cluster", "name": "member-secret"},
                },
            },
        )
        cluster = daemon.wait_for_object(
            "/apis/cluster.karmada.io/v1alpha1/clusters/unreachable",
            has_ready_condition,
            30,
            "a Ready condition on the joined cluster",
        )
        ready = next(c for c in cluster["status"]["conditions"] if c["type"] == "Ready")
        assert ready["reason"] == "ClusterNotReachable", ready
        assert (tmp_path / "data" / "members" / "unreachable" / "token").read_text() == MEMBER_TOKEN
        # a Work carrying the Secret to that member: its manifest goes through the store and the
        # execution controller, which waits (logging at debug) for the member to become ready
        daemon.wait_for_object(
            "/api/v1/namespaces",
            lambda namespaces: any(n["metadata"]["name"] == ES for n in namespaces["items"]),
            30,
            "the member's execution namespace",
        )
        daemon.post(
            f"/apis/work.karmada.io/v1alpha1/namespaces/{ES}/works",
            {
                "apiVersion": "work.karmada.io/v1alpha1",
                "kind": "Work",
                "metadata": {"name": "app-credentials", "namespace": ES},
                "spec": {"workload": {"manifests": [secret]}},
            },
        )
        daemon.wait_for_log('msg="waiting; requeued"', 30)
    finally:
        daemon.stop()
    lines = daemon.log.read_text().splitlines()
    assert any(" level=debug " in line for line in lines), "no debug line: the test proves nothing"
    # each value as sent and as stored (base64); the CA by a line of its PEM body and as stored
    forms = [form for value in (DATA_VALUE, STRING_DATA_VALUE, MEMBER_TOKEN) for form in (value, b64(value))]
    forms += [Daemon.token, ca.splitlines()[1], b64(ca)]
    for form in forms:
        leaks = [line for line in lines if form in line]
        assert not leaks, f"{form!r} logged:\n" + "\n".join(leaks[:5])
