"""Discovery documents (``/api``, ``/apis``, ``/apis/<group>/<version>``, ``/version``), pure."""

from __future__ import annotations

import platform

from karmadad import __version__
from karmadad.api.registry import Registry, ResourceType

# The Kubernetes API level karmadad speaks: kubectl compares it for version skew.
KUBE_MAJOR, KUBE_MINOR = "1", "36"  # the Kubernetes karmadad behaves as (its test bed pins v1.36)

_SUBRESOURCE_VERBS = ["get", "patch", "update"]


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


def api_group_list(registry: Registry) -> dict:
    groups = [_group(g, vs) for g, vs in registry.group_versions().items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, group: str) -> dict | None:
    versions = registry.group_versions().get(group)
    if not versions or not group:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(group, versions)}


def _resource_entries(resource: ResourceType) -> list[dict]:
    entry = {
        "name": resource.plural,
        "singularName": resource.singular,
        "namespaced": resource.namespaced,
        "kind": resource.kind,
        "verbs": list(resource.verbs),
    }
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    entries = [entry]
    for sub in resource.subresources:
        sub_entry = {
            "name": f"{resource.plural}/{sub}",
            "singularName": "",
            "namespaced": resource.namespaced,
            "kind": resource.kind,
            "verbs": ["update"] if sub == "finalize" else _SUBRESOURCE_VERBS,
        }
        if sub == "scale":
            sub_entry.update(group="autoscaling", version="v1", kind="Scale")
        entries.append(sub_entry)
    return entries


def api_resource_list(registry: Registry, group: str, version: str) -> dict | None:
    resources = registry.in_group_version(group, version)
    if not resources:
        return None
    gv = f"{group}/{version}" if group else version
    entries = [e for r in sorted(resources, key=lambda r: r.plural) for e in _resource_entries(r)]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": entries}
