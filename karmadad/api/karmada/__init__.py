"""The Karmada kinds: typed views, admission (defaulting and validation), schemas and where they are served.

- :mod:`.policy`, :mod:`.work`, :mod:`.cluster`: pydantic views of PropagationPolicy,
  ClusterPropagationPolicy, OverridePolicy, ClusterOverridePolicy, ResourceBinding, ClusterResourceBinding,
  Work and Cluster (objects stay plain dicts; parse with :func:`parse` where types help).
- :func:`admit`: what the CRD schema and Karmada's webhooks do to a created or updated object.
- :func:`unknown_fields`: the fields a ``fieldValidation=Strict`` request must be refused for.
- :func:`openapi_schemas`: OpenAPI v3 components for ``kubectl explain`` and server-side validation.
- :data:`KARMADA_RESOURCES` / :func:`karmada_resource_types`: group, version, plural, short names, columns.
"""

from __future__ import annotations

from karmadad.api.karmada.admission import PERMANENT_ID_LABELS, admit
from karmadad.api.karmada.cluster import Cluster
from karmadad.api.karmada.names import CLUSTER_PROPAGATION_POLICY_FINALIZER, PROPAGATION_POLICY_FINALIZER
from karmadad.api.karmada.policy import (
    ClusterOverridePolicy,
    ClusterPropagationPolicy,
    OverridePolicy,
    PropagationPolicy,
)
from karmadad.api.karmada.resources import (
    KARMADA_RESOURCES,
    RESOURCES_BY_KIND,
    KarmadaResource,
    PrinterColumn,
    column_value,
    karmada_resource_types,
)
from karmadad.api.karmada.schema import (
    KIND_MODELS,
    openapi_schemas,
    schema_name,
    schemas_for_kind,
    unknown_fields,
)
from karmadad.api.karmada.work import ClusterResourceBinding, ResourceBinding, Work

__all__ = [
    "CLUSTER_PROPAGATION_POLICY_FINALIZER",
    "KARMADA_RESOURCES",
    "KIND_MODELS",
    "PERMANENT_ID_LABELS",
    "PROPAGATION_POLICY_FINALIZER",
    "RESOURCES_BY_KIND",
    "Cluster",
    "ClusterOverridePolicy",
    "ClusterPropagationPolicy",
    "ClusterResourceBinding",
    "KarmadaResource",
    "OverridePolicy",
    "PrinterColumn",
    "PropagationPolicy",
    "ResourceBinding",
    "Work",
    "admit",
    "column_value",
    "karmada_resource_types",
    "openapi_schemas",
    "parse",
    "schema_name",
    "schemas_for_kind",
    "unknown_fields",
]


def parse(obj: dict):
    """The typed view of a Karmada object, chosen by its ``kind`` (a pydantic model instance)."""
    return KIND_MODELS[obj["kind"]].model_validate(obj)
