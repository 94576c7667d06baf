"""A member's API going away makes its Cluster NotReady and tainted, never emptied; it comes back."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
import yaml

from tests.integration.test_cluster_registration import Daemon, ready
from tests.integration.test_kube_harness import kubectl
from tests.kube.cluster import KubeHarness

pytestmark = pytest.mark.real_cluster


def tainted(cluster: dict) -> bool:
    return any(t["key"].startswith("cluster.karmada.io/") for t in cluster["spec"].get("taints", []))


def bare_pod(name: str) -> str:
    """A Pod bound to a fake node by name: it needs neither the member's scheduler nor its controllers."""
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"nodeName": "member2-node-0", "containers": [{"name": "c", "image": "busybox"}]},
        }
    )


def cached(daemon: Daemon, cluster: str) -> dict[str, dict[str, str]]:
    """The daemon's member informer caches for one cluster: resource path -> key -> resourceVersion."""
    url = f"http://{daemon.metrics}/debug/informers?objects=1"
    with urllib.request.urlopen(url, timeout=5) as response:
        report = json.loads(response.read())
    return {r["resource"]: r["objects"] for r in report if r["cluster"] == cluster and r["synced"]}


def listed(binaries, kubeconfig: str) -> dict[str, dict[str, str]]:
    """A fresh LIST of the member's Nodes and Pods, keyed as the informers key them."""
    fresh = {}
    for path, kind in (("/api/v1/nodes", "nodes"), ("/api/v1/pods", "pods")):
        items = json.loads(kubectl(binaries, kubeconfig, "get", kind, "-A", "-o", "json"))["items"]
        fresh[path] = {
            "/".join(filter(None, (o["metadata"].get("namespace"), o["metadata"]["name"]))): o["metadata"][
                "resourceVersion"
            ]
            for o in items
        }
    return fresh


def wait_until_caches_equal_a_fresh_list(daemon: Daemon, binaries, kubeconfig: str, within: float) -> None:
    deadline = time.monotonic() + within
    while True:
        fresh, cache = listed(binaries, kubeconfig), cached(daemon, "member2")
        if cache == fresh:
            return
        assert time.monotonic() < deadline, f"caches differ from a fresh LIST: {cache} vs {fresh}"
        time.sleep(0.5)


@pytest.mark.timeout(300)
def test_outage_taints_then_recovers(kube_binaries, tmp_path):
    harness = KubeHarness(tmp_path / "members", kube_binaries)  # its own members: this test stops one
    harness.up(2)
    try:
        clusters = yaml.safe_load((harness.workdir / "clusters.yaml").read_text())["clusters"]
        daemon = Daemon(
            tmp_path, clusters, extra={"clusterStatus": {"intervalSeconds": 2, "thresholdSeconds": 30}}
        )
        try:
            daemon.wait_for(lambda cs: len(cs) == 2 and all(ready(c) for c in cs.values()), 30, "both Ready")
            member2 = next(c for c in clusters if c["name"] == "member2")["kubeconfig"]
            for name in ("before-a", "before-b"):
                kubectl(kube_binaries, member2, "apply", "-f", "-", stdin=bare_pod(name))
            wait_until_caches_equal_a_fresh_list(daemon, kube_binaries, member2, 20)
            harness.stop_apiserver("member2")
            stopped = time.monotonic()
            down = daemon.wait_for(
                lambda cs: not ready(cs["member2"]) and tainted(cs["member2"]),
                50,
                "member2 NotReady and tainted",
            )
            assert ready(down["member1"]) and not tainted(down["member1"])
            condition = next(c for c in down["member2"]["status"]["conditions"] if c["type"] == "Ready")
            assert condition["reason"] == "ClusterNotReachable"
            assert time.monotonic() - stopped >= 25, "a blip must not flip Ready (30 s threshold)"
            harness.start_apiserver("member2")
            daemon.wait_for(
                lambda cs: ready(cs["member2"]) and not tainted(cs["member2"]),
                40,
                "member2 Ready and untainted again",
            )
            # the informers resumed: what changes after the restart reaches the caches, which then equal
            # a fresh LIST of the member
            kubectl(kube_binaries, member2, "delete", "pod", "before-a", "--grace-period=0", "--force")
            kubectl(kube_binaries, member2, "apply", "-f", "-", stdin=bare_pod("after"))
            wait_until_caches_equal_a_fresh_list(daemon, kube_binaries, member2, 30)
            assert set(cached(daemon, "member2")["/api/v1/pods"]) >= {"default/before-b", "default/after"}
            assert "default/before-a" not in cached(daemon, "member2")["/api/v1/pods"]
            assert daemon.proc.poll() is None
        finally:
            daemon.stop()
    finally:
        harness.down()
