"""The members karmadad talks to: one connection per cluster and informers shared per (cluster, resource).

Whoever needs a member — the status loop, later the execution and status controllers — asks this
registry, so a member has one client, one rate limit and one watch per resource however many readers it
has. Informers start on first use and stop when their cluster is disconnected (dropped from the config,
unjoined, or its credentials changed).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import anyio
from anyio.abc import TaskGroup, TaskStatus

from karmadad.config import ClusterConfig
from karmadad.logs import get_logger
from karmadad.members.connection import MemberConnection, MemberObjects
from karmadad.members.source import MemberSource
from karmadad.runtime.informer import Informer, Transform

log = get_logger("members")


class MemberAccess(Protocol):
    """What a controller working in members needs of them (:class:`Members`; a fake in tests)."""

    def client(self, name: str) -> MemberObjects | None:
        """The member's objects, while it is connected."""
        ...

    def informer(self, name: str, path: str, transform: Transform | None = None) -> Informer:
        """The shared informer of ``path`` in the member, kept through ``transform``."""
        ...


class Members:
    def __init__(self) -> None:
        self._entries: dict[str, ClusterConfig] = {}
        self._connections: dict[str, MemberConnection] = {}
        self._load_errors: dict[str, str] = {}  # why a member's connection could not be opened
        # cluster -> (path, transform) -> informer
        self._informers: dict[str, dict[tuple[str, Transform | None], Informer]] = {}
        self._scopes: dict[str, list[anyio.CancelScope]] = {}  # cluster -> its informers' cancel scopes
        self._tasks: TaskGroup | None = None

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Hold the task group the informers run in; on the way out close every connection."""
        try:
            async with anyio.create_task_group() as self._tasks:
                task_status.started()
                await anyio.sleep_forever()
        finally:
            self._tasks = None
            with anyio.CancelScope(shield=True):
                for name in list(self._connections):
                    await self.disconnect(name)

    # -- connections -----------------------------------------------------------------------------

    async def connection(self, entry: ClusterConfig) -> MemberConnection | None:
        """The member's connection, opened on first use; None (see ``load_error``) when its credentials
        cannot be loaded. A changed entry (address, credentials, limits) reconnects."""
        if self._entries.get(entry.name) not in (None, entry):
            await self.disconnect(entry.name)
        self._entries[entry.name] = entry
        if entry.name not in self._connections:
            try:
                self._connections[entry.name] = await MemberConnection.open(entry)
            except Exception as error:
                message = f"cannot load the cluster's credentials: {error}"
                if self._load_errors.get(entry.name) != message:  # once per distinct problem, not every probe
                    log.error("cannot load the member's credentials", cluster=entry.name, error=str(error))
                self._load_errors[entry.name] = message
                return None
            self._load_errors.pop(entry.name, None)
        return self._connections[entry.name]

    def client(self, name: str) -> MemberConnection | None:
        """The member's open connection (the cluster controller opens it), for typed reads and writes of its
        objects, if any."""
        return self._connections.get(name)

    def load_error(self, name: str) -> str:
        return self._load_errors.get(name, "")

    def names(self) -> set[str]:
        return set(self._entries)

    async def disconnect(self, name: str) -> None:
        """Stop the member's informers and close its connection."""
        self._entries.pop(name, None)
        self._load_errors.pop(name, None)
        self._informers.pop(name, None)
        for scope in self._scopes.pop(name, ()):
            scope.cancel()
        if (connection := self._connections.pop(name, None)) is not None:
            await connection.close()

    # -- informers -------------------------------------------------------------------------------

    def informer(self, name: str, path: str, transform: Transform | None = None) -> Informer:
        """The shared informer for ``path`` (e.g. ``/api/v1/pods``) kept through ``transform`` in a
        connected member, started on first use. Readers wanting other transforms of the same objects get
        an informer each (the cluster controller's lean Pods count capacity; the execution controller
        needs a propagated Pod whole)."""
        by_path = self._informers.setdefault(name, {})
        key = (path, transform)
        if key not in by_path:
            if self._tasks is None:
                raise RuntimeError("Members.run is not running")
            informer = Informer(MemberSource(self._connections[name], path), transform=transform)
            by_path[key] = informer
            scope = anyio.CancelScope()
            self._scopes.setdefault(name, []).append(scope)

            async def run() -> None:
                with scope:
                    await informer.run()

            self._tasks.start_soon(run)
        return by_path[key]

    def informers(self) -> Iterator[tuple[str, str, str, Informer]]:
        """(cluster, path, name of its transform or "", informer) for every running informer."""
        for name, by_path in self._informers.items():
            for (path, transform), informer in by_path.items():
                yield name, path, getattr(transform, "__name__", ""), informer
