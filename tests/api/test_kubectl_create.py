"""Every tutorial's first commands: ``kubectl create|run|expose|autoscale|set|scale`` with default flags.

Their typed clients send built-in kinds as Kubernetes protobuf and ask for protobuf answers first; each
command's requests are read back from kubectl's own request log (``-v=8``), so the test knows the bodies
really were protobuf, and the objects are then read back as JSON.
"""

from __future__ import annotations

import json
import queue
import re
import subprocess
import threading
import time

import pytest

from tests.api.conftest import kubectl_binary
from tests.kube.pki import write_pki

NS_PREFIX = "create-"
PROTOBUF = "application/vnd.kubernetes.protobuf"
_REQUEST = re.compile(r'"Request" verb="(\w+)" url="([^"]+)" headers=<\n(.*?)\n\s*>', re.S)
# kubectl before 1.33 logs a request as lines: the verb and URL, then its headers one per line
_OLD_REQUEST = re.compile(r"round_trippers\.go:\d+\] (GET|POST|PUT|PATCH|DELETE) (\S+)$")
_OLD_CONTENT_TYPE = re.compile(r"round_trippers\.go:\d+\]\s+Content-Type: (\S+)$")


def sent(stderr: str) -> list[tuple[str, str, str]]:
    """(verb, path, Content-Type) of each request in kubectl's -v=8 log."""
    requests = []
    for verb, url, headers in _REQUEST.findall(stderr):
        content_type = re.search(r"Content-Type: (\S+)", headers)
        requests.append([verb, url, content_type.group(1) if content_type else ""])
    for line in stderr.splitlines():
        if found := _OLD_REQUEST.search(line):
            requests.append([found[1], found[2], None])
        elif (found := _OLD_CONTENT_TYPE.search(line)) and requests and requests[-1][2] is None:
            requests[-1][2] = found[1]  # the request's, not its response's (that one comes after it)
        elif "Response Status:" in line and requests and requests[-1][2] is None:
            requests[-1][2] = ""
    return [(verb, re.sub(r"^https://[^/]+", "", url), media or "") for verb, url, media in requests]


@pytest.fixture
def create(kubectl, ns, kubectl_release):
    """Runs a kubectl command in the test's namespace; returns its stdout and the requests it sent."""

    def run(*args: str, namespaced: bool = True) -> tuple[str, list[tuple[str, str, str]]]:
        where = ("-n", ns) if namespaced else ()
        result = kubectl(*where, "-v=8", *args, client=kubectl_release)
        return result.stdout, sent(result.stderr)

    return run


def writes(requests: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [r for r in requests if r[0] in ("POST", "PUT")]


@pytest.mark.parametrize(
    ("args", "made", "kind"),
    [
        (("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2"), "deployment.apps/web created", "deployments"),
        (("create", "configmap", "settings", "--from-literal=mode=fast"), "configmap/settings created", "configmaps"),
        (("create", "secret", "generic", "creds", "--from-literal=user=admin"), "secret/creds created", "secrets"),
        (("create", "secret", "docker-registry", "pull", "--docker-server=registry.example.com",
          "--docker-username=u", "--docker-password=p"), "secret/pull created", "secrets"),
        (("create", "service", "clusterip", "svc", "--tcp=80:8080"), "service/svc created", "services"),
        (("create", "job", "once", "--image=busybox", "--", "true"), "job.batch/once created", "jobs"),
        (("create", "cronjob", "nightly", "--image=busybox", "--schedule=0 3 * * *"), "cronjob.batch/nightly created", "cronjobs"),
        (("create", "role", "reader", "--verb=get,list", "--resource=pods"), "role.rbac.authorization.k8s.io/reader created", "roles"),
        (("create", "rolebinding", "readers", "--role=reader", "--user=alice"), "rolebinding.rbac.authorization.k8s.io/readers created", "rolebindings"),
        (("create", "quota", "small", "--hard=pods=10,requests.cpu=2"), "resourcequota/small created", "resourcequotas"),
        (("create", "ingress", "web", "--rule=web.example.com/=web:80"), "ingress.networking.k8s.io/web created", "ingresses"),
        (("create", "poddisruptionbudget", "web", "--selector=app=web", "--min-available=1"), "poddisruptionbudget.policy/web created", "poddisruptionbudgets"),
    ],
    ids=lambda value: " ".join(value[:2]) if isinstance(value, tuple) else "",
)  # fmt: skip
def test_create_commands_send_protobuf_and_succeed(create, kubectl, ns, args, made, kind):
    out, requests = create(*args)
    assert made in out
    (write,) = writes(requests)
    assert write[0] == "POST" and f"/namespaces/{ns}/{kind}" in write[1] and write[2] == PROTOBUF, requests
    name = made.split("/")[1].split()[0]
    obj = json.loads(kubectl("get", kind, name, "-n", ns, "-o", "json").stdout)
    assert obj["metadata"]["namespace"] == ns


def test_created_objects_hold_what_was_asked(create, kubectl, ns, tmp_path):
    (tmp_path / "app.properties").write_text("color=blue\n")
    create("create", "configmap", "files", "--from-literal=a=1", f"--from-file={tmp_path / 'app.properties'}")
    data = json.loads(kubectl("get", "cm", "files", "-n", ns, "-o", "json").stdout)["data"]
    assert data == {"a": "1", "app.properties": "color=blue\n"}

    write_pki(tmp_path / "pki")
    create("create", "secret", "tls", "site", f"--cert={tmp_path / 'pki/apiserver.crt'}",
           f"--key={tmp_path / 'pki/apiserver.key'}")  # fmt: skip
    secret = json.loads(kubectl("get", "secret", "site", "-n", ns, "-o", "json").stdout)
    assert secret["type"] == "kubernetes.io/tls" and set(secret["data"]) == {"tls.crt", "tls.key"}

    create("create", "deployment", "web", "--image=nginx:1.27", "--port=8080")
    deployment = json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["ports"] == [{"containerPort": 8080, "protocol": "TCP"}] or container["ports"] == [
        {"containerPort": 8080}
    ]
    assert deployment["spec"]["selector"] == {"matchLabels": {"app": "web"}}


def test_cluster_scoped_creates(create, kubectl, ns):
    name = f"{ns}-ns"
    out, requests = create("create", "namespace", name, namespaced=False)
    assert f"namespace/{name} created" in out and writes(requests)[0][2] == PROTOBUF
    role = f"{ns}-viewer"
    out, requests = create(
        "create", "clusterrole", role, "--verb=get", "--resource=configmaps", namespaced=False
    )
    assert "created" in out and writes(requests)[0][2] == PROTOBUF
    out, requests = create(
        "create", "clusterrolebinding", role, f"--clusterrole={role}", "--group=viewers", namespaced=False
    )
    assert "created" in out and writes(requests)[0][2] == PROTOBUF
    high = f"{ns}-high"
    out, requests = create(
        "create", "priorityclass", high, "--value=1000", "--description=first", namespaced=False
    )
    assert "created" in out and writes(requests)[0][2] == PROTOBUF
    priority = json.loads(kubectl("get", "priorityclass", high, "-o", "json").stdout)
    assert (priority["value"], priority["description"]) == (1000, "first")
    kubectl("delete", f"namespace/{name}", f"clusterrole/{role}", f"clusterrolebinding/{role}", f"pc/{high}")


def test_run_expose_autoscale_set_image_and_scale(create, kubectl, ns, kubectl_release):
    out, _ = create("run", "solo", "--image=nginx:1.27", "--labels=app=solo")
    assert "pod/solo created" in out
    create("create", "deployment", "web", "--image=nginx:1.27", "--port=80")
    out, requests = create("expose", "deployment", "web", "--port=80", "--target-port=8080")
    assert "service/web exposed" in out  # expose and run write through kubectl's JSON resource helper
    service = json.loads(kubectl("get", "svc", "web", "-n", ns, "-o", "json").stdout)
    assert service["spec"]["selector"] == {"app": "web"}
    assert service["spec"]["ports"][0]["targetPort"] == 8080

    cpu = "--cpu=70%" if kubectl_release is None else "--cpu-percent=70"  # the older kubectl names it so
    out, requests = create("autoscale", "deployment", "web", "--min=2", "--max=5", cpu)
    assert "horizontalpodautoscaler.autoscaling/web autoscaled" in out
    assert writes(requests)[-1][2] == PROTOBUF, requests
    hpa = json.loads(kubectl("get", "hpa", "web", "-n", ns, "-o", "json").stdout)
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)

    out, _ = create("set", "image", "deployment/web", "nginx=nginx:1.28")
    assert "deployment.apps/web image updated" in out
    out, _ = create("scale", "deployment", "web", "--replicas=4")
    assert "deployment.apps/web scaled" in out
    deployment = json.loads(kubectl("get", "deploy", "web", "-n", ns, "-o", "json").stdout)
    assert deployment["spec"]["replicas"] == 4
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"


EVENT = """apiVersion: v1
kind: Event
metadata: {{name: {name}}}
involvedObject: {{kind: Pod, name: solo, namespace: {ns}}}
reason: {reason}
message: {message}
type: Normal
"""


def test_typed_lists_and_watches_are_protobuf(kubectl, karmadad, ns):
    """``kubectl events`` lists and watches Events through the typed client: protobuf answers, and a watch
    stream of length-prefixed protobuf frames that kubectl reads event by event."""
    kubectl(
        "apply", "-n", ns, "-f", "-", stdin=EVENT.format(name="first", ns=ns, reason="Before", message="one")
    )
    result = kubectl("events", "-n", ns, "-v=8")
    assert "Before" in result.stdout and "one" in result.stdout
    assert "Content-Type: application/vnd.kubernetes.protobuf" in result.stderr

    watch = subprocess.Popen(
        [kubectl_binary(), f"--kubeconfig={karmadad.kubeconfig}", "events", "-n", ns, "--watch", "-v=8"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in watch.stdout], daemon=True).start()
        deadline = time.monotonic() + 30
        seen = ""
        while "one" not in seen:  # the initial list is printed first
            seen += lines.get(timeout=max(deadline - time.monotonic(), 0.1))
        kubectl(
            "apply",
            "-n",
            ns,
            "-f",
            "-",
            stdin=EVENT.format(name="second", ns=ns, reason="After", message="two"),
        )
        while "two" not in seen:
            seen += lines.get(timeout=max(deadline - time.monotonic(), 0.1))
        assert "After" in seen
    finally:
        watch.terminate()
        _, stderr = watch.communicate(timeout=10)
    assert "application/vnd.kubernetes.protobuf;stream=watch" in stderr
