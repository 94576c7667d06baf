"""OpenAPI v3: the index at ``/openapi/v3`` and one document per group-version.

kubectl needs these for ``apply`` (with a patch operation carrying ``x-kubernetes-group-version-kind``
and a ``fieldValidation`` parameter it validates on the server) and for ``explain`` (the component
schemas). Schemas come from the built-in Kubernetes definitions, the Karmada models, and the
``openAPIV3Schema`` of each CustomResourceDefinition. Documents are built on first request and cached
until the registry changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from aiohttp import web

from karmadad.api.registry import Registry, ResourceType
from karmadad.apiserver.discovery import KUBE_MAJOR, KUBE_MINOR
from karmadad.errors import NotFound

SchemaSource = Callable[[ResourceType], tuple[str, dict[str, dict]] | None]

_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_GENERIC_META = {
    "type": "object",
    "description": "Standard object metadata.",
    "x-kubernetes-preserve-unknown-fields": True,
}
_QUERY = {"type": "string", "uniqueItems": True}
_PATCH_MEDIA = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)


_NON_STRATEGIC_PATCH_MEDIA = tuple(m for m in _PATCH_MEDIA if "strategic" not in m)


def smp_supported(resource: ResourceType) -> bool:
    from karmadad.api import schemas

    return not resource.custom and schemas.definition_name(resource.api_version, resource.kind) is not None


def _param(name: str, description: str) -> dict:
    return {"name": name, "in": "query", "description": description, "schema": _QUERY}


_FIELD_VALIDATION = _param(
    "fieldValidation",
    "How the server treats unknown or duplicate fields: Ignore, Warn (default) or Strict.",
)
_DRY_RUN = _param("dryRun", "All: validate and process the request without persisting it.")
_FIELD_MANAGER = _param("fieldManager", "The name of the actor making these changes.")


def generic_schema(resource: ResourceType) -> dict:
    return {
        "type": "object",
        "description": f"{resource.kind} ({resource.group_version}).",
        "properties": {
            "apiVersion": {"type": "string"},
            "kind": {"type": "string"},
            "metadata": {"$ref": f"#/components/schemas/{_OBJECT_META}"},
        },
        "x-kubernetes-preserve-unknown-fields": True,
    }


def _operation(
    resource: ResourceType, action: str, ref: str, *, body: tuple[str, ...] = (), params=()
) -> dict:
    operation: dict = {
        "operationId": f"{action}{resource.kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {
            "group": resource.group,
            "version": resource.version,
            "kind": resource.kind,
        },
        "parameters": list(params),
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}
        },
    }
    if body:
        operation["requestBody"] = {
            "content": {
                media: {
                    "schema": {"$ref": ref}
                    if media.endswith("json") and "patch" not in media
                    else {"type": "object"}
                }
                for media in body
            }
        }
    return operation


def group_version_document(
    registry: Registry, group: str, version: str, schemas: SchemaSource
) -> dict | None:
    resources = registry.in_group_version(group, version)
    if not resources:
        return None
    prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
    paths: dict[str, dict] = {}
    components: dict[str, dict] = {}
    for resource in sorted(resources, key=lambda r: r.plural):
        found = schemas(resource)
        if found is None:
            name = f"{resource.group or 'core'}.{resource.version}.{resource.kind}"
            found = (name, {name: generic_schema(resource)})
        ref_name, defs = found
        for def_name, schema in defs.items():
            components.setdefault(def_name, schema)
        top = dict(components[ref_name])
        top.setdefault(
            "x-kubernetes-group-version-kind",
            [{"group": resource.group, "version": resource.version, "kind": resource.kind}],
        )
        components[ref_name] = top
        ref = f"#/components/schemas/{ref_name}"
        # kubectl computes a strategic merge patch only where the patch operation accepts one: as in
        # kube-apiserver, built-in kinds do, custom resources (and the Karmada kinds) do not.
        patch_media = _PATCH_MEDIA if smp_supported(resource) else _NON_STRATEGIC_PATCH_MEDIA
        base = (
            f"{prefix}/namespaces/{{namespace}}/{resource.plural}"
            if resource.namespaced
            else f"{prefix}/{resource.plural}"
        )
        paths[base] = {
            "get": _operation(resource, "list", ref),
            "post": _operation(
                resource,
                "post",
                ref,
                body=("application/json", "application/yaml"),
                params=(_FIELD_VALIDATION, _DRY_RUN, _FIELD_MANAGER),
            ),
        }
        item = {
            "get": _operation(resource, "get", ref),
            "put": _operation(
                resource,
                "put",
                ref,
                body=("application/json", "application/yaml"),
                params=(_FIELD_VALIDATION, _DRY_RUN, _FIELD_MANAGER),
            ),
            "patch": _operation(
                resource,
                "patch",
                ref,
                body=patch_media,
                params=(_FIELD_VALIDATION, _DRY_RUN, _FIELD_MANAGER, _param("force", "Force apply.")),
            ),
            "delete": _operation(resource, "delete", ref, params=(_DRY_RUN,)),
        }
        paths[f"{base}/{{name}}"] = item
        for sub in resource.subresources:
            paths[f"{base}/{{name}}/{sub}"] = {
                "get": _operation(resource, "get", ref),
                "put": _operation(resource, "put", ref, body=("application/json",)),
                "patch": _operation(resource, "patch", ref, body=patch_media, params=(_FIELD_VALIDATION,)),
            }
    components.setdefault(_OBJECT_META, _GENERIC_META)  # for kinds whose schemas did not bring it
    return {
        "openapi": "3.0.0",
        "info": {"title": "karmadad", "version": f"v{KUBE_MAJOR}.{KUBE_MINOR}.0"},
        "paths": paths,
        "components": {"schemas": components},
    }


class OpenAPI:
    def __init__(self, registry: Registry, schemas: SchemaSource):
        self.registry = registry
        self.schemas = schemas
        self._documents: dict[str, bytes] = {}
        self._key: tuple = ()

    def _refresh(self) -> None:
        key = tuple(sorted((r.group, r.version, r.plural, r.custom, id(r)) for r in self.registry.all()))
        if key != self._key:
            self._documents, self._key = {}, key

    def _document(self, group: str, version: str) -> bytes | None:
        gv = f"{group}/{version}" if group else version
        if gv not in self._documents:
            document = group_version_document(self.registry, group, version, self.schemas)
            if document is None:
                return None
            self._documents[gv] = json.dumps(document, separators=(",", ":")).encode()
        return self._documents[gv]

    def index(self) -> dict:
        paths = {}
        for group, versions in self.registry.group_versions().items():
            for version in versions:
                key = f"apis/{group}/{version}" if group else f"api/{version}"
                body = self._document(group, version) or b""
                digest = hashlib.sha512(body).hexdigest().upper()
                paths[key] = {"serverRelativeURL": f"/openapi/v3/{key}?hash={digest}"}
        return {"paths": paths}

    async def handle(self, request: web.Request, path: str) -> web.Response:
        self._refresh()
        if path == "/openapi/v3":
            return web.json_response(self.index())
        parts = path.removeprefix("/openapi/v3/").split("/")
        if parts[:1] == ["api"] and len(parts) == 2:
            body = self._document("", parts[1])
        elif parts[:1] == ["apis"] and len(parts) == 3:
            body = self._document(parts[1], parts[2])
        else:
            body = None
        if body is None:
            raise NotFound("the server could not find the requested resource")
        headers = {"Cache-Control": "public, immutable" if "hash" in request.query else "no-cache"}
        return web.Response(body=body, content_type="application/json", headers=headers)
