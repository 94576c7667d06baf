"""Karmada's resource interpreter: what a resource template means for scheduling and propagation.

Karmada reads some facts out of arbitrary workload objects (how many replicas, what each replica needs) with
per-kind "interpreters". This package holds the default ones for the native kinds, as pure functions over
plain-dict objects.
"""

from karmadad.interpreter.replicas import get_replicas, pod_requests

__all__ = ["get_replicas", "pod_requests"]
