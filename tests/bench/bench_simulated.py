"""Benchmark at scale on simulated members: 100 member clusters by 1,000 templates, in one karmadad.

    .venv/bin/python -m tests.bench.bench_simulated [--clusters 100] [--templates 1000] [--replicas 2]

karmadad runs as a process with ``simulation.clusters`` members (3 nodes each, room for every Pod), so
nothing else is needed. One PropagationPolicy selects the templates by label and divides each one's
replicas over all the simulated clusters by their available replicas (Karmada's dynamic weighting).
``--templates`` Deployments are created by 16 concurrent clients; measured:

- scheduling: from the first create until every ResourceBinding is Scheduled (bindings per second);
- propagation: until every template reports all its replicas ready, gathered from the members (the whole
  path: detector, scheduler, Works, members' API, their Pods, status back);
- karmadad's CPU seconds and resident memory (now and peak), after start-up and at the end.

Baseline, same run, same members: a direct apply loop creating the same member Deployments (each
template's share in each cluster, as karmadad placed them) straight into the simulated members through
their own API, 16 at a time, until they are ready in the members — what applying to 100 clusters by hand
costs, without karmadad's work. The members live in karmadad's process, so their CPU counts in both runs.

Prints one JSON document, then a short table.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import anyio
import yaml

from tests.kube.cluster import free_ports

CONCURRENCY = 16
MiB = 2**20
LABEL = {"bench": "simulated"}


def deployment(name: str, namespace: str, replicas: int) -> dict:
    labels = {"app": name, **LABEL}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.27",
                            "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}},
                        }
                    ]
                },
            },
        },
    }


def policy(namespace: str) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "bench", "namespace": namespace},
        "spec": {
            "resourceSelectors": [
                {"apiVersion": "apps/v1", "kind": "Deployment", "labelSelector": {"matchLabels": LABEL}}
            ],
            "placement": {
                "clusterAffinity": {"labelSelector": {"matchLabels": {"karmadad.io/simulated": "true"}}},
                "replicaScheduling": {
                    "replicaSchedulingType": "Divided",
                    "replicaDivisionPreference": "Weighted",
                    "weightPreference": {"dynamicWeight": "AvailableReplicas"},
                },
            },
        },
    }


class Process:
    """karmadad, and what /proc says of it."""

    def __init__(self, workdir: Path, clusters: int):
        api, metrics = free_ports(2)
        self.api, self.metrics = f"127.0.0.1:{api}", f"127.0.0.1:{metrics}"
        self.data = workdir / "data"
        config = {
            "dataDir": str(self.data),
            "api": {"listen": self.api},
            "metrics": {"listen": self.metrics},
            "log": {"level": "warning"},
            "clusterStatus": {"intervalSeconds": 10},
            "simulation": {
                "clusters": clusters,
                "nodes": 3,
                "nodeCPU": "64",
                "nodeMemory": "256Gi",
                "nodePods": 500,
            },
        }
        (workdir / "karmadad.yaml").write_text(yaml.safe_dump(config))
        self.log = workdir / "karmadad.log"
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "karmadad", "run", "--config", str(workdir / "karmadad.yaml")],
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_serving(self, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(f"http://{self.metrics}/readyz", timeout=1) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"karmadad not serving within {within}s")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def memory(self) -> dict[str, float]:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        values = {
            line.split(":")[0]: int(line.split()[1]) * 1024
            for line in status.splitlines()
            if line.startswith(("VmRSS", "VmHWM"))
        }
        return {"rss_mib": values["VmRSS"] / MiB, "peak_rss_mib": values["VmHWM"] / MiB}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Client:
    def __init__(self, server: str, token: str, ca: Path):
        self.server, self.token = server, token
        self.ssl = ssl.create_default_context(cafile=str(ca))

    def session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            base_url=self.server,
            headers={"Authorization": f"Bearer {self.token}"},
            connector=aiohttp.TCPConnector(ssl=self.ssl, limit=CONCURRENCY * 2),
        )


async def create_all(http: aiohttp.ClientSession, items: list[tuple[str, dict]]) -> None:
    """POST each (path, object), ``CONCURRENCY`` at a time."""
    pending = list(reversed(items))

    async def worker() -> None:
        while pending:
            path, obj = pending.pop()
            async with http.post(path, json=obj) as answer:
                assert answer.status in (201, 409), await answer.text()

    async with anyio.create_task_group() as tasks:
        for _ in range(CONCURRENCY):
            tasks.start_soon(worker)


async def until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> float:
    """Seconds until ``check()`` holds (polled every second: listing 100 members more often would load them)."""
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > within:
            raise AssertionError(f"{what} not reached within {within}s")
        await anyio.sleep(1.0)
    return time.monotonic() - started


async def listed(http: aiohttp.ClientSession, path: str) -> list[dict]:
    async with http.get(path) as answer:
        assert answer.status == 200, await answer.text()
        return (await answer.json())["items"]


async def through_karmadad(karmadad: Client, templates: int, replicas: int, within: float) -> dict:
    namespace = "bench"
    async with karmadad.session() as http:
        async with http.post("/api/v1/namespaces", json={"metadata": {"name": namespace}}) as answer:
            assert answer.status == 201, await answer.text()
        async with http.post(
            f"/apis/policy.karmada.io/v1alpha1/namespaces/{namespace}/propagationpolicies",
            json=policy(namespace),
        ) as answer:
            assert answer.status == 201, await answer.text()
        path = f"/apis/apps/v1/namespaces/{namespace}/deployments"
        started = time.monotonic()
        await create_all(
            http, [(path, deployment(f"web-{i}", namespace, replicas)) for i in range(templates)]
        )
        created = time.monotonic() - started

        async def all_scheduled() -> bool:
            bindings = await listed(
                http, f"/apis/work.karmada.io/v1alpha2/namespaces/{namespace}/resourcebindings"
            )
            return len(bindings) == templates and all(
                any(
                    c.get("type") == "Scheduled" and c.get("status") == "True"
                    for c in b.get("status", {}).get("conditions", ())
                )
                for b in bindings
            )

        async def all_ready() -> bool:
            return (
                sum(
                    1
                    for d in await listed(http, path)
                    if d.get("status", {}).get("readyReplicas") == replicas
                )
                == templates
            )

        scheduled = await until(all_scheduled, within, "every binding scheduled") + created
        ready = await until(all_ready, within, "every template ready") + scheduled
        bindings = await listed(
            http, f"/apis/work.karmada.io/v1alpha2/namespaces/{namespace}/resourcebindings"
        )
    placements = {
        b["spec"]["resource"]["name"]: {c["name"]: c["replicas"] for c in b["spec"]["clusters"]}
        for b in bindings
    }
    return {"created_s": created, "scheduled_s": scheduled, "ready_s": ready, "placements": placements}


async def direct(members: dict[str, Client], placements: dict[str, dict[str, int]], within: float) -> dict:
    """The same member Deployments, created straight in the members."""
    namespace = "bench-direct"
    sessions = {name: member.session() for name, member in members.items()}
    try:
        started = time.monotonic()
        for http in sessions.values():
            async with http.post("/api/v1/namespaces", json={"metadata": {"name": namespace}}) as answer:
                assert answer.status in (201, 409), await answer.text()
        work = [
            (cluster, deployment(name, namespace, count))
            for name, shares in placements.items()
            for cluster, count in shares.items()
        ]
        pending = list(reversed(work))

        async def worker() -> None:
            while pending:
                cluster, obj = pending.pop()
                async with sessions[cluster].post(
                    f"/apis/apps/v1/namespaces/{namespace}/deployments", json=obj
                ) as answer:
                    assert answer.status == 201, await answer.text()

        async with anyio.create_task_group() as tasks:
            for _ in range(CONCURRENCY):
                tasks.start_soon(worker)
        created = time.monotonic() - started

        async def all_ready() -> bool:
            ready = 0
            for http in sessions.values():
                items = await listed(http, f"/apis/apps/v1/namespaces/{namespace}/deployments")
                ready += sum(
                    1 for d in items if d.get("status", {}).get("readyReplicas") == d["spec"]["replicas"]
                )
            return ready == len(work)

        ready = await until(all_ready, within, "every member Deployment ready") + created
        return {"member_deployments": len(work), "created_s": created, "ready_s": ready}
    finally:
        for http in sessions.values():
            await http.close()


def member_clients(data: Path) -> dict[str, Client]:
    document = yaml.safe_load((data / "simulated" / "members.kubeconfig").read_text())
    ca = data / "simulated" / "pki" / "ca.crt"
    tokens = {u["name"]: u["user"]["token"] for u in document["users"]}
    return {c["name"]: Client(c["cluster"]["server"], tokens[c["name"]], ca) for c in document["clusters"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--templates", type=int, default=1000)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--within", type=float, default=1800.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="karmadad-bench-") as tmp:
        karmadad = Process(Path(tmp), args.clusters)
        try:
            started = time.monotonic()
            karmadad.wait_serving(300)
            token = (karmadad.data / "admin.token").read_text().strip()
            api = Client(f"https://{karmadad.api}", token, karmadad.data / "pki" / "ca.crt")

            async def clusters_ready() -> bool:
                async with api.session() as http:
                    items = await listed(http, "/apis/cluster.karmada.io/v1alpha1/clusters")
                return len(items) == args.clusters and all(
                    any(
                        c.get("type") == "Ready" and c.get("status") == "True"
                        for c in i.get("status", {}).get("conditions", ())
                    )
                    for i in items
                )

            anyio.run(until, clusters_ready, 300.0, "every cluster Ready")
            start_up = {
                "seconds": time.monotonic() - started,
                "cpu_s": karmadad.cpu_seconds(),
                **karmadad.memory(),
            }
            cpu = karmadad.cpu_seconds()
            ours = anyio.run(through_karmadad, api, args.templates, args.replicas, args.within)
            ours["cpu_s"] = karmadad.cpu_seconds() - cpu
            ours.update(karmadad.memory())
            placements = ours.pop("placements")
            spread = sorted(len(shares) for shares in placements.values())
            cpu = karmadad.cpu_seconds()
            baseline = anyio.run(direct, member_clients(karmadad.data), placements, args.within)
            baseline["cpu_s"] = karmadad.cpu_seconds() - cpu
        finally:
            karmadad.stop()
    load = os.getloadavg()
    report = {
        "clusters": args.clusters,
        "templates": args.templates,
        "replicas": args.replicas,
        "clusters_per_template": {"min": spread[0], "max": spread[-1]},
        "start_up": start_up,
        "karmadad": ours,
        "direct_apply": baseline,
        "load_average_1m": load[0],
    }
    print(json.dumps(report, indent=2))
    print(f"\n{args.clusters} simulated members, {args.templates} templates of {args.replicas} replicas")
    print(
        f"{'start-up (all clusters Ready)':<44}{start_up['seconds']:>10.1f} s  {start_up['rss_mib']:>8.0f} MiB RSS"
    )
    print(
        f"{'karmadad: all bindings scheduled':<44}{ours['scheduled_s']:>10.1f} s  {args.templates / ours['scheduled_s']:>8.0f} /s"
    )
    print(
        f"{'karmadad: all templates ready':<44}{ours['ready_s']:>10.1f} s  {args.templates / ours['ready_s']:>8.0f} /s"
    )
    print(
        f"{'karmadad: CPU, RSS (peak)':<44}{ours['cpu_s']:>10.1f} s  {ours['rss_mib']:>8.0f} MiB ({ours['peak_rss_mib']:.0f})"
    )
    print(
        f"{'direct apply: member objects ready':<44}{baseline['ready_s']:>10.1f} s  {baseline['member_deployments']:>8} objects"
    )
    print(f"{'direct apply: CPU':<44}{baseline['cpu_s']:>10.1f} s")


if __name__ == "__main__":
    main()
