"""What Jobs and CronJobs must be (batch/v1), as kube-apiserver's batch validation checks them: counts,
completion modes, pod failure policies, the restart policy a Job's pods may have, the selector the Job
strategy generates, and CronJob schedules and time zones."""

from __future__ import annotations

import re

from karmadad.api.field_errors import duplicate, invalid, nonnegative, not_supported, required, too_many
from karmadad.api.name_rules import label_problems, qualified_name_problems
from karmadad.api.validation.cron import schedule_problem, time_zone_problem
from karmadad.api.validation.meta import selector_causes, selector_matches
from karmadad.api.validation.pods import pod_template_causes
from karmadad.errors import Cause

_COUNTS = (
    "parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished",
    "backoffLimitPerIndex", "maxFailedIndexes",
)  # fmt: skip
_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
_MAX_INDEXED = 100000
_UID_LABEL, _NAME_LABEL = "controller-uid", "job-name"
_PREFIX = "batch.kubernetes.io/"
_TIME_ZONE_PART = re.compile(r"[A-Za-z.\-_0-9+]{1,14}")


def _exit_codes(rule: dict, names: set[str], path: str) -> list[Cause]:
    causes: list[Cause] = []
    operator = rule.get("operator", "")
    if not operator:
        causes.append(required(f"{path}.operator", 'valid values: ["In" "NotIn"]'))
    elif operator not in ("In", "NotIn"):
        causes.append(not_supported(f"{path}.operator", operator, ("In", "NotIn")))
    container = rule.get("containerName")
    if container is not None and container not in names:
        detail = "must be one of the container or initContainer names in the pod template"
        causes.append(invalid(f"{path}.containerName", container, detail))
    values = rule.get("values") or []
    if not values:
        causes.append(invalid(f"{path}.values", values, "at least one value is required"))
    elif len(values) > 255:
        causes.append(too_many(f"{path}.values", len(values), 255))
    seen: set[int] = set()
    for index, value in enumerate(values):
        if operator == "In" and value == 0:
            causes.append(invalid(f"{path}.values[{index}]", value, "must not be 0 for the In operator"))
        if value in seen:
            causes.append(duplicate(f"{path}.values[{index}]", value))
        seen.add(value)
    if values != sorted(values):
        causes.append(invalid(f"{path}.values", values, "must be ordered"))
    return causes


def _pod_conditions(patterns: list[dict], path: str) -> list[Cause]:
    causes: list[Cause] = []
    if len(patterns) > 20:
        causes.append(too_many(path, len(patterns), 20))
    for index, pattern in enumerate(patterns):
        at = f"{path}[{index}]"
        kind = pattern.get("type", "")
        causes.extend(invalid(f"{at}.type", kind, problem) for problem in qualified_name_problems(kind))
        status = pattern.get("status", "")
        if not status:
            causes.append(required(f"{at}.status", 'valid values: ["False" "True" "Unknown"]'))
        elif status not in ("False", "True", "Unknown"):
            causes.append(not_supported(f"{at}.status", status, ("False", "True", "Unknown")))
    return causes


def _pod_failure_policy(policy: dict, spec: dict, path: str) -> list[Cause]:
    rules = policy.get("rules") or []
    causes: list[Cause] = []
    if len(rules) > 20:
        causes.append(too_many(f"{path}.rules", len(rules), 20))
    pod_spec = (spec.get("template") or {}).get("spec") or {}
    names = {
        c.get("name", "") for field in ("containers", "initContainers") for c in pod_spec.get(field) or []
    }
    for index, rule in enumerate(rules):
        at = f"{path}.rules[{index}]"
        action = rule.get("action", "")
        if not action:
            causes.append(required(f"{at}.action", 'valid values: ["Count" "FailIndex" "FailJob" "Ignore"]'))
        elif action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
            causes.append(invalid(f"{at}.action", action, "requires the backoffLimitPerIndex to be set"))
        elif action not in _ACTIONS:
            causes.append(not_supported(f"{at}.action", action, _ACTIONS))
        codes, conditions = rule.get("onExitCodes"), rule.get("onPodConditions")
        if codes is not None:
            causes.extend(_exit_codes(codes, names, f"{at}.onExitCodes"))
        if conditions is not None:
            causes.extend(_pod_conditions(conditions, f"{at}.onPodConditions"))
        if codes is not None and conditions is not None:
            detail = "specifying both OnExitCodes and OnPodConditions is not supported"
            causes.append(Cause(at, f"Invalid value: {detail}", "FieldValueInvalid"))
        elif codes is None and conditions is None:
            detail = "specifying one of OnExitCodes and OnPodConditions is required"
            causes.append(Cause(at, f"Invalid value: {detail}", "FieldValueInvalid"))
    return causes


def job_spec_causes(spec: dict, path: str) -> list[Cause]:
    """``validateJobSpec``: what a Job's spec must be, also inside a CronJob's job template."""
    causes: list[Cause] = []
    for field in _COUNTS:
        causes.extend(nonnegative(spec.get(field), f"{path}.{field}"))
    if spec.get("maxFailedIndexes") is not None and spec.get("backoffLimitPerIndex") is None:
        causes.append(required(f"{path}.backoffLimitPerIndex", "when maxFailedIndexes is specified"))
    mode = spec.get("completionMode")
    if mode is not None and mode not in ("NonIndexed", "Indexed"):
        causes.append(not_supported(f"{path}.completionMode", mode, ("NonIndexed", "Indexed")))
    if mode == "Indexed":
        if spec.get("completions") is None:
            causes.append(required(f"{path}.completions", "when completion mode is Indexed"))
        parallelism = spec.get("parallelism")
        if isinstance(parallelism, int) and parallelism > _MAX_INDEXED:
            detail = f"must be less than or equal to {_MAX_INDEXED} when completion mode is Indexed"
            causes.append(invalid(f"{path}.parallelism", parallelism, detail))
    else:
        for field in ("backoffLimitPerIndex", "maxFailedIndexes"):
            if spec.get(field) is not None:
                causes.append(invalid(f"{path}.{field}", spec[field], "requires indexed completion mode"))
    policy = spec.get("podFailurePolicy")
    if isinstance(policy, dict):
        causes.extend(_pod_failure_policy(policy, spec, f"{path}.podFailurePolicy"))
    replacement = spec.get("podReplacementPolicy")
    if replacement is not None:
        allowed = ("Failed",) if policy is not None else ("Failed", "TerminatingOrFailed")
        if replacement not in allowed:
            causes.append(not_supported(f"{path}.podReplacementPolicy", replacement, allowed))
    template = spec.get("template") or {}
    causes.extend(pod_template_causes(template, f"{path}.template"))
    restart = (template.get("spec") or {}).get("restartPolicy", "")
    restart_path = f"{path}.template.spec.restartPolicy"
    if restart in ("Always", ""):
        causes.append(required(restart_path, 'valid values: "OnFailure", "Never"'))
    elif restart not in ("OnFailure", "Never"):
        causes.append(not_supported(restart_path, restart, ("OnFailure", "Never")))
    elif policy is not None and restart != "Never":
        causes.append(
            invalid(restart_path, restart, 'only "Never" is supported when podFailurePolicy is specified')
        )
    return causes


def _generated_selector(obj: dict) -> list[Cause]:
    """``validateGeneratedSelector``: the labels the Job strategy gave the template, and the selector on them."""
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    uid = meta.get("uid", "")
    expected = {_UID_LABEL: uid, _NAME_LABEL: meta.get("name", "")}
    expected |= {_PREFIX + key: value for key, value in expected.items()}
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
    causes = []
    for key, value in expected.items():
        at = f"spec.template.metadata.labels[{key}]"
        if key not in labels:
            causes.append(required(at, f"must be '{value}'"))
        elif labels[key] != value:
            causes.append(invalid(at, labels, f"must be '{value}'"))
    if not selector_matches(spec.get("selector"), expected):
        causes.append(invalid("spec.selector", spec.get("selector"), "`selector` not auto-generated"))
    return causes


def job_causes(obj: dict, old: dict | None) -> list[Cause]:
    meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
    causes: list[Cause] = []
    if not spec.get("manualSelector") and spec.get("selector") is not None and meta.get("uid"):
        causes.extend(_generated_selector(obj))
    causes.extend(job_spec_causes(spec, "spec"))
    selector = spec.get("selector")
    if selector is None:
        causes.append(required("spec.selector"))
    else:
        causes.extend(selector_causes(selector, "spec.selector"))
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if selector_matches(selector, labels) is False:
        causes.append(
            invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`")
        )
    completions = spec.get("completions")
    if spec.get("completionMode") == "Indexed" and isinstance(completions, int) and completions > 0:
        last = f"{meta.get('name', '')}-{completions - 1}"
        if label_problems(last):
            detail = f"will not able to create pod with invalid DNS label: {last}"
            causes.append(invalid("metadata.name", meta.get("name", ""), detail))
    if old is not None:
        causes.extend(_job_update_causes(spec, old.get("spec") or {}))
    return causes


_JOB_IMMUTABLE = (
    "selector",
    "completionMode",
    "podFailurePolicy",
    "backoffLimitPerIndex",
    "managedBy",
    "successPolicy",
)


def _job_update_causes(spec: dict, old_spec: dict) -> list[Cause]:
    causes: list[Cause] = []
    completions = spec.get("completions")
    if completions != old_spec.get("completions"):
        if spec.get("completionMode") != "Indexed":
            causes.append(invalid("spec.completions", completions, "field is immutable"))
        elif completions != spec.get("parallelism"):
            causes.append(
                invalid(
                    "spec.completions", completions, "can only be modified in tandem with spec.parallelism"
                )
            )
    for field in _JOB_IMMUTABLE:
        if spec.get(field) != old_spec.get(field):
            causes.append(invalid(f"spec.{field}", spec.get(field), "field is immutable"))
    if spec.get("template") != old_spec.get("template") and not old_spec.get("suspend"):
        causes.append(invalid("spec.template", spec.get("template"), "field is immutable"))
    return causes


def _time_zone_causes(zone: str) -> list[Cause]:
    path = "spec.timeZone"
    if not zone:
        return [invalid(path, zone, "timeZone must be nil or non-empty string")]
    for part in zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TIME_ZONE_PART.fullmatch(part):
            return [invalid(path, zone, f"unknown time zone {zone}")]
    if zone.lower() == "local":
        return [
            invalid(
                path,
                zone,
                "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
            )
        ]
    problem = time_zone_problem(zone)
    return [invalid(path, zone, problem)] if problem else []


def cron_job_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    old_spec = (old or {}).get("spec") or {}
    causes: list[Cause] = []
    schedule = spec.get("schedule", "")
    if not schedule:
        causes.append(required("spec.schedule"))
    else:
        if problem := schedule_problem(schedule):
            causes.append(invalid("spec.schedule", schedule, problem))
        if "TZ" in schedule and (old is None or "TZ" not in old_spec.get("schedule", "")):
            detail = "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"
            causes.append(invalid("spec.schedule", schedule, detail))
    causes.extend(nonnegative(spec.get("startingDeadlineSeconds"), "spec.startingDeadlineSeconds"))
    zone = spec.get("timeZone")
    if zone is not None and (old is None or zone != old_spec.get("timeZone")):
        causes.extend(_time_zone_causes(zone))
    policy = spec.get("concurrencyPolicy", "")
    if not policy:
        causes.append(required("spec.concurrencyPolicy"))
    elif policy not in ("Allow", "Forbid", "Replace"):
        causes.append(not_supported("spec.concurrencyPolicy", policy, ("Allow", "Forbid", "Replace")))
    job_spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    causes.extend(job_spec_causes(job_spec, "spec.jobTemplate.spec"))
    if job_spec.get("selector") is not None:
        detail = "`selector` will be auto-generated"
        causes.append(invalid("spec.jobTemplate.spec.selector", job_spec["selector"], detail))
    if job_spec.get("manualSelector") is True:
        causes.append(not_supported("spec.jobTemplate.spec.manualSelector", True, ("nil", "false")))
    for field in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        causes.extend(nonnegative(spec.get(field), f"spec.{field}"))
    name = (obj.get("metadata") or {}).get("name", "")
    if old is None and len(name) > 52:
        causes.append(invalid("metadata.name", name, "must be no more than 52 characters"))
    return causes
