"""What the workload kinds must be (apps/v1 and batch/v1), as kube-apiserver's apps and batch validation
checks them: selectors that select their own template, rollout strategies, counts, and the pod
template through :mod:`karmadad.api.validation.pods`."""

from __future__ import annotations

from typing import Any

from karmadad.api.field_errors import (
    GoStruct,
    forbidden,
    invalid,
    nonnegative,
    not_supported,
    render,
    required,
)
from karmadad.api.name_rules import label_problems, percent_problems
from karmadad.api.validation.core import claim_spec_causes
from karmadad.api.validation.meta import annotation_causes, label_causes, selector_causes, shown_selector
from karmadad.api.validation.pods import pod_template_causes
from karmadad.errors import Cause
from karmadad.selectors import SelectorError, label_selector_from_struct


def int_or_percent_causes(value: Any, path: str) -> list[Cause]:
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


def over_100_percent(value: Any, path: str) -> list[Cause]:
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
            causes.append(
                invalid(f"{path}.selector", shown_selector(selector), f"empty selector is invalid for {kind}")
            )
    labels = (template.get("metadata") or {}).get("labels") or {}
    try:
        parsed = label_selector_from_struct(selector)
    except SelectorError:
        parsed = None
        if replica_set:
            causes.append(invalid(f"{path}.selector", shown_selector(selector), "invalid label selector"))
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


def _shown_strategy(strategy: dict) -> GoStruct:
    """A rollout strategy as Go prints its internal type (Deployments' and DaemonSets' alike)."""
    rolling = strategy.get("rollingUpdate")
    shown_rolling = None
    if isinstance(rolling, dict):
        shown_rolling = GoStruct(
            MaxUnavailable=rolling.get("maxUnavailable"), MaxSurge=rolling.get("maxSurge")
        )
    return GoStruct(Type=strategy.get("type", ""), RollingUpdate=shown_rolling)


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
        return [not_supported(path, _shown_strategy(strategy), ("Recreate", "RollingUpdate"))]
    if rolling is None:
        return [required(f"{path}.rollingUpdate", "this should be defaulted and never be nil")]
    at = f"{path}.rollingUpdate"
    unavailable, surge = rolling.get("maxUnavailable", 0), rolling.get("maxSurge", 0)
    causes = [
        *int_or_percent_causes(unavailable, f"{at}.maxUnavailable"),
        *int_or_percent_causes(surge, f"{at}.maxSurge"),
    ]
    if _amount(unavailable) == 0 and _amount(surge) == 0:
        causes.append(invalid(f"{at}.maxUnavailable", unavailable, "may not be 0 when `maxSurge` is 0"))
    causes.extend(over_100_percent(unavailable, f"{at}.maxUnavailable"))
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
        return [not_supported(path, _shown_strategy(strategy), ("RollingUpdate", "OnDelete"))]
    rolling = strategy.get("rollingUpdate")
    if rolling is None:
        return [required(f"{path}.rollingUpdate")]
    at = f"{path}.rollingUpdate"
    unavailable, surge = rolling.get("maxUnavailable", 0), rolling.get("maxSurge", 0)
    causes = [
        *int_or_percent_causes(unavailable, f"{at}.maxUnavailable"),
        *int_or_percent_causes(surge, f"{at}.maxSurge"),
        *over_100_percent(unavailable, f"{at}.maxUnavailable"),
        *over_100_percent(surge, f"{at}.maxSurge"),
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
        return [invalid("spec.selector", shown_selector(selector), "field is immutable")]
    return []


def _claim_templates(templates: Any) -> list[Cause]:
    causes: list[Cause] = []
    for index, claim in enumerate(templates or []):
        causes.extend(claim_spec_causes(claim.get("spec") or {}, f"spec.volumeClaimTemplates[{index}].spec"))
    return causes


def _stateful_set_strategy(strategy: dict) -> list[Cause]:
    kind, rolling = strategy.get("type", ""), strategy.get("rollingUpdate")
    if not kind:
        return [required("spec.updateStrategy")]
    if kind == "OnDelete":
        if rolling is not None:
            shown = GoStruct(Partition=rolling.get("partition"), MaxUnavailable=rolling.get("maxUnavailable"))
            return [
                invalid(
                    "spec.updateStrategy.rollingUpdate",
                    shown,
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            ]
        return []
    if kind == "RollingUpdate":
        if rolling is None:
            return []
        causes = nonnegative(rolling.get("partition", 0), "spec.updateStrategy.rollingUpdate.partition")
        return causes
    shown = GoStruct(Type=kind, RollingUpdate=None)
    return [invalid("spec.updateStrategy", shown, "must be 'RollingUpdate' or 'OnDelete'")]


_STATEFUL_SET_MUTABLE = (
    "replicas", "ordinals", "template", "updateStrategy", "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy", "minReadySeconds",
)  # fmt: skip


def stateful_set_causes(obj: dict, old: dict | None) -> list[Cause]:
    """``ValidateStatefulSetSpec`` (and on update, what may change)."""
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    policy = spec.get("podManagementPolicy", "")
    if not policy:
        causes.append(required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        causes.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    causes.extend(_stateful_set_strategy(spec.get("updateStrategy") or {}))
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if isinstance(retention, dict):
        for field in ("whenDeleted", "whenScaled"):
            value = retention.get(field, "")
            if value not in ("Retain", "Delete"):
                path = f"spec.persistentVolumeClaimRetentionPolicy.{field}"
                causes.append(not_supported(path, value, ("Retain", "Delete")))
    if old is None:
        causes.extend(_claim_templates(spec.get("volumeClaimTemplates")))
    causes.extend(nonnegative(spec.get("replicas", 0), "spec.replicas"))
    causes.extend(nonnegative(spec.get("minReadySeconds", 0), "spec.minReadySeconds"))
    ordinals = spec.get("ordinals")
    if isinstance(ordinals, dict):
        causes.extend(nonnegative(ordinals.get("start", 0), "spec.ordinals.start"))
    service = spec.get("serviceName", "")
    if service and old is None:
        causes.extend(invalid("spec.serviceName", service, problem) for problem in label_problems(service))
    selector = spec.get("selector")
    if selector is None:
        causes.append(required("spec.selector"))
    else:
        causes.extend(selector_causes(selector, "spec.selector"))
        if not (selector.get("matchLabels") or selector.get("matchExpressions")):
            causes.append(
                invalid(
                    "spec.selector", shown_selector(selector), "empty selector is invalid for statefulset"
                )
            )
    template = spec.get("template") or {}
    try:
        parsed = label_selector_from_struct(selector)
    except SelectorError:
        causes.append(
            Cause("spec.selector", f"Invalid value: {render(shown_selector(selector))}", "FieldValueInvalid")
        )
    else:
        labels = (template.get("metadata") or {}).get("labels") or {}
        if not parsed.empty and not parsed.matches(labels):
            causes.append(
                invalid(
                    "spec.template.metadata.labels", labels, "`selector` does not match template `labels`"
                )
            )
        causes.extend(pod_template_causes(_without_host_names(template, spec), "spec.template"))
        template_meta = template.get("metadata") or {}
        causes.extend(label_causes(template_meta.get("labels"), "spec.template.labels"))
        causes.extend(annotation_causes(template_meta.get("annotations"), "spec.template.annotations"))
    pod_spec = template.get("spec") or {}
    if pod_spec.get("restartPolicy", "") != "Always":
        causes.append(
            not_supported("spec.template.spec.restartPolicy", pod_spec.get("restartPolicy", ""), ("Always",))
        )
    if pod_spec.get("activeDeadlineSeconds") is not None:
        causes.append(
            forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                "activeDeadlineSeconds in StatefulSet is not Supported",
            )
        )
    if old is not None:
        old_spec = old.get("spec") or {}
        rest = {k: v for k, v in spec.items() if k not in _STATEFUL_SET_MUTABLE}
        old_rest = {k: v for k, v in old_spec.items() if k not in _STATEFUL_SET_MUTABLE}
        if rest != old_rest:
            fields = "'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
            fields += "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds'"
            causes.append(
                forbidden("spec", f"updates to statefulset spec for fields other than {fields} are forbidden")
            )
    return causes


def _without_host_names(template: dict, spec: dict) -> dict:
    """The template as Go validates it for a StatefulSet: no hostname or subdomain (the controller sets
    them), and the claim templates as volumes the containers may mount."""
    pod_spec = {k: v for k, v in (template.get("spec") or {}).items() if k not in ("hostname", "subdomain")}
    claims = [
        {
            "name": (claim.get("metadata") or {}).get("name", ""),
            "persistentVolumeClaim": {"claimName": "claim"},
        }
        for claim in spec.get("volumeClaimTemplates") or []
    ]
    if claims:
        pod_spec["volumes"] = [*(pod_spec.get("volumes") or []), *claims]
    return {**template, "spec": pod_spec}


_NOT_ABOVE_REPLICAS = "cannot be greater than status.replicas"


def _replica_counts(
    status: dict, counted: tuple[str, ...], bounded: tuple[str, ...], ready_words: str = "readyReplicas"
) -> list[Cause]:
    """Counts of a workload's status: none negative, none above ``replicas``, none available that is not
    ready (``ready_words``: how the kind's message names the ready count)."""
    causes: list[Cause] = []
    for field in counted:
        causes.extend(nonnegative(status.get(field, 0), f"status.{field}"))
    replicas = status.get("replicas", 0)
    for field in bounded:
        if status.get(field, 0) > replicas:
            causes.append(invalid(f"status.{field}", status.get(field, 0), _NOT_ABOVE_REPLICAS))
    if status.get("availableReplicas", 0) > status.get("readyReplicas", 0):
        detail = f"cannot be greater than {ready_words}"
        causes.append(invalid("status.availableReplicas", status["availableReplicas"], detail))
    return causes


def collision_count_causes(status: dict, old_status: dict) -> list[Cause]:
    """``IsDecremented``: the controllers' collision counter never goes down, nor away once set."""
    new, old = status.get("collisionCount"), old_status.get("collisionCount")
    if old is None or (new is not None and new >= old):
        return []
    return [invalid("status.collisionCount", new or 0, "cannot be decremented")]


def deployment_status_causes(status: dict) -> list[Cause]:
    """``ValidateDeploymentStatus``."""
    counted = (
        "observedGeneration", "replicas", "updatedReplicas", "readyReplicas", "availableReplicas",
        "unavailableReplicas", "terminatingReplicas", "collisionCount",
    )  # fmt: skip
    return _replica_counts(status, counted, ("updatedReplicas", "readyReplicas", "availableReplicas"))


def replica_set_status_causes(status: dict) -> list[Cause]:
    """``ValidateReplicaSetStatus``."""
    counted = (
        "replicas",
        "fullyLabeledReplicas",
        "readyReplicas",
        "availableReplicas",
        "observedGeneration",
        "terminatingReplicas",
    )
    return _replica_counts(status, counted, ("fullyLabeledReplicas", "readyReplicas", "availableReplicas"))


def stateful_set_status_causes(status: dict) -> list[Cause]:
    """``ValidateStatefulSetStatus``."""
    counted = (
        "replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas",
        "observedGeneration", "collisionCount",
    )  # fmt: skip
    bounded = ("readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas")
    return _replica_counts(status, counted, bounded, "status.readyReplicas")


def daemon_set_status_causes(status: dict) -> list[Cause]:
    """``validateDaemonSetStatus``: no negative count."""
    counted = (
        "currentNumberScheduled", "numberMisscheduled", "desiredNumberScheduled", "numberReady",
        "observedGeneration", "updatedNumberScheduled", "numberAvailable", "numberUnavailable", "collisionCount",
    )  # fmt: skip
    return [cause for field in counted for cause in nonnegative(status.get(field, 0), f"status.{field}")]
