"""The test bed itself: real member clusters whose controllers, scheduler and fake nodes really run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.kube.binaries import KubeBinaries, pinned_versions
from tests.kube.cluster import KubeHarness, harness_processes

pytestmark = pytest.mark.real_cluster

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        resources: {requests: {cpu: 100m, memory: 64Mi}}
"""


def kubectl(binaries: KubeBinaries, kubeconfig: str, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(binaries.kubectl), f"--kubeconfig={kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, f"kubectl {' '.join(args)}: {result.stderr}"
    return result.stdout


def test_three_members_serve_the_pinned_version_with_distinct_places(
    kube_members: KubeHarness, kube_binaries
):
    clusters = yaml.safe_load((kube_members.workdir / "clusters.yaml").read_text())["clusters"]
    assert [c["name"] for c in clusters] == ["member1", "member2", "member3"]
    assert len({(c["provider"], c["region"], tuple(c["zones"])) for c in clusters}) == 3
    for cluster in clusters:
        kubeconfig = Path(cluster["kubeconfig"])
        assert kubeconfig.stat().st_mode & 0o777 == 0o600
        version = json.loads(kubectl(kube_binaries, str(kubeconfig), "version", "-o", "json"))
        assert version["serverVersion"]["gitVersion"] == pinned_versions()["K8S_VERSION"]


def test_members_require_authentication(kube_members: KubeHarness, kube_binaries):
    member = kube_members.member("member1")
    result = subprocess.run(
        [
            str(kube_binaries.kubectl),
            f"--server={member.server}",
            "--insecure-skip-tls-verify",
            "--token=wrong",
            "get",
            "namespaces",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "You must be logged in to the server" in result.stderr


def test_fake_nodes_report_the_requested_capacity(kube_members: KubeHarness, kube_binaries):
    member = kube_members.member("member2")
    nodes = json.loads(kubectl(kube_binaries, member.kubeconfig, "get", "nodes", "-o", "json"))["items"]
    assert len(nodes) == 2
    for node in nodes:
        assert {k: node["status"]["capacity"][k] for k in ("cpu", "memory", "pods")} == {
            "cpu": "32",
            "memory": "256Gi",
            "pods": "110",
        }
        assert node["metadata"]["labels"]["topology.kubernetes.io/zone"] == member.zone
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        assert ready["status"] == "True"


def test_a_deployment_really_becomes_ready(kube_members: KubeHarness, kube_binaries):
    member = kube_members.member("member3")
    kubectl(kube_binaries, member.kubeconfig, "apply", "-f", "-", stdin=DEPLOYMENT)
    kubectl(
        kube_binaries,
        member.kubeconfig,
        "wait",
        "deployment/nginx",
        "--for=jsonpath={.status.readyReplicas}=3",
        "--timeout=150s",
    )
    pods = json.loads(
        kubectl(kube_binaries, member.kubeconfig, "get", "pods", "-l", "app=nginx", "-o", "json")
    )
    assert len(pods["items"]) == 3
    for pod in pods["items"]:
        assert pod["status"]["phase"] == "Running"
        assert pod["spec"]["nodeName"].startswith("member3-node-")  # bound by the real scheduler
        assert pod["status"]["podIP"].startswith("10.64.")  # given by kwok
    kubectl(
        kube_binaries, member.kubeconfig, "delete", "deployment", "nginx", "--wait=true", "--timeout=120s"
    )


def test_command_line_up_and_down_leave_no_process(kube_binaries, tmp_path):
    workdir = tmp_path / "cli"
    command = [sys.executable, "-m", "tests.kube"]
    root = Path(__file__).parents[2]
    up = subprocess.run(
        [
            *command,
            "up",
            "--members",
            "1",
            "--dir",
            str(workdir),
            "--nodes",
            "1",
            "--node-cpu",
            "8",
            "--node-memory",
            "16Gi",
            "--node-pods",
            "50",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    try:
        assert up.returncode == 0, up.stderr
        assert "1 members ready" in up.stdout
        assert list(harness_processes(workdir)), "up must leave the cluster running"
        nodes = json.loads(
            kubectl(kube_binaries, str(workdir / "member1.kubeconfig"), "get", "nodes", "-o", "json")
        )
        assert nodes["items"][0]["status"]["allocatable"]["memory"] == "16Gi"
    finally:
        down = subprocess.run(
            [*command, "down", "--dir", str(workdir)], cwd=root, capture_output=True, text=True, timeout=120
        )
    assert down.returncode == 0, down.stderr
    assert list(harness_processes(workdir)) == []
