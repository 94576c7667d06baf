"""Garbage collection by owner references, as Kubernetes' garbage collector does it.

- An object whose owners are all gone is deleted (its own finalizers decide how: Background,
  Foreground or Orphan). Owner references to owners that are gone are dropped while others remain.
- An owner deleted with ``propagationPolicy=Orphan`` carries the ``orphan`` finalizer: its
  dependents lose their references to it, then the finalizer goes.
- An owner deleted with ``Foreground`` carries ``foregroundDeletion``: its dependents are deleted
  first, and the finalizer goes once no dependent with ``blockOwnerDeletion: true`` is left.

Owners are found by uid, so the collector needs no knowledge of kinds. It reads the store's
committed state and writes through the store with preconditions, retrying on conflict.
"""

from __future__ import annotations

from karmadad.errors import Conflict, NotFound
from karmadad.logs import describe_object, get_logger
from karmadad.runtime.controller import Controller
from karmadad.store.changes import Change
from karmadad.store.store import FOREGROUND_FINALIZER, ORPHAN_FINALIZER, PropagationPolicy, Store

log = get_logger("garbage-collector")


def _being_deleted_with(obj: dict, finalizer: str) -> bool:
    meta = obj["metadata"]
    return bool(meta.get("deletionTimestamp")) and finalizer in (meta.get("finalizers") or ())


def own_propagation(obj: dict) -> PropagationPolicy:
    """How to delete an object, judging by the GC finalizers it already carries."""
    finalizers = obj["metadata"].get("finalizers") or ()
    if ORPHAN_FINALIZER in finalizers:
        return "Orphan"
    if FOREGROUND_FINALIZER in finalizers:
        return "Foreground"
    return "Background"


class GarbageCollector:
    def __init__(self, store: Store, *, workers: int = 2, name: str = "garbage-collector"):
        """``name``: of its work queue, in logs and metrics (a simulated member's has its own)."""
        self.store = store
        self.controller: Controller[str] = Controller(
            name, self.reconcile, workers=workers, describe=self._describe
        )
        store.subscribe(self._on_change)

    async def run(self, **kwargs) -> None:
        for resource in self.store.resources():
            for obj in self.store.list_all(resource):
                self._on_object(obj)
        await self.controller.run(**kwargs)

    def _describe(self, uid: str) -> str:
        """A key (a uid) as logs name it: the object it is the uid of, while the store holds one."""
        found = self.store.by_uid(uid)
        if found is None:
            return f"uid {uid}"
        resource, obj = found
        meta = obj["metadata"]
        return describe_object(obj.get("kind") or resource, meta.get("namespace", ""), meta["name"])

    # -- which uids to look at ----------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.type == "DELETED":
            for _, dependent in self.store.dependents(change.object["metadata"]["uid"]):
                self.controller.queue.add(dependent["metadata"]["uid"])
        else:
            self._on_object(change.object)
        # A dependent going or changing may be what a foreground-deleting owner waits for.
        for ref in change.object["metadata"].get("ownerReferences") or ():
            owner = self.store.by_uid(ref.get("uid", ""))
            if owner is not None and _being_deleted_with(owner[1], FOREGROUND_FINALIZER):
                self.controller.queue.add(ref["uid"])

    def _on_object(self, obj: dict) -> None:
        meta = obj["metadata"]
        if meta.get("deletionTimestamp") and {ORPHAN_FINALIZER, FOREGROUND_FINALIZER} & set(
            meta.get("finalizers") or ()
        ):
            self.controller.queue.add(meta["uid"])
            return
        for ref in meta.get("ownerReferences") or ():
            owner = self.store.by_uid(ref.get("uid", ""))
            if owner is None or owner[1]["metadata"].get("deletionTimestamp"):
                self.controller.queue.add(meta["uid"])
                return

    # -- reconcile ------------------------------------------------------------------------------

    async def reconcile(self, uid: str) -> float | None:
        found = self.store.by_uid(uid)
        if found is None:
            return None
        resource, obj = found
        try:
            if _being_deleted_with(obj, ORPHAN_FINALIZER):
                await self._orphan_dependents(resource, obj)
            elif _being_deleted_with(obj, FOREGROUND_FINALIZER):
                await self._delete_dependents_first(resource, obj)
            elif obj["metadata"].get("ownerReferences"):
                await self._collect_if_orphaned(resource, obj)
        except NotFound:
            return None  # gone meanwhile: nothing left to do
        return None

    async def _orphan_dependents(self, resource: str, owner: dict) -> None:
        uid = owner["metadata"]["uid"]
        for dep_resource, dependent in self.store.dependents(uid):
            refs = [r for r in dependent["metadata"]["ownerReferences"] if r.get("uid") != uid]
            await self._set_owner_references(dep_resource, dependent, refs)
        await self._remove_finalizer(resource, owner, ORPHAN_FINALIZER)

    async def _delete_dependents_first(self, resource: str, owner: dict) -> None:
        uid = owner["metadata"]["uid"]
        dependents = self.store.dependents(uid)
        blocking = [
            d
            for _, d in dependents
            if any(
                r.get("uid") == uid and r.get("blockOwnerDeletion") for r in d["metadata"]["ownerReferences"]
            )
        ]
        if not blocking:
            await self._remove_finalizer(resource, owner, FOREGROUND_FINALIZER)
        for _, dependent in dependents:
            self.controller.queue.add(dependent["metadata"]["uid"])

    async def _collect_if_orphaned(self, resource: str, obj: dict) -> None:
        refs = obj["metadata"]["ownerReferences"]
        solid, gone, waiting = [], [], []
        for ref in refs:
            owner = self.store.by_uid(ref.get("uid", ""))
            if owner is None:
                gone.append(ref)
            elif _being_deleted_with(owner[1], FOREGROUND_FINALIZER):
                waiting.append(ref)
            else:
                solid.append(ref)
        if solid:
            if gone or waiting:
                await self._set_owner_references(resource, obj, solid)
            return
        if not gone and not waiting:
            return
        meta = obj["metadata"]
        policy = own_propagation(obj)
        if waiting and self.store.dependents(meta["uid"]):
            policy = "Foreground"  # its own dependents must go before it, and before its owner
        if meta.get("deletionTimestamp") and policy == own_propagation(obj):
            return  # already being deleted the way it should be
        log.info(
            "deleting object whose owners are gone",
            object=describe_object(obj.get("kind") or resource, meta.get("namespace", ""), meta["name"]),
            propagation=policy,
        )
        try:
            await self.store.delete(
                resource,
                meta.get("namespace", ""),
                meta["name"],
                propagation=policy,
                uid=meta["uid"],
                resource_version=meta["resourceVersion"],
            )
        except Conflict:  # read before a write still being committed: look again after a backoff
            self.controller.queue.add_rate_limited(meta["uid"])

    async def _set_owner_references(self, resource: str, obj: dict, refs: list[dict]) -> None:
        meta = {**obj["metadata"]}
        if refs:
            meta["ownerReferences"] = refs
        else:
            meta.pop("ownerReferences", None)
        await self.store.update(resource, {**obj, "metadata": meta})

    async def _remove_finalizer(self, resource: str, obj: dict, finalizer: str) -> None:
        meta = {**obj["metadata"]}
        meta["finalizers"] = [f for f in meta.get("finalizers") or () if f != finalizer]
        await self.store.update(resource, {**obj, "metadata": meta})
