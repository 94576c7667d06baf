"""A namespace deleted with its content, as kubectl does it: the namespace stays Terminating while what is in
it goes, kubectl's own deletes of that content find it still there (so ``kubectl delete -k`` exits 0), and
the namespace tells in its conditions what is left and which finalizers hold it."""

from __future__ import annotations

import json
import time

NS = "kustomized-app"
KUSTOMIZATION = "resources: [namespace.yaml, app.yaml]\n"
NAMESPACE = f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {NS}}}\n"
APP = f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: {NS}}}
data: {{mode: test}}
---
apiVersion: v1
kind: Service
metadata: {{name: web, namespace: {NS}}}
spec: {{selector: {{app: web}}, ports: [{{port: 80}}]}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: {NS}}}
spec:
  replicas: 0
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec: {{containers: [{{name: web, image: nginx}}]}}
"""


def _conditions(kubectl) -> dict[str, dict]:
    found = kubectl("get", "namespace", NS, "-o", "json", check=False)
    if found.returncode != 0:
        return {}
    namespace = json.loads(found.stdout)
    assert namespace["status"]["phase"] == "Terminating"
    return {c["type"]: c for c in namespace["status"].get("conditions") or []}


def test_kubectl_delete_k_of_a_kustomization_with_its_namespace_exits_0(kubectl, tmp_path):
    (tmp_path / "kustomization.yaml").write_text(KUSTOMIZATION)
    (tmp_path / "namespace.yaml").write_text(NAMESPACE)
    (tmp_path / "app.yaml").write_text(APP)
    kubectl("apply", "-k", str(tmp_path))
    deleted = kubectl("delete", "-k", str(tmp_path), "--wait=false", check=False)
    assert deleted.returncode == 0, deleted.stderr
    assert len(deleted.stdout.splitlines()) == 4, deleted.stdout
    deadline = time.monotonic() + 30
    while kubectl("get", "namespace", NS, check=False).returncode == 0:
        assert time.monotonic() < deadline, "the namespace did not go"
        time.sleep(0.2)


def test_a_terminating_namespace_says_what_holds_it(kubectl, tmp_path):
    kubectl("apply", "-f", "-", stdin=NAMESPACE + "---" + APP)
    kubectl(
        "patch",
        "configmap",
        "settings",
        "-n",
        NS,
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":["example.com/hold"]}}',
    )
    kubectl("delete", "namespace", NS, "--wait=false")
    deadline = time.monotonic() + 30  # the content is left alone for 5 s, as kube-controller-manager does
    while (_conditions(kubectl).get("NamespaceFinalizersRemaining") or {}).get("status") != "True":
        assert time.monotonic() < deadline, _conditions(kubectl)
        time.sleep(0.2)
    conditions = _conditions(kubectl)
    assert conditions["NamespaceFinalizersRemaining"]["message"] == (
        "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
    )
    assert conditions["NamespaceContentRemaining"]["reason"] == "SomeResourcesRemain"
    assert "configmaps. has 1 resource instances" in conditions["NamespaceContentRemaining"]["message"]
    assert conditions["NamespaceDeletionContentFailure"]["status"] == "False"
    created = kubectl("create", "configmap", "late", "-n", NS, check=False)
    assert created.returncode != 0 and "because it is being terminated" in created.stderr
    kubectl(
        "patch", "configmap", "settings", "-n", NS, "--type=merge", "-p", '{"metadata":{"finalizers":null}}'
    )
    while kubectl("get", "namespace", NS, check=False).returncode == 0:
        assert time.monotonic() < deadline, (
            "the namespace did not go once its content's finalizer was removed"
        )
        time.sleep(0.2)
