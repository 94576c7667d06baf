"""One object in a member, read and written as the local store reads and writes: by resource, namespace
and name, answering the object or raising the :mod:`karmadad.errors` class of the member's ``Status``.

A controller that applies Works handles a member's refusal (NotFound for a missing namespace, Conflict,
Invalid) as it handles the store's, and an in-process test can put a store behind the same
:class:`MemberObjects` shape in place of a member (``tests/controllers/fake_member.py``). A member that does
not answer at all raises :class:`~karmadad.members.connection.MemberUnreachable`: no Status to read.
"""

from __future__ import annotations

from typing import Protocol

from karmadad.api.registry import ResourceType
from karmadad.errors import from_status
from karmadad.members.connection import MemberConnection
from karmadad.members.source import strip_managed_fields
from karmadad.runtime.informer import Informer, Transform

# what karmadad sends a member with a DELETE: its dependents go in the background, as kubectl's default
BACKGROUND_DELETION = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}


def collection_path(resource: ResourceType) -> str:
    """Where a member lists every object of the resource (all namespaces)."""
    base = f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"
    return f"{base}/{resource.plural}"


def object_path(resource: ResourceType, namespace: str, name: str = "") -> str:
    """The path of one object (or, without a name, of the resource in one namespace)."""
    base = f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"
    scope = f"/namespaces/{namespace}" if resource.namespaced else ""
    return f"{base}{scope}/{resource.plural}" + (f"/{name}" if name else "")


def _where(obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace", ""), meta.get("name", "")


class MemberObjects(Protocol):
    """Create, replace, read and delete one object of a member cluster."""

    async def create(self, resource: ResourceType, obj: dict) -> dict: ...

    async def replace(self, resource: ResourceType, obj: dict) -> dict:
        """Write ``obj`` whole; its resourceVersion makes the write conditional (Conflict if it moved)."""
        ...

    async def read(self, resource: ResourceType, namespace: str, name: str) -> dict: ...

    async def delete(self, resource: ResourceType, namespace: str, name: str) -> None: ...


class MemberClient:
    """:class:`MemberObjects` over a member's REST API (retried as :meth:`MemberConnection.request` retries);
    answers come without managedFields, which nothing in karmadad reads from a member."""

    def __init__(self, connection: MemberConnection):
        self.connection = connection

    async def _call(self, method: str, path: str, body: dict | None, ok: tuple[int, ...]) -> dict:
        status, answer = await self.connection.request(method, path, body)
        if status not in ok:
            raise from_status(status, answer)
        return strip_managed_fields(answer) if isinstance(answer, dict) else {}

    async def create(self, resource: ResourceType, obj: dict) -> dict:
        namespace, _ = _where(obj)
        return await self._call("POST", object_path(resource, namespace), obj, (200, 201, 202))

    async def replace(self, resource: ResourceType, obj: dict) -> dict:
        return await self._call("PUT", object_path(resource, *_where(obj)), obj, (200, 201))

    async def read(self, resource: ResourceType, namespace: str, name: str) -> dict:
        return await self._call("GET", object_path(resource, namespace, name), None, (200,))

    async def delete(self, resource: ResourceType, namespace: str, name: str) -> None:
        await self._call("DELETE", object_path(resource, namespace, name), BACKGROUND_DELETION, (200, 202))


class MemberAccess(Protocol):
    """What a controller working in members needs of them (:class:`karmadad.members.registry.Members`)."""

    def client(self, name: str) -> MemberObjects | None:
        """The member's objects, while it is connected."""
        ...

    def informer(self, name: str, path: str, transform: Transform | None = None) -> Informer:
        """The shared informer of ``path`` in the member, kept through ``transform``."""
        ...
