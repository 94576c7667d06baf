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
- Built-in kinds are decoded, defaulted, prepared and validated as kube-apiserver does it (their Go type's
  form, ``karmadad.api.defaulting``, ``karmadad.api.preparation``, ``karmadad.api.validation``); custom
  resources by their CRD version's structural schema (``karmadad.api.crd_schemas``).
- Secrets and ConfigMaps are first decoded as kube-apiserver decodes them (``karmadad.api.core_v1``:
  ``stringData`` merged into ``data``, base64 checked), so create, update, patch, apply and dry runs all
  answer with the decoded form; their keys and sizes are validated with the rest.
- Services get kube-apiserver's v1 defaults when decoded, then (before validation, as kube-apiserver's
  ``BeginCreate``/``BeginUpdate`` hooks run before its strategy) their clusterIP, node ports and health
  check port through the caller's claims (``karmadad.api.services``; the API server's allocator), and
  updates keep what they left out of those.
"""

from __future__ import annotations

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


def name_problems(resource: ResourceType, name: str) -> tuple[str, ...]:
    """Why ``name`` cannot name an object of ``resource``, as kube-apiserver checks names of that kind."""
    key = resource.group_resource
    if key in _UNCHECKED_NAMES:
        return ()
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


def _decode(resource: ResourceType, obj: dict, *, with_status: bool = False) -> dict:
    """What kube-apiserver's decoding makes of a built-in object: Secrets' and ConfigMaps' data decoded,
    the object in its Go type's form (``Codec.typed``: unknown fields dropped, empty structs written),
    then the kind's defaults (``karmadad.api.defaulting``). Kinds with a ``status`` subresource lose the
    status given first (their writes never take it), so the defaults of status are those of an empty one,
    as kube-apiserver stores them."""
    keep_status = with_status or "status" not in resource.subresources
    if resource.custom:
        if not keep_status and "status" in obj:
            obj = {key: value for key, value in obj.items() if key != "status"}
        return crd_schemas.prepared(resource.extra.get("schema"), obj).obj
    if not _is_builtin(resource):
        return obj
    obj = _before_typing(resource, obj, keep_status)
    try:
        typed = codec().typed({**obj, "apiVersion": resource.api_version, "kind": resource.kind})
    except ProtobufError as error:
        raise BadRequest(
            f'{resource.kind} in version "{resource.version}" cannot be handled as a {resource.kind}: {error}'
        ) from None
    fresh = codec().message_name(resource.api_version, resource.kind) is not None
    return defaulting.defaulted(resource.api_version, resource.kind, typed, owned=fresh)


def _defaulted(resource: ResourceType, typed: dict) -> dict:
    """What :func:`plainly_decoded` made, defaulted (in place: the typed form is new, and the caller's)."""
    return defaulting.defaulted(resource.api_version, resource.kind, typed, owned=True)


def _before_typing(resource: ResourceType, obj: dict, keep_status: bool) -> dict:
    """A built-in object as its kind's decoding sees it before its Go type does: without the status its
    writes never take, Secrets' and ConfigMaps' data decoded, a Service's decoding defaults given (``obj``
    itself when none of that applies)."""
    if not keep_status and resource.plural != "namespaces" and "status" in obj:
        obj = {key: value for key, value in obj.items() if key != "status"}
    if not resource.group and resource.version == "v1":
        if resource.kind == "Service":
            obj = services.defaulted_service(obj)
        elif (decoder := core_v1.DECODERS.get(resource.kind)) is not None:
            obj = decoder(obj)
    return obj


def plainly_decoded(resource: ResourceType, obj: dict) -> dict | None:
    """A built-in object written for a create or an update, in its Go type's form, when it is plain
    (``Codec.plainly_typed``): kube-apiserver's decoder would take it without a remark, so there are no
    field checks to make, and :func:`prepare_create` and :func:`prepare_update` take it with
    ``decoded=True``. None for anything else: its fields are checked (``karmadad.api.fields``) and its
    preparation decodes it. Plain is judged on the body as written, which is what the field checks see:
    a body that its kind's decoding changes before its Go type sees it (a status to drop, a Secret, a
    Service, a ConfigMap's binary data) takes the checked path."""
    if resource.custom or not _is_builtin(resource):
        return None
    try:
        unchanged = _before_typing(resource, obj, "status" not in resource.subresources) is obj
    except Exception:  # unchecked input: the fields' check or the decoding says why, in their order
        return None
    if not unchanged:
        return None
    return codec().plainly_typed({**obj, "apiVersion": resource.api_version, "kind": resource.kind})


def _object_causes(resource: ResourceType, obj: dict, old: dict | None = None) -> list[Cause]:
    """Problems with the contents of a built-in object, as kube-apiserver's validation of its kind finds
    them (the checks karmadad makes: required fields, names and values other fields refer by)."""
    if resource.custom:
        meta = obj.get("metadata") or {}
        return [
            *object_meta_causes(meta, core=False),
            *crd_schemas.schema_causes(resource.extra.get("schema"), obj, resource.extra.get("scale"), old),
        ]
    if not _is_builtin(resource):
        return []
    causes = validation.kind_causes(resource.group, resource.kind, obj, old)
    if resource.kind == "Service" and not resource.group:
        causes.extend(services.service_causes(obj, old))
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


# Built-in kinds whose updates must name the resourceVersion they replace (AllowUnconditionalUpdate false).
_CONDITIONAL_UPDATES = frozenset({"poddisruptionbudgets.policy", "leases.coordination.k8s.io"})
# Karmada serves these groups' kinds as custom resources of its apiserver, which refuses their unconditional
# updates; Clusters come from its aggregated apiserver, whose strategy allows them.
_KARMADA_CUSTOM_GROUPS = KARMADA_GROUPS - {"cluster.karmada.io"}


def prepare_status_update(resource: ResourceType, old: dict, obj: dict) -> dict:
    """The object to store for a write of the ``status`` subresource: the status decoded as the whole
    object would be (its Go type's form, defaults, canonical quantities) and checked as kube-apiserver's
    status strategies check it; the rest stays the stored object's (the store takes only the status)."""
    decoded = _decode(resource, obj, with_status=True)
    if _is_builtin(resource):
        causes = validation.status_causes(resource.group, resource.kind, decoded, old)
        if causes:
            raise _invalid(resource, decoded, causes)
    return {**decoded, "apiVersion": resource.api_version, "kind": resource.kind}


def require_resource_version(resource: ResourceType, obj: dict) -> None:
    """Refuse an unconditional update (a PUT without resourceVersion) of the kinds kube-apiserver refuses it
    for: custom resources (Karmada's policies, bindings and Works among them), PodDisruptionBudgets and
    Leases. Others take the current version."""
    if not (
        resource.custom
        or resource.group_resource in _CONDITIONAL_UPDATES
        or resource.group in _KARMADA_CUSTOM_GROUPS
    ):
        return
    meta = obj.get("metadata") or {}
    if not meta.get("resourceVersion"):
        cause = Cause("metadata.resourceVersion", "Invalid value: 0: must be specified for an update")
        raise Invalid.of(resource.plural, resource.group, meta.get("name", ""), [cause])


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
    priority_classes: preparation.PriorityClasses | None = None,
    decoded: bool = False,
) -> dict:
    """The object to store for a create request (a new dict; ``obj`` is not changed). ``trusted``: built
    by a controller from admitted objects, so Karmada kinds skip their schema pass. ``allocations``:
    where a Service's clusterIP and node ports come from (none: a Service is stored without them).
    ``webhooks``: the switches of Karmada's webhook (none: its defaults). ``uid``: the one the store will
    give the object, for the kinds whose preparation uses it (a Job's selector). ``priority_classes``: what a
    Pod's priority comes from. ``decoded``: ``obj`` is what :func:`plainly_decoded` made."""
    obj = _defaulted(resource, obj) if decoded else _decode(resource, obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(
            resource, obj, [Cause("metadata", "Required value: metadata is required", "FieldValueRequired")]
        )
    if _is_service(resource):
        claims = allocations.for_service(obj, creating=True) if allocations is not None else None
        obj = services.admit_service(obj, None, claims)
    if _is_builtin(resource):
        obj = preparation.for_create(resource.group, resource.kind, obj, uid, priority_classes)
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
    decoded: bool = False,
) -> dict:
    """The object to store for an update of the main resource (``trusted``, ``allocations``,
    ``webhooks`` and ``decoded`` as for :func:`prepare_create`)."""
    obj = _defaulted(resource, obj) if decoded else _decode(resource, obj)
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
