"""The execution controller: each Work's manifests applied to its member cluster, and their status brought back.

It reads, decides and writes, and decides nothing itself: for each manifest of a Work in
``karmada-es-<cluster>`` it reads the member's object from the informer cache of its kind (shared per
cluster and resource, :mod:`karmadad.members.registry`), asks :func:`~karmadad.propagation.apply_plan.plan_apply`
whether to create, update, skip or abort (an object karmadad does not manage, without ``Overwrite``), carries
that out through the member's typed client (:mod:`karmadad.members.connection`, which raises what the
store raises), and writes the Work's status as :mod:`karmadad.propagation.work_status` words it. A member's
refusal of the manifest itself (Invalid, BadRequest) and an aborted takeover are told (condition, Event) and
not retried until the Work changes (:class:`~karmadad.runtime.controller.Terminal`); anything else that may
mend (a missing namespace, an unreachable member) is retried with backoff.

The member object's changes (its informer) bring its Work back here, so an edit or a deletion in the member
is repaired, and its status is reflected into ``work.status.manifestStatuses`` with its health. Karmada
splits this into an execution and a work-status controller; here one reconcile does both, so the two never
race on the Work.

Deleting a Work deletes the member object, or with ``preserveResourcesOnDeletion`` releases it
(:func:`~karmadad.propagation.apply_plan.plan_removal`); while the member is not reachable the Work waits
(its finalizer stays) — nothing is lost. A Work whose cluster is being unjoined is let go without touching
the member.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import anyio

from karmadad import metrics
from karmadad.api.conditions import is_true, with_condition
from karmadad.api.karmada import shapes
from karmadad.api.karmada.cluster import CONDITION_READY
from karmadad.api.karmada.names import (
    CONFLICT_RESOLUTION,
    EXECUTION_FINALIZER,
    EXECUTION_SPACE_PREFIX,
    TEMPLATE_GENERATION,
    TEMPLATE_UID,
    WORK_NAME,
    WORK_NAMESPACE,
    execution_space,
)
from karmadad.api.karmada.resources import CLUSTERS, WORKS
from karmadad.api.karmada.work import CONDITION_APPLIED, CONDITION_DISPATCHING
from karmadad.api.registry import Registry, ResourceType
from karmadad.errors import AlreadyExists, BadRequest, Invalid, NotFound, StatusError
from karmadad.events import EventRecorder
from karmadad.logs import describe_object, get_logger
from karmadad.members.connection import (
    MemberObjects,
    MemberUnreachable,
    collection_path,
    strip_managed_fields,
)
from karmadad.members.registry import MemberAccess
from karmadad.propagation.apply_plan import (
    Abort,
    Create,
    Delete,
    Leave,
    Release,
    Skip,
    Update,
    describe,
    plan_apply,
    plan_removal,
)
from karmadad.propagation.latency import PropagationLatency
from karmadad.propagation.work_status import (
    applied_condition,
    dispatching_change,
    manifest_status,
)
from karmadad.runtime.controller import Controller, Requeue, Terminal
from karmadad.runtime.failures import is_race
from karmadad.runtime.informer import Handler, Informer
from karmadad.store import Change, Store
from karmadad.store.changes import specification

log = get_logger("execution")

WorkKey = tuple[str, str]  # (namespace, name)
APPLY = "apply"  # the reason a Work is queued when its member objects must be compared with it again
UPDATED = "updated"  # Karmada's operationResult of an update that was sent
SYNC_WAIT_SECONDS = 5.0  # how long a reconcile waits for a new member informer to fill
# what a member refuses for the manifest itself: refused again until the Work changes, so not retried
_REFUSED_AS_WRITTEN = (Invalid, BadRequest)


@dataclass(frozen=True)
class _Outcome:
    """What became of one manifest: the member's object as last seen (None: absent or unknown), and why it
    does not hold the manifest ("" when it does), and whether trying again later may mend that."""

    resource: ResourceType | None
    observed: dict | None
    problem: str = ""
    retry: bool = False


class ExecutionController:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        members: MemberAccess,
        recorder: EventRecorder,
        *,
        workers: int = 16,
        latency: PropagationLatency | None = None,
    ):
        """``latency``: told when a member holds a template's generation (its propagation's end)."""
        self.store = store
        self.latency = latency
        self.registry = registry
        self.members = members
        self.recorder = recorder
        self.controller: Controller[WorkKey] = Controller(
            "execution", self.reconcile, workers=workers, describe=lambda key: describe_object("Work", *key)
        )
        self._watched: set[int] = set()  # ids of member informers this controller listens to
        self.member_writes = 0  # creates, updates and deletes sent to members (for tests and metrics)
        # (cluster, namespace, name) -> resourceVersion of a member object as karmadad's write answered,
        # until its informer reports it
        self._written: dict[tuple[str, str, str], str] = {}
        store.subscribe(self._on_change)

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        for work in self.store.list_all(WORKS):
            self._enqueue(work)
        await self.controller.run(task_status=task_status)

    # -- events -> keys ---------------------------------------------------------------------------

    def _enqueue(self, work: dict) -> None:
        meta = work["metadata"]
        self._enqueue_key((meta["namespace"], meta["name"]))

    def _enqueue_key(self, key: WorkKey, *, apply: bool = True) -> None:
        """``apply``: the Work's member objects must be compared with its manifests again (else only
        their status is read back)."""
        self.controller.enqueue(key, APPLY if apply else None)

    def _on_change(self, change: Change) -> None:
        if change.resource == WORKS and change.type != "DELETED":
            old = change.previous
            # its own status writes do not bring a Work back; spec, metadata and deletion do
            if (
                old is None
                or old.get("spec") != change.object.get("spec")
                or old["metadata"] != change.object["metadata"]
            ):
                self._enqueue(change.object)
        elif change.resource == CLUSTERS and change.type == "MODIFIED":
            was, now = is_true(change.previous, CONDITION_READY), is_true(change.object, CONDITION_READY)
            if was != now:  # a member came back: dispatch what waited
                space = execution_space(change.name)
                for work in self.store.list_all(WORKS):
                    if work["metadata"]["namespace"] == space:
                        self._enqueue(work)

    def _on_member_object(
        self, cluster: str, obj: dict, old: dict | None = None, *, deleted: bool = False
    ) -> None:
        """A member object changed: its Work looks again — only at its status when that is all that
        changed (members report status far more often than anything else), and not at all when this is
        the object as karmadad's own write left it (its Work's status was written from that answer)."""
        meta = obj.get("metadata") or {}
        written = self._written.pop((cluster, meta.get("namespace", ""), meta.get("name", "")), None)
        if not deleted and written is not None and written == meta.get("resourceVersion"):
            return
        annotations = meta.get("annotations") or {}
        if annotations.get(WORK_NAMESPACE) and annotations.get(WORK_NAME):
            apply = old is None or specification(old) != specification(obj)
            self._enqueue_key((annotations[WORK_NAMESPACE], annotations[WORK_NAME]), apply=apply)

    def _informer(self, cluster: str, resource: ResourceType) -> Informer:
        informer = self.members.informer(cluster, collection_path(resource), strip_managed_fields)
        if id(informer) not in self._watched:
            self._watched.add(id(informer))
            informer.add_handler(
                Handler(
                    on_add=lambda obj: self._on_member_object(cluster, obj),
                    on_update=lambda old, new: self._on_member_object(cluster, new, old),
                    on_delete=lambda obj: self._on_member_object(cluster, obj, deleted=True),
                )
            )
        return informer

    # -- reconcile --------------------------------------------------------------------------------

    async def reconcile(self, key: WorkKey) -> float | None:
        """Read the Work and its member objects from the caches, decide each manifest's fate
        (:func:`plan_apply`), carry it out, and write what came of it into the Work's status."""
        tried = APPLY in self.controller.reasons(key)
        namespace, name = key
        work = self.store.find(WORKS, namespace, name)
        if work is None or not namespace.startswith(EXECUTION_SPACE_PREFIX):
            return None
        cluster_name = namespace.removeprefix(EXECUTION_SPACE_PREFIX)
        cluster = self.store.find(CLUSTERS, "", cluster_name)
        if work["metadata"].get("deletionTimestamp"):
            await self._finalize(work, cluster)
            return None
        spec = work.get("spec") or {}
        conditions = list((work.get("status") or {}).get("conditions") or ())
        dispatching = dispatching_change(conditions, suspended=bool(spec.get("suspendDispatching")))
        if spec.get("suspendDispatching"):
            await self._write_status(work, dispatching)
            return None
        client = self.members.client(cluster_name)
        if cluster is None or client is None or not is_true(cluster, CONDITION_READY):
            await self._write_status(work, dispatching)
            raise Requeue(f"cluster {cluster_name} is not ready")
        manifests = (spec.get("workload") or {}).get("manifests") or []
        applied_before = is_true(work, CONDITION_APPLIED)
        started = time.perf_counter()
        try:
            outcomes = [
                await self._sync(cluster_name, client, work, manifest, tried, applied_before)
                for manifest in manifests
            ]
        except Exception as error:
            if tried and not isinstance(error, Requeue) and not is_race(error):
                metrics.WORK_SYNC_WORKLOAD_DURATION.labels(metrics.ERROR).observe(
                    time.perf_counter() - started
                )
            raise
        failures = [outcome.problem for outcome in outcomes if outcome.problem]
        if tried:
            result = metrics.ERROR if failures else metrics.SUCCESS
            metrics.WORK_SYNC_WORKLOAD_DURATION.labels(result).observe(time.perf_counter() - started)
            if not failures:
                self._held(cluster_name, manifests)
        statuses = [
            manifest_status(ordinal, outcome.resource, manifest, outcome.observed)
            for ordinal, (manifest, outcome) in enumerate(zip(manifests, outcomes, strict=True))
            if outcome.resource is not None and outcome.observed is not None and not outcome.problem
        ]
        applied = applied_condition(conditions, len(manifests), failures, tried=tried)
        await self._write_status(work, [*dispatching, applied], statuses)
        if any(outcome.retry for outcome in outcomes):  # e.g. its namespace is not in the member yet
            raise Requeue(applied["message"])
        if failures and tried:  # an object we may not take, a manifest the member refuses: told, not retried
            raise Terminal(applied["message"])
        return None

    async def _sync(
        self, cluster: str, client: MemberObjects, work: dict, manifest: dict, tried: bool, applied: bool
    ) -> _Outcome:
        """Bring one manifest's member object to it (``tried``), or only read the object back."""
        resource = self.registry.by_kind(manifest.get("apiVersion", ""), manifest.get("kind", ""))
        if resource is None:
            return _Outcome(
                None, None, f"{manifest.get('kind')} {manifest.get('apiVersion')} is not a known kind"
            )
        informer = await self._synced_informer(cluster, resource)
        meta = manifest.get("metadata") or {}
        cache_key = (
            f"{meta['namespace']}/{meta.get('name', '')}" if meta.get("namespace") else meta.get("name", "")
        )
        observed = informer.get(cache_key)
        if not tried and observed is not None:  # only the member's status changed: it holds what it held
            return _Outcome(resource, observed, "" if applied else "unchanged")
        overwrite = (work["metadata"].get("annotations") or {}).get(CONFLICT_RESOLUTION) == "overwrite"
        plan = plan_apply(manifest, observed, overwrite=overwrite)
        if isinstance(plan, Skip):
            return _Outcome(resource, observed)
        if isinstance(plan, Abort):
            return _Outcome(resource, observed, plan.reason)
        try:
            written = await self._write(client, resource, plan, cluster=cluster, recreate=applied)
        except StatusError as error:
            problem = f"{describe(manifest)}: {error.reason}: {error.message}"
            self._tell(work, manifest, "Warning", "SyncFailed", problem)
            return _Outcome(resource, None, problem, retry=not isinstance(error, _REFUSED_AS_WRITTEN))
        self._tell(work, manifest, "Normal", "SyncSucceed")
        # what the member answered is what its informer reports next: the status written now already
        # holds it, so that report needs no second look
        version = written["metadata"].get("resourceVersion")
        if (
            version
            and ((informer.get(cache_key) or {}).get("metadata") or {}).get("resourceVersion") != version
        ):
            self._written[(cluster, meta.get("namespace", ""), meta.get("name", ""))] = version
        return _Outcome(resource, written)

    async def _synced_informer(self, cluster: str, resource: ResourceType) -> Informer:
        informer = self._informer(cluster, resource)
        if not informer.has_synced:
            with anyio.move_on_after(SYNC_WAIT_SECONDS):
                await informer.wait_synced()
            if not informer.has_synced:
                raise Requeue(f"the member's {resource.plural} are not listed yet")
        return informer

    def _held(self, cluster: str, manifests: list[dict]) -> None:
        """The member holds these manifests as written: tell the propagation clock of their templates."""
        if self.latency is None:
            return
        for manifest in manifests:
            annotations = (manifest.get("metadata") or {}).get("annotations") or {}
            generation = annotations.get(TEMPLATE_GENERATION, "")
            if generation.isdigit():
                self.latency.held(annotations.get(TEMPLATE_UID, ""), int(generation), cluster)

    async def _write(
        self,
        client: MemberObjects,
        resource: ResourceType,
        plan: Create | Update,
        *,
        cluster: str,
        recreate: bool,
    ) -> dict:
        """Carry out a create or an update; the member's object as it answered. A Conflict (the object moved
        since the informer saw it) propagates: the controller looks again, quietly. ``recreate``: the member
        held the Work's objects before (a create puts back what went missing)."""
        manifest = plan.manifest if isinstance(plan, Create) else plan.final
        what = describe(manifest)
        self.member_writes += 1
        labels = (manifest.get("apiVersion", ""), manifest.get("kind", ""), cluster)
        try:
            if isinstance(plan, Create):
                log.debug("creating a member object", object=what)
                written = await client.create(resource, plan.manifest)
            else:
                log.debug("updating a member object", object=what, field=plan.field)
                written = await client.replace(resource, plan.final)
        except AlreadyExists:  # our cache is behind the member: look again once it has caught up
            raise Requeue(f"{what} appeared in the member before its informer saw it") from None
        except MemberUnreachable as error:
            _count_member_write(plan, labels, metrics.ERROR, recreate=recreate)
            raise Requeue(f"member not reachable: {error}") from None
        except Exception as error:
            if not is_race(error):  # a Conflict: looked at again from the member's newer object
                _count_member_write(plan, labels, metrics.ERROR, recreate=recreate)
            raise
        _count_member_write(plan, labels, metrics.SUCCESS, recreate=recreate)
        return written

    def _tell(self, work: dict, manifest: dict, kind: str, reason: str, problem: str = "") -> None:
        """Record a write to a member as Karmada does: the same Event on the Work and on the template."""
        meta = manifest.get("metadata") or {}
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        cluster = work["metadata"]["namespace"].removeprefix(EXECUTION_SPACE_PREFIX)
        template = {
            "apiVersion": manifest.get("apiVersion", ""),
            "kind": manifest.get("kind", ""),
            "metadata": {**{k: v for k, v in meta.items() if k in ("name", "namespace")},
                         "uid": (meta.get("annotations") or {}).get(TEMPLATE_UID, "")},
        }  # fmt: skip
        if problem:
            work_meta = work["metadata"]
            message = f"Failed to sync Work({work_meta['namespace']}/{work_meta['name']}) to cluster({cluster}): {problem}"
        else:
            message = f"Successfully applied resource({namespace}/{name}) to cluster {cluster}"
        self.recorder.event(work, kind, reason, message)
        self.recorder.event(template, kind, reason, message)

    async def _write_status(
        self,
        work: dict,
        conditions: list[shapes.Condition],
        statuses: list[shapes.ManifestStatus] | None = None,
    ) -> None:
        """Write these conditions (and manifest statuses) into the Work's status. A new ``Dispatching``
        condition among them is told in a WorkDispatching Event once written, as Karmada tells it."""
        status = dict(work.get("status") or {})
        for new in conditions:
            status["conditions"] = with_condition(status.get("conditions"), new)
        if statuses is not None:
            if statuses:
                status["manifestStatuses"] = statuses
            else:
                status.pop("manifestStatuses", None)
        if status == (work.get("status") or {}):
            return
        try:
            written = await self.store.update(WORKS, {**work, "status": status})
        except NotFound:
            return
        for new in conditions:
            if new["type"] == CONDITION_DISPATCHING:
                self.recorder.event(written, "Normal", "WorkDispatching", new["message"])

    # -- deletion ---------------------------------------------------------------------------------

    async def _finalize(self, work: dict, cluster: dict | None) -> None:
        meta = work["metadata"]
        if EXECUTION_FINALIZER not in (meta.get("finalizers") or ()):
            return
        if cluster is not None and not cluster["metadata"].get("deletionTimestamp"):  # else unjoining
            await self._remove_from_member(work, cluster)
        remaining = [f for f in meta["finalizers"] if f != EXECUTION_FINALIZER]
        try:
            await self.store.update(WORKS, {**work, "metadata": {**meta, "finalizers": remaining}})
        except NotFound:
            pass

    async def _remove_from_member(self, work: dict, cluster: dict) -> None:
        """Delete the Work's objects from the member, or let go of them (:func:`plan_removal`). Only what
        the member holds now counts, so this reads it (not the informer, which may lag)."""
        cluster_name = cluster["metadata"]["name"]
        client = self.members.client(cluster_name)
        if client is None or not is_true(cluster, CONDITION_READY):
            raise Requeue(f"cluster {cluster_name} is not ready; the Work's objects are removed once it is")
        spec = work.get("spec") or {}
        for manifest in (spec.get("workload") or {}).get("manifests") or ():
            resource = self.registry.by_kind(manifest.get("apiVersion", ""), manifest.get("kind", ""))
            if resource is None:
                continue
            meta = manifest.get("metadata") or {}
            namespace, name = meta.get("namespace", ""), meta.get("name", "")
            try:
                try:
                    observed: dict | None = await client.read(resource, namespace, name)
                except NotFound:
                    observed = None
                plan = plan_removal(observed, preserve=bool(spec.get("preserveResourcesOnDeletion")))
                if isinstance(plan, Leave):
                    continue
                self.member_writes += 1
                if isinstance(plan, Release):
                    await client.replace(resource, plan.kept)
                elif isinstance(plan, Delete):
                    try:
                        await client.delete(resource, namespace, name)
                    except Exception as error:
                        if not isinstance(error, NotFound):
                            _count_member_delete(manifest, cluster_name, metrics.ERROR)
                        raise
                    _count_member_delete(manifest, cluster_name, metrics.SUCCESS)
            except NotFound:
                continue  # gone meanwhile
            except MemberUnreachable as error:
                raise Requeue(f"member not reachable: {error}") from None


def _count_member_write(
    plan: Create | Update, labels: tuple[str, str, str], result: str, *, recreate: bool
) -> None:
    """A create or update sent to a member, in Karmada's counters (``labels``: apiversion, kind, cluster)."""
    if isinstance(plan, Create):
        metrics.CREATE_RESOURCE_TO_CLUSTER.inc(result, *labels, "true" if recreate else "false")
    else:
        metrics.UPDATE_RESOURCE_TO_CLUSTER.inc(result, *labels, UPDATED)


def _count_member_delete(manifest: dict, cluster: str, result: str) -> None:
    metrics.DELETE_RESOURCE_FROM_CLUSTER.inc(
        result, manifest.get("apiVersion", ""), manifest.get("kind", ""), cluster
    )
