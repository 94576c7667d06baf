"""Child process of the crash test: writes as fast as it can and records each acknowledged write.

    python -m tests.store.crash_writer DB ACK_LOG ROUND DURABILITY

Eight tasks create objects and one keeps updating a counter. A line goes to ACK_LOG (unbuffered)
only after the store acknowledged the write; the parent kills this process at a random moment and
checks that every recorded write survived.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import anyio

from karmadad.store import open_store


async def main(db: Path, ack_log: Path, round_: int, durability: str) -> None:
    fd = os.open(ack_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def ack(line: str) -> None:
        os.write(fd, (line + "\n").encode())

    async with open_store(db, durability=durability) as store:
        ack(f"open {store.revision}")

        async def creator(task: int) -> None:
            for i in range(1_000_000):
                name = f"r{round_}-t{task}-{i}"
                obj = await store.create(
                    "configmaps", {"metadata": {"name": name, "namespace": "default"}, "data": {"i": str(i)}}
                )
                ack(f"create {name} {obj['metadata']['resourceVersion']}")

        async def counter() -> None:
            name = f"counter-{round_}"
            obj = await store.create(
                "configmaps", {"metadata": {"name": name, "namespace": "default"}, "data": {"n": "0"}}
            )
            for n in range(1, 1_000_000):
                obj = await store.update("configmaps", {**obj, "data": {"n": str(n)}})
                ack(f"update {name} {n} {obj['metadata']['resourceVersion']}")

        async with anyio.create_task_group() as tasks:
            for task in range(8):
                tasks.start_soon(creator, task)
            tasks.start_soon(counter)


if __name__ == "__main__":
    anyio.run(main, Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
