"""A workload's copy for one member cluster gets that cluster's share of the replicas (Karmada's
``ReviseReplica``), and a divided Job its share of the completions.

The binding controller must follow the scheduler's division, not the template's count, or a member would
run more than the scheduler placed there. Karmada's default interpreter revises ``spec.replicas`` of
``apps/v1`` Deployments, ReplicaSets and StatefulSets and ``spec.parallelism`` of ``batch/v1`` Jobs; other
kinds are left as they are. When a Job is divided among clusters (the binding asks for replicas and its
placement is ``Divided``) and it sets ``spec.completions``, the completions are divided too: by Webster,
weighted by each cluster's parallelism share, ties broken as the scheduler breaks them (by the template's
uid), so each cluster finishes its part in about the same time.

Karmada only overwrites a field the object has; kube-apiserver has defaulted the template by then, so
``replicas`` and ``parallelism`` are always there, and ``completions`` is there when set or when neither it
nor parallelism was (both default to 1). Our store does not default, so that rule is applied here.
"""

from __future__ import annotations

from collections.abc import Iterable

from karmadad.jsonvalue import json_copy
from karmadad.scheduler.webster import apportion, names_descending

_SCALED = frozenset({("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")})
_JOB = ("batch/v1", "Job")


def _identity(obj: dict) -> tuple:
    return obj.get("apiVersion"), obj.get("kind")


def has_completions(job: dict) -> bool:
    """Whether the (defaulted) Job has ``spec.completions``: set, or neither it nor parallelism set."""
    spec = job.get("spec") or {}
    return spec.get("completions") is not None or spec.get("parallelism") is None


def revise_replicas(obj: dict, replicas: int, completions: int | None = None) -> dict:
    """``obj`` with its replica field set to ``replicas`` (and a Job's completions to ``completions`` when
    given and the Job has completions); kinds Karmada does not revise come back as an unchanged copy."""
    revised = json_copy(obj)
    identity = _identity(obj)
    if identity in _SCALED:
        revised.setdefault("spec", {})["replicas"] = replicas
    elif identity == _JOB:
        spec = revised.setdefault("spec", {})
        if completions is not None and has_completions(obj):
            spec["completions"] = completions
        spec["parallelism"] = replicas
    return revised


def divides_completions(binding_spec: dict) -> bool:
    """Whether a Job's completions are divided: the binding has replicas and its placement is Divided."""
    scheduling = (binding_spec.get("placement") or {}).get("replicaScheduling") or {}
    return (binding_spec.get("replicas") or 0) > 0 and scheduling.get("replicaSchedulingType") == "Divided"


def divide_completions(job: dict, targets: Iterable[dict], uid: str = "") -> dict[str, int]:
    """Each target cluster's completions (``targets`` are ``{"name", "replicas"}``), weighted by its
    replicas; empty when the Job has no completions or no cluster has replicas (Karmada then leaves the
    completions alone)."""
    if _identity(job) != _JOB or not has_completions(job):
        return {}
    parties = [(str(t["name"]), int(t.get("replicas") or 0)) for t in targets]
    if sum(weight for _, weight in parties) <= 0:
        return {}
    completions = (job.get("spec") or {}).get("completions")
    total = 1 if completions is None else int(completions)
    return apportion(total, parties, names_descending(uid))
