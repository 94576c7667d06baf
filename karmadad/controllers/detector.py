"""The policy detector: resource templates claimed by propagation policies become bindings.

Two queues over the store's change feed. A *template* key is reconciled by finding the policy that
claims it (its current claim while that policy exists, still matches and is not preempted; else the best
PropagationPolicy of its namespace; else the best ClusterPropagationPolicy), writing the claim labels and
annotations onto the template and creating or updating its binding. A template no policy matches simply
waits: every policy change re-examines the templates it selects. A *policy* key is reconciled by
enqueueing those templates and the ones it claims; when the policy is being deleted, its claims are
released from templates and bindings (both stay) and its finalizer is removed.

Template updates that change only status, managedFields or resourceVersion are ignored, as in Karmada,
so writing a template's status never touches its binding.

A lazy policy (``activationPreference: Lazy``) claims what it selects as any policy does, but builds or
changes a binding only for a template that changed itself — created, or edited other than in Karmada's own
labels and annotations — since it was last looked at; its creation, its changes and its preemptions
otherwise wait for the template's next edit, as in Karmada.

When the binding cannot be written — its name, ``<template name>-<kind>``, is never shortened, so a
template name near the 253-character limit gives a binding name over it — the claim stays on the
template, an ``ApplyPolicyFailed`` Warning Event on the template carries the refusal, and the template is
retried with backoff, as Karmada's detector does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import anyio
import anyio.lowlevel

from karmadad import metrics
from karmadad.api import strategy
from karmadad.api.karmada.names import (
    CLAIMED_BY,
    CLUSTER_PROPAGATION_POLICY_FINALIZER,
    CPP_PERMANENT_ID,
    PP_PERMANENT_ID,
    PROPAGATION_POLICY_FINALIZER,
)
from karmadad.api.karmada.resource_selectors import implicit_priority
from karmadad.api.karmada.resources import (
    CLUSTER_OVERRIDE_POLICIES,
    CLUSTER_PROPAGATION_POLICIES,
    CLUSTER_RESOURCE_BINDINGS,
    OVERRIDE_POLICIES,
    PROPAGATION_POLICIES,
    RESOURCE_BINDINGS,
    describe_karmada_key,
)
from karmadad.api.registry import Registry, ResourceType
from karmadad.errors import Conflict, NotFound
from karmadad.events import EventRecorder
from karmadad.interpreter.replicas import get_replicas, has_replica_rule
from karmadad.logs import describe_object, get_logger
from karmadad.propagation.claims import (
    Claim,
    SkippedNamespaces,
    best_policy,
    binding_kind,
    binding_name,
    changed_by_karmada_only,
    claim_of,
    controller_uid,
    desired_binding,
    is_lazy,
    is_skipped_namespace,
    is_template_resource,
    merged_binding,
    preempts,
    with_claim,
    without_claim,
)
from karmadad.propagation.latency import PropagationLatency
from karmadad.runtime.controller import Controller, Requeue
from karmadad.runtime.failures import is_race
from karmadad.store import Change, Store
from karmadad.store.changes import specification

log = get_logger("detector")

CONFLICT_RETRIES = 5
TemplateKey = tuple[str, str, str]  # (store resource, namespace, name)
PolicyKey = tuple[str, str, str]
POLICY_FINALIZERS = {
    PROPAGATION_POLICIES: PROPAGATION_POLICY_FINALIZER,
    CLUSTER_PROPAGATION_POLICIES: CLUSTER_PROPAGATION_POLICY_FINALIZER,
}
POLICY_KINDS = {
    "PropagationPolicy": PROPAGATION_POLICIES,
    "ClusterPropagationPolicy": CLUSTER_PROPAGATION_POLICIES,
}
PRIORITY_CLASSES = "priorityclasses.scheduling.k8s.io"
# the reason a template is queued when it changed itself (created, or edited other than by Karmada), not
# only because a policy did: a lazy policy builds its binding only then
CHANGED_ITSELF = "changed itself"
# override policies, and the propagation policies that may name them in ``dependentOverrides``
DEPENDED_ON_BY = {
    OVERRIDE_POLICIES: PROPAGATION_POLICIES,
    CLUSTER_OVERRIDE_POLICIES: CLUSTER_PROPAGATION_POLICIES,
}
BINDING_RESOURCES = {
    "ResourceBinding": RESOURCE_BINDINGS,
    "ClusterResourceBinding": CLUSTER_RESOURCE_BINDINGS,
}


def priority_class_name(policy: dict) -> str | None:
    """The PriorityClass a policy's ``schedulePriority`` names, if it names one."""
    return ((policy.get("spec") or {}).get("schedulePriority") or {}).get("priorityClassName") or None


class WaitingForOverrides(Requeue):
    """The policy lists dependentOverrides that do not exist yet: the template waits (quietly, with backoff)
    and comes back when one of them is created."""


class BindingOfAnotherObject(Exception):
    """The binding's name is taken by an earlier template's binding still being deleted; retried."""


class Detector:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        recorder: EventRecorder,
        *,
        workers: int = 32,
        skipped: SkippedNamespaces = is_skipped_namespace,
        priorities: bool = False,
        latency: PropagationLatency | None = None,
    ):
        """``priorities`` (Karmada's PriorityBasedScheduling gate): bindings carry the value of their
        policy's ``schedulePriority`` PriorityClass, and wait while it does not exist. ``latency``: told
        of each template's new generation, where its propagation's clock starts."""
        self.store = store
        self.latency = latency
        self.skipped = skipped
        self.priorities = priorities
        self.registry = registry
        self.recorder = recorder
        self.templates: Controller[TemplateKey] = Controller(
            "detector", self.reconcile_template, workers=workers, describe=self._describe_template
        )
        self.policies: Controller[PolicyKey] = Controller(
            "detector-policy", self.reconcile_policy, describe=describe_karmada_key
        )
        self._own_writes: dict[TemplateKey, dict] = {}  # what our last claim write makes of a template
        store.subscribe(self._on_change)

    def _describe_template(self, key: TemplateKey) -> str:
        """A template's key as logs name it: ``Deployment shop/web`` (a kind no longer served: its resource)."""
        resource, namespace, name = key
        return describe_object(self.registry.kind_of(resource) or resource, namespace, name)

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        for resource in POLICY_FINALIZERS:
            for policy in self.store.list_all(resource):
                self._enqueue_policy(resource, policy)
        async with anyio.create_task_group() as tasks:
            await tasks.start(self.templates.run)
            await tasks.start(self.policies.run)
            task_status.started()

    # -- events -> keys ---------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        resource = change.resource
        if resource == PRIORITY_CLASSES and change.type == "ADDED" and self.priorities:
            self._enqueue_waiting_for(change.name)
        if resource in DEPENDED_ON_BY and change.type == "ADDED":
            self._enqueue_depending_on(resource, change.namespace, change.name)
        if resource in POLICY_FINALIZERS:
            if change.type != "DELETED":
                self._enqueue_policy(resource, change.object)
        elif resource in (RESOURCE_BINDINGS, CLUSTER_RESOURCE_BINDINGS):
            if change.type == "DELETED":  # a claimed template whose binding went gets it back
                self._enqueue_referenced(change.object)
        elif is_template_resource(resource) and not self.skipped(change.namespace):
            if self.latency is not None and change.type != "DELETED":
                self._start_clock(change)
            key = (resource, change.namespace, change.name)
            if change.type == "MODIFIED":
                new = specification(change.object)
                old = specification(change.before)
                if self._own_writes.pop(key, None) == new or old == new:
                    return  # our own claim write (the reconcile that made it went on), or no spec change
                if changed_by_karmada_only(old, new) and self._claimed_lazily(change.object):
                    self.templates.enqueue(key)
                    return
            if change.type != "DELETED" and not self._unclaimable(change.object):
                self.templates.enqueue(key, CHANGED_ITSELF)

    def _unclaimable(self, template: dict) -> bool:
        """No propagation policy exists and the template bears no claim: its reconcile would find nothing to
        do. A policy made later queues the templates it selects itself (:meth:`reconcile_policy`)."""
        return (
            not self.store.holds_any(PROPAGATION_POLICIES)
            and not self.store.holds_any(CLUSTER_PROPAGATION_POLICIES)
            and claim_of(template) is None
        )

    def _start_clock(self, change: Change) -> None:
        """A template created or given a new generation: its propagation begins now."""
        assert self.latency is not None
        meta = change.object["metadata"]
        generation = meta.get("generation")
        before = (
            (change.before or {}).get("metadata", {}).get("generation") if change.type == "MODIFIED" else None
        )
        if isinstance(generation, int) and generation != before:
            self.latency.changed(meta.get("uid", ""), generation)

    def _claimed_lazily(self, obj: dict) -> bool:
        claim = claim_of(obj)
        policy = self._claiming_policy(claim) if claim is not None else None
        return policy is not None and is_lazy(policy)

    def _enqueue_depending_on(self, resource: str, namespace: str, name: str) -> None:
        """An override policy appeared: the propagation policies listing it in ``dependentOverrides``
        (of its namespace, or cluster-wide for a ClusterOverridePolicy) look at their templates again."""
        policies = DEPENDED_ON_BY[resource]
        for policy in self._policies(policies, namespace or None):
            if name in ((policy.get("spec") or {}).get("dependentOverrides") or ()):
                self._enqueue_policy(policies, policy)

    def _enqueue_waiting_for(self, priority_class: str) -> None:
        """A PriorityClass appeared: the policies naming it look at their templates again."""
        for resource in POLICY_FINALIZERS:
            for policy in self.store.list_all(resource):
                if priority_class_name(policy) == priority_class:
                    self._enqueue_policy(resource, policy)

    def _enqueue_policy(self, resource: str, policy: dict) -> None:
        meta = policy["metadata"]
        self.policies.queue.add((resource, meta.get("namespace", ""), meta["name"]))

    def _enqueue_referenced(self, binding: dict) -> None:
        ref = (binding.get("spec") or {}).get("resource") or {}
        resource = self.registry.by_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
        if resource is not None:
            self.templates.queue.add((resource.group_resource, ref.get("namespace", ""), ref.get("name", "")))

    # -- templates --------------------------------------------------------------------------------

    def _policies(self, resource: str, namespace: str | None = None) -> list[dict]:
        if namespace is None:
            return self.store.list_all(resource)
        return [p for p in self.store.list_all(resource) if p["metadata"].get("namespace") == namespace]

    def _claiming_policy(self, claim: Claim) -> dict | None:
        policy = self.store.find(POLICY_KINDS[claim.kind], claim.namespace, claim.name)
        label = PP_PERMANENT_ID if claim.kind == "PropagationPolicy" else CPP_PERMANENT_ID
        if policy is None or (policy["metadata"].get("labels") or {}).get(label) != claim.permanent_id:
            return None  # gone (or gone and re-created: a new policy, a new id)
        return policy

    def _preemptor(self, obj: dict, claim: Claim, claimed_by: dict | None) -> dict | None:
        """The policy with ``preemption: Always`` that takes ``obj`` from its claim, if any."""
        namespace = obj["metadata"].get("namespace", "")
        candidates = self._policies(PROPAGATION_POLICIES, namespace) if namespace else []
        if claim.kind == "ClusterPropagationPolicy":
            candidates += self._policies(CLUSTER_PROPAGATION_POLICIES)
        winners = [c for c in candidates if preempts(c, claimed_by, claim, obj)]
        # a PropagationPolicy first, then the highest priority, then the smaller name
        winners.sort(
            key=lambda p: (
                p.get("kind") != "PropagationPolicy",
                -int((p.get("spec") or {}).get("priority") or 0),
                p["metadata"]["name"],
            )
        )
        return winners[0] if winners else None

    async def reconcile_template(self, key: TemplateKey) -> float | None:
        changed_itself = CHANGED_ITSELF in self.templates.reasons(key)
        resource, namespace, name = key
        obj = self.store.find(resource, namespace, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return None  # its binding goes with it (owner reference)
        if (obj["metadata"].get("labels") or {}).get(CLAIMED_BY):
            return None
        claim = claim_of(obj)
        if claim is not None:
            policy = self._claiming_policy(claim)
            if policy is not None and policy["metadata"].get("deletionTimestamp"):
                return None  # the policy's deletion releases this template
            if policy is not None and implicit_priority(policy, obj) > 0:
                preemptor = self._preemptor(obj, claim, policy)
                if preemptor is None:
                    await self._apply(resource, obj, policy, changed_itself=changed_itself)
                    return None
                await self._apply(resource, obj, preemptor, preempted=claim, changed_itself=changed_itself)
                return None
            # the claiming policy is gone or no longer selects the template: release it, then look again
            obj = await self._release(resource, obj, claim)
        policy = None
        if namespace:
            policy = best_policy(self._policies(PROPAGATION_POLICIES, namespace), obj)
        if policy is None:
            policy = best_policy(self._policies(CLUSTER_PROPAGATION_POLICIES), obj)
        if policy is not None:
            await self._apply(resource, obj, policy, changed_itself=changed_itself)
        return None

    def _check_dependent_overrides(self, policy: dict) -> None:
        names = (policy.get("spec") or {}).get("dependentOverrides") or ()
        namespace = policy["metadata"].get("namespace", "")
        overrides = OVERRIDE_POLICIES if namespace else CLUSTER_OVERRIDE_POLICIES
        missing = [n for n in names if self.store.find(overrides, namespace, n) is None]
        if missing:
            raise WaitingForOverrides(f"waiting for dependent overrides: {', '.join(missing)}")

    async def _apply(
        self,
        resource: str,
        obj: dict,
        policy: dict,
        preempted: Claim | None = None,
        *,
        changed_itself: bool = True,
    ) -> None:
        """Claim ``obj`` for ``policy`` (taking it from ``preempted``) and create or update its binding —
        unless the policy is lazy and only a policy changed (``changed_itself`` false): then the claim is
        written and the binding waits for the template's own next change, as in Karmada."""
        self._check_dependent_overrides(policy)  # before the claim, and no failure: it waits, as in Karmada
        started = time.perf_counter()
        try:
            claimed = with_claim(obj, policy)
            if claimed != obj:
                claimed = await self._write_template(resource, claimed)
                if preempted is not None:  # the claim moved: that is the preemption, whatever follows
                    self.recorder.event(
                        claimed, "Normal", "PreemptPolicySucceed", _preempted(policy, preempted)
                    )
            if is_lazy(policy) and not changed_itself:
                return
            replicas, requirements = self._interpret_replicas(claimed)
            desired = desired_binding(claimed, policy, replicas, requirements, self._priority(policy))
            changed = await self._write_binding(claimed, desired)
        except Exception as error:
            if not is_race(error):  # a lost race is retried, not a failure to tell the user about
                self.recorder.event(
                    obj, "Warning", "ApplyPolicyFailed", f"Apply {_policy_ref(policy)} failed: {error}"
                )
                _count_policy_apply(metrics.ERROR, started)
            raise
        _count_policy_apply(metrics.SUCCESS, started)
        if changed:
            self.recorder.event(
                claimed, "Normal", "ApplyPolicySucceed", f"Apply {_policy_ref(policy)} succeed"
            )

    def _priority(self, policy: dict) -> int | None:
        """The value of the policy's PriorityClass when bindings are scheduled by priority; raises
        NotFound (in kube-apiserver's words) while the class does not exist, as Karmada's detector does."""
        name = priority_class_name(policy)
        if not self.priorities or name is None:
            return None
        found = self.store.find(PRIORITY_CLASSES, "", name)
        if found is None:
            raise NotFound(f'PriorityClass.scheduling.k8s.io "{name}" not found')
        value = found.get("value")
        return value if isinstance(value, int) else 0

    def _interpret_replicas(self, template: dict) -> tuple[int, dict | None]:
        """Replicas and per-replica requirements for the binding, told in an Event as Karmada's detector
        tells them for the kinds its interpreter reads replicas from."""
        if not has_replica_rule(template):
            return 0, None
        try:
            interpreted = get_replicas(template)
        except Exception as error:
            self.recorder.event(template, "Warning", "GetReplicasFailed", str(error))
            raise
        self.recorder.event(
            template, "Normal", "GetReplicasSucceed", "Get replicas of resource template successfully."
        )
        return interpreted

    async def _write_template(self, resource: str, obj: dict) -> dict:
        """Write a claim change; its own change event is then not worth another reconcile."""
        meta = obj["metadata"]
        key = (resource, meta.get("namespace", ""), meta["name"])
        self._own_writes[key] = specification(obj)
        try:
            return await self.store.update(resource, obj)
        except Exception:
            self._own_writes.pop(key, None)
            raise

    async def _write_binding(self, template: dict, desired: dict) -> bool:
        """Create or bring up to date; a concurrent status write (scheduler, binding controller) only
        makes it read the binding again, as client-go's RetryOnConflict."""
        for _ in range(CONFLICT_RETRIES - 1):
            try:
                return await self._write_binding_once(template, desired)
            except Conflict:
                await anyio.lowlevel.checkpoint()
        return await self._write_binding_once(template, desired)

    async def _write_binding_once(self, template: dict, desired: dict) -> bool:
        kind = desired["kind"]
        resource = BINDING_RESOURCES[kind]
        binding_type = self._binding_type(kind)
        meta = desired["metadata"]
        existing = self.store.find(resource, meta.get("namespace", ""), meta["name"])
        if existing is None:
            await self.store.create(resource, strategy.prepare_create(binding_type, desired, trusted=True))
            log.info(
                "binding created", binding=describe_object(kind, meta.get("namespace", ""), meta["name"])
            )
            return True
        if existing["metadata"].get("deletionTimestamp") or controller_uid(existing) != template[
            "metadata"
        ].get("uid"):
            raise BindingOfAnotherObject(f"binding {meta['name']} belongs to an earlier object of this name")
        merged = merged_binding(existing, desired)
        if merged == existing:
            return False
        await self.store.update(
            resource, strategy.prepare_update(binding_type, existing, merged, trusted=True)
        )
        return True

    def _binding_type(self, kind: str) -> ResourceType:
        plural = "resourcebindings" if kind == "ResourceBinding" else "clusterresourcebindings"
        return self.registry.require("work.karmada.io", "v1alpha2", plural)

    async def _release(self, resource: str, obj: dict, claim: Claim) -> dict:
        """Remove ``claim`` from the template and from its binding (both stay); the template as stored."""
        released = without_claim(obj, claim.kind)
        if released != obj:
            obj = await self._write_template(resource, released)
        kind = binding_kind(obj)
        binding_resource = BINDING_RESOURCES[kind]
        meta = obj["metadata"]
        binding = self.store.find(
            binding_resource, meta.get("namespace", ""), binding_name(obj["kind"], meta["name"])
        )
        if binding is not None and claim_of(binding) == claim:
            await self.store.update(binding_resource, without_claim(binding, claim.kind))
        return obj

    # -- policies ---------------------------------------------------------------------------------

    def _selected_templates(self, policy: dict) -> Iterator[TemplateKey]:
        namespace = policy["metadata"].get("namespace")
        for selector in (policy.get("spec") or {}).get("resourceSelectors") or ():
            resource = self.registry.by_kind(selector.get("apiVersion", ""), selector.get("kind", ""))
            if resource is None:
                continue
            wanted = selector.get("namespace") or namespace
            for obj in self.store.list_all(resource.group_resource):
                meta = obj["metadata"]
                if wanted and meta.get("namespace") != wanted:
                    continue
                if selector.get("name") and meta["name"] != selector["name"]:
                    continue
                yield resource.group_resource, meta.get("namespace", ""), meta["name"]

    def _claimed_bindings(self, resource: str, policy: dict) -> list[tuple[str, dict]]:
        """The bindings (with their store resource) that carry ``policy``'s claim."""
        meta = policy["metadata"]
        claim = claim_of(with_claim({"metadata": {}}, policy))
        found = []
        for binding_resource in (RESOURCE_BINDINGS, CLUSTER_RESOURCE_BINDINGS):
            for binding in self.store.list_all(binding_resource):
                if claim_of(binding) == claim and (
                    resource == CLUSTER_PROPAGATION_POLICIES
                    or binding["metadata"].get("namespace") == meta.get("namespace")
                ):
                    found.append((binding_resource, binding))
        return found

    async def reconcile_policy(self, key: PolicyKey) -> float | None:
        resource, namespace, name = key
        policy = self.store.find(resource, namespace, name)
        if policy is None:
            return None
        meta = policy["metadata"]
        if not meta.get("deletionTimestamp"):
            for template_key in self._selected_templates(policy):
                self.templates.queue.add(template_key)
            for _, binding in self._claimed_bindings(resource, policy):
                self._enqueue_referenced(binding)
            return None
        finalizer = POLICY_FINALIZERS[resource]
        if finalizer not in (meta.get("finalizers") or ()):
            return None
        claim = claim_of(with_claim({"metadata": {}}, policy))
        for binding_resource, binding in self._claimed_bindings(resource, policy):
            if claim is None:  # admission gives every policy its permanent id; one stored before has none
                raise ValueError(
                    f"{policy.get('kind')} {name}: no permanent-id label, so the bindings it claims are unknown"
                )
            ref = binding["spec"].get("resource") or {}
            template_type = self.registry.by_kind(ref.get("apiVersion", ""), ref.get("kind", ""))
            if template_type is not None:
                template = self.store.find(
                    template_type.group_resource, ref.get("namespace", ""), ref.get("name", "")
                )
                if template is not None and claim_of(template) == claim:
                    await self.store.update(template_type.group_resource, without_claim(template, claim.kind))
            await self.store.update(binding_resource, without_claim(binding, claim.kind))
        remaining = [f for f in meta["finalizers"] if f != finalizer]
        try:
            await self.store.update(resource, {**policy, "metadata": {**meta, "finalizers": remaining}})
        except NotFound:
            pass
        return None


def _count_policy_apply(result: str, started: float) -> None:
    metrics.POLICY_APPLY_ATTEMPTS.labels(result).inc()
    metrics.POLICY_APPLY_DURATION.labels(result).observe(time.perf_counter() - started)


def _policy_ref(policy: dict) -> str:
    meta = policy["metadata"]
    if policy.get("kind") == "ClusterPropagationPolicy":
        return f"cluster policy({meta['name']})"
    return f"policy({meta.get('namespace', '')}/{meta['name']})"


def _preempted(preemptor: dict, claim: Claim) -> str:
    meta = preemptor["metadata"]
    who = (
        f"Propagation policy({meta.get('namespace', '')}/{meta['name']})"
        if preemptor.get("kind") == "PropagationPolicy"
        else f"Cluster propagation policy({meta['name']})"
    )
    whom = (
        f"propagation policy({claim.namespace}/{claim.name})"
        if claim.kind == "PropagationPolicy"
        else f"cluster propagation policy({claim.name})"
    )
    return f"{who} preempted {whom} successfully"
