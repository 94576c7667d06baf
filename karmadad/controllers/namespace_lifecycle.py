"""Namespace deletion: a deleted namespace empties itself, then goes — as kube-controller-manager's
namespace controller does it.

Deleting a namespace marks it Terminating (the ``kubernetes`` entry in ``spec.finalizers`` holds it), and
the store refuses new objects in it. Like Kubernetes, this controller waits ``DELETION_GRACE_SECONDS``
after the deletion before it touches the content: clients that delete a namespace together with what is
in it (``kubectl delete -k``, ``kubectl delete -f`` of a directory) get to delete each object themselves
instead of finding it gone. Then it deletes everything in the namespace, waits for objects held by
their own finalizers, reporting its progress in the namespace's conditions (``NamespaceContentRemaining``,
``NamespaceFinalizersRemaining``, ...), and finally removes ``kubernetes`` from ``spec.finalizers``, at
which point the store removes the namespace.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter

from karmadad.errors import NotFound
from karmadad.failover.eviction import parse_time
from karmadad.logs import describe_object, get_logger
from karmadad.runtime.controller import Controller
from karmadad.store.changes import Change
from karmadad.store.store import NAMESPACE_FINALIZER, NAMESPACES, Store, now_timestamp
from karmadad.store.watch import Query

log = get_logger("namespace-lifecycle")
RECHECK_SECONDS = 1.0
DELETION_GRACE_SECONDS = 5.0  # kube-controller-manager's namespaceDeletionGracePeriod

# Condition type -> (reason, message) once nothing is wrong, in kube-controller-manager's order and words.
_SETTLED = {
    "NamespaceDeletionDiscoveryFailure": ("ResourcesDiscovered", "All resources successfully discovered"),
    "NamespaceDeletionGroupVersionParsingFailure": (
        "ParsedGroupVersions",
        "All legacy kube types successfully parsed",
    ),
    "NamespaceDeletionContentFailure": (
        "ContentDeleted",
        "All content successfully deleted, may be waiting on finalization",
    ),
    "NamespaceContentRemaining": ("ContentRemoved", "All content successfully removed"),
    "NamespaceFinalizersRemaining": ("ContentHasNoFinalizers", "All content-preserving finalizers finished"),
}


def _group_resource_words(resource: str) -> str:
    """A resource as the namespace controller names it: ``deployments.apps``, ``configmaps.`` (core)."""
    return resource if "." in resource else f"{resource}."


def deletion_conditions(remaining: Counter[str], finalizers: Counter[str]) -> dict[str, tuple[str, str, str]]:
    """The namespace's deletion conditions, type -> (status, reason, message): what remains, by resource,
    and which finalizers hold it."""
    conditions = {kind: ("False", *settled) for kind, settled in _SETTLED.items()}
    if remaining:
        listed = ", ".join(
            sorted(
                f"{_group_resource_words(resource)} has {count} resource instances"
                for resource, count in remaining.items()
            )
        )
        conditions["NamespaceContentRemaining"] = (
            "True",
            "SomeResourcesRemain",
            f"Some resources are remaining: {listed}",
        )
    if finalizers:
        listed = ", ".join(
            sorted(f"{name} in {count} resource instances" for name, count in finalizers.items())
        )
        message = f"Some content in the namespace has finalizers remaining: {listed}"
        conditions["NamespaceFinalizersRemaining"] = ("True", "SomeFinalizersRemain", message)
    return conditions


def merged_conditions(current: list[dict], wanted: dict[str, tuple[str, str, str]], now: str) -> list[dict]:
    """``current`` with the wanted deletion conditions; a condition's time moves only with its status."""
    by_type = {c.get("type"): c for c in current}
    merged = [c for c in current if c.get("type") not in wanted]
    for kind, (status, reason, message) in wanted.items():
        old = by_type.get(kind) or {}
        moved = old.get("status") != status
        merged.append(
            {
                "type": kind,
                "status": status,
                "lastTransitionTime": now if moved else old.get("lastTransitionTime", now),
                "reason": reason,
                "message": message,
            }
        )
    return merged


class NamespaceLifecycle:
    def __init__(
        self,
        store: Store,
        *,
        workers: int = 1,
        grace_seconds: float = DELETION_GRACE_SECONDS,
        name: str = "namespace-lifecycle",
    ):
        """``name``: of its work queue, in logs and metrics (a simulated member's has its own)."""
        self.store = store
        self.grace_seconds = grace_seconds
        self.controller: Controller[str] = Controller(
            name,
            self.reconcile,
            workers=workers,
            describe=lambda namespace: describe_object("Namespace", "", namespace),
        )
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
        deleted_at = parse_time(ns["metadata"]["deletionTimestamp"]) or 0.0
        wait = deleted_at + self.grace_seconds - time.time()
        if wait > 0:
            return wait
        remaining: Counter[str] = Counter()
        finalizers: Counter[str] = Counter()
        for resource in self.store.resources():
            if resource == NAMESPACES:
                continue
            for obj in self.store.list(Query(resource, namespace=name)).items:
                remaining[resource] += 1
                finalizers.update(obj["metadata"].get("finalizers") or ())
                if obj["metadata"].get("deletionTimestamp"):
                    continue  # held by its own finalizers; their controllers will let go
                with contextlib.suppress(NotFound):
                    await self.store.delete(resource, name, obj["metadata"]["name"], propagation="Background")
        await self._report(ns, deletion_conditions(remaining, finalizers))
        if remaining:
            return RECHECK_SECONDS
        ns = self.store.find(NAMESPACES, "", name) or ns
        finalizers_left = [
            f for f in (ns.get("spec") or {}).get("finalizers") or () if f != NAMESPACE_FINALIZER
        ]
        spec = {**(ns.get("spec") or {}), "finalizers": finalizers_left}
        if not finalizers_left:
            spec.pop("finalizers")
        log.info("namespace emptied; finalizing", object=describe_object("Namespace", "", name))
        await self.store.update(NAMESPACES, {**ns, "spec": spec})
        return None

    async def _report(self, ns: dict, wanted: dict[str, tuple[str, str, str]]) -> None:
        status = ns.get("status") or {}
        conditions = merged_conditions(status.get("conditions") or [], wanted, now_timestamp())
        if conditions != (status.get("conditions") or []):
            await self.store.update(
                NAMESPACES, {**ns, "status": {**status, "conditions": conditions}}, subresource="status"
            )
