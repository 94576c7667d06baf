"""A workload's status, brought from its member copies back to its template (Karmada's ``ReflectStatus`` and
``AggregateStatus``).

Users and tools (``kubectl rollout status``, Argo CD) read the template in the control plane, so its
``.status`` must say what all members together are doing. It travels in two steps:

1. :func:`reflect_status` picks from a member's object what the Work records in
   ``status.manifestStatuses[].status`` (``default/native/reflectstatus.go``). Deployments, ReplicaSets,
   StatefulSets and DaemonSets carry their counters plus the member object's ``generation`` and the
   ``resourcetemplate.karmada.io/generation`` annotation Karmada stamped on it
   (``resourceTemplateGeneration``), so aggregation can tell which template revision the member runs.
   A LoadBalancer Service carries its load balancer, a Job its counts, conditions and times, a PDB and an
   HPA their counts; other kinds their whole ``.status``.
2. :func:`aggregate_status` folds the binding's ``aggregatedStatus`` items (one per cluster) into the
   template (``default/native/aggregatestatus.go``): counters are summed; the template's
   ``observedGeneration`` becomes its ``generation`` only when every item's member has observed its own
   generation and runs at least the template's generation (an item still without status blocks it) —
   otherwise it stays where it was; load balancer ingresses are merged, deduplicated and sorted; a Job
   is Complete when every member completed, Failed when any failed, and once finished never changes;
   phases (Pod, PV, PVC) take the worst member's.

Karmada's quirks are kept: a StatefulSet's reflected status has no ``observedGeneration`` and its rule
compares the member's template generation with the member's own generation, so with members the
StatefulSet's ``observedGeneration`` stays where it was. Fields come out as Karmada's typed structs write
them: zero counters left out unless the Kubernetes type always writes them. Reflected statuses are plain
dicts; an HPA's always-null ``currentMetrics`` is left out.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from karmadad.api.karmada.names import TEMPLATE_GENERATION
from karmadad.interpreter.fields import (
    Malformed,
    as_int,
    as_list,
    as_map,
    as_str,
    at,
    format_time,
    int_at,
    list_at,
    map_at,
    parse_time,
    str_at,
    type_key,
)
from karmadad.jsonvalue import json_copy

_INT64 = re.compile(r"[+-]?[0-9]+")


# --------------------------------------------------------------------------- shared


def _pick(status: dict, fields: Iterable[str], always: frozenset[str] = frozenset()) -> dict:
    """The integer ``fields`` of ``status``, zero ones left out unless listed in ``always``."""
    picked = {}
    for field in fields:
        value = as_int(status.get(field), field)
        if value or field in always:
            picked[field] = value
    return picked


def _template_generation(obj: dict) -> int:
    """The ``resourcetemplate.karmada.io/generation`` annotation; absent or empty is 0."""
    value = as_str(map_at(obj, "metadata", "annotations").get(TEMPLATE_GENERATION), TEMPLATE_GENERATION)
    if not value:
        return 0
    if not _INT64.fullmatch(value):
        raise Malformed(f"{TEMPLATE_GENERATION}: {value!r} is not an integer")
    return int(value)


def _status_of(obj: dict) -> dict | None:
    """``.status`` when present; present but not an object is malformed."""
    status = obj.get("status")
    if status is None:
        return None
    return as_map(status, "status")


# --------------------------------------------------------------------------- reflect

_DEPLOYMENT = ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas")
_REPLICA_SET = ("replicas", "readyReplicas", "availableReplicas")
_STATEFUL_SET = ("availableReplicas", "currentReplicas", "readyReplicas", "replicas", "updatedReplicas")
_DAEMON_SET = (
    "currentNumberScheduled",
    "desiredNumberScheduled",
    "numberAvailable",
    "numberMisscheduled",
    "numberReady",
    "updatedNumberScheduled",
    "numberUnavailable",
)
# counters the Kubernetes types always write, zero or not
_REPLICA_SET_ALWAYS = frozenset({"replicas"})
_STATEFUL_SET_ALWAYS = frozenset({"replicas", "availableReplicas"})
_DAEMON_SET_ALWAYS = frozenset(
    {"currentNumberScheduled", "desiredNumberScheduled", "numberMisscheduled", "numberReady"}
)
_PDB = ("disruptionsAllowed", "expectedPods", "desiredHealthy", "currentHealthy")


def _federated(obj: dict, status: dict, fields: tuple[str, ...], always: frozenset[str]) -> dict:
    """A workload's counters with the member object's generation and the template generation it runs."""
    reflected = _pick(
        {
            "generation": at(obj, "metadata", "generation"),
            "resourceTemplateGeneration": _template_generation(obj),
        },
        ("generation", "resourceTemplateGeneration"),
    )
    reflected.update(_pick(status, fields, always))
    return reflected


def _reflect_deployment(obj: dict) -> dict | None:
    status = _status_of(obj)
    if status is None:
        return None
    reflected = _federated(obj, status, (*_DEPLOYMENT, "observedGeneration"), frozenset())
    return reflected or None  # nothing at all: the member has not reported yet


def _reflect_replica_set(obj: dict) -> dict | None:
    status = _status_of(obj)
    if status is None:
        return None
    return _federated(obj, status, (*_REPLICA_SET, "observedGeneration"), _REPLICA_SET_ALWAYS)


def _reflect_stateful_set(obj: dict) -> dict | None:
    status = _status_of(obj)
    if status is None:
        return None
    return _federated(obj, status, _STATEFUL_SET, _STATEFUL_SET_ALWAYS)


def _reflect_daemon_set(obj: dict) -> dict | None:
    status = _status_of(obj)
    if status is None:
        return None
    return _federated(obj, status, (*_DAEMON_SET, "observedGeneration"), _DAEMON_SET_ALWAYS)


def _load_balancer(value: object) -> dict:
    """A load balancer status with only its non-empty ``ingress``."""
    ingress = as_list(as_map(value, "loadBalancer").get("ingress"), "loadBalancer.ingress")
    return {"ingress": json_copy(ingress)} if ingress else {}


def _reflect_service(obj: dict) -> dict | None:
    kind = map_at(obj, "spec").get("type")
    if not isinstance(kind, str) or kind != "LoadBalancer":
        return None
    status = _status_of(obj)
    if status is None:
        return None
    return {"loadBalancer": _load_balancer(status.get("loadBalancer"))}


def _reflect_job(obj: dict) -> dict | None:
    status = _status_of(obj)
    if status is None:
        return None
    reflected = _pick(status, ("active", "succeeded", "failed"))
    if conditions := as_list(status.get("conditions"), "conditions"):
        reflected["conditions"] = json_copy(conditions)
    for field in ("startTime", "completionTime"):
        if status.get(field) is not None:
            reflected[field] = status[field]
    return reflected


def _reflect_disruption_budget(obj: dict) -> dict | None:
    status = _status_of(obj)
    if status is None:
        return None
    reflected = _pick(status, _PDB, frozenset(_PDB))
    if disrupted := as_map(status.get("disruptedPods"), "disruptedPods"):
        reflected["disruptedPods"] = dict(disrupted)
    return reflected


def _reflect_autoscaler(obj: dict) -> dict | None:
    status = _status_of(obj)
    if status is None:
        return None
    return _pick(status, ("currentReplicas", "desiredReplicas"), frozenset({"desiredReplicas"}))


def _reflect_whole(obj: dict) -> dict | None:
    status = _status_of(obj)
    return None if status is None else json_copy(status)


_REFLECTORS: dict[tuple[str, str], Callable[[dict], dict | None]] = {
    ("apps/v1", "Deployment"): _reflect_deployment,
    ("apps/v1", "ReplicaSet"): _reflect_replica_set,
    ("apps/v1", "StatefulSet"): _reflect_stateful_set,
    ("apps/v1", "DaemonSet"): _reflect_daemon_set,
    ("v1", "Service"): _reflect_service,
    ("networking.k8s.io/v1", "Ingress"): _reflect_whole,
    ("batch/v1", "Job"): _reflect_job,
    ("policy/v1", "PodDisruptionBudget"): _reflect_disruption_budget,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): _reflect_autoscaler,
}


def reflect_status(obj: dict) -> dict | None:
    """What a Work records of a member's object as its status; None when there is nothing to record.
    Raises :class:`~karmadad.interpreter.fields.Malformed` (a ValueError) when the object cannot be read
    as its kind, e.g. a generation annotation that is not a number."""
    reflector = _REFLECTORS.get(type_key(obj), _reflect_whole)
    return reflector(obj)


# --------------------------------------------------------------------------- aggregate


def _statuses(items: list[dict]) -> Iterable[tuple[str, dict]]:
    """(cluster, status) of the items that have a status."""
    for item in items:
        status = item.get("status")
        if status is not None:
            yield str(item.get("clusterName") or ""), as_map(status, "aggregatedStatus[].status")


def _with_status(template: dict, status: dict) -> dict:
    return {**template, "status": status}


def _summed(
    template: dict,
    items: list[dict],
    fields: tuple[str, ...],
    always: frozenset[str],
    *,
    against_member: bool = False,
    strict: bool = False,
) -> dict:
    """Deployment, ReplicaSet, StatefulSet, DaemonSet: counters summed, observedGeneration by Karmada's rule.
    ``against_member``: StatefulSet's rule (template generation compared with the member's own);
    ``strict``: DaemonSet's (any other status field makes the status count as changed)."""
    generation = int_at(template, "metadata", "generation")
    old = map_at(template, "status")
    sums = dict.fromkeys(fields, 0)
    current = 0
    for _, status in _statuses(items):
        member_generation = int_at(status, "generation")
        wanted = member_generation if against_member else generation
        if (
            int_at(status, "observedGeneration") >= member_generation
            and int_at(status, "resourceTemplateGeneration") >= wanted
        ):
            current += 1
        for field in fields:
            sums[field] += int_at(status, field)
    observed = generation if current == len(items) else int_at(old, "observedGeneration")
    new = {**sums, "observedGeneration": observed}
    unchanged = all(int_at(old, field) == value for field, value in new.items())
    if strict:
        unchanged = unchanged and all(old.get(key) is None for key in old if key not in new)
    if unchanged:
        return dict(template)
    status = json_copy(old)
    for field, value in new.items():
        if value or field in always:
            status[field] = value
        else:
            status.pop(field, None)
    return _with_status(template, status)


def _deployment(template: dict, items: list[dict], now: str) -> dict:
    return _summed(template, items, _DEPLOYMENT, frozenset())


def _replica_set(template: dict, items: list[dict], now: str) -> dict:
    return _summed(template, items, _REPLICA_SET, _REPLICA_SET_ALWAYS)


def _stateful_set(template: dict, items: list[dict], now: str) -> dict:
    return _summed(template, items, _STATEFUL_SET, _STATEFUL_SET_ALWAYS, against_member=True)


def _daemon_set(template: dict, items: list[dict], now: str) -> dict:
    return _summed(template, items, _DAEMON_SET, _DAEMON_SET_ALWAYS, strict=True)


def _ports(entries: Iterable[dict]) -> list[dict]:
    """Distinct port statuses sorted by port, protocol, then error (none first)."""
    seen: dict[tuple, dict] = {}
    for entry in entries:
        entry = as_map(entry, "ports[]")
        port = {"port": int_at(entry, "port"), "protocol": str_at(entry, "protocol")}
        if entry.get("error") is not None:
            port["error"] = str_at(entry, "error")
        seen[(port["port"], port["protocol"], port.get("error"))] = port
    return sorted(seen.values(), key=lambda p: (p["port"], p["protocol"], "error" in p, p.get("error", "")))


def _merged_ingress(statuses: Iterable[dict], with_mode: bool) -> list[dict]:
    """Load balancer ingresses of all members: one per (hostname, ip[, ipMode]) with their ports merged,
    those with a hostname first (by hostname), then by ip, then by ipMode (none last)."""
    merged: dict[tuple, list] = {}
    for status in statuses:
        for ingress in list_at(status, "loadBalancer", "ingress"):
            ingress = as_map(ingress, "loadBalancer.ingress[]")
            key = (
                str_at(ingress, "hostname"),
                str_at(ingress, "ip"),
                str_at(ingress, "ipMode") if with_mode and ingress.get("ipMode") is not None else None,
            )
            merged.setdefault(key, []).extend(list_at(ingress, "ports"))
    out = []
    for (hostname, ip, mode), ports in merged.items():
        entry: dict = {}
        if ip:
            entry["ip"] = ip
        if hostname:
            entry["hostname"] = hostname
        if mode is not None:
            entry["ipMode"] = mode
        if merged_ports := _ports(ports):
            entry["ports"] = merged_ports
        out.append(((hostname == "", hostname, ip, mode is None, mode or ""), entry))
    return [entry for _, entry in sorted(out, key=lambda pair: pair[0])]


def _service(template: dict, items: list[dict], now: str) -> dict:
    if str_at(template, "spec", "type") != "LoadBalancer":
        return dict(template)
    ingress = _merged_ingress((s for _, s in _statuses(items)), with_mode=True)
    status = {"loadBalancer": {"ingress": ingress} if ingress else {}}
    return dict(template) if map_at(template, "status") == status else _with_status(template, status)


def _ingress(template: dict, items: list[dict], now: str) -> dict:
    ingress = _merged_ingress((s for _, s in _statuses(items)), with_mode=False)
    status = {"loadBalancer": {"ingress": ingress} if ingress else {}}
    return dict(template) if map_at(template, "status") == status else _with_status(template, status)


def _finished(status: dict) -> str:
    """``Complete`` or ``Failed`` when a Job's status says it finished, else ""."""
    for condition in list_at(status, "conditions"):
        kind = str_at(condition, "type")
        if kind in ("Complete", "Failed") and str_at(condition, "status") == "True":
            return kind
    return ""


def _condition(kind: str, reason: str, message: str, now: str) -> dict:
    return {
        "type": kind,
        "status": "True",
        "lastProbeTime": now,
        "lastTransitionTime": now,
        "reason": reason,
        "message": message,
    }


def _job(template: dict, items: list[dict], now: str) -> dict:
    old = map_at(template, "status")
    if _finished(old):  # a finished Job's status never changes again
        return dict(template)
    sums = dict.fromkeys(("active", "succeeded", "failed"), 0)
    failed: list[str] = []
    succeeded = criteria_met = started = completed = 0
    start: datetime.datetime | None = None
    start_text = completion_text = None
    completion: datetime.datetime | None = None
    for cluster, status in _statuses(items):
        for field in sums:
            sums[field] += int_at(status, field)
        finished = _finished(status)
        if finished == "Complete":
            succeeded += 1
        elif finished == "Failed":
            failed.append(cluster)
        if any(
            str_at(c, "type") == "SuccessCriteriaMet" and str_at(c, "status") == "True"
            for c in list_at(status, "conditions")
        ):
            criteria_met += 1
        member_start = parse_time(status.get("startTime"), "startTime")
        if member_start is not None:
            started += 1
            if start is None or member_start < start:
                start, start_text = member_start, format_time(member_start)
        member_completion = parse_time(status.get("completionTime"), "completionTime")
        if member_completion is not None:
            completed += 1
            if completion is None or completion < member_completion:
                completion, completion_text = member_completion, format_time(member_completion)
    new = _pick(sums, sums)
    conditions = []
    if failed:
        message = f"Job executed failed in member clusters {','.join(failed)}"
        conditions.append(_condition("Failed", "JobFailed", message, now))
    if succeeded == len(items) and succeeded > 0:
        conditions.append(_condition("Complete", "Completed", "Job completed", now))
        if criteria_met == len(items):
            message = "All member clusters have met success criteria"
            conditions.append(_condition("SuccessCriteriaMet", "CompletionsReached", message, now))
    if conditions:
        new["conditions"] = conditions
    if old.get("startTime") is not None:
        new["startTime"] = old["startTime"]
    elif started == len(items) and started > 0:
        new["startTime"] = start_text
    if completion_text is not None and completed == len(items):
        new["completionTime"] = completion_text
    return dict(template) if old == new else _with_status(template, new)


def _latest(current: datetime.datetime | None, text: object, what: str) -> datetime.datetime | None:
    moment = parse_time(text, what)
    if moment is None:
        return current
    return moment if current is None or current < moment else current


def _cron_job(template: dict, items: list[dict], now: str) -> dict:
    active: list = []
    scheduled: datetime.datetime | None = None
    successful: datetime.datetime | None = None
    for _, status in _statuses(items):
        active.extend(json_copy(list_at(status, "active")))
        scheduled = _latest(scheduled, status.get("lastScheduleTime"), "lastScheduleTime")
        successful = _latest(successful, status.get("lastSuccessfulTime"), "lastSuccessfulTime")
    new: dict = {}
    if active:
        new["active"] = active
    if scheduled is not None:
        new["lastScheduleTime"] = format_time(scheduled)
    if successful is not None:
        new["lastSuccessfulTime"] = format_time(successful)
    old = map_at(template, "status")
    return dict(template) if old == new else _with_status(template, new)


def _container(status: dict) -> dict:
    """The part of a member's container status the aggregate keeps, as the typed struct writes it."""
    return {
        "name": "",
        "state": json_copy(as_map(status.get("state"), "state")),
        "lastState": {},
        "ready": bool(status.get("ready")),
        "restartCount": 0,
        "image": "",
        "imageID": "",
    }


def _worst(phases: set[str], order: tuple[str, ...]) -> str:
    return next((phase for phase in order if phase in phases), "")


def _pod(template: dict, items: list[dict], now: str) -> dict:
    if not items:
        return dict(template)
    phases: set[str] = set()
    containers: list[dict] = []
    init_containers: list[dict] = []
    for item in items:
        if item.get("status") is None:  # not collected yet: counts as pending
            phases.add("Pending")
            continue
        status = as_map(item["status"], "aggregatedStatus[].status")
        phases.add(str_at(status, "phase"))
        containers.extend(_container(as_map(c)) for c in list_at(status, "containerStatuses"))
        init_containers.extend(_container(as_map(c)) for c in list_at(status, "initContainerStatuses"))
    new: dict = {}
    if phase := _worst(phases, ("Failed", "Pending", "Running", "Succeeded")):
        new["phase"] = phase
    if init_containers:
        new["initContainerStatuses"] = init_containers
    if containers:
        new["containerStatuses"] = containers
    old = map_at(template, "status")
    return dict(template) if old == new else _with_status(template, new)


def _persistent_volume(template: dict, items: list[dict], now: str) -> dict:
    phases = {
        "Pending" if item.get("status") is None else str_at(as_map(item["status"]), "phase") for item in items
    }
    phase = _worst(phases, ("Failed", "Pending", "Available", "Bound", "Released"))
    new = {"phase": phase} if phase else {}
    old = map_at(template, "status")
    return dict(template) if old == new else _with_status(template, new)


def _persistent_volume_claim(template: dict, items: list[dict], now: str) -> dict:
    phase = "Bound"
    for _, status in _statuses(items):
        member = str_at(status, "phase")
        if member == "Lost":
            phase = "Lost"
            break
        if member != "Bound":
            phase = member
    new = {"phase": phase} if phase else {}
    old = map_at(template, "status")
    return dict(template) if old == new else _with_status(template, new)


def _disruption_budget(template: dict, items: list[dict], now: str) -> dict:
    sums = dict.fromkeys(("currentHealthy", "desiredHealthy", "expectedPods", "disruptionsAllowed"), 0)
    disrupted: dict = {}
    for cluster, status in _statuses(items):
        for field in sums:
            sums[field] += int_at(status, field)
        for pod, when in map_at(status, "disruptedPods").items():
            disrupted[f"{cluster}/{pod}"] = when
    new: dict = dict(sums)
    if disrupted:
        new["disruptedPods"] = disrupted
    old = map_at(template, "status")
    return dict(template) if old == new else _with_status(template, new)


def _autoscaler(template: dict, items: list[dict], now: str) -> dict:
    sums = dict.fromkeys(("currentReplicas", "desiredReplicas"), 0)
    for _, status in _statuses(items):
        for field in sums:
            sums[field] += int_at(status, field)
    new = _pick(sums, sums, frozenset({"desiredReplicas"}))
    old = map_at(template, "status")
    return dict(template) if old == new else _with_status(template, new)


_AGGREGATORS: dict[tuple[str, str], Callable[[dict, list[dict], str], dict]] = {
    ("apps/v1", "Deployment"): _deployment,
    ("apps/v1", "ReplicaSet"): _replica_set,
    ("apps/v1", "StatefulSet"): _stateful_set,
    ("apps/v1", "DaemonSet"): _daemon_set,
    ("v1", "Service"): _service,
    ("networking.k8s.io/v1", "Ingress"): _ingress,
    ("batch/v1", "Job"): _job,
    ("batch/v1", "CronJob"): _cron_job,
    ("v1", "Pod"): _pod,
    ("v1", "PersistentVolume"): _persistent_volume,
    ("v1", "PersistentVolumeClaim"): _persistent_volume_claim,
    ("policy/v1", "PodDisruptionBudget"): _disruption_budget,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): _autoscaler,
}


def has_aggregate_rule(obj: dict) -> bool:
    """Whether Karmada aggregates status into templates of this apiVersion and kind."""
    return (obj.get("apiVersion"), obj.get("kind")) in _AGGREGATORS


def aggregate_status(template: dict, items: Sequence[Mapping[str, Any]], now: str | None = None) -> dict:
    """``template`` with its ``.status`` aggregated from the binding's ``aggregatedStatus`` items
    (``{clusterName, status, applied, health}``); the template's other fields are shared, not copied
    (read-only, as every cached object), and it is returned as it was when nothing changes or the kind
    has no rule. ``now`` (RFC 3339) stamps the Job conditions this adds; the current time by default.
    Raises :class:`~karmadad.interpreter.fields.Malformed` (a ValueError) for unreadable input."""
    aggregator = _AGGREGATORS.get(type_key(template))
    if aggregator is None:
        return dict(template)
    moment = now or format_time(datetime.datetime.now(datetime.UTC))
    return aggregator(template, [dict(item) for item in items], moment)
