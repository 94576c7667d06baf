"""The README's quick start, as a newcomer runs it: karmadad on the example config (``make run``), a
kubeconfig (``make kubeconfig``), then the real kubectl applying the nginx sample. Within 20 seconds the
Deployment is ready across the three simulated members and its binding shows the split — with no Go-built
member cluster, no warning in the log and no reconcile error. Then the other quick-start samples, each landing
in the members as its header says (read from the members through ``dataDir/simulated/members.kubeconfig``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.api.conftest import wait_until_ready
from tests.integration.test_kube_harness import kubectl
from tests.kube.cluster import free_ports

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "config" / "samples"
PROPAGATED_WITHIN = 20.0
MEMBERS = ("member1", "member2", "member3")


def eventually(check: Callable[[], object], within: float, what: str) -> object:
    deadline = time.monotonic() + within
    last: object = None
    while time.monotonic() < deadline:
        try:
            if last := check():
                return last
        except (AssertionError, subprocess.CalledProcessError, json.JSONDecodeError) as error:
            last = error
        time.sleep(0.2)
    raise AssertionError(f"{what} not reached within {within}s; last: {last}")


@dataclass
class Demo:
    kubeconfig: Path
    members: Path  # a context per simulated member
    metrics: str
    log: Path
    binaries: object

    def karmadad(self, *args: str) -> str:
        return kubectl(self.binaries, str(self.kubeconfig), *args)  # type: ignore[arg-type]

    def member(self, name: str, *args: str) -> str:
        return kubectl(self.binaries, str(self.members), "--context", name, *args)  # type: ignore[arg-type]

    def member_json(self, name: str, *args: str) -> dict:
        return json.loads(self.member(name, "get", *args, "-o", "json", "--ignore-not-found") or "{}")


@pytest.fixture(scope="module")
def demo(kube_binaries, tmp_path_factory) -> Iterator[Demo]:
    """karmadad as ``make run`` starts it, and kubectl pointed at it as ``make kubeconfig`` does."""
    workdir = tmp_path_factory.mktemp("quick-start")
    config = yaml.safe_load((ROOT / "config" / "karmadad.yaml").read_text())
    api, metrics = (f"127.0.0.1:{port}" for port in free_ports(2))
    config.update(dataDir=str(workdir / ".karmadad"))
    config["api"]["listen"], config["metrics"]["listen"] = api, metrics
    config_path = workdir / "karmadad.yaml"
    config_path.write_text(yaml.safe_dump(config))
    log = workdir / "karmadad.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "karmadad", "run", "--config", str(config_path)],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(metrics, proc, log)
        kubeconfig = workdir / "home" / ".kube" / "karmadad.kubeconfig"
        command = ["kubeconfig", "--config", str(config_path), "--output", str(kubeconfig)]
        subprocess.run(
            [sys.executable, "-m", "karmadad", *command], check=True, capture_output=True, timeout=30
        )
        members = workdir / ".karmadad" / "simulated" / "members.kubeconfig"
        yield Demo(kubeconfig, members, metrics, log, kube_binaries)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_the_quick_start_spreads_nginx_over_three_simulated_members(demo: Demo):
    applied = time.monotonic()
    demo.karmadad("apply", "-f", str(SAMPLES / "nginx"))
    spread = [{"name": name, "replicas": 2} for name in MEMBERS]
    deadline = applied + PROPAGATED_WITHIN
    while True:
        status = json.loads(demo.karmadad("get", "deploy", "nginx", "-o", "json")).get("status", {})
        binding = json.loads(
            demo.karmadad("get", "rb", "nginx-deployment", "-o", "json", "--ignore-not-found") or "{}"
        )
        placed = binding.get("spec", {}).get("clusters")
        if status.get("readyReplicas") == 6 and status.get("availableReplicas") == 6 and placed == spread:
            break
        assert time.monotonic() < deadline, (
            f"not spread and ready within {PROPAGATED_WITHIN}s: {status}, {placed}"
        )
        time.sleep(0.2)

    table = demo.karmadad("get", "deploy", "nginx")
    assert re.search(r"^nginx\s+6/6\s+6\s+6\s", table, re.M), table
    clusters = demo.karmadad("get", "clusters", "-o", "jsonpath={.items[*].metadata.name}")
    assert clusters.split() == list(MEMBERS)
    for name in MEMBERS:  # each member runs its share, ready
        assert demo.member_json(name, "deploy", "nginx")["status"]["readyReplicas"] == 2

    with urllib.request.urlopen(f"http://{demo.metrics}/metrics", timeout=5) as answer:
        exposition = answer.read().decode()
    errors = re.findall(r'^karmadad_reconcile_errors_total\{controller="([^"]+)"\} (\S+)$', exposition, re.M)
    assert errors and all(float(count) == 0 for _, count in errors), errors
    warnings = [
        line for line in demo.log.read_text().splitlines() if re.search(r"level=(warning|error)", line)
    ]
    assert warnings == []
    warning_events = demo.karmadad("get", "events", "-A", "--field-selector", "type=Warning", "-o", "name")
    assert warning_events == "", "a race lost and retried is no Warning to the user"


def test_weighted_split(demo: Demo):
    demo.karmadad("apply", "-f", str(SAMPLES / "weighted"))

    def landed() -> bool:
        ready = {name: demo.member_json(name, "deploy", "web-weighted").get("status", {}) for name in MEMBERS}
        return [s.get("readyReplicas") for s in ready.values()] == [3, 6, None]

    eventually(landed, 20, "3 replicas in member1, 6 in member2, none in member3")
    binding = json.loads(demo.karmadad("get", "rb", "web-weighted-deployment", "-o", "json"))
    assert binding["spec"]["clusters"] == [
        {"name": "member1", "replicas": 3},
        {"name": "member2", "replicas": 6},
    ]


def test_overrides_change_one_clusters_copy(demo: Demo):
    demo.karmadad("apply", "-f", str(SAMPLES / "overrides"))

    def copies() -> dict | None:
        found = {name: demo.member_json(name, "deploy", "web-overridden") for name in ("member1", "member2")}
        return found if all(f.get("status", {}).get("readyReplicas") == 2 for f in found.values()) else None

    found = eventually(copies, 20, "web-overridden ready in member1 and member2")
    assert isinstance(found, dict)
    images = {name: d["spec"]["template"]["spec"]["containers"][0]["image"] for name, d in found.items()}
    assert images == {
        "member1": "docker.io/library/nginx:1.27",
        "member2": "registry.example.com/library/nginx:1.27",
    }
    assert found["member2"]["metadata"]["labels"].get("env") == "staging"
    assert "env" not in found["member1"]["metadata"]["labels"]
    assert demo.member_json("member3", "deploy", "web-overridden") == {}


def test_cluster_propagation_policy_carries_cluster_wide_objects(demo: Demo):
    demo.karmadad("apply", "-f", str(SAMPLES / "cluster-propagation"))

    def everywhere() -> bool:
        return all(
            demo.member_json(name, "namespace", "team-a")
            and demo.member_json(name, "clusterrole", "team-a-reader")
            for name in MEMBERS
        )

    eventually(everywhere, 20, "namespace team-a and ClusterRole team-a-reader in every member")
    role = demo.member_json("member2", "clusterrole", "team-a-reader")
    assert role["rules"] == [
        {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "watch"]}
    ]


def test_propagate_deps_carries_what_the_workload_mounts(demo: Demo):
    demo.karmadad("apply", "-f", str(SAMPLES / "propagate-deps"))

    def beside() -> bool:
        deployment = demo.member_json("member3", "deploy", "app-with-deps")
        return deployment.get("status", {}).get("readyReplicas") == 1 and bool(
            demo.member_json("member3", "configmap", "app-settings")
            and demo.member_json("member3", "secret", "app-credentials")
        )

    eventually(beside, 20, "the Deployment, its ConfigMap and its Secret in member3")
    assert demo.member_json("member3", "configmap", "app-settings")["data"] == {"MODE": "production"}
    for name in ("member1", "member2"):
        assert demo.member_json(name, "configmap", "app-settings") == {}
        assert demo.member_json(name, "deploy", "app-with-deps") == {}
