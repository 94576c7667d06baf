"""Real Kubernetes member clusters for tests: one etcd, and per member a kube-apiserver (TLS, token
auth, RBAC), kube-controller-manager, kube-scheduler and kwok with fake Nodes.

Deployments in these members really become ready: the controller-manager creates ReplicaSets and
Pods, the scheduler binds the Pods to kwok's fake Nodes and kwok reports them Running. Every process
runs in its own process group and logs to ``DIR/<member>/<component>.log``; ``DIR/harness.json``
records them so another process (``python -m tests.kube down``) can stop them.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from tests.kube.binaries import KubeBinaries
from tests.kube.pki import write_pki

STATE_FILE = "harness.json"
READY_TIMEOUT = 180.0

# Distinct placement facts per member, so scheduling tests have something to tell apart.
_PLACES = [
    ("aws", "us-east-1", "us-east-1a"),
    ("gcp", "europe-west1", "europe-west1-b"),
    ("azure", "eastasia", "eastasia-1"),
    ("aws", "ap-south-1", "ap-south-1a"),
]


@dataclass(frozen=True)
class NodeShape:
    """How many fake Nodes each member gets and what each one offers."""

    count: int = 2
    cpu: str = "32"
    memory: str = "256Gi"
    pods: str = "110"


@dataclass
class Member:
    name: str
    port: int
    token: str
    provider: str
    region: str
    zone: str
    kubeconfig: str
    pids: list[int] = field(default_factory=list)  # kube-apiserver first
    apiserver_argv: list[str] = field(default_factory=list)

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"


def free_ports(count: int) -> list[int]:
    """Ports the kernel just handed out, all held until every one is chosen so they are distinct."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


def advertise_address() -> str:
    """A non-loopback address for kube-apiserver to advertise (it refuses to start without one)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.connect(("192.0.2.1", 9))  # no packet is sent; this only picks a route
            address = sock.getsockname()[0]
            if not address.startswith("127."):
                return address
    except OSError:
        pass
    return "192.0.2.10"  # documentation range: never routed, only advertised


def _kubeconfig(name: str, server: str, ca: Path, token: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server, "certificate-authority": str(ca)}}],
        "users": [{"name": f"{name}-admin", "user": {"token": token}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": f"{name}-admin"}}],
        "current-context": name,
    }


def _write_private(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o600)


class MemberClient:
    """Just enough HTTPS to wait for a member and create its fake Nodes, without a client library."""

    def __init__(self, member: Member, ca: Path):
        self.member = member
        self.context = ssl.create_default_context(cafile=str(ca))

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        """Status and body: decoded JSON, or the text when it is not JSON (``/readyz`` says ``ok``)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.member.server + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.member.token}")
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=10) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw.decode(errors="replace")


def _fake_node(name: str, member: Member, shape: NodeShape) -> dict:
    resources = {"cpu": shape.cpu, "memory": shape.memory, "pods": shape.pods}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "annotations": {"node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake"},
            "labels": {
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/os": "linux",
                "kubernetes.io/hostname": name,
                "node-role.kubernetes.io/agent": "",
                "type": "kwok",
                "topology.kubernetes.io/region": member.region,
                "topology.kubernetes.io/zone": member.zone,
            },
        },
        "status": {"allocatable": resources, "capacity": resources},
    }


def _process_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False  # our own child, now reaped
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _is_ours(pid: int, workdir: Path) -> bool:
    """Guards against pid reuse: the process must still be one of this harness's (its argv names DIR)."""
    try:
        return str(workdir) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class KubeHarness:
    """Start and stop one etcd plus N member clusters under ``workdir``."""

    def __init__(self, workdir: Path, binaries: KubeBinaries):
        self.workdir = workdir.resolve()
        self.binaries = binaries
        self.pki = self.workdir / "pki"
        self.etcd_pid: int | None = None
        self.etcd_url = ""
        self.members: list[Member] = []
        self._state_lock = threading.Lock()  # members start in parallel threads

    # -- starting -------------------------------------------------------------------------------

    def up(self, count: int, shape: NodeShape = NodeShape(), timeout: float = READY_TIMEOUT) -> list[Member]:
        """Start ``count`` members in parallel; return once all are ready (or raise, leaving none)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        write_pki(self.pki)
        try:
            self._start_etcd(timeout)
            names = [f"member{i + 1}" for i in range(count)]
            ports = free_ports(count)
            with ThreadPoolExecutor(max_workers=count) as pool:
                futures = [
                    pool.submit(self._start_member, name, port, index, shape, timeout)
                    for index, (name, port) in enumerate(zip(names, ports, strict=True))
                ]
                errors = [f.exception() for f in futures]
            if failed := [e for e in errors if e is not None]:
                raise failed[0]
        except BaseException:
            self.down()
            raise
        self._write_outputs()
        return self.members

    def _spawn(self, argv: list[str], log_path: Path) -> int:
        with open(log_path, "ab") as log_file:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: teardown kills the group
                cwd=self.workdir,
            )
        return proc.pid

    def _spawn_component(self, member: Member, home: Path, component: str, argv: list[str]) -> list[str]:
        full = [str(getattr(self.binaries, component)), *argv]
        member.pids.append(self._spawn(full, home / f"{component}.log"))
        self._save_state()
        return full

    def _start_etcd(self, timeout: float) -> None:
        client, peer = free_ports(2)
        self.etcd_url = f"http://127.0.0.1:{client}"
        self.etcd_pid = self._spawn(
            [
                str(self.binaries.etcd),
                "--name=shared",
                f"--data-dir={self.workdir / 'etcd-data'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=shared=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync=true",
                "--log-level=warn",
            ],
            self.workdir / "etcd.log",
        )
        self._save_state()
        self._wait(lambda: self._etcd_healthy(), timeout, "etcd /health", self.workdir / "etcd.log")

    def _etcd_healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.etcd_url + "/health", timeout=2) as resp:
                return json.loads(resp.read()).get("health") == "true"
        except (OSError, ValueError):
            return False

    def _start_member(self, name: str, port: int, index: int, shape: NodeShape, timeout: float) -> None:
        home = self.workdir / name
        home.mkdir(exist_ok=True)
        provider, region, zone = _PLACES[index % len(_PLACES)]
        if index >= len(_PLACES):
            region, zone = f"{region}-{index}", f"{zone}-{index}"
        token = secrets.token_hex(24)
        _write_private(home / "tokens.csv", f'{token},admin,admin-uid,"system:masters"\n')
        kubeconfig = self.workdir / f"{name}.kubeconfig"
        server = f"https://127.0.0.1:{port}"
        _write_private(kubeconfig, yaml.safe_dump(_kubeconfig(name, server, self.pki / "ca.crt", token)))
        member = Member(name, port, token, provider, region, zone, str(kubeconfig))
        self.members.append(member)

        spawn = partial(self._spawn_component, member, home)
        member.apiserver_argv = spawn(
            "kube_apiserver",
            [
                f"--etcd-servers={self.etcd_url}",
                f"--etcd-prefix=/{name}",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                f"--advertise-address={advertise_address()}",
                f"--cert-dir={home / 'certs'}",
                f"--tls-cert-file={self.pki / 'apiserver.crt'}",
                f"--tls-private-key-file={self.pki / 'apiserver.key'}",
                f"--client-ca-file={self.pki / 'ca.crt'}",
                f"--token-auth-file={home / 'tokens.csv'}",
                "--authorization-mode=Node,RBAC",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={self.pki / 'sa.pub'}",
                f"--service-account-signing-key-file={self.pki / 'sa.key'}",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--allow-privileged=true",
                "--profiling=false",
            ],
        )
        client = MemberClient(member, self.pki / "ca.crt")
        self._wait(
            lambda: client.request("GET", "/readyz")[0] == 200,
            timeout,
            f"{name} kube-apiserver /readyz",
            home / "kube_apiserver.log",
        )
        common = [
            f"--kubeconfig={kubeconfig}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            "--secure-port=0",
        ]
        spawn(
            "kube_controller_manager",
            [
                *common,
                f"--service-account-private-key-file={self.pki / 'sa.key'}",
                f"--root-ca-file={self.pki / 'ca.crt'}",
                "--profiling=false",
            ],
        )
        spawn("kube_scheduler", [*common, "--profiling=false"])
        # node leases renewed by kwok keep the fake nodes Ready however slow its status heartbeats get on a
        # loaded machine (else the node lifecycle marks them, and their pods, NotReady now and then)
        spawn(
            "kwok",
            [
                f"--kubeconfig={kubeconfig}",
                "--manage-all-nodes=true",
                "--cidr=10.64.0.1/16",
                "--node-lease-duration-seconds=40",
            ],
        )
        for n in range(shape.count):
            status, body = client.request(
                "POST", "/api/v1/nodes", _fake_node(f"{name}-node-{n}", member, shape)
            )
            if status not in (201, 409):
                raise RuntimeError(f"{name}: creating a fake node failed: {status} {body}")
        self._wait(
            lambda: self._member_ready(client, shape.count),
            timeout,
            f"{name} nodes and service account",
            home / "kwok.log",
        )

    @staticmethod
    def _member_ready(client: MemberClient, nodes: int) -> bool:
        status, body = client.request("GET", "/api/v1/nodes")
        if status != 200:
            return False
        ready = [
            n
            for n in body.get("items", [])
            if any(
                c["type"] == "Ready" and c["status"] == "True"
                for c in n.get("status", {}).get("conditions", [])
            )
        ]
        # Pods can only be created once the controller-manager made the namespace's service account.
        return (
            len(ready) >= nodes
            and client.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")[0] == 200
        )

    @staticmethod
    def _wait(check, timeout: float, what: str, log_path: Path) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except (OSError, ValueError):  # not listening yet, or a half-started server
                pass
            time.sleep(0.25)
        tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
        raise TimeoutError(f"{what} not ready after {timeout:.0f}s; {log_path} ends with:\n{tail}")

    # -- state ----------------------------------------------------------------------------------

    def _save_state(self) -> None:
        with self._state_lock:
            self._write_state()

    def _write_state(self) -> None:
        state = {
            "etcd_pid": self.etcd_pid,
            "etcd_url": self.etcd_url,
            "members": [asdict(m) for m in self.members],
        }
        _write_private(self.workdir / STATE_FILE, json.dumps(state, indent=2))

    @classmethod
    def attach(cls, workdir: Path, binaries: KubeBinaries) -> KubeHarness:
        """The harness that ``up`` left running in ``workdir`` (from its state file)."""
        harness = cls(workdir, binaries)
        state = json.loads((harness.workdir / STATE_FILE).read_text())
        harness.etcd_pid, harness.etcd_url = state["etcd_pid"], state["etcd_url"]
        harness.members = [Member(**m) for m in state["members"]]
        return harness

    def _write_outputs(self) -> None:
        self._save_state()
        clusters = [
            {
                "name": m.name,
                "kubeconfig": m.kubeconfig,
                "provider": m.provider,
                "region": m.region,
                "zones": [m.zone],
            }
            for m in sorted(self.members, key=lambda m: m.name)
        ]
        (self.workdir / "clusters.yaml").write_text(yaml.safe_dump({"clusters": clusters}, sort_keys=False))

    def stop_apiserver(self, name: str) -> None:
        """Kill one member's kube-apiserver (its controllers keep running, as in an API outage)."""
        pid = self.member(name).pids[0]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        while _process_alive(pid):
            time.sleep(0.05)

    def start_apiserver(self, name: str, timeout: float = READY_TIMEOUT) -> None:
        """Start a stopped member's kube-apiserver again, with the same flags, and wait until it is ready."""
        member = self.member(name)
        home = self.workdir / name
        member.pids[0] = self._spawn(member.apiserver_argv, home / "kube_apiserver.log")
        self._save_state()
        client = MemberClient(member, self.pki / "ca.crt")
        self._wait(
            lambda: client.request("GET", "/readyz")[0] == 200,
            timeout,
            f"{name} kube-apiserver /readyz",
            home / "kube_apiserver.log",
        )

    def member(self, name: str) -> Member:
        return next(m for m in self.members if m.name == name)

    def pids(self) -> list[int]:
        return [pid for m in self.members for pid in m.pids] + ([self.etcd_pid] if self.etcd_pid else [])

    def member_rss(self) -> dict[str, int]:
        return {m.name: sum(rss_bytes(pid) for pid in m.pids) for m in self.members}

    # -- stopping -------------------------------------------------------------------------------

    def down(self, grace: float = 10.0) -> None:
        """Stop every process group this harness started: members first, etcd last."""
        for pids in [[pid for m in self.members for pid in reversed(m.pids)], [self.etcd_pid]]:
            live = [pid for pid in pids if pid and _is_ours(pid, self.workdir)]
            for pid in live:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while (live := [p for p in live if _process_alive(p)]) and time.monotonic() < deadline:
                time.sleep(0.1)
            for pid in live:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
            while live := [p for p in live if _process_alive(p)]:
                time.sleep(0.05)
        self.members, self.etcd_pid = [], None
        with contextlib.suppress(FileNotFoundError):
            (self.workdir / STATE_FILE).unlink()
        shutil.rmtree(self.workdir / "etcd-data", ignore_errors=True)


def harness_processes(workdir: Path) -> Iterator[int]:
    """Every live process whose command line names ``workdir``: what teardown must leave none of."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _is_ours(int(entry.name), workdir.resolve()):
            yield int(entry.name)
