"""Benchmark of propagation into real members, beside a baseline measured in the same run.

    .venv/bin/python -m tests.bench.bench_propagation [--templates 1000] [--samples 30] [--rounds 3] [--vs REV]

Three real members (the test bed), karmadad started as a process with its defaults except the member
client rate limit (raised to 1,000/s so it does not cap the figures). Deployments with 0 replicas (the
figure is about propagation, not the members' own pod scheduling).

- latency: one Deployment (and a PropagationPolicy to all three members) created in karmadad, until it
  exists in all three members (polled every 10 ms); p50 and p99 over ``--samples`` templates in turn.
- throughput: ``--templates`` Deployments created in karmadad by 16 concurrent clients, until every one
  exists in every member; baseline: a plain loop creating the same member objects (the manifests of
  karmadad's Works: Karmada's labels and annotations make them two thirds larger than the templates)
  directly in the three members, in another namespace, with kubernetes_asyncio (the client library
  karmadad uses) and the same concurrency as karmadad's execution workers (16). ``--rounds`` pairs of
  the two, each in fresh namespaces; the median pair is reported (the members share the machine, so
  one pair varies by several per cent), with the CPU time karmadad itself used in each of its runs.
- Events: after each throughput run, the ``ApplyPolicySucceed`` Events of its namespace (one per
  template is complete) and ``karmadad_events_dropped_total``; the CPU figure includes writing them
  (it is taken once their count stops moving).
- ``--vs REV``: each round also runs karmadad as of git revision ``REV`` (its package unpacked beside,
  same venv, same members), the two taking turns going first (the members grow with every run), so they
  compare in one run on one load.
- karmadad's resident memory afterwards.

By default the cores are split: the members on one, karmadad and the clients on the rest (as when
karmadad runs on its own management VM, away from the members it feeds); ``--cores shared`` lets
everything compete for every core.

Prints one JSON document, then a short table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import anyio
import yaml
from kubernetes_asyncio import client, config

from tests.integration.test_cluster_registration import Daemon, ready
from tests.kube.binaries import build_binaries
from tests.kube.cluster import KubeHarness, rss_bytes

MEMBERS = ("member1", "member2", "member3")
KARMADAD = "karmadad"
CONCURRENCY = 16
MiB = 2**20


def deployment(name: str, namespace: str) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]},
            },
        },
    }


def policy(namespace: str) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "all", "namespace": namespace},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
            "placement": {"clusterAffinity": {"clusterNames": list(MEMBERS)}},
        },
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class MemberClients:
    """One kubernetes_asyncio client per member, as karmadad has, and one for karmadad itself (the
    templates go in with the same library and connection reuse as the baseline's objects)."""

    def __init__(self, kubeconfigs: dict[str, str], daemon: Daemon):
        self.kubeconfigs = kubeconfigs
        self.daemon = daemon
        self.apis: dict[str, client.ApiClient] = {}

    async def __aenter__(self) -> MemberClients:
        for name, path in self.kubeconfigs.items():
            configuration = client.Configuration()
            await config.load_kube_config(
                config_file=path, client_configuration=configuration, persist_config=False
            )
            self.apis[name] = client.ApiClient(configuration)
        ours = client.Configuration(
            host=f"https://{self.daemon.api}",
            api_key={"BearerToken": self.daemon.token},
            api_key_prefix={"BearerToken": "Bearer"},
        )
        ours.ssl_ca_cert = str(self.daemon.workdir / "data" / "pki" / "ca.crt")
        self.apis[KARMADAD] = client.ApiClient(ours)
        return self

    async def __aexit__(self, *_) -> None:
        for api in self.apis.values():
            await api.close()

    async def call(self, member: str, method: str, path: str, body: dict | None = None) -> int:
        try:
            response = await self.apis[member].call_api(
                path, method, auth_settings=["BearerToken"], body=body, _preload_content=False
            )
            status = response.status
            response.release()
            return status
        except client.ApiException as error:
            return error.status

    async def count(self, member: str, namespace: str) -> int:
        """How many Deployments ``namespace`` holds, from a one-item page and its remainingItemCount: the
        observer must not load the members it measures (a full LIST of 1,000 Deployments costs a member
        tens of milliseconds to serialise and the bench as much to decode, every poll)."""
        response = await self.apis[member].call_api(
            f"/apis/apps/v1/namespaces/{namespace}/deployments?limit=1",
            "GET",
            auth_settings=["BearerToken"],
            _preload_content=False,
        )
        body = json.loads(await response.read())
        return len(body.get("items") or []) + int(body["metadata"].get("remainingItemCount") or 0)


async def namespace_in_members(members: MemberClients, namespace: str) -> None:
    """Wait until karmadad has created ``namespace`` in every member (objects in it can only follow)."""
    with anyio.fail_after(60):
        for member in MEMBERS:
            while await members.call(member, "GET", f"/api/v1/namespaces/{namespace}") != 200:  # noqa: ASYNC110 - polling the member is the point
                await anyio.sleep(0.1)


async def latency(daemon: Daemon, members: MemberClients, samples: int) -> list[float]:
    namespace = "bench-latency"
    daemon.post(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    )
    daemon.post(
        f"/apis/policy.karmada.io/v1alpha1/namespaces/{namespace}/propagationpolicies", policy(namespace)
    )
    await namespace_in_members(members, namespace)
    timings = []
    for i in range(samples):
        name = f"lat-{i}"
        started = time.perf_counter()
        await anyio.to_thread.run_sync(
            daemon.post, f"/apis/apps/v1/namespaces/{namespace}/deployments", deployment(name, namespace)
        )
        pending = set(MEMBERS)
        with anyio.fail_after(60):
            while pending:
                for member in list(pending):
                    if (
                        await members.call(
                            member, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"
                        )
                        == 200
                    ):
                        pending.discard(member)
                if pending:
                    await anyio.sleep(0.01)
        timings.append(time.perf_counter() - started)
    return timings


async def throughput(daemon: Daemon, members: MemberClients, templates: int, namespace: str) -> float:
    daemon.post(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}}
    )
    daemon.post(
        f"/apis/policy.karmada.io/v1alpha1/namespaces/{namespace}/propagationpolicies", policy(namespace)
    )
    await namespace_in_members(members, namespace)
    started = time.perf_counter()
    await create_concurrently(members, [(KARMADAD, deployment(f"d{i}", namespace)) for i in range(templates)])
    with anyio.fail_after(900):
        while True:
            counts = [await members.count(m, namespace) for m in MEMBERS]
            if all(c == templates for c in counts):
                break
            await anyio.sleep(0.2)
    return templates * len(MEMBERS) / (time.perf_counter() - started)


async def events_settled(daemon: Daemon, namespace: str, templates: int) -> int:
    """How many ApplyPolicySucceed Events ``namespace`` holds once all are there or the count has not
    moved for three seconds (at most a minute)."""
    path = f"/api/v1/namespaces/{namespace}/events?fieldSelector=reason%3DApplyPolicySucceed"
    count, moved = -1, time.monotonic()
    with anyio.move_on_after(60):
        while True:
            now = len((await anyio.to_thread.run_sync(daemon.get, path))["items"])
            if now != count:
                count, moved = now, time.monotonic()
            if count >= templates or time.monotonic() - moved > 3:
                break
            await anyio.sleep(0.2)
    return count


def events_dropped(daemon: Daemon) -> float:
    """``karmadad_events_dropped_total`` summed over its components."""
    with urllib.request.urlopen(f"http://{daemon.metrics}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("karmadad_events_dropped_total")
    )


def unpack_revision(revision: str, into: Path) -> Path:
    """The ``karmadad`` package as of ``revision``, unpacked under ``into``; the directory to import from."""
    into.mkdir()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "karmadad"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


async def baseline(members: MemberClients, objects: list[tuple[str, dict]], namespace: str) -> float:
    """The same member objects karmadad wrote (its Works' manifests, Karmada's labels and annotations
    included), created straight into their members, in ``namespace``."""
    for member in MEMBERS:
        await members.call(
            member,
            "POST",
            "/api/v1/namespaces",
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        )
    work = [
        (member, {**obj, "metadata": {**obj["metadata"], "namespace": namespace}}) for member, obj in objects
    ]
    started = time.perf_counter()
    await create_concurrently(members, work)
    return len(work) / (time.perf_counter() - started)


def written_by_karmadad(daemon: Daemon, namespace: str) -> list[tuple[str, dict]]:
    """(member, object) for every manifest karmadad's Works hold for ``namespace``."""
    found = []
    for work in daemon.get("/apis/work.karmada.io/v1alpha1/works")["items"]:
        member = work["metadata"]["namespace"].removeprefix("karmada-es-")
        for manifest in work["spec"]["workload"]["manifests"]:
            if manifest["metadata"].get("namespace") == namespace:
                found.append((member, manifest))
    return found


async def create_concurrently(members: MemberClients, work: list[tuple[str, dict]]) -> None:
    """Create each (cluster, Deployment) of ``work``, ``CONCURRENCY`` at a time."""
    limit = anyio.Semaphore(CONCURRENCY)

    async def one(target: str, obj: dict) -> None:
        async with limit:
            path = f"/apis/apps/v1/namespaces/{obj['metadata']['namespace']}/deployments"
            status = await members.call(target, "POST", path, obj)
            assert status == 201, status

    async with anyio.create_task_group() as tasks:
        for target, obj in work:
            tasks.start_soon(one, target, obj)


def pin(pid: int, cpus: set[int]) -> None:
    """Keep a process, every thread it has and every thread it starts, on ``cpus``."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), cpus)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def propagation_round(
    workdir: Path,
    clusters: list[dict],
    cpus: list[int] | None,
    templates: int,
    namespace: str,
    samples: int = 0,
    source: Path | None = None,
) -> dict:
    """One karmadad (this one, or ``source``'s) started on the members: the latency samples if asked,
    then one throughput run with its CPU time and Events; the baseline on the same objects after it."""
    daemon = Daemon(workdir, clusters, source=source)
    if cpus:
        pin(daemon.proc.pid, set(cpus))
    try:
        daemon.wait_for(
            lambda cs: len(cs) == 3 and all(ready(c) for c in cs.values()), 60, "3 Ready clusters"
        )
        async with MemberClients({c["name"]: c["kubeconfig"] for c in clusters}, daemon) as members:
            timings = await latency(daemon, members, samples) if samples else []
            cpu = cpu_seconds(daemon.proc.pid)
            ours = await throughput(daemon, members, templates, namespace)
            applied = await events_settled(daemon, namespace, templates)
            cpu = cpu_seconds(daemon.proc.pid) - cpu
            dropped = events_dropped(daemon)
            objects = written_by_karmadad(daemon, namespace)
            assert len(objects) == templates * len(MEMBERS), len(objects)
            base = await baseline(members, objects, namespace.replace("throughput", "baseline"))
        rss = rss_bytes(daemon.proc.pid) / MiB
    finally:
        daemon.stop()
    return {
        "karmadad": ours,
        "baseline": base,
        "ratio": ours / base,
        "cpu": cpu,
        "apply_policy_succeed_events": applied,
        "events_dropped": dropped,
        "rss_mib": rss,
        "latencies": timings,
    }


async def measure(
    workdir: Path, templates: int, samples: int, rounds: int, split: bool, vs: str | None = None
) -> dict:
    binaries = build_binaries()
    harness = KubeHarness(workdir / "members", binaries)
    await anyio.to_thread.run_sync(harness.up, len(MEMBERS))
    cpus = sorted(os.sched_getaffinity(0))
    split = split and len(cpus) >= 2
    if split:  # the members on the last core; karmadad and the clients (this process) on the others
        for pid in harness.pids():
            pin(pid, {cpus[-1]})
        pin(os.getpid(), set(cpus[:-1]))
    previous = unpack_revision(vs, workdir / "previous") if vs else None
    try:
        clusters = yaml.safe_load((harness.workdir / "clusters.yaml").read_text())["clusters"]
        clusters = [{**c, "qps": 1000, "burst": 2000} for c in clusters]
        daemon_cpus = cpus[:-1] if split else None
        pairs, earlier = [], []
        for round_ in range(rounds):
            # this karmadad and the earlier one take turns going first: the members grow with every run
            turns = (
                [("karmadad", None), ("previous", previous)] if previous is not None else [("karmadad", None)]
            )
            for which, source in turns if round_ % 2 == 0 else reversed(turns):
                run = workdir / f"{which}-{round_}"
                run.mkdir()
                measured = await propagation_round(
                    run, clusters, daemon_cpus, templates, f"bench-throughput-{which}-{round_}",
                    samples=samples if round_ == 0 and source is None else 0, source=source,
                )  # fmt: skip
                (pairs if source is None else earlier).append(measured)
    finally:
        await anyio.to_thread.run_sync(harness.down)
    timings = pairs[0]["latencies"]
    median = sorted(pairs, key=lambda pair: pair["ratio"])[len(pairs) // 2]
    result = {
        "templates": templates,
        "latency_samples": samples,
        "latency_p50_ms": statistics.median(timings) * 1000,
        "latency_p99_ms": percentile(timings, 0.99) * 1000,
        "member_objects_per_second": median["karmadad"],
        "baseline_direct_creates_per_second": median["baseline"],
        "ratio": median["ratio"],
        "karmadad_cpu_seconds": median["cpu"],
        "apply_policy_succeed_events": median["apply_policy_succeed_events"],
        "cores": "split" if split else "shared",
        "rounds": [{k: v for k, v in pair.items() if k != "latencies"} for pair in pairs],
        "karmadad_rss_mib": pairs[-1]["rss_mib"],
    }
    if earlier:
        result["vs"] = {
            "revision": vs,
            "rounds": [{k: v for k, v in pair.items() if k != "latencies"} for pair in earlier],
            "karmadad_cpu_seconds": statistics.median(p["cpu"] for p in earlier),
            "member_objects_per_second": statistics.median(p["karmadad"] for p in earlier),
            "apply_policy_succeed_events": statistics.median(
                p["apply_policy_succeed_events"] for p in earlier
            ),
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--templates", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cores", choices=("split", "shared"), default="split")
    parser.add_argument("--vs", metavar="REV", help="also run karmadad as of this git revision, in turn")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="karmadad-bench-") as workdir:
        result = anyio.run(
            measure, Path(workdir), args.templates, args.samples, args.rounds, args.cores == "split", args.vs
        )
    print(json.dumps(result, indent=2))
    print(f"\n{'':<52}{'karmadad':>12}{'baseline':>12}")
    print(f"{'template -> in all 3 members, p50 ms':<52}{result['latency_p50_ms']:>12.0f}{'-':>12}")
    print(f"{'template -> in all 3 members, p99 ms':<52}{result['latency_p99_ms']:>12.0f}{'-':>12}")
    print(
        f"{'member objects/s (1,000 templates x 3 members)':<52}"
        f"{result['member_objects_per_second']:>12.0f}{result['baseline_direct_creates_per_second']:>12.0f}"
    )
    print(
        f"{'karmadad CPU seconds for those 1,000 templates':<52}{result['karmadad_cpu_seconds']:>12.1f}{'-':>12}"
    )
    print(
        f"{'ApplyPolicySucceed Events of those templates':<52}{result['apply_policy_succeed_events']:>12}{'-':>12}"
    )
    print(f"{'karmadad RSS MiB':<52}{result['karmadad_rss_mib']:>12.0f}{'-':>12}")
    if "vs" in result:
        earlier = result["vs"]
        print(f"\n{'as of ' + earlier['revision'][:12] + ', same run':<52}{'karmadad':>12}")
        print(f"{'member objects/s':<52}{earlier['member_objects_per_second']:>12.0f}")
        print(f"{'karmadad CPU seconds':<52}{earlier['karmadad_cpu_seconds']:>12.1f}")
        print(f"{'ApplyPolicySucceed Events':<52}{earlier['apply_policy_succeed_events']:>12.0f}")


if __name__ == "__main__":
    main()
