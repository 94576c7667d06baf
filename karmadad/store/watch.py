"""Watches: which objects a client asked for, and a bounded, never-blocking delivery to each watcher.

Writers never wait for watchers. Each watcher has a fixed buffer; one that falls so far behind that
its buffer fills is closed with an ``Expired`` error, after which its client must list again (as
client-go's reflector does). A watch filtered by labels or fields sees an object enter the filter
as ADDED and leave it as DELETED, as kube-apiserver's watch cache does.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import anyio

from karmadad import metrics
from karmadad.errors import Expired, StatusError
from karmadad.selectors import FieldSelector, LabelSelector, object_fields
from karmadad.store.changes import Change

EventType = Literal["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"]


@dataclass(frozen=True, slots=True)
class Query:
    """Which objects of one resource a list or watch is about."""

    resource: str
    namespace: str | None = None  # None: all namespaces (or a cluster-scoped resource)
    labels: LabelSelector | None = None
    fields: FieldSelector | None = None

    def matches(self, obj: dict) -> bool:
        meta = obj["metadata"]
        if self.namespace is not None and meta.get("namespace", "") != self.namespace:
            return False
        if self.labels is not None and not self.labels.matches(meta.get("labels") or {}):
            return False
        return self.fields is None or self.fields.matches(object_fields(obj, self.resource))

    @property
    def filtered(self) -> bool:
        """True when objects can move in and out of the query by changing (labels, fields)."""
        return (self.labels is not None and not self.labels.empty) or self.fields is not None


@dataclass(frozen=True, slots=True)
class WatchEvent:
    type: EventType
    object: dict | None  # None for BOOKMARK; for ERROR see ``error``
    revision: int
    error: StatusError | None = None


def translate(query: Query, change: Change) -> WatchEvent | None:
    """The event a watcher with ``query`` sees for ``change``, or None when it sees nothing."""
    now = change.type != "DELETED" and query.matches(change.object)
    if not query.filtered:
        if query.namespace is None or change.namespace == query.namespace:
            return WatchEvent(change.type, change.object, change.revision)
        return None
    before = change.previous is not None and query.matches(change.previous)
    if change.type == "DELETED":
        return WatchEvent("DELETED", change.object, change.revision) if before else None
    if now:
        return WatchEvent("MODIFIED" if before else "ADDED", change.object, change.revision)
    return WatchEvent("DELETED", change.object, change.revision) if before else None


class Watcher:
    """One client's watch: an async iterator of :class:`WatchEvent`, ended by :meth:`close`."""

    def __init__(
        self,
        query: Query,
        *,
        buffer: int,
        current_revision: Callable[[], int],
        bookmark_interval: float | None,
        on_close: Callable[[Watcher], None],
    ):
        self.query = query
        self._buffer = buffer
        self._events: deque[WatchEvent] = deque()
        self._wakeup = asyncio.Event()  # asyncio's own: this runs once per event per watcher
        self._closed = False
        self._current_revision = current_revision
        self._bookmark_interval = bookmark_interval
        self._on_close = on_close

    def deliver(self, event: WatchEvent) -> None:
        if self._closed:
            return
        if len(self._events) >= self._buffer:
            self._events.clear()
            self._fail(Expired("watch closed: the client fell too far behind; list again"))
            return
        self._events.append(event)
        self._wakeup.set()

    def _fail(self, error: StatusError) -> None:
        self._events.append(WatchEvent("ERROR", error.status(), 0, error))
        self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._wakeup.set()
            self._on_close(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def __aiter__(self) -> Watcher:
        return self

    async def __anext__(self) -> WatchEvent:
        while not self._events:
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            interval = self._bookmark_interval if self._bookmark_interval is not None else math.inf
            with anyio.move_on_after(interval):
                await self._wakeup.wait()
                continue
            # Idle: everything up to the current revision has been delivered.
            return WatchEvent("BOOKMARK", None, self._current_revision())
        return self._events.popleft()

    def pending(self) -> int:
        return len(self._events)


class WatchHub:
    """Routes each committed change to the watchers of its resource."""

    def __init__(self, *, observed: bool = True) -> None:
        self._by_resource: dict[str, set[Watcher]] = {}
        self._observed = observed  # counted in karmadad's metrics

    def add(self, watcher: Watcher) -> None:
        self._by_resource.setdefault(watcher.query.resource, set()).add(watcher)
        if self._observed:
            metrics.STORE_WATCHERS.inc()

    def remove(self, watcher: Watcher) -> None:
        watchers = self._by_resource.get(watcher.query.resource)
        if watchers is not None and watcher in watchers:
            watchers.discard(watcher)
            if self._observed:
                metrics.STORE_WATCHERS.dec()

    def publish(self, change: Change) -> None:
        watchers = self._by_resource.get(change.resource)
        if not watchers:
            return
        for watcher in list(watchers):
            event = translate(watcher.query, change)
            if event is not None:
                watcher.deliver(event)

    def close_all(self) -> None:
        for watchers in list(self._by_resource.values()):
            for watcher in list(watchers):
                watcher.close()

    def count(self) -> int:
        return sum(len(w) for w in self._by_resource.values())
