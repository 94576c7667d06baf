"""kill -9 while propagating: nothing acknowledged is lost, nothing is doubled, and a restart writes nothing.

1,000 Deployments go to 3 real members (Duplicated). karmadad is killed with SIGKILL at random moments five
times while it propagates them, and started again on the same data directory each time. Once it has
converged every member holds exactly the 1,000 Deployments with the right content and no other managed
one, karmadad holds 1,000 bindings and 3,000 Works; a further restart then sends no create, update or
delete to any member (counted by karmadad's own member request metrics).
"""

from __future__ import annotations

import json
import random
import signal
import ssl
import subprocess
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from tests.integration.test_cluster_registration import Daemon, ready
from tests.kube.cluster import KubeHarness

pytestmark = pytest.mark.real_cluster

COUNT = 1000
KILLS = 5
NAMESPACE = "crash"
MEMBERS = ("member1", "member2", "member3")
WRITE_VERBS = ("post", "put", "patch", "delete")


def deployment(i: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"d{i}", "namespace": NAMESPACE, "labels": {"app": f"d{i}"}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": f"d{i}"}},
            "template": {
                "metadata": {"labels": {"app": f"d{i}"}},
                "spec": {"containers": [{"name": "c", "image": f"nginx:1.{i % 30}"}]},
            },
        },
    }


POLICY = {
    "apiVersion": "policy.karmada.io/v1alpha1",
    "kind": "PropagationPolicy",
    "metadata": {"name": "all", "namespace": NAMESPACE},
    "spec": {
        "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
        "placement": {"clusterAffinity": {"clusterNames": list(MEMBERS)}},
    },
}


def start(tmp_path, clusters) -> Daemon:
    daemon = Daemon(
        tmp_path,
        clusters,
        extra={"clusterStatus": {"intervalSeconds": 2, "thresholdSeconds": 30}},
    )
    daemon.wait_for(lambda cs: len(cs) == 3 and all(ready(c) for c in cs.values()), 60, "3 Ready clusters")
    return daemon


def get(daemon: Daemon, path: str) -> dict:
    context = ssl.create_default_context(cafile=str(daemon.workdir / "data" / "pki" / "ca.crt"))
    request = urllib.request.Request(f"https://{daemon.api}{path}")
    request.add_header("Authorization", "Bearer registration-test-token")
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return json.loads(response.read())


def member_writes(daemon: Daemon) -> dict[str, int]:
    """Creates, updates and deletes karmadad sent to members since it started, by cluster and verb."""
    with urllib.request.urlopen(f"http://{daemon.metrics}/metrics", timeout=10) as response:
        text = response.read().decode()
    found = {}
    for line in text.splitlines():
        if line.startswith("karmadad_member_request_duration_seconds_count{") and any(
            f'verb="{verb}"' in line for verb in WRITE_VERBS
        ):
            labels, _, value = line.rpartition(" ")
            if int(float(value)):
                found[labels.removeprefix("karmadad_member_request_duration_seconds_count")] = int(
                    float(value)
                )
    return found


def member_deployments(binaries, kubeconfig: str) -> dict[str, dict]:
    result = subprocess.run(
        [
            str(binaries.kubectl),
            f"--kubeconfig={kubeconfig}",
            "get",
            "deployments",
            "-n",
            NAMESPACE,
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        return {}
    return {d["metadata"]["name"]: d for d in json.loads(result.stdout)["items"]}


def right(found: dict[str, dict]) -> bool:
    if set(found) != {f"d{i}" for i in range(COUNT)}:
        return False
    for i in range(COUNT):
        obj = found[f"d{i}"]
        if obj["spec"]["template"]["spec"]["containers"][0]["image"] != f"nginx:1.{i % 30}":
            return False
        if (obj["metadata"].get("labels") or {}).get("karmada.io/managed") != "true":
            return False
    return True


@pytest.mark.timeout(900)
def test_kill_9_while_propagating_loses_and_doubles_nothing(
    kube_members: KubeHarness, kube_binaries, tmp_path
):
    clusters = yaml.safe_load((kube_members.workdir / "clusters.yaml").read_text())["clusters"]
    clusters = [{**c, "qps": 200, "burst": 400} for c in clusters]
    daemon = start(tmp_path, clusters)
    rng = random.Random(7)
    try:
        daemon.post(
            "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        )
        daemon.post(f"/apis/policy.karmada.io/v1alpha1/namespaces/{NAMESPACE}/propagationpolicies", POLICY)
        with ThreadPoolExecutor(8) as pool:  # every create acknowledged before the first kill
            list(
                pool.map(
                    lambda i: daemon.post(f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments", deployment(i)),
                    range(COUNT),
                )
            )
        for _ in range(KILLS):
            time.sleep(rng.uniform(1.0, 6.0))
            daemon.proc.send_signal(signal.SIGKILL)
            daemon.proc.wait()
            daemon = start(tmp_path, clusters)
        members = {c["name"]: c["kubeconfig"] for c in clusters}
        deadline = time.monotonic() + 300
        while True:
            found = {name: member_deployments(kube_binaries, members[name]) for name in MEMBERS}
            if all(right(found[name]) for name in MEMBERS):
                break
            counts = {name: len(found[name]) for name in MEMBERS}
            assert time.monotonic() < deadline, f"not converged: {counts} Deployments in the members"
            time.sleep(3)
        bindings = get(daemon, f"/apis/work.karmada.io/v1alpha2/namespaces/{NAMESPACE}/resourcebindings")[
            "items"
        ]
        works = get(daemon, "/apis/work.karmada.io/v1alpha1/works")["items"]
        deployment_works = [w for w in works if w["spec"]["workload"]["manifests"][0]["kind"] == "Deployment"
                            and w["spec"]["workload"]["manifests"][0]["metadata"]["namespace"] == NAMESPACE]  # fmt: skip
        assert len(bindings) == COUNT
        assert len(deployment_works) == COUNT * len(MEMBERS)
        assert (
            len({(w["metadata"]["namespace"], w["metadata"]["name"]) for w in deployment_works}) == COUNT * 3
        )

        # converged: a restart writes nothing to the members
        daemon.stop()
        daemon = start(tmp_path, clusters)
        time.sleep(20)  # every Work reconciled against fresh member caches
        assert member_writes(daemon) == {}
        assert all(right(member_deployments(kube_binaries, members[name])) for name in MEMBERS)
    finally:
        daemon.stop()
        for cluster in clusters:
            subprocess.run(
                [
                    str(kube_binaries.kubectl),
                    f"--kubeconfig={cluster['kubeconfig']}",
                    "delete",
                    "namespace",
                    NAMESPACE,
                    "--wait=false",
                ],
                capture_output=True,
                timeout=60,
            )
