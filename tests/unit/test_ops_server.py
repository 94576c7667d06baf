"""The operations listener on loopback answers only requests addressed to a loopback name, so that a web page
whose own name was pointed at 127.0.0.1 (DNS rebinding) cannot read the status page or the metrics through
the operator's browser; on any other address it answers whatever name it is reached by."""

from __future__ import annotations

import http.client

import anyio
import pytest

from karmadad.ops_server import Readiness, serve_ops
from tests.kube.cluster import free_ports

pytestmark = pytest.mark.anyio


def _get(port: int, host: str | None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.putrequest("GET", "/healthz", skip_host=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        return connection.getresponse().status
    finally:
        connection.close()


async def _statuses(listen: str, port: int, hosts: list[str | None]) -> list[int]:
    async with anyio.create_task_group() as tasks:
        await tasks.start(serve_ops, listen, Readiness())
        statuses = [await anyio.to_thread.run_sync(_get, port, host) for host in hosts]
        tasks.cancel_scope.cancel()
    return statuses


HOSTS: list[str | None] = [
    "127.0.0.1:9464",
    "localhost:9464",
    "LOCALHOST.",
    "[::1]:9464",
    "127.3.2.1",
    "rebound.example:9464",
    "10.0.0.1:9464",
    "[fe80::1]:9464",
    "",
    None,
]


async def test_on_loopback_only_loopback_names_are_answered():
    (port,) = free_ports(1)
    statuses = await _statuses(f"127.0.0.1:{port}", port, HOSTS)
    assert statuses == [200, 200, 200, 200, 200, 421, 421, 421, 421, 400]  # no Host: HTTP/1.1 refuses it


async def test_elsewhere_any_name_is_answered():
    (port,) = free_ports(1)
    statuses = await _statuses(f"0.0.0.0:{port}", port, ["rebound.example:9464", "127.0.0.1"])
    assert statuses == [200, 200]
