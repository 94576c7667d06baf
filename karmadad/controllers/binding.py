"""The binding controller: a binding's Works follow it.

A ResourceBinding or ClusterResourceBinding carries the finalizer ``karmada.io/binding-controller`` (or
``karmada.io/cluster-resource-binding-controller``). When the binding is deleted — its template went, and
the garbage collector follows the owner reference — its Works (found by the binding's permanent-id label)
are deleted first; the finalizer is dropped once none is left, so nothing the binding put into a member
is forgotten.
"""

from __future__ import annotations

from karmadad.api.karmada.admission import BINDING_CONTROLLER_FINALIZERS, PERMANENT_ID_LABELS
from karmadad.api.karmada.resources import CLUSTER_RESOURCE_BINDINGS, RESOURCE_BINDINGS, WORKS
from karmadad.errors import NotFound
from karmadad.runtime.controller import Controller, Requeue
from karmadad.store import Change, Store

BindingKey = tuple[str, str, str]  # (store resource, namespace, name)
_KINDS = {RESOURCE_BINDINGS: "ResourceBinding", CLUSTER_RESOURCE_BINDINGS: "ClusterResourceBinding"}


class BindingController:
    def __init__(self, store: Store, *, workers: int = 2):
        self.store = store
        self.controller: Controller[BindingKey] = Controller("binding", self.reconcile, workers=workers)
        store.subscribe(self._on_change)

    async def run(self, **kwargs) -> None:
        for resource in _KINDS:
            for binding in self.store.list_all(resource):
                if binding["metadata"].get("deletionTimestamp"):
                    self._enqueue(resource, binding)
        await self.controller.run(**kwargs)

    def _on_change(self, change: Change) -> None:
        if change.resource in _KINDS and change.type != "DELETED":
            self._enqueue(change.resource, change.object)

    def _enqueue(self, resource: str, binding: dict) -> None:
        meta = binding["metadata"]
        self.controller.queue.add((resource, meta.get("namespace", ""), meta["name"]))

    def works_of(self, resource: str, binding: dict) -> list[dict]:
        label = PERMANENT_ID_LABELS[_KINDS[resource]]
        permanent_id = (binding["metadata"].get("labels") or {}).get(label)
        if not permanent_id:
            return []
        return [
            w
            for w in self.store.list_all(WORKS)
            if (w["metadata"].get("labels") or {}).get(label) == permanent_id
        ]

    async def reconcile(self, key: BindingKey) -> float | None:
        resource, namespace, name = key
        binding = self.store.find(resource, namespace, name)
        if binding is None or not binding["metadata"].get("deletionTimestamp"):
            return None
        finalizer = BINDING_CONTROLLER_FINALIZERS[_KINDS[resource]]
        meta = binding["metadata"]
        if finalizer not in (meta.get("finalizers") or ()):
            return None
        works = self.works_of(resource, binding)
        for work in works:
            if not work["metadata"].get("deletionTimestamp"):
                try:
                    await self.store.delete(WORKS, work["metadata"]["namespace"], work["metadata"]["name"])
                except NotFound:
                    pass
        if works:
            raise Requeue(f"{len(works)} Works of the binding are still being deleted")
        remaining = [f for f in meta["finalizers"] if f != finalizer]
        try:
            await self.store.update(resource, {**binding, "metadata": {**meta, "finalizers": remaining}})
        except NotFound:
            pass
        return None
