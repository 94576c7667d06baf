"""apps.karmada.io/v1alpha1: WorkloadRebalancer, a one-off request to schedule workloads afresh.

Field names and nesting follow Karmada's Go types (``pkg/apis/apps/v1alpha1/workloadrebalancer_types.go``);
descriptions are our own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from karmadad.api.karmada.meta import KarmadaModel, ObjectMeta, Time

GROUP = "apps.karmada.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"


class _Apps(KarmadaModel):
    __openapi_prefix__ = "io.karmada.apps.v1alpha1"


class WorkloadReference(_Apps):
    """A resource template whose binding is to be scheduled afresh."""

    __go_name__ = "ObjectReference"

    apiVersion: str
    """API version of the template."""
    kind: str
    """Kind of the template."""
    name: str
    """Name of the template."""
    namespace: str = ""
    """Namespace of the template (empty for cluster-scoped ones)."""


class ObservedWorkload(_Apps):
    """What came of one workload's rebalance."""

    workload: WorkloadReference
    """The workload."""
    result: Literal["Successful", "Failed"] | None = None
    """Successful once its binding was asked to schedule afresh; Failed when it has none."""
    reason: str = ""
    """Why it failed (ReferencedBindingNotFound)."""


class WorkloadRebalancerSpec(_Apps):
    workloads: list[WorkloadReference] = Field(min_length=1)
    """The workloads to rebalance."""
    ttlSecondsAfterFinished: int | None = None
    """Seconds after it finished when the rebalancer deletes itself (unset: it stays)."""


class WorkloadRebalancerStatus(_Apps):
    observedWorkloads: list[ObservedWorkload] = Field(default_factory=list)
    """Each workload and its result, sorted."""
    observedGeneration: int | None = None
    """The generation these results are for."""
    finishTime: Time | None = None
    """When every workload had its result."""


class WorkloadRebalancer(_Apps):
    """Schedules the bindings of the given workloads afresh, once (``rescheduleTriggeredAt``)."""

    apiVersion: str = API_VERSION
    """apps.karmada.io/v1alpha1"""
    kind: str = "WorkloadRebalancer"
    """WorkloadRebalancer"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: WorkloadRebalancerSpec
    """The workloads."""
    status: WorkloadRebalancerStatus | None = None
    """What came of it."""
