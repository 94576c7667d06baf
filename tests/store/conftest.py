from __future__ import annotations

import anyio
import pytest

from karmadad.controllers.garbage_collector import GarbageCollector
from karmadad.controllers.namespace_lifecycle import NamespaceLifecycle
from karmadad.store import HistoryLimits, open_store


@pytest.fixture
async def store(tmp_path):
    async with open_store(tmp_path / "state.db", history=HistoryLimits(max_events=1000, max_age=60)) as store:
        yield store


@pytest.fixture
async def collected_store(tmp_path):
    """A store with its garbage collector and namespace lifecycle running."""
    async with open_store(tmp_path / "state.db") as store:
        async with anyio.create_task_group() as tasks:
            await tasks.start(GarbageCollector(store).run)
            await tasks.start(NamespaceLifecycle(store).run)
            yield store
            tasks.cancel_scope.cancel()


def configmap(name: str, namespace: str = "default", **extra) -> dict:
    meta = {"name": name, "namespace": namespace, **extra.pop("metadata", {})}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta,
        "data": extra.pop("data", {"k": "v"}),
        **extra,
    }
