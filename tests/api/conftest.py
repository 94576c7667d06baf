"""One karmadad for the API tests: a real daemon process, reached by the real kubectl over HTTPS."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.kube.binaries import KubeBinaries
from tests.kube.cluster import free_ports

SERVICE_CIDR = "10.0.0.0/24"  # the members' --service-cluster-ip-range
NODE_PORT_RANGE = "30000-32767"  # the members' (kube-apiserver's default) --service-node-port-range


@dataclass
class Karmadad:
    workdir: Path
    api: str
    metrics: str
    kubeconfig: Path
    view_kubeconfig: Path
    tenant_kubeconfig: Path  # user "alice", in no group: she may do what RBAC objects grant her
    proc: subprocess.Popen
    log: Path


def kubectl_binary() -> str:
    """The kubectl the tests drive: KARMADAD_TEST_KUBECTL, else the one built with the test clusters,
    else the machine's."""
    if explicit := os.environ.get("KARMADAD_TEST_KUBECTL"):
        return explicit
    built = KubeBinaries.expected().kubectl
    if os.access(built, os.X_OK):
        return str(built)
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("no kubectl: build the test binaries (tests/kube/build-binaries.sh)")
    return found


def wait_until_ready(metrics: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"karmadad exited: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://{metrics}/readyz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"karmadad not ready: {log.read_text()}")


@pytest.fixture(scope="session")
def karmadad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Karmadad]:
    workdir = tmp_path_factory.mktemp("karmadad")
    api_port, metrics_port = free_ports(2)
    for name, token in (
        ("admin", "admin-token-for-the-api-tests"),
        ("view", "view-token-for-the-api-tests"),
        ("tenant", "tenant-token-for-the-api-tests"),
    ):
        path = workdir / f"{name}.token"
        path.write_text(token + "\n")
        path.chmod(0o600)  # karmadad refuses token files others can read
    config = {
        "dataDir": str(workdir / "data"),
        "api": {
            "listen": f"127.0.0.1:{api_port}",
            "tokens": [
                {"user": "root", "groups": ["admin"], "tokenFile": str(workdir / "admin.token")},
                {"user": "victor", "groups": ["view"], "tokenFile": str(workdir / "view.token")},
                {"user": "alice", "tokenFile": str(workdir / "tenant.token")},
            ],
        },
        "metrics": {"listen": f"127.0.0.1:{metrics_port}"},
        "simulation": {"clusters": 0},  # the API alone: no member clusters
        "store": {"historyEvents": 1000},  # small, so a test can outrun it
    }
    # The ranges the test bed's kube-apiservers allocate from (tests/kube/cluster.py), so Service answers
    # compare one to one (tests/api/test_service_differential.py).
    config["api"].update(serviceClusterIPRange=SERVICE_CIDR, serviceNodePortRange=NODE_PORT_RANGE)
    config_path = workdir / "karmadad.yaml"
    config_path.write_text(yaml.safe_dump(config))
    log = workdir / "karmadad.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "karmadad", "run", "--config", str(config_path)],
            cwd=workdir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_ready(f"127.0.0.1:{metrics_port}", proc, log)
        kubeconfigs = {}
        for user in ("root", "victor", "alice"):
            text = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "karmadad",
                    "kubeconfig",
                    "--config",
                    str(config_path),
                    "--user",
                    user,
                ],
                cwd=workdir,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            path = workdir / f"{user}.kubeconfig"
            path.write_text(text)
            path.chmod(0o600)
            kubeconfigs[user] = path
        yield Karmadad(
            workdir,
            f"127.0.0.1:{api_port}",
            f"127.0.0.1:{metrics_port}",
            kubeconfigs["root"],
            kubeconfigs["victor"],
            kubeconfigs["alice"],
            proc,
            log,
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def kubectl(karmadad: Karmadad):
    binary = kubectl_binary()

    def run(
        *args: str,
        stdin: str | None = None,
        check: bool = True,
        kubeconfig: Path | None = None,
        env: dict | None = None,
        client: str | None = None,  # another kubectl than the test bed's (an older release)
    ) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [client or binary, f"--kubeconfig={kubeconfig or karmadad.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **(env or {})},
        )
        if check:
            assert result.returncode == 0, f"kubectl {' '.join(args)} failed:\n{result.stderr}"
        return result

    return run


@pytest.fixture(params=["v1.36", "v1.32"])
def kubectl_release(request) -> str | None:
    """For tests that run with both kubectls: None for the test bed's (v1.36), else the path of the oldest
    release karmadad is tested with (v1.32), as the ``client`` of the ``kubectl`` fixture."""
    if request.param == "v1.36":
        return None
    old = KubeBinaries.expected().old_kubectl
    if not os.access(old, os.X_OK):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{old} is missing: tests/kube/build-binaries.sh builds it")
        pytest.skip("the older kubectl is not built (tests/kube/build-binaries.sh)")
    return str(old)


@pytest.fixture
def ns(kubectl, request):
    """A namespace of the test's own, named by its module's ``NS_PREFIX`` and the test; deleted after it."""
    prefix = getattr(request.module, "NS_PREFIX", "test-")
    test, _, params = request.node.name.partition("[")
    name = prefix + test.removeprefix("test_").replace("_", "-")[:40].strip("-")
    if params:  # each parametrization its own namespace
        name += "-" + hashlib.sha256(params.encode()).hexdigest()[:8]
    kubectl("apply", "-f", "-", stdin=f"apiVersion: v1\nkind: Namespace\nmetadata: {{name: {name}}}\n")
    yield name
    kubectl("delete", "namespace", name, "--wait=false")


def pytest_terminal_summary(terminalreporter) -> None:
    """The corpus agreement rate, when the corpus differential test ran."""
    corpus = sys.modules.get("tests.api.test_corpus_differential")
    if corpus is not None and corpus.TALLY.agreed:
        terminalreporter.write_line(corpus.TALLY.line())
