"""The Work a binding gets for one target cluster — built as Karmada's binding controller builds it.

The template is copied, its replicas revised to the cluster's share (workloads only), the override
policies that target the cluster applied, and the result wrapped into a Work in ``karmada-es-<cluster>``
with Karmada's name, labels, annotations and finalizer. The Work's admission then prunes the manifest and
records the managed label and annotation keys (:mod:`karmadad.api.karmada.admission`).
"""

from __future__ import annotations

from karmadad.api.karmada.names import (
    CONFLICT_RESOLUTION,
    CRB_NAME,
    CRB_PERMANENT_ID,
    EXECUTION_FINALIZER,
    MANAGED_LABEL,
    RB_NAME,
    RB_NAMESPACE,
    RB_PERMANENT_ID,
    TEMPLATE_GENERATION,
    TEMPLATE_UID,
    WORK_NAME,
    WORK_NAMESPACE,
)
from karmadad.interpreter.revise import revise_replicas
from karmadad.interpreter.work import work_name
from karmadad.overrides import apply_overrides
from karmadad.scheduler.snapshot import ClusterSnapshot

WORK_API_VERSION = "work.karmada.io/v1alpha1"


def execution_space(cluster: str) -> str:
    return f"karmada-es-{cluster}"


def target_clusters(spec: dict) -> list[dict]:
    """``spec.clusters`` and the clusters bindings that depend on this one run in (``requiredBy``)."""
    targets = list(spec.get("clusters") or ())
    names = {t["name"] for t in targets}
    for snapshot in spec.get("requiredBy") or ():
        for target in snapshot.get("clusters") or ():
            if target["name"] not in names:
                names.add(target["name"])
                targets.append(target)
    return targets


def is_workload(spec: dict) -> bool:
    return int(spec.get("replicas") or 0) > 0 or bool(spec.get("replicaRequirements"))


def suspended_on(spec: dict, cluster: str) -> bool:
    suspension = spec.get("suspension") or {}
    if suspension.get("dispatching"):
        return True
    return cluster in ((suspension.get("dispatchingOnClusters") or {}).get("clusterNames") or ())


def conflict_resolution(template: dict, spec: dict) -> str:
    """The template's own annotation when valid, else the binding's choice (``abort`` by default)."""
    own = ((template.get("metadata") or {}).get("annotations") or {}).get(CONFLICT_RESOLUTION)
    if own in ("overwrite", "abort"):
        return own
    return "overwrite" if spec.get("conflictResolution") == "Overwrite" else "abort"


def desired_work(
    binding: dict,
    template: dict,
    target: dict,
    cluster: ClusterSnapshot,
    cluster_overrides: list[dict],
    overrides: list[dict],
    completions: dict[str, int] | None = None,
) -> dict:
    """The Work for ``target`` (``{"name", "replicas"}``); ``completions``: a Job's divided completions
    per cluster (:func:`karmadad.interpreter.revise.divide_completions`). Raises OverrideError when an
    override cannot apply."""
    spec = binding.get("spec") or {}
    binding_meta = binding["metadata"]
    manifest = template
    if is_workload(spec):
        share = (completions or {}).get(target["name"])
        manifest = revise_replicas(manifest, int(target.get("replicas") or 0), share)
    manifest, applied = apply_overrides(manifest, cluster, cluster_overrides, overrides)
    if binding.get("kind") == "ClusterResourceBinding":
        binding_id = (binding_meta.get("labels") or {}).get(CRB_PERMANENT_ID, "")
        work_labels = {CRB_PERMANENT_ID: binding_id}
        work_annotations = {CRB_NAME: binding_meta["name"]}
    else:
        binding_id = (binding_meta.get("labels") or {}).get(RB_PERMANENT_ID, "")
        work_labels = {RB_PERMANENT_ID: binding_id}
        work_annotations = {RB_NAMESPACE: binding_meta.get("namespace", ""), RB_NAME: binding_meta["name"]}
    work_annotations[CONFLICT_RESOLUTION] = conflict_resolution(template, spec)
    work_annotations.update(applied)
    labels = {**((manifest.get("metadata") or {}).get("labels") or {}), **work_labels}
    annotations = dict((manifest.get("metadata") or {}).get("annotations") or {})
    if generation := (template.get("metadata") or {}).get("generation"):
        annotations[TEMPLATE_GENERATION] = str(generation)
    annotations.update({k: v for k, v in work_annotations.items() if k not in applied})
    manifest = {
        **manifest,
        "metadata": {**manifest["metadata"], "labels": labels, "annotations": annotations},
    }
    return wrap_in_work(
        manifest,
        target["name"],
        labels=work_labels,
        annotations=work_annotations,
        suspend=suspended_on(spec, target["name"]),
        preserve=bool(spec.get("preserveResourcesOnDeletion")),
    )


def wrap_in_work(
    manifest: dict,
    cluster: str,
    *,
    labels: dict[str, str],
    annotations: dict[str, str],
    suspend: bool = False,
    preserve: bool = False,
    owner_references: list[dict] | None = None,
) -> dict:
    """A Work carrying ``manifest`` to ``cluster``: Karmada's name, finalizer, and the marks every
    propagated object gets (``karmada.io/managed``, the template uid, the Work's name and namespace)."""
    meta = manifest.get("metadata") or {}
    name = work_name(manifest["kind"], meta.get("namespace", ""), meta["name"])
    namespace = execution_space(cluster)
    marks = {TEMPLATE_UID: meta.get("uid", ""), WORK_NAME: name, WORK_NAMESPACE: namespace}
    manifest = {
        **manifest,
        "metadata": {
            **meta,
            "labels": {**(meta.get("labels") or {}), MANAGED_LABEL: "true"},
            "annotations": {**(meta.get("annotations") or {}), **marks},
        },
    }
    work_spec: dict = {"workload": {"manifests": [manifest]}}
    if suspend:
        work_spec["suspendDispatching"] = True
    if preserve:
        work_spec["preserveResourcesOnDeletion"] = True
    work_meta: dict = {
        "name": name,
        "namespace": namespace,
        "labels": labels,
        "annotations": annotations,
        "finalizers": [EXECUTION_FINALIZER],
    }
    if owner_references:
        work_meta["ownerReferences"] = owner_references
    return {"apiVersion": WORK_API_VERSION, "kind": "Work", "metadata": work_meta, "spec": work_spec}
