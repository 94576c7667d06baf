"""HorizontalPodAutoscalers served as ``autoscaling/v1`` and stored as ``autoscaling/v2``, converted as
kube-apiserver converts them.

Why: kubectl (``kubectl autoscale``, ``kubectl get hpa.v1.autoscaling``) and older clients still use v1,
while Karmada's controllers, interpreter and the members read and write v2; one stored form keeps every
reader consistent. v1 has one metric of its own, a target CPU utilization: the first Resource ``cpu``
metric with an ``averageUtilization`` target. Everything else v2 holds travels in annotations, in the
formats kube-apiserver writes (the old v2beta1-shaped metrics, and the behavior as Go writes the internal
type, with Go's field names), so that a v1 client that reads, edits and writes back an object loses
nothing:

- ``autoscaling.alpha.kubernetes.io/metrics``: the other metrics,
- ``autoscaling.alpha.kubernetes.io/behavior``: the scaling behavior,
- ``autoscaling.alpha.kubernetes.io/current-metrics`` and ``.../conditions``: the status v1 cannot hold.

Reading them back ignores one that does not parse, as kube-apiserver does; a v1 object without metrics
gets kube-apiserver's default, 80% CPU. Objects are JSON values; fields absent stay absent.

:class:`VersionView` is the hook: the store as a resource served in a version other than its storage
version sees it, so that every verb of the API (get, list, watch, create, update, patch, apply, delete)
converts on the way in and on the way out.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from functools import partial
from typing import Any

from karmadad.api import crd_schemas
from karmadad.api.registry import ResourceType
from karmadad.store.watch import WatchEvent

METRICS = "autoscaling.alpha.kubernetes.io/metrics"
BEHAVIOR = "autoscaling.alpha.kubernetes.io/behavior"
CURRENT_METRICS = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS = "autoscaling.alpha.kubernetes.io/conditions"
# Every annotation a conversion writes or reads; none of them survives into either stored form.
ROUND_TRIP = (
    METRICS,
    BEHAVIOR,
    CURRENT_METRICS,
    CONDITIONS,
    "autoscaling.alpha.kubernetes.io/scale-down-tolerance",
    "autoscaling.alpha.kubernetes.io/scale-up-tolerance",
)
V1, V2 = "autoscaling/v1", "autoscaling/v2"
DEFAULT_CPU_UTILIZATION = 80


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _pick(source: dict, *keys: str) -> dict:
    """The ``keys`` ``source`` has, in that order (Go's struct order, which kube-apiserver writes)."""
    return {key: source[key] for key in keys if source.get(key) is not None}


def go_json(value: Any) -> str:
    """JSON as Go's ``json.Marshal`` writes it: compact, non-ASCII as is, ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _reference(ref: Any) -> dict:
    """A CrossVersionObjectReference: kind and name always, apiVersion when set."""
    ref = _dict(ref)
    return {"kind": ref.get("kind", ""), "name": ref.get("name", ""), **_pick(ref, "apiVersion")}


def cpu_utilization(utilization: Any) -> dict:
    """A v2 metric with an average CPU utilization target: what v1's one target is."""
    target = {"type": "Utilization", "averageUtilization": utilization}
    return {"type": "Resource", "resource": {"name": "cpu", "target": target}}


def _is_cpu_utilization(metric: dict) -> bool:
    resource = metric.get("resource")
    return (
        metric.get("type") == "Resource"
        and isinstance(resource, dict)
        and resource.get("name") == "cpu"
        and _dict(resource.get("target")).get("averageUtilization") is not None
    )


# --------------------------------------------------------------------------- metrics, v2 → v1


def _metric_to_v1(metric: dict) -> dict:
    """A v2 MetricSpec as v1's (v2beta1-shaped) MetricSpec."""
    kind = metric.get("type", "")
    out: dict[str, Any] = {"type": kind}
    if isinstance(source := metric.get("object"), dict):
        target, identifier = _dict(source.get("target")), _dict(source.get("metric"))
        out["object"] = {
            "target": _reference(source.get("describedObject")),
            "metricName": identifier.get("name", ""),
            "targetValue": target.get("value", "0"),
            **_pick(identifier, "selector"),
            **_pick(target, "averageValue"),
        }
    if isinstance(source := metric.get("pods"), dict):
        target, identifier = _dict(source.get("target")), _dict(source.get("metric"))
        out["pods"] = {
            "metricName": identifier.get("name", ""),
            "targetAverageValue": target.get("averageValue", "0"),
            **_pick(identifier, "selector"),
        }
    for key in ("resource", "containerResource"):
        if isinstance(source := metric.get(key), dict):
            target = _dict(source.get("target"))
            out[key] = {
                "name": source.get("name", ""),
                **_rename(
                    target, averageUtilization="targetAverageUtilization", averageValue="targetAverageValue"
                ),
                **({"container": source.get("container", "")} if key == "containerResource" else {}),
            }
    if isinstance(source := metric.get("external"), dict):
        target, identifier = _dict(source.get("target")), _dict(source.get("metric"))
        out["external"] = {
            "metricName": identifier.get("name", ""),
            **_rename(identifier, selector="metricSelector"),
            **_rename(target, value="targetValue", averageValue="targetAverageValue"),
        }
    return out


def _rename(source: dict, **names: str) -> dict:
    """The fields of ``source`` named in ``names`` (in that order) under their new names."""
    return {new: source[old] for old, new in names.items() if source.get(old) is not None}


def _metric_status_to_v1(metric: dict) -> dict:
    """A v2 MetricStatus as v1's."""
    out: dict[str, Any] = {"type": metric.get("type", "")}
    if isinstance(source := metric.get("object"), dict):
        current, identifier = _dict(source.get("current")), _dict(source.get("metric"))
        out["object"] = {
            "target": _reference(source.get("describedObject")),
            "metricName": identifier.get("name", ""),
            "currentValue": current.get("value", "0"),
            **_pick(identifier, "selector"),
            **_pick(current, "averageValue"),
        }
    if isinstance(source := metric.get("pods"), dict):
        current, identifier = _dict(source.get("current")), _dict(source.get("metric"))
        out["pods"] = {
            "metricName": identifier.get("name", ""),
            "currentAverageValue": current.get("averageValue", "0"),
            **_pick(identifier, "selector"),
        }
    for key in ("resource", "containerResource"):
        if isinstance(source := metric.get(key), dict):
            current = _dict(source.get("current"))
            out[key] = {
                "name": source.get("name", ""),
                **_rename(current, averageUtilization="currentAverageUtilization"),
                "currentAverageValue": current.get("averageValue", "0"),
                **({"container": source.get("container", "")} if key == "containerResource" else {}),
            }
    if isinstance(source := metric.get("external"), dict):
        current, identifier = _dict(source.get("current")), _dict(source.get("metric"))
        out["external"] = {
            "metricName": identifier.get("name", ""),
            **_rename(identifier, selector="metricSelector"),
            "currentValue": current.get("value", "0"),
            **_rename(current, averageValue="currentAverageValue"),
        }
    return out


# --------------------------------------------------------------------------- metrics, v1 → v2


def _identifier(name: Any, selector: Any) -> dict:
    return {"name": name or "", **({"selector": selector} if selector is not None else {})}


def _metric_to_v2(metric: dict) -> dict:
    """A v1 (annotation) MetricSpec as v2's."""
    out: dict[str, Any] = {"type": metric.get("type", "")}
    if isinstance(source := metric.get("object"), dict):
        value, average = source.get("targetValue", "0"), source.get("averageValue")
        if average is None:
            target = {"type": "Value", "value": value}
        else:
            target = {"type": "AverageValue", **({"value": value} if not _is_zero(value) else {})}
            target["averageValue"] = average
        out["object"] = {
            "describedObject": _reference(source.get("target")),
            "target": target,
            "metric": _identifier(source.get("metricName"), source.get("selector")),
        }
    if isinstance(source := metric.get("pods"), dict):
        out["pods"] = {
            "metric": _identifier(source.get("metricName"), source.get("selector")),
            "target": {"type": "AverageValue", "averageValue": source.get("targetAverageValue", "0")},
        }
    for key in ("resource", "containerResource"):
        if isinstance(source := metric.get(key), dict):
            utilization = source.get("targetAverageUtilization")
            target = {
                "type": "AverageValue" if utilization is None else "Utilization",
                **_rename(
                    source, targetAverageValue="averageValue", targetAverageUtilization="averageUtilization"
                ),
            }
            out[key] = {
                "name": source.get("name", ""),
                "target": target,
                **({"container": source.get("container", "")} if key == "containerResource" else {}),
            }
    if isinstance(source := metric.get("external"), dict):
        value = source.get("targetValue")
        out["external"] = {
            "metric": _identifier(source.get("metricName"), source.get("metricSelector")),
            "target": {
                "type": "AverageValue" if value is None else "Value",
                **_rename(source, targetValue="value", targetAverageValue="averageValue"),
            },
        }
    return out


def _is_zero(quantity: Any) -> bool:
    try:
        return float(str(quantity).rstrip("kmMGTPEiun") or "0") == 0
    except ValueError:
        return False


def _metric_status_to_v2(metric: dict) -> dict:
    """A v1 (annotation) MetricStatus as v2's."""
    out: dict[str, Any] = {"type": metric.get("type", "")}
    if isinstance(source := metric.get("object"), dict):
        out["object"] = {
            "metric": _identifier(source.get("metricName"), source.get("selector")),
            "current": {"value": source.get("currentValue", "0"), **_pick(source, "averageValue")},
            "describedObject": _reference(source.get("target")),
        }
    if isinstance(source := metric.get("pods"), dict):
        out["pods"] = {
            "metric": _identifier(source.get("metricName"), source.get("selector")),
            "current": {"averageValue": source.get("currentAverageValue", "0")},
        }
    for key in ("resource", "containerResource"):
        if isinstance(source := metric.get(key), dict):
            current = {
                "averageValue": source.get("currentAverageValue", "0"),
                **_rename(source, currentAverageUtilization="averageUtilization"),
            }
            out[key] = {
                "name": source.get("name", ""),
                "current": current,
                **({"container": source.get("container", "")} if key == "containerResource" else {}),
            }
    if isinstance(source := metric.get("external"), dict):
        out["external"] = {
            "metric": _identifier(source.get("metricName"), source.get("metricSelector")),
            "current": {
                "value": source.get("currentValue", "0"),
                **_rename(source, currentAverageValue="averageValue"),
            },
        }
    return out


# --------------------------------------------------------------------------- behavior

_RULE_FIELDS = (
    ("stabilizationWindowSeconds", "StabilizationWindowSeconds"),
    ("selectPolicy", "SelectPolicy"),
    ("policies", "Policies"),
    ("tolerance", "Tolerance"),
)
_POLICY_FIELDS = (("type", "Type", ""), ("value", "Value", 0), ("periodSeconds", "PeriodSeconds", 0))


def _behavior_to_go(behavior: dict) -> dict:
    """The behavior as Go marshals kube's internal type: Go's field names, absent fields as null."""

    def rules(value: Any) -> dict | None:
        if not isinstance(value, dict):
            return None
        out: dict[str, Any] = {go: value.get(field) for field, go in _RULE_FIELDS}
        if isinstance(out["Policies"], list):
            out["Policies"] = [
                {go: p.get(field, default) for field, go, default in _POLICY_FIELDS}
                for p in _dicts(out["Policies"])
            ]
        return out

    return {"ScaleUp": rules(behavior.get("scaleUp")), "ScaleDown": rules(behavior.get("scaleDown"))}


def _fold(value: Any) -> dict:
    """An object's keys matched as Go's JSON decoder matches field names: case-insensitively."""
    return {str(key).lower(): item for key, item in value.items()} if isinstance(value, dict) else {}


def _behavior_from_go(decoded: Any) -> dict | None:
    """The annotation's behavior in v2 form; None when it says nothing (kube-apiserver then sets none)."""

    def rules(value: Any) -> dict | None:
        if not isinstance(value, dict):
            return None
        folded = _fold(value)
        out = {
            field: folded[field.lower()] for field, _ in _RULE_FIELDS if folded.get(field.lower()) is not None
        }
        if isinstance(out.get("policies"), list):
            out["policies"] = [
                {field: _fold(p).get(field.lower(), default) for field, _, default in _POLICY_FIELDS}
                for p in _dicts(out["policies"])
            ]
        return out

    folded = _fold(decoded)
    behavior = {
        key: found
        for key in ("scaleUp", "scaleDown")
        if (found := rules(folded.get(key.lower()))) is not None
    }
    return behavior or None


# --------------------------------------------------------------------------- whole objects


def _decoded_list(annotations: dict, key: str) -> list[dict] | None:
    """A JSON list annotation, or None when absent or unparsable (ignored, as kube-apiserver does)."""
    try:
        value = json.loads(annotations[key])
    except (KeyError, TypeError, ValueError):
        return None
    return _dicts(value) if isinstance(value, list) else None


def to_v1(hpa: dict) -> dict:
    """A stored (v2) HorizontalPodAutoscaler as autoscaling/v1 serves it (a new dict)."""
    meta = dict(_dict(hpa.get("metadata")))
    annotations = {k: v for k, v in _dict(meta.get("annotations")).items() if k not in ROUND_TRIP}
    out: dict[str, Any] = {**hpa, "apiVersion": V1}
    if isinstance(spec := hpa.get("spec"), dict):
        metrics = _dicts(spec.get("metrics"))
        v1_spec = _pick(spec, "scaleTargetRef", "minReplicas", "maxReplicas")
        if "scaleTargetRef" in v1_spec:
            v1_spec["scaleTargetRef"] = _reference(v1_spec["scaleTargetRef"])
        cpu = next((m for m in metrics if _is_cpu_utilization(m)), None)
        if cpu is not None:
            v1_spec["targetCPUUtilizationPercentage"] = cpu["resource"]["target"]["averageUtilization"]
        out["spec"] = v1_spec
        if others := [_metric_to_v1(m) for m in metrics if not _is_cpu_utilization(m)]:
            annotations[METRICS] = go_json(others)
        if isinstance(spec.get("behavior"), dict):
            annotations[BEHAVIOR] = go_json(_behavior_to_go(spec["behavior"]))
    if isinstance(status := hpa.get("status"), dict):
        current = _dicts(status.get("currentMetrics"))
        v1_status = {
            **_pick(status, "observedGeneration", "lastScaleTime"),
            "currentReplicas": status.get("currentReplicas", 0),
            "desiredReplicas": status.get("desiredReplicas", 0),
        }
        for metric in current:  # the last CPU one wins, as in kube-apiserver
            utilization = _dict(_dict(metric.get("resource")).get("current")).get("averageUtilization")
            if (
                utilization is not None
                and metric.get("type") == "Resource"
                and metric["resource"].get("name") == "cpu"
            ):
                v1_status["currentCPUUtilizationPercentage"] = utilization
        out["status"] = v1_status
        if current:
            annotations[CURRENT_METRICS] = go_json([_metric_status_to_v1(m) for m in current])
        if conditions := _dicts(status.get("conditions")):
            fields = ("type", "status", "lastTransitionTime", "reason", "message")
            annotations[CONDITIONS] = go_json([_pick(c, *fields) for c in conditions])
    _set_annotations(meta, annotations)
    out["metadata"] = meta
    return out


def to_v2(hpa: dict) -> dict:
    """An autoscaling/v1 HorizontalPodAutoscaler in the stored (v2) form (a new dict)."""
    meta = dict(_dict(hpa.get("metadata")))
    annotations = _dict(meta.get("annotations"))
    out: dict[str, Any] = {**hpa, "apiVersion": V2}
    spec = _dict(hpa.get("spec"))
    v2_spec = _pick(spec, "scaleTargetRef", "minReplicas", "maxReplicas")
    if "scaleTargetRef" in v2_spec:
        v2_spec["scaleTargetRef"] = _reference(v2_spec["scaleTargetRef"])
    metrics = [_metric_to_v2(m) for m in _decoded_list(annotations, METRICS) or ()]
    cpu = spec.get("targetCPUUtilizationPercentage")
    if cpu is not None or not metrics:
        metrics.append(cpu_utilization(DEFAULT_CPU_UTILIZATION if cpu is None else cpu))
    v2_spec["metrics"] = metrics
    try:
        behavior = _behavior_from_go(json.loads(annotations[BEHAVIOR]))
    except (KeyError, TypeError, ValueError):
        behavior = None
    if behavior is not None:
        v2_spec["behavior"] = behavior
    out["spec"] = v2_spec
    if isinstance(status := hpa.get("status"), dict):
        v2_status = _pick(status, "observedGeneration", "lastScaleTime", "currentReplicas", "desiredReplicas")
        current = _decoded_list(annotations, CURRENT_METRICS)
        if current is not None:
            v2_status["currentMetrics"] = [_metric_status_to_v2(m) for m in current]
        elif (utilization := status.get("currentCPUUtilizationPercentage")) is not None:
            resource = {"name": "cpu", "current": {"averageUtilization": utilization}}
            v2_status["currentMetrics"] = [{"type": "Resource", "resource": resource}]
        if (conditions := _decoded_list(annotations, CONDITIONS)) is not None:
            v2_status["conditions"] = conditions
        out["status"] = v2_status
    _set_annotations(meta, {k: v for k, v in annotations.items() if k not in ROUND_TRIP})
    out["metadata"] = meta
    return out


def _set_annotations(meta: dict, annotations: dict) -> None:
    if annotations:
        meta["annotations"] = annotations
    else:
        meta.pop("annotations", None)


# --------------------------------------------------------------------------- the hook

CONVERSIONS: dict[tuple[str, str], tuple[Callable[[dict], dict], Callable[[dict], dict]]] = {
    # (served apiVersion, kind) → (stored → served, served → stored)
    (V1, "HorizontalPodAutoscaler"): (to_v1, to_v2),
}


class Served(dict):
    """An object served in another version than the stored one, that remembers the stored form.

    Why: kube-apiserver prints every version of a kind from the same object, and the served form may not
    say everything the table shows (a v1 HorizontalPodAutoscaler no longer says where among its metrics
    the CPU one was). It encodes as the plain dict it is.
    """

    stored: dict


def stored_form(obj: dict, convert: Callable[[dict], dict]) -> dict:
    """The stored form of a served object: the one it was made from, else ``convert(obj)``."""
    return obj.stored if isinstance(obj, Served) else convert(obj)


class _ConvertedWatch:
    """A store watcher whose objects come out converted; closes the watcher it wraps."""

    def __init__(self, watcher: Any, convert: Callable[[dict], dict]):
        self._watcher = watcher
        self._convert = convert

    async def __aiter__(self) -> AsyncIterator[Any]:
        async for event in self._watcher:
            if isinstance(event.object, dict) and event.type not in ("BOOKMARK", "ERROR"):
                event = WatchEvent(event.type, self._convert(event.object), event.revision, event.error)
            yield event

    def close(self) -> None:
        self._watcher.close()


class VersionView:
    """The store as seen through one served version of a resource stored in another: objects read come
    out in the served version, objects written go in as stored. Updates of the main resource keep the
    stored status whole (the served version may not hold all of it), as kube-apiserver's strategy keeps
    the old status. Anything else is the store's own."""

    def __init__(self, store: Any, to_served: Callable[[dict], dict], to_stored: Callable[[dict], dict]):
        self._store = store
        self._to_served = to_served
        self._stored = to_stored

    def _served(self, obj: dict) -> Served:
        served = Served(self._to_served(obj))
        served.stored = obj
        return served

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _out(self, obj: dict | None) -> dict | None:
        return None if obj is None else self._served(obj)

    def find(self, resource: str, namespace: str, name: str) -> dict | None:
        return self._out(self._store.find(resource, namespace, name))

    def latest(self, resource: str, namespace: str, name: str) -> dict | None:
        return self._out(self._store.latest(resource, namespace, name))

    def list(self, query: Any, **options: Any) -> Any:
        result = self._store.list(query, **options)
        return replace(result, items=[self._served(obj) for obj in result.items])

    def watch(self, query: Any, **options: Any) -> _ConvertedWatch:
        return _ConvertedWatch(self._store.watch(query, **options), self._served)

    async def create(self, resource: str, obj: dict, **options: Any) -> dict:
        return self._served(await self._store.create(resource, self._stored(obj), **options))

    async def update(
        self, resource: str, obj: dict, *, subresource: str | None = None, **options: Any
    ) -> dict:
        stored = self._stored(obj)
        if subresource is None:
            meta = _dict(obj.get("metadata"))
            current = self._store.latest(resource, meta.get("namespace") or "", meta.get("name") or "")
            if current is not None:
                stored = {k: v for k, v in stored.items() if k != "status"}
                if "status" in current:
                    stored["status"] = current["status"]
        return self._served(await self._store.update(resource, stored, subresource=subresource, **options))

    async def delete(self, *args: Any, **options: Any) -> tuple[dict, bool]:
        obj, gone = await self._store.delete(*args, **options)
        return self._served(obj), gone

    async def delete_collection(self, *args: Any, **options: Any) -> builtins.list[dict]:
        return [self._served(obj) for obj in await self._store.delete_collection(*args, **options)]


def _custom_stored(api_version: str, schema: dict | None, obj: dict) -> dict:
    """A custom resource in its CRD's storage version (``None`` conversion: only apiVersion changes),
    shaped by that version's schema, as kube-apiserver reads it back from storage."""
    return crd_schemas.prepared(schema, {**obj, "apiVersion": api_version}).obj


def _custom_served(api_version: str, obj: dict) -> dict:
    return {**obj, "apiVersion": api_version}


def store_for(store: Any, resource: ResourceType) -> Any:
    """The store as ``resource`` (one served version) sees it: ``store`` itself unless that version is
    converted (and ``store`` is not a view already). Custom resources are kept in their CRD's storage
    version."""
    if isinstance(store, VersionView):
        return store
    if resource.custom:
        storage = resource.extra.get("storage_version")
        if not storage or storage == resource.version:
            return store
        stored_as = f"{resource.group}/{storage}"
        return VersionView(
            store,
            partial(_custom_served, resource.api_version),
            partial(_custom_stored, stored_as, resource.extra.get("storage_schema")),
        )
    conversion = CONVERSIONS.get((resource.api_version, resource.kind))
    return store if conversion is None else VersionView(store, *conversion)
