"""Informers: a list-then-watch cache of one resource, with indexes and event handlers.

Controllers read from informer caches, never from the source directly, and handlers only enqueue
keys. The source is anything that can list and watch — the local store today, a member cluster's
API the same way — so one informer type serves both. When a watch breaks or its revision has
expired, the informer lists again and tells handlers the difference, as client-go's reflector does.
"""

from __future__ import annotations

import builtins
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

import anyio
from anyio.abc import TaskStatus

from karmadad import metrics
from karmadad.errors import Expired
from karmadad.logs import get_logger
from karmadad.store.store import Store, revision_of
from karmadad.store.watch import Query

log = get_logger("informer")
MAX_BACKOFF = 30.0

Indexer = Callable[[dict], list[str]]
Transform = Callable[[dict], dict]


@dataclass(frozen=True)
class SourceEvent:
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK
    object: dict | None
    revision: int


class Source(Protocol):
    """What an informer needs from where the objects live."""

    name: str
    cluster: str  # "" for the local store
    resource: str

    async def list(self) -> tuple[list[dict], int]:
        """Every object and the revision the list is consistent at."""
        ...

    def watch(self, since: int) -> AsyncIterator[SourceEvent]:
        """Changes after ``since``; raises Expired when ``since`` is too old."""
        ...


class StoreSource:
    """The local object store as an informer source."""

    def __init__(self, store: Store, query: Query, *, bookmark_interval: float | None = 60.0):
        self.store = store
        self.query = query
        self.name = query.resource
        self.cluster, self.resource = "", query.resource
        self._bookmark_interval = bookmark_interval

    async def list(self) -> tuple[list[dict], int]:
        result = self.store.list(self.query)
        return result.items, result.revision

    async def watch(self, since: int) -> AsyncIterator[SourceEvent]:
        watcher = self.store.watch(self.query, since=since, bookmark_interval=self._bookmark_interval)
        try:
            async for event in watcher:
                if event.type == "ERROR":
                    raise event.error or Expired("watch failed")
                yield SourceEvent(event.type, event.object, event.revision)
        finally:
            watcher.close()


def object_key(obj: dict) -> str:
    """``namespace/name``, or ``name`` for cluster-scoped objects (client-go's key format)."""
    meta = obj["metadata"]
    namespace = meta.get("namespace")
    return f"{namespace}/{meta['name']}" if namespace else meta["name"]


def namespace_index(obj: dict) -> list[str]:
    return [obj["metadata"].get("namespace", "")]


@dataclass(frozen=True)
class Handler:
    on_add: Callable[[dict], None] | None = None
    on_update: Callable[[dict, dict], None] | None = None
    on_delete: Callable[[dict], None] | None = None


class Informer:
    def __init__(
        self,
        source: Source,
        *,
        transform: Transform | None = None,
        indexers: dict[str, Indexer] | None = None,
        relist_backoff: float = 1.0,
    ):
        self.source = source
        self._transform = transform
        self._indexers = {"namespace": namespace_index, **(indexers or {})}
        self._indexes: dict[str, dict[str, set[str]]] = {name: {} for name in self._indexers}
        self._cache: dict[str, dict] = {}
        self._handlers: list[Handler] = []
        self._synced = anyio.Event()
        self._revision = 0
        self._relist_backoff = relist_backoff

    # -- reading -----------------------------------------------------------------------------

    def get(self, key: str) -> dict | None:
        return self._cache.get(key)

    def list(self) -> list[dict]:
        return list(self._cache.values())

    def keys(self) -> builtins.list[str]:
        return list(self._cache)

    def items(self) -> builtins.list[tuple[str, dict]]:
        return list(self._cache.items())

    def by_index(self, index: str, value: str) -> builtins.list[dict]:
        return [self._cache[k] for k in self._indexes[index].get(value, ())]

    @property
    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_synced(self) -> None:
        await self._synced.wait()

    @property
    def revision(self) -> int:
        return self._revision

    def add_handler(self, handler: Handler) -> None:
        """Register handlers; objects already cached are replayed to ``on_add``."""
        self._handlers.append(handler)
        if handler.on_add is not None:
            for obj in list(self._cache.values()):
                handler.on_add(obj)

    # -- running -----------------------------------------------------------------------------

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """List, report started once the cache is filled, then watch from the list's revision.

        A broken watch resumes from the last revision seen (events or bookmarks); only an expired
        revision costs a new list. Failures back off exponentially with jitter, up to 30 s.
        """
        started = False
        failures = 0
        labels = (self.source.cluster, self.source.resource)
        events, lists = metrics.INFORMER_EVENTS.labels(*labels), metrics.INFORMER_LISTS.labels(*labels)
        restarts = metrics.INFORMER_WATCH_RESTARTS.labels(*labels)
        while True:
            lists.inc()
            try:
                items, revision = await self.source.list()
            except Exception as error:
                failures += 1
                log.warning(
                    "list failed; retrying", source=self.source.name, error=str(error), failures=failures
                )
                await anyio.sleep(self._backoff(failures))
                continue
            self._replace(items, revision)
            del items  # the raw listed objects: only their transformed forms stay cached
            failures = 0
            if not started:
                started = True
                self._synced.set()
                task_status.started()
            while True:
                try:
                    async for event in self.source.watch(self._revision):
                        self._apply(event)
                        events.inc()
                        failures = 0
                except Expired:
                    log.info("watch expired; listing again", source=self.source.name, revision=self._revision)
                    break
                except Exception as error:
                    failures += 1
                    log.warning(
                        "watch failed; resuming",
                        source=self.source.name,
                        error=str(error),
                        revision=self._revision,
                        failures=failures,
                    )
                    await anyio.sleep(self._backoff(failures))
                restarts.inc()
                # else: the server ended the watch (its timeout); resume from the same revision

    def _backoff(self, failures: int) -> float:
        return min(MAX_BACKOFF, self._relist_backoff * 2 ** (failures - 1)) * random.uniform(0.8, 1.2)

    def _replace(self, items: builtins.list[dict], revision: int) -> None:
        fresh = {}
        for obj in items:
            obj = self._transform(obj) if self._transform else obj
            fresh[object_key(obj)] = obj
        for key in [k for k in self._cache if k not in fresh]:
            self._delete(key)
        for key, obj in fresh.items():
            old = self._cache.get(key)
            if old is None or old["metadata"].get("resourceVersion") != obj["metadata"].get(
                "resourceVersion"
            ):
                self._upsert(key, obj)
        self._revision = revision

    def _apply(self, event: SourceEvent) -> None:
        if event.type == "BOOKMARK":
            self._revision = max(self._revision, event.revision)
            return
        obj = event.object
        assert obj is not None
        obj = self._transform(obj) if self._transform else obj
        key = object_key(obj)
        if event.type == "DELETED":
            self._delete(key, last=obj)
        else:
            self._upsert(key, obj)
        self._revision = max(self._revision, revision_of(obj))

    def _upsert(self, key: str, obj: dict) -> None:
        old = self._cache.get(key)
        if old is not None:
            self._unindex(key, old)
        self._cache[key] = obj
        self._index(key, obj)
        for handler in self._handlers:
            if old is None and handler.on_add is not None:
                handler.on_add(obj)
            elif old is not None and handler.on_update is not None:
                handler.on_update(old, obj)

    def _delete(self, key: str, last: dict | None = None) -> None:
        old = self._cache.pop(key, None)
        if old is None:
            return
        self._unindex(key, old)
        for handler in self._handlers:
            if handler.on_delete is not None:
                handler.on_delete(last or old)

    def _index(self, key: str, obj: dict) -> None:
        for name, indexer in self._indexers.items():
            for value in indexer(obj):
                self._indexes[name].setdefault(value, set()).add(key)

    def _unindex(self, key: str, obj: dict) -> None:
        for name, indexer in self._indexers.items():
            index = self._indexes[name]
            for value in indexer(obj):
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
