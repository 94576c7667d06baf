"""The base of the Karmada models and the Kubernetes types they embed.

Why this module exists: Karmada's API types reuse a handful of Kubernetes types (label selectors,
tolerations, taints, node selectors, conditions, quantities, raw objects). They are modelled here once,
with their Kubernetes OpenAPI names, so the policy, work and cluster models can share them and the
OpenAPI documents name them as Kubernetes does.

The models are *typed views*: objects travel as plain dicts, and a controller that reasons about a Karmada
kind parses it with ``Model.model_validate(obj)``. Attribute names are the JSON names (camelCase), so
``policy.spec.placement.clusterAffinity`` reads like the manifest. Defaults mirror Go's zero values (empty
string, empty list, ``None`` for pointers) or the CRD default where Karmada has one. Unknown fields are
ignored by the views; strict checking of unknown fields is :func:`karmadad.api.karmada.unknown_fields`.

Each field's docstring becomes its OpenAPI ``description`` (``kubectl explain``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

__all__ = [
    "CRD_DEFAULT",
    "Condition",
    "JSONValue",
    "KarmadaModel",
    "LabelSelector",
    "LabelSelectorRequirement",
    "ManagedFieldsEntry",
    "NodeSelector",
    "NodeSelectorRequirement",
    "NodeSelectorTerm",
    "ObjectMeta",
    "OwnerReference",
    "Quantity",
    "RawObject",
    "ResourceList",
    "Taint",
    "Time",
    "Toleration",
    "crd_default",
]

# The key under which a field's CRD default is carried through pydantic's JSON schema; the schema
# module turns it into the OpenAPI ``default`` (pydantic's own defaults are Go zero values, not CRD ones).
CRD_DEFAULT = "x-karmadad-crd-default"


def crd_default(value: Any) -> dict[str, Any]:
    """``json_schema_extra`` for a field the CRD defaults when it is absent."""
    return {CRD_DEFAULT: value}


class KarmadaModel(BaseModel):
    """Base of every model here; no fields of its own."""

    model_config = ConfigDict(
        extra="ignore",
        populate_by_name=True,
        use_attribute_docstrings=True,
        protected_namespaces=(),
    )

    # OpenAPI name prefix (``io.karmada.policy.v1alpha1``) and the Go type name when it differs from the
    # class name. Dunder names are ignored by pydantic.
    __openapi_prefix__: ClassVar[str] = ""
    __go_name__: ClassVar[str | None] = None

    @classmethod
    def openapi_name(cls) -> str:
        return f"{cls.__openapi_prefix__}.{cls.__go_name__ or cls.__name__}"


# --------------------------------------------------------------------------- scalar and free-form types

_QUANTITY_PATTERN = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)"
    r"|(\.[0-9]+))))?$"
)
Quantity = Annotated[
    int | float | str,
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "string"}],
            "pattern": _QUANTITY_PATTERN,
            "x-kubernetes-int-or-string": True,
        }
    ),
]
"""A Kubernetes resource quantity (``100m``, ``2Gi``, ``3``), as an integer or a string."""

ResourceList = dict[str, Quantity]

Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
"""An RFC 3339 timestamp with seconds, in UTC (``2024-05-01T10:00:00Z``)."""

RawObject = Annotated[
    dict[str, Any], WithJsonSchema({"type": "object", "x-kubernetes-preserve-unknown-fields": True})
]
"""A whole embedded object (a manifest, a member object's status), kept as it is."""

JSONValue = Annotated[Any, WithJsonSchema({"x-kubernetes-preserve-unknown-fields": True})]
"""Any JSON value."""


# --------------------------------------------------------------------------- meta.k8s.io types


class _MetaV1(KarmadaModel):
    __openapi_prefix__ = "io.k8s.apimachinery.pkg.apis.meta.v1"


class _CoreV1(KarmadaModel):
    __openapi_prefix__ = "io.k8s.api.core.v1"


class OwnerReference(_MetaV1):
    """An object this one belongs to; garbage collection deletes this one after its owner."""

    apiVersion: str
    """API version of the owner."""
    kind: str
    """Kind of the owner."""
    name: str
    """Name of the owner."""
    uid: str
    """UID of the owner."""
    controller: bool | None = None
    """Whether the owner is the managing controller."""
    blockOwnerDeletion: bool | None = None
    """Whether the owner's foreground deletion waits for this object."""


class ManagedFieldsEntry(_MetaV1):
    """The fields one manager set through one operation (server-side apply bookkeeping)."""

    manager: str = ""
    """Who manages these fields."""
    operation: str = ""
    """Apply or Update."""
    apiVersion: str = ""
    """The version the fields are expressed in."""
    time: Time | None = None
    """When the fields were last changed."""
    fieldsType: str = ""
    """Format of fieldsV1; always FieldsV1."""
    fieldsV1: RawObject | None = None
    """The set of fields."""
    subresource: str = ""
    """The subresource the change went through, if any."""


class ObjectMeta(_MetaV1):
    """Standard Kubernetes object metadata."""

    name: str = ""
    """Name, unique within the namespace (or the cluster for cluster-scoped kinds)."""
    generateName: str = ""
    """Prefix for a server-generated name."""
    namespace: str = ""
    """Namespace of a namespaced object."""
    selfLink: str = ""
    """Deprecated; never set."""
    uid: str = ""
    """Unique ID given by the server."""
    resourceVersion: str = ""
    """Opaque version of this object, for optimistic concurrency and watches."""
    generation: int = 0
    """Sequence number of spec changes."""
    creationTimestamp: Time | None = None
    """When the object was created."""
    deletionTimestamp: Time | None = None
    """When deletion was requested; the object goes once its finalizers are gone."""
    deletionGracePeriodSeconds: int | None = None
    """Seconds allowed for graceful termination."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels for selection and grouping."""
    annotations: dict[str, str] = Field(default_factory=dict)
    """Free-form annotations for tools."""
    ownerReferences: list[OwnerReference] = Field(default_factory=list)
    """Objects this one depends on."""
    finalizers: list[str] = Field(default_factory=list)
    """Controllers that must finish before the object is deleted."""
    managedFields: list[ManagedFieldsEntry] = Field(default_factory=list)
    """Which manager owns which fields."""


class LabelSelectorRequirement(_MetaV1):
    """A key, an operator (In, NotIn, Exists, DoesNotExist) and values."""

    key: str
    """The label key."""
    operator: str
    """In, NotIn, Exists or DoesNotExist."""
    values: list[str] = Field(default_factory=list)
    """Values for In and NotIn; empty for Exists and DoesNotExist."""


class LabelSelector(_MetaV1):
    """Selects objects by labels; all terms must hold. An empty selector selects everything."""

    matchLabels: dict[str, str] = Field(default_factory=dict)
    """Label key/value pairs that must all be present."""
    matchExpressions: list[LabelSelectorRequirement] = Field(default_factory=list)
    """Label requirements that must all hold."""


class Condition(_MetaV1):
    """One aspect of an object's current state."""

    type: str = Field(
        max_length=316,
        pattern=(
            r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
            r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
        ),
    )
    """Condition type in CamelCase, e.g. Ready, Scheduled, Applied."""
    status: Literal["True", "False", "Unknown"]
    """True, False or Unknown."""
    observedGeneration: int | None = Field(default=None, ge=0)
    """The metadata.generation the condition was computed from."""
    lastTransitionTime: Time
    """When the status last changed."""
    reason: str = Field(min_length=1, max_length=1024, pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$")
    """Machine-readable CamelCase reason for the last transition."""
    message: str = Field(max_length=32768)
    """Human-readable details about the last transition (may be empty)."""


# --------------------------------------------------------------------------- core/v1 types


class NodeSelectorRequirement(_CoreV1):
    """A key, an operator and values; in Karmada's field selectors the key is provider, region or zone."""

    key: str
    """The key the requirement applies to."""
    operator: str
    """In, NotIn, Exists, DoesNotExist, Gt or Lt (Karmada's field selectors allow In and NotIn)."""
    values: list[str] = Field(default_factory=list)
    """The values to compare with."""


class NodeSelectorTerm(_CoreV1):
    """Requirements that must all hold."""

    matchExpressions: list[NodeSelectorRequirement] = Field(default_factory=list)
    """Requirements on node labels."""
    matchFields: list[NodeSelectorRequirement] = Field(default_factory=list)
    """Requirements on node fields."""


class NodeSelector(_CoreV1):
    """Terms of which at least one must hold."""

    nodeSelectorTerms: list[NodeSelectorTerm]
    """The terms, ORed."""


class Toleration(_CoreV1):
    """Lets a workload be scheduled onto (or stay on) a cluster with a matching taint."""

    key: str = ""
    """Taint key to tolerate; empty with operator Exists tolerates every taint."""
    operator: str = ""
    """Exists or Equal (the default)."""
    value: str = ""
    """Taint value to match when the operator is Equal."""
    effect: str = ""
    """Taint effect to match (NoSchedule, PreferNoSchedule, NoExecute); empty matches all."""
    tolerationSeconds: int | None = None
    """For NoExecute: how long the taint is tolerated before eviction; unset means forever."""


class Taint(_CoreV1):
    """Repels workloads that do not tolerate it."""

    key: str
    """Taint key."""
    value: str = ""
    """Taint value."""
    effect: str
    """NoSchedule or NoExecute."""
    timeAdded: Time | None = None
    """When a NoExecute taint was added."""
