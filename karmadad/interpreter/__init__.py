"""Karmada's resource interpreter: what a resource template means for scheduling and propagation.

Karmada reads some facts out of arbitrary workload objects (how many replicas, what each replica needs) with
per-kind "interpreters". This package holds the default ones for the native kinds, as pure functions over
plain-dict objects.
"""

from karmadad.interpreter.dependencies import get_dependencies
from karmadad.interpreter.health import interpret_health
from karmadad.interpreter.replicas import get_replicas, pod_requests
from karmadad.interpreter.retain import retain
from karmadad.interpreter.revise import divide_completions, revise_replicas
from karmadad.interpreter.status import aggregate_status, reflect_status
from karmadad.interpreter.work import prune_manifest, work_name

__all__ = [
    "aggregate_status",
    "divide_completions",
    "get_dependencies",
    "get_replicas",
    "interpret_health",
    "pod_requests",
    "prune_manifest",
    "reflect_status",
    "retain",
    "revise_replicas",
    "work_name",
]
