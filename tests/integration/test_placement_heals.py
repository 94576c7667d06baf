"""Placement heals itself, with real members and the real kubectl: templates applied before any member joined
run within 20 s of the members becoming Ready; a member removed from the config and added back takes its
work again within 20 s; a restart after convergence writes nothing to bindings and tells nothing."""

from __future__ import annotations

import difflib
import json
import signal
import time

import pytest
import yaml

from tests.integration.test_cluster_registration import Daemon, ready
from tests.integration.test_kube_harness import kubectl
from tests.integration.test_propagation import eventually, member_deployment
from tests.kube.cluster import KubeHarness

pytestmark = pytest.mark.real_cluster

NAMESPACE = "early"
MANIFESTS = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {NAMESPACE}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - {{name: web, image: nginx:1.27, resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: web, namespace: {NAMESPACE}}}
spec:
  resourceSelectors:
  - {{apiVersion: apps/v1, kind: Deployment, name: web}}
  placement:
    clusterAffinity: {{clusterNames: [member1, member2]}}
    replicaScheduling: {{replicaSchedulingType: Duplicated}}
"""


def scheduled(binding: dict) -> tuple[str, str]:
    found = next(c for c in binding["status"]["conditions"] if c["type"] == "Scheduled")
    return found["status"], found["reason"]


@pytest.mark.timeout(420)
def test_templates_before_members_then_a_member_removed_and_added_back_then_a_restart(
    kube_members: KubeHarness, kube_binaries, tmp_path
):
    clusters = yaml.safe_load((kube_members.workdir / "clusters.yaml").read_text())["clusters"]
    members = {c["name"]: c["kubeconfig"] for c in clusters}
    two = [c for c in clusters if c["name"] in ("member1", "member2")]
    extra = {"clusterStatus": {"intervalSeconds": 2}}
    daemon = Daemon(tmp_path, [], extra=extra)
    try:
        daemon.wait_for(lambda cs: cs == {}, 30, "karmadad serving, no cluster")
        karmadad = daemon.kubeconfig()

        def binding() -> dict:
            return json.loads(kubectl(kube_binaries, karmadad, "get", "rb", "web-deployment", "-n", NAMESPACE, "-o", "json"))  # fmt: skip

        def running_in(*names: str) -> bool:
            found = {
                n: member_deployment(kube_binaries, members[n], "web", NAMESPACE)
                for n in ("member1", "member2")
            }
            return all((found[n] is not None) == (n in names) for n in found) and all(
                found[n]["status"].get("readyReplicas") == 1 for n in names
            )

        kubectl(kube_binaries, karmadad, "apply", "-f", "-", stdin=MANIFESTS)
        eventually(lambda: scheduled(binding()) == ("False", "NoClusterFit"), 30, "no cluster fits yet")

        # the members join: running within 20 s of becoming Ready
        daemon.write(two)
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for(lambda cs: len(cs) == 2 and all(ready(c) for c in cs.values()), 60, "2 Ready")
        eventually(lambda: running_in("member1", "member2"), 20, "running in both members")
        assert scheduled(binding()) == ("True", "Success")

        # member2 removed from the config, then added back: it takes its work again within 20 s
        daemon.write(two[:1])
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for(lambda cs: set(cs) == {"member1"}, 30, "member2 unregistered")
        eventually(
            lambda: [t["name"] for t in binding()["spec"]["clusters"]] == ["member1"], 20, "on member1 only"
        )
        daemon.write(two)
        daemon.proc.send_signal(signal.SIGHUP)
        daemon.wait_for(
            lambda cs: len(cs) == 2 and all(ready(c) for c in cs.values()), 60, "member2 Ready again"
        )
        back = time.monotonic()
        eventually(
            lambda: [t["name"] for t in binding()["spec"]["clusters"]] == ["member1", "member2"],
            20,
            "member2 placed again",
        )
        eventually(
            lambda: running_in("member1", "member2"),
            20 - (time.monotonic() - back),
            "running in member2 again",
        )

        # a restart after convergence: nothing written to the binding, no scheduling Event
        converged = binding()
        template_before = json.loads(
            kubectl(kube_binaries, karmadad, "get", "deploy", "web", "-n", NAMESPACE, "-o", "json")
        )
        told = scheduling_events(kube_binaries, karmadad)
        daemon.stop()
        daemon = Daemon(tmp_path, two, extra=extra)
        daemon.wait_for(
            lambda cs: len(cs) == 2 and all(ready(c) for c in cs.values()), 60, "2 Ready after restart"
        )
        karmadad = daemon.kubeconfig()
        settle_until = time.monotonic() + 20
        while time.monotonic() < settle_until:  # watched for 20 s: two status probes and every resync
            now = binding()
            after = json.loads(
                kubectl(kube_binaries, karmadad, "get", "deploy", "web", "-n", NAMESPACE, "-o", "json")
            )
            assert now["metadata"]["resourceVersion"] == converged["metadata"]["resourceVersion"], difference(
                template_before, after
            )
            time.sleep(2)
        assert scheduling_events(kube_binaries, karmadad) == told
        kubectl(
            kube_binaries,
            karmadad,
            "delete",
            "-f",
            "-",
            "--wait=false",
            "--ignore-not-found",
            stdin=MANIFESTS,
        )
        eventually(lambda: running_in(), 60, "members emptied")
    finally:
        daemon.stop()


def difference(before: dict, after: dict) -> str:
    lines = [json.dumps(obj, indent=1, sort_keys=True).splitlines() for obj in (before, after)]
    return "\n".join(difflib.unified_diff(*lines, lineterm=""))


def scheduling_events(binaries, kubeconfig: str) -> list[tuple[str, int]]:
    events = json.loads(kubectl(binaries, kubeconfig, "get", "events", "-n", NAMESPACE, "-o", "json"))[
        "items"
    ]
    return sorted(
        (e["message"], e.get("count", 1)) for e in events if e["reason"].startswith("ScheduleBinding")
    )
