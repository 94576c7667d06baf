"""What disruption budgets, leases, priority classes and storage classes must be, as kube-apiserver checks
them."""

from __future__ import annotations

from karmadad.api.field_errors import GoStruct, forbidden, invalid, nonnegative, not_supported, required
from karmadad.api.name_rules import label_problems
from karmadad.api.validation.meta import selector_causes, shown_selector
from karmadad.api.validation.workloads import int_or_percent_causes, over_100_percent
from karmadad.errors import Cause

MAX_USER_PRIORITY = 1000000000


def pod_disruption_budget_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    minimum, maximum = spec.get("minAvailable"), spec.get("maxUnavailable")
    if minimum is not None and maximum is not None:
        shown = GoStruct(
            MinAvailable=minimum,
            Selector=shown_selector(spec.get("selector")),
            MaxUnavailable=maximum,
            UnhealthyPodEvictionPolicy=spec.get("unhealthyPodEvictionPolicy"),
        )
        causes.append(invalid("spec", shown, "minAvailable and maxUnavailable cannot be both set"))
    for field, value in (("minAvailable", minimum), ("maxUnavailable", maximum)):
        if value is not None:
            causes.extend(int_or_percent_causes(value, f"spec.{field}"))
            causes.extend(over_100_percent(value, f"spec.{field}"))
    causes.extend(selector_causes(spec.get("selector"), "spec.selector"))
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in ("AlwaysAllow", "IfHealthyBudget"):
        causes.append(
            not_supported("spec.unhealthyPodEvictionPolicy", policy, ("AlwaysAllow", "IfHealthyBudget"))
        )
    return causes


def lease_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    duration, transitions = spec.get("leaseDurationSeconds"), spec.get("leaseTransitions")
    if isinstance(duration, int) and duration <= 0:
        causes.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    causes.extend(nonnegative(transitions, "spec.leaseTransitions"))
    return causes


def priority_class_causes(obj: dict, old: dict | None) -> list[Cause]:
    """The reserved ``system-`` names and their values, the bounds of a user's priority, the preemption
    policy, and what an update may not change."""
    causes = _reserved_priority_class_causes(obj, old)
    name = (obj.get("metadata") or {}).get("name") or ""
    value = obj.get("value", 0)
    if not name.startswith("system-") and isinstance(value, int) and value > MAX_USER_PRIORITY:
        causes.append(
            forbidden("value", f"maximum allowed value of a user defined priority is {MAX_USER_PRIORITY}")
        )
    policy = obj.get("preemptionPolicy", "")
    if not policy:
        causes.append(required("preemptionPolicy"))
    elif policy not in ("PreemptLowerPriority", "Never"):
        causes.append(not_supported("preemptionPolicy", policy, ("PreemptLowerPriority", "Never")))
    if old is not None:
        if value != old.get("value", 0):
            causes.append(forbidden("value", "may not be changed in an update."))
        if policy != old.get("preemptionPolicy"):
            causes.append(invalid("preemptionPolicy", policy, "field is immutable"))
    return causes


def storage_class_causes(obj: dict, old: dict | None) -> list[Cause]:
    causes = [] if obj.get("provisioner") else [required("provisioner")]
    reclaim = obj.get("reclaimPolicy")
    if reclaim is not None and reclaim not in ("Delete", "Retain"):
        causes.append(not_supported("reclaimPolicy", reclaim, ("Delete", "Retain")))
    binding = obj.get("volumeBindingMode")
    if binding is not None and binding not in ("Immediate", "WaitForFirstConsumer"):
        causes.append(not_supported("volumeBindingMode", binding, ("Immediate", "WaitForFirstConsumer")))
    if old is not None:
        for field in ("parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"):
            if obj.get(field) != old.get(field):
                causes.append(invalid(field, obj.get(field), "field is immutable"))
    return causes


def runtime_class_causes(obj: dict, old: dict | None) -> list[Cause]:
    handler = obj.get("handler")
    if not isinstance(handler, str) or not handler:
        return [required("handler")]
    return [invalid("handler", handler, problem) for problem in label_problems(handler)]


# kube-apiserver's own PriorityClasses: (value, globalDefault)
_SYSTEM_PRIORITY_CLASSES = {
    "system-node-critical": (2000001000, False),
    "system-cluster-critical": (2000000000, False),
}


def _reserved_priority_class_causes(obj: dict, old: dict | None) -> list[Cause]:
    """Names starting with ``system-`` are kube-apiserver's, with their values."""
    name = (obj.get("metadata") or {}).get("name") or ""
    if not name.startswith("system-"):
        return []
    known = _SYSTEM_PRIORITY_CLASSES.get(name)
    if known is None:
        problem = f"{name} is not a known system priority class"
    elif obj.get("value", 0) != known[0]:
        problem = f"value of {name} PriorityClass must be {known[0]}"
    elif bool(obj.get("globalDefault")) != known[1]:
        problem = f"globalDefault of {name} PriorityClass must be {str(known[1]).lower()}"
    else:
        return []
    reserved = "priority class names with 'system-' prefix are reserved for system use only"
    return [Cause("metadata.name", f"Forbidden: {reserved}. error: {problem}", "FieldValueForbidden")]
