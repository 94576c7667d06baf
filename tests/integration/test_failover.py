"""Failover with real members and the real kubectl: off by default, a member's outage moves and deletes
nothing; switched on with a ClusterTaintPolicy, a dead member's replicas move to the others within
tolerationSeconds plus a minute, its stale copy goes once it returns (after the new replicas are healthy),
and with two of three members down nothing is evicted and the Clusters say why."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request

import pytest
import yaml

from tests.integration.test_cluster_registration import Daemon, ready
from tests.integration.test_kube_harness import kubectl
from tests.integration.test_propagation import eventually, member_deployment
from tests.kube.cluster import KubeHarness, MemberClient

pytestmark = pytest.mark.real_cluster

NAMESPACE = "shop"
TOLERATION_SECONDS = 30
WORKLOAD = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: nginx, namespace: {NAMESPACE}, labels: {{app: nginx}}}}
spec:
  replicas: 6
  selector: {{matchLabels: {{app: nginx}}}}
  template:
    metadata: {{labels: {{app: nginx}}}}
    spec:
      containers:
      - {{name: nginx, image: nginx:1.27, resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: nginx, namespace: {NAMESPACE}}}
spec:
  resourceSelectors:
  - {{apiVersion: apps/v1, kind: Deployment, name: nginx}}
  placement:
    clusterAffinity: {{clusterNames: [member1, member2, member3]}}
    clusterTolerations:
    - {{key: cluster.karmada.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: {TOLERATION_SECONDS}}}
    replicaScheduling: {{replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}}
"""
TAINT_POLICY = """
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterTaintPolicy
metadata: {name: not-ready}
spec:
  addOnConditions: [{conditionType: Ready, operator: In, statusValues: ["False", "Unknown"]}]
  removeOnConditions: [{conditionType: Ready, operator: In, statusValues: ["True"]}]
  taints: [{key: cluster.karmada.io/not-ready, effect: NoExecute}]
"""
REBALANCER = f"""
apiVersion: apps.karmada.io/v1alpha1
kind: WorkloadRebalancer
metadata: {{name: spread-again}}
spec:
  workloads:
  - {{apiVersion: apps/v1, kind: Deployment, name: nginx, namespace: {NAMESPACE}}}
"""
FAILOVER_ON = {
    "featureGates": {"Failover": True},
    "failover": {"enableNoExecuteTaintEviction": True, "allowNoExecuteTaintPolicy": True},
}


@pytest.fixture(scope="module")
def members(kube_binaries, tmp_path_factory):
    """Three members of this module's own: its tests stop their API servers."""
    harness = KubeHarness(tmp_path_factory.mktemp("failover-members"), kube_binaries)
    harness.up(3)
    try:
        yield harness
    finally:
        harness.down()


class Plane:
    """karmadad over the members, the real kubectl against both."""

    def __init__(self, harness: KubeHarness, binaries, workdir, extra: dict):
        self.harness, self.binaries = harness, binaries
        clusters = yaml.safe_load((harness.workdir / "clusters.yaml").read_text())["clusters"]
        self.members = {c["name"]: c["kubeconfig"] for c in clusters}
        self.daemon = Daemon(workdir, clusters, extra={"clusterStatus": {"intervalSeconds": 2}, **extra})
        self.daemon.wait_for(lambda cs: len(cs) == 3 and all(ready(c) for c in cs.values()), 60, "3 Ready")
        self.kubeconfig = self.daemon.kubeconfig()

    def kubectl(self, *args: str, stdin: str | None = None) -> str:
        return kubectl(self.binaries, self.kubeconfig, *args, stdin=stdin)

    def binding(self) -> dict:
        return json.loads(self.kubectl("get", "rb", "nginx-deployment", "-n", NAMESPACE, "-o", "json"))

    def watch_binding(self) -> subprocess.Popen:
        """Every version of the binding from now on (see :meth:`stop_watch`)."""
        return self.watch(self.kubeconfig, "rb", "nginx-deployment")

    def watch(self, kubeconfig: str, *selection: str) -> subprocess.Popen:
        """``kubectl get -w -o json`` of what ``selection`` names in the namespace, from now on (see
        :meth:`stop_watch`)."""
        return subprocess.Popen(
            [str(self.binaries.kubectl), f"--kubeconfig={kubeconfig}", "get", *selection, "-n", NAMESPACE,
             "-w", "-o", "json"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip

    @staticmethod
    def stop_watch(watch: subprocess.Popen) -> list[dict]:
        watch.terminate()
        text, _ = watch.communicate(timeout=30)
        decoder, versions, at = json.JSONDecoder(), [], 0
        while (at := text.find("{", at)) != -1:
            version, at = decoder.raw_decode(text, at)
            versions.append(version)
        return versions

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://{self.daemon.metrics}/metrics", timeout=10) as response:
            return response.read().decode()

    def describe_binding(self) -> str:
        return self.kubectl("describe", "rb", "nginx-deployment", "-n", NAMESPACE)

    def placement(self) -> dict[str, int]:
        return {t["name"]: t["replicas"] for t in self.binding()["spec"].get("clusters") or ()}

    def replicas(self, *names: str) -> dict[str, int | None]:
        found = {name: member_deployment(self.binaries, self.members[name]) for name in names}
        return {name: (d["spec"]["replicas"] if d else None) for name, d in found.items()}

    def ready_everywhere(self) -> bool:
        template = json.loads(self.kubectl("get", "deployment", "nginx", "-n", NAMESPACE, "-o", "json"))
        return template.get("status", {}).get("readyReplicas") == 6

    def deploy(self) -> None:
        self.kubectl("apply", "-f", "-", stdin=WORKLOAD)
        eventually(
            lambda: (
                self.replicas("member1", "member2", "member3") == {"member1": 2, "member2": 2, "member3": 2}
            ),
            90,
            "2 replicas in each member",
        )
        eventually(self.ready_everywhere, 120, "6 ready replicas")

    def unchanged_for(self, seconds: float, placed: list[dict]) -> None:
        """The binding keeps ``placed`` and gets no eviction task for ``seconds``, looked at every 2 s."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            spec = self.binding()["spec"]
            assert spec["clusters"] == placed and not spec.get("gracefulEvictionTasks"), spec
            time.sleep(2)

    def down(self, *names: str) -> None:
        for name in names:
            self.harness.stop_apiserver(name)
        self.daemon.wait_for(lambda cs: not any(ready(cs[n]) for n in names), 60, f"{names} NotReady")

    def up(self, *names: str) -> None:
        for name in names:
            self.harness.start_apiserver(name)
        self.daemon.wait_for(lambda cs: all(ready(cs[n]) for n in names), 60, f"{names} Ready")

    def close(self, manifests: str = WORKLOAD) -> None:
        self.kubectl("delete", "-f", "-", "--ignore-not-found", "--wait=false", stdin=manifests)
        eventually(
            lambda: set(self.replicas("member1", "member2", "member3").values()) == {None},
            90,
            "members emptied",
        )
        self.daemon.stop()


@pytest.mark.timeout(600)
def test_by_default_an_outage_moves_and_deletes_nothing(members, kube_binaries, tmp_path):
    plane = Plane(members, kube_binaries, tmp_path, {})
    try:
        refused = kubectl_fails(plane, "apply", "-f", "-", stdin=TAINT_POLICY)  # the webhook's default
        assert "Configuring taint with NoExecute effect is not allowed" in refused, refused
        plane.deploy()
        placed = plane.binding()["spec"]["clusters"]
        plane.down("member2")
        plane.unchanged_for(180, placed)  # three minutes of outage, watched throughout
        works = json.loads(plane.kubectl("get", "works", "-A", "-o", "json"))["items"]
        assert not any(w["metadata"].get("deletionTimestamp") for w in works)
        plane.up("member2")
        assert plane.replicas("member1", "member2", "member3") == {"member1": 2, "member2": 2, "member3": 2}
        assert plane.daemon.proc.poll() is None
    finally:
        if not _answers(members, "member2"):
            members.start_apiserver("member2")
        plane.close()


@pytest.mark.timeout(900)
def test_with_failover_on_a_dead_members_replicas_move_and_its_copy_goes_when_it_returns(
    members, kube_binaries, tmp_path
):
    plane = Plane(members, kube_binaries, tmp_path, FAILOVER_ON)
    try:
        plane.kubectl("apply", "-f", "-", stdin=TAINT_POLICY)
        plane.deploy()
        watch = (
            plane.watch_binding()
        )  # the task may live for less than a second: kwok's pods are ready at once
        members.stop_apiserver("member2")
        killed = time.monotonic()

        def moved() -> bool:
            return plane.replicas("member1", "member3") == {"member1": 3, "member3": 3}

        # the cluster's 30 s Ready threshold, then the toleration, then a minute
        eventually(moved, 30 + TOLERATION_SECONDS + 60, "member2's replicas on member1 and member3")
        assert time.monotonic() - killed <= 30 + TOLERATION_SECONDS + 60
        assert plane.placement() == {"member1": 3, "member3": 3}
        tasks_seen = [
            t
            for version in plane.stop_watch(watch)
            for t in version["spec"].get("gracefulEvictionTasks") or ()
        ]
        assert tasks_seen, "the eviction task was seen on the binding"
        task = tasks_seen[0]
        assert (task["fromCluster"], task["purgeMode"], task["reason"], task["producer"], task["replicas"]) == (
            "member2", "Gracefully", "TaintUntolerated", "TaintManager", 2)  # fmt: skip
        described = plane.describe_binding()
        assert "Result: {member1:3, member3:3}" in described, described
        assert "Evicting from cluster member2 (TaintUntolerated, purge mode Gracefully)" in described, (
            described
        )
        # the new replicas become healthy: the task ends and member2's Work goes (its object once it answers)
        eventually(
            lambda: not plane.binding()["spec"].get("gracefulEvictionTasks"), 120, "the eviction ended"
        )
        eventually(
            lambda: "Evict from cluster member2 succeed." in plane.describe_binding(),
            30,
            "EvictWorkloadFromClusterSucceed in kubectl describe rb",
        )
        plane.up("member2")
        eventually(
            lambda: plane.replicas("member2") == {"member2": None}, 120, "member2's stale copy removed"
        )
        assert plane.replicas("member1", "member3") == {"member1": 3, "member3": 3}, "nothing duplicated"
        clusters = plane.daemon.clusters()
        assert not clusters["member2"]["spec"].get("taints"), "the policy took its taint off"
        metrics = plane.metrics()
        assert 'eviction_processing_total{name="binding-eviction",result="success"} 1.0' in metrics, metrics

        # member2 back: a WorkloadRebalancer spreads the replicas by the policy again and says so
        plane.kubectl("apply", "-f", "-", stdin=REBALANCER)
        eventually(
            lambda: (
                plane.replicas("member1", "member2", "member3") == {"member1": 2, "member2": 2, "member3": 2}
            ),
            60,
            "2 replicas in each member again",
        )
        rebalancer = json.loads(plane.kubectl("get", "workloadrebalancer", "spread-again", "-o", "json"))
        assert [(w["workload"]["name"], w["result"]) for w in rebalancer["status"]["observedWorkloads"]] == [
            ("nginx", "Successful")
        ]
        assert rebalancer["status"]["finishTime"]

        # two of three down at once: no eviction, and the Clusters say why
        plane.down("member2", "member3")
        brake_seen = plane.daemon.wait_for(
            lambda cs: all(_condition(cs[n], "EvictionsHalted") == "True" for n in ("member2", "member3")),
            60,
            "EvictionsHalted on the NotReady clusters",
        )
        assert "NotReady" in next(
            c["message"]
            for c in brake_seen["member3"]["status"]["conditions"]
            if c["type"] == "EvictionsHalted"
        )
        # past member3's toleration, watched throughout: evicting would have started by now
        spread = [{"name": name, "replicas": 2} for name in ("member1", "member2", "member3")]
        plane.unchanged_for(TOLERATION_SECONDS + 10, spread)
        events = json.loads(plane.kubectl("get", "events", "-n", NAMESPACE, "-o", "json"))["items"]
        assert any(
            e["reason"] == "EvictionsHalted" and e["involvedObject"]["kind"] == "ResourceBinding"
            for e in events
        )
        plane.up("member2", "member3")
    finally:
        for name in ("member2", "member3"):
            if not _answers(members, name):
                members.start_apiserver(name)
        plane.close()


STUCK_IN_MEMBER1 = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: nginx, namespace: {NAMESPACE}, labels: {{app: nginx}}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: nginx}}}}
  template:
    metadata: {{labels: {{app: nginx}}}}
    spec:
      containers:
      - {{name: nginx, image: nginx:1.27, resources: {{requests: {{cpu: 10m, memory: 16Mi}}}}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: nginx, namespace: {NAMESPACE}}}
spec:
  propagateDeps: true
  resourceSelectors:
  - {{apiVersion: apps/v1, kind: Deployment, name: nginx}}
  placement:
    clusterAffinities:
    - {{affinityName: first, clusterNames: [member1]}}
    - {{affinityName: second, clusterNames: [member2]}}
    replicaScheduling: {{replicaSchedulingType: Duplicated}}
  failover:
    application:
      decisionConditions: {{tolerationSeconds: {TOLERATION_SECONDS}}}
      purgeMode: Directly
      statePreservation:
        rules:
        - {{aliasLabelName: failover.example.com/replicas, jsonPath: "{{.replicas}}"}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {{name: no-such-node-in-member1, namespace: {NAMESPACE}}}
spec:
  resourceSelectors:
  - {{apiVersion: apps/v1, kind: Deployment, name: nginx}}
  overrideRules:
  - targetCluster: {{clusterNames: [member1]}}
    overriders:
      plaintext:
      - {{path: /spec/template/spec/nodeSelector, operator: add, value: {{example.com/no-such-node: "true"}}}}
"""


@pytest.mark.timeout(600)
def test_an_application_that_cannot_run_in_member1_moves_with_its_preserved_state(
    members, kube_binaries, tmp_path
):
    plane = Plane(members, kube_binaries, tmp_path, {"featureGates": {"StatefulFailoverInjection": True}})
    try:
        plane.kubectl("apply", "-f", "-", stdin=STUCK_IN_MEMBER1)

        def unhealthy_in_member1() -> bool:
            items = plane.binding().get("status", {}).get("aggregatedStatus") or []
            return [(i["clusterName"], i.get("health")) for i in items] == [("member1", "Unhealthy")]

        eventually(unhealthy_in_member1, 90, "the workload Unhealthy in member1")
        unhealthy = time.monotonic()
        # the preserved state is a label while the eviction lasts (Karmada's rule): watch it arrive
        arriving = plane.watch(
            plane.members["member2"], "deployments", "--field-selector=metadata.name=nginx"
        )

        def moved() -> dict | None:
            there = member_deployment(plane.binaries, plane.members["member2"])
            gone = member_deployment(plane.binaries, plane.members["member1"]) is None
            return there if there and gone else None

        there = eventually(moved, TOLERATION_SECONDS + 60, "the workload in member2 only")
        assert time.monotonic() - unhealthy <= TOLERATION_SECONDS + 60
        del there
        versions = plane.stop_watch(arriving)
        assert versions and versions[0]["metadata"]["labels"]["failover.example.com/replicas"] == "1", (
            versions
        )
        there = versions[-1]
        assert "nodeSelector" not in there["spec"]["template"]["spec"], "member1's override stays there"
        binding = plane.binding()
        assert binding["status"]["schedulerObservingAffinityName"] == "second"
        described = plane.describe_binding()
        assert "Evicting from cluster member1 (ApplicationFailure, purge mode Directly)" in described, (
            described
        )
    finally:
        plane.close(STUCK_IN_MEMBER1)


def _condition(cluster: dict, kind: str) -> str | None:
    return next(
        (c["status"] for c in cluster.get("status", {}).get("conditions", []) if c["type"] == kind), None
    )


def _answers(harness: KubeHarness, name: str) -> bool:
    try:
        return MemberClient(harness.member(name), harness.pki / "ca.crt").request("GET", "/readyz")[0] == 200
    except OSError:
        return False


def kubectl_fails(plane: Plane, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(plane.binaries.kubectl), f"--kubeconfig={plane.kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0, result.stdout
    return result.stderr
