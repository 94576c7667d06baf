"""Discovery documents (``/api``, ``/apis``, ``/apis/<group>/<version>``, ``/version``), pure.

Two forms, as kube-apiserver serves them: the legacy one (``APIVersions``, ``APIGroupList``, one
``APIResourceList`` per group version) and the aggregated one (``apidiscovery.k8s.io/v2``
``APIGroupDiscoveryList``: every group, version and resource of ``/api`` or ``/apis`` in one answer),
which kubectl asks for first and which spares it a request per group version. Built-in kinds are listed
as kube-apiserver lists them: groups in its order, resources sorted by name with their subresources, and
the ``storageVersionHash`` computed as kube-apiserver computes it. Custom resources and Karmada's kinds
are listed as a CRD's resources are.
"""

from __future__ import annotations

import hashlib
import platform
from typing import Any

from karmadad import __version__
from karmadad.api.registry import Registry, ResourceType, storage_version_hash
from karmadad.api.strategy import KARMADA_GROUPS
from karmadad.errors import NotAcceptable

# The Kubernetes API level karmadad speaks: kubectl compares it for version skew.
KUBE_MAJOR, KUBE_MINOR = "1", "36"  # the Kubernetes karmadad behaves as (its test bed pins v1.36)

JSON = "application/json"
AGGREGATED = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
NOT_ACCEPTABLE = (
    "only the following media types are accepted: application/json, application/yaml, "
    "application/vnd.kubernetes.protobuf"
)
_SUBRESOURCE_VERBS = ("get", "patch", "update")
_SCALE_KIND = {"group": "autoscaling", "version": "v1", "kind": "Scale"}
# kube-apiserver's groups in the order it lists them (kube-aggregator's group priorities); other groups
# (Karmada's, custom resources') follow, by name.
_KUBE_GROUPS = (
    "apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
    "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io", "policy", "rbac.authorization.k8s.io",
    "storage.k8s.io", "admissionregistration.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io",
    "coordination.k8s.io", "node.k8s.io", "discovery.k8s.io", "resource.k8s.io", "flowcontrol.apiserver.k8s.io",
)  # fmt: skip
_GROUP_ORDER = {group: rank for rank, group in enumerate(_KUBE_GROUPS)}


def version_info() -> dict:
    return {
        "major": KUBE_MAJOR,
        "minor": KUBE_MINOR,
        "gitVersion": f"v{KUBE_MAJOR}.{KUBE_MINOR}.0-karmadad.{__version__}",
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "",
        "goVersion": f"python{platform.python_version()}",
        "compiler": "cpython",
        "platform": f"{platform.system().lower()}/{platform.machine()}",
        "karmadadVersion": __version__,
    }


def api_versions(server_address: str) -> dict:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group(name: str, versions: list[str]) -> dict:
    gvs = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": gvs, "preferredVersion": gvs[0]}


def ordered_groups(registry: Registry) -> list[tuple[str, list[str]]]:
    """The named groups and their versions (preferred first), in the order kube-apiserver lists them."""
    named = [(group, versions) for group, versions in registry.group_versions().items() if group]
    return sorted(named, key=lambda item: (_GROUP_ORDER.get(item[0], len(_GROUP_ORDER)), item[0]))


def api_group_list(registry: Registry) -> dict:
    groups = [_group(g, vs) for g, vs in ordered_groups(registry)]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, group: str) -> dict | None:
    versions = registry.group_versions().get(group)
    if not versions or not group:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(group, versions)}


def _builtin(resource: ResourceType) -> bool:
    return not resource.custom and resource.group not in KARMADA_GROUPS


def _subresources(resource: ResourceType) -> list[tuple[str, dict, list[str]]]:
    """(name, kind of its answers, verbs) of each subresource: a built-in kind's sorted by name, as
    kube-apiserver sorts them; a CRD's in its order (status, scale)."""
    kind = {"group": resource.group, "version": resource.version, "kind": resource.kind}
    found = [
        (
            sub,
            _SCALE_KIND if sub == "scale" else kind,
            ["update"] if sub == "finalize" else [*_SUBRESOURCE_VERBS],
        )
        for sub in resource.subresources
    ]
    return sorted(found) if _builtin(resource) else found


def _resource_entries(resource: ResourceType) -> list[dict]:
    entry: dict[str, Any] = {
        "name": resource.plural,
        "singularName": resource.singular or resource.kind.lower(),
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    if _builtin(resource) and "list" in resource.verbs:  # stored, unlike the reviews
        entry["storageVersionHash"] = storage_version_hash(resource.group, resource.stored_as, resource.kind)
    entries = [entry]
    for sub, kind, verbs in _subresources(resource):
        other = {"group": kind["group"], "version": kind["version"]} if kind is _SCALE_KIND else {}
        entries.append(
            {
                "name": f"{resource.plural}/{sub}",
                "singularName": "",
                "namespaced": resource.namespaced,
                **other,
                "kind": kind["kind"],
                "verbs": verbs,
            }
        )
    return entries


def _sorted(resources: list[ResourceType]) -> list[ResourceType]:
    """Resources sorted by name, as kube-apiserver lists them."""
    return sorted(resources, key=lambda r: r.plural)


def api_resource_list(registry: Registry, group: str, version: str) -> dict | None:
    resources = registry.in_group_version(group, version)
    if not resources:
        return None
    gv = f"{group}/{version}" if group else version
    entries = [e for r in _sorted(resources) for e in _resource_entries(r)]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": entries}


# -- aggregated discovery (apidiscovery.k8s.io/v2) ---------------------------------------------------


def _response_kind(resource: ResourceType, kind: dict) -> dict:
    """The kind of a resource's answers: a built-in kind's without group and version (those of the
    document), as kube-apiserver writes it; a CRD's in full; a Scale's always in full."""
    if kind is _SCALE_KIND or not _builtin(resource):
        return dict(kind)
    return {"group": "", "version": "", "kind": kind["kind"]}


def _aggregated_resource(resource: ResourceType) -> dict:
    own = {"group": resource.group, "version": resource.version, "kind": resource.kind}
    entry: dict[str, Any] = {
        "resource": resource.plural,
        "responseKind": _response_kind(resource, own),
        "scope": "Namespaced" if resource.namespaced else "Cluster",
        "singularResource": resource.singular or resource.kind.lower(),
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    if subresources := _subresources(resource):
        entry["subresources"] = [
            {"subresource": sub, "responseKind": _response_kind(resource, kind), "verbs": verbs}
            for sub, kind, verbs in subresources
        ]
    return entry


def _aggregated_group(registry: Registry, group: str, versions: list[str]) -> dict:
    return {
        "metadata": {"name": group} if group else {},
        "versions": [
            {
                "version": version,
                "resources": [
                    _aggregated_resource(r) for r in _sorted(registry.in_group_version(group, version))
                ],
                "freshness": "Current",
            }
            for version in versions
        ],
    }


def aggregated_discovery(registry: Registry, *, legacy: bool) -> dict:
    """The ``APIGroupDiscoveryList`` of ``/api`` (``legacy``: the core group) or of ``/apis``."""
    if legacy:
        groups = [("", registry.group_versions().get("", []))]
    else:
        groups = ordered_groups(registry)
    return {
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": [_aggregated_group(registry, group, versions) for group, versions in groups],
    }


def _choices(accept: str) -> list[tuple[str, dict[str, str]]]:
    """The media ranges of an Accept header, most preferred first (by ``q``, then as listed); those with
    ``q=0`` are refused by the client and left out."""
    parsed = []
    for index, choice in enumerate(accept.split(",")):
        media, *raw = (part.strip() for part in choice.split(";"))
        if not media:
            continue
        params = dict(p.partition("=")[::2] for p in raw if p)
        try:
            quality = float(params.pop("q", "1"))
        except ValueError:
            quality = 1.0
        if quality > 0:
            parsed.append((-quality, index, media.lower(), params))
    return [(media, params) for _, _, media, params in sorted(parsed)]


def wants_aggregated(accept: str, *, aggregable: bool) -> bool | None:
    """Which form of discovery to answer with: True for the aggregated one (asked for on a path that has
    it), False for the legacy one (in JSON), None when nothing the client accepts is served (406).

    ``as=`` forms other than the v2 ``APIGroupDiscoveryList`` in JSON are not served (v2beta1 is gone
    from Kubernetes 1.36, and protobuf forms are left to the next choice); any plain media type is
    answered with the legacy form, in JSON.
    """
    if not accept.strip():
        return False
    for media, params in _choices(accept):
        if "as" not in params:
            return False
        aggregated = params == {"g": "apidiscovery.k8s.io", "v": "v2", "as": "APIGroupDiscoveryList"}
        if aggregable and aggregated and media in ("application/json", "application/*", "*/*"):
            return True
    return None


def etag(body: bytes) -> str:
    """The entity tag of a discovery document, so that caching clients revalidate instead of reloading."""
    return f'"{hashlib.sha512(body).hexdigest().upper()}"'


def _legacy(registry: Registry, server_address: str, path: str) -> dict | None:
    if path == "/api":
        return api_versions(server_address)
    if path == "/apis":
        return api_group_list(registry)
    parts = path.strip("/").split("/")
    if parts == ["api", "v1"]:
        return api_resource_list(registry, "", "v1")
    if len(parts) == 2 and parts[0] == "apis":
        return api_group(registry, parts[1])
    if len(parts) == 3 and parts[0] == "apis":
        return api_resource_list(registry, parts[1], parts[2])
    return None


def document(registry: Registry, server_address: str, path: str, accept: str) -> tuple[dict, str] | None:
    """The discovery document at ``path`` and its media type, in the form ``accept`` asks for; None when
    ``path`` is no discovery path. Raises NotAcceptable when no form the client accepts is served."""
    if path == "/version":
        return version_info(), JSON
    legacy = _legacy(registry, server_address, path)
    if legacy is None:
        return None
    aggregated = wants_aggregated(accept, aggregable=path in ("/api", "/apis"))
    if aggregated is None:
        raise NotAcceptable(NOT_ACCEPTABLE)
    if aggregated:
        return aggregated_discovery(registry, legacy=path == "/api"), AGGREGATED
    return legacy, JSON
