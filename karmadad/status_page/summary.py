"""What the status page shows, taken from the store's objects: a pure function to a typed summary, and its JSON.

Kept apart from HTTP and HTML so that what is shown — and above all what is *not* shown — is decided in one
place and tested without a server: the summary reads Clusters, ResourceBindings, ClusterResourceBindings and
Events only, and from them only names, placement, conditions, capacity figures and Event texts. It never
reads a template's content (a binding names its template; the template itself is not looked at), a Secret,
a ConfigMap, a token or a kubeconfig, so none of them can reach the page.

The summary depends on the store's state alone (no clock), so the page can reuse it while the store's
revision stays the same; ages are the renderer's business.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from karmadad.api.karmada.names import CPP_NAME, PP_NAME, PP_NAMESPACE
from karmadad.api.karmada.resources import CLUSTER_RESOURCE_BINDINGS, CLUSTERS, RESOURCE_BINDINGS
from karmadad.events import EVENTS, last_written
from karmadad.quantity import parse_quantity
from karmadad.simulation.member import SIMULATED_LABEL

NEWEST_EVENTS = 30  # Events shown: enough to see what just happened, few enough to read on a phone
MOST_TEMPLATES = 200  # templates shown, those not placed first; the totals count them all
SCHEDULING_REASONS = frozenset({"ScheduleBindingSucceed", "ScheduleBindingFailed"})
_BINDING_KINDS = {RESOURCE_BINDINGS: "ResourceBinding", CLUSTER_RESOURCE_BINDINGS: "ClusterResourceBinding"}

PlacementState = Literal["unplaced", "waiting", "deleting", "placed"]
# the order templates are listed in: what needs a look first
_STATE_ORDER: dict[PlacementState, int] = {"unplaced": 0, "waiting": 1, "deleting": 2, "placed": 3}


class ObjectSource(Protocol):
    """What the summary needs of the store: every committed object of a resource (the store's keys)."""

    def list_all(self, resource: str) -> list[dict]: ...


@dataclass(frozen=True)
class Condition:
    status: str  # True, False or Unknown
    reason: str
    message: str
    since: str  # lastTransitionTime, RFC 3339


@dataclass(frozen=True)
class Usage:
    """One resource of a cluster: what its nodes offer to Pods and what Pods bound there request."""

    allocatable: str
    allocated: str
    share: float | None  # allocated / allocatable, when both are known quantities and allocatable > 0


@dataclass(frozen=True)
class ClusterSummary:
    name: str
    ready: Condition | None  # None: not probed yet
    kubernetes_version: str
    nodes_ready: int | None
    nodes_total: int | None
    cpu: Usage
    memory: Usage
    pods: Usage
    taints: tuple[str, ...]  # key[=value]:Effect
    simulated: bool  # served by karmadad itself (no real member configured)
    deleting: bool


@dataclass(frozen=True)
class Target:
    """One cluster a binding places its template on, with what the member reported back."""

    cluster: str
    replicas: int | None
    applied: bool | None  # None: no report from the member yet
    health: str  # Healthy, Unhealthy, Unknown; empty without a report


@dataclass(frozen=True)
class EventSummary:
    type: str
    reason: str
    object_kind: str
    object_namespace: str
    object_name: str
    message: str
    count: int
    last_seen: float | None  # seconds since the epoch, from the Event's newest timestamp


@dataclass(frozen=True)
class TemplateSummary:
    """A resource template that has a binding, and where that binding sends it."""

    api_version: str
    kind: str
    namespace: str
    name: str
    binding_kind: str
    binding_name: str
    policy: str  # namespace/name of the PropagationPolicy, or the ClusterPropagationPolicy's name
    replicas: int | None
    state: PlacementState
    targets: tuple[Target, ...]
    scheduled: Condition | None
    fully_applied: Condition | None
    scheduling_event: EventSummary | None  # the newest ScheduleBinding* Event about the binding


@dataclass(frozen=True)
class StatusSummary:
    revision: int
    clusters: tuple[ClusterSummary, ...]
    templates: tuple[TemplateSummary, ...]  # at most MOST_TEMPLATES, not placed first
    templates_total: int
    templates_unplaced: int
    events: tuple[EventSummary, ...]  # the newest NEWEST_EVENTS, newest first
    events_total: int

    @property
    def clusters_ready(self) -> int:
        return sum(1 for c in self.clusters if c.ready is not None and c.ready.status == "True")


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _condition(obj: dict, kind: str) -> Condition | None:
    for found in (obj.get("status") or {}).get("conditions") or ():
        if isinstance(found, dict) and found.get("type") == kind:
            return Condition(
                status=_text(found.get("status")) or "Unknown",
                reason=_text(found.get("reason")),
                message=_text(found.get("message")),
                since=_text(found.get("lastTransitionTime")),
            )
    return None


def _usage(summary: dict, resource: str) -> Usage:
    allocatable = _text((summary.get("allocatable") or {}).get(resource))
    allocated = _text((summary.get("allocated") or {}).get(resource)) or ("0" if allocatable else "")
    share = None
    try:
        offered = parse_quantity(allocatable) if allocatable else 0.0
        if offered > 0:
            share = parse_quantity(allocated) / offered
    except ValueError:
        share = None
    return Usage(allocatable=allocatable, allocated=allocated, share=share)


def _taint(taint: dict) -> str:
    key, value, effect = _text(taint.get("key")), _text(taint.get("value")), _text(taint.get("effect"))
    return f"{key}={value}:{effect}" if value else f"{key}:{effect}"


def cluster_summary(cluster: dict) -> ClusterSummary:
    meta, spec, status = cluster.get("metadata") or {}, cluster.get("spec") or {}, cluster.get("status") or {}
    nodes = status.get("nodeSummary") or {}
    resources = status.get("resourceSummary") or {}
    return ClusterSummary(
        name=_text(meta.get("name")),
        ready=_condition(cluster, "Ready"),
        kubernetes_version=_text(status.get("kubernetesVersion")),
        nodes_ready=_integer(nodes.get("readyNum")),
        nodes_total=_integer(nodes.get("totalNum")),
        cpu=_usage(resources, "cpu"),
        memory=_usage(resources, "memory"),
        pods=_usage(resources, "pods"),
        taints=tuple(_taint(t) for t in spec.get("taints") or () if isinstance(t, dict)),
        simulated=(meta.get("labels") or {}).get(SIMULATED_LABEL) == "true",
        deleting=bool(meta.get("deletionTimestamp")),
    )


def event_summary(event: dict) -> EventSummary:
    involved = event.get("involvedObject") or {}
    return EventSummary(
        type=_text(event.get("type")),
        reason=_text(event.get("reason")),
        object_kind=_text(involved.get("kind")),
        object_namespace=_text(involved.get("namespace")),
        object_name=_text(involved.get("name")),
        message=_text(event.get("message")),
        count=_integer(event.get("count")) or 1,
        last_seen=last_written(event),
    )


def _written_order(event: dict) -> tuple[float, int]:
    """When an Event was last written; among those of one second (timestamps have no finer grain), the
    store's revision of the write says which came last."""
    revision = str((event.get("metadata") or {}).get("resourceVersion") or "")
    return last_written(event) or 0.0, int(revision) if revision.isdigit() else 0


def _policy(binding: dict) -> str:
    annotations = (binding.get("metadata") or {}).get("annotations") or {}
    if name := _text(annotations.get(PP_NAME)):
        namespace = _text(annotations.get(PP_NAMESPACE))
        return f"{namespace}/{name}" if namespace else name
    return _text(annotations.get(CPP_NAME))


def _targets(binding: dict) -> tuple[Target, ...]:
    reports = {
        _text(item.get("clusterName")): item
        for item in (binding.get("status") or {}).get("aggregatedStatus") or ()
        if isinstance(item, dict)
    }
    targets = []
    for placed in (binding.get("spec") or {}).get("clusters") or ():
        if not isinstance(placed, dict):
            continue
        name = _text(placed.get("name"))
        report = reports.get(name) or {}
        applied = report.get("applied")
        targets.append(
            Target(
                cluster=name,
                replicas=_integer(placed.get("replicas")),
                applied=applied if isinstance(applied, bool) else None,
                health=_text(report.get("health")),
            )
        )
    return tuple(targets)


def placement_state(binding: dict, scheduled: Condition | None) -> PlacementState:
    """``deleting``, else what the scheduler said: ``placed`` (Scheduled True), ``unplaced`` (Scheduled
    False: it tried and nothing, or not enough, fitted), ``waiting`` (it has not decided yet)."""
    if (binding.get("metadata") or {}).get("deletionTimestamp"):
        return "deleting"
    if scheduled is None or scheduled.status == "Unknown":
        return "waiting"
    return "placed" if scheduled.status == "True" else "unplaced"


def template_summary(resource: str, binding: dict, scheduling_event: dict | None) -> TemplateSummary:
    meta, spec = binding.get("metadata") or {}, binding.get("spec") or {}
    template = spec.get("resource") or {}
    scheduled = _condition(binding, "Scheduled")
    return TemplateSummary(
        api_version=_text(template.get("apiVersion")),
        kind=_text(template.get("kind")),
        namespace=_text(template.get("namespace")),
        name=_text(template.get("name")),
        binding_kind=_BINDING_KINDS[resource],
        binding_name=_text(meta.get("name")),
        policy=_policy(binding),
        replicas=_integer(spec.get("replicas")),
        state=placement_state(binding, scheduled),
        targets=_targets(binding),
        scheduled=scheduled,
        fully_applied=_condition(binding, "FullyApplied"),
        scheduling_event=event_summary(scheduling_event) if scheduling_event is not None else None,
    )


def _newest_scheduling_events(events: Iterable[dict], uids: set[str]) -> dict[str, dict]:
    """The newest scheduling Event about each object whose uid is in ``uids``."""
    newest: dict[str, tuple[tuple[float, int], dict]] = {}
    for event in events:
        uid = _text((event.get("involvedObject") or {}).get("uid"))
        if uid in uids and event.get("reason") in SCHEDULING_REASONS:
            order = _written_order(event)
            if uid not in newest or order > newest[uid][0]:
                newest[uid] = (order, event)
    return {uid: event for uid, (_, event) in newest.items()}


def _listing_order(binding: dict) -> tuple[int, str, str, str]:
    """Where a binding's template comes in the list: what needs a look first, then by namespace, name, kind.
    Cheap, as it is worked out for every binding; the full summary is made for those shown only."""
    template = (binding.get("spec") or {}).get("resource") or {}
    state = placement_state(binding, _condition(binding, "Scheduled"))
    return (
        _STATE_ORDER[state],
        _text(template.get("namespace")),
        _text(template.get("name")),
        _text(template.get("kind")),
    )


def _uid(obj: dict) -> str:
    return _text((obj.get("metadata") or {}).get("uid"))


def summarize(
    objects: ObjectSource,
    *,
    revision: int,
    newest_events: int = NEWEST_EVENTS,
    most_templates: int = MOST_TEMPLATES,
) -> StatusSummary:
    """The status page's summary of ``objects`` (the store at ``revision``)."""
    clusters = sorted((cluster_summary(c) for c in objects.list_all(CLUSTERS)), key=lambda c: c.name)
    bindings = [
        (_listing_order(binding), resource, binding)
        for resource in (RESOURCE_BINDINGS, CLUSTER_RESOURCE_BINDINGS)
        for binding in objects.list_all(resource)
    ]
    bindings.sort(key=lambda listed: listed[0])
    shown = bindings[:most_templates]
    events = objects.list_all(EVENTS)
    scheduling_events = _newest_scheduling_events(events, {_uid(binding) for _, _, binding in shown} - {""})
    templates = [
        template_summary(resource, binding, scheduling_events.get(_uid(binding)))
        for _, resource, binding in shown
    ]
    unplaced = _STATE_ORDER["unplaced"]
    return StatusSummary(
        revision=revision,
        clusters=tuple(clusters),
        templates=tuple(templates),
        templates_total=len(bindings),
        templates_unplaced=sum(1 for order, _, _ in bindings if order[0] == unplaced),
        events=tuple(event_summary(e) for e in heapq.nlargest(newest_events, events, key=_written_order)),
        events_total=len(events),
    )


_WORD_START = re.compile(r"_([a-z])")


def _camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {_WORD_START.sub(lambda m: m.group(1).upper(), k): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_camel_keys(v) for v in value]
    return value


def summary_json(summary: StatusSummary) -> dict:
    """The summary as JSON, with camelCase keys as Kubernetes objects spell theirs (``/status.json``)."""
    return _camel_keys({**asdict(summary), "clusters_ready": summary.clusters_ready})
