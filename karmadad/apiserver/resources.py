"""The verbs on resources: get, list, watch, create, update, patch, delete, deletecollection.

Each handler decodes the request, applies the kind's strategy, calls the store and encodes the
answer the way kube-apiserver does (objects, lists, Tables, watch streams of JSON lines, Status
errors). Nothing here knows Karmada's rules beyond what the strategy module applies.
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread
from aiohttp import web

from karmadad.api import conversion, fields, strategy
from karmadad.api.karmada.admission import WebhookOptions, deletion_denied
from karmadad.api.preparation import PriorityClasses
from karmadad.api.registry import Registry, ResourceType, dig, scale_paths, with_path
from karmadad.api.services import SERVICES, AllocationTransaction, ServiceAllocator
from karmadad.apiserver import tables
from karmadad.apiserver.media import ANSWER, JSON, PROTOBUF, answer, dumps, json_response, read_body
from karmadad.apiserver.paths import ResourcePath
from karmadad.errors import (
    BadRequest,
    Cause,
    Conflict,
    Expired,
    Forbidden,
    Invalid,
    MethodNotAllowed,
    NotFound,
    StatusError,
    UnsupportedMediaType,
)
from karmadad.protobuf.codec import codec
from karmadad.selectors import SelectorError, parse_field_selector, parse_label_selector, selectable_fields
from karmadad.store import Query, Store
from karmadad.store.store import new_uid, now_timestamp, revision_of

PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}
PATCH_RETRY_SECONDS = 30.0  # kube-apiserver retries a conflicting patch until its request times out
# A longer timeoutSeconds is taken as this: the event loop's timers end somewhere.
MAX_WATCH_SECONDS = 24 * 3600


async def _object_body(request: web.Request) -> dict:
    body = await read_body(request)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def _query(resource: ResourceType, namespace: str, params: Any) -> Query:
    try:
        labels = (
            parse_label_selector(params.get("labelSelector", "")) if params.get("labelSelector") else None
        )
        fields = (
            parse_field_selector(params.get("fieldSelector", "")) if params.get("fieldSelector") else None
        )
    except SelectorError as error:
        raise BadRequest(f"unable to parse requirement: {error}") from None
    if fields is not None:
        custom = resource.custom or resource.group in strategy.KARMADA_GROUPS  # CRDs in Karmada
        selectable = selectable_fields(resource.group_resource, custom=custom, namespaced=resource.namespaced)
        try:
            selectable.check(fields)
        except SelectorError as error:
            raise BadRequest(str(error)) from None
    return Query(resource.group_resource, namespace or None, labels, fields)


TRUE_VALUES = frozenset({"1", "t", "T", "true", "TRUE", "True"})
_FALSE = frozenset({"0", "f", "F", "false", "FALSE", "False"})


def bool_param(params: Any, name: str) -> bool | None:
    """A boolean query parameter as Go's strconv.ParseBool reads it; None when absent."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw in TRUE_VALUES:
        return True
    if raw in _FALSE:
        return False
    raise BadRequest(f"invalid value for {name}: {raw!r}: must be true or false")


def _int_param(params: Any, name: str, default: int = 0) -> int:
    """An integer query parameter as Go parses it: 64 bits at most."""
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"invalid value for {name}: {raw!r}") from None
    if not -(2**63) <= value < 2**63:
        raise BadRequest(f"invalid value for {name}: {raw!r}: value out of range")
    return value


def _dry_run(params: Any) -> bool:
    values = params.getall("dryRun", [])
    if any(v != "All" for v in values):
        raise BadRequest(f'Invalid value: "{values[0]}": supported values: "All"')
    return bool(values)


def field_validation(params: Any) -> str:
    """The request's ``fieldValidation`` (Warn when not given)."""
    mode = params.get("fieldValidation", "Warn")
    if mode not in ("Ignore", "Warn", "Strict"):
        raise BadRequest(
            f'Invalid value: "{mode}": fieldValidation must be one of "Ignore", "Warn", "Strict"'
        )
    return mode


def check_fields(
    resource: ResourceType,
    obj: dict,
    params: Any,
    warnings: list[str],
    *,
    typed: bool = False,
    zero_nulls: bool = True,
) -> None:
    """Reject values of the wrong type; apply ``fieldValidation``: Strict rejects unknown fields, Warn reports.

    ``typed``: the body came as protobuf, whose decoding gives only known fields of the right types.
    ``zero_nulls``: null map values and list items of plain scalar types become their zero in ``obj``, as
    the typed decoder makes them (not for apply patches, where null says something else).
    """
    mode = field_validation(params)
    if typed:
        return
    wrong, unknown = fields.inspected(resource, obj, zero_nulls=zero_nulls)
    if wrong:
        raise BadRequest(
            f'{resource.kind} in version "{resource.version}" cannot be handled as a {resource.kind}: '
            + "; ".join(wrong)
        )
    if mode == "Ignore" or not unknown:
        return
    problems = [f'unknown field "{path}"' for path in unknown]
    if mode == "Strict":
        raise BadRequest(
            f'{resource.kind} in version "{resource.version}" cannot be handled as a {resource.kind}: '
            f"strict decoding error: {', '.join(problems)}"
        )
    warnings.extend(problems)


PRIORITY_CLASSES = "priorityclasses.scheduling.k8s.io"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_Response = TypeVar("_Response", bound=web.StreamResponse)


Warnings = list[str]  # what an answer warns of, in its Warning headers


def with_warnings(response: _Response, warnings: Warnings) -> _Response:
    """Warnings as ``299 - "text"`` headers; the text is the client's field names, so control characters
    (a newline would split the header) are written as escapes."""
    for warning in warnings:
        text = _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", warning.replace("\\", "\\\\"))
        response.headers.add("Warning", '299 - "' + text.replace('"', '\\"') + '"')
    return response


class ResourceAPI:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        *,
        services: ServiceAllocator | None = None,
        webhooks: WebhookOptions | None = None,
    ):
        self.store = store
        self.registry = registry
        self.services = services  # clusterIPs and node ports of Services (none: stored without them)
        self.webhooks = webhooks  # the switches of Karmada's webhook (none: its defaults)
        self._priority_classes = PriorityClasses(
            named=self._priority_class, default=self._default_priority_class
        )

    def _priority_class(self, name: str) -> dict | None:
        return self.store.find(PRIORITY_CLASSES, "", name)

    def _default_priority_class(self) -> dict | None:
        """The PriorityClass marked globalDefault (the oldest, should there be several)."""
        defaults = [c for c in self.store.list_all(PRIORITY_CLASSES) if c.get("globalDefault")]
        return min(defaults, key=lambda c: c["metadata"].get("creationTimestamp", "")) if defaults else None

    def _allocations(
        self, resource: ResourceType, dry_run: bool
    ) -> contextlib.AbstractContextManager[AllocationTransaction | None]:
        """The claims of one Service write (None for other kinds), held until the store has answered:
        allocating and staging run without an ``await`` between them, and the claims cover the time
        until the commit (then the allocator's index has the values, or the write failed)."""
        if self.services is None or resource.group_resource != SERVICES:
            return contextlib.nullcontext()
        return self.services.transaction(dry_run=dry_run)

    # -- entry point ------------------------------------------------------------------------

    async def handle(
        self, request: web.Request, resource: ResourceType, path: ResourcePath
    ) -> web.StreamResponse:
        if (view := conversion.store_for(self.store, resource)) is not self.store:
            converted = ResourceAPI(view, self.registry, services=self.services, webhooks=self.webhooks)
            return await converted.handle(request, resource, path)  # served converted
        method = request.method
        if path.subresource and path.subresource not in resource.subresources:
            raise NotFound(f"the server could not find the requested resource ({path.subresource})")
        if not resource.namespaced and path.namespace:
            raise NotFound("the server could not find the requested resource")
        if not path.name:
            if method == "GET":
                if bool_param(request.query, "watch"):
                    return await self.watch(request, resource, path)
                return await self.list(request, resource, path)
            if method == "POST":
                return await self.create(request, resource, path)
            if method == "DELETE":
                return await self.delete_collection(request, resource, path)
            raise MethodNotAllowed.of(method)
        if method == "GET":
            return self.get(request, resource, path)
        if method == "PUT":
            return await self.update(request, resource, path)
        if method == "PATCH":
            return await self.patch(request, resource, path)
        if method == "DELETE" and not path.subresource:
            return await self.delete(request, resource, path)
        raise MethodNotAllowed.of(method)

    # -- reads --------------------------------------------------------------------------------

    def _get(self, resource: ResourceType, path: ResourcePath) -> dict:
        obj = self.store.find(resource.group_resource, path.namespace, path.name)
        if obj is None:
            raise NotFound.of(resource.group_resource, path.name)
        return obj

    def _latest(self, resource: ResourceType, path: ResourcePath) -> dict:
        """The newest state, staged writes included (:meth:`Store.latest`), for read-modify-write."""
        obj = self.store.latest(resource.group_resource, path.namespace, path.name)
        if obj is None:
            raise NotFound.of(resource.group_resource, path.name)
        return obj

    def _render(
        self, request: web.Request, resource: ResourceType, obj: dict, status: int = 200
    ) -> web.Response:
        if tables.wants_table(request.headers.get("Accept", "")):
            include = request.query.get("includeObject", "Metadata")
            return json_response(tables.table(resource, [obj], include_object=include), status)
        return answer(request, obj, status)

    def get(self, request: web.Request, resource: ResourceType, path: ResourcePath) -> web.Response:
        obj = self._get(resource, path)
        if path.subresource == "scale":
            return answer(request, self._scale_of(resource, obj))
        return self._render(request, resource, obj)

    async def list(self, request: web.Request, resource: ResourceType, path: ResourcePath) -> web.Response:
        params = request.query
        query = _query(resource, path.namespace, params)
        limit = _int_param(params, "limit")
        revision = None
        rv = params.get("resourceVersion", "")
        if rv not in ("", "0"):
            wanted = _int_param(params, "resourceVersion")
            if params.get("resourceVersionMatch") == "Exact":
                revision = wanted
            elif wanted > self.store.revision:
                self.store.list(query, revision=wanted)  # raises "too large resource version"
        result = self.store.list(
            query, limit=limit, continue_token=params.get("continue", ""), revision=revision
        )
        meta: dict[str, Any] = {"resourceVersion": str(result.revision)}
        if result.continue_token:
            meta["continue"] = result.continue_token
            if result.remaining is not None:
                meta["remainingItemCount"] = result.remaining
        if tables.wants_table(request.headers.get("Accept", "")):
            include = params.get("includeObject", "Metadata")
            return json_response(tables.table(resource, result.items, include_object=include, list_meta=meta))
        return answer(
            request,
            {
                "kind": f"{resource.kind}List",
                "apiVersion": resource.api_version,
                "metadata": meta,
                "items": result.items,
            },
        )

    async def watch(
        self, request: web.Request, resource: ResourceType, path: ResourcePath
    ) -> web.StreamResponse:
        params = request.query
        query = _query(resource, path.namespace, params)
        rv = params.get("resourceVersion", "")
        timeout = min(_int_param(params, "timeoutSeconds", 1800) or 1800, MAX_WATCH_SECONDS)
        bookmarks = bool(bool_param(params, "allowWatchBookmarks"))
        initial_events = bool_param(params, "sendInitialEvents")
        if initial_events and not bookmarks:
            raise BadRequest("sendInitialEvents requires allowWatchBookmarks=true")
        as_table = tables.wants_table(request.headers.get("Accept", ""))
        frame, media = watch_framing(request, as_table)
        response = web.StreamResponse(headers={"Content-Type": media, "Cache-Control": "no-cache"})
        response.enable_chunked_encoding()
        # Without a resourceVersion a watch starts with the current objects (unless the client said
        # sendInitialEvents=false); a streaming list (sendInitialEvents=true) ends them with a bookmark.
        initial: list[dict] = []
        if rv in ("", "0") and initial_events is not False:
            listed = self.store.list(query)
            initial, since = listed.items, listed.revision
        else:
            since = self.store.revision if rv in ("", "0") else _int_param(params, "resourceVersion")
        try:
            watcher = self.store.watch(query, since=since, bookmark_interval=30.0 if bookmarks else None)
        except Expired as error:
            # As kube-apiserver: the watch starts, then says 410 in an ERROR event.
            await response.prepare(request)
            await response.write(frame("ERROR", error.status()))
            return response
        await response.prepare(request)
        columns_sent = False

        def render(obj: dict, revision: int) -> Any:
            nonlocal columns_sent
            if not as_table:
                return obj
            rendered = tables.table(
                resource,
                [obj],
                include_object=params.get("includeObject", "Metadata"),
                list_meta={"resourceVersion": str(revision)},
                with_columns=not columns_sent,
            )
            columns_sent = True
            return rendered

        def bookmark(revision: int, annotations: dict | None = None) -> dict:
            meta: dict[str, Any] = {"resourceVersion": str(revision)}
            if annotations:
                meta["annotations"] = annotations
            return {"kind": resource.kind, "apiVersion": resource.api_version, "metadata": meta}

        try:
            with anyio.move_on_after(timeout):
                for obj in initial:
                    await response.write(frame("ADDED", render(obj, revision_of(obj))))
                if initial_events:
                    end = bookmark(since, {"k8s.io/initial-events-end": "true"})
                    await response.write(frame("BOOKMARK", end))
                async for event in watcher:
                    if event.type == "BOOKMARK":
                        if not bookmarks:
                            continue
                        payload: Any = bookmark(event.revision)
                    elif event.type == "ERROR":
                        payload = event.object
                    else:
                        assert event.object is not None  # only a BOOKMARK event carries no object
                        payload = render(event.object, event.revision)
                    await response.write(frame(event.type, payload))
            if bookmarks:  # timed out: tell the client how far it got, so it resumes without re-listing
                await response.write(frame("BOOKMARK", bookmark(self.store.revision)))
        except (ConnectionResetError, ConnectionError):
            pass
        finally:
            watcher.close()
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
        return response

    # -- writes -------------------------------------------------------------------------------

    def _check_identity(
        self, resource: ResourceType, path: ResourcePath, body: dict, *, name: str = ""
    ) -> dict:
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if api_version and api_version != resource.api_version:
            raise BadRequest(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({resource.api_version})"
            )
        if kind and kind != resource.kind:
            raise BadRequest(
                f"the kind in the data ({kind}) does not match the expected kind ({resource.kind})"
            )
        meta = body.get("metadata")
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise BadRequest("metadata must be an object")
        if resource.namespaced:
            namespace = meta.get("namespace") or path.namespace
            if not path.namespace:
                raise BadRequest("the namespace of the object is required: use a namespaced URL")
            if namespace != path.namespace:
                raise BadRequest(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta = {**meta, "namespace": path.namespace}
        else:
            meta = {k: v for k, v in meta.items() if k != "namespace"}
        if name:
            if meta.get("name") and meta["name"] != name:
                raise BadRequest(
                    f"the name of the object ({meta['name']}) does not match the name on the URL ({name})"
                )
            meta["name"] = name
        return {**body, "metadata": meta}

    def _written(
        self,
        request: web.Request,
        resource: ResourceType,
        path: ResourcePath,
        body: dict,
        warnings: Warnings,
    ) -> tuple[dict, bool]:
        """The object a create or an update of the main resource writes: ``body`` with its identity checked
        (apiVersion and kind, namespace and name from the URL; named from ``generateName`` when created),
        and whether it is decoded already (``strategy.plainly_decoded``). A body that is not plain has its
        fields checked first, as kube-apiserver's decoder refuses a body before anything else looks at it;
        unknown fields go to ``warnings`` (fieldValidation Warn)."""
        field_validation(request.query)
        protobuf = request.content_type == PROTOBUF
        creating = request.method == "POST"

        def identified() -> dict:
            obj = self._check_identity(resource, path, body, name=path.name)
            return self.store.named(resource.group_resource, obj) if creating else obj

        if not protobuf:
            try:
                decoded = strategy.plainly_decoded(resource, identified())
            except StatusError:
                decoded = None  # the fields' check may refuse the body first
            if decoded is not None:
                return decoded, True
        check_fields(resource, body, request.query, warnings, typed=protobuf)
        return identified(), False

    async def create(self, request: web.Request, resource: ResourceType, path: ResourcePath) -> web.Response:
        body = await _object_body(request)
        if path.subresource:
            raise MethodNotAllowed("create is not supported on subresources")
        dry_run = _dry_run(request.query)
        warnings: list[str] = []
        obj, decoded = self._written(request, resource, path, body, warnings)
        created = await self._create(resource, obj, dry_run, decoded=decoded)
        return with_warnings(self._render(request, resource, created, 201), warnings)

    async def _create(
        self, resource: ResourceType, obj: dict, dry_run: bool, *, decoded: bool = False
    ) -> dict:
        """Prepare ``obj`` (named already; ``decoded``: see :meth:`_written`) with the uid it is about to
        get, and store it."""
        with self._allocations(resource, dry_run) as allocations:
            uid = new_uid()
            prepared = strategy.prepare_create(
                resource,
                obj,
                allocations=allocations,
                webhooks=self.webhooks,
                uid=uid,
                priority_classes=self._priority_classes,
                decoded=decoded,
            )
            return await self.store.create(resource.group_resource, prepared, dry_run=dry_run, uid=uid)

    async def update(self, request: web.Request, resource: ResourceType, path: ResourcePath) -> web.Response:
        body = await _object_body(request)
        dry_run = _dry_run(request.query)
        if path.subresource == "scale":
            return answer(request, await self._update_scale(resource, path, body, dry_run))
        warnings: list[str] = []
        decoded = False
        if path.subresource:
            check_fields(resource, body, request.query, warnings, typed=request.content_type == PROTOBUF)
            obj = self._check_identity(resource, path, body, name=path.name)
        else:
            obj, decoded = self._written(request, resource, path, body, warnings)
            strategy.require_resource_version(resource, obj)
        updated = await self._write(resource, path, obj, dry_run, decoded=decoded)
        return with_warnings(self._render(request, resource, updated), warnings)

    async def _write(
        self, resource: ResourceType, path: ResourcePath, obj: dict, dry_run: bool, *, decoded: bool = False
    ) -> dict:
        """Write ``obj`` over the current object (``decoded``: see :meth:`_written`)."""
        current = self._latest(resource, path)
        if path.subresource in ("status", "finalize"):
            if path.subresource == "finalize":
                spec = {
                    **(current.get("spec") or {}),
                    "finalizers": (obj.get("spec") or {}).get("finalizers", []),
                }
                obj = {**current, "metadata": {**current["metadata"], **_rv_only(obj)}, "spec": spec}
                return await self.store.update(resource.group_resource, obj, dry_run=dry_run)
            prepared = strategy.prepare_status_update(resource, current, obj)
            return await self.store.update(
                resource.group_resource, prepared, subresource="status", dry_run=dry_run
            )
        with self._allocations(resource, dry_run) as allocations:
            prepared = strategy.prepare_update(
                resource, current, obj, allocations=allocations, webhooks=self.webhooks, decoded=decoded
            )
            return await self.store.update(resource.group_resource, prepared, dry_run=dry_run)

    async def patch(self, request: web.Request, resource: ResourceType, path: ResourcePath) -> web.Response:
        from karmadad.apiserver import patch as patches

        kind = PATCH_TYPES.get(request.content_type)
        if kind is None:
            raise UnsupportedMediaType(
                f"the body of the request was in an unknown format - accepted media types include: "
                f"{', '.join(PATCH_TYPES)}"
            )
        raw = await request.read()
        dry_run = _dry_run(request.query)
        params = request.query
        patch_body = await read_body(request) if kind != "json" else None
        deadline = time.monotonic() + PATCH_RETRY_SECONDS
        while True:
            # The newest state, staged writes included: merge and strategic patches do not await
            # between reading it and staging their result, so concurrent patchers queue up instead of
            # conflicting. A JSON patch may grow its document (copies), so it runs on a worker thread;
            # if someone wrote meanwhile, the conflict sends it round again, as kube-apiserver retries.
            current = self.store.latest(resource.group_resource, path.namespace, path.name)
            if kind == "apply":
                warnings: list[str] = []
                if isinstance(patch_body, dict):
                    check_fields(resource, patch_body, params, warnings, zero_nulls=False)
                result = await self._apply(resource, path, current, patch_body, params, dry_run)
                return with_warnings(self._render(request, resource, result[0], result[1]), warnings)
            if current is None:
                raise NotFound.of(resource.group_resource, path.name)
            base = self._scale_of(resource, current) if path.subresource == "scale" else current
            if kind == "json":
                patched = await anyio.to_thread.run_sync(patches.apply_json_patch, base, raw)
            elif kind == "merge":
                if not isinstance(patch_body, dict):
                    raise BadRequest("a merge patch must be a JSON object")
                patched = patches.apply_merge_patch(base, patch_body)
            else:
                if not isinstance(patch_body, dict):
                    raise BadRequest("a strategic merge patch must be a JSON object")
                patched = patches.apply_strategic_merge_patch(
                    base, patch_body, api_version=base.get("apiVersion", ""), kind=base.get("kind", "")
                )
            if not isinstance(patched, dict):
                raise BadRequest("the patch did not produce an object")
            try:
                if path.subresource == "scale":
                    return answer(request, await self._update_scale(resource, path, patched, dry_run))
                warnings = []
                check_fields(resource, patched, params, warnings)
                patched = self._check_identity(resource, path, patched, name=path.name)
                if (
                    not dig(patched, "metadata", "resourceVersion")
                    or dig(patched, "metadata", "resourceVersion") == current["metadata"]["resourceVersion"]
                ):
                    patched["metadata"] = {
                        **patched["metadata"],
                        "resourceVersion": current["metadata"]["resourceVersion"],
                    }
                updated = await self._write(resource, path, patched, dry_run)
                return with_warnings(self._render(request, resource, updated), warnings)
            except Conflict:
                if dig(patch_body, "metadata", "resourceVersion") if isinstance(patch_body, dict) else None:
                    raise
                if time.monotonic() > deadline:
                    raise
                await anyio.lowlevel.checkpoint()  # someone wrote in between: patch the newer object

    async def _apply(
        self,
        resource: ResourceType,
        path: ResourcePath,
        current: dict | None,
        body: Any,
        params: Any,
        dry_run: bool,
    ) -> tuple[dict, int]:
        from karmadad.apiserver.apply import server_side_apply

        if not isinstance(body, dict):
            raise BadRequest("an apply patch must be an object")
        manager = params.get("fieldManager", "")
        if not manager:
            raise BadRequest("fieldManager is required for apply requests")
        body = self._check_identity(resource, path, body, name=path.name)
        force = bool(bool_param(params, "force"))
        applied = server_side_apply(
            current,
            body,
            manager=manager,
            force=force,
            api_version=resource.api_version,
            kind=resource.kind,
            now=now_timestamp(),
        )
        if current is None:
            return await self._create(resource, applied, dry_run), 201
        applied["metadata"] = {
            **applied["metadata"],
            "resourceVersion": current["metadata"]["resourceVersion"],
        }
        return await self._write(resource, path, applied, dry_run), 200

    # -- scale --------------------------------------------------------------------------------

    def _scale_of(self, resource: ResourceType, obj: dict) -> dict:
        meta = obj["metadata"]
        paths = scale_paths(resource)
        if paths.selector is None:
            selector = dig(obj, "spec", "selector", "matchLabels") or {}
            shown = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        else:
            found = dig(obj, *paths.selector)
            shown = found if isinstance(found, str) else ""
        status: dict[str, Any] = {"replicas": dig(obj, *paths.status_replicas) or 0}
        if shown or paths.selector is None:
            status["selector"] = shown
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": dig(obj, *paths.spec_replicas) or 0},
            "status": status,
        }

    async def _update_scale(
        self, resource: ResourceType, path: ResourcePath, scale: dict, dry_run: bool
    ) -> dict:
        replicas = dig(scale, "spec", "replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise Invalid.of(
                "Scale",
                "autoscaling",
                path.name,
                [Cause("spec.replicas", f"Invalid value: {replicas!r}: must be greater than or equal to 0")],
            )
        current = self._latest(resource, path)
        wanted_rv = dig(scale, "metadata", "resourceVersion")
        obj = with_path(current, scale_paths(resource).spec_replicas, replicas)
        obj["metadata"] = {
            **current["metadata"],
            "resourceVersion": wanted_rv or current["metadata"]["resourceVersion"],
        }
        updated = await self.store.update(resource.group_resource, obj, dry_run=dry_run)
        return self._scale_of(resource, updated)

    # -- deletes ------------------------------------------------------------------------------

    async def _delete_options(self, request: web.Request) -> dict:
        options: dict[str, Any] = {}
        raw = await request.read()
        if raw.strip():
            body = await read_body(request, request.content_type or JSON)
            if not isinstance(body, dict):
                raise BadRequest("DeleteOptions must be an object")
            options.update(body)
        params = request.query
        if params.get("propagationPolicy"):
            options["propagationPolicy"] = params["propagationPolicy"]
        policy = options.get("propagationPolicy")
        if options.get("orphanDependents") is True and policy is None:
            policy = "Orphan"
        if policy not in (None, "Background", "Foreground", "Orphan"):
            raise BadRequest(
                f'Invalid value: "{policy}": propagationPolicy must be one of "Background", "Foreground", "Orphan"'
            )
        options["propagationPolicy"] = policy
        options["dryRun"] = bool(options.get("dryRun")) or _dry_run(params)
        return options

    async def delete(self, request: web.Request, resource: ResourceType, path: ResourcePath) -> web.Response:
        options = await self._delete_options(request)
        preconditions = options.get("preconditions") or {}
        current = self.store.find(resource.group_resource, path.namespace, path.name)
        if current is not None and (denied := deletion_denied(current)):
            raise Forbidden(denied, group=resource.group, kind=resource.plural, name=path.name)
        obj, _gone = await self.store.delete(
            resource.group_resource,
            path.namespace,
            path.name,
            propagation=options["propagationPolicy"],
            uid=preconditions.get("uid"),
            resource_version=preconditions.get("resourceVersion"),
            dry_run=options["dryRun"],
        )
        return self._render(request, resource, obj)

    async def delete_collection(
        self, request: web.Request, resource: ResourceType, path: ResourcePath
    ) -> web.Response:
        options = await self._delete_options(request)
        query = _query(resource, path.namespace, request.query)
        for obj in self.store.list(query).items:  # nothing is deleted when one of them is protected
            if denied := deletion_denied(obj):
                raise Forbidden(
                    denied, group=resource.group, kind=resource.plural, name=obj["metadata"]["name"]
                )
        deleted = await self.store.delete_collection(
            query, propagation=options["propagationPolicy"], dry_run=options["dryRun"]
        )
        return answer(
            request,
            {
                "kind": f"{resource.kind}List",
                "apiVersion": resource.api_version,
                "metadata": {"resourceVersion": str(self.store.revision)},
                "items": deleted,
            },
        )


def _json_frame(event_type: str, obj: Any) -> bytes:
    return dumps({"type": event_type, "object": obj}) + b"\n"


def watch_framing(request: web.Request, as_table: bool) -> tuple[Any, str]:
    """How each watch event is written, and the stream's content type: JSON lines, or (to a client that
    negotiated protobuf, Tables aside) length-prefixed protobuf WatchEvents."""
    if as_table or request.get(ANSWER) != PROTOBUF:
        return _json_frame, JSON
    return codec().watch_frame, f"{PROTOBUF};stream=watch"


def _rv_only(obj: dict) -> dict:
    rv = dig(obj, "metadata", "resourceVersion")
    return {"resourceVersion": rv} if rv else {}
