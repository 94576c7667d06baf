"""Benchmark of propagation decisions with 100 clusters, each figure beside a baseline from the same run.

    .venv/bin/python -m tests.bench.bench_scheduler [--pure 5000] [--bindings 10000]

- pure scheduling: bindings/s through ``karmadad.scheduler.core.schedule`` over 100 cluster snapshots, a
  mix of placements (Duplicated by labels, static weights, dynamic weights, Aggregated, spread by region)
  shared by many bindings as bindings of one policy share theirs, and again with every binding's placement
  and request unique; baseline: the shared mix re-parsing the 100 Cluster objects for every binding.
- end to end through the store: Deployments created by 16 concurrent clients into a store watched by the
  detector and the scheduler (8 workers each); detector claims/s (until every binding exists) and bindings scheduled/s (until every one is
  scheduled); baseline: the same number of binding writes straight into the store (its write floor).
- rescheduling every binding after one cluster's labels change (it starts matching the placement).

Prints one JSON document, then a short table.
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
from karmadad.controllers.detector import Detector
from karmadad.controllers.scheduler import SchedulerController
from karmadad.events import EventRecorder
from karmadad.scheduler.core import schedule
from karmadad.scheduler.snapshot import snapshot
from karmadad.store import open_store

CLUSTER_COUNT = 100
REGISTRY = default_registry()


def cluster(i: int) -> dict:
    return {
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {
            "name": f"member-{i:03d}",
            "labels": {"pool": "a" if i % 5 == 0 else "b", "tier": ("gold", "silver", "bronze")[i % 3]},
            "resourceVersion": str(i + 1),
        },
        "spec": {
            "syncMode": "Push",
            "provider": ("aws", "gcp", "azure")[i % 3],
            "region": f"region-{i % 5}",
            "zones": [f"zone-{i % 10}"],
            **({"taints": [{"key": "maintenance", "effect": "NoSchedule"}]} if i % 17 == 0 else {}),
        },
        "status": {
            "apiEnablements": [
                {"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}
            ],
            "resourceSummary": {
                "allocatable": {"cpu": str(16 + i % 48), "memory": "256Gi", "pods": "110"},
                "allocated": {"cpu": str(i % 8), "memory": "8Gi", "pods": str(i % 30)},
            },
        },
    }


PLACEMENTS = [
    {"clusterAffinity": {"labelSelector": {"matchLabels": {"pool": "a"}}}},
    {
        "clusterAffinity": {"labelSelector": {"matchLabels": {"tier": "gold"}}},
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {
                "staticWeightList": [
                    {"targetCluster": {"labelSelector": {"matchLabels": {"pool": "a"}}}, "weight": 3},
                    {"targetCluster": {"labelSelector": {"matchLabels": {"pool": "b"}}}, "weight": 1},
                ]
            },
        },
    },
    {
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"dynamicWeight": "AvailableReplicas"},
        }
    },
    {"replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"}},
    {
        "spreadConstraints": [
            {"spreadByField": "cluster", "minGroups": 3, "maxGroups": 5},
            {"spreadByField": "region", "minGroups": 3, "maxGroups": 3},
        ],
        "replicaScheduling": {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Aggregated"},
    },
]


def binding_spec(i: int) -> dict:
    return {
        "resource": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "namespace": "bench",
            "name": f"d{i}",
            "uid": f"uid-{i}",
        },
        "replicas": 10 + i % 20,
        "replicaRequirements": {"resourceRequest": {"cpu": "100m", "memory": "128Mi"}},
        "placement": PLACEMENTS[i % len(PLACEMENTS)],
    }


def unique_spec(i: int) -> dict:
    """A binding whose placement no other binding shares (nothing can be remembered between them)."""
    spec = binding_spec(i)
    excluded = {"key": "tier", "operator": "NotIn", "values": [f"tier-{i}"]}
    affinity = {"labelSelector": {"matchExpressions": [excluded]}}
    spec["placement"] = {**spec["placement"], "clusterAffinity": affinity}
    spec["replicaRequirements"] = {"resourceRequest": {"cpu": f"{100 + i}m", "memory": "128Mi"}}
    return spec


def pure(count: int) -> dict:
    clusters = [cluster(i) for i in range(CLUSTER_COUNT)]
    snapshots = [snapshot(c) for c in clusters]
    specs = [binding_spec(i) for i in range(count)]
    started = time.process_time()
    results = [schedule(spec, {}, snapshots) for spec in specs]
    ours = count / (time.process_time() - started)
    unique = [unique_spec(i) for i in range(count)]
    started = time.process_time()
    for spec in unique:
        schedule(spec, {}, snapshots)
    ours_unique = count / (time.process_time() - started)
    started = time.process_time()
    for spec in specs:
        schedule(spec, {}, [snapshot(c) for c in clusters])
    baseline = count / (time.process_time() - started)
    succeeded = sum(1 for r in results if r.reason == "Success")
    return {
        "pure_bindings_per_second": ours,
        "pure_unique_placements_per_second": ours_unique,
        "pure_baseline_reparse_per_second": baseline,
        "pure_success": succeeded,
    }


def deployment(i: int) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"d{i}", "namespace": "bench", "labels": {"app": f"d{i}"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": f"d{i}"}},
            "template": {
                "metadata": {"labels": {"app": f"d{i}"}},
                "spec": {
                    "containers": [
                        {"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "100m"}}}
                    ]
                },
            },
        },
    }


def prepared(group: str, version: str, plural: str, obj: dict) -> dict:
    return strategy.prepare_create(REGISTRY.get(group, version, plural), obj)


async def wait_until(check, within: float) -> float:
    started = time.perf_counter()
    with anyio.fail_after(within):
        while not check():  # noqa: ASYNC110 - polling the store's committed state is the measurement
            await anyio.sleep(0.2)
    return time.perf_counter() - started


async def end_to_end(directory: Path, count: int) -> dict:
    async with open_store(directory / "e2e.db") as store:
        for i in range(CLUSTER_COUNT):
            spec = cluster(i)
            spec["metadata"].pop("resourceVersion")
            created = await store.create(
                CLUSTERS, prepared("cluster.karmada.io", "v1alpha1", "clusters", spec)
            )
            await store.update(CLUSTERS, {**created, "status": cluster(i)["status"]})
        await store.create("namespaces", prepared("", "v1", "namespaces", {"metadata": {"name": "bench"}}))
        policy = {
            "apiVersion": "policy.karmada.io/v1alpha1",
            "kind": "PropagationPolicy",
            "metadata": {"name": "all", "namespace": "bench"},
            "spec": {
                "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}],
                "placement": {"clusterAffinity": {"labelSelector": {"matchLabels": {"pool": "a"}}}},
            },
        }
        await store.create(
            PROPAGATION_POLICIES, prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", policy)
        )
        recorder = EventRecorder(store, "bench")
        detector = Detector(store, REGISTRY, recorder)
        scheduler = SchedulerController(store, REGISTRY, recorder)

        def bindings() -> list[dict]:
            return store.list_all(RESOURCE_BINDINGS)

        def all_scheduled(extra: str | None = None) -> bool:
            found = bindings()
            return len(found) == count and all(
                (b.get("status") or {}).get("schedulerObservedGeneration") == b["metadata"].get("generation")
                and b["spec"].get("clusters")
                and (extra is None or any(t["name"] == extra for t in b["spec"]["clusters"]))
                for b in found
            )

        async with anyio.create_task_group() as tasks:
            await tasks.start(recorder.run)
            await tasks.start(detector.run)
            await tasks.start(scheduler.run)
            started = time.perf_counter()
            async with anyio.create_task_group() as creators:  # 16 clients creating templates at once
                for w in range(16):

                    async def create(part: range) -> None:
                        for i in part:
                            template = prepared("apps", "v1", "deployments", deployment(i))
                            await store.create("deployments.apps", template)

                    creators.start_soon(create, range(w, count, 16))
            created = time.perf_counter() - started
            await wait_until(lambda: len(bindings()) == count, 600)
            claimed = time.perf_counter() - started
            await wait_until(all_scheduled, 600)
            done = time.perf_counter() - started
            # one more cluster starts matching the placement: every binding is rescheduled onto it
            target = store.find(CLUSTERS, "", "member-001")
            labels = {**target["metadata"]["labels"], "pool": "a"}
            changed = time.perf_counter()
            await store.update(CLUSTERS, {**target, "metadata": {**target["metadata"], "labels": labels}})
            rescheduled = await wait_until(lambda: all_scheduled("member-001"), 600)
            tasks.cancel_scope.cancel()
        del changed
        # baseline: the same number of binding writes, straight into the store, 16 writers
        started = time.perf_counter()
        found = bindings()
        async with anyio.create_task_group() as writers:
            for w in range(16):

                async def write(part: list[dict]) -> None:
                    for binding in part:
                        spec = {**binding["spec"], "clusters": [{"name": "member-000", "replicas": 3}]}
                        await store.update(RESOURCE_BINDINGS, {**binding, "spec": spec})

                writers.start_soon(write, found[w::16])
        baseline = count / (time.perf_counter() - started)
    return {
        "bindings": count,
        "template_creates_per_second": count / created,
        "detector_claims_per_second": count / claimed,
        "end_to_end_scheduled_per_second": count / done,
        "baseline_binding_writes_per_second": baseline,
        "reschedule_all_after_label_change_seconds": rescheduled,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pure", type=int, default=5000)
    parser.add_argument("--bindings", type=int, default=10_000)
    args = parser.parse_args()
    result = {"clusters": CLUSTER_COUNT, **pure(args.pure)}
    with tempfile.TemporaryDirectory() as directory:
        result.update(anyio.run(end_to_end, Path(directory), args.bindings))
    print(json.dumps(result, indent=2))
    rows = [
        (
            "pure schedule, bindings/s (one core)",
            result["pure_bindings_per_second"],
            result["pure_baseline_reparse_per_second"],
        ),
        ("pure, every placement unique, bindings/s", result["pure_unique_placements_per_second"], None),
        ("detector claims/s", result["detector_claims_per_second"], None),
        (
            "scheduled end to end, bindings/s",
            result["end_to_end_scheduled_per_second"],
            result["baseline_binding_writes_per_second"],
        ),
        ("reschedule all after a label change, s", result["reschedule_all_after_label_change_seconds"], None),
    ]
    print(f"\n{'':<44}{'karmadad':>12}{'baseline':>12}")
    for name, ours, base in rows:
        print(f"{name:<44}{ours:>12.1f}{(f'{base:.1f}' if base is not None else '-'):>12}")


if __name__ == "__main__":
    main()
