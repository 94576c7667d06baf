"""Karmada's override manager as pure functions: which OverridePolicies and ClusterOverridePolicies reach
a manifest on a cluster, the manifest they produce there, and the applied-overrides Work annotations."""

from karmadad.overrides.applied import APPLIED_CLUSTER_OVERRIDES, APPLIED_OVERRIDES
from karmadad.overrides.overriders import OverrideError, apply_overriders
from karmadad.overrides.policies import applicable_policies, apply_overrides

__all__ = [
    "APPLIED_CLUSTER_OVERRIDES",
    "APPLIED_OVERRIDES",
    "OverrideError",
    "applicable_policies",
    "apply_overriders",
    "apply_overrides",
]
