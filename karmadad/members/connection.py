"""One connection per member cluster, built from its kubeconfig (and context) with kubernetes_asyncio, and
the member's objects read and written through it as the local store reads and writes them.

kubernetes_asyncio reads the kubeconfig (contexts, certificates, tokens, exec plugins, proxy-url) and
keeps the bearer token fresh; requests go straight through one aiohttp session per member, with the
proxy looked up once when the connection opens. (kubernetes_asyncio's own request path walks every body
to sanitise it and, per request, re-reads the proxy environment and the netrc file on a worker thread:
more CPU than the member's answer costs karmadad.) Answers are decoded by orjson: as exact as the member
itself, which holds numbers as 64-bit integers or floats.

Requests carry a timeout so a dead member fails fast instead of stalling whoever asked; each member has
its own session, so a slow one never holds up the others.

Objects (:class:`MemberObjects`): create, replace, read and delete by resource, namespace and name, answering
the object or raising the :mod:`karmadad.errors` class of the member's ``Status`` — so a controller handles a
member's refusal (NotFound for a missing namespace, Conflict, Invalid) as it handles the store's, and an
in-process test can put a store behind the same shape (``tests/controllers/fake_member.py``). A member that
does not answer at all raises :class:`MemberUnreachable`: there is no Status to read.
"""

from __future__ import annotations

import random
import ssl
import time
import urllib.request
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp
import anyio
import orjson
from kubernetes_asyncio import client, config

from karmadad import __version__, metrics
from karmadad.api.registry import ResourceType
from karmadad.config import ClusterConfig
from karmadad.errors import from_status
from karmadad.jsonvalue import encode
from karmadad.runtime.workqueue import TokenBucket

REQUEST_TIMEOUT = 5.0
RETRY_ATTEMPTS = 5
RETRY_BASE_SECONDS = 0.1
RETRY_MAX_SECONDS = 5.0
RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
CONNECTIONS_PER_MEMBER = 64  # open requests to one member at once, long-running watches included
USER_AGENT = f"karmadad/{__version__}"  # what members record as the field manager of our writes
READ_BUFFER = 2**21  # one watch event line can be as large as an object (etcd allows 1.5 MiB)


def retry_delay(attempt: int, throttled: Any = None) -> float:
    """Backoff before retry ``attempt + 1``: doubling from 0.1 s with full jitter, at most 5 s; a 429's
    ``retryAfterSeconds`` (the Status's details, as kube-apiserver sends) when it says longer."""
    delay = random.uniform(0, min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**attempt))
    if isinstance(throttled, dict):
        after = (throttled.get("details") or {}).get("retryAfterSeconds")
        if isinstance(after, int | float) and after > 0:
            delay = max(delay, min(float(after), RETRY_MAX_SECONDS))
    return delay


def strip_managed_fields(obj: dict) -> dict:
    """Cached member objects stay lean: managedFields are never needed from a member."""
    meta = obj.get("metadata") or {}
    if "managedFields" in meta:
        obj = {**obj, "metadata": {k: v for k, v in meta.items() if k != "managedFields"}}
    return obj


def _group_version_path(resource: ResourceType) -> str:
    return f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"


def collection_path(resource: ResourceType) -> str:
    """Where a member lists every object of the resource (all namespaces)."""
    return f"{_group_version_path(resource)}/{resource.plural}"


def object_path(resource: ResourceType, namespace: str, name: str = "") -> str:
    """The path of one object (or, without a name, of the resource in one namespace)."""
    scope = f"/namespaces/{namespace}" if resource.namespaced else ""
    return f"{_group_version_path(resource)}{scope}/{resource.plural}" + (f"/{name}" if name else "")


def _where(obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return meta.get("namespace", ""), meta.get("name", "")


# what karmadad sends a member with a DELETE: its dependents go in the background, as kubectl's default
BACKGROUND_DELETION = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}


class MemberObjects(Protocol):
    """Create, replace, read and delete one object of a member cluster."""

    async def create(self, resource: ResourceType, obj: dict) -> dict: ...

    async def replace(self, resource: ResourceType, obj: dict) -> dict:
        """Write ``obj`` whole; its resourceVersion makes the write conditional (Conflict if it moved)."""
        ...

    async def read(self, resource: ResourceType, namespace: str, name: str) -> dict: ...

    async def delete(self, resource: ResourceType, namespace: str, name: str) -> None: ...


class MemberUnreachable(Exception):
    """The member did not answer (connection refused, TLS failure, timeout)."""


def ssl_context(configuration: client.Configuration) -> ssl.SSLContext:
    """TLS as the kubeconfig says: its CA, client certificate and verification (the server name to
    check is given per request)."""
    context = ssl.create_default_context(cafile=configuration.ssl_ca_cert)
    if configuration.cert_file:
        context.load_cert_chain(configuration.cert_file, keyfile=configuration.key_file)
    if not configuration.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if getattr(configuration, "disable_strict_ssl_verification", False):
        context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    return context


def proxy_for(configuration: client.Configuration) -> str | None:
    """The kubeconfig's proxy-url, else the environment's proxy for the member's server (as client-go's
    ProxyFromEnvironment, honouring NO_PROXY)."""
    if configuration.proxy:
        return configuration.proxy
    server = urlsplit(str(configuration.host))
    if urllib.request.proxy_bypass(server.hostname or ""):
        return None
    proxies = urllib.request.getproxies()
    return proxies.get(server.scheme) or proxies.get("all")


class MemberConnection:
    def __init__(self, name: str, configuration: client.Configuration, limiter: TokenBucket | None = None):
        self.name = name
        self.server: str = str(configuration.host)
        self._configuration = configuration
        self._limiter = limiter
        self._proxy = proxy_for(configuration)
        self._server_name = configuration.tls_server_name or None
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=CONNECTIONS_PER_MEMBER, ssl=ssl_context(configuration)),
            trust_env=False,
            read_bufsize=READ_BUFFER,
        )

    @classmethod
    async def open(cls, cluster: ClusterConfig) -> MemberConnection:
        configuration = client.Configuration()
        for path in (cluster.kubeconfig, cluster.caFile, cluster.tokenFile):
            if path is not None and not path.is_file():
                raise FileNotFoundError(f"{path}: file not found")
        if cluster.kubeconfig is not None:
            await config.load_kube_config(
                config_file=str(cluster.kubeconfig),
                context=cluster.context,
                client_configuration=configuration,
                persist_config=False,
            )
        elif cluster.tokenFile is None:  # the config's validation requires a kubeconfig or a token
            raise FileNotFoundError(f"cluster {cluster.name}: neither a kubeconfig nor a token file")
        else:
            configuration.host = cluster.server
            configuration.ssl_ca_cert = str(cluster.caFile)
            configuration.api_key = {"BearerToken": cluster.tokenFile.read_text().strip()}
            configuration.api_key_prefix = {"BearerToken": "Bearer"}
        return cls(cluster.name, configuration, TokenBucket(rate=cluster.qps, burst=cluster.burst))

    async def _throttle(self) -> None:
        """Wait for this member's client-side rate limit (QPS/burst), as client-go's does."""
        if self._limiter is not None and (delay := self._limiter.when()) > 0:
            await anyio.sleep(delay)

    async def get(self, path: str) -> tuple[int, Any]:
        """GET ``path`` once; (status, decoded JSON or text). Raises MemberUnreachable when nobody answers.
        Probes and informers use it: they have their own rhythm of retrying."""
        return await self._send("GET", path)

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        attempts: int = RETRY_ATTEMPTS,
    ) -> tuple[int, Any]:
        """A request that is retried with exponential backoff and jitter when the member is overloaded or
        briefly gone (429 — after its Retry-After —, 500/502/503/504, no answer); the last answer, or
        MemberUnreachable, once ``attempts`` are spent. For writes whose repetition is harmless (apply,
        update with a resourceVersion, delete)."""
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                status, answer = await self._send(method, path, body, content_type)
            except MemberUnreachable:
                if last:
                    raise
                await anyio.sleep(retry_delay(attempt))
                continue
            if status not in RETRIABLE_STATUSES or last:
                return status, answer
            await anyio.sleep(retry_delay(attempt, answer if status == 429 else None))
        raise AssertionError("unreachable")  # the loop always returns or raises on its last attempt

    async def open_response(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        content_type: str = "application/json",
        within: float = REQUEST_TIMEOUT,
        idle: float | None = None,
    ) -> aiohttp.ClientResponse:
        """Send one request (after this member's rate limit) and return the response as it starts, to be
        read and released by the caller within ``within`` seconds in all, and with no more than ``idle``
        seconds without data (a TimeoutError from the read). aiohttp's errors propagate."""
        await self._throttle()
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        for setting in (await self._configuration.auth_settings()).values():
            if setting.get("in") == "header" and setting.get("value"):
                headers[setting["key"]] = setting["value"]
        data = None
        if body is not None:
            headers["Content-Type"] = content_type
            data = body if isinstance(body, bytes | str) else encode(body)
        return await self._session.request(
            method,
            self.server + path,
            data=data,
            headers=headers,
            proxy=self._proxy,
            server_hostname=self._server_name,
            timeout=aiohttp.ClientTimeout(total=within, sock_read=idle),
        )

    async def _send(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        verb = method.lower()
        started = time.perf_counter()
        try:
            async with await self.open_response(method, path, body, content_type=content_type) as response:
                raw = await response.read()
                status = response.status
        except Exception as error:  # aiohttp/ssl/timeout errors all mean "not reachable"
            elapsed = time.perf_counter() - started
            metrics.MEMBER_REQUEST_DURATION.labels(self.name, verb, metrics.NO_ANSWER).observe(elapsed)
            metrics.MEMBER_REQUEST_ERRORS.labels(self.name, verb, metrics.NO_ANSWER).inc()
            raise MemberUnreachable(f"{type(error).__name__}: {error}") from None
        code = str(status)
        metrics.MEMBER_REQUEST_DURATION.labels(self.name, verb, code).observe(time.perf_counter() - started)
        if status >= 500 or status == 429:
            metrics.MEMBER_REQUEST_ERRORS.labels(self.name, verb, code).inc()
        try:
            return status, orjson.loads(raw)
        except orjson.JSONDecodeError:
            return status, raw.decode(errors="replace")

    async def close(self) -> None:
        await self._session.close()

    # -- objects (MemberObjects): retried as request() retries; answered without managedFields, which
    # nothing in karmadad reads from a member --------------------------------------------------------

    async def _object_call(self, method: str, path: str, body: dict | None, ok: tuple[int, ...]) -> dict:
        status, answer = await self.request(method, path, body)
        if status not in ok:
            raise from_status(status, answer)
        return strip_managed_fields(answer) if isinstance(answer, dict) else {}

    async def create(self, resource: ResourceType, obj: dict) -> dict:
        namespace, _ = _where(obj)
        return await self._object_call("POST", object_path(resource, namespace), obj, (200, 201, 202))

    async def replace(self, resource: ResourceType, obj: dict) -> dict:
        return await self._object_call("PUT", object_path(resource, *_where(obj)), obj, (200, 201))

    async def read(self, resource: ResourceType, namespace: str, name: str) -> dict:
        return await self._object_call("GET", object_path(resource, namespace, name), None, (200,))

    async def delete(self, resource: ResourceType, namespace: str, name: str) -> None:
        path = object_path(resource, namespace, name)
        await self._object_call("DELETE", path, BACKGROUND_DELETION, (200, 202))
