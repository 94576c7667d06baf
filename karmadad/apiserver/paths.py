"""Request paths → what they address, as kube-apiserver's RequestInfo does (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResourcePath:
    group: str
    version: str
    plural: str
    namespace: str = ""  # "" for cluster-scoped requests and for lists across all namespaces
    name: str = ""
    subresource: str = ""


def parse_resource_path(path: str) -> ResourcePath | None:
    """``/apis/apps/v1/namespaces/default/deployments/web/scale`` → its parts; None if not a resource path.

    ``/api/v1/namespaces/x`` names the namespace ``x`` itself; ``/api/v1/namespaces/x/status`` its
    status; ``/api/v1/namespaces/x/configmaps`` the configmaps in it.
    """
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    plural = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    subresource = rest[2] if len(rest) > 2 else ""
    if len(rest) > 3:
        return None
    return ResourcePath(group, version, plural, namespace, name, subresource)
