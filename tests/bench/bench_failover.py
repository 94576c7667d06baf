"""Benchmark of cluster failover: bindings leaving a member that becomes NoExecute-tainted.

    .venv/bin/python -m tests.bench.bench_failover [--bindings 1000] [--rate 100]

In process, over one store: the detector, the scheduler, the taint manager and graceful eviction, three
Ready clusters, and ``--bindings`` Deployments placed Duplicated on all three by one policy.

- failover: member2 gets a NoExecute taint its placement does not tolerate; the time until no binding is
  placed there, the evictions per second against ``--rate`` (``failover.resourceEvictionRate``: the pace must
  hold, not be beaten), and the CPU seconds the process spent meanwhile;
- baseline, same run, same bindings: the policy edited to exclude member2 (the scheduler alone moves every
  binding, no eviction) — the floor the failover cannot go below.

Prints one JSON document, then a short table. Report figures with how loaded the machine was.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import anyio

from karmadad.api import strategy
from karmadad.api.builtin import default_registry
from karmadad.api.karmada.resources import CLUSTERS, PROPAGATION_POLICIES, RESOURCE_BINDINGS
from karmadad.config import FailoverConfig
from karmadad.controllers.detector import Detector
from karmadad.controllers.graceful_eviction import GracefulEviction
from karmadad.controllers.scheduler import SchedulerController
from karmadad.controllers.taint_manager import TaintManager
from karmadad.events import EventRecorder
from karmadad.store import Store, open_store

REGISTRY = default_registry()
NAMESPACE = "bench"
MEMBERS = ("member1", "member2", "member3")


def prepared(group: str, version: str, plural: str, obj: dict) -> dict:
    return strategy.prepare_create(REGISTRY.get(group, version, plural), obj)


def deployment(i: int) -> dict:
    labels = {"app": f"app-{i}"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"app-{i:05d}", "namespace": NAMESPACE},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "nginx"}]},
            },
        },
    }


def policy(clusters: list[str]) -> dict:
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "all", "namespace": NAMESPACE},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
            "placement": {
                "clusterAffinity": {"clusterNames": clusters},
                "replicaScheduling": {"replicaSchedulingType": "Duplicated"},
            },
        },
    }


async def add_cluster(store: Store, name: str) -> None:
    cluster = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name},
               "spec": {"syncMode": "Push"}}  # fmt: skip
    created = await store.create(CLUSTERS, prepared("cluster.karmada.io", "v1alpha1", "clusters", cluster))
    status = {
        "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterReady", "message": "",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"}],
        "apiEnablements": [{"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}],
    }  # fmt: skip
    await store.update(CLUSTERS, {**created, "status": status}, subresource="status")


class Placements:
    """Which bindings are placed on member2, kept from the store's changes; waits for a count."""

    def __init__(self, store: Store):
        self.on_member2: set[str] = set()
        self._target: int | None = None
        self._reached = anyio.Event()
        store.subscribe(self._on_change, resources=[RESOURCE_BINDINGS])

    def _on_change(self, change) -> None:
        clusters = (change.object.get("spec") or {}).get("clusters") or ()
        if change.type != "DELETED" and any(t.get("name") == "member2" for t in clusters):
            self.on_member2.add(change.name)
        else:
            self.on_member2.discard(change.name)
        if len(self.on_member2) == self._target:
            self._reached.set()

    async def count(self, target: int, limit: float) -> float:
        """Seconds until exactly ``target`` bindings are placed on member2 (at most ``limit``)."""
        started = time.perf_counter()
        self._target, self._reached = target, anyio.Event()
        if len(self.on_member2) != target:
            with anyio.fail_after(limit):
                await self._reached.wait()
        return time.perf_counter() - started


async def run(bindings: int, rate: float) -> dict:
    with tempfile.TemporaryDirectory() as directory:
        async with open_store(Path(directory) / "bench.db") as store, anyio.create_task_group() as tasks:
            namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
            await store.create("namespaces", prepared("", "v1", "namespaces", namespace))
            for name in MEMBERS:
                await add_cluster(store, name)
            recorder = EventRecorder(store, "bench")
            settings = FailoverConfig(enableNoExecuteTaintEviction=True, resourceEvictionRate=rate)
            await tasks.start(recorder.run)
            placements = Placements(store)
            for part in (
                Detector(store, REGISTRY, recorder, workers=8),
                SchedulerController(store, REGISTRY, recorder, workers=8),
                TaintManager(store, recorder, settings),
                GracefulEviction(store, recorder),
            ):
                await tasks.start(part.run)
            resource = REGISTRY.get("policy.karmada.io", "v1alpha1", "propagationpolicies")
            await store.create(PROPAGATION_POLICIES, strategy.prepare_create(resource, policy(list(MEMBERS))))
            for i in range(bindings):
                await store.create("deployments.apps", prepared("apps", "v1", "deployments", deployment(i)))
            await placements.count(bindings, 600)

            # baseline: the policy excludes member2, the scheduler alone moves every binding
            current = store.get(PROPAGATION_POLICIES, NAMESPACE, "all")
            edited = {**current, "spec": policy(["member1", "member3"])["spec"]}
            cpu = time.process_time()
            await store.update(PROPAGATION_POLICIES, strategy.prepare_update(resource, current, edited))
            baseline = await placements.count(0, 600)
            baseline_cpu = time.process_time() - cpu
            current = store.get(PROPAGATION_POLICIES, NAMESPACE, "all")
            await store.update(
                PROPAGATION_POLICIES,
                strategy.prepare_update(
                    resource, current, {**current, "spec": policy(list(MEMBERS))["spec"]}
                ),
            )
            await placements.count(bindings, 600)

            # failover: member2 NoExecute-tainted
            member2 = store.get(CLUSTERS, "", "member2")
            taint = {"key": "bench/outage", "effect": "NoExecute", "timeAdded": "2026-01-01T00:00:00Z"}
            cpu = time.process_time()
            await store.update(CLUSTERS, {**member2, "spec": {**member2["spec"], "taints": [taint]}})
            failover = await placements.count(0, 3600)
            failover_cpu = time.process_time() - cpu
            tasks.cancel_scope.cancel()
    return {
        "bindings": bindings,
        "rate_limit_per_s": rate,
        "failover_s": round(failover, 2),
        "evictions_per_s": round(bindings / failover, 1),
        "failover_cpu_s": round(failover_cpu, 2),
        "baseline_policy_edit_s": round(baseline, 2),
        "baseline_moves_per_s": round(bindings / baseline, 1),
        "baseline_cpu_s": round(baseline_cpu, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bindings", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=100.0, help="failover.resourceEvictionRate")
    args = parser.parse_args()
    result = anyio.run(run, args.bindings, args.rate)
    print(json.dumps(result, indent=2))
    print(f"\n{'':34}{'seconds':>10}{'per s':>10}{'CPU s':>8}")
    print(f"{'failover (taint manager)':34}{result['failover_s']:>10}{result['evictions_per_s']:>10}{result['failover_cpu_s']:>8}")  # fmt: skip
    print(f"{'baseline (policy edit)':34}{result['baseline_policy_edit_s']:>10}{result['baseline_moves_per_s']:>10}{result['baseline_cpu_s']:>8}")  # fmt: skip


if __name__ == "__main__":
    main()
