"""Per-kind rules applied to every write, as kube-apiserver's registry strategies do.

- Kinds with a ``status`` subresource ignore status on create and on updates of the main resource
  (status is written through ``/status``); their spec changes bump ``generation``.
- Karmada kinds get Karmada's webhook defaulting and validation (``karmadad.api.karmada``).
- Names must be DNS-1123 subdomains (Cluster names: labels of at most 48 characters, checked by
  its admission).
"""

from __future__ import annotations

import re

from karmadad.api.registry import ResourceType
from karmadad.errors import Cause, Invalid

_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
KARMADA_GROUPS = frozenset({"cluster.karmada.io", "policy.karmada.io", "work.karmada.io"})


def _name_causes(resource: ResourceType, meta: dict) -> list[Cause]:
    name = meta.get("name") or ""
    causes = []
    pattern, what = (
        (_DNS1123_LABEL, "a lowercase RFC 1123 label")
        if resource.plural == "namespaces"
        else (_DNS1123_SUBDOMAIN, "a lowercase RFC 1123 subdomain")
    )
    if name and (len(name) > 253 or not pattern.match(name)):
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
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(
            resource, obj, [Cause("metadata", "Required value: metadata is required", "FieldValueRequired")]
        )
    if causes := _name_causes(resource, meta):
        raise _invalid(resource, obj, causes)
    new = {**obj, "apiVersion": resource.api_version, "kind": resource.kind}
    if "status" in resource.subresources and resource.plural != "namespaces":
        new.pop("status", None)
    return _admit_karmada(resource, new, None, trusted=trusted)


def prepare_update(resource: ResourceType, old: dict, obj: dict, *, trusted: bool = False) -> dict:
    """The object to store for an update of the main resource (``trusted`` as for :func:`prepare_create`)."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        raise _invalid(
            resource, obj, [Cause("metadata", "Required value: metadata is required", "FieldValueRequired")]
        )
    if causes := _name_causes(resource, meta):
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
