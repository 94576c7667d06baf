"""Benchmark of the real-cluster test bed: how long N members take to start and what they cost.

    .venv/bin/python -m tests.bench.bench_members [--members 3] [--rounds 2]

Prints one JSON document and a short table: wall time from nothing to all members ready (one etcd,
and per member kube-apiserver, kube-controller-manager, kube-scheduler, kwok with ready fake Nodes),
resident memory per member and per component, and the size of the binaries on disk.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from tests.kube.binaries import build_binaries
from tests.kube.cluster import KubeHarness, rss_bytes

COMPONENTS = ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
MiB = 2**20


def one_round(members: int) -> dict:
    binaries = build_binaries()
    with tempfile.TemporaryDirectory(prefix="karmadad-bench-") as workdir:
        harness = KubeHarness(Path(workdir), binaries)
        started = time.monotonic()
        harness.up(members)
        elapsed = time.monotonic() - started
        time.sleep(5)  # let the controllers settle before reading memory
        per_member = {
            m.name: {c: rss_bytes(pid) / MiB for c, pid in zip(COMPONENTS, m.pids, strict=True)}
            for m in harness.members
        }
        etcd = rss_bytes(harness.etcd_pid or 0) / MiB
        harness.down()
    return {"start_seconds": elapsed, "rss_mib": per_member, "etcd_rss_mib": etcd}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rounds = [one_round(args.members) for _ in range(args.rounds)]
    binaries = build_binaries()
    disk = {p.name: p.stat().st_size / MiB for p in vars(binaries).values()}
    members = [m for r in rounds for m in r["rss_mib"].values()]
    totals = [sum(m.values()) for m in members]
    result = {
        "members": args.members,
        "start_seconds": [round(r["start_seconds"], 2) for r in rounds],
        "member_rss_mib_median": round(statistics.median(totals), 1),
        "member_rss_mib_max": round(max(totals), 1),
        "component_rss_mib_median": {
            c: round(statistics.median(m[c] for m in members), 1) for c in COMPONENTS
        },
        "etcd_rss_mib": [round(r["etcd_rss_mib"], 1) for r in rounds],
        "binaries_mib": {k: round(v, 1) for k, v in disk.items()},
        "binaries_total_mib": round(sum(disk.values()), 1),
    }
    print(json.dumps(result, indent=2))
    print(f"\n{'figure':<34}{'value':>12}")
    print(f"{'start ' + str(args.members) + ' members (s)':<34}{min(result['start_seconds']):>12.1f}")
    print(f"{'RSS per member, median (MiB)':<34}{result['member_rss_mib_median']:>12.0f}")
    for component, mib in result["component_rss_mib_median"].items():
        print(f"{'  ' + component:<34}{mib:>12.0f}")
    print(f"{'shared etcd RSS (MiB)':<34}{max(result['etcd_rss_mib']):>12.0f}")
    print(f"{'binaries on disk (MiB)':<34}{result['binaries_total_mib']:>12.0f}")


if __name__ == "__main__":
    main()
