"""kube-apiserver's validation of the built-in kinds, rule for rule and in its words.

:func:`kind_causes` gives the problems of one decoded and defaulted object (and, for an update, what it
may not change from the stored one): its metadata (labels, annotations, finalizers), then the rules of
its kind. Each module holds one family: ``meta`` (metadata and label selectors), ``pods`` (pod specs and
templates), ``workloads`` (apps), ``batch`` (Jobs, CronJobs; ``cron`` reads their schedules), ``core``
(claims, Secrets, ConfigMaps, quotas, Endpoints, Namespaces), ``network`` (Ingresses, NetworkPolicies,
EndpointSlices, addresses), ``access`` (RBAC), ``autoscaling``, ``cluster`` (budgets, leases,
priority, runtime and storage classes) and ``crds`` (the CEL rules of CRD schemas).
"""

from __future__ import annotations

from collections.abc import Callable

from karmadad.api.validation import access, autoscaling, batch, cluster, core, crds, network, workloads
from karmadad.api.validation.meta import object_meta_causes
from karmadad.api.validation.pods import pod_spec_causes
from karmadad.errors import Cause

__all__ = ["kind_causes", "status_causes"]

KindCheck = Callable[[dict, "dict | None"], list[Cause]]

_BY_KIND: dict[tuple[str, str], KindCheck] = {
    ("apps", "Deployment"): workloads.deployment_causes,
    ("apps", "ReplicaSet"): workloads.replica_set_causes,
    ("apps", "DaemonSet"): workloads.daemon_set_causes,
    ("apps", "StatefulSet"): workloads.stateful_set_causes,
    ("batch", "Job"): batch.job_causes,
    ("batch", "CronJob"): batch.cron_job_causes,
    ("", "Pod"): lambda obj, old: pod_spec_causes(obj.get("spec") or {}, "spec"),
    ("", "PersistentVolumeClaim"): core.persistent_volume_claim_causes,
    ("", "Secret"): core.secret_causes,
    ("", "ConfigMap"): core.config_map_causes,
    ("", "ResourceQuota"): core.resource_quota_causes,
    ("", "Endpoints"): core.endpoints_causes,
    ("", "Namespace"): core.namespace_causes,
    ("networking.k8s.io", "Ingress"): network.ingress_causes,
    ("networking.k8s.io", "NetworkPolicy"): network.network_policy_causes,
    ("discovery.k8s.io", "EndpointSlice"): network.endpoint_slice_causes,
    ("rbac.authorization.k8s.io", "Role"): access.role_causes,
    ("rbac.authorization.k8s.io", "ClusterRole"): access.cluster_role_causes,
    ("rbac.authorization.k8s.io", "RoleBinding"): access.role_binding_causes,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): access.cluster_role_binding_causes,
    ("policy", "PodDisruptionBudget"): cluster.pod_disruption_budget_causes,
    ("coordination.k8s.io", "Lease"): cluster.lease_causes,
    ("scheduling.k8s.io", "PriorityClass"): cluster.priority_class_causes,
    ("storage.k8s.io", "StorageClass"): cluster.storage_class_causes,
    ("node.k8s.io", "RuntimeClass"): cluster.runtime_class_causes,
    ("networking.k8s.io", "IngressClass"): network.ingress_class_causes,
    ("", "PersistentVolume"): core.persistent_volume_causes,
    ("autoscaling", "HorizontalPodAutoscaler"): autoscaling.autoscaler_causes,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): crds.custom_resource_definition_causes,
}


# Kinds whose metadata apimachinery's generic rules check, without core's finalizer rule.
_GENERIC_META = frozenset(
    {
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("coordination.k8s.io", "Lease"),
        ("policy", "PodDisruptionBudget"),
    }
)


def kind_causes(group: str, kind: str, obj: dict, old: dict | None) -> list[Cause]:
    """The problems kube-apiserver finds with ``obj`` (a built-in kind, decoded and defaulted)."""
    causes = object_meta_causes(obj.get("metadata") or {}, core=(group, kind) not in _GENERIC_META)
    check = _BY_KIND.get((group, kind))
    if check is not None:
        causes.extend(check(obj, old))
    return causes


_STATUS_BY_KIND: dict[tuple[str, str], Callable[[dict], list[Cause]]] = {
    ("apps", "Deployment"): workloads.deployment_status_causes,
    ("apps", "ReplicaSet"): workloads.replica_set_status_causes,
    ("apps", "StatefulSet"): workloads.stateful_set_status_causes,
    ("apps", "DaemonSet"): workloads.daemon_set_status_causes,
}


# The kinds whose status keeps a collision counter that may not go down (``IsDecremented``).
_COLLISION_COUNTED = frozenset({("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "DaemonSet")})


def status_causes(group: str, kind: str, obj: dict, old: dict) -> list[Cause]:
    """The problems kube-apiserver's status strategy finds with ``obj``'s status (a write of ``/status``
    over ``old``)."""
    check = _STATUS_BY_KIND.get((group, kind))
    status = obj.get("status") or {}
    causes = check(status) if check is not None else []
    if (group, kind) in _COLLISION_COUNTED:
        causes.extend(workloads.collision_count_causes(status, old.get("status") or {}))
    return causes
