"""Karmada's override manager as pure functions: which OverridePolicies and ClusterOverridePolicies reach
a manifest on a cluster, the manifest they produce there, and the applied-overrides Work annotations
(named in :mod:`karmadad.api.karmada.names`)."""

from karmadad.overrides.overriders import OverrideError, apply_overriders
from karmadad.overrides.policies import applicable_policies, apply_overrides

__all__ = [
    "OverrideError",
    "applicable_policies",
    "apply_overriders",
    "apply_overrides",
]
