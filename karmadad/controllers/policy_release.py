"""Lets deleted propagation policies go.

Karmada's policy controller holds every PropagationPolicy and ClusterPropagationPolicy with a
finalizer so it can release what the policy claimed before the policy disappears. Releasing claims
belongs to the detector; this controller removes the finalizer once a policy is being deleted and
nothing it claimed is left to release, so ``kubectl delete pp`` completes.
"""

from __future__ import annotations

from karmadad.api.karmada import CLUSTER_PROPAGATION_POLICY_FINALIZER, PROPAGATION_POLICY_FINALIZER
from karmadad.api.karmada.resources import CLUSTER_PROPAGATION_POLICIES, PROPAGATION_POLICIES
from karmadad.errors import NotFound
from karmadad.runtime.controller import Controller
from karmadad.store import Change, Store

POLICIES = {
    PROPAGATION_POLICIES: PROPAGATION_POLICY_FINALIZER,
    CLUSTER_PROPAGATION_POLICIES: CLUSTER_PROPAGATION_POLICY_FINALIZER,
}


class PolicyRelease:
    def __init__(self, store: Store):
        self.store = store
        self.controller: Controller[tuple[str, str, str]] = Controller("policy-release", self.reconcile)
        store.subscribe(self._on_change)

    async def run(self, **kwargs) -> None:
        for resource in POLICIES:
            for policy in self.store.list_all(resource):
                self._enqueue(resource, policy)
        await self.controller.run(**kwargs)

    def _on_change(self, change: Change) -> None:
        if change.resource in POLICIES and change.type != "DELETED":
            self._enqueue(change.resource, change.object)

    def _enqueue(self, resource: str, policy: dict) -> None:
        meta = policy["metadata"]
        if meta.get("deletionTimestamp") and POLICIES[resource] in (meta.get("finalizers") or ()):
            self.controller.queue.add((resource, meta.get("namespace", ""), meta["name"]))

    async def reconcile(self, key: tuple[str, str, str]) -> float | None:
        resource, namespace, name = key
        policy = self.store.find(resource, namespace, name)
        if policy is None or not policy["metadata"].get("deletionTimestamp"):
            return None
        meta = policy["metadata"]
        finalizers = [f for f in meta.get("finalizers") or () if f != POLICIES[resource]]
        try:
            await self.store.update(resource, {**policy, "metadata": {**meta, "finalizers": finalizers}})
        except NotFound:
            pass
        return None
