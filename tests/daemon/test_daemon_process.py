"""The daemon as systemd runs it: a real process, its notify socket, its probes and its signals."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.kube.cluster import free_ports


class DaemonProcess:
    def __init__(self, workdir: Path, config: dict, *, watchdog_usec: int | None = None):
        self.workdir = workdir
        self.config_path = workdir / "karmadad.yaml"
        self.write_config(config)
        self.notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        (workdir / "notify.sock").unlink(missing_ok=True)
        self.notify.bind(str(workdir / "notify.sock"))
        self.notify.settimeout(15)
        env = {**os.environ, "NOTIFY_SOCKET": str(workdir / "notify.sock")}
        if watchdog_usec:
            env["WATCHDOG_USEC"] = str(watchdog_usec)
        self.log_path = workdir / "daemon.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "karmadad", "run", "--config", str(self.config_path)],
                cwd=workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def write_config(self, config: dict) -> None:
        self.config_path.write_text(yaml.safe_dump(config))

    def messages_until(self, wanted: str) -> list[str]:
        seen = []
        while True:
            message = self.notify.recv(4096).decode()
            seen.append(message)
            if wanted in message.splitlines():
                return seen

    def log_lines(self) -> list[str]:
        return self.log_path.read_text().splitlines()

    def wait_for_log(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log_lines():
                if text in line:
                    return line
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not logged:\n" + "\n".join(self.log_lines()))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.notify.close()


@pytest.fixture
def ports():
    api, metrics = free_ports(2)
    return {
        "api": {"listen": f"127.0.0.1:{api}"},
        "metrics": {"listen": f"127.0.0.1:{metrics}"},
        "simulation": {"clusters": 0},  # these tests are about the daemon itself, not its members
    }


@pytest.fixture
def start(tmp_path):
    started = []

    def _start(config: dict, **kwargs) -> DaemonProcess:
        daemon = DaemonProcess(tmp_path, config, **kwargs)
        started.append(daemon)
        return daemon

    yield _start
    for daemon in started:
        daemon.stop()


# What a fresh daemon writes: the five initial namespaces, and the built-in RBAC objects (four Kubernetes
# roles, two aggregating Karmada's kinds into them, the view group's binding).
INITIAL_REVISION = 12


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_ready_probes_metrics_watchdog_and_graceful_stop(start, ports, tmp_path):
    daemon = start(ports, watchdog_usec=200_000)
    assert "READY=1" in daemon.messages_until("READY=1")[-1]
    assert "WATCHDOG=1" in daemon.messages_until("WATCHDOG=1")[-1]
    base = f"http://{ports['metrics']['listen']}"
    assert get(base + "/readyz") == (200, "ok")
    assert get(base + "/healthz") == (200, "ok")
    status, metrics = get(base + "/metrics")
    assert status == 200
    assert 'karmadad_build_info{python_version="' in metrics
    assert "process_resident_memory_bytes" in metrics
    assert f"karmadad_store_revision {INITIAL_REVISION}.0" in metrics
    assert get(base + "/readyz?verbose")[1].splitlines()[:2] == ["[+]ops ok", "[+]store ok"]
    assert (tmp_path / ".karmadad").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / ".karmadad" / "karmadad.db").stat().st_mode & 0o777 == 0o600

    started = time.monotonic()
    daemon.proc.send_signal(signal.SIGTERM)
    daemon.messages_until("STOPPING=1")
    assert daemon.proc.wait(timeout=10) == 0
    assert time.monotonic() - started < 10
    assert any("msg=stopped" in line for line in daemon.log_lines())


def test_restart_keeps_state_without_rewriting_it(start, ports):
    metrics_url = f"http://{ports['metrics']['listen']}/metrics"
    for _ in range(2):
        daemon = start(ports)
        daemon.messages_until("READY=1")
        assert f"karmadad_store_revision {INITIAL_REVISION}.0" in get(metrics_url)[1]  # nothing re-done
        daemon.proc.send_signal(signal.SIGTERM)
        assert daemon.proc.wait(timeout=10) == 0


def test_sigint_also_stops_cleanly(start, ports):
    daemon = start(ports)
    daemon.messages_until("READY=1")
    daemon.proc.send_signal(signal.SIGINT)
    assert daemon.proc.wait(timeout=10) == 0


def test_sighup_reloads_and_keeps_the_old_config_when_the_new_one_is_bad(start, ports, tmp_path):
    daemon = start(ports)
    daemon.messages_until("READY=1")
    kubeconfig = tmp_path / "member1.kubeconfig"
    kubeconfig.write_text("{}")
    daemon.write_config(
        {**ports, "log": {"format": "json"}, "clusters": [{"name": "member1", "kubeconfig": str(kubeconfig)}]}
    )
    daemon.proc.send_signal(signal.SIGHUP)
    reloaded = json.loads(daemon.wait_for_log('"config reloaded"'))
    assert reloaded["component"] == "daemon" and reloaded["clusters"] == 1

    daemon.write_config({**ports, "clusters": [{"name": "member1", "kubeconfig": str(kubeconfig), "qps": 0}]})
    daemon.proc.send_signal(signal.SIGHUP)
    rejected = json.loads(daemon.wait_for_log("config reload rejected"))
    assert rejected["problem"].startswith("clusters[0].qps: ")
    assert get(f"http://{ports['metrics']['listen']}/readyz")[0] == 200
    assert daemon.proc.poll() is None
    daemon.proc.send_signal(signal.SIGTERM)
    assert daemon.proc.wait(timeout=10) == 0


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "karmadad", *args], cwd=cwd, capture_output=True, text=True, timeout=30
    )


def test_bad_config_exits_2_naming_each_path_before_starting(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text(
        yaml.safe_dump(
            {"metrics": {"listen": "nowhere"}, "clusters": [{"name": "m1", "kubeconfig": "/does/not/exist"}]}
        )
    )
    result = run_cli("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    # a member's missing kubeconfig is not fatal to `run` (its Cluster says why), only the bad listen is
    assert result.stderr.splitlines() == [
        "karmadad: config: metrics.listen: must be host:port with a port in 1..65535",
    ]
    assert not (tmp_path / ".karmadad").exists()


def test_check_config(tmp_path):
    example = Path(__file__).parents[2] / "config" / "karmadad.yaml"
    ok = run_cli("check-config", "--config", str(example), cwd=tmp_path)
    assert ok.returncode == 0 and ok.stdout.splitlines()[0].endswith(": ok")
    assert ok.stdout.splitlines()[1].startswith("failover: off — a NotReady member keeps its workloads")
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataDir: ./x\nextra: 1\n")
    result = run_cli("check-config", "--config", str(bad), cwd=tmp_path)
    assert result.returncode == 2 and "extra: unknown key" in result.stderr
    assert run_cli("check-config", "--config", str(tmp_path / "missing.yaml"), cwd=tmp_path).returncode == 2
    absent = tmp_path / "absent-member.yaml"
    absent.write_text(yaml.safe_dump({"clusters": [{"name": "m1", "kubeconfig": "nowhere.kubeconfig"}]}))
    result = run_cli("check-config", "--config", str(absent), cwd=tmp_path)
    assert (
        result.returncode == 2
        and result.stderr.strip() == "karmadad: config: clusters[0].kubeconfig: file not found"
    )


def test_version(tmp_path):
    result = run_cli("version", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("karmadad ")
