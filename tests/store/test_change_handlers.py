"""Change handlers (the controllers' subscriptions) run in commit order before a write is acknowledged;
one that raises is logged and counted, and neither the write nor the other handlers suffer."""

from __future__ import annotations

import pytest

from karmadad import metrics
from karmadad.store import Change
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
    errors = metrics.CHANGE_HANDLER_ERRORS.labels(broken.__qualname__)
    before = errors._value.get()
    created = await store.create("configmaps", configmap("a"))
    assert created["metadata"]["resourceVersion"]
    assert seen == [("configmaps", "a")], "heard before the write was acknowledged"
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "default"}}
    await store.create("secrets", secret)
    await store.create("configmaps", configmap("b"))
    assert seen == [("configmaps", "a"), ("secrets", "s"), ("configmaps", "b")]
    assert secrets_seen == ["s"], "a handler of one resource hears only its changes"
    assert errors._value.get() == before + 3
    assert store.writable and store.find("configmaps", "default", "b") is not None
