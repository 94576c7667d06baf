"""A member's API going away makes its Cluster NotReady and tainted, never emptied; it comes back."""

from __future__ import annotations

import time

import pytest
import yaml

from tests.integration.test_cluster_registration import Daemon, ready
from tests.kube.cluster import KubeHarness

pytestmark = pytest.mark.real_cluster


def tainted(cluster: dict) -> bool:
    return any(t["key"].startswith("cluster.karmada.io/") for t in cluster["spec"].get("taints", []))


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
            assert daemon.proc.poll() is None
        finally:
            daemon.stop()
    finally:
        harness.down()
