"""Events: what controllers tell people about objects, written as core/v1 Events for ``kubectl describe``.

Karmada's controllers report what they did to a template, a binding or a cluster as Events, and users read
them with ``kubectl describe`` and ``kubectl get events``; so do ours, with client-go's recorder behaviour:

- Recording never blocks and never fails the caller: :meth:`EventRecorder.event` queues, and
  :meth:`EventRecorder.run` writes what queued up meanwhile all at once, so a burst of events costs a few
  store commits rather than one each (and the queue keeps up with a burst of a thousand templates). When
  the queue is full the event is dropped and counted (``karmadad_events_dropped_total``); a write that
  fails is logged.
- An Event lives in its object's namespace (``default`` for cluster-scoped objects) and is named
  ``<object name>.<hex>`` — or a random UUID when that is no valid name (an object name near the
  253-character limit, or one only its own kind allows, such as ``system:controller``), so an Event
  about such an object is still written.
- The same event again (same object, type, reason and message) within ten minutes of its last occurrence
  adds to ``count`` and moves ``lastTimestamp`` of the Event already written, rather than adding another.
- kube-apiserver drops an Event an hour after its last write (``--event-ttl``); :func:`expire_events`
  does that here with one sweep a minute, cheaper than a timer per Event.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
from anyio.abc import TaskStatus

from karmadad import metrics
from karmadad.api.builtin import default_registry
from karmadad.api.name_rules import is_dns_subdomain
from karmadad.api.strategy import prepare_create
from karmadad.errors import AlreadyExists, Conflict, NotFound
from karmadad.logs import describe_object, get_logger
from karmadad.store import Store

log = get_logger("events")

EVENTS = "events"
NORMAL, WARNING = "Normal", "Warning"
EVENT_TTL = 3600.0  # seconds an Event outlives its last write: kube-apiserver's default --event-ttl
REPEAT_WINDOW = 600.0  # seconds within which the same event again updates the Event already written
SWEEP_INTERVAL = 60.0
QUEUE_SIZE = 1000
_REMEMBERED = 4096  # written events remembered for repeats (client-go's cache is this size too)
_UPDATE_ATTEMPTS = 3
_EVENT_TYPE = default_registry().require("", "v1", "events")


def involved_object(obj: dict) -> dict:
    """An ObjectReference to ``obj``: the fields client-go's reference helper fills, empty ones left out."""
    meta = obj.get("metadata") or {}
    ref = {
        "kind": obj.get("kind"),
        "namespace": meta.get("namespace"),
        "name": meta.get("name"),
        "uid": meta.get("uid"),
        "apiVersion": obj.get("apiVersion"),
        "resourceVersion": meta.get("resourceVersion"),
    }
    return {key: value for key, value in ref.items() if value}


def template_of(binding: dict) -> dict | None:
    """The resource template a binding is for, as an object Events can be about (None: it names none)."""
    ref = (binding.get("spec") or {}).get("resource") or {}
    if not ref.get("kind"):
        return None
    meta = {"name": ref.get("name", ""), "uid": ref.get("uid", "")}
    if ref.get("namespace"):
        meta["namespace"] = ref["namespace"]
    return {"apiVersion": ref.get("apiVersion", ""), "kind": ref["kind"], "metadata": meta}


def event_name(object_name: str, suffix: str) -> str:
    """``<object name>.<suffix>``, or a random UUID when that is not a valid Event name."""
    name = f"{object_name}.{suffix}"
    return name if is_dns_subdomain(name) else str(uuid.uuid4())


def timestamp(seconds: float) -> str:
    """RFC 3339 in UTC with second precision, as Event timestamps are written."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def _seconds(text: object) -> float | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def last_written(event: dict) -> float | None:
    """When an Event was last written, as near as it says: its newest timestamp (None if it has none)."""
    series = event.get("series")
    if not isinstance(series, dict):
        series = {}
    moments = [
        _seconds((event.get("metadata") or {}).get("creationTimestamp")),
        _seconds(event.get("lastTimestamp")),
        _seconds(event.get("eventTime")),
        _seconds(series.get("lastObservedTime")),
    ]
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None


def expired_events(events: Iterable[dict], now: float, ttl: float = EVENT_TTL) -> list[dict]:
    """The Events last written more than ``ttl`` seconds before ``now``."""
    expired = []
    for event in events:
        written = last_written(event)
        if written is not None and now - written > ttl:
            expired.append(event)
    return expired


async def sweep_events(store: Store, now: float, ttl: float = EVENT_TTL) -> int:
    """Delete the expired Events; returns how many went. One written again meanwhile stays."""
    deleted = 0
    for event in expired_events(store.list_all(EVENTS), now, ttl):
        meta = event["metadata"]
        try:
            await store.delete(
                EVENTS, meta.get("namespace", ""), meta["name"], resource_version=meta["resourceVersion"]
            )
            deleted += 1
        except (NotFound, Conflict):
            pass  # gone already, or written again since the sweep looked
        except Exception:
            log.warning(
                "could not delete an expired event",
                object=describe_object("Event", meta.get("namespace", ""), meta["name"]),
                exc_info=True,
            )
    return deleted


async def expire_events(
    store: Store,
    *,
    ttl: float = EVENT_TTL,
    interval: float = SWEEP_INTERVAL,
    clock: Callable[[], float] = time.time,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Delete Events ``ttl`` seconds after their last write, sweeping every ``interval``, until cancelled."""
    task_status.started()
    while True:
        if deleted := await sweep_events(store, clock(), ttl):
            log.debug("expired events deleted", count=deleted)
        await anyio.sleep(interval)


_Key = tuple[str, ...]


@dataclass
class _Pending:
    """Occurrences of one event seen since the last write."""

    ref: dict
    type: str
    reason: str
    message: str
    first: float
    last: float
    count: int = 1


@dataclass
class _Written:
    namespace: str
    name: str
    last: float


def _key(ref: dict, type: str, reason: str, message: str) -> _Key:
    # What makes two events the same; not the object's resourceVersion, which changes all the time.
    identity = (ref.get(field, "") for field in ("kind", "namespace", "name", "uid", "apiVersion"))
    return (*identity, type, reason, message)


class EventRecorder:
    """Records Events about objects on behalf of one component (``source.component``)."""

    def __init__(
        self,
        store: Store,
        component: str,
        *,
        queue_size: int = QUEUE_SIZE,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.component = component
        self._queue: deque[tuple[_Key, _Pending]] = deque()
        self._queue_size = queue_size
        # asyncio's own Event: it may be made before the loop runs, and set from plain functions.
        self._wakeup = asyncio.Event()
        self._written: OrderedDict[_Key, _Written] = OrderedDict()  # oldest last occurrence first
        self._clock = clock
        self._last_suffix = 0
        self._dropped = metrics.EVENTS_DROPPED.labels(component)

    def event(self, obj: dict, type: str, reason: str, message: str) -> None:
        """Record that ``reason`` happened to ``obj``; ``type`` is Normal or Warning. Never blocks."""
        if type not in (NORMAL, WARNING):
            log.error("event of an unsupported type not recorded", type=type, reason=reason)
            return
        if len(self._queue) >= self._queue_size:
            self._dropped.inc()
            return
        ref = involved_object(obj)
        now = self._clock()
        self._queue.append((_key(ref, type, reason, message), _Pending(ref, type, reason, message, now, now)))
        self._wakeup.set()

    def binding_event(self, binding: dict, type: str, reason: str, message: str) -> None:
        """The same Event about a binding and about its template, as Karmada records scheduling and
        eviction outcomes (``kubectl describe`` of either shows it)."""
        self.event(binding, type, reason, message)
        if (template := template_of(binding)) is not None:
            self.event(template, type, reason, message)

    def pending(self) -> int:
        return len(self._queue)

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Write queued events until cancelled."""
        task_status.started()
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self.write_pending()

    async def write_pending(self) -> None:
        """Write every queued event; repeats queued together become one write, and the writes go
        together, so the store commits them as one batch rather than one commit after another."""
        batch: dict[_Key, _Pending] = {}
        while self._queue:
            key, pending = self._queue.popleft()
            if (seen := batch.get(key)) is not None:
                seen.count += 1
                seen.last = pending.last
            else:
                batch[key] = pending
        async with anyio.create_task_group() as writes:
            for key, pending in batch.items():
                writes.start_soon(self._write_logged, key, pending)
        self._forget_old()

    async def _write_logged(self, key: _Key, pending: _Pending) -> None:
        try:
            await self._write(key, pending)
        except Exception:
            log.warning(
                "could not write event",
                component=self.component,
                reason=pending.reason,
                object=describe_object(
                    str(pending.ref.get("kind", "")),
                    pending.ref.get("namespace") or "",
                    pending.ref.get("name", ""),
                ),
                exc_info=True,
            )

    async def _write(self, key: _Key, pending: _Pending) -> None:
        written = self._written.get(key)
        if written is not None and pending.first - written.last <= REPEAT_WINDOW:
            if await self._add_to(written, pending):
                written.last = pending.last
                self._written.move_to_end(key)
                return
        event = await self._create(pending)
        meta = event["metadata"]
        self._written[key] = _Written(meta["namespace"], meta["name"], pending.last)
        self._written.move_to_end(key)

    async def _add_to(self, written: _Written, pending: _Pending) -> bool:
        """Count the occurrences into the Event already written; False when that Event is gone."""
        for _ in range(_UPDATE_ATTEMPTS):
            current = self.store.find(EVENTS, written.namespace, written.name)
            if current is None:
                return False
            count = (current.get("count") or 1) + pending.count
            try:
                await self.store.update(
                    EVENTS, {**current, "count": count, "lastTimestamp": timestamp(pending.last)}
                )
                return True
            except NotFound:
                return False
            except Conflict:
                continue  # written by someone else meanwhile: count again from what is there now
        raise Conflict(f'events "{written.name}" kept changing while its count was being updated')

    def _name_suffix(self, now: float) -> str:
        suffix = max(int(now * 1e9), self._last_suffix + 1)
        self._last_suffix = suffix
        return f"{suffix:x}"

    async def _create(self, pending: _Pending) -> dict:
        ref = pending.ref
        namespace = ref.get("namespace") or "default"
        while True:
            event = {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": event_name(ref.get("name", ""), self._name_suffix(pending.first)),
                    "namespace": namespace,
                },
                "involvedObject": ref,
                "reason": pending.reason,
                "message": pending.message,
                "source": {"component": self.component},
                "firstTimestamp": timestamp(pending.first),
                "lastTimestamp": timestamp(pending.last),
                "count": pending.count,
                "type": pending.type,
                "eventTime": None,
                "reportingComponent": self.component,
                "reportingInstance": "",
            }
            try:
                return await self.store.create(EVENTS, prepare_create(_EVENT_TYPE, event))
            except AlreadyExists:
                continue  # another recorder took the name: the next suffix (or UUID) is free

    def _forget_old(self) -> None:
        horizon = self._clock() - REPEAT_WINDOW
        while self._written:
            written = next(iter(self._written.values()))
            if written.last >= horizon and len(self._written) <= _REMEMBERED:
                break
            self._written.popitem(last=False)
