"""work.karmada.io: ResourceBinding and ClusterResourceBinding (v1alpha2), Work (v1alpha1).

Field names, nesting, enums and CRD defaults follow Karmada's Go types
(``pkg/apis/work/v1alpha2/binding_types.go``, ``pkg/apis/work/v1alpha1/work_types.go``); descriptions are
our own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from karmadad.api.karmada.meta import (
    Condition,
    KarmadaModel,
    NodeSelector,
    ObjectMeta,
    RawObject,
    ResourceList,
    Time,
    Toleration,
    crd_default,
)
from karmadad.api.karmada.policy import FailoverBehavior, Placement, PurgeMode
from karmadad.api.karmada.policy import Suspension as PolicySuspension

GROUP = "work.karmada.io"
BINDING_VERSION = "v1alpha2"
WORK_VERSION = "v1alpha1"
BINDING_API_VERSION = f"{GROUP}/{BINDING_VERSION}"
WORK_API_VERSION = f"{GROUP}/{WORK_VERSION}"

ResourceHealth = Literal["Healthy", "Unhealthy", "Unknown"]

# Condition types and reasons (binding_types.go, work_types.go).
CONDITION_SCHEDULED = "Scheduled"
CONDITION_FULLY_APPLIED = "FullyApplied"
REASON_SUCCESS = "Success"
REASON_SCHEDULER_ERROR = "SchedulerError"
REASON_NO_CLUSTER_FIT = "NoClusterFit"
REASON_UNSCHEDULABLE = "Unschedulable"
CONDITION_APPLIED = "Applied"
CONDITION_DISPATCHING = "Dispatching"


class _BindingV2(KarmadaModel):
    __openapi_prefix__ = "io.karmada.work.v1alpha2"


class _WorkV1(KarmadaModel):
    __openapi_prefix__ = "io.karmada.work.v1alpha1"


# --------------------------------------------------------------------------- bindings


class ObjectReference(_BindingV2):
    """The resource template a binding is for."""

    apiVersion: str
    """API version of the template."""
    kind: str
    """Kind of the template."""
    namespace: str = ""
    """Namespace of the template; empty for cluster-scoped ones."""
    name: str
    """Name of the template."""
    uid: str = ""
    """UID of the template."""
    resourceVersion: str = ""
    """resourceVersion of the template the binding was last built from."""


class NodeClaim(_BindingV2):
    """Node constraints of the workload's pods, for estimating where they fit."""

    hardNodeAffinity: NodeSelector | None = None
    """Required node affinity of the pods."""
    nodeSelector: dict[str, str] = Field(default_factory=dict)
    """Node selector of the pods."""
    tolerations: list[Toleration] = Field(default_factory=list)
    """Tolerations of the pods."""


class ReplicaRequirements(_BindingV2):
    """Resources and node constraints of one replica of the workload."""

    nodeClaim: NodeClaim | None = None
    """Node constraints of a replica."""
    resourceRequest: ResourceList = Field(default_factory=dict)
    """Resources one replica requests."""
    namespace: str = ""
    """Namespace of the workload."""
    priorityClassName: str = ""
    """Priority class of the pods."""


class ComponentReplicaRequirements(_BindingV2):
    """What one replica of a component needs."""

    nodeClaim: NodeClaim | None = None
    """Node constraints of a replica."""
    resourceRequest: ResourceList = Field(default_factory=dict)
    """Resources one replica requests."""
    priorityClassName: str = ""
    """Priority class of the pods."""


class Component(_BindingV2):
    """One pod template of a workload with several (e.g. a leader and workers)."""

    name: str = Field(max_length=32)
    """Name of the component."""
    replicas: int
    """Replicas of the component."""
    replicaRequirements: ComponentReplicaRequirements | None = None
    """What one replica needs."""


class TargetComponent(_BindingV2):
    """Replicas of one component on one cluster."""

    name: str
    """Name of the component."""
    replicas: int
    """Replicas on the cluster."""


class TargetCluster(_BindingV2):
    """A cluster chosen by the scheduler, with its share of replicas."""

    name: str
    """Name of the cluster."""
    replicas: int = 0
    """Replicas assigned to the cluster."""
    components: list[TargetComponent] = Field(default_factory=list)
    """Per-component replicas on the cluster."""


class GracefulEvictionTask(_BindingV2):
    """A cluster the workload is leaving; its copy stays until the replacement is healthy."""

    fromCluster: str
    """The cluster being left."""
    purgeMode: PurgeMode | None = None
    """How the old copy is removed: Directly, Gracefully or Never."""
    replicas: int | None = None
    """Replicas evicted."""
    reason: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    """Why, in CamelCase (e.g. TaintUntolerated, ApplicationFailure)."""
    message: str = Field(default="", max_length=1024)
    """Details of the eviction."""
    producer: str
    """The controller that started the eviction."""
    gracePeriodSeconds: int | None = None
    """How long to wait before the old copy is removed anyway."""
    suppressDeletion: bool | None = None
    """Keep the old copy until someone stops the task."""
    preservedLabelState: dict[str, str] = Field(default_factory=dict)
    """State taken from the old cluster, handed to the new one as labels."""
    creationTimestamp: Time | None = None
    """When the task was created."""
    clustersBeforeFailover: list[str] = Field(default_factory=list)
    """The clusters the workload ran on before the failover."""


class BindingSnapshot(_BindingV2):
    """A binding that needs this one, with the clusters it was scheduled to."""

    namespace: str = ""
    """Namespace of that binding."""
    name: str
    """Name of that binding."""
    clusters: list[TargetCluster] = Field(default_factory=list)
    """Clusters of that binding."""


class BindingSuspension(PolicySuspension):
    """Pausing scheduling or dispatching of the binding."""

    __openapi_prefix__ = "io.karmada.work.v1alpha2"
    __go_name__ = "Suspension"

    scheduling: bool | None = None
    """Pause scheduling of the binding."""


class BindingSchedulePriority(_BindingV2):
    """The scheduling priority of the binding."""

    __go_name__ = "SchedulePriority"

    priority: int = Field(default=0, json_schema_extra=crd_default(0))
    """Higher is scheduled first (default 0)."""


class WorkloadAffinityGroups(_BindingV2):
    """The affinity groups the workload belongs to."""

    affinityGroup: str = ""
    """Group of workloads placed together."""
    antiAffinityGroup: str = ""
    """Group of workloads placed apart."""


class ResourceBindingSpec(_BindingV2):
    """The template a binding is for, what it needs, and where it was scheduled."""

    resource: ObjectReference
    """The resource template."""
    propagateDeps: bool = False
    """Also propagate the template's dependencies."""
    replicaRequirements: ReplicaRequirements | None = None
    """What one replica needs."""
    replicas: int = 0
    """Replicas of the workload."""
    components: list[Component] = Field(default_factory=list)
    """Components of a workload with several pod templates."""
    clusters: list[TargetCluster] = Field(default_factory=list)
    """Where the scheduler placed the resource, with replicas per cluster."""
    placement: Placement | None = None
    """The placement copied from the policy."""
    gracefulEvictionTasks: list[GracefulEvictionTask] = Field(default_factory=list)
    """Clusters being left."""
    requiredBy: list[BindingSnapshot] = Field(default_factory=list)
    """Bindings that depend on this one."""
    schedulerName: str = ""
    """The scheduler in charge."""
    failover: FailoverBehavior | None = None
    """Failover settings copied from the policy."""
    conflictResolution: Literal["Abort", "Overwrite"] = Field(
        default="Abort", json_schema_extra=crd_default("Abort")
    )
    """What to do when a member already has the resource: Abort (default) or Overwrite."""
    rescheduleTriggeredAt: Time | None = None
    """A time after the last scheduling asks for a fresh rescheduling."""
    suspension: BindingSuspension | None = None
    """Pause scheduling or dispatching."""
    preserveResourcesOnDeletion: bool | None = None
    """Keep the resources in the member clusters when the template is deleted."""
    schedulePriority: BindingSchedulePriority | None = None
    """Scheduling priority of the binding."""
    workloadAffinityGroups: WorkloadAffinityGroups | None = None
    """Affinity groups of the workload."""


class AggregatedStatusItem(_BindingV2):
    """The state of the resource in one member cluster."""

    clusterName: str
    """The member cluster."""
    status: RawObject | None = None
    """The status reported by the member."""
    applied: bool = False
    """Whether the resource was applied to the member."""
    appliedMessage: str = ""
    """Why applying failed, if it did."""
    health: ResourceHealth | None = None
    """Healthy, Unhealthy or Unknown."""


class ResourceBindingStatus(_BindingV2):
    """Scheduling and propagation state of a binding."""

    schedulerObservedGeneration: int = 0
    """The generation the scheduler last acted on."""
    schedulerObservingAffinityName: str = ""
    """The affinity term the scheduler used."""
    lastScheduledTime: Time | None = None
    """When the binding was last scheduled."""
    conditions: list[Condition] = Field(default_factory=list)
    """Scheduled and FullyApplied."""
    aggregatedStatus: list[AggregatedStatusItem] = Field(default_factory=list)
    """The state of the resource per member cluster."""


class ResourceBinding(_BindingV2):
    """Binds a namespaced resource template to the clusters it is propagated to."""

    apiVersion: str = BINDING_API_VERSION
    """work.karmada.io/v1alpha2"""
    kind: str = "ResourceBinding"
    """ResourceBinding"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: ResourceBindingSpec
    """The template, its needs, and where it goes."""
    status: ResourceBindingStatus = Field(default_factory=ResourceBindingStatus)
    """Scheduling and propagation state."""


class ClusterResourceBinding(_BindingV2):
    """Binds a cluster-scoped resource template to the clusters it is propagated to."""

    apiVersion: str = BINDING_API_VERSION
    """work.karmada.io/v1alpha2"""
    kind: str = "ClusterResourceBinding"
    """ClusterResourceBinding"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: ResourceBindingSpec
    """The template, its needs, and where it goes."""
    status: ResourceBindingStatus = Field(default_factory=ResourceBindingStatus)
    """Scheduling and propagation state."""


# --------------------------------------------------------------------------- works


class WorkloadTemplate(_WorkV1):
    """The objects to apply to the member cluster."""

    manifests: list[RawObject] = Field(default_factory=list)
    """Whole objects, as they will be applied (one in practice)."""


class WorkSpec(_WorkV1):
    """What to apply to one member cluster."""

    workload: WorkloadTemplate = Field(default_factory=WorkloadTemplate)
    """The objects."""
    suspendDispatching: bool | None = None
    """Stop applying changes to the member (status is still collected)."""
    preserveResourcesOnDeletion: bool | None = None
    """Keep the objects in the member when the Work is deleted."""


class ResourceIdentifier(_WorkV1):
    """Which manifest a status belongs to."""

    ordinal: int
    """Index of the manifest in spec.workload.manifests."""
    group: str = ""
    """API group of the object."""
    version: str
    """API version of the object."""
    kind: str
    """Kind of the object."""
    resource: str
    """Plural resource name of the object."""
    namespace: str = ""
    """Namespace of the object."""
    name: str
    """Name of the object."""


class ManifestStatus(_WorkV1):
    """The state of one applied object."""

    identifier: ResourceIdentifier
    """The manifest."""
    status: RawObject | None = None
    """The object's status in the member cluster."""
    health: ResourceHealth | None = None
    """Healthy, Unhealthy or Unknown."""


class WorkStatus(_WorkV1):
    """What happened to the objects in the member cluster."""

    conditions: list[Condition] = Field(default_factory=list)
    """Applied and Dispatching."""
    manifestStatuses: list[ManifestStatus] = Field(default_factory=list)
    """The state of each object."""


class Work(_WorkV1):
    """The objects to apply to one member cluster; lives in the namespace karmada-es-<cluster>."""

    apiVersion: str = WORK_API_VERSION
    """work.karmada.io/v1alpha1"""
    kind: str = "Work"
    """Work"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: WorkSpec
    """What to apply."""
    status: WorkStatus = Field(default_factory=WorkStatus)
    """What happened."""
