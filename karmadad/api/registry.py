"""The resource registry: every kind the API serves, with what discovery, routing and tables need.

A :class:`ResourceType` says where a kind lives (group, version, plural), its scope, short names,
categories, subresources and printer columns. Built-in Kubernetes kinds are listed here; the Karmada
kinds come from ``karmadad.api.karmada``; custom resources are added and removed at run time as
CustomResourceDefinitions come and go. The store keys objects by ``group_resource``
(``deployments.apps``), so the same object is found whichever version a client names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Cell = Callable[[dict], Any]


@dataclass(frozen=True)
class Column:
    """One printer column: ``cell(obj)`` gives the value; ``format`` as in meta.k8s.io Tables."""

    name: str
    type: str
    cell: Cell
    description: str = ""
    format: str = ""
    priority: int = 0


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()  # "status", "scale"
    columns: tuple[Column, ...] = ()  # besides NAME and AGE
    verbs: tuple[str, ...] = (
        "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch",
    )  # fmt: skip
    custom: bool = False  # served because of a CustomResourceDefinition
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """The storage key of this resource: ``plural.group``, or ``plural`` for the core group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def api_version(self) -> str:
        return self.group_version


class Registry:
    """Lookup of resource types by path, by kind and by name; CRDs add and remove entries."""

    def __init__(self, types: Iterable[ResourceType] = ()):
        self._by_path: dict[tuple[str, str, str], ResourceType] = {}
        for resource in types:
            self.add(resource)

    def add(self, resource: ResourceType) -> None:
        self._by_path[(resource.group, resource.version, resource.plural)] = resource

    def remove(self, group: str, version: str, plural: str) -> None:
        self._by_path.pop((group, version, plural), None)

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._by_path.get((group, version, plural))

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for resource in self._by_path.values():
            if resource.group == group and resource.version == version and resource.kind == kind:
                return resource
        return None

    def all(self) -> list[ResourceType]:
        return list(self._by_path.values())

    def group_versions(self) -> dict[str, list[str]]:
        """Group → served versions, the preferred (first registered) first; core group is ``""``."""
        versions: dict[str, list[str]] = {}
        for resource in self._by_path.values():
            served = versions.setdefault(resource.group, [])
            if resource.version not in served:
                served.append(resource.version)
        return versions

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return [r for r in self._by_path.values() if r.group == group and r.version == version]


def dig(obj: Any, *path: str | int) -> Any:
    """``obj[path[0]][path[1]]...`` or None when any step is missing."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(obj, list) or step >= len(obj):
                return None
        elif not isinstance(obj, dict):
            return None
        obj = obj[step] if isinstance(step, int) else obj.get(step)
    return obj


def condition_status(obj: dict, condition: str) -> str:
    for item in dig(obj, "status", "conditions") or ():
        if isinstance(item, dict) and item.get("type") == condition:
            return str(item.get("status", ""))
    return ""


def _deployment_ready(obj: dict) -> str:
    return f"{dig(obj, 'status', 'readyReplicas') or 0}/{dig(obj, 'spec', 'replicas') or 0}"


_DEPLOYMENT_COLUMNS = (
    Column("Ready", "string", _deployment_ready, "Number of ready replicas out of the desired ones."),
    Column("Up-to-date", "integer", lambda o: dig(o, "status", "updatedReplicas") or 0, "Updated replicas."),
    Column(
        "Available", "integer", lambda o: dig(o, "status", "availableReplicas") or 0, "Available replicas."
    ),
)
_NAMESPACE_COLUMNS = (
    Column("Status", "string", lambda o: dig(o, "status", "phase") or "", "Namespace phase."),
)
_CONFIGMAP_COLUMNS = (
    Column("Data", "integer", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
)
_SECRET_COLUMNS = (
    Column("Type", "string", lambda o: o.get("type", "")),
    Column("Data", "integer", lambda o: len(o.get("data") or {})),
)
_SERVICE_COLUMNS = (
    Column("Type", "string", lambda o: dig(o, "spec", "type") or "ClusterIP"),
    Column("Cluster-IP", "string", lambda o: dig(o, "spec", "clusterIP") or "<none>"),
    Column(
        "Port(s)",
        "string",
        lambda o: (
            ",".join(f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in dig(o, "spec", "ports") or ())
            or "<none>"
        ),
    ),
)

_ALL = ("all",)
_STATUS = ("status",)
_STATUS_SCALE = ("status", "scale")


def _builtin(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    columns: tuple[Column, ...] = (),
) -> ResourceType:
    return ResourceType(
        group, version, kind, plural, kind.lower(), namespaced, short, categories, sub, columns
    )


BUILTIN_RESOURCES: tuple[ResourceType, ...] = (
    _builtin("", "v1", "Namespace", "namespaces", False, ("ns",), sub=("status", "finalize"), columns=_NAMESPACE_COLUMNS),
    _builtin("", "v1", "ConfigMap", "configmaps", short=("cm",), columns=_CONFIGMAP_COLUMNS),
    _builtin("", "v1", "Secret", "secrets", columns=_SECRET_COLUMNS),
    _builtin("", "v1", "Service", "services", short=("svc",), categories=_ALL, sub=_STATUS, columns=_SERVICE_COLUMNS),
    _builtin("", "v1", "ServiceAccount", "serviceaccounts", short=("sa",)),
    _builtin("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", short=("pvc",), sub=_STATUS),
    _builtin("", "v1", "Event", "events", short=("ev",)),
    _builtin("", "v1", "LimitRange", "limitranges", short=("limits",)),
    _builtin("", "v1", "ResourceQuota", "resourcequotas", short=("quota",), sub=_STATUS),
    _builtin("", "v1", "Pod", "pods", short=("po",), categories=_ALL, sub=_STATUS),
    _builtin("apps", "v1", "Deployment", "deployments", short=("deploy",), categories=_ALL, sub=_STATUS_SCALE,
             columns=_DEPLOYMENT_COLUMNS),
    _builtin("apps", "v1", "StatefulSet", "statefulsets", short=("sts",), categories=_ALL, sub=_STATUS_SCALE),
    _builtin("apps", "v1", "DaemonSet", "daemonsets", short=("ds",), categories=_ALL, sub=_STATUS),
    _builtin("apps", "v1", "ReplicaSet", "replicasets", short=("rs",), categories=_ALL, sub=_STATUS_SCALE),
    _builtin("batch", "v1", "Job", "jobs", categories=_ALL, sub=_STATUS),
    _builtin("batch", "v1", "CronJob", "cronjobs", short=("cj",), categories=_ALL, sub=_STATUS),
    _builtin("networking.k8s.io", "v1", "Ingress", "ingresses", short=("ing",), sub=_STATUS),
    _builtin("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short=("netpol",)),
    _builtin("rbac.authorization.k8s.io", "v1", "Role", "roles"),
    _builtin("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings"),
    _builtin("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False),
    _builtin("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _builtin("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short=("pdb",), sub=_STATUS),
    _builtin("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", short=("hpa",),
             categories=_ALL, sub=_STATUS),
    _builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False,
             ("crd", "crds"), categories=("api-extensions",), sub=_STATUS),
)  # fmt: skip
