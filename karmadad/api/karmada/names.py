"""Karmada's well-known label, annotation, finalizer and taint names, in one place.

Why one place: these strings are the contract between karmadad, the members and the tools that read
Karmada's objects (karmadactl, dashboards, users' scripts). Each is Karmada's own spelling; a typo in one
of several copies would silently break that contract.
"""

from __future__ import annotations

# -- claims: which policy propagates a template (labels hold ids, annotations names) --------------------
PP_PERMANENT_ID = "propagationpolicy.karmada.io/permanent-id"
CPP_PERMANENT_ID = "clusterpropagationpolicy.karmada.io/permanent-id"
PP_NAMESPACE = "propagationpolicy.karmada.io/namespace"
PP_NAME = "propagationpolicy.karmada.io/name"
CPP_NAME = "clusterpropagationpolicy.karmada.io/name"
CLAIMED_BY = "resourcetemplate.karmada.io/claimed-by"  # a label: another component propagates this template

# -- bindings and Works: who derives from whom ------------------------------------------------------------
RB_PERMANENT_ID = "resourcebinding.karmada.io/permanent-id"
CRB_PERMANENT_ID = "clusterresourcebinding.karmada.io/permanent-id"
WORK_PERMANENT_ID = "work.karmada.io/permanent-id"
RB_NAMESPACE = "resourcebinding.karmada.io/namespace"
RB_NAME = "resourcebinding.karmada.io/name"
CRB_NAME = "clusterresourcebinding.karmada.io/name"
WORK_NAMESPACE = "work.karmada.io/namespace"
WORK_NAME = "work.karmada.io/name"
DEPENDENCIES_ANNOTATION = "resourcebinding.karmada.io/dependencies"
DEPENDED_BY_PREFIX = "resourcebinding.karmada.io/depended-by-"  # + the parent binding's key: a label

# -- on templates and the objects in members -------------------------------------------------------------
MANAGED_LABEL = "karmada.io/managed"
TEMPLATE_UID = "resourcetemplate.karmada.io/uid"
TEMPLATE_GENERATION = "resourcetemplate.karmada.io/generation"
MANAGED_LABELS = "resourcetemplate.karmada.io/managed-labels"
MANAGED_ANNOTATIONS = "resourcetemplate.karmada.io/managed-annotations"
RETAIN_REPLICAS_LABEL = "resourcetemplate.karmada.io/retain-replicas"
DELETION_PROTECTED = "resourcetemplate.karmada.io/deletion-protected"
CONFLICT_RESOLUTION = "work.karmada.io/conflict-resolution"
SKIP_AUTO_PROPAGATION = "namespace.karmada.io/skip-auto-propagation"  # set by users, for all its prefix

# -- what controllers record on bindings and Works -------------------------------------------------------
APPLIED_PLACEMENT = "policy.karmada.io/applied-placement"
APPLIED_OVERRIDES = "policy.karmada.io/applied-overrides"
APPLIED_CLUSTER_OVERRIDES = "policy.karmada.io/applied-cluster-overrides"

# -- finalizers ---------------------------------------------------------------------------------------------
PROPAGATION_POLICY_FINALIZER = "karmada.io/propagation-policy-controller"
CLUSTER_PROPAGATION_POLICY_FINALIZER = "karmada.io/cluster-propagation-policy-controller"
BINDING_FINALIZER = "karmada.io/binding-controller"
CLUSTER_BINDING_FINALIZER = "karmada.io/cluster-resource-binding-controller"
EXECUTION_FINALIZER = "karmada.io/execution-controller"
CLUSTER_FINALIZER = "karmada.io/cluster-controller"

# -- execution spaces: the namespace each member's Works live in --------------------------------------------
EXECUTION_SPACE_PREFIX = "karmada-es-"


def execution_space(cluster: str) -> str:
    """The namespace of ``cluster``'s Works: ``karmada-es-<cluster>``."""
    return EXECUTION_SPACE_PREFIX + cluster


# -- taints on Clusters ------------------------------------------------------------------------------------
TAINT_NOT_READY = "cluster.karmada.io/not-ready"
TAINT_UNREACHABLE = "cluster.karmada.io/unreachable"
TAINT_UNSCHEDULABLE = "cluster.karmada.io/unschedulable"
