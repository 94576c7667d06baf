"""kubectl with default flags against karmadad: the everyday commands."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest
import yaml

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}, tier: web}}
spec:
  replicas: {replicas}
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
      - name: nginx
        image: {image}
        ports: [{{containerPort: 80}}]
"""

SERVICE_AND_CONFIGMAP = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
"""


def deployment(name: str, replicas: int = 2, image: str = "nginx:1.27") -> str:
    return DEPLOYMENT.format(name=name, replicas=replicas, image=image)


def get_json(kubectl, *args: str) -> dict:
    return json.loads(kubectl("get", *args, "-o", "json").stdout)


def test_discovery_and_api_resources(kubectl):
    resources = kubectl("api-resources").stdout
    for line in ("deployments  ", "deploy", "configmaps", "customresourcedefinitions"):
        assert line.strip() in resources
    assert "Server Version" in kubectl("version").stdout


def test_the_server_version_is_the_kubernetes_minor_karmadad_behaves_as(kubectl):
    """kubectl of the test bed's version sees no version skew (it warns beyond one minor)."""
    version = kubectl("version", "-o", "json")
    client, server = json.loads(version.stdout)["clientVersion"], json.loads(version.stdout)["serverVersion"]
    assert (server["major"], server["minor"]) == (client["major"], client["minor"].rstrip("+"))
    assert "WARNING" not in version.stderr
    assert json.loads(kubectl("get", "--raw", "/version").stdout)["karmadadVersion"]


def test_apply_get_and_reapply_after_editing(kubectl, tmp_path):
    manifest = tmp_path / "web.yaml"
    manifest.write_text(deployment("web-a"))
    assert "deployment.apps/web-a created" in kubectl("apply", "-f", str(manifest)).stdout
    table = kubectl("get", "deploy", "web-a").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    assert table[1].split()[:2] == ["web-a", "0/2"]
    manifest.write_text(deployment("web-a", replicas=4, image="nginx:1.28"))
    assert "deployment.apps/web-a configured" in kubectl("apply", "-f", str(manifest)).stdout
    obj = get_json(kubectl, "deploy", "web-a")
    assert obj["spec"]["replicas"] == 4
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    assert obj["spec"]["template"]["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80, "protocol": "TCP"}
    ]
    assert obj["metadata"]["generation"] == 2
    assert "unchanged" in kubectl("apply", "-f", str(manifest)).stdout


def test_apply_service_and_configmap_then_yaml_and_label_selector(kubectl):
    out = kubectl("apply", "-f", "-", stdin=SERVICE_AND_CONFIGMAP).stdout
    assert "service/web created" in out and "configmap/settings created" in out
    as_yaml = yaml.safe_load(kubectl("get", "cm", "settings", "-o", "yaml").stdout)
    assert as_yaml["data"] == {"mode": "fast"} and as_yaml["kind"] == "ConfigMap"
    kubectl("apply", "-f", "-", stdin=deployment("web-b"))
    names = kubectl("get", "deploy", "-l", "app=web-b", "-o", "name").stdout.split()
    assert names == ["deployment.apps/web-b"]


def test_server_side_apply(kubectl):
    out = kubectl("apply", "--server-side", "-f", "-", stdin=deployment("web-ssa")).stdout
    assert "serverside-applied" in out
    kubectl("apply", "--server-side", "-f", "-", stdin=deployment("web-ssa", replicas=5))
    assert get_json(kubectl, "deploy", "web-ssa")["spec"]["replicas"] == 5


def test_label_annotate_scale_describe(kubectl):
    kubectl("apply", "-f", "-", stdin=deployment("web-c"))
    kubectl("label", "deploy", "web-c", "team=blue")
    kubectl("annotate", "deploy", "web-c", "note=hello")
    kubectl("scale", "deploy", "web-c", "--replicas=7")
    obj = get_json(kubectl, "deploy", "web-c")
    assert obj["metadata"]["labels"]["team"] == "blue"
    assert obj["metadata"]["annotations"]["note"] == "hello"
    assert obj["spec"]["replicas"] == 7
    described = kubectl("describe", "deploy", "web-c").stdout
    assert "Name:" in described and "web-c" in described and "team=blue" in described


def test_edit_with_an_editor_script(kubectl, tmp_path):
    kubectl("apply", "-f", "-", stdin=deployment("web-d"))
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/replicas: 2/replicas: 9/' \"$1\"\n")
    editor.chmod(0o755)
    kubectl("edit", "deploy", "web-d", env={"KUBE_EDITOR": str(editor), "EDITOR": str(editor)})
    assert get_json(kubectl, "deploy", "web-d")["spec"]["replicas"] == 9


def test_get_watch_shows_a_change(kubectl, karmadad):
    kubectl("apply", "-f", "-", stdin=deployment("web-w"))
    from tests.api.conftest import kubectl_binary

    watcher = subprocess.Popen(
        [
            kubectl_binary(),
            f"--kubeconfig={karmadad.kubeconfig}",
            "get",
            "deploy",
            "web-w",
            "-w",
            "--request-timeout=8s",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(watcher.stdout), daemon=True)
    reader.start()
    time.sleep(1.5)
    kubectl("scale", "deploy", "web-w", "--replicas=3")
    watcher.wait(timeout=20)
    reader.join(timeout=5)
    rows = [line.split() for line in lines if line.startswith("web-w")]
    assert len(rows) >= 2, lines


def test_delete_garbage_collects_owned_objects(kubectl):
    kubectl("apply", "-f", "-", stdin=deployment("web-owner"))
    owner = get_json(kubectl, "deploy", "web-owner")
    owned = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "owned-by-web-owner",
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "name": "web-owner",
                    "uid": owner["metadata"]["uid"],
                }
            ],
        },
    }
    kubectl("apply", "-f", "-", stdin=json.dumps(owned))
    kubectl("delete", "deploy", "web-owner")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if kubectl("get", "cm", "owned-by-web-owner", check=False).returncode != 0:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the owned ConfigMap was not garbage-collected")


def test_view_token_reads_but_cannot_write(kubectl, karmadad):
    assert kubectl("get", "ns", kubeconfig=karmadad.view_kubeconfig).returncode == 0
    denied = kubectl("create", "namespace", "nope", kubeconfig=karmadad.view_kubeconfig, check=False)
    assert denied.returncode != 0 and "forbidden" in denied.stderr


def test_view_token_never_reads_secrets(kubectl, karmadad):
    """As Kubernetes' view role: Secrets hold credentials, member clusters' ones in karmada-cluster among them."""
    kubectl(
        "create",
        "secret",
        "generic",
        "viewer-may-not",
        "--from-literal=k=v",
        "--dry-run=client",
        "-o",
        "yaml",
    )
    for args in (
        ("get", "secrets", "-A"),
        ("get", "secrets", "-n", "karmada-cluster"),
        ("get", "secret", "anything", "-n", "default"),
        ("get", "secrets", "-n", "default", "--watch", "--request-timeout=2s"),
    ):
        denied = kubectl(*args, kubeconfig=karmadad.view_kubeconfig, check=False)
        assert denied.returncode != 0, args
        assert 'User "victor" cannot' in denied.stderr and 'resource "secrets"' in denied.stderr, (
            denied.stderr
        )
    assert kubectl("get", "configmaps", "-A", kubeconfig=karmadad.view_kubeconfig).returncode == 0


def test_no_token_is_401(karmadad):
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context(cafile=str(karmadad.workdir / "data" / "pki" / "ca.crt"))
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(f"https://{karmadad.api}/api/v1/namespaces", context=context, timeout=5)
    assert denied.value.code == 401
    assert json.loads(denied.value.read())["reason"] == "Unauthorized"
