"""The scenario samples under ``config/samples/`` apply with the real kubectl and land as each one says, on
real members placed in two regions and three zones (member1 and member2 in one region, member3 in the other).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.integration.test_cluster_registration import Daemon, ready
from tests.integration.test_kube_harness import kubectl
from tests.integration.test_propagation import eventually
from tests.kube.cluster import KubeHarness

pytestmark = pytest.mark.real_cluster

SAMPLES = Path(__file__).parents[2] / "config" / "samples"
PLACES = {
    "member1": {"region": "eu-west", "zones": ["eu-west-a"], "labels": {"tier": "web", "site": "primary"}},
    "member2": {"region": "eu-west", "zones": ["eu-west-b"], "labels": {"tier": "web"}},
    "member3": {"region": "us-east", "zones": ["us-east-a"], "labels": {"tier": "web", "site": "backup"}},
}


@pytest.fixture(scope="module")
def plane(kube_members: KubeHarness, kube_binaries, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("samples")
    clusters = yaml.safe_load((kube_members.workdir / "clusters.yaml").read_text())["clusters"]
    for cluster in clusters:
        cluster.update(PLACES[cluster["name"]])
    failover = {
        "featureGates": {"Failover": True},
        "failover": {"enableNoExecuteTaintEviction": True, "allowNoExecuteTaintPolicy": True},
    }
    daemon = Daemon(workdir, clusters, extra={"clusterStatus": {"intervalSeconds": 2}, **failover})
    try:
        daemon.wait_for(
            lambda cs: len(cs) == 3 and all(ready(c) for c in cs.values()), 60, "3 Ready clusters"
        )
        yield lambda *args, stdin=None: kubectl(kube_binaries, daemon.kubeconfig(), *args, stdin=stdin)
    finally:
        daemon.stop()


def placed(karmadad, namespace: str, binding: str) -> tuple[dict[str, int], dict]:
    found = json.loads(karmadad("get", "rb", binding, "-n", namespace, "-o", "json"))
    scheduled = next(c for c in found["status"]["conditions"] if c["type"] == "Scheduled")
    assert scheduled["status"] == "True", scheduled
    return {t["name"]: t["replicas"] for t in found["spec"]["clusters"]}, found


def apply_sample(karmadad, name: str, namespace: str, binding: str) -> tuple[dict[str, int], dict]:
    text = (SAMPLES / name).read_text()
    karmadad("apply", "-f", "-", stdin=text)
    try:
        return eventually(lambda: placed(karmadad, namespace, binding), 60, f"{name} placed")
    finally:
        karmadad("delete", "-f", "-", "--wait=false", "--ignore-not-found", stdin=text)


@pytest.mark.timeout(300)
def test_active_active_runs_in_both_regions(plane):
    clusters, _ = apply_sample(plane, "active-active.yaml", "shop", "web-deployment")
    assert sum(clusters.values()) == 4 and len(clusters) == 2, clusters
    assert {PLACES[name]["region"] for name in clusters} == {"eu-west", "us-east"}


@pytest.mark.timeout(300)
def test_remote_dr_runs_in_the_primary_site(plane):
    clusters, binding = apply_sample(plane, "remote-dr.yaml", "bank", "ledger-deployment")
    assert clusters == {"member1": 2}
    assert binding["status"]["schedulerObservingAffinityName"] == "primary"


@pytest.mark.timeout(300)
def test_two_sites_three_centres_runs_in_every_centre(plane):
    clusters, _ = apply_sample(plane, "two-sites-three-centres.yaml", "orders", "orders-deployment")
    assert clusters == {"member1": 3, "member2": 3, "member3": 3}
