"""Member requests retry when the member is overloaded or briefly gone, and give up after a bound."""

from __future__ import annotations

import time

import anyio
import pytest
from aiohttp import web
from kubernetes_asyncio import client

from karmadad.members.connection import MemberConnection, MemberUnreachable, retry_delay

pytestmark = pytest.mark.anyio


async def serve(answers: list[tuple[int, dict]], seen: list[tuple[str, dict]]):
    """A loopback HTTP member that gives the queued answers in turn (the last one forever)."""

    async def handler(request: web.Request) -> web.Response:
        seen.append((request.method, await request.json() if request.can_read_body else {}))
        status, body = answers.pop(0) if len(answers) > 1 else answers[0]
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    return runner, f"http://127.0.0.1:{port}"


def connection(host: str) -> MemberConnection:
    configuration = client.Configuration()
    configuration.host = host
    return MemberConnection("m", configuration)


async def test_overload_and_server_errors_are_retried_then_the_answer_returned():
    seen: list = []
    throttled = {"kind": "Status", "code": 429, "details": {"retryAfterSeconds": 1}}
    runner, host = await serve([(429, throttled), (503, {}), (201, {"ok": True})], seen)
    member = connection(host)
    try:
        started = time.monotonic()
        status, body = await member.request("POST", "/api/v1/namespaces/d/configmaps", {"a": 1})
        assert (status, body) == (201, {"ok": True})
        assert seen == [("POST", {"a": 1})] * 3
        assert time.monotonic() - started >= 1.0, "the 429's retryAfterSeconds was honoured"
    finally:
        await member.close()
        await runner.cleanup()


async def test_client_errors_are_not_retried():
    seen: list = []
    runner, host = await serve([(409, {"reason": "AlreadyExists"})], seen)
    member = connection(host)
    try:
        assert (await member.request("POST", "/x", {}))[0] == 409
        assert len(seen) == 1
    finally:
        await member.close()
        await runner.cleanup()


async def test_retries_are_bounded():
    seen: list = []
    runner, host = await serve([(500, {})], seen)
    member = connection(host)
    try:
        assert (await member.request("PUT", "/x", {}, attempts=3))[0] == 500
        assert len(seen) == 3
    finally:
        await member.close()
        await runner.cleanup()
    nobody = connection(host)  # the server is gone now: connection refused every time
    try:
        with anyio.fail_after(10), pytest.raises(MemberUnreachable):
            await nobody.request("GET", "/x", attempts=3)
    finally:
        await nobody.close()


def test_retry_delay_grows_with_jitter_and_is_capped():
    assert all(0 <= retry_delay(0) <= 0.1 for _ in range(100))
    assert all(0 <= retry_delay(3) <= 0.8 for _ in range(100))
    assert all(retry_delay(30) <= 5.0 for _ in range(100))
    assert retry_delay(0, {"details": {"retryAfterSeconds": 2}}) >= 2
    assert retry_delay(0, {"details": {"retryAfterSeconds": 600}}) == 5.0
