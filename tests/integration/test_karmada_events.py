"""The Events Karmada records, by reason, with real members and the real kubectl against karmadad.

Each reason is looked up by the action that makes Karmada record it, and checked for Karmada's type,
involved object and message (``pkg/events`` and the controllers that use it, v1.18):

- detector: ``GetReplicasSucceed`` on a workload template once its replicas are read;
- dependencies distributor: ``GetDependenciesSucceed`` listing the dependencies as Go's ``%+v`` prints
  them, ``GetDependenciesFailed`` with the interpreter's error (an Ingress ``tls`` entry without a secret);
- binding controller: ``ApplyOverridePolicySucceed`` per rule and cluster on the template,
  ``ApplyOverridePolicyFailed`` when a rule cannot apply; the namespace controller the same on a Namespace;
- execution controller: ``WorkDispatching`` on the Work when its dispatching starts, is suspended and
  resumes;
- status controllers: ``AggregateStatusSucceed`` on the binding and on the template.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from tests.integration.test_cluster_registration import Daemon, ready
from tests.integration.test_kube_harness import kubectl as member_kubectl
from tests.integration.test_propagation import eventually
from tests.kube.cluster import KubeHarness

pytestmark = pytest.mark.real_cluster

NS = "evts"
WORKLOAD = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {NS}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: web-config, namespace: {NS}}}
data: {{mode: blue}}
---
apiVersion: v1
kind: Secret
metadata: {{name: web-secret, namespace: {NS}}}
stringData: {{token: s3cret}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {NS}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        envFrom: [{{secretRef: {{name: web-secret}}}}]
        volumeMounts: [{{name: config, mountPath: /etc/web}}]
      volumes: [{{name: config, configMap: {{name: web-config}}}}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {{name: registry, namespace: {NS}}}
spec:
  resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment, name: web}}]
  overrideRules:
  - targetCluster: {{clusterNames: [member2]}}
    overriders:
      imageOverrider: [{{component: Registry, operator: replace, value: registry.example.com}}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: web, namespace: {NS}}}
spec:
  propagateDeps: true
  resourceSelectors: [{{apiVersion: apps/v1, kind: Deployment, name: web}}]
  placement: {{clusterAffinity: {{clusterNames: [member1, member2]}}}}
"""
BROKEN_OVERRIDE = f"""
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata: {{name: broken, namespace: {NS}}}
spec:
  resourceSelectors: [{{apiVersion: v1, kind: ConfigMap, name: plain}}]
  overrideRules:
  - targetCluster: {{clusterNames: [member1]}}
    overriders:
      plaintext: [{{path: /spec/nothing/here, operator: remove}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: plain, namespace: {NS}}}
data: {{a: b}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: plain, namespace: {NS}}}
spec:
  resourceSelectors: [{{apiVersion: v1, kind: ConfigMap, name: plain}}]
  placement: {{clusterAffinity: {{clusterNames: [member1]}}}}
"""
INGRESS = f"""
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: edge, namespace: {NS}}}
spec:
  tls: [{{hosts: [edge.example.com]}}]
  defaultBackend: {{service: {{name: web, port: {{number: 80}}}}}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: edge, namespace: {NS}}}
spec:
  propagateDeps: true
  resourceSelectors: [{{apiVersion: networking.k8s.io/v1, kind: Ingress, name: edge}}]
  placement: {{clusterAffinity: {{clusterNames: [member1]}}}}
"""
NAMESPACE_OVERRIDE = """
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata: {name: team-label}
spec:
  resourceSelectors: [{apiVersion: v1, kind: Namespace, name: evts-labelled}]
  overrideRules:
  - targetCluster: {clusterNames: [member3]}
    overriders:
      labelsOverrider: [{operator: add, value: {team: blue}}]
---
apiVersion: v1
kind: Namespace
metadata: {name: evts-labelled}
"""


@pytest.fixture(scope="module")
def plane(kube_members: KubeHarness, kube_binaries, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("events")
    clusters = yaml.safe_load((kube_members.workdir / "clusters.yaml").read_text())["clusters"]
    daemon = Daemon(tmp_path, clusters)
    try:
        daemon.wait_for(
            lambda cs: len(cs) == 3 and all(ready(c) for c in cs.values()), 30, "3 Ready clusters"
        )
        kubeconfig = daemon.kubeconfig()
        yield lambda *args, stdin=None: member_kubectl(kube_binaries, kubeconfig, *args, stdin=stdin)
        for manifest in (INGRESS, BROKEN_OVERRIDE, WORKLOAD, NAMESPACE_OVERRIDE):
            subprocess.run(
                [str(kube_binaries.kubectl), f"--kubeconfig={kubeconfig}", "delete", "--ignore-not-found",
                 "--wait=false", "-f", "-"],
                input=manifest, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
    finally:
        daemon.stop()


def events(karmadad, namespace: str, kind: str, name: str, reason: str) -> list[dict]:
    """The Events of ``reason`` about one object, found as kubectl finds them (a field selector)."""
    selector = f"involvedObject.kind={kind},involvedObject.name={name},reason={reason}"
    listed = json.loads(
        karmadad("get", "events", "-n", namespace, "--field-selector", selector, "-o", "json")
    )
    return listed["items"]


def messages(karmadad, namespace: str, kind: str, name: str, reason: str, type: str = "Normal") -> set[str]:
    found = events(karmadad, namespace, kind, name, reason)
    assert all(e["type"] == type for e in found), found
    assert all(e["source"]["component"] for e in found), found
    return {e["message"] for e in found}


def web_work(karmadad, space: str) -> str:
    """The name of the Work that carries the Deployment ``web`` in one execution space ("" if none)."""
    works = json.loads(karmadad("get", "works", "-n", space, "-o", "json"))["items"]
    return next(
        (
            w["metadata"]["name"]
            for w in works
            if [(m["kind"], m["metadata"]["name"]) for m in w["spec"]["workload"]["manifests"]]
            == [("Deployment", "web")]
        ),
        "",
    )


def test_propagating_a_workload_tells_each_step(plane):
    karmadad = plane
    karmadad("apply", "-f", "-", stdin=WORKLOAD)
    template = json.loads(karmadad("get", "deployment", "web", "-n", NS, "-o", "json"))
    uid = template["metadata"]["uid"]

    def about_template(reason: str) -> set[str]:
        found = events(karmadad, NS, "Deployment", "web", reason)
        assert all(e["involvedObject"]["uid"] == uid and e["type"] == "Normal" for e in found), found
        return {e["message"] for e in found}

    eventually(lambda: about_template("GetReplicasSucceed"), 60, "GetReplicasSucceed")
    assert about_template("GetReplicasSucceed") == {"Get replicas of resource template successfully."}
    assert about_template("ApplyPolicySucceed") == {f"Apply policy({NS}/web) succeed"}
    dependencies = (
        f"[{{APIVersion:v1 Kind:ConfigMap Namespace:{NS} Name:web-config LabelSelector:nil}} "
        f"{{APIVersion:v1 Kind:Secret Namespace:{NS} Name:web-secret LabelSelector:nil}}]"
    )
    eventually(lambda: about_template("GetDependenciesSucceed"), 60, "GetDependenciesSucceed")
    assert about_template("GetDependenciesSucceed") == {f"Get dependencies({dependencies}) succeed."}
    eventually(lambda: about_template("ApplyOverridePolicySucceed"), 60, "ApplyOverridePolicySucceed")
    assert about_template("ApplyOverridePolicySucceed") == {
        f"Apply override policy({NS}/registry) for cluster(member2) succeed."
    }
    # each Work says it is being dispatched; the binding and the template that their status was aggregated
    for cluster in ("member1", "member2"):
        space = f"karmada-es-{cluster}"
        work = web_work(karmadad, space)
        told = eventually(
            lambda space=space, work=work: messages(karmadad, space, "Work", work, "WorkDispatching"),
            60,
            "dispatching",
        )
        assert told == {"Work is being dispatched to member clusters."}
    eventually(lambda: messages(karmadad, NS, "ResourceBinding", "web-deployment", "AggregateStatusSucceed"),
               90, "AggregateStatusSucceed on the binding")  # fmt: skip
    assert messages(karmadad, NS, "ResourceBinding", "web-deployment", "AggregateStatusSucceed") == {
        f"Update ResourceBinding({NS}/web-deployment) with AggregatedStatus successfully."
    }
    eventually(lambda: about_template("AggregateStatusSucceed"), 90, "AggregateStatusSucceed on the template")
    assert about_template("AggregateStatusSucceed") == {"Update Resource with AggregatedStatus successfully."}


def test_suspending_and_resuming_dispatch_is_told_on_the_work(plane):
    karmadad = plane
    karmadad("apply", "-f", "-", stdin=WORKLOAD)
    space = "karmada-es-member1"

    work = eventually(lambda: web_work(karmadad, space), 60, "the Work of web in member1")
    suspend = '{"spec":{"suspension":{"dispatching":true}}}'
    karmadad("patch", "pp", "web", "-n", NS, "--type=merge", "-p", suspend)
    suspended = "Work dispatching is in a suspended state."
    eventually(
        lambda: suspended in messages(karmadad, space, "Work", work, "WorkDispatching"), 60, "suspended"
    )
    condition = next(
        c
        for c in json.loads(karmadad("get", "work", work, "-n", space, "-o", "json"))["status"]["conditions"]
        if c["type"] == "Dispatching"
    )
    assert (condition["status"], condition["reason"], condition["message"]) == (
        "False", "SuspendDispatching", suspended,
    )  # fmt: skip
    karmadad("patch", "pp", "web", "-n", NS, "--type=merge", "-p", '{"spec":{"suspension":null}}')
    dispatching = "Work is being dispatched to member clusters."
    [resumed] = eventually(
        lambda: [
            e
            for e in events(karmadad, space, "Work", work, "WorkDispatching")
            if e["message"] == dispatching and e["lastTimestamp"] >= condition["lastTransitionTime"]
        ],
        60,
        "resumed",
    )
    assert resumed["type"] == "Normal" and resumed["involvedObject"]["kind"] == "Work"


def test_an_override_that_cannot_apply_is_told_on_the_template(plane):
    karmadad = plane
    karmadad("apply", "-f", "-", stdin=WORKLOAD.split("---")[0] + "---" + BROKEN_OVERRIDE)
    failed = eventually(
        lambda: messages(karmadad, NS, "ConfigMap", "plain", "ApplyOverridePolicyFailed", "Warning"),
        60,
        "ApplyOverridePolicyFailed",
    )
    assert failed == {f"Apply override policy({NS}/broken) for cluster(member1) failed."}


def test_a_dependency_without_a_name_is_told_on_the_template(plane):
    karmadad = plane
    karmadad("apply", "-f", "-", stdin=WORKLOAD.split("---")[0] + "---" + INGRESS)
    failed = eventually(
        lambda: messages(karmadad, NS, "Ingress", "edge", "GetDependenciesFailed", "Warning"),
        60,
        "GetDependenciesFailed",
    )
    assert failed == {"dependencies[0]: dependency can not leave name and labelSelector all empty"}


def test_cluster_overrides_of_a_namespace_are_told_on_the_namespace(plane):
    karmadad = plane
    karmadad("apply", "-f", "-", stdin=NAMESPACE_OVERRIDE)
    told = eventually(
        lambda: messages(karmadad, "default", "Namespace", "evts-labelled", "ApplyOverridePolicySucceed"),
        60,
        "ApplyOverridePolicySucceed on the namespace",
    )
    assert told == {"Apply cluster override policy(team-label) for cluster(member3) succeed."}
