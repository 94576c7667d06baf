"""What the core kinds other than pods must be, as kube-apiserver's core validation checks them:
PersistentVolumes, PersistentVolumeClaims (and StatefulSets' claim templates), Secrets of the typed kinds, immutable
Secrets and ConfigMaps, ResourceQuotas, Endpoints and Namespaces."""

from __future__ import annotations

import base64
import binascii
import json

from karmadad.api.field_errors import NEGATIVE, forbidden, invalid, not_supported, required
from karmadad.api.name_rules import label_problems, qualified_name_problems, subdomain_problems
from karmadad.api.validation.meta import selector_causes
from karmadad.api.validation.network import endpoint_ip_causes, ip_causes, port_protocol_causes
from karmadad.errors import Cause
from karmadad.quantity import canonical_quantity, exact_quantity

_ACCESS_MODES = ("ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod")
_IMMUTABLE_SET = "field is immutable when `immutable` is set"


def claim_spec_causes(spec: dict, path: str) -> list[Cause]:
    """``ValidatePersistentVolumeClaimSpec``."""
    causes: list[Cause] = []
    modes = spec.get("accessModes") or []
    if not modes:
        causes.append(required(f"{path}.accessModes", "at least 1 access mode is required"))
    if spec.get("selector") is not None:
        causes.extend(selector_causes(spec["selector"], f"{path}.selector"))
    for mode in modes:
        if mode not in _ACCESS_MODES:
            causes.append(not_supported(f"{path}.accessModes", mode, _ACCESS_MODES))
    if "ReadWriteOncePod" in modes and any(m != "ReadWriteOncePod" and m in _ACCESS_MODES for m in modes):
        causes.append(
            forbidden(f"{path}.accessModes", "may not use ReadWriteOncePod with other access modes")
        )
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
    amount = exact_quantity(storage) if storage is not None else None
    if storage is None:
        causes.append(required(f"{path}.resources[storage]"))
    elif amount is not None and amount <= 0:
        causes.append(
            invalid(f"{path}.resources[storage]", canonical_quantity(storage), "must be greater than zero")
        )
    class_name = spec.get("storageClassName")
    if class_name:
        causes.extend(
            invalid(f"{path}.storageClassName", class_name, p) for p in subdomain_problems(class_name)
        )
    mode = spec.get("volumeMode")
    if mode is not None and mode not in ("Block", "Filesystem"):
        causes.append(not_supported(f"{path}.volumeMode", mode, ("Block", "Filesystem")))
    return causes


def persistent_volume_claim_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes = claim_spec_causes(spec, "spec")
    if old is None:
        return causes
    old_spec = old.get("spec") or {}
    relaxed = dict(spec)
    if not old_spec.get("volumeName"):
        relaxed["volumeName"] = old_spec.get("volumeName")  # a claim may be bound once
    if old_spec.get("storageClassName") is None:
        relaxed["storageClassName"] = None  # and given a class once
    if (old.get("status") or {}).get("phase") == "Bound":
        old_requests = (old_spec.get("resources") or {}).get("requests") or {}
        requests = {**((relaxed.get("resources") or {}).get("requests") or {})}
        requests["storage"] = old_requests.get("storage")
        relaxed["resources"] = {**(relaxed.get("resources") or {}), "requests": requests}
        relaxed["volumeAttributesClassName"] = old_spec.get("volumeAttributesClassName")
    if _set_fields(relaxed) != _set_fields(old_spec):
        detail = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims"
        causes.append(forbidden("spec", detail))
    if spec.get("volumeMode") != old_spec.get("volumeMode"):
        causes.append(invalid("volumeMode", spec.get("volumeMode"), "field is immutable"))
    return causes


def _set_fields(obj: dict) -> dict:
    return {key: value for key, value in obj.items() if value is not None}


def _decoded(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return b""


def _docker_config_causes(data: dict, key: str) -> list[Cause]:
    at = f"data[{key}]"
    if key not in data:
        return [required(at)]
    try:
        parsed = json.loads(_decoded(data[key]) or b"null")
    except ValueError as error:
        return [invalid(at, "<secret contents redacted>", str(error))]
    if not isinstance(parsed, dict):
        kind = {list: "array", str: "string", int: "number", float: "number", bool: "bool"}.get(
            type(parsed), "value"
        )
        return [
            invalid(
                at,
                "<secret contents redacted>",
                f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}",
            )
        ]
    return []


def secret_causes(obj: dict, old: dict | None) -> list[Cause]:
    """The rules of the typed Secrets, and what an update may not change."""
    data = obj.get("data") or {}
    kind = obj.get("type", "")
    causes: list[Cause] = []
    if old is not None:
        if kind != old.get("type"):
            causes.append(invalid("type", kind, "field is immutable"))
        causes.extend(_immutability_causes(obj, old, ("data",)))
    if kind == "kubernetes.io/service-account-token":
        annotation = "kubernetes.io/service-account.name"
        if not ((obj.get("metadata") or {}).get("annotations") or {}).get(annotation):
            causes.append(required(f"metadata.annotations[{annotation}]"))
    elif kind == "kubernetes.io/dockercfg":
        causes.extend(_docker_config_causes(data, ".dockercfg"))
    elif kind == "kubernetes.io/dockerconfigjson":
        causes.extend(_docker_config_causes(data, ".dockerconfigjson"))
    elif kind == "kubernetes.io/basic-auth":
        if "username" not in data and "password" not in data:
            causes.extend((required("data[username]"), required("data[password]")))
    elif kind == "kubernetes.io/ssh-auth":
        if not data.get("ssh-privatekey"):
            causes.append(required("data[ssh-privatekey]"))
    elif kind == "kubernetes.io/tls":
        causes.extend(required(f"data[{key}]") for key in ("tls.crt", "tls.key") if key not in data)
    return causes


def _immutability_causes(obj: dict, old: dict, fields: tuple[str, ...]) -> list[Cause]:
    """An object once ``immutable: true`` keeps that, and its data."""
    if old.get("immutable") is not True:
        return []
    causes = [] if obj.get("immutable") is True else [forbidden("immutable", _IMMUTABLE_SET)]
    causes.extend(forbidden(field, _IMMUTABLE_SET) for field in fields if obj.get(field) != old.get(field))
    return causes


def config_map_causes(obj: dict, old: dict | None) -> list[Cause]:
    binary = obj.get("binaryData") or {}
    causes = [
        invalid(f"data[{key}]", key, "duplicate of key present in binaryData")
        for key in obj.get("data") or {}
        if key in binary
    ]
    if old is not None:
        causes = [*_immutability_causes(obj, old, ("data", "binaryData")), *causes]
    return causes


_QUOTA_RESOURCES = frozenset(
    {
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.storage",
        "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage", "pods",
        "resourcequotas", "services", "replicationcontrollers", "secrets", "persistentvolumeclaims",
        "configmaps", "services.nodeports", "services.loadbalancers",
    }
)  # fmt: skip
STANDARD_RESOURCES = _QUOTA_RESOURCES | {"storage"}  # IsStandardResourceName, with hugepages-* besides
_INTEGER_RESOURCES = frozenset(
    {
        "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
        "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
    }
)  # fmt: skip
_QUOTA_SCOPES = (
    "Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "VolumeAttributesClass",
    "CrossNamespacePodAffinity",
)  # fmt: skip


def _is_hugepages(name: str) -> bool:
    return name.startswith(("hugepages-", "requests.hugepages-"))


def resource_quota_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    for name, amount in (spec.get("hard") or {}).items():
        at = f"spec.hard[{name}]"
        if problems := qualified_name_problems(name):
            causes.extend(invalid(at, name, problem) for problem in problems)
        elif "/" not in name:
            if name not in STANDARD_RESOURCES and not _is_hugepages(name):
                causes.append(invalid(at, name, "must be a standard resource type or fully qualified"))
            if name not in _QUOTA_RESOURCES and not _is_hugepages(name):
                causes.append(invalid(at, name, "must be a standard resource for quota"))
        value = exact_quantity(amount)
        if value is not None and value < 0:
            causes.append(invalid(at, canonical_quantity(amount), NEGATIVE))
        extended = "/" in name and "kubernetes.io/" not in name
        if value is not None and (name in _INTEGER_RESOURCES or extended) and value.denominator != 1:
            causes.append(invalid(at, canonical_quantity(amount), "must be an integer"))
    scopes = spec.get("scopes") or []
    for scope in scopes:
        if scope not in _QUOTA_SCOPES:
            causes.append(invalid("spec.scopes", scopes, "unsupported scope"))
    for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
        if all(scope in scopes for scope in pair):
            causes.append(invalid("spec.scopes", scopes, "conflicting scopes"))
    if old is not None and sorted(scopes) != sorted((old.get("spec") or {}).get("scopes") or []):
        causes.append(invalid("spec.scopes", scopes, "field is immutable"))
    return causes


def endpoints_causes(obj: dict, old: dict | None) -> list[Cause]:
    subsets = obj.get("subsets") or []
    if old is not None and subsets == (old.get("subsets") or []):
        return []
    causes: list[Cause] = []
    for index, subset in enumerate(subsets):
        at = f"subsets[{index}]"
        if not subset.get("addresses") and not subset.get("notReadyAddresses"):
            causes.append(required(at, "must specify `addresses` or `notReadyAddresses`"))
        for field in ("addresses", "notReadyAddresses"):
            for address_index, address in enumerate(subset.get(field) or []):
                address_path = f"{at}.{field}[{address_index}]"
                ip = address.get("ip", "")
                causes.extend(ip_causes(ip, f"{address_path}.ip"))
                hostname = address.get("hostname", "")
                if hostname:
                    causes.extend(
                        invalid(f"{address_path}.hostname", hostname, p) for p in label_problems(hostname)
                    )
                node = address.get("nodeName")
                if node:
                    causes.extend(
                        invalid(f"{address_path}.nodeName", node, p) for p in subdomain_problems(node)
                    )
                causes.extend(endpoint_ip_causes(ip, f"{address_path}.ip"))
        ports = subset.get("ports") or []
        for port_index, port in enumerate(ports):
            port_path = f"{at}.ports[{port_index}]"
            name = port.get("name", "")
            if len(ports) > 1 and not name:
                causes.append(required(f"{port_path}.name"))
            elif name:
                causes.extend(invalid(f"{port_path}.name", name, p) for p in label_problems(name))
            number = port.get("port", 0)
            if not 1 <= number <= 65535:
                causes.append(invalid(f"{port_path}.port", number, "must be between 1 and 65535, inclusive"))
            causes.extend(port_protocol_causes(port.get("protocol", ""), f"{port_path}.protocol"))
    return causes


def namespace_causes(obj: dict, old: dict | None) -> list[Cause]:
    """``ValidateNamespace``: spec finalizers are qualified names, standard ones or fully qualified."""
    causes: list[Cause] = []
    for name in (obj.get("spec") or {}).get("finalizers") or []:
        causes.extend(invalid("spec.finalizers", name, problem) for problem in qualified_name_problems(name))
        if "/" not in name and name not in ("kubernetes", "orphan", "foregroundDeletion"):
            detail = "name is neither a standard finalizer name nor is it fully qualified"
            causes.append(invalid("spec.finalizers", name, detail))
    return causes


# The volume sources a PersistentVolume may name, exactly one of them.
_VOLUME_SOURCES = (
    "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "quobyte", "iscsi",
    "cinder", "cephfs", "fc", "flocker", "flexVolume", "azureFile", "vsphereVolume", "azureDisk",
    "photonPersistentDisk", "portworxVolume", "scaleIO", "local", "storageos", "csi",
)  # fmt: skip


def persistent_volume_causes(obj: dict, old: dict | None) -> list[Cause]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        spec = {}
    causes = [] if spec.get("accessModes") else [required("spec.accessModes")]
    capacity = spec.get("capacity") or None
    if capacity is None:
        causes.append(required("spec.capacity"))
    if not isinstance(capacity, dict) or set(capacity) != {"storage"}:
        causes.append(not_supported("spec.capacity", capacity, ("storage",)))
    sources = [key for key in _VOLUME_SOURCES if spec.get(key) is not None]
    if not sources:
        causes.append(required("spec", "must specify a volume type"))
    causes.extend(
        Cause(f"spec.{key}", "Forbidden: may not specify more than 1 volume type", "FieldValueForbidden")
        for key in sources[1:]
    )
    return causes
