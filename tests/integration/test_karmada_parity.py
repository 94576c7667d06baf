"""Karmada's observable behaviour, one point at a time, with real members and the real kubectl against
karmadad.

Events. Each reason is looked up by the action that makes Karmada record it, and checked for Karmada's type,
involved object and message (``pkg/events`` and the controllers that use it, v1.18):

- detector: ``GetReplicasSucceed`` on a workload template once its replicas are read;
- dependencies distributor: ``GetDependenciesSucceed`` listing the dependencies as Go's ``%+v`` prints
  them, ``GetDependenciesFailed`` with the interpreter's error (an Ingress ``tls`` entry without a secret);
- binding controller: ``ApplyOverridePolicySucceed`` per rule and cluster on the template,
  ``ApplyOverridePolicyFailed`` when a rule cannot apply; the namespace controller the same on a Namespace;
- execution controller: ``WorkDispatching`` on the Work when its dispatching starts, is suspended and
  resumes;
- status controllers: ``AggregateStatusSucceed`` on the binding and on the template.

Services: a NodePort Service gets its clusterIP from karmadad's configured range and its nodePort on the
template, and every member exposes that nodePort (each with a clusterIP of its own).

Lazy activation: a lazy policy that preempts a template's policy, or changes its placement, leaves the
binding as it was until the template itself is edited.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

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


def deployment_in_its_namespace(namespace: str, name: str) -> str:
    """A Namespace and a one-replica Deployment in it, as manifests."""
    return f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {namespace}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec: {{containers: [{{name: {name}, image: nginx:1.27}}]}}
"""


LAZY = (
    deployment_in_its_namespace("lazy", "app")
    + """---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: eager, namespace: lazy}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: app}]
  placement: {clusterAffinity: {clusterNames: [member1]}}
"""
)
LAZY_POLICY = """
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: lazy, namespace: lazy}
spec:
  activationPreference: Lazy
  preemption: Always
  priority: 10
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: app}]
  placement: {clusterAffinity: {clusterNames: [member2]}}
"""
PRIORITISED = (
    deployment_in_its_namespace("prio", "batch")
    + """---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: batch, namespace: prio}
spec:
  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment, name: batch}]
  placement: {clusterAffinity: {clusterNames: [member1]}}
  schedulePriority: {priorityClassSource: KubePriorityClass, priorityClassName: batch-high}
"""
)
RBAC_NAMES = """
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: rbac-names}
spec:
  resourceSelectors:
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, name: "system:viewer-x"}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, name: "system:viewer-x"}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, name: "system:reader"}
  - {apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, name: "system:reader"}
  placement: {clusterAffinity: {clusterNames: [member1, member2]}}
"""
SERVICE_NS = "svc-node-ports"
KARMADAD_SERVICE_CIDR = "10.77.0.0/16"  # unlike the members' 10.0.0.0/24: whose address is whose shows
MEMBER_SERVICE_CIDR = "10.0.0.0/24"  # tests/kube/cluster.py
NODE_PORT_SERVICE = f"""
apiVersion: v1
kind: Namespace
metadata: {{name: {SERVICE_NS}}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {SERVICE_NS}}}
spec:
  type: NodePort
  selector: {{app: web}}
  ports:
  - {{name: http, port: 80, targetPort: 8080}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {{name: web, namespace: {SERVICE_NS}}}
spec:
  resourceSelectors:
  - {{apiVersion: v1, kind: Service, name: web}}
  placement:
    clusterAffinity:
      clusterNames: [member1, member2, member3]
"""

SOLO_POD = """
apiVersion: v1
kind: Namespace
metadata: {name: pods}
---
apiVersion: v1
kind: Pod
metadata: {name: solo, namespace: pods}
spec: {containers: [{name: solo, image: nginx:1.27}]}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: solo, namespace: pods}
spec:
  resourceSelectors: [{apiVersion: v1, kind: Pod, name: solo}]
  placement: {clusterAffinity: {clusterNames: [member1]}}
"""
CLEANUP = (SOLO_POD, LAZY, WORKLOAD, NAMESPACE_OVERRIDE, PRIORITISED, RBAC_NAMES, NODE_PORT_SERVICE)


@dataclass
class Plane:
    karmadad: Callable[..., str]  # kubectl against karmadad
    members: dict[str, Callable[..., subprocess.CompletedProcess]]  # kubectl against each member
    metrics: Callable[[], str]  # karmadad's metrics page

    def processed(self, queue: str) -> float:
        """How many items a controller's work queue has handed out so far."""
        prefix = f'workqueue_work_duration_seconds_count{{name="{queue}"}} '
        return next(
            float(line.removeprefix(prefix))
            for line in self.metrics().splitlines()
            if line.startswith(prefix)
        )

    def idle(self, queue: str) -> bool:
        prefix = f'workqueue_depth{{name="{queue}"}} '
        return (
            next(
                float(line.removeprefix(prefix))
                for line in self.metrics().splitlines()
                if line.startswith(prefix)
            )
            == 0
        )


@pytest.fixture(scope="module")
def plane(kube_members: KubeHarness, kube_binaries, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("parity")
    clusters = yaml.safe_load((kube_members.workdir / "clusters.yaml").read_text())["clusters"]
    extra = {
        "featureGates": {"PriorityBasedScheduling": True},
        "api": {"serviceClusterIPRange": KARMADAD_SERVICE_CIDR},
    }
    daemon = Daemon(tmp_path, clusters, extra=extra)

    def in_member(kubeconfig: str) -> Callable[..., subprocess.CompletedProcess]:
        def run(*args: str) -> subprocess.CompletedProcess:
            command = [str(kube_binaries.kubectl), f"--kubeconfig={kubeconfig}", *args]
            return subprocess.run(command, capture_output=True, text=True, timeout=60)

        return run

    try:
        daemon.wait_for(
            lambda cs: len(cs) == 3 and all(ready(c) for c in cs.values()), 30, "3 Ready clusters"
        )
        kubeconfig = daemon.kubeconfig()
        yield Plane(
            lambda *args, stdin=None: member_kubectl(kube_binaries, kubeconfig, *args, stdin=stdin),
            {c["name"]: in_member(c["kubeconfig"]) for c in clusters},
            lambda: urllib.request.urlopen(f"http://{daemon.metrics}/metrics", timeout=5).read().decode(),
        )
        for manifest in CLEANUP:
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
    karmadad = plane.karmadad
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
    karmadad = plane.karmadad
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
    karmadad = plane.karmadad
    karmadad("apply", "-f", "-", stdin=WORKLOAD.split("---")[0] + "---" + BROKEN_OVERRIDE)
    failed = eventually(
        lambda: messages(karmadad, NS, "ConfigMap", "plain", "ApplyOverridePolicyFailed", "Warning"),
        60,
        "ApplyOverridePolicyFailed",
    )
    assert failed == {f"Apply override policy({NS}/broken) for cluster(member1) failed."}


def test_a_dependency_without_a_name_is_told_on_the_template(plane):
    karmadad = plane.karmadad
    karmadad("apply", "-f", "-", stdin=WORKLOAD.split("---")[0] + "---" + INGRESS)
    failed = eventually(
        lambda: messages(karmadad, NS, "Ingress", "edge", "GetDependenciesFailed", "Warning"),
        60,
        "GetDependenciesFailed",
    )
    assert failed == {"dependencies[0]: dependency can not leave name and labelSelector all empty"}


def test_cluster_overrides_of_a_namespace_are_told_on_the_namespace(plane):
    karmadad = plane.karmadad
    karmadad("apply", "-f", "-", stdin=NAMESPACE_OVERRIDE)
    told = eventually(
        lambda: messages(karmadad, "default", "Namespace", "evts-labelled", "ApplyOverridePolicySucceed"),
        60,
        "ApplyOverridePolicySucceed on the namespace",
    )
    assert told == {"Apply cluster override policy(team-label) for cluster(member3) succeed."}


def test_a_lazy_policy_waits_for_the_template_to_change(plane):
    karmadad = plane.karmadad

    def runs_in() -> set[str]:
        return {
            name
            for name, member in plane.members.items()
            if member("get", "deploy", "app", "-n", "lazy").returncode == 0
        }

    def binding() -> dict:
        return json.loads(karmadad("get", "rb", "app-deployment", "-n", "lazy", "-o", "json"))

    def as_built(found: dict) -> tuple:
        meta = found["metadata"]
        return found["spec"], meta.get("labels"), meta.get("annotations"), meta["generation"]

    def claimed_by() -> str:
        template = json.loads(karmadad("get", "deploy", "app", "-n", "lazy", "-o", "json"))
        return template["metadata"]["annotations"].get("propagationpolicy.karmada.io/name", "")

    karmadad("apply", "-f", "-", stdin=LAZY)
    eventually(lambda: runs_in() == {"member1"}, 90, "app in member1 (policy eager)")
    before = binding()
    # a lazy policy preempts the claim: the claim moves, the binding stays as it was
    karmadad("apply", "-f", "-", stdin=LAZY_POLICY)
    eventually(lambda: claimed_by() == "lazy", 60, "the lazy policy's claim")
    assert as_built(binding()) == as_built(before)  # (its status may move: the members report)
    assert runs_in() == {"member1"}
    # the template is edited: now the lazy policy's placement applies
    karmadad("annotate", "deploy", "app", "-n", "lazy", "example.com/touched=1")
    eventually(lambda: runs_in() == {"member2"}, 90, "app moved to member2 (policy lazy)")
    placed = binding()
    assert placed["spec"]["placement"]["clusterAffinity"]["clusterNames"] == ["member2"]
    # the lazy policy's placement changes: nothing moves until the template does
    detector, policies = plane.processed("detector"), plane.processed("detector-policy")
    patch = '{"spec":{"placement":{"clusterAffinity":{"clusterNames":["member3"]}}}}'
    karmadad("patch", "pp", "lazy", "-n", "lazy", "--type=merge", "-p", patch)
    eventually(
        lambda: (
            plane.processed("detector-policy") > policies
            and plane.processed("detector") > detector
            and plane.idle("detector")
        ),
        30,
        "the detector through the policy change",
    )
    assert as_built(binding()) == as_built(placed)
    assert runs_in() == {"member2"}
    karmadad("label", "deploy", "app", "-n", "lazy", "tier=web")
    eventually(lambda: runs_in() == {"member3"}, 90, "app moved to member3")


def test_a_policy_waits_for_its_priority_class_and_its_binding_carries_the_priority(plane):
    karmadad = plane.karmadad
    karmadad("apply", "-f", "-", stdin=PRIORITISED)
    failed = eventually(
        lambda: messages(karmadad, "prio", "Deployment", "batch", "ApplyPolicyFailed", "Warning"),
        60,
        "ApplyPolicyFailed for the missing PriorityClass",
    )
    assert failed == {
        'Apply policy(prio/batch) failed: PriorityClass.scheduling.k8s.io "batch-high" not found'
    }
    assert "batch-deployment" not in karmadad("get", "rb", "-n", "prio", "-o", "name")
    karmadad("create", "priorityclass", "batch-high", "--value=1000")
    try:
        binding = eventually(
            lambda: json.loads(karmadad("get", "rb", "batch-deployment", "-n", "prio", "-o", "json")),
            30,
            "the binding, once the class exists",
        )
        assert binding["spec"]["schedulePriority"] == {"priority": 1000}
        eventually(
            lambda: plane.members["member1"]("get", "deploy", "batch", "-n", "prio").returncode == 0,
            90,
            "batch in member1",
        )
    finally:
        karmadad("delete", "priorityclass", "batch-high")


def test_rbac_objects_named_with_colons_are_created_and_propagated(plane):
    karmadad = plane.karmadad
    karmadad("apply", "-f", "-", stdin=WORKLOAD.split("---")[0] + "---" + RBAC_NAMES)
    created = [
        karmadad("create", "clusterrole", "system:viewer-x", "--verb=get", "--resource=pods"),
        karmadad(
            "create", "clusterrolebinding", "system:viewer-x", "--clusterrole=system:viewer-x", "--user=x"
        ),
        karmadad("create", "role", "system:reader", "-n", NS, "--verb=get", "--resource=configmaps"),
        karmadad("create", "rolebinding", "system:reader", "-n", NS, "--role=system:reader", "--user=x"),
    ]
    assert all(" created" in line for line in created), created
    for member in ("member1", "member2"):
        in_member = plane.members[member]
        for kind, name, namespaced in (
            ("clusterrole", "system:viewer-x", False),
            ("clusterrolebinding", "system:viewer-x", False),
            ("role", "system:reader", True),
            ("rolebinding", "system:reader", True),
        ):
            where = ("-n", NS) if namespaced else ()
            eventually(
                lambda in_member=in_member, kind=kind, name=name, where=where: (
                    in_member("get", kind, name, *where).returncode == 0
                ),
                60,
                f"{kind} {name} in {member}",
            )
    rules = json.loads(plane.members["member1"]("get", "clusterrole", "system:viewer-x", "-o", "json").stdout)
    assert rules["rules"] == [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]


def test_members_expose_the_templates_node_port(plane):
    karmadad = plane.karmadad
    karmadad("apply", "-f", "-", stdin=NODE_PORT_SERVICE)
    template = json.loads(karmadad("get", "service", "web", "-n", SERVICE_NS, "-o", "json"))["spec"]
    assert ipaddress.ip_address(template["clusterIP"]) in ipaddress.ip_network(KARMADAD_SERVICE_CIDR), (
        template
    )
    assert template["clusterIPs"] == [template["clusterIP"]]
    node_port = template["ports"][0]["nodePort"]
    assert 30000 <= node_port <= 32767, template

    def member_service(member: str) -> dict:
        found = plane.members[member]("get", "service", "web", "-n", SERVICE_NS, "-o", "json")
        return json.loads(found.stdout)["spec"] if found.returncode == 0 else {}

    for member in plane.members:
        spec = eventually(lambda m=member: member_service(m), 60, f"the Service in {member}")
        assert spec["ports"][0]["nodePort"] == node_port, (member, spec)
        assert ipaddress.ip_address(spec["clusterIP"]) in ipaddress.ip_network(MEMBER_SERVICE_CIDR), (
            member,
            spec,
        )

    # applying the same manifest again (it has no clusterIP, no nodePort) keeps the template's values
    karmadad("apply", "-f", "-", stdin=NODE_PORT_SERVICE)
    again = json.loads(karmadad("get", "service", "web", "-n", SERVICE_NS, "-o", "json"))["spec"]
    assert again["clusterIP"] == template["clusterIP"] and again["ports"][0]["nodePort"] == node_port


def test_a_propagated_pods_status_comes_back_whole(plane):
    """The cluster controller reads the members' Pods lean (for capacity); the Pod propagated here must
    still be read whole, or its container statuses never reach the template."""
    karmadad = plane.karmadad
    karmadad("apply", "-f", "-", stdin=SOLO_POD)

    def template_status() -> dict:
        status = json.loads(karmadad("get", "pod", "solo", "-n", "pods", "-o", "json")).get("status") or {}
        return status if status.get("phase") == "Running" and status.get("containerStatuses") else {}

    status = eventually(template_status, 90, "the member's Pod status on the template")
    [container] = status["containerStatuses"]  # Karmada keeps a member container's state and readiness
    assert container["ready"] is True and "running" in container["state"], container
