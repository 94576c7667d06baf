"""The Work a binding gets for one target cluster — built as Karmada's binding controller builds it.

The template is copied, its replicas revised to the cluster's share (workloads only), the state a failover
preserved added as labels (:func:`karmadad.failover.application.injected_labels`), the override policies
that target the cluster applied, and the result wrapped into a Work in ``karmada-es-<cluster>``
with Karmada's name, labels, annotations and finalizer. The Work's admission then prunes the manifest and
records the managed label and annotation keys (:mod:`karmadad.api.karmada.admission`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

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
    execution_space,
)
from karmadad.failover.application import injected_labels
from karmadad.interpreter.revise import divide_completions, divides_completions, revise_replicas
from karmadad.interpreter.work import work_name
from karmadad.overrides import OverrideError, apply_overrides
from karmadad.overrides.applied import applied_message, applied_references
from karmadad.scheduler.snapshot import ClusterSnapshot

WORK_API_VERSION = "work.karmada.io/v1alpha1"


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


def evicting_gracefully(spec: dict) -> list[str]:
    """The clusters being left whose copies stay until the eviction ends (every graceful eviction task but
    those with purge mode Directly, or its old name Immediately)."""
    return [
        str(task.get("fromCluster", ""))
        for task in spec.get("gracefulEvictionTasks") or ()
        if task.get("purgeMode") not in ("Directly", "Immediately")
    ]


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
    if preserved := injected_labels(spec, target["name"]):
        meta = manifest.get("metadata") or {}
        manifest = {**manifest, "metadata": {**meta, "labels": {**(meta.get("labels") or {}), **preserved}}}
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


@dataclass(frozen=True)
class WorksPlan:
    """What a binding's Works should be: ``desired`` to create or bring up to date, ``obsolete`` to delete
    (their cluster is neither a target nor being left gracefully), and per cluster that cannot get its Work now, why
    (``failures``); ``told``: the ApplyOverridePolicy Events for the template, as Karmada words them."""

    desired: list[dict] = field(default_factory=list)
    obsolete: list[dict] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    told: list[tuple[str, str, str]] = field(default_factory=list)  # (type, reason, message)


def plan_works(
    binding: dict,
    template: dict,
    clusters: Mapping[str, ClusterSnapshot],
    spaces: Collection[str],
    existing: Iterable[dict],
    cluster_overrides: list[dict],
    overrides: list[dict],
) -> WorksPlan:
    """The binding's Works given what is known: the target ``clusters`` (snapshots, by name), the execution
    ``spaces`` that exist, its ``existing`` Works and the override policies (the template's namespace's
    only). A target without a Cluster is skipped (its Cluster is going); one without its space yet, or
    whose overrides cannot apply, fails for now."""
    spec = binding.get("spec") or {}
    targets = target_clusters(spec)
    wanted = {execution_space(name) for name in [*(t["name"] for t in targets), *evicting_gracefully(spec)]}
    plan = WorksPlan(
        obsolete=[
            w
            for w in existing
            if w["metadata"]["namespace"] not in wanted and not w["metadata"].get("deletionTimestamp")
        ]
    )
    namespace = template["metadata"].get("namespace", "")
    uid = str((spec.get("resource") or {}).get("uid", ""))
    completions = divide_completions(template, targets, uid) if divides_completions(spec) else None
    for target in targets:
        name = target["name"]
        cluster = clusters.get(name)
        if cluster is None:
            continue
        if execution_space(name) not in spaces:
            plan.failures.append(f"cluster {name}: its execution space does not exist yet")
            continue
        try:
            work = desired_work(binding, template, target, cluster, cluster_overrides, overrides, completions)
        except Exception as error:  # an override that cannot apply: this cluster's Work waits
            if isinstance(error, OverrideError) and error.policy:
                plan.told.append(("Warning", "ApplyOverridePolicyFailed", applied_message(error.policy, name, ok=False)))  # fmt: skip
            plan.failures.append(f"cluster {name}: {error}")
            continue
        for reference in applied_references(work["metadata"].get("annotations") or {}, namespace):
            plan.told.append(
                ("Normal", "ApplyOverridePolicySucceed", applied_message(reference, name, ok=True))
            )
        plan.desired.append(work)
    return plan
