"""Each Cluster's execution space: the namespace ``karmada-es-<cluster>`` its Works live in.

Every Cluster, however it was created, carries the finalizer ``karmada.io/cluster-controller`` and has its
execution space. When a Cluster is deleted (dropped from the config, or ``kubectl delete cluster``) its
execution space is deleted — so its Works go — and the finalizer is dropped only once that namespace is
gone and no binding still lists the cluster, as Karmada does. Objects already running in the member are
left there: unjoining stops managing a member, it does not empty it (the member may well be unreachable).
"""

from __future__ import annotations

from karmadad.api import strategy
from karmadad.api.builtin import default_registry
from karmadad.api.karmada.names import CLUSTER_FINALIZER, EXECUTION_SPACE_PREFIX, execution_space
from karmadad.api.karmada.resources import BINDINGS, CLUSTERS
from karmadad.errors import AlreadyExists, NotFound
from karmadad.logs import describe_object, get_logger
from karmadad.runtime.controller import Controller
from karmadad.store import Change, Store

log = get_logger("execution-space")

NAMESPACES = "namespaces"
WAIT_SECONDS = 2.0  # how often a deleting Cluster looks again while bindings still list it
_NAMESPACE_TYPE = default_registry().require("", "v1", "namespaces")


class ExecutionSpaces:
    def __init__(self, store: Store):
        self.store = store
        self.controller: Controller[str] = Controller(
            "execution-space", self.reconcile, describe=lambda name: describe_object("Cluster", "", name)
        )
        store.subscribe(self._on_change)

    async def run(self, **kwargs) -> None:
        for cluster in self.store.list_all(CLUSTERS):
            self.controller.queue.add(cluster["metadata"]["name"])
        await self.controller.run(**kwargs)

    def _on_change(self, change: Change) -> None:
        name = change.object["metadata"]["name"]
        if change.resource == CLUSTERS and change.type != "DELETED":
            self.controller.queue.add(name)
        elif change.resource == NAMESPACES and name.startswith(EXECUTION_SPACE_PREFIX):
            self.controller.queue.add(name.removeprefix(EXECUTION_SPACE_PREFIX))

    def _listed_by_a_binding(self, cluster: str) -> bool:
        return any(
            any(target.get("name") == cluster for target in (binding.get("spec") or {}).get("clusters") or ())
            for resource in BINDINGS
            for binding in self.store.list_all(resource)
        )

    async def reconcile(self, name: str) -> float | None:
        cluster = self.store.find(CLUSTERS, "", name)
        if cluster is None:
            return None
        meta = cluster["metadata"]
        finalizers = list(meta.get("finalizers") or ())
        space = self.store.find(NAMESPACES, "", execution_space(name))
        if not meta.get("deletionTimestamp"):
            if CLUSTER_FINALIZER not in finalizers:
                await self.store.update(
                    CLUSTERS,
                    {**cluster, "metadata": {**meta, "finalizers": [*finalizers, CLUSTER_FINALIZER]}},
                )
            if space is None:
                namespace = {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": execution_space(name)},
                }
                try:
                    await self.store.create(NAMESPACES, strategy.prepare_create(_NAMESPACE_TYPE, namespace))
                except AlreadyExists:
                    pass
            return None
        if CLUSTER_FINALIZER not in finalizers:
            return None
        if space is not None:
            if not space["metadata"].get("deletionTimestamp"):
                log.info("deleting the execution space of a deleted cluster", cluster=name)
                try:
                    await self.store.delete(NAMESPACES, "", execution_space(name))
                except NotFound:
                    pass
            return None  # the namespace's own changes bring this cluster back
        if self._listed_by_a_binding(name):
            return WAIT_SECONDS
        remaining = [f for f in finalizers if f != CLUSTER_FINALIZER]
        try:
            await self.store.update(CLUSTERS, {**cluster, "metadata": {**meta, "finalizers": remaining}})
        except NotFound:
            pass
        return None
