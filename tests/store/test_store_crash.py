"""kill -9 at random moments loses nothing acknowledged, never rewinds the revision, never corrupts."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest

from karmadad.store import Query, open_store

ROUNDS = 24
ROOT = Path(__file__).parents[2]


def read_acks(path: Path) -> list[list[str]]:
    text = path.read_text() if path.exists() else ""
    lines = text.split("\n")
    return [line.split() for line in lines[:-1]]  # the last piece may be a line cut by the kill


async def verify(db: Path, acks: list[list[str]], previous_revision: int) -> int:
    async with open_store(db) as store:
        assert await store.integrity_check() == "ok"
        assert store.revision >= previous_revision, "the revision went backwards"
        acked_revisions = [int(a[-1]) for a in acks if a[0] in ("create", "update")]
        assert store.revision >= max(acked_revisions, default=0)
        names = {o["metadata"]["name"]: o for o in store.list(Query("configmaps", "default")).items}
        counters: dict[str, int] = {}
        for ack in acks:
            if ack[0] == "create":
                _, name, revision = ack
                assert name in names, f"acknowledged create of {name} (revision {revision}) was lost"
            elif ack[0] == "update":
                _, name, value, _ = ack
                counters[name] = max(counters.get(name, 0), int(value))
        for name, value in counters.items():
            assert int(names[name]["data"]["n"]) >= value, f"acknowledged update {name}={value} was lost"
        return store.revision


@pytest.mark.slow  # kills a writer process again and again
@pytest.mark.parametrize("durability", ["normal", "full"])
def test_kill_minus_9_loses_nothing_acknowledged(tmp_path, durability):
    db = tmp_path / "state.db"
    rng = random.Random(20261125)
    revision = 0
    kills = 0
    for round_ in range(ROUNDS):
        ack_log = tmp_path / f"acks-{round_}.log"
        child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.store.crash_writer",
                str(db),
                str(ack_log),
                str(round_),
                durability,
            ],
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 30
            while len(read_acks(ack_log)) < 2 and time.monotonic() < deadline:  # opened and writing
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.4))
            assert child.poll() is None, "the writer died on its own"
            child.send_signal(signal.SIGKILL)
            kills += 1
        finally:
            child.kill()
            child.wait()
        acks = read_acks(ack_log)
        assert len(acks) > 1
        revision = anyio.run(verify, db, acks, revision)
    assert kills >= 20
