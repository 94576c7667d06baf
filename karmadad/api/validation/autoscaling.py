"""What a HorizontalPodAutoscaler must be (the rules every served version shares): its replica bounds and
its scale target."""

from __future__ import annotations

from karmadad.api.field_errors import invalid, required
from karmadad.api.name_rules import path_segment_problems
from karmadad.errors import Cause


def _api_version_problem(api_version: object) -> str | None:
    """A scale target's apiVersion must name a group (``schema.ParseGroupVersion`` and the HPA's rule)."""
    text = api_version if isinstance(api_version, str) else ""
    if text.count("/") > 1:
        return f"unexpected GroupVersion string: {text}"
    return None if "/" in text else "apiVersion must specify API group"


def autoscaler_causes(obj: dict, old: dict | None) -> list[Cause]:
    """The HorizontalPodAutoscaler spec rules every version shares (replicas and scale target)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    causes = []
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas") or 0
    if isinstance(minimum, int) and minimum < 1:
        causes.append(invalid("spec.minReplicas", minimum, "must be greater than or equal to 1"))
    if isinstance(maximum, int) and maximum == 0:
        causes.append(required("spec.maxReplicas", "must be set and greater than 0"))
    elif isinstance(maximum, int) and maximum < 0:
        causes.append(invalid("spec.maxReplicas", maximum, "must be greater than or equal to 1"))
    if isinstance(maximum, int) and maximum < (minimum if isinstance(minimum, int) else 1):  # defaulted to 1
        causes.append(invalid("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`"))
    ref = spec.get("scaleTargetRef")
    if not isinstance(ref, dict):
        ref = {}
    for field in ("kind", "name"):
        value = ref.get(field)
        if not value:
            causes.append(required(f"spec.scaleTargetRef.{field}"))
        elif isinstance(value, str):
            path = f"spec.scaleTargetRef.{field}"
            causes.extend(invalid(path, value, problem) for problem in path_segment_problems(value))
    old_ref = ((old or {}).get("spec") or {}).get("scaleTargetRef") or {}
    problem = _api_version_problem(ref.get("apiVersion"))
    if problem and (old is None or _api_version_problem(old_ref.get("apiVersion")) is None):
        causes.append(invalid("spec.scaleTargetRef.apiVersion", ref.get("apiVersion") or "", problem))
    if minimum == 0 and not any(
        isinstance(m, dict) and m.get("type") in ("Object", "External") for m in spec.get("metrics") or ()
    ):
        needed = "must specify at least one Object or External metric to support scaling to zero replicas"
        causes.append(Cause("spec.metrics", f"Forbidden: {needed}", "FieldValueForbidden"))
    return causes
