"""CustomResourceDefinitions: a CRD in the store makes its kind served, and its deletion unserves it.

The registry follows the store's change feed synchronously, so a created CRD is served as soon as
the create is acknowledged. A small controller then marks the CRD ``Established`` and
``NamesAccepted`` (what ``kubectl wait --for=condition=established`` looks for) and, when the CRD is
deleted, removes every custom resource of it before letting the CRD go (the
``customresourcecleanup.apiextensions.k8s.io`` finalizer, as Kubernetes does).
"""

from __future__ import annotations

from karmadad.api.jsonpath import column_value, parse_steps
from karmadad.api.preparation import with_storage_version
from karmadad.api.registry import Column, Registry, ResourceType, custom_columns
from karmadad.errors import NotFound
from karmadad.logs import describe_object, get_logger
from karmadad.runtime.controller import Controller
from karmadad.store import Change, Query, Store
from karmadad.store.store import now_timestamp

log = get_logger("crd")

CRDS = "customresourcedefinitions.apiextensions.k8s.io"
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def json_path(path: str):
    """A getter for a CRD printer column; a path outside the supported subset shows as empty."""
    try:
        parse_steps(path)
    except ValueError:
        return lambda obj: None
    return lambda obj: column_value(obj, path)


def resource_types(crd: dict) -> list[ResourceType]:
    """The served versions of a CRD as resource types."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    types = []
    storage: dict = next((v for v in spec.get("versions") or () if v.get("storage")), {})
    storage_extra = {
        "storage_version": storage.get("name", ""),
        "storage_schema": (storage.get("schema") or {}).get("openAPIV3Schema"),
    }
    for version in spec.get("versions") or ():
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        columns = custom_columns(
            Column(
                c["name"],
                c.get("type", "string"),
                json_path(c.get("jsonPath", "")),
                c.get("description")
                or f"Custom resource definition column (in JSONPath format): {c.get('jsonPath')}",
                c.get("format", ""),
                c.get("priority", 0),
            )
            for c in version.get("additionalPrinterColumns") or ()
        )
        types.append(
            ResourceType(
                group=spec.get("group", ""),
                version=version.get("name", ""),
                kind=names.get("kind", ""),
                plural=names.get("plural", ""),
                singular=names.get("singular") or names.get("kind", "").lower(),
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                subresources=tuple(s for s in ("status", "scale") if s in subresources),
                columns=columns,
                custom=True,
                extra={
                    "schema": (version.get("schema") or {}).get("openAPIV3Schema"),
                    "scale": subresources.get("scale"),
                    **storage_extra,
                },
            )
        )
    return types


class CRDServing:
    def __init__(self, store: Store, registry: Registry, *, name: str = "crd"):
        """``name``: of its work queue, in logs and metrics (a simulated member's has its own)."""
        self.store = store
        self.registry = registry
        self._served: dict[str, list[ResourceType]] = {}
        self.controller: Controller[str] = Controller(
            name, self.reconcile, describe=lambda crd: describe_object("CustomResourceDefinition", "", crd)
        )
        store.subscribe_index(self._on_change, resources=(CRDS,))

    async def run(self, **kwargs) -> None:
        for crd in self.store.list_all(CRDS):
            self._serve(crd)
            self.controller.queue.add(crd["metadata"]["name"])
        await self.controller.run(**kwargs)

    def _on_change(self, change: Change) -> None:
        if change.type == "DELETED":
            self._unserve(change.name)
        else:
            self._serve(change.object)
        self.controller.queue.add(change.name)

    def _serve(self, crd: dict) -> None:
        name = crd["metadata"]["name"]
        self._unserve(name)
        types = resource_types(crd)
        for resource in types:
            if self.registry.get(resource.group, resource.version, resource.plural) is not None:
                log.warning(
                    "CRD names a resource already served; ignored",
                    object=describe_object("CustomResourceDefinition", "", name),
                    resource=resource.plural,
                )
                continue
            self.registry.add(resource)
            self._served.setdefault(name, []).append(resource)

    def _unserve(self, name: str) -> None:
        for resource in self._served.pop(name, []):
            self.registry.remove(resource.group, resource.version, resource.plural)

    async def reconcile(self, name: str) -> float | None:
        crd = self.store.find(CRDS, "", name)
        if crd is None:
            return None
        meta = crd["metadata"]
        if meta.get("deletionTimestamp"):
            return await self._clean_up(crd)
        if CLEANUP_FINALIZER not in (meta.get("finalizers") or ()):
            crd = await self.store.update(
                CRDS,
                {
                    **crd,
                    "metadata": {**meta, "finalizers": [*(meta.get("finalizers") or ()), CLEANUP_FINALIZER]},
                },
            )
        await self._set_status(crd)
        return None

    async def _set_status(self, crd: dict) -> None:
        spec = crd.get("spec") or {}
        status = dict(crd.get("status") or {})
        conditions = {c.get("type"): c for c in status.get("conditions") or ()}
        now = now_timestamp()
        for kind, reason, message in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ):
            if (conditions.get(kind) or {}).get("status") != "True":
                conditions[kind] = {
                    "type": kind,
                    "status": "True",
                    "lastTransitionTime": now,
                    "reason": reason,
                    "message": message,
                }
        status["conditions"] = list(conditions.values())
        status["acceptedNames"] = spec.get("names") or {}
        status = with_storage_version(status, crd)
        if status != crd.get("status"):
            await self.store.update(CRDS, {**crd, "status": status}, subresource="status")

    async def _clean_up(self, crd: dict) -> float | None:
        spec = crd.get("spec") or {}
        group_resource = f"{(spec.get('names') or {}).get('plural', '')}.{spec.get('group', '')}"
        remaining = self.store.list(Query(group_resource)).items
        for obj in remaining:
            if not obj["metadata"].get("deletionTimestamp"):
                try:
                    await self.store.delete(
                        group_resource, obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
                    )
                except NotFound:
                    pass
        if self.store.list(Query(group_resource)).items:
            return 1.0
        meta = crd["metadata"]
        finalizers = [f for f in meta.get("finalizers") or () if f != CLEANUP_FINALIZER]
        await self.store.update(CRDS, {**crd, "metadata": {**meta, "finalizers": finalizers}})
        return None
