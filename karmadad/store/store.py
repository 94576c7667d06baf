"""The object store: Kubernetes' storage semantics over one SQLite file.

Every object lives in memory twice by reference: the *latest* state, which writes are checked
against (so concurrent writes see each other before they are durable), and the *committed* state,
which reads, lists and watches serve (so nobody observes a write that a crash could still take
back). One writer task commits staged changes in batches (group commit); a write is acknowledged
only after its batch is durable, and only then do watchers hear of it.

Revisions are one global counter, like etcd's: every change gets the next one and it becomes the
object's ``metadata.resourceVersion``. Objects handed out are shared and must not be mutated.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import builtins
import contextlib
import json
import os
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
import anyio.lowlevel
from anyio.abc import TaskStatus

from karmadad import metrics
from karmadad.errors import (
    AlreadyExists,
    BadRequest,
    Cause,
    Conflict,
    Expired,
    Forbidden,
    Invalid,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
)
from karmadad.jsonvalue import Unencodable, encode
from karmadad.logs import describe_object, get_logger
from karmadad.store.changes import Change, ChangeType, History, HistoryLimits, Key
from karmadad.store.sqlite import Durability, SQLiteFile, StorageError, disk_full, full_disk_error
from karmadad.store.watch import Query, Watcher, WatchEvent, WatchHub, translate

log = get_logger("store")

NAMESPACES = "namespaces"
INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "karmada-system", "karmada-cluster")
PROTECTED_NAMESPACES = frozenset(INITIAL_NAMESPACES)
NAMESPACE_FINALIZER = "kubernetes"
ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"
PropagationPolicy = Literal["Background", "Foreground", "Orphan"]

# Set by the store alone; whatever a client sends for them is ignored.
_SYSTEM_FIELDS = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation")
DEFAULT_HISTORY = HistoryLimits()
CHECKPOINT_INTERVAL = 0.5  # seconds between WAL checkpoints while there are writes
# etcd's default request limit (--max-request-bytes), under which kube-apiserver's objects must fit
MAX_OBJECT_BYTES = 1_572_864
WRITABLE_PROBE_INTERVAL = 2.0  # seconds between checks whether a full disk has space again
RESUME_FREE_BYTES = 8 * 1024 * 1024  # free space a full disk needs before writes are tried again
MIN_FREE_BYTES = 1024 * 1024  # less than this at start: the disk is taken as full
_NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # kube-apiserver's: no vowels, no look-alikes


_last_timestamp: tuple[int, str] = (0, "")


def now_timestamp() -> str:
    """RFC 3339 UTC with second precision, as Kubernetes stamps objects (cached per second: hot path)."""
    global _last_timestamp
    second = int(time.time())
    if _last_timestamp[0] != second:
        _last_timestamp = (second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second)))
    return _last_timestamp[1]


_random_pool = bytearray()


def new_uid() -> str:
    """A random (version 4) UUID, formatted without the cost of a ``uuid.UUID`` or a syscall each."""
    global _random_pool
    if len(_random_pool) < 16:
        _random_pool = bytearray(os.urandom(4096))
    h = _random_pool[-16:]
    del _random_pool[-16:]
    h[6] = (h[6] & 0x0F) | 0x40
    h[8] = (h[8] & 0x3F) | 0x80
    x = h.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


_READ_ONLY = "the disk is full: karmadad is read-only until space returns"


def free_bytes(directory: Path) -> int:
    stats = os.statvfs(directory)
    return stats.f_bavail * stats.f_frsize


def encoded_object(obj: dict) -> bytes:
    """The object's JSON as the store keeps it; refused when it has none or is larger than etcd takes."""
    try:
        data = encode(obj)
    except Unencodable as error:
        raise BadRequest(f"the object cannot be stored: {error}") from None
    if len(data) > MAX_OBJECT_BYTES:
        raise RequestEntityTooLarge(
            f"etcdserver: request is too large ({len(data)} bytes; at most {MAX_OBJECT_BYTES})"
        )
    return data


def _notify(listener: Callable[[Change], None], change: Change) -> None:
    """Hand one change to one handler; one that raises is logged and counted, and the store goes on."""
    try:
        listener(change)
    except Exception:
        handler = getattr(listener, "__qualname__", repr(listener))
        metrics.CHANGE_HANDLER_ERRORS.labels(handler).inc()
        log.error(
            "a change handler failed; the store goes on",
            handler=handler,
            object=describe_object(
                change.object.get("kind") or change.resource, change.namespace, change.name
            ),
            exc_info=True,
        )


def revision_of(obj: dict) -> int:
    return int(obj["metadata"]["resourceVersion"])


# Kinds whose annotations count as their spec for ``generation``: kube-apiserver's Deployment strategy bumps
# it on an annotation change (a rollback was once asked for by annotation), so Karmada's claim moves it too.
_ANNOTATIONS_BUMP_GENERATION = frozenset({"deployments.apps"})


# Built-in kinds whose registry strategies never set ``metadata.generation`` (kube-apiserver leaves it out
# of ConfigMaps, Secrets, Namespaces, RBAC objects...); every other kind, custom resources and Karmada's
# included, starts at 1 and counts its spec changes.
WITHOUT_GENERATION = frozenset(
    {
        "configmaps", "secrets", "serviceaccounts", "services", "persistentvolumeclaims", "persistentvolumes",
        "events", "limitranges", "resourcequotas", "endpoints", "namespaces", "nodes",
        "roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io",
        "clusterroles.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io",
        "horizontalpodautoscalers.autoscaling", "storageclasses.storage.k8s.io", "csidrivers.storage.k8s.io",
        "csinodes.storage.k8s.io", "leases.coordination.k8s.io", "runtimeclasses.node.k8s.io",
        "events.events.k8s.io",
    }
)  # fmt: skip


def generation_moves(resource: str, old: dict, new: dict) -> bool:
    """Whether an update bumps ``generation``: anything but metadata and status changed, or (for the kinds
    above) the annotations did."""
    skip = ("metadata", "status", "apiVersion", "kind")
    if {k: v for k, v in old.items() if k not in skip} != {k: v for k, v in new.items() if k not in skip}:
        return True
    if resource not in _ANNOTATIONS_BUMP_GENERATION:
        return False
    return (old["metadata"].get("annotations") or {}) != (new["metadata"].get("annotations") or {})


def _removable(resource: str, obj: dict) -> bool:
    """Deleted objects disappear once nothing holds them: finalizers (and a namespace's spec ones)."""
    if obj["metadata"].get("finalizers"):
        return False
    return not (resource == NAMESPACES and (obj.get("spec") or {}).get("finalizers"))


def _precondition_failed(resource: str, name: str, field: str, wanted: str, actual: str) -> Conflict:
    why = f"Precondition failed: {field} in precondition: {wanted}, {field} in object meta: {actual}"
    return Conflict.of(resource, name, why)


@dataclass(frozen=True)
class ListResult:
    items: list[dict]
    revision: int
    continue_token: str = ""
    remaining: int | None = None


@dataclass
class _Batch:
    changes: list[Change] = field(default_factory=list)
    # asyncio's own Event on the hot path: anyio's wrapper costs more than the rest of a wait.
    done: asyncio.Event = field(default_factory=asyncio.Event)
    error: BaseException | None = None


def encode_continue(revision: int, after: Key) -> str:
    raw = json.dumps({"rv": revision, "start": list(after)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, Key]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        namespace, name = data["start"]
        return int(data["rv"]), (str(namespace), str(name))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BadRequest("continue key is not valid: incorrect encoded start resourceVersion") from None


class Store:
    def __init__(
        self,
        file: SQLiteFile,
        revision: int,
        objects: dict[str, dict[Key, dict]],
        *,
        history: HistoryLimits = DEFAULT_HISTORY,
        watch_buffer: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        observed: bool = True,
    ):
        """``observed``: the store reports to karmadad's metrics (a simulated member's store does not: its
        figures would overwrite those of karmadad's own)."""
        self._observed = observed
        self._file = file
        self._revision = revision  # last revision handed out (maybe not yet durable)
        self._committed_revision = revision
        if observed:
            metrics.STORE_REVISION.set(revision)
        self._latest = objects
        self._committed = {resource: dict(items) for resource, items in objects.items()}
        self._history = History(history, revision, clock)
        self._clock = clock
        self._watch_buffer = watch_buffer
        self._hub = WatchHub(observed=observed)
        self._batch = _Batch()
        self._wakeup = asyncio.Event()
        self._serving = False
        self._failed: BaseException | None = None
        self._disk_full_since: float | None = None  # set while the disk is full: the store is read-only
        # change handlers: indexes, told before a write is acknowledged; controllers, told off the writer
        self._indexers_of: dict[str, list[Callable[[Change], None]]] = {}
        self._listeners: list[Callable[[Change], None]] = []  # of every change
        self._listeners_of: dict[str, list[Callable[[Change], None]]] = {}  # of one resource's changes
        self._undispatched: deque[Change] = deque()  # committed, not yet told to the listeners
        self._dispatch_wakeup = asyncio.Event()
        # committed uid -> (resource, key), and owner uid -> dependents, for garbage collection
        self._by_uid: dict[str, tuple[str, Key]] = {}
        self._dependents: dict[str, set[tuple[str, Key]]] = {}
        for resource, items in self._committed.items():
            for key, obj in items.items():
                self._index(resource, key, None, obj)

    # -- opening and running ----------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path, *, durability: Durability = "normal", **options: Any) -> Store:
        """Open the state file and load it whole; an unusable file raises :class:`StorageError`."""
        file = await SQLiteFile.open(path, durability=durability)
        try:
            revision, rows = await file.load()
        except BaseException:
            await file.close()  # its worker thread would keep the process alive
            raise
        objects: dict[str, dict[Key, dict]] = {}
        for resource, namespace, name, _revision, obj in rows:
            objects.setdefault(resource, {})[(namespace, name)] = obj
        log.info("store opened", path=str(path), revision=revision, objects=len(rows))
        return cls(file, revision, objects, **options)

    async def serve(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run the writer until cancelled; reports started once the initial namespaces exist."""
        self._serving = True
        if free_bytes(self._file.path.parent) < MIN_FREE_BYTES:  # start read-only, not ready, on a full disk
            self._become_read_only(_Batch(), None)
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._write_loop)
                tasks.start_soon(self._dispatch_loop)
                tasks.start_soon(self._checkpoint_loop)
                tasks.start_soon(self._recover_from_full_disk)
                missing = [
                    ns for ns in INITIAL_NAMESPACES if ("", ns) not in self._latest.get(NAMESPACES, {})
                ]
                if missing and not self.writable:
                    raise StorageError(
                        f"{self._file.path}: the disk is full; the initial namespaces cannot be created"
                    )
                for namespace in missing:
                    await self.create(NAMESPACES, {"metadata": {"name": namespace}})
                task_status.started()
        finally:
            self._serving = False
            self._hub.close_all()

    async def close(self) -> None:
        self._hub.close_all()
        await self._file.close()

    @property
    def revision(self) -> int:
        """The newest durable revision: what a list served now is consistent with."""
        return self._committed_revision

    @property
    def settled(self) -> bool:
        """Whether every write handed a revision is committed and told to listeners and watchers."""
        return self._committed_revision == self._revision and not self._undispatched

    @property
    def writable(self) -> bool:
        """False while the disk is full (reads go on; writes answer 503 until space returns)."""
        return self._disk_full_since is None

    def subscribe(
        self, listener: Callable[[Change], None], *, resources: Iterable[str] | None = None
    ) -> None:
        """Call ``listener`` with every committed change (of ``resources`` only, when given), in commit
        order, from a task of its own: however slow a controller's handler, the writer goes on committing.
        A listener that raises is logged and counted (``karmadad_change_handler_errors_total``); the
        store and the other listeners go on. Handlers only enqueue keys (and keep the controller's own
        indexes, before enqueuing, so the reconcile a change asks for sees it)."""
        if resources is None:
            self._listeners.append(listener)
        else:
            for resource in resources:
                self._listeners_of.setdefault(resource, []).append(listener)

    def subscribe_index(self, listener: Callable[[Change], None], *, resources: Iterable[str]) -> None:
        """Call ``listener`` with each committed change of ``resources`` before the write is acknowledged,
        so the index it keeps is current when the writer hears back — what the API needs of its
        authorizer's roles, its served kinds and its Service allocations (a request after a write must
        see it). Keep it quick: it runs on the writer's task. Guarded as :meth:`subscribe`'s."""
        for resource in resources:
            self._indexers_of.setdefault(resource, []).append(listener)

    # -- reads (committed state) --------------------------------------------------------------

    def get(self, resource: str, namespace: str, name: str) -> dict:
        obj = self._committed.get(resource, {}).get((namespace, name))
        if obj is None:
            raise NotFound.of(resource, name)
        return obj

    def find(self, resource: str, namespace: str, name: str) -> dict | None:
        return self._committed.get(resource, {}).get((namespace, name))

    def latest(self, resource: str, namespace: str, name: str) -> dict | None:
        """The newest state of an object, including a write staged but not yet durable.

        For read-modify-write on the server (patches): a change computed from this state and staged
        before the next ``await`` never conflicts, and it commits after the write it builds on.
        """
        return self._latest.get(resource, {}).get((namespace, name))

    def by_uid(self, uid: str) -> tuple[str, dict] | None:
        """The committed object with this uid and its resource, if it exists."""
        found = self._by_uid.get(uid)
        if found is None:
            return None
        resource, key = found
        return resource, self._committed[resource][key]

    def dependents(self, owner_uid: str) -> list[tuple[str, dict]]:
        """Committed objects with an owner reference to ``owner_uid``."""
        return [(r, self._committed[r][k]) for r, k in self._dependents.get(owner_uid, ())]

    def list_all(self, resource: str) -> list[dict]:
        """Every committed object of a resource, unordered: for controllers that scan."""
        return list(self._committed.get(resource, {}).values())

    def holds_any(self, resource: str) -> bool:
        """Whether any object of ``resource`` is committed (without listing them)."""
        return bool(self._committed.get(resource))

    def resources(self) -> list[str]:
        return [resource for resource, items in self._committed.items() if items]

    def list(
        self, query: Query, *, limit: int = 0, continue_token: str = "", revision: int | None = None
    ) -> ListResult:
        """Objects matching ``query`` in (namespace, name) order, consistent at one revision.

        ``revision`` asks for the state at an older revision (served while the history reaches
        back that far); a continue token carries the revision of its first page.
        """
        after: Key | None = None
        if continue_token:
            revision, after = decode_continue(continue_token)
            try:
                self._history.check(revision, self._committed_revision)
            except Expired:
                raise Expired(
                    "The provided continue parameter is too old to display a consistent list result. "
                    "You can start a new list without the continue parameter."
                ) from None
        at = self._committed_revision if revision is None else revision
        state = self._state_at(query.resource, at)
        keys = sorted(k for k in state if after is None or k > after)
        matched = [state[k] for k in keys if query.matches(state[k])]
        if limit <= 0 or len(matched) <= limit:
            return ListResult(matched, at)
        page = matched[:limit]
        last = page[-1]["metadata"]
        token = encode_continue(at, (last.get("namespace", ""), last["name"]))
        return ListResult(page, at, token, len(matched) - limit)

    def _state_at(self, resource: str, revision: int) -> dict[Key, dict]:
        state = self._committed.get(resource, {})
        if revision == self._committed_revision:
            return state
        self._history.check(revision, self._committed_revision)
        state = dict(state)
        for change in reversed(list(self._history.since(revision))):
            if change.resource != resource:
                continue
            if change.previous is None:
                state.pop(change.key, None)
            else:
                state[change.key] = change.previous
        return state

    def watch(
        self,
        query: Query,
        *,
        since: int | None = None,
        bookmark_interval: float | None = None,
        buffer: int | None = None,
    ) -> Watcher:
        """Changes after revision ``since``; without it, ADDED for every current object, then changes.

        Raises Expired when ``since`` is older than the history kept.
        """
        if since is not None:
            self._history.check(since, self._committed_revision)
        watcher = Watcher(
            query,
            buffer=buffer or self._watch_buffer,
            current_revision=lambda: self._committed_revision,
            bookmark_interval=bookmark_interval,
            on_close=self._hub.remove,
        )
        if since is None:
            for obj in self.list(query).items:
                watcher.deliver(WatchEvent("ADDED", obj, revision_of(obj)))
        else:
            for change in self._history.since(since):
                if change.resource == query.resource and (event := translate(query, change)) is not None:
                    watcher.deliver(event)
        if not watcher.closed:
            self._hub.add(watcher)
        return watcher

    # -- writes (checked against the latest state, acknowledged once durable) ----------------------

    def _current(self, resource: str, namespace: str, name: str) -> dict:
        obj = self._latest.get(resource, {}).get((namespace, name))
        if obj is None:
            raise NotFound.of(resource, name)
        return obj

    def _check_namespace(self, resource: str, namespace: str, name: str) -> None:
        if not namespace or resource == NAMESPACES:
            return
        ns = self._latest.get(NAMESPACES, {}).get(("", namespace))
        if ns is None:
            raise NotFound.of(NAMESPACES, namespace)
        if ns["metadata"].get("deletionTimestamp"):
            message = f"unable to create new content in namespace {namespace} because it is being terminated"
            raise Forbidden(
                f'{resource} "{name}" is forbidden: {message}',
                group=resource.partition(".")[2],
                kind=resource.partition(".")[0],
                name=name,
                causes=[Cause("metadata.namespace", message, "NamespaceTerminating")],
            )

    def named(self, resource: str, obj: dict) -> dict:
        """``obj`` with a name: its own, or one made from ``generateName`` that no object has yet (as
        kube-apiserver names an object before its strategy sees it, so that the strategy may use the name)."""
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            raise BadRequest("the object has no metadata")
        if meta.get("name"):
            return obj
        prefix = meta.get("generateName") or ""
        if not prefix:
            raise Invalid.of(
                resource,
                "",
                "",
                [
                    Cause(
                        "metadata.name",
                        "Required value: name or generateName is required",
                        "FieldValueRequired",
                    )
                ],
            )
        namespace = meta.get("namespace") or ""
        items = self._latest.get(resource, {})
        for _ in range(8):
            name = prefix + "".join(secrets.choice(_NAME_SUFFIX_ALPHABET) for _ in range(5))
            if (namespace, name) not in items:
                break
        return {**obj, "metadata": {**meta, "name": name}}

    async def create(
        self, resource: str, obj: dict, *, dry_run: bool = False, uid: str | None = None
    ) -> dict:
        """Add an object; it gets its name (see :meth:`named`), ``uid`` (a fresh one unless given: the API
        server picks it before its strategy runs), creation time and, for the kinds that count them,
        ``generation`` 1."""
        obj = self.named(resource, obj)
        meta = obj["metadata"]
        namespace, name = meta.get("namespace") or "", meta["name"]
        items = self._latest.setdefault(resource, {})
        if (namespace, name) in items:
            raise AlreadyExists.of(resource, name)
        self._check_namespace(resource, namespace, name)
        new_meta = {k: v for k, v in meta.items() if k not in _SYSTEM_FIELDS and k != "resourceVersion"}
        new_meta.update(name=name, uid=uid or new_uid(), creationTimestamp=now_timestamp())
        if resource not in WITHOUT_GENERATION:
            new_meta["generation"] = 1
        if namespace:
            new_meta["namespace"] = namespace
        new = {**obj, "metadata": new_meta}
        if resource == NAMESPACES:
            new = self._namespace_defaults(new)
        if dry_run:
            encoded_object(new)
            return new
        return await self._commit(self._stage(resource, "ADDED", new, None))

    @staticmethod
    def _namespace_defaults(ns: dict) -> dict:
        spec = dict(ns.get("spec") or {})
        spec.setdefault("finalizers", [NAMESPACE_FINALIZER])
        return {**ns, "spec": spec, "status": {"phase": "Active"}}

    async def update(
        self,
        resource: str,
        obj: dict,
        *,
        subresource: Literal["status"] | None = None,
        dry_run: bool = False,
    ) -> dict:
        """Replace an object; a given ``metadata.resourceVersion`` must be the current one.

        With ``subresource="status"`` only ``status`` is taken from ``obj``. An update that
        changes nothing writes nothing and returns the current object.
        """
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            raise BadRequest("the object has no metadata")
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        current = self._current(resource, namespace, name)
        cur_meta = current["metadata"]
        if meta.get("resourceVersion") and meta["resourceVersion"] != cur_meta["resourceVersion"]:
            raise Conflict.of(
                resource,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        if meta.get("uid") and meta["uid"] != cur_meta["uid"]:
            raise _precondition_failed(resource, name, "UID", meta["uid"], cur_meta["uid"])
        if subresource == "status":
            new = {**current}
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
        else:
            new_meta = {k: v for k, v in meta.items() if k not in _SYSTEM_FIELDS}
            for key in _SYSTEM_FIELDS:
                if key in cur_meta:
                    new_meta[key] = cur_meta[key]
            if namespace:
                new_meta["namespace"] = namespace
            new = {**obj, "metadata": new_meta}
            if cur_meta.get("deletionTimestamp"):
                added = set(new_meta.get("finalizers") or ()) - set(cur_meta.get("finalizers") or ())
                if added:
                    raise Invalid.of(
                        resource,
                        "",
                        name,
                        [
                            Cause(
                                "metadata.finalizers",
                                "Forbidden: no new finalizers can be added if the object is being deleted, "
                                f"found new finalizers {sorted(added)}",
                                "FieldValueForbidden",
                            )
                        ],
                    )
            if resource not in WITHOUT_GENERATION and generation_moves(resource, current, new):
                new_meta["generation"] = int(cur_meta.get("generation", 1)) + 1
        new["metadata"] = {**new["metadata"], "resourceVersion": cur_meta["resourceVersion"]}
        if new == current:
            return current
        if dry_run:
            encoded_object(new)
            return new
        if cur_meta.get("deletionTimestamp") and _removable(resource, new):
            return await self._commit(self._stage(resource, "DELETED", new, current))
        return await self._commit(self._stage(resource, "MODIFIED", new, current))

    async def delete(
        self,
        resource: str,
        namespace: str,
        name: str,
        *,
        propagation: PropagationPolicy | None = None,
        uid: str | None = None,
        resource_version: str | None = None,
        dry_run: bool = False,
    ) -> tuple[dict, bool]:
        """Delete, or start deleting, an object; returns it and whether it is gone already.

        An object held by finalizers gets a ``deletionTimestamp`` and stays until the last one is
        removed. ``Orphan`` and ``Foreground`` add the garbage collector's finalizers.
        """
        current = self._current(resource, namespace, name)
        meta = current["metadata"]
        if uid is not None and uid != meta["uid"]:
            raise _precondition_failed(resource, name, "UID", uid, meta["uid"])
        if resource_version is not None and resource_version != meta["resourceVersion"]:
            raise _precondition_failed(
                resource, name, "ResourceVersion", resource_version, meta["resourceVersion"]
            )
        if resource == NAMESPACES and name in PROTECTED_NAMESPACES:
            raise Forbidden(
                f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                kind=NAMESPACES,
                name=name,
            )
        finalizers = list(meta.get("finalizers") or [])
        wanted = {"Orphan": ORPHAN_FINALIZER, "Foreground": FOREGROUND_FINALIZER}.get(propagation or "")
        if wanted:
            finalizers = [f for f in finalizers if f not in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)] + [
                wanted
            ]
        elif propagation == "Background" and meta.get("deletionTimestamp"):
            finalizers = [f for f in finalizers if f not in (ORPHAN_FINALIZER, FOREGROUND_FINALIZER)]
        new_meta = {**meta}
        if finalizers:
            new_meta["finalizers"] = finalizers
        else:
            new_meta.pop("finalizers", None)
        new = {**current, "metadata": new_meta}
        if _removable(resource, new):
            if dry_run:
                return current, True
            return await self._commit(self._stage(resource, "DELETED", new, current)), True
        if not meta.get("deletionTimestamp"):
            new_meta["deletionTimestamp"] = now_timestamp()
            new_meta["deletionGracePeriodSeconds"] = 0
        if resource == NAMESPACES:
            new["status"] = {**(current.get("status") or {}), "phase": "Terminating"}
        if new == current or dry_run:
            return new, False
        return await self._commit(self._stage(resource, "MODIFIED", new, current)), False

    async def delete_collection(
        self, query: Query, *, propagation: PropagationPolicy | None = None, dry_run: bool = False
    ) -> builtins.list[dict]:
        deleted = []
        for obj in self.list(query).items:
            meta = obj["metadata"]
            with contextlib.suppress(NotFound):
                gone, _ = await self.delete(
                    query.resource,
                    meta.get("namespace", ""),
                    meta["name"],
                    propagation=propagation,
                    dry_run=dry_run,
                )
                deleted.append(gone)
        return deleted

    # -- staging and group commit ---------------------------------------------------------------

    def _stage(
        self, resource: str, kind: ChangeType, obj: dict, previous: dict | None
    ) -> tuple[_Batch, Change]:
        if self._failed is not None or not self._serving:
            raise ServiceUnavailable("the object store is not accepting writes")
        if self._disk_full_since is not None:
            raise ServiceUnavailable(_READ_ONLY)
        revision = self._revision + 1
        meta = obj["metadata"]  # always a fresh dict built by the calling operation
        meta["resourceVersion"] = str(revision)
        data = b"" if kind == "DELETED" else encoded_object(obj)  # refused here, nothing is staged
        self._revision = revision
        change = Change(
            revision, resource, meta.get("namespace", ""), meta["name"], kind, obj, previous, data=data
        )
        items = self._latest.setdefault(resource, {})
        if kind == "DELETED":
            items.pop(change.key, None)
        else:
            items[change.key] = obj
        batch = self._batch
        batch.changes.append(change)
        self._wakeup.set()
        return batch, change

    async def _commit(self, staged: tuple[_Batch, Change]) -> dict:
        """Wait until the staged change is durable; its object is the acknowledgement."""
        batch, change = staged
        await batch.done.wait()
        if batch.error is not None:
            if disk_full(batch.error):
                raise ServiceUnavailable(_READ_ONLY) from batch.error
            raise ServiceUnavailable(
                "the object store failed to write; karmadad is stopping"
            ) from batch.error
        return change.object

    async def _write_loop(self) -> None:
        while True:
            await self._wakeup.wait()
            await (
                anyio.lowlevel.checkpoint()
            )  # writers ready to run stage theirs first: one batch, not several
            self._wakeup.clear()
            if not self._batch.changes:
                continue
            batch, self._batch = self._batch, _Batch()
            final: dict[tuple[str, str, str], Change] = {}
            for change in batch.changes:
                final[(change.resource, change.namespace, change.name)] = change
            upserts = [
                (c.resource, c.namespace, c.name, c.revision, c.data)
                for c in final.values()
                if c.type != "DELETED"
            ]
            deletes = [key for key, c in final.items() if c.type == "DELETED"]
            started = time.perf_counter()
            try:
                with anyio.CancelScope(shield=True):
                    await self._file.commit(batch.changes[-1].revision, upserts, deletes)
            except Exception as error:
                if disk_full(error):
                    self._become_read_only(batch, error)
                    continue
                # Memory is now ahead of disk: stop accepting writes; a restart reloads from disk.
                self._failed = error
                batch.error = error
                batch.done.set()
                raise self._stopping("a write", error) from error
            for change in batch.changes:
                change.data = b""
            if self._observed:
                metrics.STORE_COMMITS.observe(time.perf_counter() - started)
                metrics.STORE_BATCH_SIZE.observe(len(batch.changes))
            self._publish(batch.changes)
            if self._observed:
                metrics.STORE_REVISION.set(self._committed_revision)
            batch.done.set()

    def _stopping(self, what: str, error: BaseException) -> StorageError:
        """A failure the store cannot carry on after (not a full disk): one line, and the daemon stops."""
        return StorageError(f"{self._file.path}: {what} failed ({error}); karmadad is stopping")

    def _become_read_only(self, failed: _Batch, error: BaseException | None) -> None:
        """A full disk: fail every write not yet durable, forget them, refuse writes until space returns.

        Staged writes were checked against each other, so the batch staged behind the failed one
        fails with it; the latest state goes back to the committed one and no revision is skipped.
        """
        pending, self._batch = self._batch, _Batch()
        for batch in (failed, pending):
            batch.error = error or full_disk_error()
            batch.done.set()
        self._latest = {resource: dict(items) for resource, items in self._committed.items()}
        self._revision = self._committed_revision
        self._disk_full_since = self._clock()
        if self._observed:
            metrics.STORE_READ_ONLY.set(1)
        log.error("the disk is full: karmadad is read-only until space returns", path=str(self._file.path))

    async def _recover_from_full_disk(self) -> None:
        while True:
            await anyio.sleep(WRITABLE_PROBE_INTERVAL)
            if self._disk_full_since is None or free_bytes(self._file.path.parent) < RESUME_FREE_BYTES:
                continue
            try:
                with anyio.CancelScope(shield=True):
                    await self._file.probe_write()
            except Exception as error:
                if disk_full(error):
                    continue
                raise self._stopping("a write", error) from error
            log.info(
                "disk space is back: karmadad accepts writes again",
                read_only_seconds=round(self._clock() - self._disk_full_since, 1),
            )
            self._disk_full_since = None
            if self._observed:
                metrics.STORE_READ_ONLY.set(0)

    async def _checkpoint_loop(self) -> None:
        checkpointed = self._committed_revision
        while True:
            await anyio.sleep(CHECKPOINT_INTERVAL)
            if self._committed_revision != checkpointed:
                try:
                    with anyio.CancelScope(shield=True):  # its thread must not answer a loop that has gone
                        await self._file.checkpoint()
                except Exception as error:
                    if disk_full(error):
                        continue  # the WAL keeps the writes; the next round tries again
                    raise self._stopping("a checkpoint", error) from error
                checkpointed = self._committed_revision

    def _publish(self, changes: Iterable[Change]) -> None:
        now = self._clock()
        for change in changes:
            change.committed_at = now
            items = self._committed.setdefault(change.resource, {})
            previous = items.get(change.key)
            if change.type == "DELETED":
                items.pop(change.key, None)
                self._index(change.resource, change.key, previous, None)
            else:
                items[change.key] = change.object
                self._index(change.resource, change.key, previous, change.object)
            self._committed_revision = change.revision
            self._history.append(change, trim=False)
            self._hub.publish(change)
            for indexer in self._indexers_of.get(change.resource, ()):
                _notify(indexer, change)
            self._undispatched.append(change)
        self._history.trim()
        self._dispatch_wakeup.set()

    async def _dispatch_loop(self) -> None:
        """Tell committed changes to the listeners, in commit order, off the writer's task; a long run of
        changes yields now and then so writers and workers are not kept waiting behind it."""
        while True:
            await self._dispatch_wakeup.wait()
            self._dispatch_wakeup.clear()
            told = 0
            while self._undispatched:
                change = self._undispatched[0]
                for listener in self._listeners:
                    _notify(listener, change)
                for listener in self._listeners_of.get(change.resource, ()):
                    _notify(listener, change)
                self._undispatched.popleft()
                told += 1
                if told % 256 == 0:
                    await anyio.lowlevel.checkpoint()

    def _index(self, resource: str, key: Key, old: dict | None, new: dict | None) -> None:
        ref = (resource, key)
        if old is not None:
            self._by_uid.pop(old["metadata"]["uid"], None)
            for owner in old["metadata"].get("ownerReferences") or ():
                dependents = self._dependents.get(owner.get("uid"))
                if dependents is not None:
                    dependents.discard(ref)
                    if not dependents:
                        del self._dependents[owner.get("uid")]
        if new is not None:
            self._by_uid[new["metadata"]["uid"]] = ref
            for owner in new["metadata"].get("ownerReferences") or ():
                self._dependents.setdefault(owner.get("uid"), set()).add(ref)

    # -- maintenance --------------------------------------------------------------------------

    async def integrity_check(self) -> str:
        return await self._file.integrity_check()


@contextlib.asynccontextmanager
async def open_store(path: Path, **options: Any) -> AsyncIterator[Store]:
    """Open a store and run its writer for the duration of the ``async with`` block."""
    store = await Store.open(path, **options)
    try:
        async with anyio.create_task_group() as tasks:
            await tasks.start(store.serve)
            yield store
            tasks.cancel_scope.cancel()
    finally:
        with anyio.CancelScope(shield=True):  # closed even when the block ends by cancellation: an open
            await store.close()  # connection's thread would keep the process from exiting
