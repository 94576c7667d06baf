"""Defaulting and validation of Karmada kinds on every write, as kube-apiserver and Karmada's webhooks do.

Why this module exists: users give karmadad the manifests they give Karmada, and expect the same objects
back and the same rejections. In Karmada a write passes, in order, the CRD's structural schema (pruning,
defaults), the mutating webhook (``pkg/webhook/<kind>/mutating.go``, which re-encodes the object from Go
structs: see :mod:`.roundtrip`), the schema validation and the validating webhook
(``pkg/util/validation/validation.go``); Clusters pass the aggregated API server's strategy
(``pkg/apis/cluster/{mutation,validation}``). :func:`admit` is all of that for one object: it returns a
new, defaulted object, or raises :class:`karmadad.errors.Invalid` naming every failing field. Whatever
Karmada admits is admitted, even values that can only fail later (an invalid label selector selects
nothing; a plaintext path that is not a JSON pointer fails the Work).

Deliberate differences from Karmada (each more lenient, for a reason given where it is done):
- ``Cluster.spec.syncMode`` defaults to ``Push``.
- An update that drops a permanent-id label gets the old value back.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from karmadad.api.karmada.names import (
    BINDING_FINALIZER,
    CLUSTER_BINDING_FINALIZER,
    CLUSTER_PROPAGATION_POLICY_FINALIZER,
    CPP_PERMANENT_ID,
    CRB_PERMANENT_ID,
    DELETION_PROTECTED,
    DEPENDENCIES_ANNOTATION,
    MANAGED_ANNOTATIONS,
    MANAGED_LABELS,
    PP_PERMANENT_ID,
    PROPAGATION_POLICY_FINALIZER,
    RB_PERMANENT_ID,
    WORK_PERMANENT_ID,
)
from karmadad.api.karmada.policy import GRACEFUL_PURGE_MODES
from karmadad.api.karmada.resources import RESOURCES_BY_KIND
from karmadad.api.karmada.roundtrip import go_roundtrip
from karmadad.api.karmada.schema import KIND_MODELS, normalize, structural_causes
from karmadad.api.karmada.validation import (
    MAX_INT64,
    dns1123_label_problems,
    duplicate,
    forbidden,
    invalid,
    json_pointer_problem,
    label_value_problems,
    not_supported,
    parse_quantity,
    qualified_name_problems,
    required,
    too_long,
)
from karmadad.errors import Cause, Invalid

__all__ = [
    "BINDING_CONTROLLER_FINALIZERS",
    "CLUSTER_PROPAGATION_POLICY_FINALIZER",
    "PERMANENT_ID_LABELS",
    "PROPAGATION_POLICY_FINALIZER",
    "WebhookOptions",
    "admit",
]

PERMANENT_ID_LABELS: dict[str, str] = {
    "PropagationPolicy": PP_PERMANENT_ID,
    "ClusterPropagationPolicy": CPP_PERMANENT_ID,
    "ResourceBinding": RB_PERMANENT_ID,
    "ClusterResourceBinding": CRB_PERMANENT_ID,
    "Work": WORK_PERMANENT_ID,
}
BINDING_CONTROLLER_FINALIZERS = {
    "ResourceBinding": BINDING_FINALIZER,
    "ClusterResourceBinding": CLUSTER_BINDING_FINALIZER,
}
_POLICY_FINALIZERS = {
    "PropagationPolicy": PROPAGATION_POLICY_FINALIZER,
    "ClusterPropagationPolicy": CLUSTER_PROPAGATION_POLICY_FINALIZER,
}

_SERVICE_IMPORT = ("multicluster.x-k8s.io/v1alpha1", "ServiceImport")
_CLUSTER_NAME_MAX = 48
_ANNOTATIONS_MAX_BYTES = 256 * 1024

# The kinds whose writes pass one of Karmada's mutating webhooks, which re-encode them from Go structs
# (see .roundtrip): per operation, as the webhook configuration in Karmada's chart lists them.
_REENCODED_ON_CREATE = frozenset(
    {
        "PropagationPolicy",
        "ClusterPropagationPolicy",
        "OverridePolicy",
        "ResourceBinding",
        "ClusterResourceBinding",
        "Work",
    }
)
_REENCODED_ON_UPDATE = frozenset({"PropagationPolicy", "ClusterPropagationPolicy", "OverridePolicy", "Work"})


def deletion_denied(obj: dict) -> str | None:
    """Why deleting ``obj`` is refused (Karmada's resource-deletion-protection webhook), or None."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    if labels.get(DELETION_PROTECTED) == "Always":
        return (
            'admission webhook "resourcedeletionprotection.karmada.io" denied the request: '
            f"This resource is protected, please make sure to remove the label: {DELETION_PROTECTED}"
        )
    return None


@dataclass(frozen=True)
class WebhookOptions:
    """The switches of Karmada's webhook that change what is admitted, with its defaults."""

    allow_no_execute_taint_policy: bool = False
    """``--allow-no-execute-taint-policy``: whether a ClusterTaintPolicy may add NoExecute taints (which
    evict workloads once the taint manager is on)."""


NO_EXECUTE_POLICY_FORBIDDEN = (
    "Configuring taint with NoExecute effect is not allowed, this capability must be explicitly "
    "enabled by administrators through command-line flags"
)


def admit(
    kind: str,
    obj: dict,
    *,
    old: dict | None = None,
    subresource: str = "",
    trusted: bool = False,
    webhooks: WebhookOptions = WebhookOptions(),
) -> dict:
    """The object to store for a create (``old`` None) or update of a Karmada kind, defaulted and checked.

    ``obj`` is not changed. Unknown fields are dropped as a CRD's schema drops them (report them first with
    :func:`karmadad.api.karmada.unknown_fields` when the request asks for strict field validation). For a
    namespaced kind ``metadata.namespace`` must already be set. With ``subresource="status"`` only the
    schema applies (Karmada's webhooks do not watch status writes). Raises :class:`Invalid` with one cause
    per problem, or ``KeyError`` for a kind that is not Karmada's. ``trusted`` objects (built by karmadad's
    own controllers from objects already admitted) skip the schema pass, the costly part, and get only the
    kind's defaulting and rules.
    """
    if kind not in KIND_MODELS:
        raise KeyError(f"not a Karmada kind: {kind!r}")
    resource = RESOURCES_BY_KIND[kind]
    source = dict(obj)
    if kind == "Cluster" and not isinstance(source.get("spec"), dict):
        # Go decodes a missing spec as the zero ClusterSpec, whose syncMode karmadad then defaults.
        source["spec"] = {}
    old = old if isinstance(old, dict) else None
    new = source if trusted else normalize(kind, source)
    if not (trusted or subresource) and kind in (
        _REENCODED_ON_CREATE if old is None else _REENCODED_ON_UPDATE
    ):
        # The mutating webhook's Go round trip comes before the schema check; the API server then prunes
        # and defaults the patched object again. Status is not the webhook's: the server resets it.
        had_status = "status" in new
        new = normalize(kind, go_roundtrip(KIND_MODELS[kind], new))
        if not had_status:
            new.pop("status", None)
    meta = new.setdefault("metadata", {})
    name = (meta.get("name") or meta.get("generateName") or "") if isinstance(meta, dict) else ""

    def reject(causes: list[Cause]) -> Invalid:
        return Invalid.of(kind, resource.group, name, causes)

    causes = [] if trusted else structural_causes(kind, new)
    if causes:
        raise reject(causes)
    if subresource:
        return new

    causes = _ADMITTERS[kind](kind, new, old)
    if kind == "ClusterTaintPolicy" and not webhooks.allow_no_execute_taint_policy:
        causes += _no_execute_causes(new)
    if causes:
        raise reject(causes)
    return new


# --------------------------------------------------------------------------- small helpers


def _obj(parent: Any, key: str) -> dict:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, dict) else {}


def _list(parent: Any, key: str) -> list:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, list) else []


def _labels(obj: dict) -> dict:
    meta = obj.setdefault("metadata", {})
    labels = meta.get("labels")
    if not isinstance(labels, dict):
        labels = meta["labels"] = {}
    return labels


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _permanent_id(kind: str, new: dict, old: dict | None, *, policy: bool) -> list[Cause]:
    """Set the kind's permanent-id label; the causes if an update of a policy changes it.

    Karmada's policy webhooks overwrite the label on create (a copied manifest must not share its source's
    id) and refuse to let it change; the binding and Work webhooks only fill it when it is empty, and let an
    update set another value.
    """
    key = PERMANENT_ID_LABELS[kind]
    labels = _labels(new)
    if old is None:
        if policy or not labels.get(key):
            labels[key] = str(uuid.uuid4())
        return []
    old_value = _obj(_obj(old, "metadata"), "labels").get(key)
    if not old_value:  # stored before it had one: give it one now
        if not labels.get(key):
            labels[key] = str(uuid.uuid4())
        return []
    if not labels.get(key):
        labels[key] = old_value  # an update that drops the id gets it back
        return []
    if policy and labels[key] != old_value:
        detail = f"label {key} is immutable, it can only be set by the system during creation"
        return [invalid(f"metadata.labels[{key}]", labels[key], detail)]
    return []


def _labels_causes(labels: dict, path: str) -> list[Cause]:
    """metav1validation.ValidateLabels: qualified keys and label values."""
    causes: list[Cause] = []
    for key, value in labels.items():
        causes += [invalid(path, key, problem) for problem in qualified_name_problems(key)]
        causes += [invalid(path, value, problem) for problem in label_value_problems(value)]
    return causes


def _annotations_causes(annotations: dict, path: str) -> list[Cause]:
    """apimachinery's ValidateAnnotations: qualified (lower-cased) keys, at most 256 KiB in total."""
    causes: list[Cause] = []
    size = 0
    for key, value in annotations.items():
        causes += [invalid(path, key, problem) for problem in qualified_name_problems(key.lower())]
        size += len(key.encode()) + len(str(value).encode())
    if size > _ANNOTATIONS_MAX_BYTES:
        causes.append(too_long(path, _ANNOTATIONS_MAX_BYTES))
    return causes


# --------------------------------------------------------------------------- shared policy parts


def _default_selector_namespaces(spec: dict, namespace: str) -> None:
    for selector in _list(spec, "resourceSelectors"):
        if not selector.get("namespace"):
            selector["namespace"] = namespace


def _selector_causes(spec: dict, namespace: str) -> list[Cause]:
    causes: list[Cause] = []
    for index, selector in enumerate(_list(spec, "resourceSelectors")):
        path = f"spec.resourceSelectors[{index}]"
        if namespace and selector.get("namespace", "") != namespace:
            detail = "namespace of resource selector must be the same as the namespace of the policy"
            causes.append(invalid(f"{path}.namespace", selector.get("namespace", ""), detail))
    return causes


def _field_selector_problem(field_selector: dict) -> str | None:
    """Karmada's ValidatePolicyFieldSelector: keys provider/region/zone, operators In/NotIn."""
    for expression in _list(field_selector, "matchExpressions"):
        if expression.get("key") not in ("provider", "region", "zone"):
            return f"unsupported key {json.dumps(expression.get('key'))}, must be provider, region, or zone"
        if expression.get("operator") not in ("In", "NotIn"):
            return f"unsupported operator {json.dumps(expression.get('operator'))}, must be In or NotIn"
    return None


def _cluster_affinity_causes(affinity: Any, path: str) -> list[Cause]:
    if not isinstance(affinity, dict):
        return []
    causes: list[Cause] = []
    if isinstance(affinity.get("fieldSelector"), dict):
        problem = _field_selector_problem(affinity["fieldSelector"])
        if problem:
            causes.append(invalid(f"{path}.fieldSelector", affinity["fieldSelector"], problem))
    return causes


# --------------------------------------------------------------------------- propagation policies


def _replica_scheduling_type(placement: dict) -> str:
    """Placement.ReplicaSchedulingType(): a missing replicaScheduling block means Duplicated."""
    strategy = placement.get("replicaScheduling")
    if not isinstance(strategy, dict):
        return "Duplicated"
    return strategy.get("replicaSchedulingType", "")


def _mutate_propagation(spec: dict, namespace: str) -> None:
    if namespace:
        _default_selector_namespaces(spec, namespace)
    placement = _obj(spec, "placement")
    for constraint in _list(placement, "spreadConstraints"):
        if not constraint.get("spreadByLabel") and not constraint.get("spreadByField"):
            constraint["spreadByField"] = "cluster"
        if not constraint.get("minGroups"):
            constraint["minGroups"] = 1
    if any(
        (selector.get("apiVersion"), selector.get("kind")) == _SERVICE_IMPORT
        for selector in _list(spec, "resourceSelectors")
    ):
        spec["propagateDeps"] = True
    if _replica_scheduling_type(placement) == "Divided":
        strategy = placement["replicaScheduling"]
        if not strategy.get("replicaDivisionPreference"):
            strategy["replicaDivisionPreference"] = "Weighted"
    application = _obj(_obj(spec, "failover"), "application")
    if application.get("purgeMode") in GRACEFUL_PURGE_MODES and application.get("gracePeriodSeconds") is None:
        application["gracePeriodSeconds"] = 600


def _overflow_allowed(placement: dict) -> bool:
    strategy = placement.get("replicaScheduling")
    if not isinstance(strategy, dict) or strategy.get("replicaSchedulingType") != "Divided":
        return False
    preference = strategy.get("replicaDivisionPreference")
    if preference == "Aggregated":
        return True
    return preference == "Weighted" and bool(_obj(strategy, "weightPreference").get("dynamicWeight"))


def _empty_affinity(affinity: dict) -> bool:
    return not (
        affinity.get("labelSelector") is not None
        or affinity.get("fieldSelector") is not None
        or affinity.get("clusterNames")
        or affinity.get("exclude")
    )


def _affinity_terms_causes(placement: dict, path: str) -> list[Cause]:
    terms = _list(placement, "clusterAffinities")
    causes: list[Cause] = []
    seen: set[str] = set()
    allow_overflow = _overflow_allowed(placement)
    for index, term in enumerate(terms):
        term_path = f"{path}[{index}]"
        name = term.get("affinityName", "")
        causes += [invalid(term_path, name, problem) for problem in qualified_name_problems(name)]
        if name in seen:
            causes.append(invalid(path, terms, "each affinity term in a policy must have a unique name"))
        seen.add(name)
        causes += _cluster_affinity_causes(term, term_path)
        if "overflowAffinities" not in term:
            continue
        overflows = _list(term, "overflowAffinities")
        overflow_path = f"{term_path}.overflowAffinities"
        if not allow_overflow:
            detail = (
                "overflowAffinities can only be used together with dynamic weight or aggregated scheduling"
            )
            causes.append(invalid(overflow_path, overflows, detail))
        if _empty_affinity(term):
            detail = "overflowAffinities can only be used together with the inline ClusterAffinity"
            causes.append(invalid(overflow_path, overflows, detail))
        names = {name}
        for position, overflow in enumerate(overflows):
            item_path = f"{overflow_path}[{position}]"
            overflow_name = overflow.get("affinityName", "")
            causes += [
                invalid(f"{item_path}.affinityName", overflow_name, problem)
                for problem in qualified_name_problems(overflow_name)
            ]
            if overflow_name in names:
                detail = (
                    "overflow affinity name must be unique and must not duplicate the primary group's "
                    "affinityName"
                )
                causes.append(invalid(f"{item_path}.affinityName", overflow_name, detail))
            names.add(overflow_name)
            causes += _cluster_affinity_causes(overflow, item_path)
    return causes


def _spread_causes(constraints: list, path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen_fields: dict[str, bool] = {}  # field → already reported as duplicated
    for index, constraint in enumerate(constraints):
        item = f"{path}[{index}]"
        by_field = constraint.get("spreadByField", "")
        min_groups = constraint.get("minGroups", 0)
        max_groups = constraint.get("maxGroups", 0)
        if by_field and constraint.get("spreadByLabel"):
            causes.append(invalid(item, constraint, "spreadByLabel should not co-exist with spreadByField"))
        if min_groups < 0:
            causes.append(invalid(item, constraint, "minGroups lower than 0 is not allowed"))
        if max_groups < 0:
            causes.append(invalid(item, constraint, "maxGroups lower than 0 is not allowed"))
        if max_groups > 0 and max_groups < min_groups:
            causes.append(invalid(item, constraint, "maxGroups lower than minGroups is not allowed"))
        if by_field:
            if by_field in seen_fields and not seen_fields[by_field]:
                detail = f"multiple {by_field} spread constraints are not allowed"
                causes.append(invalid(path, constraints, detail))
                seen_fields[by_field] = True
            seen_fields.setdefault(by_field, False)
    if seen_fields and "cluster" not in seen_fields:
        detail = (
            "the cluster spread constraint must be enabled in one of the constraints in case of SpreadByField "
            "is enabled"
        )
        causes.append(invalid(path, constraints, detail))
    return causes


def _workload_affinity_causes(affinity: Any, path: str) -> list[Cause]:
    if not isinstance(affinity, dict):
        return []
    causes: list[Cause] = []
    keys = {}
    for part in ("affinity", "antiAffinity"):
        term = affinity.get(part)
        if isinstance(term, dict):
            key = term.get("groupByLabelKey", "")
            keys[part] = key
            key_path = f"{path}.{part}.groupByLabelKey"
            causes += [invalid(key_path, key, problem) for problem in qualified_name_problems(key)]
    if len(keys) == 2 and keys["affinity"] == keys["antiAffinity"]:
        causes.append(
            invalid(path, affinity, "affinity and antiAffinity must not use the same groupByLabelKey")
        )
    return causes


def _tolerations_causes(tolerations: list, path: str) -> list[Cause]:
    # Karmada refuses only the node comparison operators; any other unknown operator never matches a taint.
    return [
        not_supported(f"{path}[{index}].operator", toleration.get("operator"), ["", "Exists", "Equal"])
        for index, toleration in enumerate(tolerations)
        if toleration.get("operator") in ("Lt", "Gt")
    ]


def _placement_causes(placement: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    if placement.get("clusterAffinity") is not None and "clusterAffinities" in placement:
        causes.append(invalid(path, placement, "clusterAffinities cannot co-exist with clusterAffinity"))
    causes += _cluster_affinity_causes(placement.get("clusterAffinity"), f"{path}.clusterAffinity")
    causes += _affinity_terms_causes(placement, f"{path}.clusterAffinities")
    causes += _spread_causes(_list(placement, "spreadConstraints"), f"{path}.spreadConstraints")
    causes += _workload_affinity_causes(placement.get("workloadAffinity"), f"{path}.workloadAffinity")
    causes += _tolerations_causes(_list(placement, "clusterTolerations"), f"{path}.clusterTolerations")
    return causes


def _state_preservation_causes(preservation: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for index, rule in enumerate(_list(preservation, "rules")):
        alias = rule.get("aliasLabelName", "")
        alias_path = f"{path}.rules[{index}].aliasLabelName"
        causes += [invalid(alias_path, alias, problem) for problem in qualified_name_problems(alias)]
    return causes


def _failover_causes(spec: dict) -> list[Cause]:
    failover = spec.get("failover")
    if not isinstance(failover, dict):
        return []
    causes: list[Cause] = []
    application = failover.get("application")
    if isinstance(application, dict):
        path = "spec.failover.application"
        if not spec.get("propagateDeps"):
            detail = "application failover is set, propagateDeps must be true"
            causes.append(invalid("spec.propagateDeps", spec.get("propagateDeps", False), detail))
        toleration = _obj(application, "decisionConditions").get("tolerationSeconds", 300)
        if toleration < 0:
            detail = "must be greater than or equal to 0"
            causes.append(invalid(f"{path}.decisionConditions.tolerationSeconds", toleration, detail))
        purge_mode = application.get("purgeMode")
        grace = application.get("gracePeriodSeconds")
        if purge_mode not in GRACEFUL_PURGE_MODES and grace is not None:
            causes.append(
                invalid(f"{path}.gracePeriodSeconds", grace, "only takes effect when purgeMode is gracefully")
            )
        if purge_mode in GRACEFUL_PURGE_MODES and grace is None:
            causes.append(
                invalid(
                    f"{path}.gracePeriodSeconds", None, "should not be empty when purgeMode is gracefully"
                )
            )
        if grace is not None and grace <= 0:
            causes.append(invalid(f"{path}.gracePeriodSeconds", grace, "must be greater than 0"))
        causes += _state_preservation_causes(
            application.get("statePreservation"), f"{path}.statePreservation"
        )
    cluster_failover = failover.get("cluster")
    if isinstance(cluster_failover, dict):
        causes += _state_preservation_causes(
            cluster_failover.get("statePreservation"), "spec.failover.cluster.statePreservation"
        )
    return causes


def _propagation_spec_causes(spec: dict, namespace: str) -> list[Cause]:
    causes = _placement_causes(_obj(spec, "placement"), "spec.placement")
    causes += _failover_causes(spec)
    causes += _selector_causes(spec, namespace)
    if spec.get("preemption") == "Always":
        for index, selector in enumerate(_list(spec, "resourceSelectors")):
            if not selector.get("name"):
                detail = (
                    "name cannot be empty if preemption is Always, the empty name may cause unexpected "
                    "resources preemption"
                )
                causes.append(invalid(f"spec.resourceSelectors[{index}].name", "", detail))
    suspension = spec.get("suspension")
    if (
        isinstance(suspension, dict)
        and suspension.get("dispatching") is True
        and _list(_obj(suspension, "dispatchingOnClusters"), "clusterNames")
    ):
        detail = "suspension dispatching cannot co-exist with dispatchingOnClusters.clusterNames"
        causes.append(invalid("spec.suspension", suspension, detail))
    return causes


def _admit_propagation_policy(kind: str, new: dict, old: dict | None) -> list[Cause]:
    namespace = _obj(new, "metadata").get("namespace", "") if kind == "PropagationPolicy" else ""
    spec = new["spec"]
    _mutate_propagation(spec, namespace)
    causes = _permanent_id(kind, new, old, policy=True)
    if old is None:
        meta = new["metadata"]
        finalizers = meta.get("finalizers") if isinstance(meta.get("finalizers"), list) else []
        if _POLICY_FINALIZERS[kind] not in finalizers:
            meta["finalizers"] = [*finalizers, _POLICY_FINALIZERS[kind]]
    else:
        old_scheduler = _obj(old, "spec").get("schedulerName", "default-scheduler")
        if spec.get("schedulerName") != old_scheduler:
            detail = "the schedulerName should not be updated"
            causes.append(invalid("spec.schedulerName", spec.get("schedulerName"), detail))
    return causes + _propagation_spec_causes(spec, namespace)


# --------------------------------------------------------------------------- override policies


def _overriders_empty(overriders: dict) -> bool:
    # As Karmada's check, which predates fieldOverrider and does not look at it.
    return not any(
        _list(overriders, key)
        for key in (
            "plaintext",
            "imageOverrider",
            "commandOverrider",
            "argsOverrider",
            "labelsOverrider",
            "annotationsOverrider",
        )
    )


def _patch_operations_causes(operations: list, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for index, operation in enumerate(operations):
        item = f"{path}[{index}]"
        problem = json_pointer_problem(operation.get("subPath", ""))
        if problem:
            causes.append(invalid(f"{item}.subPath", operation.get("subPath"), problem))
        has_value = "value" in operation
        if operation.get("operator") in ("add", "replace") and not has_value:
            causes.append(invalid(f"{item}.value", None, "value is required for add or replace operation"))
        if operation.get("operator") == "remove" and has_value:
            causes.append(
                invalid(f"{item}.value", operation["value"], "value is not allowed for remove operation")
            )
    return causes


def _overriders_causes(overriders: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for index, rule in enumerate(_list(overriders, "annotationsOverrider")):
        causes += _annotations_causes(_obj(rule, "value"), f"{path}.annotationsOverrider[{index}].value")
    for index, rule in enumerate(_list(overriders, "labelsOverrider")):
        causes += _labels_causes(_obj(rule, "value"), f"{path}.labelsOverrider[{index}].value")
    for index, rule in enumerate(_list(overriders, "imageOverrider")):
        predicate = rule.get("predicate")
        if isinstance(predicate, dict):
            problem = json_pointer_problem(predicate.get("path", ""))
            if problem:
                causes.append(
                    invalid(f"{path}.imageOverrider[{index}].predicate.path", predicate["path"], problem)
                )
    for index, rule in enumerate(_list(overriders, "fieldOverrider")):
        item = f"{path}.fieldOverrider[{index}]"
        json_ops, yaml_ops = _list(rule, "json"), _list(rule, "yaml")
        if json_ops and yaml_ops:
            causes.append(
                invalid(item, rule, "FieldOverrider has both YAML and JSON set. Only one is allowed")
            )
        if not json_ops and not yaml_ops:
            causes.append(required(item, "FieldOverrider must have either JSON or YAML set"))
        problem = json_pointer_problem(rule.get("fieldPath", ""))
        if problem:
            causes.append(invalid(f"{item}.fieldPath", rule.get("fieldPath"), problem))
        causes += _patch_operations_causes(json_ops, f"{item}.json")
        causes += _patch_operations_causes(yaml_ops, f"{item}.yaml")
    return causes


def _override_spec_causes(spec: dict, namespace: str) -> list[Cause]:
    causes: list[Cause] = []
    target = spec.get("targetCluster")
    causes += _cluster_affinity_causes(target, "spec.targetCluster")
    if target is not None and "overrideRules" in spec:
        causes.append(invalid("spec.targetCluster", target, "overrideRules and targetCluster can't co-exist"))
    overriders = _obj(spec, "overriders")
    if not _overriders_empty(overriders) and "overrideRules" in spec:
        causes.append(invalid("spec.overriders", overriders, "overrideRules and overriders can't co-exist"))
    # The deprecated spec.overriders are not validated by Karmada: only the rules are.
    for index, rule in enumerate(_list(spec, "overrideRules")):
        rule_path = f"spec.overrideRules[{index}]"
        causes += _overriders_causes(_obj(rule, "overriders"), f"{rule_path}.overriders")
        causes += _cluster_affinity_causes(rule.get("targetCluster"), f"{rule_path}.targetCluster")
    return causes + _selector_causes(spec, namespace)


def _admit_override_policy(kind: str, new: dict, old: dict | None) -> list[Cause]:
    spec = new["spec"]
    namespace = ""
    if kind == "OverridePolicy":
        namespace = _obj(new, "metadata").get("namespace", "")
        if namespace:
            _default_selector_namespaces(spec, namespace)
    return _override_spec_causes(spec, namespace)


# --------------------------------------------------------------------------- bindings and works


def _admit_binding(kind: str, new: dict, old: dict | None) -> list[Cause]:
    causes = _permanent_id(kind, new, old, policy=False)
    annotations = _obj(new["metadata"], "annotations")
    # Karmada's validating webhook watches ResourceBindings only, not ClusterResourceBindings.
    if kind == "ResourceBinding" and DEPENDENCIES_ANNOTATION in annotations:
        try:
            json.loads(annotations[DEPENDENCIES_ANNOTATION])
        except ValueError:
            path = f"metadata.annotations[{DEPENDENCIES_ANNOTATION}]"
            causes.append(
                invalid(path, annotations[DEPENDENCIES_ANNOTATION], "annotation value must be a valid JSON")
            )
    return causes


def prune_in_place(manifest: dict) -> None:
    """Drop what the member's API server fills in and what must not be propagated (Karmada's prune)."""
    meta = manifest.get("metadata")
    if isinstance(meta, dict):
        for key in (
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
            "resourceVersion",
            "selfLink",
            "uid",
            "ownerReferences",
            "finalizers",
        ):
            meta.pop(key, None)
    manifest.pop("status", None)
    kind = manifest.get("kind")
    spec = _obj(manifest, "spec")
    annotations = _obj(meta, "annotations")
    if kind == "Deployment":
        annotations.pop("deployment.kubernetes.io/revision", None)
        annotations.pop("deployment.kubernetes.io/revision-history", None)
    elif kind == "Job":
        spec.pop("ttlSecondsAfterFinished", None)
        if spec.get("manualSelector") is not True:
            match_labels = _obj(_obj(spec, "selector"), "matchLabels")
            for key in ("controller-uid", "batch.kubernetes.io/controller-uid"):
                match_labels.pop(key, None)
            template_labels = _obj(_obj(_obj(spec, "template"), "metadata"), "labels")
            for key in (
                "controller-uid",
                "job-name",
                "batch.kubernetes.io/controller-uid",
                "batch.kubernetes.io/job-name",
            ):
                template_labels.pop(key, None)
    elif kind == "ServiceAccount":
        prefix = f"{_obj(manifest, 'metadata').get('name', '')}-token-"
        if isinstance(manifest.get("secrets"), list):
            manifest["secrets"] = [
                s
                for s in manifest["secrets"]
                if not (isinstance(s, dict) and str(s.get("name", "")).startswith(prefix))
            ]
    elif kind == "Service":
        if "clusterIP" in spec and spec["clusterIP"] != "None":
            spec.pop("clusterIP", None)
            spec.pop("clusterIPs", None)
    elif kind == "Secret":
        if manifest.get("type") == "kubernetes.io/service-account-token":
            annotations.pop("kubernetes.io/service-account.uid", None)
            manifest.pop("data", None)
    elif kind == "PersistentVolumeClaim":
        if annotations.get("volume.kubernetes.io/selected-node"):
            annotations.pop("volume.kubernetes.io/selected-node")


def _record_managed_keys(manifest: dict, work_id: str) -> None:
    """Label the workload with the Work's permanent id; record the keys of labels and annotations."""
    meta = manifest.setdefault("metadata", {})
    if not isinstance(meta, dict):
        return
    annotations = meta.get("annotations")
    if not isinstance(annotations, dict):
        annotations = {}
    keys = {MANAGED_ANNOTATIONS, MANAGED_LABELS} | set(annotations)
    annotations[MANAGED_ANNOTATIONS] = ",".join(sorted(keys))
    labels = meta.get("labels")
    if not isinstance(labels, dict):
        labels = {}
    if work_id:
        labels[PERMANENT_ID_LABELS["Work"]] = work_id
    if labels:
        meta["labels"] = labels
    annotations[MANAGED_LABELS] = ",".join(sorted(labels))
    meta["annotations"] = annotations


def _admit_work(kind: str, new: dict, old: dict | None) -> list[Cause]:
    causes = _permanent_id(kind, new, old, policy=False)
    work_id = _labels(new).get(PERMANENT_ID_LABELS["Work"], "")
    for manifest in _list(_obj(new["spec"], "workload"), "manifests"):
        prune_in_place(manifest)
        _record_managed_keys(manifest, work_id)
    return causes


# --------------------------------------------------------------------------- clusters


def _default_resource_models() -> list[dict]:
    """Karmada's default node grades: cpu [0,1) [1,2) [2,4) ... [128,∞), memory [0,4Gi) [4Gi,16Gi) ... ."""
    cpu = [0, 1, 2, 4, 8, 16, 32, 64, 128, MAX_INT64]
    memory = ["0", "4Gi", "16Gi", "32Gi", "64Gi", "128Gi", "256Gi", "512Gi", "1Ti", str(MAX_INT64)]
    return [
        {
            "grade": grade,
            "ranges": [
                {"name": "cpu", "min": str(cpu[grade]), "max": str(cpu[grade + 1])},
                {"name": "memory", "min": memory[grade], "max": memory[grade + 1]},
            ],
        }
        for grade in range(9)
    ]


def _standardize_resource_models(models: list[dict]) -> None:
    """Sort by grade; the first grade starts at 0 and the last one is unbounded."""
    models.sort(key=lambda model: model.get("grade", 0))
    for item in _list(models[0], "ranges"):
        item["min"] = "0"
    for item in _list(models[-1], "ranges"):
        item["max"] = str(MAX_INT64)


def _resource_models_cause(models: list[dict], path: str) -> Cause | None:
    """Karmada's ValidateClusterResourceModels: the first problem found, if any."""
    for index, model in enumerate(models):
        ranges = _list(model, "ranges")
        previous = models[index - 1] if index else None
        if previous is not None and model.get("grade") == previous.get("grade"):
            return invalid(path, models, "The grade of each models should not be the same")
        if previous is not None and len(_list(previous, "ranges")) != len(ranges):
            return invalid(path, models, "The number of resource types should be the same")
        for position, item in enumerate(ranges):
            low, high = parse_quantity(item.get("min")), parse_quantity(item.get("max"))
            if low is None or high is None:
                return invalid(
                    path, models, "quantities must match the regular expression of Kubernetes quantities"
                )
            if high <= low:
                return invalid(
                    path, models, "The max value of each resource must be greater than the min value"
                )
            if previous is None:
                if low != 0:
                    return invalid(
                        path, models, "The min value of each resource in the first model should be 0"
                    )
            else:
                before = _list(previous, "ranges")[position]
                if before.get("name") != item.get("name"):
                    return invalid(path, models, "The resource types of each models should be the same")
                if parse_quantity(before.get("max")) != low:
                    return invalid(
                        path, models, "Model intervals for resources must be contiguous and non-overlapping"
                    )
            if index == len(models) - 1 and high != MAX_INT64:
                return invalid(
                    path, models, "The max value of each resource in the last model should be MaxInt64"
                )
    return None


def _url_causes(path: str, value: str, *, proxy: bool) -> list[Cause]:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as error:
        return [invalid(path, value, f"apiEndpoint must be a valid URL: {error}")]
    if proxy:
        if parts.scheme not in ("http", "https", "socks5"):
            detail = f"unsupported scheme {json.dumps(parts.scheme)}, must be http, https, or socks5"
            return [invalid(path, value, detail)]
        return []
    form = "; desired format: hostname, hostname:port, IP or IP:port"
    causes: list[Cause] = []
    if not parts.hostname:
        causes.append(invalid(path, parts.netloc, f"host must be provided{form}"))
    if parts.username is not None or parts.password is not None:
        causes.append(
            invalid(path, parts.netloc.rpartition("@")[0], "user information is not permitted in the URL")
        )
    if parts.fragment:
        causes.append(invalid(path, parts.fragment, "fragments are not permitted in the URL"))
    if parts.query:
        causes.append(invalid(path, parts.query, "query parameters are not permitted in the URL"))
    return causes


def _taints_causes(taints: list, path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[tuple[str, str]] = set()
    for index, taint in enumerate(taints):
        item = f"{path}[{index}]"
        key, value, effect = taint.get("key", ""), taint.get("value", ""), taint.get("effect", "")
        causes += [invalid(f"{item}.key", key, problem) for problem in qualified_name_problems(key)]
        if problems := label_value_problems(value):
            causes.append(invalid(f"{item}.value", value, ";".join(problems)))
        if not effect:
            causes.append(required(f"{item}.effect"))
        elif effect not in ("NoSchedule", "NoExecute"):
            causes.append(not_supported(f"{item}.effect", effect, ["NoSchedule", "NoExecute"]))
        if (key, effect) in seen:
            causes.append(duplicate(item, taint, "taints must be unique by key and effect pair"))
            continue
        seen.add((key, effect))
    return causes


def _cluster_spec_causes(spec: dict) -> list[Cause]:
    causes: list[Cause] = []
    if spec.get("apiEndpoint"):
        causes += _url_causes("spec.apiEndpoint", spec["apiEndpoint"], proxy=False)
    for ref in ("secretRef", "impersonatorSecretRef"):
        if isinstance(spec.get(ref), dict):
            for part in ("namespace", "name"):
                if not spec[ref].get(part):
                    causes.append(required(f"spec.{ref}.{part}"))
    if spec.get("proxyURL"):
        causes += _url_causes("spec.proxyURL", spec["proxyURL"], proxy=True)
    for field in ("provider", "region"):
        if problems := label_value_problems(spec.get(field, "")):
            causes.append(invalid(f"spec.{field}", spec[field], "; ".join(problems)))
    zones = _list(spec, "zones")
    if spec.get("zone") and zones:
        causes.append(invalid("spec.zone", spec["zone"], "zone and zones cannot co-exist"))
    elif spec.get("zone"):
        if problems := label_value_problems(spec["zone"]):
            causes.append(invalid("spec.zone", spec["zone"], "; ".join(problems)))
    else:
        for index, zone in enumerate(zones):
            if problems := label_value_problems(zone):
                causes.append(invalid(f"spec.zones[{index}]", zone, "; ".join(problems)))
    causes += _taints_causes(_list(spec, "taints"), "spec.taints")
    models = _list(spec, "resourceModels")
    if models and (cause := _resource_models_cause(models, "spec.resourceModels")):
        causes.append(cause)
    return causes


def _admit_cluster(kind: str, new: dict, old: dict | None) -> list[Cause]:
    spec = new["spec"]
    # PrepareForCreate / PrepareForUpdate (CustomizedClusterResourceModeling is on by default).
    models = _list(spec, "resourceModels")
    if models:
        _standardize_resource_models(models)
    elif old is None:
        spec["resourceModels"] = _default_resource_models()
    causes: list[Cause] = []
    name = _obj(new, "metadata").get("name", "")
    if name:
        if len(name) > _CLUSTER_NAME_MAX:
            causes.append(
                invalid("metadata.name", name, f"must be no more than {_CLUSTER_NAME_MAX} characters")
            )
        else:
            causes += [invalid("metadata.name", name, problem) for problem in dns1123_label_problems(name)]
    causes += _cluster_spec_causes(spec)
    if causes:
        return causes
    # Canonicalize, after validation as in the generic registry.
    for taint in _list(spec, "taints"):
        if taint.get("effect") == "NoExecute" and not taint.get("timeAdded"):
            taint["timeAdded"] = _now()
    if spec.get("zone") and not _list(spec, "zones"):
        spec["zones"] = [spec.pop("zone")]
    elif "zone" in spec and not spec["zone"]:
        spec.pop("zone")
    return []


def _admit_cluster_taint_policy(kind: str, new: dict, old: dict | None) -> list[Cause]:
    """Karmada's ClusterTaintPolicy webhook: one taint per key and effect."""
    causes: list[Cause] = []
    taints = _list(new["spec"], "taints")
    for index, taint in enumerate(taints):
        pair = (taint.get("key"), taint.get("effect"))
        if any((later.get("key"), later.get("effect")) == pair for later in taints[index + 1 :]):
            detail = f"Duplicate taint with the same key({pair[0]}) and effect({pair[1]}) is not allowed"
            causes.append(duplicate(f"spec.taints[{index}]", taint, detail))
    return causes


def _no_execute_causes(policy: dict) -> list[Cause]:
    return [
        forbidden(f"spec.taints[{index}]", NO_EXECUTE_POLICY_FORBIDDEN)
        for index, taint in enumerate(_list(policy["spec"], "taints"))
        if taint.get("effect") == "NoExecute"
    ]


_ADMITTERS: dict[str, Callable[[str, dict, dict | None], list[Cause]]] = {
    "PropagationPolicy": _admit_propagation_policy,
    "ClusterPropagationPolicy": _admit_propagation_policy,
    "OverridePolicy": _admit_override_policy,
    "ClusterOverridePolicy": _admit_override_policy,
    "ClusterTaintPolicy": _admit_cluster_taint_policy,
    "WorkloadRebalancer": lambda kind, new, old: [],  # served without a webhook
    "ResourceBinding": _admit_binding,
    "ClusterResourceBinding": _admit_binding,
    "Work": _admit_work,
    "Cluster": _admit_cluster,
}
