"""The Kubernetes-compatible HTTPS API: routing, authentication, errors, and serving.

Every request is authenticated (bearer token) and authorized (admin/view) before anything else;
every failure leaves as a ``Status`` object. Discovery and OpenAPI are served from the registry, and
resource requests go to :class:`ResourceAPI`.
"""

from __future__ import annotations

import ssl
import time

import anyio
from aiohttp import web
from anyio.abc import TaskStatus

from karmadad import metrics
from karmadad.api.karmada.admission import WebhookOptions
from karmadad.api.registry import Registry
from karmadad.api.services import ServiceAllocator, ServiceRanges
from karmadad.apiserver import discovery, reviews
from karmadad.apiserver.auth import TokenAuthenticator, User
from karmadad.apiserver.listener import GuardedListener
from karmadad.apiserver.media import ANSWER, answer, json_response, negotiate, read_body
from karmadad.apiserver.openapi import OpenAPI
from karmadad.apiserver.paths import ResourcePath, parse_resource_path
from karmadad.apiserver.rbac import RBAC, Attributes
from karmadad.apiserver.resources import TRUE_VALUES, ResourceAPI
from karmadad.errors import (
    Forbidden,
    InternalError,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    RequestEntityTooLarge,
    StatusError,
    Unauthorized,
)
from karmadad.logs import get_logger
from karmadad.ops_server import Readiness, split_listen
from karmadad.protobuf.codec import codec
from karmadad.store import Store

log = get_logger("apiserver")

MAX_BODY_BYTES = 3 * 1024 * 1024
IDLE_SECONDS = 90  # kube-apiserver's idle timeout for kept-alive connections
_VERB_BY_METHOD = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_OPEN_PATHS = frozenset({"/healthz", "/livez", "/readyz"})
USER = web.RequestKey("user", User)
RESOURCE = web.RequestKey("resource", ResourcePath)  # a request for a resource the registry serves
COMPONENT = "apiserver"  # kube-apiserver's component label for the requests it serves itself
APPLY_PATCH = "application/apply-patch+yaml"
_METRIC_VERBS = frozenset(
    {"APPLY", "CONNECT", "DELETE", "DELETECOLLECTION", "GET", "LIST", "PATCH", "POST", "PUT", "WATCH"}
)
_CONNECT_SUBRESOURCES = frozenset({"log", "exec", "portforward", "attach", "proxy"})


def request_metric_labels(
    method: str, watch: bool, content_type: str, dry_run: list[str], parsed: ResourcePath | None
) -> tuple[str, ...]:
    """``apiserver_request_duration_seconds``'s labels for a request, as kube-apiserver reports them: the
    verb by method and scope (GET of a collection is LIST, ``?watch`` WATCH, an apply patch APPLY), the
    dry-run values sorted, and for a request of a served resource its group, version, resource,
    subresource and scope (resource, namespace or cluster). Anything else has these empty."""
    if parsed is None:
        scope = group = version = resource = subresource = ""
    else:
        group, version, resource, subresource = (
            parsed.group,
            parsed.version,
            parsed.plural,
            parsed.subresource,
        )
        if parsed.name or (method == "POST" and not subresource):
            scope = "resource"
        elif parsed.namespace:
            scope = "namespace"
        else:
            scope = "cluster"
    verb = method
    if method in ("GET", "HEAD"):
        verb = "WATCH" if watch else ("LIST" if scope in ("namespace", "cluster") else "GET")
    elif method == "PATCH" and content_type == APPLY_PATCH:
        verb = "APPLY"
    if subresource in _CONNECT_SUBRESOURCES:
        verb = "CONNECT"
    if verb not in _METRIC_VERBS:
        verb = "other"
    dry = ",".join(sorted(set(dry_run))) if all(v == "All" for v in dry_run) else "invalid"
    return (verb, dry, group, version, resource, subresource, scope, COMPONENT)


def _metric_labels(request: web.Request) -> tuple[str, ...]:
    dry_run = request.query.getall("dryRun", []) if "dryRun" in request.query_string else []
    watch = "watch" in request.query_string and request.query.get("watch") in TRUE_VALUES
    parsed = request.get(RESOURCE)
    return request_metric_labels(request.method, watch, request.content_type, dry_run, parsed)


def request_verb(request: web.Request, has_name: bool) -> str:
    if request.method == "GET":
        if request.query.get("watch") in TRUE_VALUES:
            return "watch"
        return "get" if has_name else "list"
    verb = _VERB_BY_METHOD.get(request.method, request.method.lower())
    if verb == "delete" and not has_name:
        return "deletecollection"
    return verb


def request_attributes(verb: str, parsed: ResourcePath) -> Attributes:
    """What RBAC is asked about a resource request; a Namespace's own requests are in that namespace."""
    namespace = parsed.name if parsed.plural == "namespaces" and not parsed.group else parsed.namespace
    return Attributes(verb, parsed.group, parsed.plural, parsed.subresource, namespace, parsed.name)


def forbidden(user: str, verb: str, parsed: ResourcePath) -> Forbidden:
    """kube-apiserver's RBAC denial, word for word in shape."""
    what = f"{parsed.plural}.{parsed.group}" if parsed.group else parsed.plural
    if parsed.name:
        what += f' "{parsed.name}"'
    resource = f"{parsed.plural}/{parsed.subresource}" if parsed.subresource else parsed.plural
    scope = f' in the namespace "{parsed.namespace}"' if parsed.namespace else " at the cluster scope"
    message = f'{what} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{parsed.group}"'
    return Forbidden(message + scope, group=parsed.group, kind=parsed.plural, name=parsed.name)


def status_response(error: StatusError, request: web.Request) -> web.Response:
    """The error as a Status, in protobuf to a client that asks for it first (as kube-apiserver answers)."""
    if ANSWER not in request:
        try:
            request[ANSWER] = negotiate(request.headers.get("Accept", ""), protobuf=True)
        except NotAcceptable:
            pass
    response = answer(request, error.status(), error.code)
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="karmadad"'
    return response


class APIServer:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        authenticator: TokenAuthenticator,
        *,
        address: str,
        readiness: Readiness | None = None,
        service_ranges: ServiceRanges | None = None,
        webhooks: WebhookOptions | None = None,
        observed: bool = True,
    ):
        """``observed``: its connections count in karmadad's metrics (not those of a simulated member)."""
        self.observed = observed
        self.store = store
        self.readiness = readiness
        self.registry = registry
        for review in reviews.REVIEW_TYPES:  # served here, never stored
            registry.add(review)
        self.authenticator = authenticator
        self.rbac = RBAC(store)
        self.address = address
        # Services get their clusterIP and node ports here, from the configured ranges (kube's defaults
        # when none are given), as karmada-apiserver allocates them.
        self.services = ServiceAllocator(store, service_ranges or ServiceRanges.parse())
        self.resources = ResourceAPI(store, registry, services=self.services, webhooks=webhooks)
        self.openapi: OpenAPI | None = None  # set by the daemon when the OpenAPI documents are available
        self.listener: GuardedListener | None = None

    def app(self) -> web.Application:
        middlewares = [self._measure, self._guard] if self.observed else [self._guard]
        app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=middlewares)
        app.router.add_route("*", "/{tail:.*}", self._route)
        return app

    @web.middleware
    async def _measure(self, request: web.Request, handler) -> web.StreamResponse:
        """Count every answered request and time it (``apiserver_request_total``,
        ``apiserver_request_duration_seconds``). A watch the client leaves had been answered 200 when it
        began; any other request the client left was never answered, and is not counted."""
        started = time.perf_counter()
        code = 0
        try:
            response = await handler(request)
            code = response.status
            return response
        except web.HTTPException as error:
            code = error.status
            raise
        finally:
            labels = _metric_labels(request)
            if code == 0 and labels[0] == "WATCH":
                code = 200
            if code:
                metrics.record_api_request(labels, code, time.perf_counter() - started)

    @web.middleware
    async def _guard(self, request: web.Request, handler) -> web.StreamResponse:
        try:
            if request.path not in _OPEN_PATHS:
                user = self.authenticator.authenticate(request.headers.get("Authorization"))
                if user is None:
                    raise Unauthorized("Unauthorized")
                request[USER] = user
                if self.listener is not None:
                    self.listener.trust(request.transport)
            return await handler(request)
        except StatusError as error:
            return status_response(error, request)
        except web.HTTPRequestEntityTooLarge:
            return status_response(
                RequestEntityTooLarge(f"Request entity too large: limit is {MAX_BODY_BYTES}"), request
            )
        except web.HTTPException:
            raise
        except (ConnectionError, anyio.get_cancelled_exc_class()):
            raise
        except Exception:
            log.error("request failed", method=request.method, path=request.path, exc_info=True)
            return status_response(InternalError("an internal error occurred; see the karmadad log"), request)

    async def _route(self, request: web.Request) -> web.StreamResponse:
        path = request.path.rstrip("/") or "/"
        if path == "/readyz" and self.readiness is not None and not self.readiness.ready:
            return web.Response(status=500, text=self.readiness.report())  # kube-apiserver's code
        if path in _OPEN_PATHS:
            return web.Response(text="ok")
        if request.method == "GET":
            if (found := self._discovery(request, path)) is not None:
                return found
            if self.openapi is not None and (path == "/openapi/v3" or path.startswith("/openapi/")):
                return await self.openapi.handle(request, path)
        parsed = parse_resource_path(path)
        if parsed is None:
            raise NotFound("the server could not find the requested resource")
        resource = self.registry.get(parsed.group, parsed.version, parsed.plural)
        if resource is None:
            raise NotFound("the server could not find the requested resource")
        request[RESOURCE] = parsed
        verb = request_verb(request, bool(parsed.name))
        user = request[USER]
        protobuf = codec().speaks(resource.api_version, resource.kind)
        request[ANSWER] = negotiate(request.headers.get("Accept", ""), protobuf=protobuf)
        if reviews.is_review(resource):  # every authenticated user may ask about themselves
            if verb != "create" or parsed.name or parsed.namespace:
                raise MethodNotAllowed.of(request.method)
            body = await read_body(request)
            return answer(request, reviews.answer(resource, body, user, self.rbac), 201)
        if not self.rbac.allowed(user, request_attributes(verb, parsed)):
            raise forbidden(user.name, verb, parsed)
        return await self.resources.handle(request, resource, parsed)

    def _discovery(self, request: web.Request, path: str) -> web.Response | None:
        """A discovery document in the form the client asks for (:func:`discovery.document`). The
        aggregated one carries an entity tag, as kube-apiserver's does, so that kubectl's HTTP cache
        revalidates it (304) instead of loading it again."""
        found = discovery.document(self.registry, self.address, path, request.headers.get("Accept", ""))
        if found is None:
            return None
        document, media = found
        response = json_response(document)
        response.headers["Content-Type"] = media
        if media == discovery.AGGREGATED:
            assert isinstance(response.body, bytes)
            cache = {"ETag": discovery.etag(response.body), "Vary": "Accept", "Cache-Control": "public"}
            if request.headers.get("If-None-Match") == cache["ETag"]:
                return web.Response(status=304, headers=cache)
            response.headers.update(cache)
        return response

    async def serve(
        self, listen: str, tls: ssl.SSLContext, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        runner = web.AppRunner(
            self.app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=1.0,
            keepalive_timeout=IDLE_SECONDS,
        )
        await runner.setup()
        try:
            host, port = split_listen(listen)
            assert runner.server is not None  # AppRunner.setup() made it
            self.listener = GuardedListener(runner.server, tls, observed=self.observed)
            async with anyio.create_task_group() as tasks:
                await tasks.start(self.listener.serve, host, port)
                log.info("API serving", listen=f"{host}:{self.listener.port}" if port == 0 else listen)
                task_status.started()
        finally:
            with anyio.CancelScope(shield=True):
                await runner.cleanup()
