"""cluster.karmada.io/v1alpha1: Cluster, a member cluster and its observed state.

Field names and nesting follow Karmada's Go types (``pkg/apis/cluster/v1alpha1/types.go``); descriptions are
our own. Karmada requires ``spec.syncMode``; karmadad defaults it to ``Push`` (see the semantics notes).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from karmadad.api.karmada.meta import (
    Condition,
    KarmadaModel,
    ObjectMeta,
    Quantity,
    ResourceList,
    Taint,
    crd_default,
)

GROUP = "cluster.karmada.io"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

CONDITION_READY = "Ready"
CONDITION_COMPLETE_API_ENABLEMENTS = "CompleteAPIEnablements"


class _ClusterV1(KarmadaModel):
    __openapi_prefix__ = "io.karmada.cluster.v1alpha1"


class LocalSecretReference(_ClusterV1):
    """A Secret in the control plane."""

    namespace: str
    """Namespace of the Secret."""
    name: str
    """Name of the Secret."""


class ResourceModelRange(_ClusterV1):
    """The range [min, max) of one resource for a grade."""

    name: str
    """Resource name, e.g. cpu or memory."""
    min: Quantity
    """Lower bound (inclusive)."""
    max: Quantity
    """Upper bound (exclusive)."""


class ResourceModel(_ClusterV1):
    """A grade of node sizes, for estimating how many replicas fit."""

    grade: int = Field(ge=0)
    """Grade number; higher grades hold larger nodes."""
    ranges: list[ResourceModelRange]
    """The resource ranges of nodes in this grade."""


class ClusterSpec(_ClusterV1):
    """How to reach a member cluster and what it is."""

    id: str = Field(default="", max_length=128000)
    """A unique ID of the cluster, usually the UID of its kube-system namespace."""
    syncMode: Literal["Push", "Pull"] = Field(default="Push", json_schema_extra=crd_default("Push"))
    """Push: karmadad applies to the member; Pull: an agent in the member pulls (karmadad default Push)."""
    apiEndpoint: str = ""
    """The member's API server URL."""
    secretRef: LocalSecretReference | None = None
    """Secret with the credentials (token, caBundle) for the member."""
    impersonatorSecretRef: LocalSecretReference | None = None
    """Secret with the token used to impersonate users in the member."""
    insecureSkipTLSVerification: bool = False
    """Skip verifying the member's serving certificate."""
    proxyURL: str = ""
    """Proxy for reaching the member (http, https or socks5)."""
    proxyHeader: dict[str, str] = Field(default_factory=dict)
    """Headers sent to the proxy."""
    provider: str = ""
    """Cloud provider of the member."""
    region: str = ""
    """Region of the member."""
    zone: str = ""
    """Deprecated: use zones (migrated automatically)."""
    zones: list[str] = Field(default_factory=list)
    """Failure zones the member spans."""
    taints: list[Taint] = Field(default_factory=list)
    """Taints repelling workloads that do not tolerate them."""
    resourceModels: list[ResourceModel] = Field(default_factory=list)
    """Grades of node sizes, for estimating capacity."""


class APIResource(_ClusterV1):
    """A resource the member serves."""

    name: str
    """Plural name, e.g. deployments."""
    kind: str
    """Kind, e.g. Deployment."""


class APIEnablement(_ClusterV1):
    """The resources of one group-version the member serves."""

    groupVersion: str
    """Group and version, e.g. apps/v1."""
    resources: list[APIResource] = Field(default_factory=list)
    """The resources."""


class NodeSummary(_ClusterV1):
    """Node counts of the member."""

    totalNum: int = 0
    """Number of nodes."""
    readyNum: int = 0
    """Number of ready nodes."""


class AllocatableModeling(_ClusterV1):
    """How many nodes fall into one resource model grade."""

    grade: int = Field(ge=0)
    """The grade."""
    count: int
    """Number of nodes in it."""


class ResourceSummary(_ClusterV1):
    """Resources of the member, summed over its nodes."""

    allocatable: ResourceList = Field(default_factory=dict)
    """What the nodes offer."""
    allocating: ResourceList = Field(default_factory=dict)
    """What pods not yet scheduled request."""
    allocated: ResourceList = Field(default_factory=dict)
    """What scheduled pods request."""
    allocatableModelings: list[AllocatableModeling] = Field(default_factory=list)
    """Nodes per resource model grade."""


class ClusterStatus(_ClusterV1):
    """The observed state of the member."""

    kubernetesVersion: str = ""
    """Kubernetes version of the member."""
    apiEnablements: list[APIEnablement] = Field(default_factory=list)
    """The resources the member serves."""
    conditions: list[Condition] = Field(default_factory=list)
    """Ready and CompleteAPIEnablements."""
    nodeSummary: NodeSummary | None = None
    """Node counts."""
    resourceSummary: ResourceSummary | None = None
    """Resource totals."""
    remedyActions: list[str] = Field(default_factory=list)
    """Remedy actions in effect for the cluster."""


class Cluster(_ClusterV1):
    """A member cluster: how to reach it and its observed state."""

    apiVersion: str = API_VERSION
    """cluster.karmada.io/v1alpha1"""
    kind: str = "Cluster"
    """Cluster"""
    metadata: ObjectMeta = Field(default_factory=ObjectMeta)
    """Standard object metadata."""
    spec: ClusterSpec = Field(default_factory=ClusterSpec)
    """How to reach the member and what it is."""
    status: ClusterStatus = Field(default_factory=ClusterStatus)
    """Observed state."""
