"""Watches: resuming from any revision in the window, expiry, filters, slow watchers, bookmarks."""

from __future__ import annotations

import anyio
import pytest

from karmadad.errors import Expired
from karmadad.selectors import parse_label_selector
from karmadad.store import HistoryLimits, Query, open_store
from tests.store.conftest import configmap

pytestmark = pytest.mark.anyio


async def drain(watcher, count: int, within: float = 2.0) -> list:
    events = []
    with anyio.fail_after(within):
        async for event in watcher:
            events.append(event)
            if len(events) == count:
                break
    return events


async def test_resume_from_every_revision_in_the_window_sees_exactly_the_later_events(tmp_path):
    async with open_store(tmp_path / "s.db", history=HistoryLimits(max_events=30)) as store:
        start = store.revision
        for i in range(20):
            obj = await store.create("configmaps", configmap(f"cm-{i}"))
            if i % 3 == 0:
                await store.update("configmaps", {**obj, "data": {"k": str(i)}})
            if i % 5 == 0:
                await store.delete("configmaps", "default", f"cm-{i}")
        end = store.revision
        history = [
            (e.type, e.revision) for e in await drain(store.watch(Query("configmaps"), since=end - 30), 30)
        ]
        assert [rev for _, rev in history] == list(range(end - 29, end + 1))
        oldest = end - 30
        for since in range(oldest, end + 1):
            watcher = store.watch(Query("configmaps"), since=since)
            got = [(e.type, e.revision) for e in await drain(watcher, end - since)] if since < end else []
            assert got == [h for h in history if h[1] > since], since
            assert watcher.pending() == 0
            watcher.close()
        for too_old in (oldest - 1, start):
            with pytest.raises(Expired) as expired:
                store.watch(Query("configmaps"), since=too_old)
            assert expired.value.status()["code"] == 410
            assert "too old resource version" in expired.value.message


async def test_history_ages_out(tmp_path):
    now = [1000.0]
    async with open_store(
        tmp_path / "s.db", history=HistoryLimits(max_age=10), clock=lambda: now[0]
    ) as store:
        first = await store.create("configmaps", configmap("a"))
        now[0] += 11
        await store.create("configmaps", configmap("b"))
        with pytest.raises(Expired):
            store.watch(Query("configmaps"), since=int(first["metadata"]["resourceVersion"]) - 1)
        assert store.watch(Query("configmaps"), since=int(first["metadata"]["resourceVersion"]))


async def test_watch_without_revision_starts_with_the_current_objects(store):
    await store.create("configmaps", configmap("a"))
    await store.create("configmaps", configmap("b"))
    watcher = store.watch(Query("configmaps"))
    await store.create("configmaps", configmap("c"))
    events = await drain(watcher, 3)
    assert [(e.type, e.object["metadata"]["name"]) for e in events] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
        ("ADDED", "c"),
    ]


async def test_label_filtered_watch_sees_objects_enter_and_leave(store):
    watcher = store.watch(
        Query("configmaps", "default", labels=parse_label_selector("app=web")), since=store.revision
    )
    obj = await store.create("configmaps", configmap("a"))
    obj = await store.update("configmaps", {**obj, "metadata": {**obj["metadata"], "labels": {"app": "web"}}})
    obj = await store.update("configmaps", {**obj, "data": {"k": "2"}})
    obj = await store.update("configmaps", {**obj, "metadata": {**obj["metadata"], "labels": {"app": "db"}}})
    await store.delete("configmaps", "default", "a")
    events = await drain(watcher, 3)
    assert [e.type for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    assert events[2].object["metadata"]["labels"] == {"app": "db"}
    assert watcher.pending() == 0


async def test_namespace_scoped_watch(store):
    await store.create("namespaces", {"metadata": {"name": "other"}})
    watcher = store.watch(Query("configmaps", "other"), since=store.revision)
    await store.create("configmaps", configmap("a"))
    await store.create("configmaps", configmap("b", namespace="other"))
    events = await drain(watcher, 1)
    assert events[0].object["metadata"]["namespace"] == "other" and watcher.pending() == 0


async def test_a_slow_watcher_is_closed_and_never_blocks_writers(store):
    slow = store.watch(Query("configmaps"), since=store.revision, buffer=5)
    fast = store.watch(Query("configmaps"), since=store.revision)
    with anyio.fail_after(5):
        for i in range(20):
            await store.create("configmaps", configmap(f"cm-{i}"))
    events = [e async for e in slow]
    assert [e.type for e in events] == ["ERROR"]
    assert isinstance(events[0].error, Expired) and events[0].object["code"] == 410
    assert len(await drain(fast, 20)) == 20


async def test_bookmarks_carry_the_current_revision(store):
    watcher = store.watch(Query("configmaps"), since=store.revision, bookmark_interval=0.05)
    await store.create("configmaps", configmap("a"))
    events = await drain(watcher, 2)
    assert [e.type for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1].revision == store.revision and events[1].object is None


async def test_watchers_end_when_the_store_stops(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        watcher = store.watch(Query("configmaps"), since=store.revision)
    with anyio.fail_after(1):
        assert [e async for e in watcher] == []
