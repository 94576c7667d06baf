"""policy.karmada.io/v1alpha1: (Cluster)PropagationPolicy, (Cluster)OverridePolicy and ClusterTaintPolicy.

Field names, nesting, enums and CRD defaults follow Karmada's Go types
(``pkg/apis/policy/v1alpha1/propagation_types.go``, ``override_types.go``, ``clustertaint_types.go``); descriptions are our own.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from karmadad.api.karmada.meta import (
    JSONValue,
    KarmadaModel,
    LabelSelector,
    NodeSelectorRequirement,
    ObjectMeta,
    Toleration,
    crd_default,
)

GROUP = "policy.karmada.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

# Immediately and Graciously: Karmada's earlier names for Directly and Gracefully, still accepted as sent.
PurgeMode = Literal["Directly", "Gracefully", "Never", "Immediately", "Graciously"]
GRACEFUL_PURGE_MODES = frozenset({"Gracefully", "Graciously"})
OverriderOperator = Literal["add", "remove", "replace"]


class _Policy(KarmadaModel):
    __openapi_prefix__ = "io.karmada.policy.v1alpha1"


# --------------------------------------------------------------------------- propagation


class ResourceSelector(_Policy):
    """Picks resource templates by apiVersion and kind, narrowed by namespace, name or labels."""

    apiVersion: str
    """API version of the resources, e.g. apps/v1."""
    kind: str
    """Kind of the resources, e.g. Deployment."""
    namespace: str = ""
    """Namespace of the resources; in a PropagationPolicy it defaults to the policy's namespace."""
    name: str = ""
    """Name of one resource; when set, labelSelector is ignored."""
    labelSelector: LabelSelector | None = None
    """Labels the resources must carry; ignored when name is set."""


class FieldSelector(_Policy):
    """Selects clusters by their provider, region or zone."""

    matchExpressions: list[NodeSelectorRequirement] = Field(default_factory=list)
    """Requirements on provider, region or zone, with operator In or NotIn."""


class ClusterAffinity(_Policy):
    """Which clusters qualify: all given parts must hold."""

    labelSelector: LabelSelector | None = None
    """Labels the clusters must carry."""
    fieldSelector: FieldSelector | None = None
    """Provider, region or zone the clusters must have."""
    clusterNames: list[str] = Field(default_factory=list)
    """Clusters by name."""
    exclude: list[str] = Field(default_factory=list)
    """Clusters that never qualify."""


class OverflowClusterAffinity(ClusterAffinity):
    """A group of clusters used when the primary group of an affinity term runs out of room."""

    affinityName: str = Field(min_length=1, max_length=32)
    """Name of this group."""


class ClusterAffinityTerm(ClusterAffinity):
    """One named affinity; terms are tried in order until one fits."""

    affinityName: str = Field(min_length=1, max_length=32)
    """Name of the term, unique in the policy; the chosen one shows in the binding's status."""
    overflowAffinities: list[OverflowClusterAffinity] = Field(default_factory=list)
    """Further cluster groups used in order when this term's clusters lack capacity."""


class SpreadConstraint(_Policy):
    """How many groups of clusters (by cluster, region, zone, provider or a label) to spread across."""

    spreadByField: Literal["cluster", "region", "zone", "provider"] | None = None
    """Group clusters by this field; defaults to cluster when spreadByLabel is also empty."""
    spreadByLabel: str = ""
    """Group clusters by the value of this label; not together with spreadByField."""
    maxGroups: int = 0
    """At most this many groups (0: no limit)."""
    minGroups: int = 0
    """At least this many groups (defaults to 1)."""


class StaticClusterWeight(_Policy):
    """A weight for the clusters matching an affinity."""

    targetCluster: ClusterAffinity
    """The clusters this weight applies to."""
    weight: int = Field(ge=1)
    """Relative share of replicas (at least 1)."""


class ClusterPreferences(_Policy):
    """How replicas are weighted between clusters."""

    staticWeightList: list[StaticClusterWeight] = Field(default_factory=list)
    """Fixed weights per cluster group."""
    dynamicWeight: Literal["AvailableReplicas"] | None = None
    """Weigh clusters by what they can still hold; overrides staticWeightList."""


class ReplicaSchedulingStrategy(_Policy):
    """How a workload's replicas are spread over the selected clusters."""

    replicaSchedulingType: Literal["Duplicated", "Divided"] = Field(
        "Divided", json_schema_extra=crd_default("Divided")
    )
    """Duplicated: every cluster gets all replicas; Divided: the replicas are shared out."""
    replicaDivisionPreference: Literal["Aggregated", "Weighted"] | None = None
    """For Divided: pack into as few clusters as possible, or split by weight (default Weighted)."""
    weightPreference: ClusterPreferences | None = None
    """Weights for the Weighted preference."""


class WorkloadAffinityTerm(_Policy):
    """Co-locate workloads that share a label value."""

    groupByLabelKey: str
    """Workloads with the same value of this label are placed together."""


class WorkloadAntiAffinityTerm(_Policy):
    """Keep apart workloads that share a label value."""

    groupByLabelKey: str
    """Workloads with the same value of this label are placed apart."""


class WorkloadAffinity(_Policy):
    """Affinity and anti-affinity between workloads."""

    affinity: WorkloadAffinityTerm | None = None
    """Place together with related workloads."""
    antiAffinity: WorkloadAntiAffinityTerm | None = None
    """Place away from related workloads."""


class Placement(_Policy):
    """Where the selected resources go."""

    clusterAffinity: ClusterAffinity | None = None
    """The clusters that qualify; not together with clusterAffinities."""
    clusterAffinities: list[ClusterAffinityTerm] = Field(default_factory=list)
    """Ordered affinity terms; the scheduler uses the first one that fits."""
    clusterTolerations: list[Toleration] = Field(default_factory=list)
    """Cluster taints the resources tolerate (operators Exists or Equal)."""
    spreadConstraints: list[SpreadConstraint] = Field(default_factory=list)
    """How widely to spread over cluster groups."""
    replicaScheduling: ReplicaSchedulingStrategy | None = None
    """How replicas are shared out; absent means every cluster gets all replicas (Duplicated)."""
    workloadAffinity: WorkloadAffinity | None = None
    """Placement relative to other workloads."""


class StatePreservationRule(_Policy):
    """One piece of state carried from the failed cluster to the new one."""

    aliasLabelName: str
    """Label under which the value is handed to the new cluster's copy."""
    jsonPath: str
    """JSONPath into the old copy's status selecting the value."""


class StatePreservation(_Policy):
    """State kept across a failover."""

    rules: list[StatePreservationRule]
    """What to keep."""


class DecisionConditions(_Policy):
    """When a failover is decided."""

    tolerationSeconds: int | None = Field(default=300, json_schema_extra=crd_default(300))
    """How long the application may stay unhealthy before it is moved (default 300)."""


class ApplicationFailoverBehavior(_Policy):
    """Moving an application away from a cluster where it stays unhealthy."""

    decisionConditions: DecisionConditions
    """When to fail over."""
    purgeMode: PurgeMode = Field(default="Gracefully", json_schema_extra=crd_default("Gracefully"))
    """What happens to the old copy: Directly, Gracefully (default) or Never deleted (or the deprecated
    Immediately and Graciously, meaning Directly and Gracefully)."""
    gracePeriodSeconds: int | None = None
    """With Gracefully: how long to wait for the new copy before deleting the old (default 600)."""
    statePreservation: StatePreservation | None = None
    """State carried over to the new cluster."""


class ClusterFailoverBehavior(_Policy):
    """Moving applications away from a failed cluster."""

    purgeMode: Literal["Directly", "Gracefully"] = Field(
        "Gracefully", json_schema_extra=crd_default("Gracefully")
    )
    """What happens to the old copy: Directly or Gracefully (default) deleted."""
    statePreservation: StatePreservation | None = None
    """State carried over to the new cluster."""


class FailoverBehavior(_Policy):
    """When and how workloads move away from failed clusters or unhealthy copies."""

    application: ApplicationFailoverBehavior | None = None
    """Application failover; needs propagateDeps."""
    cluster: ClusterFailoverBehavior | None = None
    """Cluster failover."""


class SuspendClusters(_Policy):
    """Clusters for which dispatching is paused."""

    clusterNames: list[str] = Field(default_factory=list)
    """Names of the clusters."""


class Suspension(_Policy):
    """Pausing the propagation of changes."""

    dispatching: bool | None = None
    """Pause dispatching to all clusters; not together with dispatchingOnClusters."""
    dispatchingOnClusters: SuspendClusters | None = None
    """Pause dispatching to some clusters."""


class SchedulePriority(_Policy):
    """Where the scheduling priority of the resources comes from."""

    priorityClassSource: Literal["KubePriorityClass"]
    """Source of the priority class; only KubePriorityClass."""
    priorityClassName: str
    """Name of the priority class."""


class PropagationSpec(_Policy):
    """The resource templates a propagation policy selects and where it places them."""

    resourceSelectors: list[ResourceSelector] = Field(min_length=1)
    """The resource templates this policy propagates (at least one)."""
    association: bool = False
    """Deprecated name of propagateDeps."""
    propagateDeps: bool = False
    """Also propagate what the resources depend on (ConfigMaps, Secrets, ...)."""
    placement: Placement = Field(default_factory=Placement)
    """Where the resources go."""
    priority: int | None = Field(default=0, json_schema_extra=crd_default(0))
    """When several policies match a resource the highest priority wins (default 0)."""
    preemption: Literal["Always", "Never"] = Field(default="Never", json_schema_extra=crd_default("Never"))
    """Whether this policy takes resources already claimed by lower-priority policies (default Never)."""
    dependentOverrides: list[str] = Field(default_factory=list)
    """OverridePolicies that must exist before this policy applies."""
    schedulerName: str = Field(
        default="default-scheduler", json_schema_extra=crd_default("default-scheduler")
    )
    """Scheduler in charge (default default-scheduler); cannot change."""
    failover: FailoverBehavior | None = None
    """Failover settings."""
    conflictResolution: Literal["Abort", "Overwrite"] = Field(
        default="Abort", json_schema_extra=crd_default("Abort")
    )
    """What to do when a member cluster already has the resource: Abort (default) or Overwrite."""
    activationPreference: Literal["Lazy"] | None = None
    """Lazy: policy changes take effect only when the resources next change."""
    suspension: Suspension | None = None
    """Pause propagation."""
    preserveResourcesOnDeletion: bool | None = None
    """Keep the resources in the member clusters when their template is deleted."""
    schedulePriority: SchedulePriority | None = None
    """Scheduling priority of the resources."""


class PropagationPolicy(_Policy):
    """Propagates resource templates of its namespace to member clusters."""

    apiVersion: str = API_VERSION
    """policy.karmada.io/v1alpha1"""
    kind: str = "PropagationPolicy"
    """PropagationPolicy"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: PropagationSpec
    """What to propagate and where to."""


class ClusterPropagationPolicy(_Policy):
    """Propagates cluster-scoped resource templates and those of any namespace to member clusters."""

    apiVersion: str = API_VERSION
    """policy.karmada.io/v1alpha1"""
    kind: str = "ClusterPropagationPolicy"
    """ClusterPropagationPolicy"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: PropagationSpec
    """What to propagate and where to."""


# --------------------------------------------------------------------------- overrides


class ImagePredicate(_Policy):
    """Which image field to change."""

    path: str
    """JSON pointer to the image field, e.g. /spec/template/spec/containers/0/image."""


class ImageOverrider(_Policy):
    """Changes one part of container images."""

    predicate: ImagePredicate | None = None
    """The image field to change; by default the containers' images of the usual workload kinds."""
    component: Literal["Registry", "Repository", "Tag"]
    """The image part: Registry, Repository or Tag."""
    operator: OverriderOperator
    """add, remove or replace."""
    value: str = ""
    """The new value (for add and replace)."""


class CommandArgsOverrider(_Policy):
    """Adds to or removes from a container's command or args."""

    containerName: str
    """The container to change."""
    operator: Literal["add", "remove"]
    """add or remove."""
    value: list[str] = Field(default_factory=list)
    """Items to append or to remove."""


class LabelAnnotationOverrider(_Policy):
    """Changes labels or annotations of the resource."""

    operator: OverriderOperator
    """add, remove or replace."""
    value: dict[str, str]
    """The keys (and values) to add, remove or replace."""


class PlaintextOverrider(_Policy):
    """One JSON patch (RFC 6902) operation on the resource."""

    path: str
    """JSON pointer to the field, e.g. /spec/replicas."""
    operator: OverriderOperator
    """add, remove or replace."""
    value: JSONValue = None
    """The new value (for add and replace)."""


class JSONPatchOperation(_Policy):
    """One patch operation on a JSON document held in a string field."""

    subPath: str
    """JSON pointer inside the document."""
    operator: OverriderOperator
    """add, remove or replace."""
    value: JSONValue = None
    """The new value (required for add and replace, absent for remove)."""


class YAMLPatchOperation(_Policy):
    """One patch operation on a YAML document held in a string field."""

    subPath: str
    """JSON pointer inside the document."""
    operator: OverriderOperator
    """add, remove or replace."""
    value: JSONValue = None
    """The new value (required for add and replace, absent for remove)."""


class FieldOverrider(_Policy):
    """Patches a JSON or YAML document held in a string field (e.g. a ConfigMap key)."""

    fieldPath: str
    """JSON pointer to the string field, e.g. /data/config.yaml."""
    json_: list[JSONPatchOperation] = Field(default_factory=list, alias="json")
    """Operations when the field holds JSON; not together with yaml."""
    yaml: list[YAMLPatchOperation] = Field(default_factory=list)
    """Operations when the field holds YAML; not together with json."""


class Overriders(_Policy):
    """Changes to apply, in this order: images, command, args, labels, annotations, fields, plaintext."""

    plaintext: list[PlaintextOverrider] = Field(default_factory=list)
    """JSON patch operations, applied last."""
    imageOverrider: list[ImageOverrider] = Field(default_factory=list)
    """Image changes."""
    commandOverrider: list[CommandArgsOverrider] = Field(default_factory=list)
    """Container command changes."""
    argsOverrider: list[CommandArgsOverrider] = Field(default_factory=list)
    """Container args changes."""
    labelsOverrider: list[LabelAnnotationOverrider] = Field(default_factory=list)
    """Label changes."""
    annotationsOverrider: list[LabelAnnotationOverrider] = Field(default_factory=list)
    """Annotation changes."""
    fieldOverrider: list[FieldOverrider] = Field(default_factory=list)
    """Changes inside JSON or YAML documents held in string fields."""


class RuleWithCluster(_Policy):
    """Overriders for the clusters matching an affinity."""

    targetCluster: ClusterAffinity | None = None
    """The clusters the rule applies to; absent means all."""
    overriders: Overriders
    """The changes."""


class OverrideSpec(_Policy):
    """Which resources to change, and how, per cluster."""

    resourceSelectors: list[ResourceSelector] = Field(default_factory=list)
    """The resource templates the policy applies to; absent means all."""
    overrideRules: list[RuleWithCluster] = Field(default_factory=list)
    """Rules per cluster group."""
    targetCluster: ClusterAffinity | None = None
    """Deprecated: use overrideRules."""
    overriders: Overriders = Field(default_factory=Overriders)
    """Deprecated: use overrideRules."""


class OverridePolicy(_Policy):
    """Changes resource templates of its namespace per member cluster."""

    apiVersion: str = API_VERSION
    """policy.karmada.io/v1alpha1"""
    kind: str = "OverridePolicy"
    """OverridePolicy"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: OverrideSpec
    """Which resources to change and how."""


class ClusterOverridePolicy(_Policy):
    """Changes resource templates of any namespace, and cluster-scoped ones, per member cluster."""

    apiVersion: str = API_VERSION
    """policy.karmada.io/v1alpha1"""
    kind: str = "ClusterOverridePolicy"
    """ClusterOverridePolicy"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: OverrideSpec
    """Which resources to change and how."""


# --------------------------------------------------------------------------- cluster taints


class MatchCondition(_Policy):
    """A test on one of a Cluster's status conditions."""

    conditionType: str
    """The condition's type (e.g. Ready)."""
    operator: str
    """In or NotIn."""
    statusValues: list[str]
    """Condition statuses (True, False, Unknown) the operator compares with."""


class PolicyTaint(_Policy):
    """A taint a ClusterTaintPolicy puts on or takes off clusters."""

    __go_name__ = "Taint"

    key: str
    """Taint key."""
    effect: str
    """NoSchedule or NoExecute (NoExecute only where the operator allows it)."""
    value: str = ""
    """Taint value."""


class ClusterTaintPolicySpec(_Policy):
    targetClusters: ClusterAffinity | None = None
    """The clusters the policy looks after; unset: all of them."""
    addOnConditions: list[MatchCondition] = Field(default_factory=list)
    """When all of these hold, the taints are added (empty: never)."""
    removeOnConditions: list[MatchCondition] = Field(default_factory=list)
    """When all of these hold, the taints are removed (empty: never)."""
    taints: list[PolicyTaint] = Field(min_length=1)
    """The taints added and removed."""


class ClusterTaintPolicy(_Policy):
    """Adds and removes taints on Clusters as their status conditions change (kept when it is deleted)."""

    apiVersion: str = API_VERSION
    """policy.karmada.io/v1alpha1"""
    kind: str = "ClusterTaintPolicy"
    """ClusterTaintPolicy"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: ClusterTaintPolicySpec
    """Which clusters, when, and which taints."""
