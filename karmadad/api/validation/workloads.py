"""What the workload kinds must be (apps/v1 and batch/v1), as kube-apiserver's apps and batch validation
checks them: selectors that select their own template, rollout strategies, counts, and the pod
template through :mod:`karmadad.api.validation.pods`."""

from __future__ import annotations

from typing import Any

from karmadad.api.field_errors import forbidden, invalid, not_supported, required
from karmadad.api.name_rules import percent_problems
from karmadad.api.validation.meta import selector_causes
from karmadad.api.validation.pods import pod_template_causes
from karmadad.errors import Cause
from karmadad.selectors import SelectorError, label_selector_from_struct

_NEGATIVE = "must be greater than or equal to 0"


def nonnegative(value: Any, path: str) -> list[Cause]:
    """``ValidateNonnegativeField``."""
    return [invalid(path, value, _NEGATIVE)] if isinstance(value, int) and value < 0 else []


def _int_or_percent(value: Any, path: str) -> list[Cause]:
    """``ValidatePositiveIntOrPercent``."""
    if isinstance(value, str):
        return [invalid(path, value, problem) for problem in percent_problems(value)]
    return nonnegative(value, path)


def _amount(value: Any) -> int:
    """``getIntOrPercentValue``: the number of an int-or-percent, or 0 when it is neither."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and not percent_problems(value):
        return int(value[:-1])
    return 0


def _over_100_percent(value: Any, path: str) -> list[Cause]:
    if isinstance(value, str) and not percent_problems(value) and int(value[:-1]) > 100:
        return [invalid(path, value, "must not be greater than 100%")]
    return []


def _selected_template(spec: dict, path: str, kind: str, *, replica_set: bool) -> list[Cause]:
    """The selector rules of Deployments and ReplicaSets (``replica_set``) or DaemonSets, and their
    template: it must be selected by the selector, restart Always and have no deadline."""
    selector, template = spec.get("selector"), spec.get("template") or {}
    causes: list[Cause] = []
    if selector is None and replica_set:
        causes.append(required(f"{path}.selector"))
    else:
        causes.extend(selector_causes(selector, f"{path}.selector"))
        if selector is not None and not (selector.get("matchLabels") or selector.get("matchExpressions")):
            causes.append(invalid(f"{path}.selector", selector, f"empty selector is invalid for {kind}"))
    labels = (template.get("metadata") or {}).get("labels") or {}
    try:
        parsed = label_selector_from_struct(selector)
    except SelectorError:
        parsed = None
        if replica_set:
            causes.append(invalid(f"{path}.selector", selector, "invalid label selector"))
    if parsed is not None and not parsed.empty and not parsed.matches(labels):
        shown = {} if not labels else labels
        causes.append(
            invalid(f"{path}.template.metadata.labels", shown, "`selector` does not match template `labels`")
        )
    if parsed is None and replica_set:
        return causes  # Go checks the template only with a usable selector
    causes.extend(pod_template_causes(template, f"{path}.template"))
    pod_spec = template.get("spec") or {}
    restart = pod_spec.get("restartPolicy", "")
    if restart != "Always":
        causes.append(not_supported(f"{path}.template.spec.restartPolicy", restart, ("Always",)))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        owner = "ReplicaSet" if replica_set else "DaemonSet"
        causes.append(
            forbidden(
                f"{path}.template.spec.activeDeadlineSeconds",
                f"activeDeadlineSeconds in {owner} is not Supported",
            )
        )
    return causes


def _deployment_strategy(strategy: dict, path: str) -> list[Cause]:
    kind = strategy.get("type", "")
    rolling = strategy.get("rollingUpdate")
    if kind == "Recreate":
        if rolling is not None:
            return [
                forbidden(f"{path}.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'")
            ]
        return []
    if kind != "RollingUpdate":
        return [not_supported(path, strategy, ("Recreate", "RollingUpdate"))]
    if rolling is None:
        return [required(f"{path}.rollingUpdate", "this should be defaulted and never be nil")]
    at = f"{path}.rollingUpdate"
    unavailable, surge = rolling.get("maxUnavailable", 0), rolling.get("maxSurge", 0)
    causes = [
        *_int_or_percent(unavailable, f"{at}.maxUnavailable"),
        *_int_or_percent(surge, f"{at}.maxSurge"),
    ]
    if _amount(unavailable) == 0 and _amount(surge) == 0:
        causes.append(invalid(f"{at}.maxUnavailable", unavailable, "may not be 0 when `maxSurge` is 0"))
    causes.extend(_over_100_percent(unavailable, f"{at}.maxUnavailable"))
    return causes


def deployment_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = [
        *nonnegative(spec.get("replicas", 0), "spec.replicas"),
        *_selected_template(spec, "spec", "deployment", replica_set=True),
        *_deployment_strategy(spec.get("strategy") or {}, "spec.strategy"),
        *nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds"),
        *nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"),
    ]
    deadline = spec.get("progressDeadlineSeconds")
    if isinstance(deadline, int):
        causes.extend(nonnegative(deadline, "spec.progressDeadlineSeconds"))
        if deadline <= spec.get("minReadySeconds", 0):
            causes.append(
                invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds")
            )
    if old is not None:
        causes.extend(_immutable_selector(obj, old))
    return causes


def replica_set_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = [
        *nonnegative(spec.get("replicas", 0), "spec.replicas"),
        *nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds"),
        *_selected_template(spec, "spec", "deployment", replica_set=True),
    ]
    if old is not None:
        causes.extend(_immutable_selector(obj, old))
    return causes


def _daemon_set_strategy(strategy: dict, path: str) -> list[Cause]:
    kind = strategy.get("type", "")
    if kind == "OnDelete":
        return []
    if kind != "RollingUpdate":
        return [not_supported(path, strategy, ("RollingUpdate", "OnDelete"))]
    rolling = strategy.get("rollingUpdate")
    if rolling is None:
        return [required(f"{path}.rollingUpdate")]
    at = f"{path}.rollingUpdate"
    unavailable, surge = rolling.get("maxUnavailable", 0), rolling.get("maxSurge", 0)
    causes = [
        *_int_or_percent(unavailable, f"{at}.maxUnavailable"),
        *_int_or_percent(surge, f"{at}.maxSurge"),
        *_over_100_percent(unavailable, f"{at}.maxUnavailable"),
        *_over_100_percent(surge, f"{at}.maxSurge"),
    ]
    if _amount(unavailable) and _amount(surge):
        causes.append(invalid(f"{at}.maxSurge", surge, "may not be set when maxUnavailable is non-zero"))
    elif not _amount(unavailable) and not _amount(surge):
        causes.append(required(f"{at}.maxUnavailable", "cannot be 0 when maxSurge is 0"))
    return causes


def daemon_set_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = [
        *_selected_template(spec, "spec", "daemonset", replica_set=False),
        *nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds"),
        *nonnegative(spec.get("templateGeneration", 0), "spec.templateGeneration"),
        *_daemon_set_strategy(spec.get("updateStrategy") or {}, "spec.updateStrategy"),
        *nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit"),
    ]
    if old is not None:
        causes.extend(_immutable_selector(obj, old))
    return causes


def _immutable_selector(obj: dict, old: dict) -> list[Cause]:
    """The apps kinds' selector cannot change once the object exists (apps/v1)."""
    selector = (obj.get("spec") or {}).get("selector")
    if selector != (old.get("spec") or {}).get("selector"):
        return [invalid("spec.selector", selector, "field is immutable")]
    return []
