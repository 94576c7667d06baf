"""Model-based test of the object store: random operation sequences against a small in-memory model.

Each example opens a fresh store in its own temporary directory and replays a generated list of
steps against it. A step is one operation, or two or three started concurrently so that they share a
group commit. After every step the test checks the store against the model: each operation's outcome,
the revisions, ``list`` and ``get``. At the end it replays the watch events from the start, lists at
every older revision it saw, and reopens the file.

Concurrent operations are applied to the model in the order the store staged them. Each one is
recorded just before its store call, and that call checks and stages the write before it first
suspends, so the order is exact whatever the scheduler does. All request bodies of a step are built
before the step starts, so a second write to the same object in one step sends a resourceVersion that
is stale by then.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karmadad.errors import AlreadyExists, Conflict, Forbidden, Invalid, NotFound, StatusError
from karmadad.store import HistoryLimits, Query, Store, open_store
from karmadad.store.store import WITHOUT_GENERATION

KINDS = {"configmaps": "ConfigMap", "widgets.example.com": "Widget"}  # without and with a generation
RESOURCES = tuple(KINDS)
TEAM = "team"  # a namespace each example creates (and may start deleting)
Key = tuple[str, str, str]  # resource, namespace, name
KEYS: list[Key] = [
    ("configmaps", "default", "a"),
    ("configmaps", "default", "b"),
    ("configmaps", TEAM, "a"),
    ("widgets.example.com", "default", "a"),
    ("widgets.example.com", TEAM, "b"),
]
FINALIZERS = ("example.com/one", "example.com/two")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
FORGED = {  # system fields a client may send; the store must ignore them
    "generation": 99,
    "creationTimestamp": "1999-01-01T00:00:00Z",
    "deletionTimestamp": "1999-01-01T00:00:00Z",
    "deletionGracePeriodSeconds": 30,
}
STORE_OPTIONS = {"history": HistoryLimits(max_events=100_000)}

# -- operations ------------------------------------------------------------------------------------
#
# ``key: Key | int``: an int names the i-th of the objects that exist when the step starts (most
# operations on a blindly drawn key would only find nothing). ``rv``: "current", None (sent without
# one), i >= 0 for the i-th newest resourceVersion the key has had (0 is the current one while the
# object exists), or i < 0 for the revision of the i-th newest write of all.


@dataclass(frozen=True)
class Create:
    key: Key
    data: dict
    labels: dict
    finalizers: list
    status: Any  # None: no status
    forge: bool  # also send system fields, a uid and a resourceVersion


@dataclass(frozen=True)
class Update:
    key: Key | int
    rv: str | int | None
    data: dict
    labels: dict
    finalizers: list
    forge: bool


@dataclass(frozen=True)
class UpdateStatus:
    key: Key | int
    rv: str | int | None
    status: Any  # None: remove the status
    noise: dict  # sent as data, which a status update must ignore


@dataclass(frozen=True)
class Delete:
    key: Key | int
    rv: str | int | None  # the resourceVersion precondition


@dataclass(frozen=True)
class DeleteNamespace:
    """Delete the team namespace: it stays Terminating (its spec finalizer); creating in it is Forbidden."""


keys = st.sampled_from(KEYS)
targets = keys | st.integers(0, 4)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=3)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner, max_size=2),
    max_leaves=4,
)
statuses = (
    st.none()
    | st.fixed_dictionaries({"phase": st.sampled_from(["Pending", "Ready"])})
    | st.dictionaries(st.text(max_size=3), json_values, max_size=2)
)
datas = st.dictionaries(
    st.sampled_from(["k", "x"]), st.sampled_from(["1", "2"]) | st.text(max_size=3), max_size=2
)
label_sets = st.dictionaries(st.just("app"), st.sampled_from(["web", "db"]), max_size=1)
finalizer_lists = st.lists(st.sampled_from(FINALIZERS), unique=True, max_size=2)
rvs = st.one_of(st.just("current"), st.none(), st.integers(-2, 3))
KINDS_OF_OPERATION = {
    "create": st.builds(Create, keys, datas, label_sets, finalizer_lists, statuses, st.booleans()),
    "update": st.builds(Update, targets, rvs, datas, label_sets, finalizer_lists, st.booleans()),
    "status": st.builds(UpdateStatus, targets, rvs, statuses, datas),
    "delete": st.builds(Delete, targets, rvs),
    "namespace": st.just(DeleteNamespace()),
}
# Each kind is drawn as often as it is listed, so the namespace is deleted in some examples, not in
# nearly all. (Repeating a strategy in one_of would not weight it: hypothesis dedupes them.)
operations = st.sampled_from(
    ["create"] * 8 + ["update"] * 8 + ["status"] * 4 + ["delete"] * 6 + ["namespace"]
).flatmap(KINDS_OF_OPERATION.__getitem__)
steps = st.lists(operations, min_size=1, max_size=1) | st.lists(operations, min_size=2, max_size=3)
# Lists of lists, flattened: about 20 steps on average, where one list would average 5, and
# hypothesis can still shrink a failure by dropping steps.
examples = st.lists(st.lists(steps, max_size=10), max_size=8).map(lambda parts: [s for p in parts for s in p])


# -- the model -------------------------------------------------------------------------------------


def view(obj: dict) -> dict:
    """An object as the model knows it: of a deletionTimestamp only that it is set."""
    meta = dict(obj["metadata"])
    if "deletionTimestamp" in meta:
        meta["deletionTimestamp"] = True
    return {**obj, "metadata": meta}


@dataclass
class Outcome:
    error: type[StatusError] | None = None
    message: str = ""  # part of the error's message
    write: str | None = None  # the change written (ADDED, MODIFIED, DELETED); None: nothing is
    obj: dict | None = None  # the returned object's view, before the store assigns what it assigns
    removed: bool | None = None  # delete's second result


@dataclass
class Model:
    """Objects as views by key. The store assigns uid, creationTimestamp and resourceVersion."""

    revision: int  # the last acknowledged revision
    objects: dict[Key, dict] = field(default_factory=dict)
    team_terminating: bool = False

    def expect(self, op: Create | Update | UpdateStatus | Delete, body: Any) -> Outcome:
        """What ``op`` does, sent with ``body`` (for a delete: its resourceVersion precondition)."""
        resource, namespace, name = op.key
        cur = self.objects.get(op.key)
        if isinstance(op, Create):
            if cur is not None:
                return Outcome(AlreadyExists, f'{resource} "{name}" already exists')
            if namespace == TEAM and self.team_terminating:
                return Outcome(Forbidden, "because it is being terminated")
            meta = {"name": name, "namespace": namespace, "uid": None, "creationTimestamp": None}
            meta["resourceVersion"] = None
            if resource not in WITHOUT_GENERATION:
                meta["generation"] = 1
            if op.labels:
                meta["labels"] = op.labels
            if op.finalizers:
                meta["finalizers"] = op.finalizers
            new = {"apiVersion": "v1", "kind": KINDS[resource], "metadata": meta, "data": op.data}
            if op.status is not None:
                new["status"] = op.status
            return Outcome(write="ADDED", obj=new)
        if cur is None:
            return Outcome(NotFound, f'{resource} "{name}" not found')
        cur_meta = cur["metadata"]
        deleting = "deletionTimestamp" in cur_meta
        if isinstance(op, Delete):
            if body is not None and body != cur_meta["resourceVersion"]:
                return Outcome(Conflict, "Precondition failed: ResourceVersion")
            if not cur_meta.get("finalizers"):
                return Outcome(write="DELETED", obj=cur, removed=True)
            if deleting:
                return Outcome(obj=cur, removed=False)
            meta = {**cur_meta, "deletionTimestamp": True, "deletionGracePeriodSeconds": 0}
            return Outcome(write="MODIFIED", obj={**cur, "metadata": meta}, removed=False)
        sent = body["metadata"]
        if "resourceVersion" in sent and sent["resourceVersion"] != cur_meta["resourceVersion"]:
            return Outcome(Conflict, "the object has been modified")
        if "uid" in sent and sent["uid"] != cur_meta["uid"]:  # recreated since the body was built
            return Outcome(Conflict, "Precondition failed: UID")
        if isinstance(op, UpdateStatus):
            new = {k: v for k, v in cur.items() if k != "status"}
            if op.status is not None:
                new["status"] = op.status
        else:
            if deleting and set(op.finalizers) - set(cur_meta.get("finalizers", ())):
                return Outcome(Invalid, "no new finalizers can be added if the object is being deleted")
            kept = ("name", "namespace", "uid", "creationTimestamp", "resourceVersion")
            meta = {k: v for k, v in cur_meta.items() if k in kept or k.startswith("deletion")}
            if "generation" in cur_meta:
                meta["generation"] = cur_meta["generation"] + (op.data != cur["data"])
            if op.labels:
                meta["labels"] = op.labels
            if op.finalizers:
                meta["finalizers"] = op.finalizers
            new = {"apiVersion": "v1", "kind": KINDS[resource], "metadata": meta, "data": op.data}
            if "status" in body:  # an update replaces the whole object, status included
                new["status"] = body["status"]
        if new == cur:
            return Outcome(obj=cur)
        if deleting and not new["metadata"].get("finalizers"):
            return Outcome(write="DELETED", obj=new)
        return Outcome(write="MODIFIED", obj=new)


# -- requests ----------------------------------------------------------------------------------------


def resolve_key(op: Any, model: Model) -> Any:
    if isinstance(op, DeleteNamespace) or not isinstance(op.key, int):
        return op
    present = sorted(model.objects)
    return replace(op, key=present[op.key % len(present)] if present else KEYS[0])


@dataclass
class Revisions:
    seen: list[int]  # the start revision, then every acknowledged write's, in order
    versions: dict[Key, list[str]] = field(default_factory=dict)  # each key's resourceVersions, in order

    def resolve(self, choice: str | int | None, key: Key, model: Model) -> str | None:
        if choice is None:
            return None
        if choice == "current":
            obj = model.objects.get(key)
            return obj["metadata"]["resourceVersion"] if obj else str(self.seen[-1])
        assert isinstance(choice, int)
        if choice < 0:
            return str(self.seen[max(choice, -len(self.seen))])
        history = self.versions.get(key) or [str(self.seen[0])]
        return history[-1 - choice % len(history)]


def request(op: Any, model: Model, last: dict[Key, dict], revisions: Revisions) -> Any:
    """The body sent for ``op`` (for a delete, its resourceVersion precondition)."""
    if isinstance(op, DeleteNamespace):
        return None
    resource, namespace, name = op.key
    if isinstance(op, Delete):
        return revisions.resolve(op.rv, op.key, model)
    if isinstance(op, Create):
        meta: dict[str, Any] = {"name": name, "namespace": namespace}
        if op.forge:
            meta.update(FORGED, uid="forged-uid", resourceVersion="424242")
        if op.labels:
            meta["labels"] = op.labels
        if op.finalizers:
            meta["finalizers"] = op.finalizers
        body = {"apiVersion": "v1", "kind": KINDS[resource], "metadata": meta, "data": op.data}
        if op.status is not None:
            body["status"] = op.status
        return body
    # Updates start from the object as the store last returned it, as a client's would.
    skeleton = {
        "apiVersion": "v1",
        "kind": KINDS[resource],
        "metadata": {"name": name, "namespace": namespace},
    }
    base = last.get(op.key) or {**skeleton, "data": {}}
    meta = {k: v for k, v in base["metadata"].items() if k != "resourceVersion"}
    rv = revisions.resolve(op.rv, op.key, model)
    if rv is not None:
        meta["resourceVersion"] = rv
    if isinstance(op, UpdateStatus):
        body = {k: v for k, v in base.items() if k != "status"}
        if op.status is not None:
            body["status"] = op.status
        return {**body, "metadata": meta, "data": op.noise}
    meta = {k: v for k, v in meta.items() if k not in ("labels", "finalizers")}
    if op.forge:
        meta.update(FORGED)
    if op.labels:
        meta["labels"] = op.labels
    if op.finalizers:
        meta["finalizers"] = op.finalizers
    return {**base, "metadata": meta, "data": op.data}


def call(store: Store, op: Any, body: Any) -> Callable[[], Awaitable[Any]]:
    if isinstance(op, DeleteNamespace):
        return lambda: store.delete("namespaces", "", TEAM)
    resource, namespace, name = op.key
    if isinstance(op, Create):
        return lambda: store.create(resource, body)
    if isinstance(op, Update):
        return lambda: store.update(resource, body)
    if isinstance(op, UpdateStatus):
        return lambda: store.update(resource, body, subresource="status")
    return lambda: store.delete(resource, namespace, name, resource_version=body)


async def run_concurrently(calls: list[Callable[[], Awaitable[Any]]]) -> tuple[list[int], list[tuple]]:
    """The order in which the calls reached the store, and each one's (result, error)."""
    order: list[int] = []
    results: list[tuple] = [()] * len(calls)

    async def run(i: int) -> None:
        order.append(i)  # the store checks and stages a write before it first suspends
        try:
            results[i] = (await calls[i](), None)
        except StatusError as error:
            results[i] = (None, error)

    async with anyio.create_task_group() as tasks:
        for i in range(len(calls)):
            tasks.start_soon(run, i)
    assert sorted(order) == list(range(len(calls)))
    return order, results


def key_of(obj: dict, resource: str) -> Key:
    return (resource, obj["metadata"]["namespace"], obj["metadata"]["name"])


# -- the test ----------------------------------------------------------------------------------------


@dataclass
class Run:
    store: Store
    model: Model
    revisions: Revisions
    last: dict[Key, dict] = field(default_factory=dict)  # what the store last returned, per live key
    writes: dict[str, list[int]] = field(default_factory=lambda: {r: [] for r in RESOURCES})
    uids: set[str] = field(default_factory=set)
    snapshots: list[tuple[int, dict[str, list[dict]]]] = field(default_factory=list)

    async def step(self, step: list[Any]) -> None:
        step = [resolve_key(op, self.model) for op in step]
        bodies = [request(op, self.model, self.last, self.revisions) for op in step]
        calls = [call(self.store, op, body) for op, body in zip(step, bodies, strict=True)]
        order, results = await run_concurrently(calls)
        for i in order:
            self.check(step[i], bodies[i], *results[i])

    def acknowledged(self, obj: dict) -> int:
        revision = int(obj["metadata"]["resourceVersion"])
        assert revision > self.model.revision, f"write acknowledged at {revision} after {self.model.revision}"
        self.model.revision = revision
        self.revisions.seen.append(revision)
        return revision

    def check(self, op: Any, body: Any, result: Any, error: StatusError | None) -> None:
        if isinstance(op, DeleteNamespace):
            assert error is None, error
            obj, removed = result
            assert not removed and obj["status"]["phase"] == "Terminating"
            if not self.model.team_terminating:  # the first delete writes, later ones change nothing
                self.acknowledged(obj)
                self.model.team_terminating = True
            return
        outcome = self.model.expect(op, body)
        if outcome.error is not None:
            assert isinstance(error, outcome.error), (op, body, outcome, error)
            assert outcome.message in error.message, (op, error.message)
            return
        assert error is None, (op, body, error)
        obj, removed = result if isinstance(op, Delete) else (result, None)
        assert removed == outcome.removed, (op, removed)
        expected = outcome.obj
        assert expected is not None
        if outcome.write is not None:
            revision = self.acknowledged(obj)
            self.writes[op.key[0]].append(revision)
            self.revisions.versions.setdefault(op.key, []).append(str(revision))
            meta = {**expected["metadata"], "resourceVersion": str(revision)}
            if outcome.write == "ADDED":
                uid, created = obj["metadata"]["uid"], obj["metadata"]["creationTimestamp"]
                assert uid not in self.uids and uid != "forged-uid" and TIMESTAMP.fullmatch(created), obj
                self.uids.add(uid)
                meta.update(uid=uid, creationTimestamp=created)
            expected = {**expected, "metadata": meta}
        assert view(obj) == expected, (op, body)
        if "deletionTimestamp" in obj["metadata"]:
            assert TIMESTAMP.fullmatch(obj["metadata"]["deletionTimestamp"]), obj
        if outcome.write == "DELETED":
            del self.model.objects[op.key], self.last[op.key]
        else:
            self.model.objects[op.key], self.last[op.key] = expected, obj

    def check_state(self, watchers: dict[str, Any]) -> None:
        """After a step every write is acknowledged, hence committed and served."""
        assert self.store.revision == self.model.revision, "store.revision is not the last acknowledged write"
        for resource in RESOURCES:
            listed = self.store.list(Query(resource))
            assert listed.revision == self.store.revision
            present = sorted(k for k in self.model.objects if k[0] == resource)
            assert [key_of(o, resource) for o in listed.items] == present
            assert [view(o) for o in listed.items] == [self.model.objects[k] for k in present]
            assert listed.items == [self.last[k] for k in present]
            assert watchers[resource].pending() == len(self.writes[resource]), "an event was not delivered"
        for key in KEYS:
            assert self.store.find(*key) == self.last.get(key), key
            if key in self.last:
                assert self.store.get(*key) == self.last[key]
            else:
                with pytest.raises(NotFound):
                    self.store.get(*key)
        self.snapshots.append((self.store.revision, {r: self.store.list(Query(r)).items for r in RESOURCES}))


def replay(events: list[Any], resource: str) -> dict[Key, dict]:
    state: dict[Key, dict] = {}
    for event in events:
        key = key_of(event.object, resource)
        assert event.revision == int(event.object["metadata"]["resourceVersion"]), event
        if event.type == "ADDED":
            assert key not in state, event
        else:
            assert event.type in ("MODIFIED", "DELETED") and key in state, event
        if event.type == "DELETED":
            del state[key]
        else:
            state[key] = event.object
    return state


async def run_example(path: Path, steps: list[list[Any]]) -> None:
    async with open_store(path, **STORE_OPTIONS) as store:
        await store.create("namespaces", {"metadata": {"name": TEAM}})
        start = store.revision
        watchers = {r: store.watch(Query(r), since=start) for r in RESOURCES}
        run = Run(store, Model(start), Revisions([start]))
        for step in steps:
            await run.step(step)
            run.check_state(watchers)

        # Revisions: one counter, each write the next, no-op writes none.
        assert run.revisions.seen == list(range(start, store.revision + 1))
        for resource, watcher in watchers.items():
            with anyio.fail_after(5):  # they are buffered: none of these waits
                events = [await watcher.__anext__() for _ in range(watcher.pending())]
            assert watcher.pending() == 0
            assert [e.revision for e in events] == run.writes[resource]  # hence strictly increasing
            state = replay(events, resource)
            assert [state[k] for k in sorted(state)] == store.list(Query(resource)).items, resource
        for revision, lists in run.snapshots:
            for resource in RESOURCES:
                assert store.list(Query(resource), revision=revision).items == lists[resource], revision
        final = {r: store.list(Query(r)).items for r in (*RESOURCES, "namespaces")}
        final_revision = store.revision

    async with open_store(path, **STORE_OPTIONS) as store:
        assert store.revision == final_revision
        for resource, items in final.items():
            assert store.list(Query(resource)).items == items, resource
        after = await store.create("configmaps", {"metadata": {"name": "after", "namespace": "default"}})
        assert int(after["metadata"]["resourceVersion"]) == final_revision + 1


@settings(max_examples=120, deadline=None)  # about 13 s
@given(examples)
def test_store_agrees_with_model(steps: list[list[Any]]) -> None:
    with tempfile.TemporaryDirectory(prefix="store-model-") as directory:
        try:
            anyio.run(run_example, Path(directory) / "state.db", steps, backend="asyncio")
        except BaseExceptionGroup as group:  # open_store's task group wraps what fails inside it
            inner: BaseException = group
            while isinstance(inner, BaseExceptionGroup) and len(inner.exceptions) == 1:
                inner = inner.exceptions[0]
            raise inner from None
