"""The API port under slowloris, and plain HTTP on it: real clients keep being served."""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time

import pytest

from tests.api.rawhttp import TOKEN

ATTACKERS = 1_000
LINE_EVERY = 5.0  # seconds between the header lines each attacker trickles
REQUESTS = 200


def _tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class _Count:
    def __init__(self, target: int):
        self.value = 0
        self.reached = asyncio.Event()
        self.target = target

    def add(self) -> None:
        self.value += 1
        if self.value >= self.target:
            self.reached.set()


async def _attacker(host: str, port: int, context: ssl.SSLContext, until: float, opened: _Count) -> None:
    """Opens a TLS connection, starts a request and sends one more header line every few seconds,
    forever; when the server closes it, comes back a little later with a new one."""
    while time.monotonic() < until:
        writer = None
        opened.add()  # an attempt: the server may close it before, during or after the handshake
        try:
            reader, writer = await asyncio.open_connection(host, port, ssl=context)
            writer.write(b"GET /api HTTP/1.1\r\nHost: karmadad\r\n")
            while time.monotonic() < until:
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1), LINE_EVERY) == b"":
                        break  # closed by the server
                except TimeoutError:
                    writer.write(b"X-Slow: 1\r\n")
        except (OSError, ssl.SSLError):
            pass
        finally:
            if writer is not None:
                writer.close()
        await asyncio.sleep(LINE_EVERY)


async def _legitimate(host: str, port: int, context: ssl.SSLContext) -> tuple[float, bytes]:
    """One request on a new connection, as a fresh kubectl makes it."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(host, port, ssl=context)
    try:
        writer.write(
            b"GET /api/v1/namespaces/default HTTP/1.1\r\nHost: karmadad\r\nConnection: close\r\n"
            + f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
        )
        answer = await reader.read()
    finally:
        writer.close()
    return time.perf_counter() - started, answer


def _open_descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def test_a_thousand_slowloris_connections_do_not_stop_real_clients(karmadad):
    host, port = karmadad.api.rsplit(":", 1)

    async def scenario() -> tuple[list[float], int, int]:
        context = _tls()
        opened = _Count(ATTACKERS)
        until = time.monotonic() + 3 * LINE_EVERY + 15
        attackers = [
            asyncio.ensure_future(_attacker(host, int(port), context, until, opened))
            for _ in range(ATTACKERS)
        ]
        await asyncio.wait_for(opened.reached.wait(), 60)
        await asyncio.sleep(LINE_EVERY)  # the attack settles: lines trickling, evictions under way
        latencies = []
        most_descriptors = 0
        for _ in range(REQUESTS):
            took, answer = await _legitimate(host, int(port), context)
            assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
            latencies.append(took)
            most_descriptors = max(most_descriptors, _open_descriptors(karmadad.proc.pid))
            await asyncio.sleep(0.05)
        for task in attackers:
            task.cancel()
        await asyncio.gather(*attackers, return_exceptions=True)
        return latencies, opened.value, most_descriptors

    latencies, opened, descriptors = asyncio.run(scenario())
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"slowloris: p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, fds {descriptors}"
    )
    assert opened >= ATTACKERS
    assert p99 <= 0.100, f"p99 {p99 * 1000:.0f} ms; p50 {latencies[len(latencies) // 2] * 1000:.0f} ms"
    assert descriptors < 2 * ATTACKERS, descriptors  # stalled strangers are closed, not piled up
    assert karmadad.proc.poll() is None


@pytest.mark.parametrize("start", [b"GET /api HTTP/1.1\r\n\r\n", b"POST /api/v1/namespaces HTTP/1.1\r\n\r\n"])
def test_plain_http_on_the_api_port_gets_kube_apiservers_400(karmadad, start):
    host, port = karmadad.api.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(start)
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    assert answer == b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
