"""Which node of a simulated cluster a Pod goes to, or why none will do, as kube-scheduler decides it for
the rules a simulation meets: node selectors, required node affinity, taints and tolerations, and room for
the Pod's requests (a Pod also takes one of the node's ``pods``). Among the nodes that fit, the least
allocated one is chosen, so replicas spread as the default scheduler spreads them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from karmadad.interpreter.replicas import pod_requests

_NO_SCHEDULE_EFFECTS = ("NoSchedule", "NoExecute")


@dataclass(frozen=True)
class NodeRoom:
    """What placing a Pod needs of a node: its labels, taints and allocatable amounts (cores, bytes,
    counts), and whether it takes new Pods at all."""

    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    allocatable: Mapping[str, float] = field(default_factory=dict)
    taints: tuple[Mapping[str, Any], ...] = ()
    unschedulable: bool = False


@dataclass(frozen=True)
class Placement:
    """A node (``node``), or kube-scheduler's words for why no node fits (``reason``)."""

    node: str | None
    reason: str = ""


def requests_of(pod_spec: Mapping[str, Any]) -> dict[str, float]:
    """What a Pod takes of its node: its requests, and one of the node's ``pods``."""
    return {**pod_requests(dict(pod_spec)), "pods": 1.0}


def _matches_expression(expression: Mapping[str, Any], value: str | None) -> bool:
    operator, values = expression.get("operator"), list(expression.get("values") or ())
    if operator == "In":
        return value is not None and value in values
    if operator == "NotIn":
        return value is None or value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and len(values) == 1:
        try:
            have, bound = int(value), int(values[0])
        except ValueError:
            return False
        return have > bound if operator == "Gt" else have < bound
    return False


def _term_matches(term: Mapping[str, Any], node: NodeRoom) -> bool:
    """A node selector term: all its label and field expressions hold (an empty term matches nothing)."""
    labels, fields = term.get("matchExpressions") or (), term.get("matchFields") or ()
    if not labels and not fields:
        return False
    return all(_matches_expression(e, node.labels.get(e.get("key", ""))) for e in labels) and all(
        _matches_expression(e, node.name if e.get("key") == "metadata.name" else None) for e in fields
    )


def selects(pod_spec: Mapping[str, Any], node: NodeRoom) -> bool:
    """Whether the Pod's ``nodeSelector`` and required node affinity allow the node."""
    if any(node.labels.get(key) != value for key, value in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    required = (
        ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
            "requiredDuringSchedulingIgnoredDuringExecution"
        )
        or {}
    ).get("nodeSelectorTerms")
    return not required or any(_term_matches(term, node) for term in required)


def _tolerates(tolerations: list[Mapping[str, Any]], taint: Mapping[str, Any]) -> bool:
    for toleration in tolerations:
        if toleration.get("effect") and toleration.get("effect") != taint.get("effect"):
            continue
        if toleration.get("operator") == "Exists":
            if not toleration.get("key") or toleration.get("key") == taint.get("key"):
                return True
        elif toleration.get("key") == taint.get("key") and (toleration.get("value") or "") == (
            taint.get("value") or ""
        ):
            return True
    return False


def untolerated_taint(pod_spec: Mapping[str, Any], node: NodeRoom) -> Mapping[str, Any] | None:
    """The first taint of the node that keeps the Pod off (NoSchedule or NoExecute, not tolerated)."""
    tolerations = list(pod_spec.get("tolerations") or ())
    for taint in node.taints:
        if taint.get("effect") in _NO_SCHEDULE_EFFECTS and not _tolerates(tolerations, taint):
            return taint
    return None


def _short(name: str) -> str:
    """How kube-scheduler names a resource it is short of."""
    return "Too many pods" if name == "pods" else f"Insufficient {name}"


def misfits(
    pod_spec: Mapping[str, Any], node: NodeRoom, used: Mapping[str, float], wanted: Mapping[str, float]
) -> list[str]:
    """Why the Pod does not fit on the node, in kube-scheduler's words (none: it fits)."""
    if node.unschedulable:
        return ["node(s) were unschedulable"]
    if not selects(pod_spec, node):
        return ["node(s) didn't match Pod's node affinity/selector"]
    if (taint := untolerated_taint(pod_spec, node)) is not None:
        shown = f"{taint.get('key')}: {taint.get('value')}" if taint.get("value") else taint.get("key")
        return [f"node(s) had untolerated taint {{{shown}}}"]
    return [
        _short(name)
        for name, amount in sorted(wanted.items())
        if amount > 0 and used.get(name, 0.0) + amount > node.allocatable.get(name, 0.0)
    ]


def place(
    pod_spec: Mapping[str, Any], nodes: list[NodeRoom], used: Mapping[str, Mapping[str, float]]
) -> Placement:
    """Where the Pod goes: the fitting node with the largest share of its CPU (then memory) still free,
    ties by name; ``used`` is what the Pods on each node already take."""
    wanted = requests_of(pod_spec)
    reasons: Counter[str] = Counter()
    best: tuple[float, float, str] | None = None
    for node in nodes:
        taken = used.get(node.name, {})
        problems = misfits(pod_spec, node, taken, wanted)
        if problems:
            reasons.update(problems)
            continue
        free = tuple(
            1.0 - (taken.get(name, 0.0) + wanted.get(name, 0.0)) / node.allocatable[name]
            if node.allocatable.get(name)
            else 0.0
            for name in ("cpu", "memory")
        )
        candidate = (-free[0], -free[1], node.name)
        if best is None or candidate < best:
            best = candidate
    if best is not None:
        return Placement(best[2])
    listed = ", ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))
    return Placement(
        None, f"0/{len(nodes)} nodes are available: {listed}." if nodes else "no nodes available"
    )
