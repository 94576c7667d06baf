"""Benchmark of the object store, each figure beside a baseline measured in the same run.

    .venv/bin/python -m tests.bench.bench_store [--writes 8000] [--seconds 5]

- writes/s of small objects with 16 concurrent writers, per durability setting (median of three);
  baseline: the same writers against the same SQLite settings with one transaction per write.
- watch delivery latency (commit to watcher) at a paced 1,000 writes/s with 20 watchers; baseline:
  the writers' own acknowledgement latency over the same writes.
- list of 10,000 objects from the store; baseline: reading and decoding the same rows from SQLite.

Prints one JSON document, then a short table.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import aiosqlite
import anyio

from karmadad.store import Query, open_store

WRITERS = 16
WATCHERS = 20


def small_object(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": "bench"}},
        "data": {"key": "value"},
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def store_writes(directory: Path, durability: str, total: int, attempt: int) -> float:
    async with open_store(directory / f"writes-{durability}-{attempt}.db", durability=durability) as store:
        per_writer = total // WRITERS

        async def writer(w: int) -> None:
            for i in range(per_writer):
                await store.create("configmaps", small_object(f"w{w}-{i}"))

        started = time.perf_counter()
        async with anyio.create_task_group() as tasks:
            for w in range(WRITERS):
                tasks.start_soon(writer, w)
        return per_writer * WRITERS / (time.perf_counter() - started)


async def naive_writes(directory: Path, durability: str, total: int, attempt: int) -> float:
    """Baseline: every write its own transaction, serialised through one connection."""
    db = await aiosqlite.connect(directory / f"naive-{durability}-{attempt}.db", isolation_level=None)
    await db.execute("PRAGMA journal_mode=WAL")
    await db.execute(f"PRAGMA synchronous={durability.upper()}")
    await db.execute("CREATE TABLE objects (k TEXT PRIMARY KEY, revision INTEGER, data TEXT) WITHOUT ROWID")
    lock = anyio.Lock()
    revision = 0
    per_writer = total // WRITERS

    async def writer(w: int) -> None:
        nonlocal revision
        for i in range(per_writer):
            async with lock:
                revision += 1
                data = json.dumps(small_object(f"w{w}-{i}"))
                await db.execute("INSERT INTO objects VALUES (?, ?, ?)", (f"w{w}-{i}", revision, data))

    started = time.perf_counter()
    async with anyio.create_task_group() as tasks:
        for w in range(WRITERS):
            tasks.start_soon(writer, w)
    elapsed = time.perf_counter() - started
    await db.close()
    return per_writer * WRITERS / elapsed


async def watch_latency(directory: Path, seconds: float, rate: int = 1000) -> dict:
    async with open_store(directory / "watch.db") as store:
        sent: dict[str, float] = {}
        delays: list[float] = []
        acks: list[float] = []
        total = int(seconds * rate)
        watchers = [store.watch(Query("configmaps"), since=store.revision) for _ in range(WATCHERS)]

        async def consume(watcher) -> None:
            seen = 0
            async for event in watcher:
                delays.append(time.perf_counter() - sent[event.object["metadata"]["name"]])
                seen += 1
                if seen == total:
                    return

        async def produce() -> None:
            started = time.perf_counter()
            async with anyio.create_task_group() as writes:
                for i in range(total):
                    due = started + i / rate
                    if (pause := due - time.perf_counter()) > 0:
                        await anyio.sleep(pause)
                    writes.start_soon(write_one, f"cm-{i}")

        async def write_one(name: str) -> None:
            sent[name] = time.perf_counter()
            await store.create("configmaps", small_object(name))
            acks.append(time.perf_counter() - sent[name])

        with anyio.fail_after(seconds * 10 + 30):
            async with anyio.create_task_group() as tasks:
                for watcher in watchers:
                    tasks.start_soon(consume, watcher)
                await produce()
        assert len(delays) == total * WATCHERS
        return {
            "writes": total,
            "watchers": WATCHERS,
            "delivery_p50_ms": percentile(delays, 0.50) * 1e3,
            "delivery_p99_ms": percentile(delays, 0.99) * 1e3,
            "delivery_max_ms": max(delays) * 1e3,
            "baseline_ack_p50_ms": percentile(acks, 0.50) * 1e3,
            "baseline_ack_p99_ms": percentile(acks, 0.99) * 1e3,
        }


async def list_10k(directory: Path) -> dict:
    path = directory / "list.db"
    async with open_store(path) as store:
        for start in range(0, 10_000, 500):
            async with anyio.create_task_group() as tasks:
                for i in range(start, start + 500):
                    tasks.start_soon(store.create, "configmaps", small_object(f"cm-{i:05}"))
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            items = store.list(Query("configmaps", "default")).items
            timings.append(time.perf_counter() - started)
        assert len(items) == 10_000
    baseline = []
    with sqlite3.connect(path) as db:
        for _ in range(20):
            started = time.perf_counter()
            rows = db.execute("SELECT data FROM objects WHERE resource='configmaps' ORDER BY namespace, name")
            decoded = [json.loads(data) for (data,) in rows]
            baseline.append(time.perf_counter() - started)
        assert len(decoded) == 10_000
    return {
        "objects": 10_000,
        "list_median_ms": statistics.median(timings) * 1e3,
        "list_max_ms": max(timings) * 1e3,
        "baseline_sqlite_decode_median_ms": statistics.median(baseline) * 1e3,
    }


async def run(total: int, seconds: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="karmadad-bench-") as tmp:
        directory = Path(tmp)
        writes = {}
        for durability in ("full", "normal"):
            # Alternate the two so machine noise hits both alike; report medians of three.
            ours, naive = [], []
            for attempt in range(3):
                ours.append(await store_writes(directory, durability, total, attempt))
                naive.append(await naive_writes(directory, durability, total, attempt))
            writes[durability] = {
                "store_writes_per_s": statistics.median(ours),
                "store_writes_per_s_runs": [round(x) for x in ours],
                "baseline_txn_per_write_per_s": statistics.median(naive),
            }
        return {
            "writers": WRITERS,
            "writes": writes,
            "watch": await watch_latency(directory, seconds),
            "list": await list_10k(directory),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=8000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    result = anyio.run(run, args.writes, args.seconds)
    print(json.dumps(result, indent=2))
    rows = []
    for durability, figures in result["writes"].items():
        rows.append(
            (
                f"writes/s, 16 writers, synchronous={durability}",
                figures["store_writes_per_s"],
                figures["baseline_txn_per_write_per_s"],
            )
        )
    watch = result["watch"]
    rows.append(
        (
            "watch delivery p99 ms (1000 w/s, 20 watchers)",
            watch["delivery_p99_ms"],
            watch["baseline_ack_p99_ms"],
        )
    )
    listed = result["list"]
    rows.append(
        (
            "list 10,000 objects, median ms",
            listed["list_median_ms"],
            listed["baseline_sqlite_decode_median_ms"],
        )
    )
    print(f"\n{'figure':<50}{'karmadad':>12}{'baseline':>12}")
    for name, value, baseline in rows:
        print(f"{name:<50}{value:>12.1f}{baseline:>12.1f}")


if __name__ == "__main__":
    main()
