"""Into the members and back, with real member clusters and the real kubectl against karmadad.

A Deployment and a PropagationPolicy (Divided, static weights 1:3) applied to karmadad run in two members
with 1 and 3 replicas; karmadad's own ``kubectl get deploy`` shows the members' real status and
``kubectl rollout status`` finishes; an OverridePolicy changes the image in one member only; scaling
redistributes; deleting removes everything from the members, the Works and the binding.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
import yaml

from tests.integration.test_cluster_registration import Daemon, ready
from tests.integration.test_kube_harness import kubectl as member_kubectl
from tests.kube.cluster import KubeHarness

pytestmark = pytest.mark.real_cluster

NAMESPACE = "shop"
MANIFESTS = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: nginx, namespace: {NAMESPACE}, labels: {{app: nginx}}}}
spec:
  replicas: 4
  selector: {{matchLabels: {{app: nginx}}}}
  template:
    metadata: {{labels: {{app: nginx}}}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        resources: {{requests: {{cpu: 100m, memory: 64Mi}}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: nginx, namespace: {NAMESPACE}}}
spec:
  resourceSelectors:
  - {{apiVersion: apps/v1, kind: Deployment, name: nginx}}
  placement:
    clusterAffinity: {{clusterNames: [member1, member2]}}
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        staticWeightList:
        - {{targetCluster: {{clusterNames: [member1]}}, weight: 1}}
        - {{targetCluster: {{clusterNames: [member2]}}, weight: 3}}
"""
OVERRIDE = f"""
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {{name: registry, namespace: {NAMESPACE}}}
spec:
  resourceSelectors:
  - {{apiVersion: apps/v1, kind: Deployment, name: nginx}}
  overrideRules:
  - targetCluster: {{clusterNames: [member2]}}
    overriders:
      imageOverrider:
      - {{component: Registry, operator: replace, value: registry.example.com}}
"""


def eventually(check, within: float, what: str):
    deadline = time.monotonic() + within
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
            if last:
                return last
        except (AssertionError, KeyError, subprocess.CalledProcessError, json.JSONDecodeError) as error:
            last = error
        time.sleep(0.5)
    raise AssertionError(f"{what} not reached within {within}s; last: {str(last)[:3000]}")


@pytest.fixture(scope="module")
def karmadad_for_members(kube_members: KubeHarness, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("propagation")
    clusters = yaml.safe_load((kube_members.workdir / "clusters.yaml").read_text())["clusters"]
    daemon = Daemon(
        tmp_path, clusters, extra={"clusterStatus": {"intervalSeconds": 2, "thresholdSeconds": 30}}
    )
    try:
        daemon.wait_for(
            lambda cs: len(cs) == 3 and all(ready(c) for c in cs.values()), 30, "3 Ready clusters"
        )
        yield daemon, daemon.kubeconfig(), {c["name"]: c["kubeconfig"] for c in clusters}
    finally:
        daemon.stop()


def member_deployment(
    binaries, kubeconfig: str, name: str = "nginx", namespace: str = NAMESPACE
) -> dict | None:
    result = subprocess.run(
        [
            str(binaries.kubectl),
            f"--kubeconfig={kubeconfig}",
            "get",
            "deployment",
            name,
            "-n",
            namespace,
            "-o",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    return json.loads(result.stdout) if result.returncode == 0 else None


@pytest.mark.timeout(420)
def test_a_deployment_runs_divided_in_two_members_and_reports_back(karmadad_for_members, kube_binaries):
    daemon, kubeconfig, members = karmadad_for_members
    binaries = kube_binaries

    def karmadad(*args: str, stdin: str | None = None) -> str:
        return member_kubectl(binaries, kubeconfig, *args, stdin=stdin)

    karmadad("apply", "-f", "-", stdin=MANIFESTS)

    def replicas_in_members(expected: dict[str, int]):
        found = {name: member_deployment(binaries, members[name]) for name in expected}
        return (
            found
            if all(found[n] and found[n]["spec"]["replicas"] == r for n, r in expected.items())
            else None
        )

    found = eventually(
        lambda: replicas_in_members({"member1": 1, "member2": 3}), 60, "1 and 3 replicas in the members"
    )
    assert member_deployment(binaries, members["member3"]) is None
    labels = found["member1"]["metadata"]["labels"]
    assert labels["karmada.io/managed"] == "true" and "resourcebinding.karmada.io/permanent-id" in labels
    # karmadad's view is the members' truth: 4/4 ready, and rollout status finishes
    eventually(
        lambda: (
            json.loads(karmadad("get", "deployment", "nginx", "-n", NAMESPACE, "-o", "json"))["status"].get(
                "readyReplicas"
            )
            == 4
        ),
        120,
        "4 ready replicas aggregated on karmadad",
    )
    karmadad("rollout", "status", "deployment/nginx", "-n", NAMESPACE, "--timeout=60s")
    events = json.loads(
        karmadad(
            "get", "events", "-n", NAMESPACE, "--field-selector", "involvedObject.name=nginx", "-o", "json"
        )
    )
    messages = {e["message"] for e in events["items"] if e["reason"] == "SyncSucceed"}
    assert f"Successfully applied resource({NAMESPACE}/nginx) to cluster member2" in messages, messages
    table = karmadad("get", "deployment", "nginx", "-n", NAMESPACE)
    assert "4/4" in table, table
    binding = json.loads(karmadad("get", "rb", "nginx-deployment", "-n", NAMESPACE, "-o", "json"))
    fully = next(c for c in binding["status"]["conditions"] if c["type"] == "FullyApplied")
    assert fully["status"] == "True"
    assert [i["clusterName"] for i in binding["status"]["aggregatedStatus"]] == ["member1", "member2"]

    # an override for member2 only
    karmadad("apply", "-f", "-", stdin=OVERRIDE)

    def images():
        return {
            name: member_deployment(binaries, members[name])["spec"]["template"]["spec"]["containers"][0][
                "image"
            ]
            for name in ("member1", "member2")
        }

    eventually(
        lambda: images() == {"member1": "nginx:1.27", "member2": "registry.example.com/nginx:1.27"},
        60,
        "member2 runs the overridden image",
    )
    work = json.loads(karmadad("get", "work", "-n", "karmada-es-member2", "-o", "json"))["items"][0]
    assert "registry" in work["metadata"]["annotations"]["policy.karmada.io/applied-overrides"]

    # scale to 8: 2 and 6
    karmadad("scale", "deployment", "nginx", "-n", NAMESPACE, "--replicas=8")
    eventually(
        lambda: replicas_in_members({"member1": 2, "member2": 6}), 60, "2 and 6 replicas after scaling"
    )

    # delete: gone from both members, Works and binding gone
    karmadad("delete", "deployment", "nginx", "-n", NAMESPACE)
    eventually(
        lambda: all(member_deployment(binaries, members[n]) is None for n in ("member1", "member2")),
        60,
        "the Deployment gone from the members",
    )

    def leftovers() -> list[dict]:
        works = json.loads(karmadad("get", "works", "-A", "-o", "json"))["items"]
        bindings = json.loads(karmadad("get", "rb", "-n", NAMESPACE, "-o", "json"))["items"]
        return [w for w in works if w["spec"]["workload"]["manifests"][0]["kind"] == "Deployment"] + bindings

    eventually(lambda: not leftovers(), 30, "Works and binding gone")
    assert leftovers() == []
    assert daemon.proc.poll() is None


def apply_in_member(binaries, kubeconfig: str, manifest: str) -> None:
    member_kubectl(binaries, kubeconfig, "apply", "-f", "-", stdin=manifest)


def work_applied(karmadad, cluster: str, name: str) -> dict | None:
    works = json.loads(karmadad("get", "works", "-n", f"karmada-es-{cluster}", "-o", "json"))["items"]
    for work in works:
        manifest = work["spec"]["workload"]["manifests"][0]
        if manifest["metadata"]["name"] == name and manifest["kind"] == "ConfigMap":
            return next(
                (c for c in (work.get("status") or {}).get("conditions") or () if c["type"] == "Applied"),
                None,
            )
    return None


@pytest.mark.timeout(300)
def test_namespaces_follow_and_conflicts_abort_or_overwrite(karmadad_for_members, kube_binaries):
    daemon, kubeconfig, members = karmadad_for_members
    binaries = kube_binaries

    def karmadad(*args: str, stdin: str | None = None) -> str:
        return member_kubectl(binaries, kubeconfig, *args, stdin=stdin)

    karmadad(
        "apply",
        "-f",
        "-",
        stdin="apiVersion: v1\nkind: Namespace\nmetadata: {name: teams}\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: karmada-demo}\n---\n"
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: private, labels: {namespace.karmada.io/skip-auto-propagation: 'true'}}\n",
    )

    def namespaces(name: str) -> set[str]:
        found = set()
        for member, config in members.items():
            result = subprocess.run(
                [str(binaries.kubectl), f"--kubeconfig={config}", "get", "namespace", name],
                capture_output=True,
                timeout=30,
            )
            if result.returncode == 0:
                found.add(member)
        return found

    eventually(lambda: namespaces("teams") == set(members), 60, "namespace teams in every member")
    # only Karmada's reserved namespaces stay home, not every karmada-* one
    eventually(
        lambda: namespaces("karmada-demo") == set(members), 60, "namespace karmada-demo in every member"
    )
    assert namespaces("private") == set() and namespaces("karmada-system") == set()

    # a same-named ConfigMap made directly in member1 first: Abort leaves it, Overwrite takes it over
    apply_in_member(
        binaries,
        members["member1"],
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: teams}\ndata: {owner: member}\n",
    )
    karmadad(
        "apply",
        "-f",
        "-",
        stdin="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: teams}\ndata: {owner: karmadad}\n---\n"
        "apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: settings, namespace: teams}\n"
        "spec:\n  resourceSelectors: [{apiVersion: v1, kind: ConfigMap, name: settings}]\n"
        "  placement: {clusterAffinity: {clusterNames: [member1]}}\n",
    )
    condition = eventually(
        lambda: (c := work_applied(karmadad, "member1", "settings")) and c["status"] == "False" and c,
        60,
        "Applied=False",
    )
    assert "already exists" in condition["message"] and "Overwrite" in condition["message"]
    data = json.loads(
        member_kubectl(
            binaries, members["member1"], "get", "configmap", "settings", "-n", "teams", "-o", "json"
        )
    )["data"]
    assert data == {"owner": "member"}
    karmadad(
        "patch",
        "pp",
        "settings",
        "-n",
        "teams",
        "--type=merge",
        "-p",
        '{"spec": {"conflictResolution": "Overwrite"}}',
    )

    def member_data():
        found = json.loads(
            member_kubectl(
                binaries, members["member1"], "get", "configmap", "settings", "-n", "teams", "-o", "json"
            )
        )
        return found["data"] == {"owner": "karmadad"} and found

    taken = eventually(member_data, 60, "Overwrite takes the ConfigMap over")
    assert taken["metadata"]["labels"]["karmada.io/managed"] == "true"

    # drift: edited or deleted in the member, restored within 10 s
    member_kubectl(
        binaries,
        members["member1"],
        "patch",
        "configmap",
        "settings",
        "-n",
        "teams",
        "--type=merge",
        "-p",
        '{"data": {"owner": "intruder"}}',
    )
    eventually(member_data, 10, "an edited managed object restored")
    member_kubectl(binaries, members["member1"], "delete", "configmap", "settings", "-n", "teams")
    eventually(member_data, 10, "a deleted managed object restored")
    assert daemon.proc.poll() is None


DEPS = """
apiVersion: v1
kind: Namespace
metadata: {name: deps}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: deps}
data: {mode: blue}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret, namespace: deps}
stringData: {token: s3cret}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: deps}
spec:
  replicas: 1
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        envFrom: [{secretRef: {name: app-secret}}]
        volumeMounts: [{name: config, mountPath: /etc/app}]
      volumes: [{name: config, configMap: {name: app-config}}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: app, namespace: deps}
spec:
  propagateDeps: true
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: app}]
  placement: {clusterAffinity: {clusterNames: [CLUSTER]}}
"""


@pytest.mark.timeout(300)
def test_dependencies_follow_their_workload(karmadad_for_members, kube_binaries):
    daemon, kubeconfig, members = karmadad_for_members
    binaries = kube_binaries

    def karmadad(*args: str, stdin: str | None = None) -> str:
        return member_kubectl(binaries, kubeconfig, *args, stdin=stdin)

    def where(kind: str, name: str) -> set[str]:
        found = set()
        for member, config in members.items():
            result = subprocess.run(
                [str(binaries.kubectl), f"--kubeconfig={config}", "get", kind, name, "-n", "deps"],
                capture_output=True,
                timeout=30,
            )
            if result.returncode == 0:
                found.add(member)
        return found

    def placed(cluster: str) -> bool:
        return all(
            where(kind, name) == {cluster}
            for kind, name in (("deployment", "app"), ("configmap", "app-config"), ("secret", "app-secret"))
        )

    karmadad("apply", "-f", "-", stdin=DEPS.replace("CLUSTER", "member1"))
    eventually(lambda: placed("member1"), 90, "the Deployment, its ConfigMap and its Secret in member1 only")
    attached = json.loads(karmadad("get", "rb", "app-config-configmap", "-n", "deps", "-o", "json"))
    assert [s["name"] for s in attached["spec"]["requiredBy"]] == ["app-deployment"]
    assert "placement" not in attached["spec"]
    # the workload moves: its dependencies follow
    karmadad("apply", "-f", "-", stdin=DEPS.replace("CLUSTER", "member3"))
    eventually(lambda: placed("member3"), 90, "the Deployment and its dependencies moved to member3")
    assert daemon.proc.poll() is None
