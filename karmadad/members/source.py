"""A member cluster's resource as an informer source: LIST, then WATCH from the list's revision.

The watch stream is read as raw JSON lines (kubernetes_asyncio would parse each event into models,
twice); bookmarks keep the resume point fresh; a stream that stays silent longer than the inactivity
timeout is treated as dead (a member that vanished without closing the connection), and a 410 makes
the informer list again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import orjson

from karmadad.errors import Expired
from karmadad.members.connection import MemberConnection, MemberUnreachable
from karmadad.runtime.informer import SourceEvent

WATCH_SECONDS = 300  # server-side timeout of one watch request; the informer resumes after it
INACTIVITY_SECONDS = 90.0  # no event and no bookmark for this long: the stream is dead


def typed_items(listed: dict) -> list[dict]:
    """A LIST answer's items with their ``apiVersion`` and ``kind``, which kube-apiserver leaves out of items
    in JSON (the list's own say them: ``DeploymentList`` holds Deployments) and watch events carry — so an
    object reads the same whichever way it reached the cache (the interpreters go by kind)."""
    api_version, list_kind = listed.get("apiVersion"), str(listed.get("kind") or "")
    kind = list_kind.removesuffix("List") if list_kind.endswith("List") else ""
    items = listed.get("items") or []
    if not (api_version and kind):
        return items
    return [item if item.get("kind") else {"apiVersion": api_version, "kind": kind, **item} for item in items]


class MemberWatchFailed(Exception):
    pass


class MemberSource:
    def __init__(self, connection: MemberConnection, path: str, *, inactivity: float = INACTIVITY_SECONDS):
        self.connection = connection
        self.path = path  # e.g. /api/v1/pods or /apis/apps/v1/namespaces/default/deployments
        self.name = f"{connection.name}:{path}"
        self.cluster, self.resource = connection.name, path
        self._inactivity = inactivity

    async def list(self) -> tuple[list[dict], int]:
        status, body = await self.connection.get(self.path)
        if status != 200 or not isinstance(body, dict):
            raise MemberWatchFailed(f"LIST {self.path} answered {status}")
        return typed_items(body), int(body.get("metadata", {}).get("resourceVersion") or 0)

    async def watch(self, since: int) -> AsyncIterator[SourceEvent]:
        query = f"?watch=1&allowWatchBookmarks=true&resourceVersion={since}&timeoutSeconds={WATCH_SECONDS}"
        try:
            response = await self.connection.open_response(
                "GET", self.path + query, within=WATCH_SECONDS + 30, idle=self._inactivity
            )
        except Exception as error:
            raise MemberUnreachable(f"{type(error).__name__}: {error}") from None
        if response.status != 200:
            answer = await response.text()
            response.release()
            if response.status == 410:
                raise Expired(answer)
            raise MemberWatchFailed(f"WATCH {self.path} answered {response.status}: {answer[:200]}")
        try:
            while True:
                line = await response.content.readline()  # the session's read timeout: inactivity
                if not line:
                    return  # the server ended the watch; the informer resumes from its revision
                event = orjson.loads(line)
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise Expired(obj.get("message", "too old resource version"))
                    raise MemberWatchFailed(obj.get("message", "watch error"))
                revision = int((obj.get("metadata") or {}).get("resourceVersion") or 0)
                yield SourceEvent(kind, None if kind == "BOOKMARK" else obj, revision)
        except TimeoutError:
            raise MemberWatchFailed(f"no event or bookmark for {self._inactivity:.0f}s") from None
        finally:
            response.release()
