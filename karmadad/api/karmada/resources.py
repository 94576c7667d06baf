"""Where each Karmada kind is served: group, version, plural, scope, short names, categories, columns.

The values are Karmada's (CRDs under ``charts/karmada/_crds/bases/``; the Cluster table of the aggregated
API server in ``pkg/printers/internalversion/printers.go``). :data:`KARMADA_RESOURCES` is plain data;
:func:`karmada_resource_types` turns it into the API server's :class:`karmadad.api.registry.ResourceType`.

Printer columns never include NAME: the table always starts with it, as for CustomResourceDefinitions.
AGE is listed where Karmada lists it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from karmadad.api.jsonpath import column_value
from karmadad.logs import describe_object

__all__ = [
    "BINDINGS",
    "CLUSTERS",
    "CLUSTER_OVERRIDE_POLICIES",
    "CLUSTER_PROPAGATION_POLICIES",
    "CLUSTER_RESOURCE_BINDINGS",
    "CLUSTER_TAINT_POLICIES",
    "KARMADA_RESOURCES",
    "KINDS_BY_RESOURCE",
    "OVERRIDE_POLICIES",
    "PROPAGATION_POLICIES",
    "RESOURCES_BY_KIND",
    "RESOURCE_BINDINGS",
    "WORKLOAD_REBALANCERS",
    "WORKS",
    "KarmadaResource",
    "PrinterColumn",
    "column_value",
    "describe_karmada_key",
    "karmada_resource_types",
]


# The store's keys (``plural.group``) of the Karmada kinds controllers read and write.
CLUSTERS = "clusters.cluster.karmada.io"
PROPAGATION_POLICIES = "propagationpolicies.policy.karmada.io"
CLUSTER_PROPAGATION_POLICIES = "clusterpropagationpolicies.policy.karmada.io"
OVERRIDE_POLICIES = "overridepolicies.policy.karmada.io"
CLUSTER_OVERRIDE_POLICIES = "clusteroverridepolicies.policy.karmada.io"
CLUSTER_TAINT_POLICIES = "clustertaintpolicies.policy.karmada.io"
WORKLOAD_REBALANCERS = "workloadrebalancers.apps.karmada.io"
RESOURCE_BINDINGS = "resourcebindings.work.karmada.io"
CLUSTER_RESOURCE_BINDINGS = "clusterresourcebindings.work.karmada.io"
WORKS = "works.work.karmada.io"
BINDINGS = (RESOURCE_BINDINGS, CLUSTER_RESOURCE_BINDINGS)  # both kinds of binding, as the store keys them


@dataclass(frozen=True)
class PrinterColumn:
    """One ``kubectl get`` column, as a CRD's ``additionalPrinterColumns`` entry."""

    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0  # 1: only with -o wide
    format: str = ""


@dataclass(frozen=True)
class KarmadaResource:
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ("status",)
    printer_columns: tuple[PrinterColumn, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}"


_AGE = PrinterColumn("AGE", "date", ".metadata.creationTimestamp", "Time since the object was created.")
_POLICY_COLUMNS = (
    PrinterColumn("CONFLICT-RESOLUTION", "string", ".spec.conflictResolution", "Abort or Overwrite."),
    PrinterColumn("PRIORITY", "string", ".spec.priority", "Priority among the policies matching a resource."),
    _AGE,
)
_BINDING_COLUMNS = (
    PrinterColumn(
        "SCHEDULED",
        "string",
        '.status.conditions[?(@.type=="Scheduled")].status',
        "Whether the binding has been scheduled.",
    ),
    PrinterColumn(
        "FULLYAPPLIED",
        "string",
        '.status.conditions[?(@.type=="FullyApplied")].status',
        "Whether the resource has been applied to every scheduled cluster.",
    ),
    _AGE,
)
_KARMADA_IO = ("karmada-io",)

KARMADA_RESOURCES: tuple[KarmadaResource, ...] = (
    KarmadaResource(
        "cluster.karmada.io",
        "v1alpha1",
        "Cluster",
        "clusters",
        "cluster",
        namespaced=False,
        printer_columns=(
            PrinterColumn(
                "Version", "string", ".status.kubernetesVersion", "Kubernetes version of the member."
            ),
            PrinterColumn(
                "Mode", "string", ".spec.syncMode", "How resources reach the member: Push or Pull."
            ),
            PrinterColumn(
                "Ready",
                "string",
                '.status.conditions[?(@.type=="Ready")].status',
                "Whether the member is ready for workloads (Unknown when not yet known).",
            ),
            PrinterColumn("Age", "date", ".metadata.creationTimestamp", "Time since the object was created."),
            PrinterColumn("Zones", "string", ".spec.zones", "Failure zones of the member.", priority=1),
            PrinterColumn("Region", "string", ".spec.region", "Region of the member.", priority=1),
            PrinterColumn(
                "Provider", "string", ".spec.provider", "Cloud provider of the member.", priority=1
            ),
            PrinterColumn(
                "API-Endpoint", "string", ".spec.apiEndpoint", "API server of the member.", priority=1
            ),
            PrinterColumn(
                "Proxy-URL", "string", ".spec.proxyURL", "Proxy for reaching the member.", priority=1
            ),
        ),
    ),
    KarmadaResource(
        "policy.karmada.io",
        "v1alpha1",
        "PropagationPolicy",
        "propagationpolicies",
        "propagationpolicy",
        namespaced=True,
        short_names=("pp",),
        categories=_KARMADA_IO,
        subresources=(),
        printer_columns=_POLICY_COLUMNS,
    ),
    KarmadaResource(
        "policy.karmada.io",
        "v1alpha1",
        "ClusterPropagationPolicy",
        "clusterpropagationpolicies",
        "clusterpropagationpolicy",
        namespaced=False,
        short_names=("cpp",),
        categories=_KARMADA_IO,
        subresources=(),
        printer_columns=_POLICY_COLUMNS,
    ),
    KarmadaResource(
        "policy.karmada.io",
        "v1alpha1",
        "OverridePolicy",
        "overridepolicies",
        "overridepolicy",
        namespaced=True,
        short_names=("op",),
        categories=_KARMADA_IO,
        subresources=(),
        printer_columns=(_AGE,),
    ),
    KarmadaResource(
        "policy.karmada.io",
        "v1alpha1",
        "ClusterOverridePolicy",
        "clusteroverridepolicies",
        "clusteroverridepolicy",
        namespaced=False,
        short_names=("cop",),
        categories=_KARMADA_IO,
        subresources=(),
        printer_columns=(_AGE,),
    ),
    KarmadaResource(
        "policy.karmada.io",
        "v1alpha1",
        "ClusterTaintPolicy",
        "clustertaintpolicies",
        "clustertaintpolicy",
        namespaced=False,
        subresources=(),
        printer_columns=(_AGE,),
    ),
    KarmadaResource(
        "work.karmada.io",
        "v1alpha2",
        "ResourceBinding",
        "resourcebindings",
        "resourcebinding",
        namespaced=True,
        short_names=("rb",),
        categories=_KARMADA_IO,
        printer_columns=_BINDING_COLUMNS,
    ),
    KarmadaResource(
        "work.karmada.io",
        "v1alpha2",
        "ClusterResourceBinding",
        "clusterresourcebindings",
        "clusterresourcebinding",
        namespaced=False,
        short_names=("crb",),
        categories=_KARMADA_IO,
        printer_columns=_BINDING_COLUMNS,
    ),
    KarmadaResource(
        "work.karmada.io",
        "v1alpha1",
        "Work",
        "works",
        "work",
        namespaced=True,
        short_names=("wk",),
        categories=_KARMADA_IO,
        printer_columns=(
            PrinterColumn(
                "WORKLOAD-KIND",
                "string",
                ".spec.workload.manifests[*].kind",
                "Kinds of the objects to apply.",
            ),
            PrinterColumn(
                "APPLIED",
                "string",
                '.status.conditions[?(@.type=="Applied")].status',
                "Whether the objects were applied to the member.",
            ),
            _AGE,
        ),
    ),
    KarmadaResource(
        "apps.karmada.io",
        "v1alpha1",
        "WorkloadRebalancer",
        "workloadrebalancers",
        "workloadrebalancer",
        namespaced=False,
        printer_columns=(_AGE,),
    ),
)

RESOURCES_BY_KIND: dict[str, KarmadaResource] = {resource.kind: resource for resource in KARMADA_RESOURCES}
# the kind of each Karmada resource, by the store's key of it
KINDS_BY_RESOURCE: dict[str, str] = {f"{r.plural}.{r.group}": r.kind for r in KARMADA_RESOURCES}


def describe_karmada_key(key: tuple[str, str, str]) -> str:
    """A work-queue key of a Karmada object, ``(store resource, namespace, name)``, as logs name it:
    ``ResourceBinding shop/web-deployment``."""
    resource, namespace, name = key
    return describe_object(KINDS_BY_RESOURCE.get(resource, resource), namespace, name)


# --------------------------------------------------------------------------- column values


def _cell(column: PrinterColumn, default: Any = None):
    def cell(obj: dict) -> Any:
        value = column_value(obj, column.json_path)
        return default if value is None else value

    return cell


def karmada_resource_types() -> list:
    """The Karmada kinds as :class:`karmadad.api.registry.ResourceType` entries for the API server.

    Their tables are their CRDs' (:func:`karmadad.api.registry.custom_columns`).
    """
    from karmadad.api.registry import Column, ResourceType, custom_columns

    types = []
    for resource in KARMADA_RESOURCES:
        columns = custom_columns(
            Column(
                column.name,
                column.type,
                _cell(column, "Unknown" if resource.kind == "Cluster" and column.name == "Ready" else None),
                column.description,
                column.format,
                column.priority,
            )
            for column in resource.printer_columns
        )
        types.append(
            ResourceType(
                resource.group,
                resource.version,
                resource.kind,
                resource.plural,
                resource.singular,
                resource.namespaced,
                resource.short_names,
                resource.categories,
                resource.subresources,
                columns,
            )
        )
    return types
