"""The resource registry: every kind the API serves, with what discovery, routing and tables need.

A :class:`ResourceType` says where a kind lives (group, version, plural), its scope, short names,
categories, subresources and printer columns. Built-in Kubernetes kinds are listed in
``karmadad.api.builtin`` (their columns in ``karmadad.api.printers``); the Karmada kinds come from
``karmadad.api.karmada``; custom resources are added and removed at run time as
CustomResourceDefinitions come and go. The store keys objects by ``group_resource``
(``deployments.apps``), so the same object is found whichever version a client names.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

Cell = Callable[[dict], Any]

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


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
class Elapsed:
    """A cell that is a time span: from ``since`` until the table is rendered (or until ``until``), in
    Kubernetes' short form (``5m30s``), placed in ``template``; ``<unknown>`` without ``since``.

    Why a value and not text: cells stay functions of the object alone, and the table renderer, which
    knows the time, writes the span (:func:`karmadad.apiserver.tables.render_cell`).
    """

    since: str | None
    until: str | None = None
    template: str = "{}"


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
    subresources: tuple[str, ...] = ()  # "status", "scale", "finalize"
    # The table's columns, Name (format "name") and Age included, in kube-apiserver's order: a built-in
    # kind's printer's, a custom or Karmada kind's from its CRD (:func:`custom_columns`); none: Name, Age.
    columns: tuple[Column, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    custom: bool = False  # served because of a CustomResourceDefinition
    extra: dict = field(default_factory=dict, compare=False)
    storage_version: str = ""  # the version objects are stored in, when not this one (HPA v1: "v2")

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        """The storage key of this resource: ``plural.group``, or ``plural`` for the core group."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def schema_name(self) -> str:
        """The name of the kind's OpenAPI schema as Kubernetes names CRD schemas, by the reversed group:
        ``com.example.v1.Widget``."""
        return ".".join([*reversed(self.group.split(".")), self.version, self.kind])

    @property
    def api_version(self) -> str:
        return self.group_version

    @property
    def stored_as(self) -> str:
        """The version the store holds this resource's objects in."""
        return self.storage_version or self.version

    @property
    def table_columns(self) -> tuple[Column, ...]:
        """Every column of the kind's tables, in order."""
        return self.columns or (NAME, AGE)


def _age(obj: dict) -> Elapsed:
    return Elapsed(dig(obj, "metadata", "creationTimestamp"))


def _name(obj: dict) -> str:
    name = dig(obj, "metadata", "name")
    return "" if name is None else str(name)


AGE_DOC = "CreationTimestamp is a timestamp representing the server time when this object was created."
NAME = Column("Name", "string", _name, "Name must be unique within a namespace.", "name")
AGE = Column("Age", "string", _age, AGE_DOC)


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

    def require(self, group: str, version: str, plural: str) -> ResourceType:
        """:meth:`get` for a type that is always registered (a built-in or Karmada one)."""
        resource = self.get(group, version, plural)
        if resource is None:
            raise LookupError(f"resource type {plural} of {group or 'core'}/{version} is not registered")
        return resource

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        for resource in self._by_path.values():
            if resource.group == group and resource.version == version and resource.kind == kind:
                return resource
        return None

    def require_kind(self, api_version: str, kind: str) -> ResourceType:
        """:meth:`by_kind` for a kind that must be registered."""
        resource = self.by_kind(api_version, kind)
        if resource is None:
            raise LookupError(f"kind {kind} of {api_version} is not registered")
        return resource

    def kind_of(self, group_resource: str) -> str | None:
        """The kind of the objects the store keeps under ``group_resource`` (``deployments.apps``)."""
        for resource in self._by_path.values():
            if resource.group_resource == group_resource:
                return resource.kind
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


def storage_version_hash(group: str, version: str, kind: str) -> str:
    """kube-apiserver's ``storageVersionHash``: the first 8 bytes of SHA-256 over ``group/version/kind``
    of the storage version, in base64 (clients compare it to notice a storage migration)."""
    digest = hashlib.sha256(f"{group}/{version}/{kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode("ascii")


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
    for item in _conditions(obj):
        if item.get("type") == condition:
            return str(item.get("status", ""))
    return ""


def _conditions(obj: Any) -> list[dict]:
    found = dig(obj, "status", "conditions")
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _since(cell: Cell) -> Cell:
    def shown(obj: dict) -> Any:
        value = cell(obj)
        return Elapsed(value) if isinstance(value, str) and value else None

    return shown


def custom_columns(columns: Iterable[Column]) -> tuple[Column, ...]:
    """A custom resource's table as kube-apiserver's CRD handler builds it: Name, then the CRD's
    additionalPrinterColumns in their order (a ``date`` column shows the time since; a missing value is
    null), or Age alone when the CRD lists none."""
    shown = tuple(
        replace(column, cell=_since(column.cell)) if column.type == "date" else column for column in columns
    )
    return (NAME, *(shown or (replace(AGE, type="date"),)))


@dataclass(frozen=True)
class ScalePaths:
    """Where the scale subresource reads and writes replicas: a CRD version's ``subresources.scale`` paths,
    or the built-in kinds' ``spec.replicas`` / ``status.replicas`` (``selector`` None: the built-in
    ``spec.selector``, shown as its ``matchLabels``)."""

    spec_replicas: tuple[str, ...] = ("spec", "replicas")
    status_replicas: tuple[str, ...] = ("status", "replicas")
    selector: tuple[str, ...] | None = None


def _steps(json_path: str) -> tuple[str, ...]:
    return tuple(step for step in json_path.removeprefix(".").split(".") if step)


def scale_paths(resource: ResourceType) -> ScalePaths:
    scale = resource.extra.get("scale") if resource.custom else None
    if not isinstance(scale, dict):
        return ScalePaths()
    selector = scale.get("labelSelectorPath")
    return ScalePaths(
        _steps(scale.get("specReplicasPath") or ".spec.replicas"),
        _steps(scale.get("statusReplicasPath") or ".status.replicas"),
        _steps(selector) if selector else (),
    )


def with_path(obj: dict, steps: tuple[str, ...], value: Any) -> dict:
    """A copy of ``obj`` with ``value`` at ``steps``, the dicts on the way copied (or made)."""
    if not steps:
        return obj
    head, *rest = steps
    inner = obj.get(head)
    return {
        **obj,
        head: with_path(inner if isinstance(inner, dict) else {}, tuple(rest), value) if rest else value,
    }
