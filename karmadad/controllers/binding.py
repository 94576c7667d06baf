"""The binding controller: a binding's Works follow it, and its members' status comes back to the template.

It reads, decides and writes. For every target cluster (``spec.clusters`` and the clusters of the bindings
that need this one, ``requiredBy``) :func:`karmadad.propagation.work.plan_works` decides the Work (replicas
revised, overrides applied) and which Works are obsolete; the controller writes that plan and tells it in
Karmada's Events. It runs again when the binding, its template, an override policy or a Cluster's labels
change, and when one of its Works reports status (reports coming together are aggregated once) — then
:func:`karmadad.propagation.work_status.aggregated_status` words ``status.aggregatedStatus`` and the
``FullyApplied`` condition, and the template's own status is aggregated from its members'
(:func:`karmadad.interpreter.status.aggregate_status`) so ``kubectl get`` and ``kubectl rollout status``
against karmadad tell what the members run.

A Work that cannot be written as built (Karmada's Work name, ``<template name>-<hash>``, is never
shortened, so a template name near the 253-character limit gives a Work name over it) fails the sync as
in Karmada: a ``SyncWorkFailed`` Warning Event on the binding and the template says why, and the binding
is retried with backoff.

A deleted binding (its template went; the garbage collector follows the owner reference) has its Works
deleted first; its finalizer ``karmada.io/binding-controller`` (or ``cluster-resource-binding-controller``)
is dropped once none is left, so nothing it put into a member is forgotten.
"""

from __future__ import annotations

import time

from karmadad import metrics
from karmadad.api import strategy
from karmadad.api.karmada import shapes
from karmadad.api.karmada.admission import BINDING_CONTROLLER_FINALIZERS, PERMANENT_ID_LABELS
from karmadad.api.karmada.names import (
    CRB_NAME,
    EXECUTION_SPACE_PREFIX,
    RB_NAME,
    RB_NAMESPACE,
    execution_space,
)
from karmadad.api.karmada.resources import (
    CLUSTER_OVERRIDE_POLICIES,
    CLUSTER_RESOURCE_BINDINGS,
    CLUSTERS,
    OVERRIDE_POLICIES,
    RESOURCE_BINDINGS,
    WORKS,
    describe_karmada_key,
)
from karmadad.api.registry import Registry, ResourceType
from karmadad.controllers.cluster_snapshots import ClusterSnapshots
from karmadad.errors import Invalid, NotFound
from karmadad.events import NORMAL, WARNING, EventRecorder
from karmadad.interpreter.status import aggregate_status, has_aggregate_rule
from karmadad.logs import get_logger
from karmadad.propagation.claims import (
    SkippedNamespaces,
    binding_name,
    is_skipped_namespace,
    is_template_resource,
    referenced,
)
from karmadad.propagation.latency import PropagationLatency
from karmadad.propagation.work import plan_works, target_clusters
from karmadad.propagation.work_status import aggregated_status
from karmadad.runtime.controller import Controller, Requeue
from karmadad.runtime.failures import is_race
from karmadad.store import Change, Store
from karmadad.store.changes import spec_changed

log = get_logger("binding")

BindingKey = tuple[str, str, str]  # (store resource, namespace, name)
_KINDS = {RESOURCE_BINDINGS: "ResourceBinding", CLUSTER_RESOURCE_BINDINGS: "ClusterResourceBinding"}
SYNC_WORKS = "sync works"  # the reason a binding is queued when its Works must be written again
# A Work's status change aggregates its binding after this long, so the reports of a binding's Works that
# come together (each member answering the same apply, a rollout's steps) make one aggregation and one
# write of the binding and the template, not one per report.
AGGREGATION_DELAY = 0.2


class WorkRefused(Exception):
    """A Work of the binding was refused as invalid (its name too long, say); retried with backoff."""


def _merged_work(existing: dict, desired: dict) -> dict:
    """``existing`` brought to ``desired``: labels, annotations and finalizers merged, spec replaced."""
    old, new = existing["metadata"], desired["metadata"]
    meta = {
        **old,
        "labels": {**(old.get("labels") or {}), **new["labels"]},
        "annotations": {**(old.get("annotations") or {}), **new["annotations"]},
        "finalizers": list(dict.fromkeys([*(old.get("finalizers") or ()), *new["finalizers"]])),
    }
    return {**existing, "metadata": meta, "spec": desired["spec"]}


class BindingController:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        recorder: EventRecorder,
        *,
        workers: int = 8,
        skipped: SkippedNamespaces = is_skipped_namespace,
        snapshots: ClusterSnapshots | None = None,
        latency: PropagationLatency | None = None,
    ):
        """``snapshots``: the clusters as shared with the scheduler (else a cache of its own). ``latency``:
        told which clusters a template's generation goes to once its Works are written."""
        self.store = store
        self.latency = latency
        self.skipped = skipped
        self.registry = registry
        self.recorder = recorder
        self.controller: Controller[BindingKey] = Controller(
            "binding", self.reconcile, workers=workers, describe=describe_karmada_key
        )
        # the Works of each binding by its permanent id, kept from the change feed: a binding looks at its
        # own Works without going through every Work
        self._works: dict[str, set[tuple[str, str]]] = {}
        self.snapshots = snapshots or ClusterSnapshots(store)
        # each binding's sync inputs when its Works were last synced
        self._synced: dict[BindingKey, tuple] = {}
        store.subscribe(self._on_change)

    async def run(self, **kwargs) -> None:
        for work in self.store.list_all(WORKS):
            self._index_work(work, add=True)
        self._enqueue_all()
        await self.controller.run(**kwargs)

    @staticmethod
    def _binding_id(work: dict) -> str | None:
        labels = work["metadata"].get("labels") or {}
        return labels.get(PERMANENT_ID_LABELS["ResourceBinding"]) or labels.get(
            PERMANENT_ID_LABELS["ClusterResourceBinding"]
        )

    def _index_work(self, work: dict, *, add: bool) -> None:
        if (binding_id := self._binding_id(work)) is None:
            return
        key = (work["metadata"]["namespace"], work["metadata"]["name"])
        if add:
            self._works.setdefault(binding_id, set()).add(key)
        elif (keys := self._works.get(binding_id)) is not None:
            keys.discard(key)
            if not keys:
                del self._works[binding_id]

    # -- events -> keys ---------------------------------------------------------------------------

    def _enqueue(self, resource: str, namespace: str, name: str, *, sync: bool = True) -> None:
        key = (resource, namespace, name)
        if sync:  # its Works must be written again; queued for a Work's status only, it just aggregates
            self.controller.enqueue(key, SYNC_WORKS)
        else:
            self.controller.queue.add_after(key, AGGREGATION_DELAY)

    def _enqueue_all(self) -> None:
        for resource in _KINDS:
            for binding in self.store.list_all(resource):
                self._enqueue(resource, binding["metadata"].get("namespace", ""), binding["metadata"]["name"])

    def _on_change(self, change: Change) -> None:
        resource, obj = change.resource, change.object
        if resource in _KINDS:
            if change.type == "DELETED":
                self._synced.pop((resource, change.namespace, change.name), None)
            elif spec_changed(change):
                self._enqueue(resource, change.namespace, change.name)
        elif resource == WORKS:
            if change.previous is not None:
                self._index_work(change.previous, add=False)
            if change.type != "DELETED":
                self._index_work(obj, add=True)
            annotations = obj["metadata"].get("annotations") or {}
            # a Work changed or gone: write it again; its status alone: aggregate
            sync = change.type == "DELETED" or spec_changed(change)
            if annotations.get(RB_NAME):
                self._enqueue(
                    RESOURCE_BINDINGS, annotations.get(RB_NAMESPACE, ""), annotations[RB_NAME], sync=sync
                )
            elif annotations.get(CRB_NAME):
                self._enqueue(CLUSTER_RESOURCE_BINDINGS, "", annotations[CRB_NAME], sync=sync)
        elif resource in (OVERRIDE_POLICIES, CLUSTER_OVERRIDE_POLICIES):
            self._enqueue_all()
        elif resource == CLUSTERS:
            if (
                change.type == "MODIFIED"
                and change.before["metadata"].get("labels") == obj["metadata"].get("labels")
                and (change.before.get("spec") == obj.get("spec"))
            ):
                return  # status alone: overrides target clusters by labels and fields, not by status
            self._enqueue_all()
        elif (
            change.type == "MODIFIED"
            and is_template_resource(resource)
            and not self.skipped(change.namespace)
            and spec_changed(change)
        ):
            # a template: its binding (same namespace, Karmada's binding name) syncs its Works again
            kind = obj.get("kind", "")
            binding_resource = RESOURCE_BINDINGS if change.namespace else CLUSTER_RESOURCE_BINDINGS
            name = binding_name(kind, change.name)
            if self.store.find(binding_resource, change.namespace, name) is not None:
                self._enqueue(binding_resource, change.namespace, name)

    # -- reconcile --------------------------------------------------------------------------------

    def works_of(self, resource: str, binding: dict) -> list[dict]:
        label = PERMANENT_ID_LABELS[_KINDS[resource]]
        permanent_id = (binding["metadata"].get("labels") or {}).get(label)
        if not permanent_id:
            return []
        found = (self.store.find(WORKS, *key) for key in self._works.get(permanent_id, ()))
        return [
            w
            for w in found
            if w is not None and (w["metadata"].get("labels") or {}).get(label) == permanent_id
        ]

    async def reconcile(self, key: BindingKey) -> float | None:
        resource, namespace, name = key
        binding = self.store.find(resource, namespace, name)
        if binding is None:
            return None
        if binding["metadata"].get("deletionTimestamp"):
            await self._finalize(resource, binding)
            return None
        template = referenced(self.store, self.registry, binding)
        if template is None or template["metadata"].get("deletionTimestamp"):
            return None
        if SYNC_WORKS in self.controller.reasons(key):
            if self._synced.get(key) != self._sync_inputs(resource, binding, template):
                started, error = time.perf_counter(), None
                try:
                    await self._sync_works(resource, binding, template)
                except Exception as failed:
                    error = failed
                    raise
                finally:
                    if error is None or not is_race(error):  # a race lost is retried, not failed
                        result = metrics.result_of(error)
                        elapsed = time.perf_counter() - started
                        metrics.BINDING_SYNC_WORK_DURATION.labels(result).observe(elapsed)
                self._synced[key] = self._sync_inputs(resource, binding, template)
        await self._aggregate(resource, binding, template)
        return None

    def _sync_inputs(self, resource: str, binding: dict, template: dict) -> tuple:
        """What the binding's Works are built from, and the Works themselves, leaving out what status
        writes change: while it is as after the last sync, syncing again would write nothing (the Works
        the sync created, coming back from the change feed, most of all)."""
        targets = target_clusters(binding.get("spec") or {})
        return (
            _identity(binding),
            _identity(template),
            tuple(_identity(p) for p in self.store.list_all(CLUSTER_OVERRIDE_POLICIES)),
            tuple(_identity(p) for p in self.store.list_all(OVERRIDE_POLICIES)),
            tuple(_identity(self.store.find(CLUSTERS, "", t["name"])) for t in targets),
            tuple(sorted(_identity(w) for w in self.works_of(resource, binding))),
        )

    async def _sync_works(self, resource: str, binding: dict, template: dict) -> None:
        """Read what the Works are built from, plan them (:func:`plan_works`), write the plan and tell it."""
        namespace = template["metadata"].get("namespace", "")
        targets = [t["name"] for t in target_clusters(binding.get("spec") or {})]
        plan = plan_works(
            binding,
            template,
            {name: snapshot for name in targets if (snapshot := self.snapshots.get(name)) is not None},
            {space for name in targets if self.store.find("namespaces", "", space := execution_space(name))},
            self.works_of(resource, binding),
            self.store.list_all(CLUSTER_OVERRIDE_POLICIES),
            [
                p
                for p in self.store.list_all(OVERRIDE_POLICIES)
                if p["metadata"].get("namespace") == namespace
            ],
        )
        for work in plan.obsolete:
            try:
                await self.store.delete(WORKS, work["metadata"]["namespace"], work["metadata"]["name"])
            except NotFound:
                pass
        for kind, reason, message in plan.told:
            self.recorder.event(template, kind, reason, message)
        work_type = self.registry.require("work.karmada.io", "v1alpha1", "works")
        errors, changed, refused = list(plan.failures), False, False
        for desired in plan.desired:
            try:
                changed = await self._write_work(work_type, desired) or changed
            except Invalid as error:  # refused as kube-apiserver would: a name over 253 characters, say
                cluster = desired["metadata"]["namespace"].removeprefix(EXECUTION_SPACE_PREFIX)
                errors.append(f"cluster {cluster}: {error}")
                refused = True
        if self.latency is not None and not errors:
            meta = template["metadata"]
            clusters = [w["metadata"]["namespace"].removeprefix(EXECUTION_SPACE_PREFIX) for w in plan.desired]
            self.latency.targets(meta.get("uid", ""), int(meta.get("generation") or 0), clusters)
        if errors:
            message = f"Failed to sync works: {'; '.join(errors)}"
            self.recorder.event(binding, "Warning", "SyncWorkFailed", message)
            self.recorder.event(template, "Warning", "SyncWorkFailed", message)
            if refused:
                raise WorkRefused(message)
            raise Requeue(message)
        if changed:
            message = f"Sync work of resourceBinding({_ref(binding)}) successful."
            self.recorder.event(binding, "Normal", "SyncWorkSucceed", message)
            self.recorder.event(template, "Normal", "SyncWorkSucceed", message)

    async def _write_work(self, work_type: ResourceType, desired: dict) -> bool:
        """Create or bring up to date one Work; whether anything was written."""
        meta = desired["metadata"]
        existing = self.store.find(WORKS, meta["namespace"], meta["name"])
        if existing is None:
            await self.store.create(WORKS, strategy.prepare_create(work_type, desired, trusted=True))
            return True
        if existing["metadata"].get("deletionTimestamp"):
            return False
        updated = strategy.prepare_update(work_type, existing, _merged_work(existing, desired), trusted=True)
        written = await self.store.update(WORKS, updated)
        return written["metadata"]["resourceVersion"] != existing["metadata"]["resourceVersion"]

    async def _aggregate(self, resource: str, binding: dict, template: dict) -> None:
        """Bring the members' status (the Works') into the binding and its template."""
        targets = [t["name"] for t in target_clusters(binding.get("spec") or {})]
        works = {w["metadata"]["namespace"]: w for w in self.works_of(resource, binding)}
        status = aggregated_status(binding.get("status") or {}, targets, works)
        items = status.get("aggregatedStatus") or []
        if status != (binding.get("status") or {}):
            try:
                await self.store.update(resource, {**binding, "status": status})
            except NotFound:
                return
            except Exception as error:
                if not is_race(error):  # a lost race is retried at once, as Karmada retries on conflict
                    self.recorder.event(binding, WARNING, "AggregateStatusFailed", str(error))
                raise
            told = f"Update {_KINDS[resource]}({_ref(binding)}) with AggregatedStatus successfully."
            self.recorder.event(binding, NORMAL, "AggregateStatusSucceed", told)
        await self._aggregate_template(template, items)

    async def _aggregate_template(self, template: dict, items: list[shapes.AggregatedStatusItem]) -> None:
        """The template's status from its members', told on the template for the kinds Karmada's
        interpreter aggregates status for."""
        try:
            aggregated = aggregate_status(template, items)
            if aggregated.get("status") == template.get("status"):
                return
            await self.store.update(
                self.registry.require_kind(template["apiVersion"], template["kind"]).group_resource,
                {**template, "status": aggregated.get("status")},
            )
        except NotFound:
            return
        except Exception as error:
            if has_aggregate_rule(template) and not is_race(error):
                self.recorder.event(template, WARNING, "AggregateStatusFailed", str(error))
            raise
        if has_aggregate_rule(template):
            told = "Update Resource with AggregatedStatus successfully."
            self.recorder.event(template, NORMAL, "AggregateStatusSucceed", told)

    async def _finalize(self, resource: str, binding: dict) -> None:
        finalizer = BINDING_CONTROLLER_FINALIZERS[_KINDS[resource]]
        meta = binding["metadata"]
        if finalizer not in (meta.get("finalizers") or ()):
            return
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


def _identity(obj: dict | None) -> tuple:
    """An object as far as building Works reads it: which one it is, its generation (the store bumps it
    for every change but to metadata and status) and the metadata a sync reads or writes."""
    meta = (obj or {}).get("metadata") or {}
    return (
        meta.get("namespace", ""),
        meta.get("name", ""),
        meta.get("uid"),
        meta.get("generation"),
        meta.get("deletionTimestamp"),
        tuple(sorted((meta.get("labels") or {}).items())),
        tuple(sorted((meta.get("annotations") or {}).items())),
        tuple(meta.get("finalizers") or ()),
    )


def _ref(binding: dict) -> str:
    meta = binding["metadata"]
    return f"{meta['namespace']}/{meta['name']}" if meta.get("namespace") else meta["name"]
