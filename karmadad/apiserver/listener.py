"""The API port's front door: it accepts connections, speaks TLS, and keeps strangers from holding it.

Why not a plain TLS server socket: anyone who can reach the port could open connections and send
nothing, or a header line every few seconds (slowloris), until the process runs out of file
descriptors and nobody is served. So every connection is *pending* until a request on it has been
authenticated, and a pending connection

- must become trusted within :data:`PENDING_SECONDS` of its accept, or it is closed;
- is the first to go when a client holds :data:`MAX_PENDING_PER_CLIENT` pending connections, or the
  whole server :data:`MAX_CONNECTIONS`: the oldest pending one that has stalled (pending for over
  :data:`STALLED_SECONDS`) is closed for the newcomer, so an attacker's stalled connections make room
  for real clients instead of the other way round; a client mid-handshake is never the one closed.

Trusted connections are left to the HTTP server's idle timeout (kube-apiserver's 90 s). Before TLS,
the first bytes are peeked: plain HTTP gets the answer Go's server gives (400, "Client sent an HTTP
request to an HTTPS server.") instead of a dropped connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import resource
import socket
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from anyio.abc import TaskStatus

from karmadad import metrics
from karmadad.logs import get_logger

log = get_logger("apiserver")

PENDING_SECONDS = 10.0
STALLED_SECONDS = 1.0  # a pending connection younger than this may be a client mid-handshake: never evicted
MAX_PENDING_PER_CLIENT = 1024
MAX_CONNECTIONS = 8192
SWEEP_SECONDS = 1.0
_PLAIN_HTTP = (b"GET /", b"HEAD ", b"POST ", b"PUT /", b"OPTIO")  # what Go's server recognises
_PLAIN_HTTP_ANSWER = b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
_TLS_HANDSHAKE = 0x16


@dataclass(eq=False)
class _Connection:
    sock: socket.socket
    client: str
    accepted: float
    transport: asyncio.Transport | None = None
    task: asyncio.Task | None = None
    trusted: bool = False

    def close(self) -> None:
        if self.transport is not None:
            self.transport.abort()
        else:
            if self.task is not None:
                self.task.cancel()
            self.sock.close()

    @property
    def closed(self) -> bool:
        if self.transport is not None:
            return self.transport.is_closing()
        return self.sock.fileno() < 0


def raise_open_file_limit() -> int:
    """Lift the soft limit on open files to the hard one, as Go programs do at start; returns it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard and hard != resource.RLIM_INFINITY:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


class GuardedListener:
    """Accepts connections for ``protocol_factory`` (an aiohttp ``web.Server``) over TLS."""

    def __init__(
        self,
        protocol_factory: Callable[[], asyncio.Protocol],
        tls: ssl.SSLContext,
        *,
        max_connections: int = MAX_CONNECTIONS,
        max_pending_per_client: int = MAX_PENDING_PER_CLIENT,
        pending_seconds: float = PENDING_SECONDS,
        observed: bool = True,
    ):
        """``observed``: the connections count in karmadad's metrics (not those of a simulated member)."""
        self._observed = observed
        self._factory = protocol_factory
        self._tls = tls
        # never more than the process may open, with room for the store, members and the ops port
        self._max_connections = max(64, min(max_connections, raise_open_file_limit() - 512))
        self._max_pending_per_client = max_pending_per_client
        self._pending_seconds = pending_seconds
        self._connections: dict[int, _Connection] = {}  # by id(); insertion order = accept order
        self._pending: Counter[str] = Counter()  # pending connections per client address
        self._by_transport: dict[int, _Connection] = {}
        self._sockets: list[socket.socket] = []

    # -- what the HTTP layer tells us ------------------------------------------------------------

    def trust(self, transport: asyncio.BaseTransport | None) -> None:
        """A request on this connection authenticated: it is no longer evicted or timed out."""
        connection = self._by_transport.get(id(transport)) if transport is not None else None
        if connection is not None and not connection.trusted:
            connection.trusted = True
            self._release_pending(connection.client)

    # -- serving ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The port it listens on (the one the system chose, when asked for port 0)."""
        return int(self._sockets[0].getsockname()[1])

    async def serve(
        self, host: str, port: int, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        sockets = self._sockets = _listening_sockets(host, port)
        try:
            async with anyio.create_task_group() as tasks:
                for listening in sockets:
                    tasks.start_soon(self._accept_loop, listening)
                tasks.start_soon(self._sweep_loop)
                task_status.started()
        finally:
            for listening in sockets:
                listening.close()
            for connection in list(self._connections.values()):
                connection.close()

    async def _accept_loop(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, address = await loop.sock_accept(listening)
            except OSError as error:  # out of descriptors, say: make room, then go on accepting
                log.warning("accepting a connection failed", error=str(error))
                self._sweep(time.monotonic())
                self._evict_stalled(time.monotonic(), None)
                await anyio.sleep(0.1)
                continue
            connection = _Connection(sock, str(address[0]), time.monotonic())
            if not self._room_for(connection.client, connection.accepted):
                sock.close()  # the pending ones are all young or trusted: the newcomer waits its turn
                continue
            self._connections[id(connection)] = connection
            self._pending[connection.client] += 1
            connection.task = asyncio.ensure_future(self._start(connection))

    def _room_for(self, client: str, now: float) -> bool:
        """Whether a new connection from ``client`` may come in, closing a stalled pending one if the
        client's or the server's cap is reached."""
        if self._pending[client] >= self._max_pending_per_client and not self._evict_stalled(now, client):
            return False
        return len(self._connections) < self._max_connections or self._evict_stalled(now, None)

    def _evict_stalled(self, now: float, client: str | None) -> bool:
        """Close the oldest pending connection (of ``client``, or of anyone) if it has stalled."""
        for connection in self._connections.values():  # in accept order: the first match is the oldest
            if not connection.trusted and client in (None, connection.client):
                if now - connection.accepted < STALLED_SECONDS:
                    return False  # a handshake or a first request still under way
                self._evict(connection)
                return True
        return False

    def _release_pending(self, client: str) -> None:
        self._pending[client] -= 1
        if not self._pending[client]:
            del self._pending[client]

    def _evict(self, connection: _Connection) -> None:
        metrics.API_CONNECTIONS_EVICTED.inc()
        self._forget(connection)
        connection.close()

    def _forget(self, connection: _Connection) -> None:
        if self._connections.pop(id(connection), None) is not None and not connection.trusted:
            self._release_pending(connection.client)
        if connection.transport is not None:
            self._by_transport.pop(id(connection.transport), None)

    async def _start(self, connection: _Connection) -> None:
        """Peek at the first bytes, answer plain HTTP, else hand the socket to TLS and the HTTP server."""
        loop = asyncio.get_running_loop()
        sock = connection.sock
        try:
            with anyio.fail_after(self._pending_seconds):
                first = await _peek(sock, 5)
                if not first:
                    raise ConnectionError("closed before sending anything")
                if first[0] != _TLS_HANDSHAKE:
                    if first.startswith(_PLAIN_HTTP):
                        with contextlib.suppress(OSError):
                            sock.recv(65536)  # the request read, so closing does not reset the answer
                            sock.send(_PLAIN_HTTP_ANSWER)
                            sock.shutdown(socket.SHUT_WR)
                    raise ConnectionError("not TLS")
                transport, _ = await loop.connect_accepted_socket(
                    self._factory, sock, ssl=self._tls, ssl_handshake_timeout=self._pending_seconds
                )
        except (OSError, ConnectionError, TimeoutError, ssl.SSLError):
            self._forget(connection)
            sock.close()
            return
        except asyncio.CancelledError:
            self._forget(connection)
            sock.close()
            raise
        connection.transport = transport
        connection.task = None
        if id(connection) in self._connections:
            self._by_transport[id(transport)] = connection
        else:  # evicted during the handshake
            transport.abort()

    async def _sweep_loop(self) -> None:
        while True:
            await anyio.sleep(SWEEP_SECONDS)
            self._sweep(time.monotonic())

    def _sweep(self, now: float) -> None:
        for connection in list(self._connections.values()):
            if connection.closed:
                self._forget(connection)
            elif not connection.trusted and now - connection.accepted > self._pending_seconds:
                self._evict(connection)
        if self._observed:
            metrics.API_CONNECTIONS.set(len(self._connections))


async def _peek(sock: socket.socket, size: int) -> bytes:
    """The first ``size`` bytes (fewer if the peer stops or its first byte already says TLS), unread."""
    loop = asyncio.get_running_loop()
    while True:
        ready: asyncio.Future[None] = loop.create_future()
        loop.add_reader(sock.fileno(), _set_once, ready)
        try:
            await ready
        finally:
            loop.remove_reader(sock.fileno())
        data = sock.recv(size, socket.MSG_PEEK)
        if not data or len(data) >= size or data[0] == _TLS_HANDSHAKE:
            return data
        await anyio.sleep(0.05)  # a partial first line: let more arrive before peeking again


def _set_once(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _listening_sockets(host: str, port: int) -> list[socket.socket]:
    sockets = []
    for family, kind, proto, _, address in socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        listening = socket.socket(family, kind, proto)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            listening.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        listening.bind(address)
        listening.listen(1024)
        listening.setblocking(False)
        sockets.append(listening)
    return sockets
