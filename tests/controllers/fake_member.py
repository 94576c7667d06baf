"""Member clusters in process, for controller tests that need no Go-built binary.

A fake member is a karmadad store of its own: it answers create, replace, read and delete as a member's API
server does for what the execution controller asks (uids, resourceVersions, Conflict on a stale write,
AlreadyExists, NotFound for a missing namespace), and its informers list and watch it. Real members prove the
real thing in ``tests/integration``; this proves the controllers' own logic, fast.

:func:`drained` is the barrier the tests wait on instead of sleeping: every store has committed what it was
handed, and every controller's queue is empty, idle, and has nothing due back soon.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import anyio
from anyio.abc import TaskGroup

from karmadad.api import strategy
from karmadad.api.registry import Registry, ResourceType
from karmadad.errors import NotFound
from karmadad.runtime.controller import Controller
from karmadad.runtime.informer import Informer, StoreSource, Transform
from karmadad.store import Store
from karmadad.store.watch import Query


@dataclass
class FakeMember:
    """One member cluster: its objects (``store``) and how many writes karmadad sent it."""

    name: str
    store: Store
    registry: Registry
    writes: list[str] = field(default_factory=list)  # "create Deployment shop/web", in order

    def _note(self, verb: str, resource: ResourceType, namespace: str, name: str) -> None:
        self.writes.append(f"{verb} {resource.kind} {namespace + '/' if namespace else ''}{name}")

    async def create(self, resource: ResourceType, obj: dict) -> dict:
        meta = obj["metadata"]
        self._note("create", resource, meta.get("namespace", ""), meta["name"])
        return await self.store.create(resource.group_resource, strategy.prepare_create(resource, obj))

    async def replace(self, resource: ResourceType, obj: dict) -> dict:
        meta = obj["metadata"]
        self._note("update", resource, meta.get("namespace", ""), meta["name"])
        current = self.store.get(resource.group_resource, meta.get("namespace", ""), meta["name"])
        return await self.store.update(
            resource.group_resource, strategy.prepare_update(resource, current, obj)
        )

    async def read(self, resource: ResourceType, namespace: str, name: str) -> dict:
        return self.store.get(resource.group_resource, namespace, name)

    async def delete(self, resource: ResourceType, namespace: str, name: str) -> None:
        self._note("delete", resource, namespace, name)
        await self.store.delete(resource.group_resource, namespace, name)

    def find(self, resource: ResourceType, namespace: str, name: str) -> dict | None:
        return self.store.find(resource.group_resource, namespace, name)


class FakeMembers:
    """The :class:`~karmadad.members.registry.MemberAccess` of the execution controller, over fake members."""

    def __init__(self, registry: Registry, tasks: TaskGroup):
        self.registry = registry
        self.connected: dict[str, FakeMember] = {}
        self._tasks = tasks
        self._informers: dict[tuple[str, str, Transform | None], Informer] = {}

    def add(self, member: FakeMember) -> None:
        self.connected[member.name] = member

    def client(self, name: str) -> FakeMember | None:
        return self.connected.get(name)

    def informer(self, name: str, path: str, transform: Transform | None = None) -> Informer:
        key = (name, path, transform)
        if key not in self._informers:
            member = self.connected[name]
            resource = self._resource(path)
            source = StoreSource(member.store, Query(resource.group_resource), bookmark_interval=None)
            informer = self._informers[key] = Informer(source, transform=transform)
            self._tasks.start_soon(informer.run)
        return self._informers[key]

    def _resource(self, path: str) -> ResourceType:
        """The resource of a collection path: ``/api/v1/pods``, ``/apis/apps/v1/deployments``."""
        parts = path.strip("/").split("/")
        group, version, plural = ("", parts[1], parts[2]) if parts[0] == "api" else tuple(parts[1:4])
        resource = self.registry.get(group, version, plural)
        if resource is None:
            raise NotFound(f"the server could not find the requested resource ({path})")
        return resource


async def drained(stores: Iterable[Store], controllers: Iterable[Controller]) -> None:
    """Wait until nothing moves: every store settled and every queue idle with nothing due within a second,
    seen so on consecutive turns of the event loop (a change told to a handler queues its key on the
    next one). Fails the test after ten seconds."""
    stores, controllers = list(stores), list(controllers)
    with anyio.fail_after(10):
        quiet = 0
        while quiet < 10:
            await anyio.sleep(0.001)
            moving = any(not s.settled for s in stores) or any(c.queue.busy(within=1.0) for c in controllers)
            quiet = 0 if moving else quiet + 1
