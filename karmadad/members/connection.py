"""One connection per member cluster, built from its kubeconfig (and context) with kubernetes_asyncio.

Requests carry a timeout so a dead member fails fast instead of stalling whoever asked; each member has
its own client, so a slow one never holds up the others.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any

import anyio
from kubernetes_asyncio import client, config

from karmadad import metrics
from karmadad.config import ClusterConfig
from karmadad.runtime.workqueue import TokenBucket

REQUEST_TIMEOUT = 5.0
RETRY_ATTEMPTS = 5
RETRY_BASE_SECONDS = 0.1
RETRY_MAX_SECONDS = 5.0
RETRIABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


def retry_delay(attempt: int, throttled: Any = None) -> float:
    """Backoff before retry ``attempt + 1``: doubling from 0.1 s with full jitter, at most 5 s; a 429's
    ``retryAfterSeconds`` (the Status's details, as kube-apiserver sends) when it says longer."""
    delay = random.uniform(0, min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**attempt))
    if isinstance(throttled, dict):
        after = (throttled.get("details") or {}).get("retryAfterSeconds")
        if isinstance(after, int | float) and after > 0:
            delay = max(delay, min(float(after), RETRY_MAX_SECONDS))
    return delay


class MemberUnreachable(Exception):
    """The member did not answer (connection refused, TLS failure, timeout)."""


class MemberConnection:
    def __init__(self, name: str, api: client.ApiClient, server: str, limiter: TokenBucket | None = None):
        self.name = name
        self.api = api
        self.server = server
        self._limiter = limiter

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
        else:
            configuration.host = cluster.server
            configuration.ssl_ca_cert = str(cluster.caFile)
            configuration.api_key = {"BearerToken": cluster.tokenFile.read_text().strip()}
            configuration.api_key_prefix = {"BearerToken": "Bearer"}
        limiter = TokenBucket(rate=cluster.qps, burst=cluster.burst)
        return cls(cluster.name, client.ApiClient(configuration), configuration.host, limiter)

    async def throttle(self) -> None:
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

    async def _send(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json"
    ) -> tuple[int, Any]:
        verb = method.lower()
        await self.throttle()
        started = time.perf_counter()
        try:
            response = await self.api.call_api(
                path,
                method,
                auth_settings=["BearerToken"],
                body=body,
                header_params={"Content-Type": content_type} if body is not None else None,
                _preload_content=False,
                _request_timeout=REQUEST_TIMEOUT,
            )
            raw = await response.read()
            status = response.status
            response.release()
        except client.ApiException as error:
            status, raw = error.status, (error.body or b"")
        except Exception as error:  # aiohttp/ssl/timeout errors all mean "not reachable"
            metrics.MEMBER_REQUEST_ERRORS.labels(self.name, verb).inc()
            raise MemberUnreachable(f"{type(error).__name__}: {error}") from None
        finally:
            metrics.MEMBER_REQUEST_DURATION.labels(self.name, verb).observe(time.perf_counter() - started)
        if status >= 500 or status == 429:
            metrics.MEMBER_REQUEST_ERRORS.labels(self.name, verb).inc()
        text = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    async def close(self) -> None:
        await self.api.close()
