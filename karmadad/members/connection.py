"""One connection per member cluster, built from its kubeconfig (and context) with kubernetes_asyncio.

Requests carry a timeout so a dead member fails fast instead of stalling whoever asked; each member has
its own client, so a slow one never holds up the others.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
from kubernetes_asyncio import client, config

from karmadad import metrics
from karmadad.config import ClusterConfig
from karmadad.runtime.workqueue import TokenBucket

REQUEST_TIMEOUT = 5.0


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
        """GET ``path``; (status, decoded JSON or text). Raises MemberUnreachable when nobody answers."""
        await self.throttle()
        started = time.perf_counter()
        try:
            response = await self.api.call_api(
                path,
                "GET",
                auth_settings=["BearerToken"],
                _preload_content=False,
                _request_timeout=REQUEST_TIMEOUT,
            )
            body = await response.read()
            status = response.status
            response.release()
        except client.ApiException as error:
            status, body = error.status, (error.body or b"")
        except Exception as error:  # aiohttp/ssl/timeout errors all mean "not reachable"
            metrics.MEMBER_REQUEST_ERRORS.labels(self.name, "get").inc()
            raise MemberUnreachable(f"{type(error).__name__}: {error}") from None
        finally:
            metrics.MEMBER_REQUEST_DURATION.labels(self.name, "get").observe(time.perf_counter() - started)
        if status >= 500 or status == 429:
            metrics.MEMBER_REQUEST_ERRORS.labels(self.name, "get").inc()
        text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    async def close(self) -> None:
        await self.api.close()
