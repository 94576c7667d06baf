"""Per-kind rules applied to every write, as kube-apiserver's registry strategies do.

- Kinds with a ``status`` subresource ignore status on create and on updates of the main resource
  (status is written through ``/status``); their spec changes bump ``generation``.
- Karmada kinds get Karmada's webhook defaulting and validation (``karmadad.api.karmada``).
- Names must be DNS-1123 subdomains of at most 253 characters (Namespaces: labels of at most 63; Cluster
  names: labels of at most 48, checked by its admission). Names other objects derive from a template's
  name (``<name>-<kind>`` bindings, ``<name>-<hash>`` Works, ``<name>.<hex>`` Events) can outgrow that;
  the error then names the derived object, as kube-apiserver's would.
- Secrets and ConfigMaps are first decoded as kube-apiserver decodes them (``karmadad.api.core_v1``:
  ``stringData`` merged into ``data``, base64 checked), so create, update, patch, apply and dry runs all
  answer with the decoded form; their keys and sizes are validated with the rest.
"""

from __future__ import annotations

import re

from karmadad.api import core_v1
from karmadad.api.registry import ResourceType
from karmadad.errors import Cause, Invalid

_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
KARMADA_GROUPS = frozenset({"cluster.karmada.io", "policy.karmada.io", "work.karmada.io"})
MAX_NAME_LENGTH = 253  # a DNS-1123 subdomain
MAX_NAMESPACE_NAME_LENGTH = 63  # a DNS-1123 label


def is_dns_subdomain(name: str) -> bool:
    """Whether ``name`` is valid as most kinds' names are: a DNS-1123 subdomain of at most 253 characters."""
    return len(name) <= MAX_NAME_LENGTH and _DNS1123_SUBDOMAIN.fullmatch(name) is not None


def _name_causes(resource: ResourceType, meta: dict) -> list[Cause]:
    name = meta.get("name") or ""
    causes = []
    pattern, what, limit = (
        (_DNS1123_LABEL, "a lowercase RFC 1123 label", MAX_NAMESPACE_NAME_LENGTH)
        if resource.plural == "namespaces"
        else (_DNS1123_SUBDOMAIN, "a lowercase RFC 1123 subdomain", MAX_NAME_LENGTH)
    )
    if len(name) > limit:
        causes.append(
            Cause("metadata.name", f'Invalid value: "{name}": must be no more than {limit} characters')
        )
    if name and not pattern.fullmatch(name):
        causes.append(
            Cause(
                "metadata.name",
                f'Invalid value: "{name}": must be {what}: consist of lower case alphanumeric characters, '
                "'-' or '.', and must start and end with an alphanumeric character",
            )
        )
    for field in ("labels", "annotations"):
        value = meta.get(field)
        if value is not None and (
            not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values())
        ):
            causes.append(Cause(f"metadata.{field}", "Invalid value: must be a map of strings"))
    return causes


def _decode(resource: ResourceType, obj: dict) -> dict:
    """What kube-apiserver's decoding (conversion and defaulting included) makes of a built-in object;
    only Secrets and ConfigMaps differ from what was sent."""
    if resource.group or resource.custom or resource.version != "v1":
        return obj
    decoder = core_v1.DECODERS.get(resource.kind)
    return obj if decoder is None else decoder(obj)


def _object_causes(resource: ResourceType, obj: dict) -> list[Cause]:
    if resource.group or resource.custom:
        return []
    return core_v1.content_causes(resource.kind, obj)


def _invalid(resource: ResourceType, obj: dict, causes: list[Cause]) -> Invalid:
    return Invalid.of(resource.kind, resource.group, (obj.get("metadata") or {}).get("name", ""), causes)


def _admit_karmada(resource: ResourceType, obj: dict, old: dict | None, *, trusted: bool = False) -> dict:
    if resource.group not in KARMADA_GROUPS:
        return obj
    from karmadad.api.karmada.admission import admit

    return admit(resource.kind, obj, old=old, trusted=trusted)


def prepare_create(resource: ResourceType, obj: dict, *, trusted: bool = False) -> dict:
    """The object to store for a create request (a new dict; ``obj`` is not changed). ``trusted``: built
    by a controller from admitted objects, so Karmada kinds skip their schema pass."""
    obj = _decode(resource, obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(
            resource, obj, [Cause("metadata", "Required value: metadata is required", "FieldValueRequired")]
        )
    if causes := [*_name_causes(resource, meta), *_object_causes(resource, obj)]:
        raise _invalid(resource, obj, causes)
    new = {**obj, "apiVersion": resource.api_version, "kind": resource.kind}
    if "status" in resource.subresources and resource.plural != "namespaces":
        new.pop("status", None)
    return _admit_karmada(resource, new, None, trusted=trusted)


def prepare_update(resource: ResourceType, old: dict, obj: dict, *, trusted: bool = False) -> dict:
    """The object to store for an update of the main resource (``trusted`` as for :func:`prepare_create`)."""
    obj = _decode(resource, obj)
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(
            resource, obj, [Cause("metadata", "Required value: metadata is required", "FieldValueRequired")]
        )
    if causes := [*_name_causes(resource, meta), *_object_causes(resource, obj)]:
        raise _invalid(resource, obj, causes)
    new = {**obj, "apiVersion": resource.api_version, "kind": resource.kind}
    if "status" in resource.subresources:
        if "status" in old:
            new["status"] = old["status"]
        else:
            new.pop("status", None)
    if resource.plural == "namespaces":
        # spec.finalizers only change through /finalize
        new["spec"] = {**(new.get("spec") or {}), "finalizers": (old.get("spec") or {}).get("finalizers", [])}
        if not new["spec"]["finalizers"]:
            new["spec"].pop("finalizers")
    return _admit_karmada(resource, new, old, trusted=trusted)
