"""A member's watch stream as the informer reads it: events in order, and a silent stream declared dead."""

from __future__ import annotations

import json
import time

import anyio
import pytest
from aiohttp import web
from kubernetes_asyncio import client

from karmadad.errors import Expired
from karmadad.members.connection import MemberConnection
from karmadad.members.source import MemberSource, MemberWatchFailed

pytestmark = pytest.mark.anyio


async def serve(lines: list[dict], *, then_silent: float = 0.0, status: int = 200):
    """A loopback member whose watch sends ``lines`` and then stays silent (connection open)."""

    async def watch(request: web.Request) -> web.StreamResponse:
        if status != 200:
            return web.json_response({"kind": "Status", "code": status}, status=status)
        response = web.StreamResponse()
        await response.prepare(request)
        for line in lines:
            await response.write(json.dumps(line).encode() + b"\n")
        await anyio.sleep(then_silent)
        return response

    app = web.Application()
    app.router.add_get("/api/v1/configmaps", watch)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    configuration = client.Configuration()
    configuration.host = f"http://127.0.0.1:{port}"
    return runner, MemberConnection("m", configuration)


def event(kind: str, name: str, revision: int) -> dict:
    return {"type": kind, "object": {"metadata": {"name": name, "resourceVersion": str(revision)}}}


async def test_events_arrive_in_order_and_a_silent_stream_is_declared_dead_after_the_inactivity():
    runner, member = await serve([event("ADDED", "a", 5), event("BOOKMARK", "", 6)], then_silent=1.5)
    source = MemberSource(member, "/api/v1/configmaps", inactivity=0.5)
    seen = []
    try:
        started = time.monotonic()
        with anyio.fail_after(5), pytest.raises(MemberWatchFailed, match="no event or bookmark"):
            async for item in source.watch(4):
                seen.append((item.type, item.revision))
        assert 0.4 < time.monotonic() - started < 3
        assert seen == [("ADDED", 5), ("BOOKMARK", 6)]
    finally:
        await member.close()
        await runner.cleanup()


async def test_a_watch_refused_as_too_old_asks_for_a_new_list():
    runner, member = await serve([], status=410)
    try:
        with anyio.fail_after(5), pytest.raises(Expired):
            async for _ in MemberSource(member, "/api/v1/configmaps").watch(1):
                pass
    finally:
        await member.close()
        await runner.cleanup()
