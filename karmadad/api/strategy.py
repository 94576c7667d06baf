"""Per-kind rules applied to every write, as kube-apiserver's registry strategies do.

- Kinds with a ``status`` subresource ignore status on create and on updates of the main resource
  (status is written through ``/status``); their spec changes bump ``generation``.
- Karmada kinds get Karmada's webhook defaulting and validation (``karmadad.api.karmada``).
- Names are checked as kube-apiserver checks them, in its words: DNS-1123 subdomains of at most 253
  characters for most kinds; labels of at most 63 for Namespaces, Services and StatefulSets (their names
  become host names); one URL path segment for the RBAC kinds (``system:controller:...``); not at all
  for core Events. Cluster names are labels of at most 48, checked by its admission. Names other objects
  derive from a template's name (``<name>-<kind>`` bindings, ``<name>-<hash>`` Works) can outgrow that;
  the error then names the derived object, as kube-apiserver's would.
- Built-in kinds get the checks of kube-apiserver's validation that karmadad makes (``_KIND_CHECKS``):
  required fields (a StorageClass's provisioner, a PersistentVolume's capacity, access modes and one
  volume source, ...), values other fields are read as (an IngressClass controller, an EndpointSlice
  address type), a HorizontalPodAutoscaler's replica bounds and scale target, reserved PriorityClasses.
- Secrets and ConfigMaps are first decoded as kube-apiserver decodes them (``karmadad.api.core_v1``:
  ``stringData`` merged into ``data``, base64 checked), so create, update, patch, apply and dry runs all
  answer with the decoded form; their keys and sizes are validated with the rest.
- Services get kube-apiserver's v1 defaults when decoded, then (before validation, as kube-apiserver's
  ``BeginCreate``/``BeginUpdate`` hooks run before its strategy) their clusterIP, node ports and health
  check port through the caller's claims (``karmadad.api.services``; the API server's allocator), and
  updates keep what they left out of those.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from karmadad.api import core_v1, crd_schemas, defaulting, preparation, services, validation
from karmadad.api.name_rules import label_problems, path_segment_problems, subdomain_problems
from karmadad.api.registry import ResourceType
from karmadad.api.validation.meta import object_meta_causes
from karmadad.errors import BadRequest, Cause, Invalid
from karmadad.protobuf.codec import ProtobufError, codec

if TYPE_CHECKING:
    from karmadad.api.karmada.admission import WebhookOptions

KARMADA_GROUPS = frozenset({"apps.karmada.io", "cluster.karmada.io", "policy.karmada.io", "work.karmada.io"})
# Kinds whose names kube-apiserver checks otherwise than as DNS-1123 subdomains: DNS-1123 labels (they
# become host names), path segments (RBAC: "system:controller:..." names), or not at all (core Events).
_LABEL_NAMES = frozenset({"namespaces", "services", "statefulsets.apps"})
_PATH_SEGMENT_NAMES = frozenset(
    f"{plural}.rbac.authorization.k8s.io"
    for plural in ("roles", "rolebindings", "clusterroles", "clusterrolebindings")
)
_UNCHECKED_NAMES = frozenset({"events"})


def name_problems(resource: ResourceType, name: str) -> list[str]:
    """Why ``name`` cannot name an object of ``resource``, as kube-apiserver checks names of that kind."""
    key = resource.group_resource
    if key in _UNCHECKED_NAMES:
        return []
    if key in _PATH_SEGMENT_NAMES:
        return path_segment_problems(name)
    return label_problems(name) if key in _LABEL_NAMES else subdomain_problems(name)


def _name_causes(resource: ResourceType, meta: dict) -> list[Cause]:
    name = meta.get("name") or ""
    causes = [
        Cause("metadata.name", f'Invalid value: "{name}": {problem}')
        for problem in (name_problems(resource, name) if name else ())
    ]
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is not None and (
            not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values())
        ):
            causes.append(Cause(f"metadata.{field}", "Invalid value: must be a map of strings"))
    return causes


def _is_builtin(resource: ResourceType) -> bool:
    """A kind kube-apiserver itself serves (not a custom resource, not one of Karmada's)."""
    return not resource.custom and resource.group not in KARMADA_GROUPS


def _decode(resource: ResourceType, obj: dict) -> dict:
    """What kube-apiserver's decoding makes of a built-in object: Secrets' and ConfigMaps' data decoded,
    the object in its Go type's form (``Codec.typed``: unknown fields dropped, empty structs written),
    then the kind's defaults (``karmadad.api.defaulting``). Kinds with a ``status`` subresource lose the
    status given first (their writes never take it), so the defaults of status are those of an empty one,
    as kube-apiserver stores them."""
    if resource.custom:
        if "status" in resource.subresources and "status" in obj:
            obj = {key: value for key, value in obj.items() if key != "status"}
        return crd_schemas.prepared(resource.extra.get("schema"), obj).obj
    if not _is_builtin(resource):
        return obj
    if "status" in resource.subresources and resource.plural != "namespaces" and "status" in obj:
        obj = {key: value for key, value in obj.items() if key != "status"}
    if not resource.group and resource.version == "v1":
        if resource.kind == "Service":
            obj = services.defaulted_service(obj)
        elif (decoder := core_v1.DECODERS.get(resource.kind)) is not None:
            obj = decoder(obj)
    try:
        obj = codec().typed({**obj, "apiVersion": resource.api_version, "kind": resource.kind})
    except ProtobufError as error:
        raise BadRequest(
            f'{resource.kind} in version "{resource.version}" cannot be handled as a {resource.kind}: {error}'
        ) from None
    return defaulting.defaulted(resource.api_version, resource.kind, obj)


def _required(field: str, detail: str = "") -> Cause:
    return Cause(field, "Required value" + (f": {detail}" if detail else ""), "FieldValueRequired")


def _invalid_value(field: str, value: object, problem: str) -> Cause:
    shown = f'"{value}"' if isinstance(value, str) else json.dumps(value)
    return Cause(field, f"Invalid value: {shown}: {problem}")


def _unsupported(field: str, value: object, supported: tuple[str, ...]) -> Cause:
    listed = ", ".join(f'"{v}"' for v in supported)
    shown = json.dumps(value, separators=(",", ":"))
    return Cause(field, f"Unsupported value: {shown}: supported values: {listed}", "FieldValueNotSupported")


def _storage_class_causes(obj: dict, old: dict | None) -> list[Cause]:
    return [] if obj.get("provisioner") else [_required("provisioner")]


def _ingress_class_causes(obj: dict, old: dict | None) -> list[Cause]:
    """``spec.controller``: a domain-prefixed path (``IsDomainPrefixedPath``)."""
    controller = (obj.get("spec") or {}).get("controller")
    if not isinstance(controller, str) or not controller:
        return [_required("spec.controller")]
    host, slash, path = controller.partition("/")
    if not slash or not host or not path:
        return [
            _invalid_value(
                "spec.controller", controller, 'must be a domain-prefixed path (such as "acme.io/foo")'
            )
        ]
    return [_invalid_value("spec.controller", host, problem) for problem in subdomain_problems(host)]


_ADDRESS_TYPES = ("FQDN", "IPv4", "IPv6")


def _endpoint_slice_causes(obj: dict, old: dict | None) -> list[Cause]:
    address_type = obj.get("addressType")
    if not address_type:
        return [_required("addressType")]
    return (
        [] if address_type in _ADDRESS_TYPES else [_unsupported("addressType", address_type, _ADDRESS_TYPES)]
    )


def _runtime_class_causes(obj: dict, old: dict | None) -> list[Cause]:
    handler = obj.get("handler")
    if not isinstance(handler, str) or not handler:
        return [_required("handler")]
    return [_invalid_value("handler", handler, problem) for problem in label_problems(handler)]


# kube-apiserver's own PriorityClasses: (value, globalDefault)
_SYSTEM_PRIORITY_CLASSES = {
    "system-node-critical": (2000001000, False),
    "system-cluster-critical": (2000000000, False),
}


def _priority_class_causes(obj: dict, old: dict | None) -> list[Cause]:
    """Names starting with ``system-`` are kube-apiserver's, with their values."""
    name = (obj.get("metadata") or {}).get("name") or ""
    if not name.startswith("system-"):
        return []
    known = _SYSTEM_PRIORITY_CLASSES.get(name)
    if known is None:
        problem = f"{name} is not a known system priority class"
    elif obj.get("value", 0) != known[0]:
        problem = f"value of {name} PriorityClass must be {known[0]}"
    elif bool(obj.get("globalDefault")) != known[1]:
        problem = f"globalDefault of {name} PriorityClass must be {str(known[1]).lower()}"
    else:
        return []
    reserved = "priority class names with 'system-' prefix are reserved for system use only"
    return [Cause("metadata.name", f"Forbidden: {reserved}. error: {problem}", "FieldValueForbidden")]


# The volume sources a PersistentVolume may name, exactly one of them.
_VOLUME_SOURCES = (
    "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "quobyte", "iscsi",
    "cinder", "cephfs", "fc", "flocker", "flexVolume", "azureFile", "vsphereVolume", "azureDisk",
    "photonPersistentDisk", "portworxVolume", "scaleIO", "local", "storageos", "csi",
)  # fmt: skip


def _persistent_volume_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    causes = [] if spec.get("accessModes") else [_required("spec.accessModes")]
    capacity = spec.get("capacity") or None
    if capacity is None:
        causes.append(_required("spec.capacity"))
    if not isinstance(capacity, dict) or set(capacity) != {"storage"}:
        causes.append(_unsupported("spec.capacity", capacity, ("storage",)))
    sources = [key for key in _VOLUME_SOURCES if spec.get(key) is not None]
    if not sources:
        causes.append(_required("spec", "must specify a volume type"))
    causes.extend(
        Cause(f"spec.{key}", "Forbidden: may not specify more than 1 volume type", "FieldValueForbidden")
        for key in sources[1:]
    )
    return causes


def _api_version_problem(api_version: object) -> str | None:
    """A scale target's apiVersion must name a group (``schema.ParseGroupVersion`` and the HPA's rule)."""
    text = api_version if isinstance(api_version, str) else ""
    if text.count("/") > 1:
        return f"unexpected GroupVersion string: {text}"
    return None if "/" in text else "apiVersion must specify API group"


def _autoscaler_causes(obj: dict, old: dict | None) -> list[Cause]:
    """The HorizontalPodAutoscaler spec rules every version shares (replicas and scale target)."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    causes = []
    minimum, maximum = spec.get("minReplicas"), spec.get("maxReplicas") or 0
    if isinstance(minimum, int) and minimum < 1:
        causes.append(_invalid_value("spec.minReplicas", minimum, "must be greater than or equal to 1"))
    if isinstance(maximum, int) and maximum == 0:
        causes.append(_required("spec.maxReplicas", "must be set and greater than 0"))
    elif isinstance(maximum, int) and maximum < 0:
        causes.append(_invalid_value("spec.maxReplicas", maximum, "must be greater than or equal to 1"))
    if isinstance(maximum, int) and maximum < (minimum if isinstance(minimum, int) else 1):  # defaulted to 1
        causes.append(
            _invalid_value("spec.maxReplicas", maximum, "must be greater than or equal to `minReplicas`")
        )
    ref = spec.get("scaleTargetRef")
    if not isinstance(ref, dict):
        ref = {}
    for field in ("kind", "name"):
        value = ref.get(field)
        if not value:
            causes.append(_required(f"spec.scaleTargetRef.{field}"))
        elif isinstance(value, str):
            path = f"spec.scaleTargetRef.{field}"
            causes.extend(_invalid_value(path, value, problem) for problem in path_segment_problems(value))
    old_ref = ((old or {}).get("spec") or {}).get("scaleTargetRef") or {}
    problem = _api_version_problem(ref.get("apiVersion"))
    if problem and (old is None or _api_version_problem(old_ref.get("apiVersion")) is None):
        causes.append(_invalid_value("spec.scaleTargetRef.apiVersion", ref.get("apiVersion") or "", problem))
    if minimum == 0 and not any(
        isinstance(m, dict) and m.get("type") in ("Object", "External") for m in spec.get("metrics") or ()
    ):
        needed = "must specify at least one Object or External metric to support scaling to zero replicas"
        causes.append(Cause("spec.metrics", f"Forbidden: {needed}", "FieldValueForbidden"))
    return causes


_KIND_CHECKS = {
    ("storage.k8s.io", "StorageClass"): _storage_class_causes,
    ("networking.k8s.io", "IngressClass"): _ingress_class_causes,
    ("discovery.k8s.io", "EndpointSlice"): _endpoint_slice_causes,
    ("node.k8s.io", "RuntimeClass"): _runtime_class_causes,
    ("scheduling.k8s.io", "PriorityClass"): _priority_class_causes,
    ("", "PersistentVolume"): _persistent_volume_causes,
    ("autoscaling", "HorizontalPodAutoscaler"): _autoscaler_causes,
    ("", "Service"): services.service_causes,
}


def _object_causes(resource: ResourceType, obj: dict, old: dict | None = None) -> list[Cause]:
    """Problems with the contents of a built-in object, as kube-apiserver's validation of its kind finds
    them (the checks karmadad makes: required fields, names and values other fields refer by)."""
    if resource.custom:
        meta = obj.get("metadata") or {}
        return [
            *object_meta_causes(meta, core=False),
            *crd_schemas.schema_causes(resource.extra.get("schema"), obj, resource.extra.get("scale")),
        ]
    if not _is_builtin(resource):
        return []
    causes = validation.kind_causes(resource.group, resource.kind, obj, old)
    check = _KIND_CHECKS.get((resource.group, resource.kind))
    if check is not None:
        causes.extend(check(obj, old))
    return causes if resource.group else [*core_v1.content_causes(resource.kind, obj), *causes]


def _invalid(resource: ResourceType, obj: dict, causes: list[Cause]) -> Invalid:
    return Invalid.of(resource.kind, resource.group, (obj.get("metadata") or {}).get("name", ""), causes)


def _admit_karmada(
    resource: ResourceType,
    obj: dict,
    old: dict | None,
    *,
    trusted: bool = False,
    webhooks: WebhookOptions | None = None,
) -> dict:
    if resource.group not in KARMADA_GROUPS:
        return obj
    from karmadad.api.karmada.admission import WebhookOptions, admit

    return admit(resource.kind, obj, old=old, trusted=trusted, webhooks=webhooks or WebhookOptions())


def _is_service(resource: ResourceType) -> bool:
    return resource.kind == "Service" and not resource.group and not resource.custom


def prepare_create(
    resource: ResourceType,
    obj: dict,
    *,
    trusted: bool = False,
    allocations: services.AllocationTransaction | None = None,
    webhooks: WebhookOptions | None = None,
    uid: str | None = None,
) -> dict:
    """The object to store for a create request (a new dict; ``obj`` is not changed). ``trusted``: built
    by a controller from admitted objects, so Karmada kinds skip their schema pass. ``allocations``:
    where a Service's clusterIP and node ports come from (none: a Service is stored without them).
    ``webhooks``: the switches of Karmada's webhook (none: its defaults). ``uid``: the one the store will
    give the object, for the kinds whose preparation uses it (a Job's selector)."""
    obj = _decode(resource, obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(
            resource, obj, [Cause("metadata", "Required value: metadata is required", "FieldValueRequired")]
        )
    if _is_service(resource):
        claims = allocations.for_service(obj, creating=True) if allocations is not None else None
        obj = services.admit_service(obj, None, claims)
    if _is_builtin(resource):
        obj = preparation.for_create(resource.group, resource.kind, obj, uid)
    if causes := [*_name_causes(resource, meta), *_object_causes(resource, obj)]:
        raise _invalid(resource, obj, causes)
    new = {**obj, "apiVersion": resource.api_version, "kind": resource.kind}
    if "status" in resource.subresources and not _is_builtin(resource):
        new.pop("status", None)  # built-in kinds lost theirs when decoded
    return _admit_karmada(resource, new, None, trusted=trusted, webhooks=webhooks)


def prepare_update(
    resource: ResourceType,
    old: dict,
    obj: dict,
    *,
    trusted: bool = False,
    allocations: services.AllocationTransaction | None = None,
    webhooks: WebhookOptions | None = None,
) -> dict:
    """The object to store for an update of the main resource (``trusted``, ``allocations`` and
    ``webhooks`` as for :func:`prepare_create`)."""
    obj = _decode(resource, obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(
            resource, obj, [Cause("metadata", "Required value: metadata is required", "FieldValueRequired")]
        )
    if _is_service(resource):
        claims = allocations.for_service(obj, creating=False) if allocations is not None else None
        obj = services.admit_service(obj, old, claims)
    if _is_builtin(resource):
        obj = preparation.for_update(resource.group, resource.kind, obj, old)
    if causes := [*_name_causes(resource, meta), *_object_causes(resource, obj, old)]:
        raise _invalid(resource, obj, causes)
    new = {**obj, "apiVersion": resource.api_version, "kind": resource.kind}
    if "status" in resource.subresources:
        if "status" in old:
            new["status"] = old["status"]
        elif not _is_builtin(resource):
            new.pop("status", None)
    if resource.plural == "namespaces":
        # spec.finalizers only change through /finalize
        new["spec"] = {**(new.get("spec") or {}), "finalizers": (old.get("spec") or {}).get("finalizers", [])}
        if not new["spec"]["finalizers"]:
            new["spec"].pop("finalizers")
    return _admit_karmada(resource, new, old, trusted=trusted, webhooks=webhooks)
