"""The registry karmadad starts with: the built-in Kubernetes kinds (as kube-apiserver v1.36 serves them:
versions, scope, short names, categories, subresources, verbs; columns from :mod:`karmadad.api.printers`)
and the Karmada kinds."""

from __future__ import annotations

from karmadad.api import printers, schemas
from karmadad.api.karmada import karmada_resource_types, schemas_for_kind
from karmadad.api.registry import ALL_VERBS, Column, Registry, ResourceType
from karmadad.api.strategy import KARMADA_GROUPS

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

_ALL = ("all",)
_STATUS = ("status",)
_STATUS_SCALE = ("scale", "status")
_NAMED_ONLY = (printers.NAME, printers.AGE)
_CREATED_AT = (printers.NAME, printers.CREATED_AT)


def _builtin(
    group: str,
    version: str,
    kind: str,
    plural: str,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    sub: tuple[str, ...] = (),
    columns: tuple[Column, ...] = _NAMED_ONLY,
    verbs: tuple[str, ...] = ALL_VERBS,
    singular: str = "",
    storage_version: str = "",
) -> ResourceType:
    return ResourceType(
        group,
        version,
        kind,
        plural,
        singular or kind.lower(),
        namespaced,
        short,
        categories,
        sub,
        columns,
        verbs,
        storage_version=storage_version,
    )


_ALL_BUT_DELETECOLLECTION = tuple(verb for verb in ALL_VERBS if verb != "deletecollection")

_V1 = ("", "v1")
BUILTIN_RESOURCES: tuple[ResourceType, ...] = (
    _builtin(*_V1, "Namespace", "namespaces", False, ("ns",), sub=("finalize", "status"),
             columns=printers.NAMESPACE_COLUMNS, verbs=_ALL_BUT_DELETECOLLECTION),
    _builtin(*_V1, "ConfigMap", "configmaps", short=("cm",), columns=printers.CONFIG_MAP_COLUMNS),
    _builtin(*_V1, "Secret", "secrets", columns=printers.SECRET_COLUMNS),
    _builtin(*_V1, "Service", "services", short=("svc",), categories=_ALL, sub=_STATUS,
             columns=printers.SERVICE_COLUMNS),
    _builtin(*_V1, "ServiceAccount", "serviceaccounts", short=("sa",)),
    _builtin(*_V1, "PersistentVolumeClaim", "persistentvolumeclaims", short=("pvc",), sub=_STATUS,
             columns=printers.PVC_COLUMNS),
    _builtin(*_V1, "PersistentVolume", "persistentvolumes", False, ("pv",), sub=_STATUS, columns=printers.PV_COLUMNS),
    _builtin(*_V1, "Event", "events", short=("ev",), columns=printers.EVENT_COLUMNS),
    _builtin(*_V1, "LimitRange", "limitranges", short=("limits",), columns=_CREATED_AT),
    _builtin(*_V1, "ResourceQuota", "resourcequotas", short=("quota",), sub=_STATUS, columns=printers.QUOTA_COLUMNS),
    _builtin(*_V1, "Pod", "pods", short=("po",), categories=_ALL, sub=_STATUS, columns=printers.POD_COLUMNS),
    _builtin(*_V1, "Endpoints", "endpoints", short=("ep",), singular="endpoints", columns=printers.ENDPOINTS_COLUMNS),
    _builtin("apps", "v1", "Deployment", "deployments", short=("deploy",), categories=_ALL, sub=_STATUS_SCALE,
             columns=printers.DEPLOYMENT_COLUMNS),
    _builtin("apps", "v1", "StatefulSet", "statefulsets", short=("sts",), categories=_ALL, sub=_STATUS_SCALE,
             columns=printers.STATEFUL_SET_COLUMNS),
    _builtin("apps", "v1", "DaemonSet", "daemonsets", short=("ds",), categories=_ALL, sub=_STATUS,
             columns=printers.DAEMON_SET_COLUMNS),
    _builtin("apps", "v1", "ReplicaSet", "replicasets", short=("rs",), categories=_ALL, sub=_STATUS_SCALE,
             columns=printers.REPLICA_SET_COLUMNS),
    _builtin("batch", "v1", "Job", "jobs", categories=_ALL, sub=_STATUS, columns=printers.JOB_COLUMNS),
    _builtin("batch", "v1", "CronJob", "cronjobs", short=("cj",), categories=_ALL, sub=_STATUS,
             columns=printers.CRON_JOB_COLUMNS),
    _builtin("networking.k8s.io", "v1", "Ingress", "ingresses", short=("ing",), sub=_STATUS,
             columns=printers.INGRESS_COLUMNS),
    _builtin("networking.k8s.io", "v1", "IngressClass", "ingressclasses", False,
             columns=printers.INGRESS_CLASS_COLUMNS),
    _builtin("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", short=("netpol",),
             columns=printers.NETWORK_POLICY_COLUMNS),
    _builtin("rbac.authorization.k8s.io", "v1", "Role", "roles", columns=_CREATED_AT),
    _builtin("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", columns=printers.BINDING_COLUMNS),
    _builtin("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", False, columns=_CREATED_AT),
    _builtin("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False,
             columns=printers.BINDING_COLUMNS),
    _builtin("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", short=("pdb",), sub=_STATUS,
             columns=printers.PDB_COLUMNS),
    # v2 first: the preferred version, and the one objects are stored in (v1 reads and writes convert)
    _builtin("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", short=("hpa",),
             categories=_ALL, sub=_STATUS, columns=printers.HPA_COLUMNS),
    _builtin("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", short=("hpa",),
             categories=_ALL, sub=_STATUS, columns=printers.HPA_V1_COLUMNS, storage_version="v2"),
    _builtin("storage.k8s.io", "v1", "StorageClass", "storageclasses", False, ("sc",),
             columns=printers.STORAGE_CLASS_COLUMNS),
    _builtin("storage.k8s.io", "v1", "CSIDriver", "csidrivers", False, columns=printers.CSI_DRIVER_COLUMNS),
    _builtin("storage.k8s.io", "v1", "CSINode", "csinodes", False, columns=printers.CSI_NODE_COLUMNS),
    _builtin("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", False,
             ("crd", "crds"), categories=("api-extensions",), sub=_STATUS, columns=_CREATED_AT,
             storage_version="v1beta1"),  # kube-apiserver still stores CRDs as v1beta1
    _builtin("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", False, ("pc",),
             columns=printers.PRIORITY_CLASS_COLUMNS),
    _builtin("coordination.k8s.io", "v1", "Lease", "leases", columns=printers.LEASE_COLUMNS),
    _builtin("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", False, columns=printers.RUNTIME_CLASS_COLUMNS),
    _builtin("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", columns=printers.ENDPOINT_SLICE_COLUMNS),
)  # fmt: skip


# Served by members only: a control plane has no nodes of its own (Karmada's apiserver has none either).
NODES = _builtin(*_V1, "Node", "nodes", False, ("no",), sub=_STATUS, columns=printers.NODE_COLUMNS)


def default_registry() -> Registry:
    return Registry([*BUILTIN_RESOURCES, *karmada_resource_types()])


def member_registry() -> Registry:
    """What a simulated member serves: the built-in kinds and Nodes."""
    return Registry([*BUILTIN_RESOURCES, NODES])


def schemas_for(resource: ResourceType) -> tuple[str, dict[str, dict]] | None:
    """The OpenAPI component schemas of a kind: (name of its schema, definitions it needs)."""
    if resource.custom:
        schema = resource.extra.get("schema")
        if not isinstance(schema, dict):
            return None
        name = resource.schema_name
        return name, {name: schema}
    if resource.group in KARMADA_GROUPS:
        name, definitions = schemas_for_kind(resource.kind)
        return name, {**schemas.schemas_for([OBJECT_META]), **definitions}
    definition = schemas.definition_name(resource.api_version, resource.kind)
    return None if definition is None else (definition, schemas.schemas_for([definition]))
