"""``python -m tests.kube up --members N --dir DIR`` / ``python -m tests.kube down --dir DIR``.

``up`` builds the binaries if needed, starts one etcd and N members, writes ``DIR/<member>.kubeconfig``
and ``DIR/clusters.yaml`` (a ``clusters:`` list for the karmadad config), prints what it started,
and returns leaving them running. ``down`` stops everything ``up`` started in DIR.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from tests.kube.binaries import KubeBinaries, build_binaries
from tests.kube.cluster import KubeHarness, NodeShape


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.kube", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start member clusters and leave them running")
    up.add_argument("--members", type=int, default=3)
    up.add_argument("--dir", type=Path, required=True)
    up.add_argument("--nodes", type=int, default=NodeShape.count, help="fake Nodes per member")
    up.add_argument("--node-cpu", default=NodeShape.cpu)
    up.add_argument("--node-memory", default=NodeShape.memory)
    up.add_argument("--node-pods", default=NodeShape.pods)
    down = commands.add_parser("down", help="stop the clusters started in DIR")
    down.add_argument("--dir", type=Path, required=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "down":
        KubeHarness.attach(args.dir, KubeBinaries.expected()).down()
        print(f"stopped the clusters in {args.dir}")
        return 0
    if args.members < 1:
        print("--members must be at least 1", file=sys.stderr)
        return 2
    binaries = build_binaries()
    shape = NodeShape(count=args.nodes, cpu=args.node_cpu, memory=args.node_memory, pods=args.node_pods)
    harness = KubeHarness(args.dir, binaries)
    # A stop while starting (SIGTERM, like Ctrl-C) unwinds through up(), which stops what it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    started = time.monotonic()
    members = harness.up(args.members, shape)
    elapsed = time.monotonic() - started
    rss = harness.member_rss()
    print(
        f"{len(members)} members ready in {elapsed:.1f}s; clusters list: {harness.workdir / 'clusters.yaml'}"
    )
    for member in sorted(members, key=lambda m: m.name):
        mib = rss[member.name] / 2**20
        print(f"  {member.name}  {member.server}  kubeconfig={member.kubeconfig}  rss={mib:.0f}MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
