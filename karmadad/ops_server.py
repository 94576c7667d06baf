"""The operations endpoint: ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz`` for probes, and
``/debug/informers`` (what each member informer holds: synced, object count, revision; with
``?objects=1`` every cached key and its resourceVersion — names only, never contents). The daemon adds
routes of its own (the status page at ``/``), which this module knows nothing about.

It listens apart from the Kubernetes API (plain HTTP on loopback by default) so that scraping and
probing need no credentials and keep working while the API is busy or not yet serving. On loopback it
answers only requests addressed to a loopback name (the ``Host`` header): a web page the operator opens
cannot point a name of its own at 127.0.0.1 (DNS rebinding) and read the status page through the browser.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

import anyio
from aiohttp import web
from anyio.abc import TaskStatus
from prometheus_client import CollectorRegistry
from prometheus_client.exposition import choose_encoder

from karmadad.members.registry import Members
from karmadad.metrics import REGISTRY


class Readiness:
    """Named checks that must all pass before the daemon reports ready (``/readyz`` on both ports).

    A check is a flag the daemon sets, or a probe asked at every request (the store's "writable").
    """

    def __init__(self) -> None:
        self._checks: dict[str, bool | Callable[[], bool]] = {}

    def set(self, name: str, ready: bool | Callable[[], bool]) -> None:
        self._checks[name] = ready

    def _results(self) -> dict[str, bool]:
        return {name: check() if callable(check) else check for name, check in self._checks.items()}

    @property
    def ready(self) -> bool:
        results = self._results()
        return bool(results) and all(results.values())

    def report(self) -> str:
        results = self._results()
        lines = [
            f"[{'+' if ok else '-'}]{name} {'ok' if ok else 'not ready'}" for name, ok in results.items()
        ]
        passed = bool(results) and all(results.values())
        return "\n".join([*lines, "readyz check " + ("passed" if passed else "failed")]) + "\n"


def informer_report(members: Members, objects: bool) -> list[dict]:
    report = []
    for cluster, path, transform, informer in members.informers():
        entry = {
            "cluster": cluster,
            "resource": path,
            "transform": transform,
            "synced": informer.has_synced,
            "revision": informer.revision,
            "count": len(informer.keys()),
        }
        if objects:
            entry["objects"] = {
                k: (o.get("metadata") or {}).get("resourceVersion") for k, o in informer.items()
            }
        report.append(entry)
    return report


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, without port or brackets) names this machine's loopback."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    """The name in a ``Host`` header: without its port, IPv6 brackets gone."""
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


@web.middleware
async def _loopback_hosts_only(request: web.Request, handler) -> web.StreamResponse:
    if not is_loopback(_host_name(request.headers.get("Host", ""))):
        return web.Response(status=421, text="this endpoint answers requests for a loopback host only\n")
    return await handler(request)


def build_ops_app(
    readiness: Readiness,
    registry: CollectorRegistry = REGISTRY,
    members: Members | None = None,
    routes: Iterable[web.AbstractRouteDef] = (),
    *,
    loopback_hosts_only: bool = False,
) -> web.Application:
    """``loopback_hosts_only``: answer 421 Misdirected Request to requests whose ``Host`` is not a loopback
    name (for a listener on loopback)."""

    async def metrics(request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        return web.Response(body=encoder(registry), headers={"Content-Type": content_type})

    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def readyz(request: web.Request) -> web.Response:
        verbose = "verbose" in request.query
        status = 200 if readiness.ready else 503
        body = readiness.report() if verbose or status != 200 else "ok"
        return web.Response(status=status, text=body)

    async def informers(request: web.Request) -> web.Response:
        objects = request.query.get("objects") in ("1", "true")
        return web.json_response(informer_report(members, objects) if members is not None else [])

    app = web.Application(middlewares=[_loopback_hosts_only] if loopback_hosts_only else [])
    app.router.add_get("/debug/informers", informers)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/livez", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_routes(routes)
    return app


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


async def serve_ops(
    listen: str,
    readiness: Readiness,
    members: Members | None = None,
    *,
    routes: Iterable[web.AbstractRouteDef] = (),
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Serve until cancelled; reports started once the socket listens. ``routes``: what else to serve."""
    host, port = split_listen(listen)
    app = build_ops_app(readiness, members=members, routes=routes, loopback_hosts_only=is_loopback(host))
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
        task_status.started()
        await anyio.sleep_forever()
    finally:
        with anyio.CancelScope(shield=True):
            await runner.cleanup()
