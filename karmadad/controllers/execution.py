"""The execution controller: each Work's manifest applied to its member cluster, and its status brought back.

A Work in ``karmada-es-<cluster>`` is reconciled against that member's informer cache of the manifest's
kind (shared per cluster and resource, see :mod:`karmadad.members.registry`):

- absent in the member: created;
- present and managed by karmadad (label ``karmada.io/managed=true``), or the Work's conflict resolution is
  ``overwrite``: brought to the manifest with what the member owns kept (:func:`karmadad.interpreter.retain`)
  — and only written when the member's object does not already hold every field of the manifest, so a
  restart, a resync or a status change in the member writes nothing;
- present and not managed, with ``abort`` (the default): left alone, ``Applied=False`` says why.

The member object's changes (its informer) bring its Work back here, so an edit or a deletion in the member
is repaired, and its status is reflected into ``work.status.manifestStatuses`` with its health. Karmada
splits this into an execution and a work-status controller; here one reconcile does both, so the two never
race on the Work.

Deleting a Work deletes the member object (only one karmadad manages), or with
``preserveResourcesOnDeletion`` strips karmadad's labels and annotations from it; while the member is not
reachable the Work waits (its finalizer stays) — nothing is lost. A Work whose cluster is being unjoined is
let go without touching the member.
"""

from __future__ import annotations

import anyio

from karmadad.api.conditions import condition, with_condition
from karmadad.api.karmada.names import (
    CONFLICT_RESOLUTION,
    EXECUTION_FINALIZER,
    MANAGED_LABEL,
    TEMPLATE_UID,
    WORK_NAME,
    WORK_NAMESPACE,
)
from karmadad.api.karmada.resources import CLUSTERS, WORKS
from karmadad.api.registry import Registry, ResourceType
from karmadad.controllers.execution_space import EXECUTION_SPACE_PREFIX
from karmadad.errors import NotFound
from karmadad.events import EventRecorder
from karmadad.interpreter.health import interpret_health
from karmadad.interpreter.retain import retain
from karmadad.interpreter.status import reflect_status
from karmadad.logs import get_logger
from karmadad.members.connection import MemberUnreachable
from karmadad.members.registry import Members
from karmadad.members.source import strip_managed_fields
from karmadad.runtime.controller import Controller, Requeue
from karmadad.runtime.informer import Handler, Informer
from karmadad.store import Change, Store
from karmadad.store.changes import specification

log = get_logger("execution")

WorkKey = tuple[str, str]  # (namespace, name)
CONDITION_APPLIED = "Applied"
CONDITION_DISPATCHING = "Dispatching"
APPLY = "apply"  # the reason a Work is queued when its member objects must be compared with it again
# (reason, message) of the Dispatching condition, also the WorkDispatching Event's message: Karmada's words
DISPATCHING = ("Dispatching", "Work is being dispatched to member clusters.")
DISPATCHING_SUSPENDED = ("SuspendDispatching", "Work dispatching is in a suspended state.")
SYNC_WAIT_SECONDS = 5.0  # how long a reconcile waits for a new member informer to fill
# what karmadad adds to a member object; removed from it when its Work goes with preserveResourcesOnDeletion
_KARMADAD_LABEL_PREFIXES = ("karmada.io/", "work.karmada.io/", "resourcebinding.karmada.io/",
                            "clusterresourcebinding.karmada.io/", "propagationpolicy.karmada.io/",
                            "clusterpropagationpolicy.karmada.io/")  # fmt: skip
_KARMADAD_ANNOTATION_PREFIXES = (
    *_KARMADAD_LABEL_PREFIXES,
    "resourcetemplate.karmada.io/",
    "policy.karmada.io/",
)


def collection_path(resource: ResourceType) -> str:
    """Where a member lists every object of the resource (all namespaces)."""
    base = f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"
    return f"{base}/{resource.plural}"


def object_path(resource: ResourceType, namespace: str, name: str = "") -> str:
    base = f"/apis/{resource.group}/{resource.version}" if resource.group else f"/api/{resource.version}"
    scope = f"/namespaces/{namespace}" if resource.namespaced else ""
    return f"{base}{scope}/{resource.plural}" + (f"/{name}" if name else "")


def first_difference(observed: object, desired: object, path: str = "") -> str | None:
    """Where ``observed`` first fails to hold ``desired`` (a field path), for the log; None when it holds."""
    if isinstance(desired, dict):
        if not isinstance(observed, dict):
            return path or "."
        for key, value in desired.items():
            if key not in observed:
                return f"{path}.{key}"
            if (found := first_difference(observed[key], value, f"{path}.{key}")) is not None:
                return found
        return None
    if isinstance(desired, list):
        if not isinstance(observed, list) or len(observed) != len(desired):
            return path
        for index, (o, d) in enumerate(zip(observed, desired, strict=True)):
            if (found := first_difference(o, d, f"{path}[{index}]")) is not None:
                return found
        return None
    return None if observed == desired else path


def _content(final: dict) -> dict:
    """What of ``final`` a member object must hold: all but status, the resourceVersion, and apiVersion and
    kind (the object's path says those; a LIST's items do not carry them, a watch's events do)."""
    meta = {k: v for k, v in final.get("metadata", {}).items() if k != "resourceVersion"}
    kept = {k: v for k, v in final.items() if k not in ("status", "apiVersion", "kind")}
    return {**kept, "metadata": meta}


def holds(observed: object, desired: object) -> bool:
    """Whether ``observed`` already has every field of ``desired`` with the same value (maps may carry
    more, as a member's API server adds defaults; lists must match element by element)."""
    return first_difference(observed, desired) is None


def needs_update(final: dict, observed: dict) -> bool:
    """Whether writing ``final`` (the manifest with the member's fields retained) would change the member."""
    return not holds(observed, _content(final))


def without_karmadad_marks(obj: dict) -> dict:
    meta = dict(obj.get("metadata") or {})
    for field, prefixes in (
        ("labels", _KARMADAD_LABEL_PREFIXES),
        ("annotations", _KARMADAD_ANNOTATION_PREFIXES),
    ):
        kept = {k: v for k, v in (meta.get(field) or {}).items() if not k.startswith(prefixes)}
        meta[field] = kept
    return {**obj, "metadata": meta}


def dispatching_change(conditions: list[dict], *, suspended: bool) -> list[dict]:
    """The ``Dispatching`` condition to write, when it is missing or its status flips (Karmada writes and
    tells it only then); none while it holds."""
    wanted = "False" if suspended else "True"
    if any(c.get("type") == CONDITION_DISPATCHING and c.get("status") == wanted for c in conditions):
        return []
    reason, message = DISPATCHING_SUSPENDED if suspended else DISPATCHING
    return [condition(conditions, CONDITION_DISPATCHING, not suspended, reason, message)]


class ExecutionController:
    def __init__(
        self,
        store: Store,
        registry: Registry,
        members: Members,
        recorder: EventRecorder,
        *,
        workers: int = 16,
    ):
        self.store = store
        self.registry = registry
        self.members = members
        self.recorder = recorder
        self.controller: Controller[WorkKey] = Controller("execution", self.reconcile, workers=workers)
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
            if _ready(change.previous) != _ready(change.object):  # a member came back: dispatch what waited
                space = EXECUTION_SPACE_PREFIX + change.name
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
        apply = APPLY in self.controller.reasons(key)
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
        connection = self.members.get(cluster_name)
        if cluster is None or connection is None or not _ready(cluster):
            await self._write_status(work, dispatching)
            raise Requeue(f"cluster {cluster_name} is not ready")
        manifests = (spec.get("workload") or {}).get("manifests") or []
        applied, failures, statuses, retriable = 0, [], [], False
        for ordinal, manifest in enumerate(manifests):
            resource = self.registry.by_kind(manifest.get("apiVersion", ""), manifest.get("kind", ""))
            if resource is None:
                failures.append(f"{manifest.get('kind')} {manifest.get('apiVersion')} is not a known kind")
                continue
            informer = self._informer(cluster_name, resource)
            if not informer.has_synced:
                with anyio.move_on_after(SYNC_WAIT_SECONDS):
                    await informer.wait_synced()
                if not informer.has_synced:
                    raise Requeue(f"the member's {resource.plural} are not listed yet")
            meta = manifest.get("metadata") or {}
            obj_namespace, obj_name = meta.get("namespace", ""), meta.get("name", "")
            cache_key = f"{obj_namespace}/{obj_name}" if obj_namespace else obj_name
            observed = informer.get(cache_key)
            if apply or observed is None:
                problem, retry, written = await self._apply(connection, work, resource, manifest, observed)
                # what the member answered is what its informer reports next: the status written now
                # already holds it, so that report needs no second look
                if written is not None:
                    observed = written
                    version = written["metadata"].get("resourceVersion")
                    cached = informer.get(cache_key)
                    if version and (cached or {}).get("metadata", {}).get("resourceVersion") != version:
                        self._written[(cluster_name, obj_namespace, obj_name)] = version
            else:  # only the member's status changed: it still holds what it held, applied or not
                problem, retry = ("" if _applied(conditions) else "unchanged"), False
            if problem:
                failures.append(problem)
                retriable = retriable or retry
            else:
                applied += 1
            if observed is not None and not problem:
                statuses.append(self._manifest_status(ordinal, resource, manifest, observed))
        previous = next((c for c in conditions if c.get("type") == CONDITION_APPLIED), None)
        if failures and not apply and previous is not None:
            applied_condition = previous  # status reflected; why it was not applied still stands
        elif failures:
            message = f"Failed to apply all manifests ({applied}/{len(manifests)}): {'; '.join(failures)}"
            applied_condition = condition(conditions, CONDITION_APPLIED, False, "AppliedFailed", message)
        else:
            applied_condition = condition(conditions, CONDITION_APPLIED, True, "AppliedSuccessful", "Manifest has been successfully applied")  # fmt: skip
        await self._write_status(work, [*dispatching, applied_condition], statuses)
        if retriable:  # e.g. its namespace is not in the member yet; an object we may not take waits instead
            raise Requeue(applied_condition["message"])
        return None

    async def _apply(
        self, connection, work: dict, resource: ResourceType, manifest: dict, observed: dict | None
    ) -> tuple[str, bool, dict | None]:
        """Make the member hold ``manifest``: ("", _, _) when it does (or now will), else why not and
        whether trying again later may help; and the member's object as it answered a write, if one
        was made and succeeded."""
        meta = manifest.get("metadata") or {}
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        what = f"{manifest.get('kind')} {namespace + '/' if namespace else ''}{name}"
        try:
            if observed is None:
                log.debug("creating a member object", object=what)
                status, answer = await connection.request("POST", object_path(resource, namespace), manifest)
                self.member_writes += 1
                if status == 409:  # our cache is behind the member: look again once it has caught up
                    raise Requeue(f"{what} appeared in the member before its informer saw it")
                return self._synced(work, manifest, status in (200, 201), status, answer)
            managed = ((observed.get("metadata") or {}).get("labels") or {}).get(MANAGED_LABEL) == "true"
            resolution = ((work["metadata"].get("annotations") or {}).get(CONFLICT_RESOLUTION)) or "abort"
            if not managed and resolution != "overwrite":
                return (
                    f"{what} already exists in the member cluster and is not managed by karmadad "
                    "(conflictResolution is Abort; set it to Overwrite to take the object over)",
                    False,
                    None,
                )
            final = retain(manifest, observed)
            if not needs_update(final, observed):
                return "", False, None
            log.debug(
                "updating a member object", object=what, field=first_difference(observed, _content(final))
            )
            final = {
                **final,
                "metadata": {**final["metadata"], "resourceVersion": observed["metadata"]["resourceVersion"]},
            }
            status, answer = await connection.request("PUT", object_path(resource, namespace, name), final)
            self.member_writes += 1
            if status == 409:
                raise Requeue(f"{what} changed in the member meanwhile")
            return self._synced(work, manifest, status == 200, status, answer)
        except MemberUnreachable as error:
            raise Requeue(f"member not reachable: {error}") from None

    def _synced(
        self, work: dict, manifest: dict, ok: bool, status: int, answer: object
    ) -> tuple[str, bool, dict | None]:
        """Record a write to a member as Karmada does (Events on the Work and on the template); the
        ``_apply`` result for it."""
        meta = manifest.get("metadata") or {}
        namespace, name = meta.get("namespace", ""), meta.get("name", "")
        cluster = work["metadata"]["namespace"].removeprefix(EXECUTION_SPACE_PREFIX)
        template = {
            "apiVersion": manifest.get("apiVersion", ""),
            "kind": manifest.get("kind", ""),
            "metadata": {**{k: v for k, v in meta.items() if k in ("name", "namespace")},
                         "uid": (meta.get("annotations") or {}).get(TEMPLATE_UID, "")},
        }  # fmt: skip
        if ok:
            message = f"Successfully applied resource({namespace}/{name}) to cluster {cluster}"
            self.recorder.event(work, "Normal", "SyncSucceed", message)
            self.recorder.event(template, "Normal", "SyncSucceed", message)
            if isinstance(answer, dict) and isinstance(answer.get("metadata"), dict):
                return "", False, strip_managed_fields(answer)
            return "", False, None
        problem = (
            f"{manifest.get('kind')} {namespace + '/' if namespace else ''}{name}: {_reason(status, answer)}"
        )
        message = f"Failed to sync Work({work['metadata']['namespace']}/{work['metadata']['name']}) to cluster({cluster}): {problem}"
        self.recorder.event(work, "Warning", "SyncFailed", message)
        self.recorder.event(template, "Warning", "SyncFailed", message)
        return problem, True, None

    def _manifest_status(self, ordinal: int, resource: ResourceType, manifest: dict, observed: dict) -> dict:
        meta = manifest.get("metadata") or {}
        identifier = {
            "ordinal": ordinal,
            "group": resource.group,
            "version": resource.version,
            "kind": resource.kind,
            "resource": resource.plural,
            "namespace": meta.get("namespace", ""),
            "name": meta.get("name", ""),
        }
        entry: dict = {"identifier": identifier, "health": interpret_health(observed)}
        reflected = reflect_status(observed)
        if reflected is not None:
            entry["status"] = reflected
        return entry

    async def _write_status(
        self, work: dict, conditions: list[dict], statuses: list[dict] | None = None
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

    async def _finalize(self, work: dict, cluster: dict | None) -> None:
        meta = work["metadata"]
        if EXECUTION_FINALIZER not in (meta.get("finalizers") or ()):
            return
        unjoining = cluster is None or bool(cluster["metadata"].get("deletionTimestamp"))
        if not unjoining:
            await self._remove_from_member(work, cluster)
        remaining = [f for f in meta["finalizers"] if f != EXECUTION_FINALIZER]
        try:
            await self.store.update(WORKS, {**work, "metadata": {**meta, "finalizers": remaining}})
        except NotFound:
            pass

    async def _remove_from_member(self, work: dict, cluster: dict) -> None:
        cluster_name = cluster["metadata"]["name"]
        connection = self.members.get(cluster_name)
        if connection is None or not _ready(cluster):
            raise Requeue(f"cluster {cluster_name} is not ready; the Work's objects are removed once it is")
        preserve = bool((work.get("spec") or {}).get("preserveResourcesOnDeletion"))
        for manifest in ((work.get("spec") or {}).get("workload") or {}).get("manifests") or ():
            resource = self.registry.by_kind(manifest.get("apiVersion", ""), manifest.get("kind", ""))
            if resource is None:
                continue
            meta = manifest.get("metadata") or {}
            path = object_path(resource, meta.get("namespace", ""), meta.get("name", ""))
            try:
                status, observed = await connection.request("GET", path)
                if status == 404:
                    continue
                labels = (
                    ((observed.get("metadata") or {}).get("labels") or {})
                    if isinstance(observed, dict)
                    else {}
                )
                if labels.get(MANAGED_LABEL) != "true":
                    continue  # not ours to remove
                if preserve:
                    status, answer = await connection.request("PUT", path, without_karmadad_marks(observed))
                else:
                    status, answer = await connection.request(
                        "DELETE",
                        path,
                        {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"},
                    )
                self.member_writes += 1
            except MemberUnreachable as error:
                raise Requeue(f"member not reachable: {error}") from None
            if status not in (200, 202, 404):
                raise RuntimeError(f"removing {path} from {cluster_name}: {_reason(status, answer)}")


def _applied(conditions: list[dict]) -> bool:
    return any(c.get("type") == CONDITION_APPLIED and c.get("status") == "True" for c in conditions)


def _ready(cluster: dict | None) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in ((cluster or {}).get("status") or {}).get("conditions") or ()
    )


def _reason(status: int, answer: object) -> str:
    if isinstance(answer, dict) and answer.get("message"):
        return f"{answer.get('reason', status)}: {answer['message']}"
    return f"the member answered {status}"
