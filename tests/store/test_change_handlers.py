"""Change handlers: the controllers' run in commit order off the writer's task (a slow one never holds up a
write), the indexes' before the write is acknowledged; one that raises is logged and counted, and neither
the write nor the other handlers suffer."""

from __future__ import annotations

import pytest

from karmadad import metrics
from karmadad.store import Change
from tests.controllers.fake_member import drained
from tests.store.conftest import configmap

pytestmark = pytest.mark.anyio


async def test_a_failing_handler_neither_fails_the_write_nor_starves_the_others(store):
    seen: list[tuple[str, str]] = []
    secrets_seen: list[str] = []

    def broken(change: Change) -> None:
        raise RuntimeError("a bug in a controller")

    store.subscribe(broken)
    store.subscribe(lambda change: seen.append((change.resource, change.name)))
    store.subscribe(lambda change: secrets_seen.append(change.name), resources=("secrets",))
    indexed: list[str] = []
    store.subscribe_index(broken, resources=("configmaps",))
    store.subscribe_index(lambda change: indexed.append(change.name), resources=("configmaps",))
    errors = metrics.CHANGE_HANDLER_ERRORS.labels(broken.__qualname__)
    before = errors._value.get()
    created = await store.create("configmaps", configmap("a"))
    assert created["metadata"]["resourceVersion"]
    assert indexed == ["a"], "an index hears before the write is acknowledged"
    await drained([store], [])
    assert seen == [("configmaps", "a")]
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}}
    await store.create("secrets", secret)
    await store.create("configmaps", configmap("b"))
    await drained([store], [])
    assert seen == [("configmaps", "a"), ("secrets", "s"), ("configmaps", "b")]
    assert secrets_seen == ["s"], "a handler of one resource hears only its changes"
    assert indexed == ["a", "b"]
    assert errors._value.get() == before + 5
    assert store.writable and store.find("configmaps", "default", "b") is not None
