"""Namespaces follow to every member, as Karmada's namespace controller does.

Every namespace created in karmadad gets a Work in every cluster's execution space (owned by the
namespace, so the Works go when it does, and the members' namespaces with them), with the
ClusterOverridePolicies that target the cluster applied — except ``default``, Karmada's reserved ones
(``karmada-system``, ``karmada-cluster``, ``karmada-es-*``), those the ``skippedPropagatingNamespaces``
patterns match (``kube-.*`` unless configured) and those labelled
``namespace.karmada.io/skip-auto-propagation=true`` (in any case, as Karmada reads it). It runs
again when a namespace, a Cluster or a ClusterOverridePolicy changes.
"""

from __future__ import annotations

from karmadad.api import strategy
from karmadad.api.karmada.names import EXECUTION_SPACE_PREFIX, SKIP_AUTO_PROPAGATION, execution_space
from karmadad.api.karmada.resources import CLUSTER_OVERRIDE_POLICIES, CLUSTERS, WORKS
from karmadad.api.registry import Registry
from karmadad.errors import NotFound
from karmadad.events import NORMAL, WARNING, EventRecorder
from karmadad.logs import describe_object
from karmadad.overrides import OverrideError, apply_overrides
from karmadad.overrides.applied import applied_message, applied_references
from karmadad.propagation.claims import SkippedNamespaces, is_skipped_namespace
from karmadad.propagation.work import wrap_in_work
from karmadad.runtime.controller import Controller
from karmadad.scheduler.snapshot import snapshot
from karmadad.store import Change, Store
from karmadad.store.changes import spec_changed

NAMESPACES = "namespaces"


def propagated(namespace: dict, skipped: SkippedNamespaces = is_skipped_namespace) -> bool:
    meta = namespace["metadata"]
    name = meta["name"]
    if name == "default" or skipped(name):
        return False
    return str((meta.get("labels") or {}).get(SKIP_AUTO_PROPAGATION, "")).lower() != "true"


class NamespaceSync:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        recorder: EventRecorder,
        *,
        workers: int = 4,
        skipped: SkippedNamespaces = is_skipped_namespace,
    ):
        self.store = store
        self.recorder = recorder
        self.skipped = skipped
        self.registry = registry
        self.controller: Controller[str] = Controller(
            "namespace",
            self.reconcile,
            workers=workers,
            describe=lambda name: describe_object("Namespace", "", name),
        )
        store.subscribe(self._on_change)

    async def run(self, **kwargs) -> None:
        self._enqueue_all()
        await self.controller.run(**kwargs)

    def _enqueue_all(self) -> None:
        for namespace in self.store.list_all(NAMESPACES):
            self.controller.queue.add(namespace["metadata"]["name"])

    def _on_change(self, change: Change) -> None:
        if change.resource == NAMESPACES and change.type != "DELETED" and spec_changed(change):
            if change.type == "ADDED" and change.name.startswith(EXECUTION_SPACE_PREFIX):
                self._enqueue_all()  # a new execution space: every namespace now has somewhere to go
            else:
                self.controller.queue.add(change.name)
        elif change.resource == CLUSTER_OVERRIDE_POLICIES:
            self._enqueue_all()
        elif change.resource == CLUSTERS and (change.type != "MODIFIED" or spec_changed(change)):
            self._enqueue_all()

    async def reconcile(self, name: str) -> float | None:
        namespace = self.store.find(NAMESPACES, "", name)
        if (
            namespace is None
            or namespace["metadata"].get("deletionTimestamp")
            or not propagated(namespace, self.skipped)
        ):
            return None
        work_type = self.registry.require("work.karmada.io", "v1alpha1", "works")
        cluster_overrides = self.store.list_all(CLUSTER_OVERRIDE_POLICIES)
        owner = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "name": name,
            "uid": namespace["metadata"]["uid"],
            "controller": True,
            "blockOwnerDeletion": True,
        }
        manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": namespace["metadata"]}
        if namespace.get("spec"):
            manifest["spec"] = namespace["spec"]
        for cluster in self.store.list_all(CLUSTERS):
            if cluster["metadata"].get("deletionTimestamp"):
                continue
            overridden, applied = self._overridden(namespace, manifest, cluster, cluster_overrides)
            desired = wrap_in_work(
                overridden,
                cluster["metadata"]["name"],
                labels={},
                annotations=applied,
                owner_references=[owner],
            )
            meta = desired["metadata"]
            existing = self.store.find(WORKS, execution_space(cluster["metadata"]["name"]), meta["name"])
            if existing is None:
                if self.store.find(NAMESPACES, "", meta["namespace"]) is None:
                    continue  # the execution space is being created; its creation brings this back
                await self.store.create(WORKS, strategy.prepare_create(work_type, desired, trusted=True))
            elif not existing["metadata"].get("deletionTimestamp"):
                merged = {
                    **existing,
                    "metadata": {
                        **existing["metadata"],
                        "annotations": {**(existing["metadata"].get("annotations") or {}), **applied},
                    },
                    "spec": desired["spec"],
                }
                try:
                    await self.store.update(
                        WORKS, strategy.prepare_update(work_type, existing, merged, trusted=True)
                    )
                except NotFound:
                    pass
        return None

    def _overridden(
        self, namespace: dict, manifest: dict, cluster: dict, cluster_overrides: list[dict]
    ) -> tuple[dict, dict[str, str]]:
        """The namespace for one cluster with its ClusterOverridePolicies, each told in an Event on the
        namespace as Karmada's namespace controller tells them."""
        name = cluster["metadata"]["name"]
        try:
            overridden, applied = apply_overrides(manifest, snapshot(cluster), cluster_overrides, [])
        except OverrideError as error:
            failed = applied_message(error.policy, name, ok=False)
            self.recorder.event(namespace, WARNING, "ApplyOverridePolicyFailed", failed)
            raise
        for reference in applied_references(applied, ""):
            told = applied_message(reference, name, ok=True)
            self.recorder.event(namespace, NORMAL, "ApplyOverridePolicySucceed", told)
        return overridden, applied
