"""Member clusters from the config file become Cluster objects with live status; SIGHUP re-registers."""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.kube.cluster import KubeHarness, free_ports

pytestmark = pytest.mark.real_cluster


class Daemon:
    token = "registration-test-token"

    def __init__(
        self, workdir: Path, clusters: list[dict], extra: dict | None = None, source: Path | None = None
    ):
        """``source``: a directory holding another ``karmadad`` package to run instead of this one (a
        benchmark's earlier revision)."""
        self.workdir = workdir
        self.extra = extra or {}
        api, metrics = free_ports(2)
        self.api, self.metrics = f"127.0.0.1:{api}", f"127.0.0.1:{metrics}"
        (workdir / "token").write_text(self.token + "\n")
        (workdir / "token").chmod(0o600)
        self.config_path = workdir / "karmadad.yaml"
        self.write(clusters)
        self.log = workdir / "karmadad.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "karmadad", "run", "--config", str(self.config_path)],
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": str(source)} if source else None,
            )

    def write(self, clusters: list[dict]) -> None:
        config = {
            "dataDir": str(self.workdir / "data"),
            "api": {
                "listen": self.api,
                "tokens": [{"user": "t", "groups": ["admin"], "tokenFile": str(self.workdir / "token")}],
                **self.extra.get("api", {}),
            },
            "metrics": {"listen": self.metrics},
            "clusters": clusters,
            "simulation": {"clusters": 0},  # real members only, even while none is listed
            **{key: value for key, value in self.extra.items() if key != "api"},
        }
        self.config_path.write_text(yaml.safe_dump(config))

    def _request(self, path: str, body: dict | None = None) -> dict:
        context = ssl.create_default_context(cafile=str(self.workdir / "data" / "pki" / "ca.crt"))
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"https://{self.api}{path}", data=data, method="POST" if data else "GET")
        req.add_header("Authorization", f"Bearer {self.token}")
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, context=context, timeout=5) as resp:
            return json.loads(resp.read())

    def post(self, path: str, body: dict) -> dict:
        return self._request(path, body)

    def get(self, path: str) -> dict:
        return self._request(path)

    def clusters(self) -> dict[str, dict]:
        items = self._request("/apis/cluster.karmada.io/v1alpha1/clusters")["items"]
        return {c["metadata"]["name"]: c for c in items}

    def wait_for(self, check, within: float, what: str) -> dict[str, dict]:
        deadline = time.monotonic() + within
        last = {}
        while time.monotonic() < deadline:
            try:
                last = self.clusters()
                if check(last):
                    return last
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(
            f"{what} not reached within {within}s: {json.dumps(last)[:2000]}\n{self.log.read_text()[-3000:]}"
        )

    def kubeconfig(self) -> str:
        """A kubeconfig for kubectl (and karmadactl) against this daemon, as ``karmadad kubeconfig`` writes it."""
        path = self.workdir / "karmadad.kubeconfig"
        path.write_text(
            subprocess.run(
                [sys.executable, "-m", "karmadad", "kubeconfig", "--config", str(self.config_path)],
                cwd=self.workdir,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        path.chmod(0o600)
        return str(path)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ready(cluster: dict) -> bool:
    return any(
        c["type"] == "Ready" and c["status"] == "True"
        for c in (cluster.get("status") or {}).get("conditions") or ()
    )


@pytest.fixture
def config_clusters(kube_members: KubeHarness) -> list[dict]:
    return yaml.safe_load((kube_members.workdir / "clusters.yaml").read_text())["clusters"]


def test_members_become_ready_clusters_and_sighup_reregisters(config_clusters, tmp_path, kube_binaries):
    binaries = kube_binaries
    daemon = Daemon(tmp_path, config_clusters)
    try:
        clusters = daemon.wait_for(
            lambda cs: len(cs) == 3 and all(ready(c) for c in cs.values()), 30, "3 Ready clusters"
        )
        for name, cluster in clusters.items():
            entry = next(c for c in config_clusters if c["name"] == name)
            assert cluster["spec"]["syncMode"] == "Push" and cluster["spec"]["provider"] == entry["provider"]
            assert cluster["spec"]["zones"] == entry["zones"]
            status = cluster["status"]
            assert status["kubernetesVersion"] == "v1.36.3"
            assert status["nodeSummary"] == {"totalNum": 2, "readyNum": 2}
            # the harness's two fake nodes per member: 32 cpu, 256Gi, 110 pods each
            assert status["resourceSummary"]["allocatable"] == {"cpu": "64", "memory": "512Gi", "pods": "220"}
            apps = next(e for e in status["apiEnablements"] if e["groupVersion"] == "apps/v1")
            assert {"name": "deployments", "kind": "Deployment"} in apps["resources"]
            assert not any("/" in r["name"] for e in status["apiEnablements"] for r in e["resources"])
            complete = next(c for c in status["conditions"] if c["type"] == "CompleteAPIEnablements")
            assert complete["status"] == "True" and complete["reason"] == "Complete"
            assert not [
                t for t in cluster["spec"].get("taints", []) if t["key"].startswith("cluster.karmada.io/")
            ]
        # pods that run in a member count as allocated there
        from tests.integration.test_kube_harness import DEPLOYMENT, kubectl

        member3 = next(c for c in config_clusters if c["name"] == "member3")
        kubectl(
            binaries,
            member3["kubeconfig"],
            "apply",
            "-f",
            "-",
            stdin=DEPLOYMENT.replace("name: nginx, namespace", "name: counted, namespace"),
        )
        found = daemon.wait_for(
            lambda cs: (cs["member3"]["status"]["resourceSummary"].get("allocated") or {}).get("pods") == "3",
            30,
            "3 running pods counted as allocated in member3",
        )
        assert found["member3"]["status"]["resourceSummary"]["allocated"]["cpu"] == "300m"
        kubectl(
            binaries, member3["kubeconfig"], "delete", "deployment", "counted", "--wait=true", "--timeout=60s"
        )
        # drop member2, keep the others: unregistration follows a SIGHUP within 5 s, without a restart; the
        # Cluster then goes once its execution space has emptied, which the namespace deletion grace delays
        daemon.write([c for c in config_clusters if c["name"] != "member2"])
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for(
            lambda cs: "member2" not in cs or bool(cs["member2"]["metadata"].get("deletionTimestamp")),
            5,
            "member2 being unregistered",
        )
        daemon.wait_for(lambda cs: set(cs) == {"member1", "member3"}, 20, "member2 unregistered")
        daemon.write(config_clusters)
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for(
            lambda cs: set(cs) == {"member1", "member2", "member3"} and ready(cs["member2"]),
            5,
            "member2 registered again",
        )
        assert daemon.proc.poll() is None
    finally:
        daemon.stop()


def test_a_cluster_with_an_unreachable_server_is_not_ready_and_tainted(config_clusters, tmp_path):
    unreachable = tmp_path / "unreachable.kubeconfig"
    port = free_ports(1)[0]  # nothing listens there
    unreachable.write_text(
        Path(config_clusters[0]["kubeconfig"])
        .read_text()
        .replace(
            yaml.safe_load(Path(config_clusters[0]["kubeconfig"]).read_text())["clusters"][0]["cluster"][
                "server"
            ],
            f"https://127.0.0.1:{port}",
        )
    )
    clusters = [
        config_clusters[0],
        {"name": "ghost", "kubeconfig": str(unreachable)},
        {"name": "lost", "kubeconfig": str(tmp_path / "no-such.kubeconfig")},
    ]
    daemon = Daemon(tmp_path, clusters)
    try:
        found = daemon.wait_for(
            lambda cs: (
                {"ghost", "lost"} <= set(cs)
                and all(
                    any(t["key"] == "cluster.karmada.io/unreachable" for t in cs[n]["spec"].get("taints", []))
                    for n in ("ghost", "lost")
                )
                and ready(cs.get("member1", {}))
            ),
            30,
            "ghost and lost tainted, member1 ready",
        )
        condition = next(c for c in found["ghost"]["status"]["conditions"] if c["type"] == "Ready")
        assert condition["status"] == "False" and condition["reason"] == "ClusterNotReachable"
        assert "not reachable" in condition["message"]
        condition = next(c for c in found["lost"]["status"]["conditions"] if c["type"] == "Ready")
        assert condition["status"] == "False"
        assert (
            condition["message"]
            == f"cannot load the cluster's credentials: {tmp_path / 'no-such.kubeconfig'}: file not found"
        )
        logged = daemon.log.read_text()
        assert "cannot load the member's credentials" in logged and logged.count("no-such.kubeconfig") == 1
        assert daemon.proc.poll() is None
    finally:
        daemon.stop()


def test_a_cluster_reached_by_server_token_and_ca(kube_members: KubeHarness, tmp_path):
    member = kube_members.member("member1")
    token = tmp_path / "member1.token"
    token.write_text(member.token + "\n")
    token.chmod(0o600)
    entry = {
        "name": "direct",
        "server": member.server,
        "tokenFile": str(token),
        "caFile": str(kube_members.pki / "ca.crt"),
        "qps": 20,
        "burst": 30,
    }
    daemon = Daemon(tmp_path, [entry])
    try:
        found = daemon.wait_for(lambda cs: "direct" in cs and ready(cs["direct"]), 30, "direct Ready")
        assert found["direct"]["spec"]["apiEndpoint"] == member.server
        assert found["direct"]["status"]["kubernetesVersion"] == "v1.36.3"
    finally:
        daemon.stop()


def test_a_cluster_joined_through_the_api_with_a_secret(kube_members: KubeHarness, tmp_path):
    import base64

    member = kube_members.member("member2")
    daemon = Daemon(tmp_path, [])
    try:
        daemon.wait_for(lambda cs: cs == {}, 20, "the daemon serving")
        ca = (kube_members.pki / "ca.crt").read_bytes()
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "joined", "namespace": "karmada-cluster"},
            "data": {
                "token": base64.b64encode(member.token.encode()).decode(),
                "caBundle": base64.b64encode(ca).decode(),
            },
        }
        cluster = {
            "apiVersion": "cluster.karmada.io/v1alpha1",
            "kind": "Cluster",
            "metadata": {"name": "joined"},
            "spec": {
                "apiEndpoint": member.server,
                "syncMode": "Push",
                "secretRef": {"namespace": "karmada-cluster", "name": "joined"},
            },
        }
        daemon.post("/api/v1/namespaces/karmada-cluster/secrets", secret)
        daemon.post("/apis/cluster.karmada.io/v1alpha1/clusters", cluster)
        found = daemon.wait_for(
            lambda cs: "joined" in cs and ready(cs["joined"]), 30, "the joined cluster Ready"
        )
        assert found["joined"]["status"]["kubernetesVersion"] == "v1.36.3"
        assert (tmp_path / "data" / "members" / "joined" / "token").stat().st_mode & 0o777 == 0o600
    finally:
        daemon.stop()
