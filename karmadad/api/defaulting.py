"""Kubernetes' defaults for the built-in kinds, as kube-apiserver gives them to an object it decodes.

kube-apiserver defaults by Go type: each type with defaults has its function (the ``SetDefaults_*`` of
its API group, and the ``+default`` markers of k8s.io/api), and a generated walk calls them on every value
of that type inside an object, the outer value first. Here the types are the schema's definitions: one
function per definition (:data:`_BY_DEFINITION`), and a walk that follows the kind's schema, but only
along the fields that can lead to a defaulted definition or a quantity (a plan compiled once per
definition), so a large object costs a few dict copies.

Quantities come back in Go's canonical form (``"0.5"`` is stored as ``"500m"``), rounded up to a whole
milli in the core ResourceLists (requests, limits, capacity...), as kube-apiserver writes them.

Everything is copied along the way: the object given is never changed. The functions here change only
the fresh copy they are handed and copy any child they change (:func:`_child`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from karmadad.api import schemas
from karmadad.quantity import canonical_quantity

__all__ = ["defaulted"]

Defaulter = Callable[[dict], None]

_CORE = "io.k8s.api.core.v1."
_QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"


def _child(obj: dict, key: str) -> dict:
    """A copy of ``obj[key]`` (an empty dict if absent or not a dict), put back into ``obj``."""
    value = obj.get(key)
    copied = dict(value) if isinstance(value, dict) else {}
    obj[key] = copied
    return copied


def _set(obj: dict, key: str, value: Any) -> None:
    """``obj[key] = value`` where the field is unset (Go's nil pointer or zero value)."""
    if obj.get(key) in (None, ""):
        obj[key] = value


def _image_tag(image: object) -> str:
    """The tag of an image reference as Go's ``parsers.ParseImageName`` sees it: ``latest`` when there is
    neither tag nor digest, empty when the reference does not parse."""
    if not isinstance(image, str) or not image or image != image.strip():
        return ""
    name, _, digest = image.partition("@")
    repository, _, last = name.rpartition("/")
    path, colon, tag = last.partition(":")
    if not path or any(part != part.lower() for part in (path, repository.partition("/")[2])):
        return ""  # references are lower-case past the registry host
    if colon:
        return tag
    return "" if digest else "latest"


def _pull_policy(image: object) -> str:
    return "Always" if _image_tag(image) == "latest" else "IfNotPresent"


# --- core/v1 -------------------------------------------------------------------------------------


def _container(obj: dict) -> None:
    _set(obj, "imagePullPolicy", _pull_policy(obj.get("image")))
    _set(obj, "terminationMessagePath", "/dev/termination-log")
    _set(obj, "terminationMessagePolicy", "File")


def _pod_spec(obj: dict) -> None:
    # v1's deprecated serviceAccount field mirrors serviceAccountName (its conversion writes both)
    account = obj.get("serviceAccountName") or obj.get("serviceAccount")
    if account:
        obj["serviceAccountName"] = obj["serviceAccount"] = account
    _set(obj, "dnsPolicy", "ClusterFirst")
    _set(obj, "restartPolicy", "Always")
    _set(obj, "securityContext", {})
    _set(obj, "terminationGracePeriodSeconds", 30)
    _set(obj, "schedulerName", "default-scheduler")


def _pod(obj: dict) -> None:
    """A Pod (not a template): requests from limits, service links on, host ports in the host's network."""
    spec = _child(obj, "spec")
    for field in ("containers", "initContainers"):
        containers = spec.get(field)
        if not isinstance(containers, list):
            continue
        spec[field] = containers = [dict(c) if isinstance(c, dict) else c for c in containers]
        for container in containers:
            if not isinstance(container, dict):
                continue
            resources = container.get("resources")
            if isinstance(resources, dict) and isinstance(resources.get("limits"), dict):
                resources = _child(container, "resources")
                requests = _child(resources, "requests")
                for name, amount in resources["limits"].items():
                    requests.setdefault(name, amount)
            if spec.get("hostNetwork") is True and isinstance(container.get("ports"), list):
                container["ports"] = [
                    {**port, "hostPort": port.get("containerPort")}
                    if isinstance(port, dict) and not port.get("hostPort")
                    else port
                    for port in container["ports"]
                ]
    _set(spec, "enableServiceLinks", True)


def _probe(obj: dict) -> None:
    """Probe timings are plain integers in Go: zero is unset."""
    for field, value in (
        ("timeoutSeconds", 1),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("failureThreshold", 3),
    ):
        if obj.get(field) in (None, 0):
            obj[field] = value


def _volume(obj: dict) -> None:
    if not any(value is not None for key, value in obj.items() if key != "name"):
        obj["emptyDir"] = {}
    image = obj.get("image")
    if isinstance(image, dict) and not image.get("pullPolicy"):
        obj["image"] = {**image, "pullPolicy": _pull_policy(image.get("reference"))}


def _mode_420(obj: dict) -> None:
    _set(obj, "defaultMode", 420)


def _namespace(obj: dict) -> None:
    name = (obj.get("metadata") or {}).get("name")
    if isinstance(name, str) and name:
        meta = _child(obj, "metadata")
        labels = _child(meta, "labels")
        labels["kubernetes.io/metadata.name"] = name


def _persistent_volume(obj: dict) -> None:
    _set(_child(obj, "status"), "phase", "Pending")
    spec = _child(obj, "spec")
    _set(spec, "persistentVolumeReclaimPolicy", "Retain")
    _set(spec, "volumeMode", "Filesystem")


def _replication_controller(obj: dict) -> None:
    spec = _child(obj, "spec")
    labels = (spec.get("template") or {}).get("metadata", {}).get("labels")
    if labels:
        if not spec.get("selector"):
            spec["selector"] = labels
        meta = _child(obj, "metadata")
        if not meta.get("labels"):
            meta["labels"] = labels
    _set(spec, "replicas", 1)


def _limit_range_item(obj: dict) -> None:
    if obj.get("type") != "Container":
        return
    default, request = _child(obj, "default"), _child(obj, "defaultRequest")
    for source, target in (("max", default), ("default", request), ("min", request)):
        for name, amount in (obj.get(source) or {}).items():
            target.setdefault(name, amount)


def _fixed(**values: Any) -> Defaulter:
    """A defaulter giving unset fields fixed values (the ``+default`` markers, and the plain cases)."""

    def apply(obj: dict) -> None:
        for key, value in values.items():
            _set(obj, key, value)

    return apply


def _status_phase(phase: str) -> Defaulter:
    def apply(obj: dict) -> None:
        _set(_child(obj, "status"), "phase", phase)

    return apply


# --- apps/v1 -------------------------------------------------------------------------------------


def _deployment(obj: dict) -> None:
    spec = _child(obj, "spec")
    _set(spec, "replicas", 1)
    strategy = _child(spec, "strategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        _set(rolling, "maxUnavailable", "25%")
        _set(rolling, "maxSurge", "25%")
    _set(spec, "revisionHistoryLimit", 10)
    _set(spec, "progressDeadlineSeconds", 600)


def _daemon_set(obj: dict) -> None:
    spec = _child(obj, "spec")
    strategy = _child(spec, "updateStrategy")
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _child(strategy, "rollingUpdate")
        _set(rolling, "maxUnavailable", 1)
        if rolling.get("maxSurge") is None:
            rolling["maxSurge"] = 0
    _set(spec, "revisionHistoryLimit", 10)


def _stateful_set(obj: dict) -> None:
    spec = _child(obj, "spec")
    _set(spec, "podManagementPolicy", "OrderedReady")
    strategy = _child(spec, "updateStrategy")
    if not strategy.get("type"):
        strategy["type"] = "RollingUpdate"
        _child(strategy, "rollingUpdate")
    if strategy["type"] == "RollingUpdate" and isinstance(strategy.get("rollingUpdate"), dict):
        rolling = _child(strategy, "rollingUpdate")
        if rolling.get("partition") is None:
            rolling["partition"] = 0
    retention = _child(spec, "persistentVolumeClaimRetentionPolicy")
    _set(retention, "whenDeleted", "Retain")
    _set(retention, "whenScaled", "Retain")
    _set(spec, "replicas", 1)
    _set(spec, "revisionHistoryLimit", 10)
    if isinstance(spec.get("volumeClaimTemplates"), list):  # as apps/v1's conversion writes them
        spec["volumeClaimTemplates"] = [
            {**claim, "apiVersion": "v1", "kind": "PersistentVolumeClaim"}
            if isinstance(claim, dict)
            else claim
            for claim in spec["volumeClaimTemplates"]
        ]


# --- batch/v1 ------------------------------------------------------------------------------------


def _job(obj: dict) -> None:
    spec = _child(obj, "spec")
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
    _set(spec, "parallelism", 1)
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2147483647 if spec.get("backoffLimitPerIndex") is not None else 6
    labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels")
    if labels is not None and not (obj.get("metadata") or {}).get("labels"):
        _child(obj, "metadata")["labels"] = labels
    _set(spec, "completionMode", "NonIndexed")
    _set(spec, "suspend", False)
    _set(spec, "podReplacementPolicy", "Failed" if spec.get("podFailurePolicy") else "TerminatingOrFailed")
    _set(spec, "manualSelector", False)


# --- autoscaling/v2 ------------------------------------------------------------------------------

_SCALE_UP: dict[str, Any] = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN: dict[str, Any] = {
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _autoscaler_v2(obj: dict) -> None:
    spec = _child(obj, "spec")
    _set(spec, "minReplicas", 1)
    if not spec.get("metrics"):
        cpu = {"type": "Utilization", "averageUtilization": 80}
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": cpu}}]
    if isinstance(spec.get("behavior"), dict):
        behavior = _child(spec, "behavior")
        for direction, base in (("scaleUp", _SCALE_UP), ("scaleDown", _SCALE_DOWN)):
            given = behavior.get(direction) or {}
            rules = {**base, "policies": [dict(p) for p in base["policies"]]}
            rules.update((key, value) for key, value in given.items() if value is not None)
            behavior[direction] = rules


# --- other groups --------------------------------------------------------------------------------


def _network_policy(obj: dict) -> None:
    spec = _child(obj, "spec")
    if not spec.get("policyTypes"):
        spec["policyTypes"] = ["Ingress", *(["Egress"] if spec.get("egress") else [])]


def _role_binding(obj: dict) -> None:
    _set(_child(obj, "roleRef"), "apiGroup", "rbac.authorization.k8s.io")


def _subject(obj: dict) -> None:
    if not obj.get("apiGroup") and obj.get("kind") in ("User", "Group"):
        obj["apiGroup"] = "rbac.authorization.k8s.io"


def _csi_driver(obj: dict) -> None:
    spec = _child(obj, "spec")
    for key, value in (
        ("attachRequired", True),
        ("podInfoOnMount", False),
        ("storageCapacity", False),
        ("fsGroupPolicy", "ReadWriteOnceWithFSType"),
        ("requiresRepublish", False),
        ("seLinuxMount", False),
    ):
        if spec.get(key) is None:
            spec[key] = value
    if not spec.get("volumeLifecycleModes"):
        spec["volumeLifecycleModes"] = ["Persistent"]


def _ingress_class(obj: dict) -> None:
    spec = obj.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("parameters"), dict):
        _set(_child(_child(obj, "spec"), "parameters"), "scope", "Cluster")


# --- apiextensions.k8s.io/v1 ---------------------------------------------------------------------


def _custom_resource_definition_spec(spec: dict) -> None:
    """``SetDefaults_CustomResourceDefinitionSpec``: names from the kind, no conversion."""
    names = _child(spec, "names")
    kind = names.get("kind") or ""
    if kind:
        _set(names, "singular", kind.lower())
        _set(names, "listKind", kind + "List")
    if spec.get("conversion") is None:
        spec["conversion"] = {"strategy": "None"}


_BY_DEFINITION: dict[str, Defaulter] = {
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinitionSpec": (
        _custom_resource_definition_spec
    ),
    _CORE + "Container": _container,
    _CORE + "EphemeralContainer": _container,
    _CORE + "ContainerPort": _fixed(protocol="TCP"),
    _CORE + "PodSpec": _pod_spec,
    _CORE + "Pod": _pod,
    _CORE + "Probe": _probe,
    _CORE + "HTTPGetAction": _fixed(path="/", scheme="HTTP"),
    _CORE + "GRPCAction": _fixed(service=""),
    _CORE + "Volume": _volume,
    _CORE + "SecretVolumeSource": _mode_420,
    _CORE + "ConfigMapVolumeSource": _mode_420,
    _CORE + "DownwardAPIVolumeSource": _mode_420,
    _CORE + "ProjectedVolumeSource": _mode_420,
    _CORE + "ServiceAccountTokenProjection": _fixed(expirationSeconds=3600),
    _CORE + "HostPathVolumeSource": _fixed(type=""),
    _CORE + "ObjectFieldSelector": _fixed(apiVersion="v1"),
    _CORE + "FileKeySelector": _fixed(optional=False),
    _CORE + "Secret": _fixed(type="Opaque"),
    _CORE + "Namespace": _namespace,
    _CORE + "PersistentVolume": _persistent_volume,
    _CORE + "PersistentVolumeClaim": _status_phase("Pending"),
    _CORE + "PersistentVolumeClaimSpec": _fixed(volumeMode="Filesystem"),
    _CORE + "EndpointPort": _fixed(protocol="TCP"),
    _CORE + "ReplicationController": _replication_controller,
    _CORE + "LimitRangeItem": _limit_range_item,
    _CORE + "ServicePort": _fixed(protocol="TCP"),
    _CORE + "RBDVolumeSource": _fixed(pool="rbd", user="admin", keyring="/etc/ceph/keyring"),
    _CORE + "RBDPersistentVolumeSource": _fixed(pool="rbd", user="admin", keyring="/etc/ceph/keyring"),
    _CORE + "ISCSIVolumeSource": _fixed(iscsiInterface="default"),
    _CORE + "ISCSIPersistentVolumeSource": _fixed(iscsiInterface="default"),
    _CORE + "AzureDiskVolumeSource": _fixed(
        cachingMode="ReadWrite", fsType="ext4", readOnly=False, kind="Shared"
    ),
    _CORE + "ScaleIOVolumeSource": _fixed(storageMode="ThinProvisioned", fsType="xfs"),
    _CORE + "ScaleIOPersistentVolumeSource": _fixed(storageMode="ThinProvisioned", fsType="xfs"),
    "io.k8s.api.apps.v1.Deployment": _deployment,
    "io.k8s.api.apps.v1.DaemonSet": _daemon_set,
    "io.k8s.api.apps.v1.StatefulSet": _stateful_set,
    "io.k8s.api.apps.v1.ReplicaSet": lambda obj: _set(_child(obj, "spec"), "replicas", 1),
    "io.k8s.api.batch.v1.Job": _job,
    "io.k8s.api.batch.v1.CronJob": lambda obj: _fixed(
        concurrencyPolicy="Allow", suspend=False, successfulJobsHistoryLimit=3, failedJobsHistoryLimit=1
    )(_child(obj, "spec")),
    "io.k8s.api.batch.v1.PodFailurePolicyOnPodConditionsPattern": _fixed(status="True"),
    "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler": lambda obj: _set(
        _child(obj, "spec"), "minReplicas", 1
    ),
    "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler": _autoscaler_v2,
    "io.k8s.api.networking.v1.NetworkPolicy": _network_policy,
    "io.k8s.api.networking.v1.NetworkPolicyPort": _fixed(protocol="TCP"),
    "io.k8s.api.networking.v1.IngressClass": _ingress_class,
    "io.k8s.api.rbac.v1.RoleBinding": _role_binding,
    "io.k8s.api.rbac.v1.ClusterRoleBinding": _role_binding,
    "io.k8s.api.rbac.v1.Subject": _subject,
    "io.k8s.api.storage.v1.StorageClass": _fixed(reclaimPolicy="Delete", volumeBindingMode="Immediate"),
    "io.k8s.api.storage.v1.CSIDriver": _csi_driver,
    "io.k8s.api.discovery.v1.EndpointPort": lambda obj: obj.update(
        {key: value for key, value in (("name", ""), ("protocol", "TCP")) if obj.get(key) is None}
    ),
    "io.k8s.api.scheduling.v1.PriorityClass": _fixed(preemptionPolicy="PreemptLowerPriority"),
}


# --- the walk ------------------------------------------------------------------------------------

# How a field holds values of a definition: one, a list of them, or a map of them.
_Step = tuple[str, str, bool]  # (shape, definition, is a core ResourceList)


def _target(schema: dict) -> tuple[str, str] | None:
    """(shape, definition name) of a property's schema, when it holds values of a named definition."""
    for shape, inner in (
        ("one", schema),
        ("list", schema.get("items")),
        ("map", schema.get("additionalProperties")),
    ):
        if shape != "one" and not isinstance(inner, dict):
            continue
        ref = schemas.ref_of(inner) if isinstance(inner, dict) else None
        if ref is not None:
            return shape, schemas.ref_name(ref)
    return None


@cache
def _plan(name: str) -> dict[str, _Step]:
    """The fields of definition ``name`` worth walking into: those that can hold a defaulted definition or a
    quantity, at any depth."""
    _plan_in_progress.add(name)
    try:
        definition = schemas.definition(name) or {}
        steps: dict[str, _Step] = {}
        for field, schema in (definition.get("properties") or {}).items():
            found = _target(schema) if isinstance(schema, dict) else None
            if found is None:
                continue
            shape, target = found
            if _reaches(target):
                steps[field] = (
                    shape,
                    target,
                    shape == "map" and target == _QUANTITY and name.startswith(_CORE),
                )
        return steps
    finally:
        _plan_in_progress.discard(name)


_plan_in_progress: set[str] = set()


def _reaches(name: str) -> bool:
    if name == _QUANTITY or name in _BY_DEFINITION:
        return True
    if name in _plan_in_progress:
        return False  # a cycle (JSONSchemaProps): what lies beyond is seen from where the cycle began
    return bool(_plan(name))


def _apply(name: str, value: Any, owned: bool, resource_list: bool = False) -> Any:
    if name == _QUANTITY:
        canonical = canonical_quantity(value, resource_list=resource_list)
        return value if canonical is None else canonical
    if not isinstance(value, dict):
        return value
    if not owned:
        value = dict(value)
    defaulter = _BY_DEFINITION.get(name)
    if defaulter is not None:
        defaulter(value)
    for field, (shape, target, in_list) in _plan(name).items():
        sub = value.get(field)
        if sub is None:
            continue
        if shape == "one":
            value[field] = _apply(target, sub, owned)
        elif shape == "list" and isinstance(sub, list):
            if owned:
                for index, item in enumerate(sub):
                    sub[index] = _apply(target, item, owned)
            else:
                value[field] = [_apply(target, item, owned) for item in sub]
        elif shape == "map" and isinstance(sub, dict):
            if owned:
                for key, item in sub.items():
                    sub[key] = _apply(target, item, owned, in_list)  # the same keys: the map keeps its size
            else:
                value[field] = {key: _apply(target, item, owned, in_list) for key, item in sub.items()}
    return value


def defaulted(api_version: str, kind: str, obj: dict, *, owned: bool = False) -> dict:
    """``obj`` (a built-in kind) with kube-apiserver's defaults and canonical quantities: a new dict, or
    ``obj`` itself when ``owned`` (it is the caller's own, nothing else holds any part of it: defaulting it
    in place spares the copy)."""
    name = schemas.definition_name(api_version, kind)
    return obj if name is None else _apply(name, obj, owned)
