"""propagateDeps: what a workload needs goes where the workload goes (Karmada's dependencies distributor).

For a ResourceBinding with ``propagateDeps: true``, the ConfigMaps, Secrets, PVCs and ServiceAccount its
template uses (:func:`karmadad.interpreter.dependencies.get_dependencies`) each get an *attached* binding:
named as Karmada names bindings, owned by the dependency, labelled
``resourcebinding.karmada.io/depended-by-<key of the parent>`` with the parent's permanent id, without a
placement (the scheduler leaves it alone), and with ``spec.requiredBy`` listing the parents and the clusters
they run in. The binding controller then writes the dependency's Works for those clusters, so it follows its
workload when the workload moves. A parent that stops depending on an object, stops propagating
dependencies or goes away is removed from ``requiredBy``; an attached binding nobody requires any more and
that no policy placed is deleted. The parent records what it depends on in the annotation
``resourcebinding.karmada.io/dependencies``. Each look at a template of a kind with dependencies is told
on the template, as Karmada tells it: ``GetDependenciesSucceed`` listing them as Go prints its
``[]DependentObjectReference`` with ``%+v``, or ``GetDependenciesFailed`` with the error.
"""

from __future__ import annotations

import json

from karmadad.api import strategy
from karmadad.api.karmada.names import (
    BINDING_FINALIZER,
    DEPENDED_BY_PREFIX,
    DEPENDENCIES_ANNOTATION,
    RB_PERMANENT_ID,
)
from karmadad.api.karmada.resources import RESOURCE_BINDINGS
from karmadad.api.registry import Registry
from karmadad.errors import Conflict, NotFound
from karmadad.events import NORMAL, WARNING, EventRecorder
from karmadad.interpreter.dependencies import get_dependencies, has_dependency_rule
from karmadad.interpreter.work import safe_encode
from karmadad.logs import describe_object
from karmadad.propagation.claims import binding_name, referenced
from karmadad.runtime.controller import Controller
from karmadad.scheduler.webster import fnv32a
from karmadad.store import Change, Store

BindingKey = tuple[str, str]  # (namespace, name) of a ResourceBinding
_DEPENDENCY_KINDS = frozenset({"configmaps", "secrets", "persistentvolumeclaims", "serviceaccounts"})


def depended_by_key(namespace: str, name: str) -> str:
    """The label key that marks a binding as required by ``namespace/name`` (Karmada's reference key)."""
    return DEPENDED_BY_PREFIX + safe_encode(str(fnv32a(f"{namespace}/{name}".encode())))


def attached_binding(parent: dict, dependency: dict) -> dict:
    """The binding ``dependency`` gets because ``parent`` needs it (before merging with an existing one)."""
    parent_meta, meta = parent["metadata"], dependency["metadata"]
    spec: dict = {
        "resource": {
            "apiVersion": dependency["apiVersion"],
            "kind": dependency["kind"],
            "namespace": meta.get("namespace", ""),
            "name": meta["name"],
            "uid": meta.get("uid", ""),
            "resourceVersion": meta.get("resourceVersion", ""),
        },
        "requiredBy": [snapshot_of(parent)],
    }
    for field in ("conflictResolution", "preserveResourcesOnDeletion"):
        if (parent.get("spec") or {}).get(field) is not None:
            spec[field] = parent["spec"][field]
    return {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {
            "name": binding_name(dependency["kind"], meta["name"]),
            "namespace": parent_meta["namespace"],
            "labels": {
                depended_by_key(parent_meta["namespace"], parent_meta["name"]): (
                    parent_meta.get("labels") or {}
                ).get(RB_PERMANENT_ID, "")
            },
            "ownerReferences": [
                {
                    "apiVersion": dependency["apiVersion"],
                    "kind": dependency["kind"],
                    "name": meta["name"],
                    "uid": meta.get("uid", ""),
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
            "finalizers": [BINDING_FINALIZER],
        },
        "spec": spec,
    }


def snapshot_of(parent: dict) -> dict:
    meta = parent["metadata"]
    return {
        "namespace": meta["namespace"],
        "name": meta["name"],
        "clusters": (parent.get("spec") or {}).get("clusters") or [],
    }


def merged_required_by(existing: list[dict], snapshot: dict) -> list[dict]:
    """``existing`` with ``snapshot``'s parent entry replaced in place, or added at the end."""
    parent = (snapshot["namespace"], snapshot["name"])
    if any((s.get("namespace"), s.get("name")) == parent for s in existing):
        return [snapshot if (s.get("namespace"), s.get("name")) == parent else s for s in existing]
    return [*existing, snapshot]


def _go_label_selector(selector: dict | None) -> str:
    """A label selector as its generated ``String()`` writes it (what ``%+v`` prints for the pointer)."""
    if selector is None:
        return "nil"
    labels = selector.get("matchLabels") or {}
    pairs = "".join(f"{key}: {labels[key]}," for key in sorted(labels))
    requirements = "".join(
        f"LabelSelectorRequirement{{Key:{r.get('key', '')},Operator:{r.get('operator', '')},"
        f"Values:[{' '.join(r.get('values') or ())}],}},"
        for r in selector.get("matchExpressions") or ()
    )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{pairs}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{requirements}}},}}"
    )


def dependencies_text(dependencies: list[dict]) -> str:
    """``dependencies`` as Go's ``%+v`` prints a ``[]DependentObjectReference``: the words of Karmada's
    GetDependenciesSucceed Event."""
    items = (
        f"{{APIVersion:{d.get('apiVersion', '')} Kind:{d.get('kind', '')} Namespace:{d.get('namespace', '')} "
        f"Name:{d.get('name', '')} LabelSelector:{_go_label_selector(d.get('labelSelector'))}}}"
        for d in dependencies
    )
    return f"[{' '.join(items)}]"


class DependenciesDistributor:
    def __init__(self, store: Store, registry: Registry, recorder: EventRecorder, *, workers: int = 4):
        self.store = store
        self.registry = registry
        self.recorder = recorder
        self.controller: Controller[BindingKey] = Controller(
            "dependencies",
            self.reconcile,
            workers=workers,
            describe=lambda key: describe_object("ResourceBinding", *key),
        )
        store.subscribe(self._on_change)

    async def run(self, **kwargs) -> None:
        for binding in self.store.list_all(RESOURCE_BINDINGS):
            if (binding.get("spec") or {}).get("propagateDeps"):
                self.controller.queue.add((binding["metadata"]["namespace"], binding["metadata"]["name"]))
        await self.controller.run(**kwargs)

    def _on_change(self, change: Change) -> None:
        if change.resource == RESOURCE_BINDINGS:
            old, new = change.previous, change.object
            deps = (new.get("spec") or {}).get("propagateDeps") or (
                old and (old.get("spec") or {}).get("propagateDeps")
            )
            generation_changed = old is None or old["metadata"].get("generation") != new["metadata"].get(
                "generation"
            )
            if deps and (
                generation_changed
                or change.type == "DELETED"
                or bool(new["metadata"].get("deletionTimestamp"))
            ):
                self.controller.queue.add((change.namespace, change.name))
        elif change.resource in _DEPENDENCY_KINDS and change.type == "ADDED":
            # a dependency that appears after its workload: the workloads of its namespace look again
            for binding in self.store.list_all(RESOURCE_BINDINGS):
                if binding["metadata"]["namespace"] == change.namespace and (binding.get("spec") or {}).get(
                    "propagateDeps"
                ):
                    self.controller.queue.add((change.namespace, binding["metadata"]["name"]))

    def _attached_to(self, namespace: str, name: str) -> list[dict]:
        key = depended_by_key(namespace, name)
        return [
            b
            for b in self.store.list_all(RESOURCE_BINDINGS)
            if b["metadata"]["namespace"] == namespace and key in (b["metadata"].get("labels") or {})
        ]

    async def reconcile(self, key: BindingKey) -> float | None:
        namespace, name = key
        parent = self.store.find(RESOURCE_BINDINGS, namespace, name)
        wanted: set[tuple[str, str]] = set()
        if (
            parent is not None
            and (parent.get("spec") or {}).get("propagateDeps")
            and not parent["metadata"].get("deletionTimestamp")
        ):
            template = referenced(self.store, self.registry, parent)
            if template is not None:
                dependencies = self._interpret(template)
                await self._record(parent, dependencies)
                for dependency in dependencies:
                    resource = self.registry.by_kind(dependency["apiVersion"], dependency["kind"])
                    obj = (
                        self.store.find(resource.group_resource, dependency["namespace"], dependency["name"])
                        if resource
                        else None
                    )
                    if obj is None:
                        continue  # not there yet: its creation brings this binding back
                    wanted.add((obj["kind"], obj["metadata"]["name"]))
                    await self._attach(parent, obj)
        for attached in self._attached_to(namespace, name):
            ref = attached["spec"].get("resource") or {}
            if (ref.get("kind"), ref.get("name")) not in wanted:
                await self._detach(attached, namespace, name)
        return None

    def _interpret(self, template: dict) -> list[dict]:
        if not has_dependency_rule(template):
            return []
        try:
            dependencies = get_dependencies(template)
        except ValueError as error:
            self.recorder.event(template, WARNING, "GetDependenciesFailed", str(error))
            raise
        message = f"Get dependencies({dependencies_text(dependencies)}) succeed."
        self.recorder.event(template, NORMAL, "GetDependenciesSucceed", message)
        return dependencies

    async def _record(self, parent: dict, dependencies: list[dict]) -> None:
        value = json.dumps(dependencies, separators=(",", ":"))
        annotations = parent["metadata"].get("annotations") or {}
        if annotations.get(DEPENDENCIES_ANNOTATION) == value:
            return
        meta = {**parent["metadata"], "annotations": {**annotations, DEPENDENCIES_ANNOTATION: value}}
        await self.store.update(RESOURCE_BINDINGS, {**parent, "metadata": meta})

    async def _attach(self, parent: dict, dependency: dict) -> None:
        desired = attached_binding(parent, dependency)
        meta = desired["metadata"]
        existing = self.store.find(RESOURCE_BINDINGS, meta["namespace"], meta["name"])
        binding_type = self.registry.require("work.karmada.io", "v1alpha2", "resourcebindings")
        if existing is None:
            await self.store.create(
                RESOURCE_BINDINGS, strategy.prepare_create(binding_type, desired, trusted=True)
            )
            return
        owner = next(
            (r for r in existing["metadata"].get("ownerReferences") or () if r.get("controller")), None
        )
        if owner is not None and owner.get("uid") != dependency["metadata"].get("uid"):
            raise Conflict(f"binding {meta['name']} belongs to an earlier object; waiting for it to go")
        spec = {
            **(existing.get("spec") or {}),
            "resource": desired["spec"]["resource"],
            "requiredBy": merged_required_by(
                (existing.get("spec") or {}).get("requiredBy") or [], snapshot_of(parent)
            ),
        }
        if spec.get("placement") is None:  # nobody placed it: the parents' choices decide
            for field in ("conflictResolution", "preserveResourcesOnDeletion"):
                if field in desired["spec"]:
                    spec[field] = desired["spec"][field]
        labels = {**(existing["metadata"].get("labels") or {}), **meta["labels"]}
        updated = {**existing, "metadata": {**existing["metadata"], "labels": labels}, "spec": spec}
        if updated != existing:
            await self.store.update(
                RESOURCE_BINDINGS, strategy.prepare_update(binding_type, existing, updated, trusted=True)
            )

    async def _detach(self, attached: dict, namespace: str, name: str) -> None:
        spec = dict(attached.get("spec") or {})
        spec["requiredBy"] = [
            s
            for s in spec.get("requiredBy") or ()
            if (s.get("namespace"), s.get("name")) != (namespace, name)
        ]
        key = depended_by_key(namespace, name)
        labels = {k: v for k, v in (attached["metadata"].get("labels") or {}).items() if k != key}
        meta = attached["metadata"]
        try:
            if not spec["requiredBy"] and spec.get("placement") is None:
                await self.store.delete(RESOURCE_BINDINGS, meta["namespace"], meta["name"])
                return
            if not spec["requiredBy"]:
                spec.pop("requiredBy")
            await self.store.update(
                RESOURCE_BINDINGS, {**attached, "metadata": {**meta, "labels": labels}, "spec": spec}
            )
        except NotFound:
            pass
