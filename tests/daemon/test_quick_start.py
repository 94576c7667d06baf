"""The README's quick start, as a newcomer runs it: karmadad on the example config (``make run``), a
kubeconfig (``make kubeconfig``), then the real kubectl applying the nginx sample. Within 20 seconds the
Deployment is ready across the three simulated members and its binding shows the split — with no Go-built
member cluster, no warning in the log and no reconcile error."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml

from tests.integration.test_kube_harness import kubectl
from tests.kube.cluster import free_ports

ROOT = Path(__file__).parents[2]
PROPAGATED_WITHIN = 20.0


def serving(metrics: str, proc: subprocess.Popen, log: Path, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"http://{metrics}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"karmadad not ready within {within}s:\n{log.read_text()}")


def test_the_quick_start_spreads_nginx_over_three_simulated_members(tmp_path, kube_binaries):
    config = yaml.safe_load((ROOT / "config" / "karmadad.yaml").read_text())
    api, metrics = (f"127.0.0.1:{port}" for port in free_ports(2))
    config.update(dataDir=str(tmp_path / ".karmadad"))
    config["api"]["listen"], config["metrics"]["listen"] = api, metrics
    config_path = tmp_path / "karmadad.yaml"
    config_path.write_text(yaml.safe_dump(config))
    log = tmp_path / "karmadad.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "karmadad", "run", "--config", str(config_path)],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        serving(metrics, proc, log)
        kubeconfig = tmp_path / "home" / ".kube" / "karmadad.kubeconfig"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "karmadad",
                "kubeconfig",
                "--config",
                str(config_path),
                "--output",
                str(kubeconfig),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        run = lambda *args: kubectl(kube_binaries, str(kubeconfig), *args)  # noqa: E731
        applied = time.monotonic()
        run("apply", "-f", str(ROOT / "config" / "samples" / "nginx"))

        spread = [
            {"name": "member1", "replicas": 2},
            {"name": "member2", "replicas": 2},
            {"name": "member3", "replicas": 2},
        ]
        deadline = applied + PROPAGATED_WITHIN
        while True:
            status = json.loads(run("get", "deploy", "nginx", "-o", "json")).get("status", {})
            binding = json.loads(
                run("get", "rb", "nginx-deployment", "-o", "json", "--ignore-not-found") or "{}"
            )
            placed = binding.get("spec", {}).get("clusters")
            if status.get("readyReplicas") == 6 and status.get("availableReplicas") == 6 and placed == spread:
                break
            assert time.monotonic() < deadline, (
                f"not spread and ready within {PROPAGATED_WITHIN}s: {status}, {placed}"
            )
            time.sleep(0.2)
        ready_after = time.monotonic() - applied

        table = run("get", "deploy", "nginx")
        assert re.search(r"^nginx\s+6/6\s+6\s+6\s", table, re.M), table
        clusters = run("get", "clusters", "-o", "jsonpath={.items[*].metadata.name}")
        assert clusters.split() == ["member1", "member2", "member3"]
        assert ready_after < PROPAGATED_WITHIN

        with urllib.request.urlopen(f"http://{metrics}/metrics", timeout=5) as answer:
            exposition = answer.read().decode()
        errors = re.findall(
            r'^karmadad_reconcile_errors_total\{controller="([^"]+)"\} (\S+)$', exposition, re.M
        )
        assert errors and all(float(count) == 0 for _, count in errors), errors
        warnings = [
            line for line in log.read_text().splitlines() if "level=warning" in line or "level=error" in line
        ]
        assert warnings == []
    finally:
        proc.terminate()
        proc.wait(timeout=20)
