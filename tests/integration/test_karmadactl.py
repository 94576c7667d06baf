"""karmadactl, built from Karmada's own module, joins and unjoins a real member cluster through karmadad:
the joined member becomes Ready and takes work; unjoined, it is gone and so is what karmadactl made in it."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.test_cluster_registration import Daemon, ready
from tests.integration.test_kube_harness import kubectl
from tests.integration.test_propagation import eventually
from tests.kube.cluster import KubeHarness

pytestmark = pytest.mark.real_cluster

WORK = """
apiVersion: v1
kind: Namespace
metadata: {name: joined-work}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: joined-work}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx:1.27}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: web, namespace: joined-work}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: web}]
  placement: {clusterAffinity: {clusterNames: [joined]}}
"""


def karmadactl(binaries, *args: str) -> str:
    result = subprocess.run([str(binaries.karmadactl), *args], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, f"karmadactl {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_join_take_work_and_unjoin(kube_members: KubeHarness, kube_binaries, tmp_path):
    member = kube_members.member("member3")
    daemon = Daemon(tmp_path, [])
    member_flags = (f"--cluster-kubeconfig={member.kubeconfig}", f"--cluster-context={member.name}")
    try:
        daemon.wait_for(lambda cs: cs == {}, 20, "the daemon serving")
        config = daemon.kubeconfig()
        out = karmadactl(kube_binaries, "join", "joined", f"--kubeconfig={config}", *member_flags)
        assert "cluster(joined) is joined successfully" in out
        cluster = daemon.wait_for(lambda cs: "joined" in cs and ready(cs["joined"]), 60, "joined Ready")[
            "joined"
        ]
        assert cluster["spec"]["apiEndpoint"] == member.server and cluster["spec"]["syncMode"] == "Push"
        assert cluster["spec"]["secretRef"] == {"namespace": "karmada-cluster", "name": "joined"}

        kubectl(kube_binaries, config, "apply", "-f", "-", stdin=WORK)

        def propagated() -> dict | None:
            found = subprocess.run(
                [str(kube_binaries.kubectl), f"--kubeconfig={member.kubeconfig}", "get", "deployment", "web",
                 "-n", "joined-work", "-o", "json"],
                capture_output=True, text=True, timeout=30,
            )  # fmt: skip
            return json.loads(found.stdout) if found.returncode == 0 else None

        deployment = eventually(propagated, 60, "the Deployment in the joined member")
        assert deployment["spec"]["replicas"] == 2

        karmadactl(
            kube_binaries, "unjoin", "joined", f"--kubeconfig={config}", *member_flags
        )  # prints nothing
        daemon.wait_for(lambda cs: "joined" not in cs, 60, "joined gone")
        accounts = kubectl(kube_binaries, member.kubeconfig, "get", "serviceaccounts", "-n", "karmada-cluster",
                           "-o", "name", "--ignore-not-found")  # fmt: skip
        assert "karmada-joined" not in accounts  # what join made in the member, unjoin removed
    finally:
        daemon.stop()
        subprocess.run(
            [str(kube_binaries.kubectl), f"--kubeconfig={member.kubeconfig}", "delete", "namespace", "joined-work",
             "--ignore-not-found", "--wait=false"],
            capture_output=True, timeout=60,
        )  # fmt: skip
