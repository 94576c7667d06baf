"""The informer over the local store: fills, follows, indexes, and recovers from expired watches."""

from __future__ import annotations

import anyio
import pytest

from karmadad.runtime.informer import Handler, Informer, StoreSource
from karmadad.store import HistoryLimits, Query, open_store
from tests.store.conftest import configmap

pytestmark = pytest.mark.anyio


async def eventually(check, within: float = 5.0) -> None:
    with anyio.fail_after(within):
        while not check():  # noqa: ASYNC110 - polling cached state is the point
            await anyio.sleep(0.01)


def by_app(obj: dict) -> list[str]:
    app = (obj["metadata"].get("labels") or {}).get("app")
    return [app] if app else []


async def test_informer_lists_then_follows_with_indexes_and_handlers(tmp_path):
    async with open_store(tmp_path / "s.db") as store:
        await store.create("configmaps", configmap("a", metadata={"labels": {"app": "web"}}))
        informer = Informer(StoreSource(store, Query("configmaps")), indexers={"app": by_app})
        seen: list[tuple[str, str]] = []
        informer.add_handler(
            Handler(
                on_add=lambda o: seen.append(("add", o["metadata"]["name"])),
                on_update=lambda old, new: seen.append(("update", new["metadata"]["name"])),
                on_delete=lambda o: seen.append(("delete", o["metadata"]["name"])),
            )
        )
        async with anyio.create_task_group() as tasks:
            await tasks.start(informer.run)
            assert informer.has_synced and informer.keys() == ["default/a"]
            b = await store.create("configmaps", configmap("b", metadata={"labels": {"app": "web"}}))
            await store.update("configmaps", {**b, "metadata": {**b["metadata"], "labels": {"app": "db"}}})
            await store.delete("configmaps", "default", "a")
            await eventually(lambda: informer.get("default/a") is None and informer.by_index("app", "db"))
            assert [o["metadata"]["name"] for o in informer.by_index("app", "db")] == ["b"]
            assert informer.by_index("app", "web") == []
            assert [o["metadata"]["name"] for o in informer.by_index("namespace", "default")] == ["b"]
            assert seen == [("add", "a"), ("add", "b"), ("update", "b"), ("delete", "a")]
            assert informer.revision == store.revision
            tasks.cancel_scope.cancel()


async def test_informer_relists_when_its_watch_falls_behind(tmp_path):
    async with open_store(tmp_path / "s.db", history=HistoryLimits(max_events=10), watch_buffer=3) as store:
        source = StoreSource(store, Query("configmaps"))
        lists = []
        plain_list = source.list

        async def counted_list():
            lists.append(store.revision)
            return await plain_list()

        source.list = counted_list
        informer = Informer(source, relist_backoff=0.01)
        deleted: list[str] = []
        informer.add_handler(Handler(on_delete=lambda o: deleted.append(o["metadata"]["name"])))
        async with anyio.create_task_group() as tasks:
            await tasks.start(informer.run)
            await store.create("configmaps", configmap("gone"))
            await eventually(lambda: informer.get("default/gone") is not None)
            # A burst overflows the watch buffer before the informer reads: it must list again.
            async with anyio.create_task_group() as burst:
                for i in range(30):
                    burst.start_soon(store.create, "configmaps", configmap(f"cm-{i}"))
                burst.start_soon(store.delete, "configmaps", "default", "gone")
            await eventually(lambda: len(informer.keys()) == 30 and informer.revision == store.revision)
            assert "default/gone" not in informer.keys() and deleted == ["gone"]
            assert len(lists) >= 2, "the informer should have listed again"
            tasks.cancel_scope.cancel()
