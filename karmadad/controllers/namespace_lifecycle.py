"""Namespace deletion: a deleted namespace empties itself, then goes.

Deleting a namespace marks it Terminating (the ``kubernetes`` entry in ``spec.finalizers`` holds it).
This controller deletes everything in it, waits for objects held by their own finalizers, and then
removes ``kubernetes`` from ``spec.finalizers``, at which point the store removes the namespace.
Meanwhile the store refuses new objects in it.
"""

from __future__ import annotations

import contextlib

from karmadad.errors import NotFound
from karmadad.logs import get_logger
from karmadad.runtime.controller import Controller
from karmadad.store.changes import Change
from karmadad.store.store import NAMESPACE_FINALIZER, NAMESPACES, Store
from karmadad.store.watch import Query

log = get_logger("namespace-lifecycle")
RECHECK_SECONDS = 1.0


class NamespaceLifecycle:
    def __init__(self, store: Store, *, workers: int = 1):
        self.store = store
        self.controller: Controller[str] = Controller("namespace-lifecycle", self.reconcile, workers=workers)
        store.subscribe(self._on_change)

    async def run(self, **kwargs) -> None:
        for ns in self.store.list_all(NAMESPACES):
            if ns["metadata"].get("deletionTimestamp"):
                self.controller.queue.add(ns["metadata"]["name"])
        await self.controller.run(**kwargs)

    def _on_change(self, change: Change) -> None:
        if change.resource == NAMESPACES:
            if change.type != "DELETED" and change.object["metadata"].get("deletionTimestamp"):
                self.controller.queue.add(change.name)
        elif change.type == "DELETED" and change.namespace:
            ns = self.store.find(NAMESPACES, "", change.namespace)
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                self.controller.queue.add(change.namespace)

    async def reconcile(self, name: str) -> float | None:
        ns = self.store.find(NAMESPACES, "", name)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return None
        remaining = 0
        for resource in self.store.resources():
            if resource == NAMESPACES:
                continue
            for obj in self.store.list(Query(resource, namespace=name)).items:
                remaining += 1
                if obj["metadata"].get("deletionTimestamp"):
                    continue  # held by its own finalizers; their controllers will let go
                with contextlib.suppress(NotFound):
                    await self.store.delete(resource, name, obj["metadata"]["name"], propagation="Background")
        if remaining:
            return RECHECK_SECONDS
        finalizers = [f for f in (ns.get("spec") or {}).get("finalizers") or () if f != NAMESPACE_FINALIZER]
        spec = {**(ns.get("spec") or {}), "finalizers": finalizers}
        if not finalizers:
            spec.pop("finalizers")
        log.info("namespace emptied; finalizing", namespace=name)
        await self.store.update(NAMESPACES, {**ns, "spec": spec})
        return None
