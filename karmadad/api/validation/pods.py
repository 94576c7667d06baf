"""What a pod spec must be, as kube-apiserver's core validation checks it (``ValidatePodSpec``), for Pods
and for the pod templates of workloads.

The rules here are the ones manifests run into: containers (names, images, ports, environment, mounts,
pull policy, resources, probes, lifecycle hooks), volumes and their sources, restart and DNS policies, node
selectors, tolerations, and the names a pod spec refers to. Objects arrive decoded and defaulted, so
values have their Go types and defaulted fields are set.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache
from typing import Any

from karmadad.api.field_errors import (
    NEGATIVE,
    duplicate,
    forbidden,
    invalid,
    not_found,
    not_supported,
    required,
)
from karmadad.api.name_rules import (
    config_key_problems,
    env_var_name_problems,
    label_problems,
    label_value_problems,
    port_name_problems,
    port_number_problems,
    qualified_name_problems,
    subdomain_problems,
)
from karmadad.api.validation.core import STANDARD_RESOURCES
from karmadad.api.validation.meta import annotation_causes, label_causes
from karmadad.api.validation.network import port_protocol_causes
from karmadad.errors import Cause
from karmadad.quantity import canonical_quantity, exact_quantity

_PULL_POLICIES = ("Always", "IfNotPresent", "Never")
_RESTART_POLICIES = ("Always", "OnFailure", "Never")
_CONTAINER_RESTART_POLICIES = ("Always", "Never", "OnFailure")
_DNS_POLICIES = ("ClusterFirstWithHostNet", "ClusterFirst", "Default", "None")
_TERMINATION_MESSAGE_POLICIES = ("File", "FallbackToLogsOnError")
_HTTP_SCHEMES = ("HTTP", "HTTPS")
_HOST_PATH_TYPES = (
    "", "BlockDevice", "CharDevice", "Directory", "DirectoryOrCreate", "File", "FileOrCreate", "Socket",
)  # fmt: skip
_TOLERATION_OPERATORS = ("Equal", "Exists")
_TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_ENV_FIELD_PATHS = (
    "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName",
    "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs",
)  # fmt: skip
# What the downward API can name at all (``ConvertDownwardAPIFieldLabel``); env takes the subset above.
_DOWNWARD_FIELD_PATHS = frozenset(
    {
        *_ENV_FIELD_PATHS,
        "metadata.annotations",
        "metadata.labels",
        "spec.restartPolicy",
        "spec.schedulerName",
        "status.phase",
    }
)
_ENV_FIELD_SUBSCRIPTED = ("metadata.annotations", "metadata.labels")
_RESOURCE_FIELD_PATHS = (
    "limits.cpu", "limits.ephemeral-storage", "limits.memory",
    "requests.cpu", "requests.ephemeral-storage", "requests.memory",
)  # fmt: skip
_FILE_MODE = "must be a number between 0 and 0777 (octal), both inclusive"
# The volume sources, in the order Go checks them (the first one counts, later ones are "more than 1").
_VOLUME_SOURCES = (
    "emptyDir", "hostPath", "gitRepo", "gcePersistentDisk", "awsElasticBlockStore", "secret", "nfs", "iscsi",
    "glusterfs", "flocker", "persistentVolumeClaim", "rbd", "cinder", "cephfs", "quobyte", "downwardAPI", "fc",
    "flexVolume", "configMap", "azureFile", "vsphereVolume", "photonPersistentDisk", "portworxVolume",
    "azureDisk", "storageos", "projected", "scaleIO", "csi", "ephemeral", "image",
)  # fmt: skip
_VOLUME_SOURCE_ORDER = {kind: order for order, kind in enumerate(_VOLUME_SOURCES)}
_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc", "sleep")
_STANDARD_CONTAINER_RESOURCES = ("cpu", "memory", "ephemeral-storage")
_PROBES = (("liveness", "livenessProbe"), ("readiness", "readinessProbe"), ("startup", "startupProbe"))
_PROBE_COUNTS = (
    "initialDelaySeconds",
    "timeoutSeconds",
    "periodSeconds",
    "successThreshold",
    "failureThreshold",
)


def _dns_label(value: str, path: str) -> list[Cause]:
    if problems := label_problems(value):
        return [invalid(path, value, problem) for problem in problems]
    return []


def _file_mode(value: Any, path: str) -> list[Cause]:
    return [invalid(path, value, _FILE_MODE)] if isinstance(value, int) and not 0 <= value <= 0o777 else []


def _no_backsteps(value: str, path: str) -> list[Cause]:
    if ".." in value.replace("\\", "/").split("/"):
        return [invalid(path, value, "must not contain '..'")]
    return []


def _local_path(value: str, path: str, *, reserved: bool) -> list[Cause]:
    """``validateLocalDescendingPath`` / ``ValidateLocalNonReservedPath``: relative, no ``..``."""
    causes = [invalid(path, value, "must be a relative path")] if posixpath.isabs(value) else []
    causes.extend(_no_backsteps(value, path))
    if reserved and value.startswith(".."):
        causes.append(invalid(path, value, "must not start with '..'"))
    return causes


def _key_to_paths(items: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for index, item in enumerate(items or []):
        at = f"{path}.items[{index}]"
        if not item.get("key"):
            causes.append(required(f"{at}.key"))
        if not item.get("path"):
            causes.append(required(f"{at}.path"))
        causes.extend(_local_path(item.get("path", ""), f"{at}.path", reserved=True))
        causes.extend(_file_mode(item.get("mode"), f"{at}.mode"))
    return causes


def _field_selector(selector: dict, path: str) -> list[Cause]:
    """``validateObjectFieldSelector`` for the downward API in env and volumes."""
    if not selector.get("apiVersion"):
        return [required(f"{path}.apiVersion")]
    field_path = selector.get("fieldPath", "")
    if not field_path:
        return [required(f"{path}.fieldPath")]
    base, bracket, rest = field_path.partition("[")
    if bracket and rest.endswith("]"):
        subscript = rest[:-1].strip("'\"")
        if base in _ENV_FIELD_SUBSCRIPTED:
            key = subscript.lower() if base == "metadata.annotations" else subscript
            return [invalid(path, key, problem) for problem in qualified_name_problems(key)]
        return [invalid(path, base, "does not support subscript")]
    if field_path not in _DOWNWARD_FIELD_PATHS:
        detail = f"error converting fieldPath: field label not supported: {field_path}"
        return [invalid(f"{path}.fieldPath", field_path, detail)]
    if field_path not in _ENV_FIELD_PATHS:
        return [not_supported(f"{path}.fieldPath", field_path, sorted(_ENV_FIELD_PATHS))]
    return []


def _resource_field_selector(selector: dict, path: str, *, volume: bool) -> list[Cause]:
    resource = selector.get("resource", "")
    if volume and not selector.get("containerName"):
        return [required(f"{path}.containerName")]
    if not resource:
        return [required(f"{path}.resource")]
    if resource not in _RESOURCE_FIELD_PATHS and not resource.startswith(
        ("requests.hugepages-", "limits.hugepages-")
    ):
        return [not_supported(f"{path}.resource", resource, _RESOURCE_FIELD_PATHS)]
    return []


def _object_name(value: str, path: str) -> list[Cause]:
    return [invalid(path, value, problem) for problem in subdomain_problems(value)] if value else []


def _key_selector(selector: dict, path: str) -> list[Cause]:
    """A ConfigMap or Secret key selector: a valid object name, and a key that can be a file name."""
    causes = _object_name(selector.get("name", ""), f"{path}.name")
    key = selector.get("key", "")
    if not key:
        causes.append(required(f"{path}.key"))
    else:
        causes.extend(invalid(f"{path}.key", key, problem) for problem in config_key_problems(key))
    return causes


def _env(env: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for index, var in enumerate(env or []):
        at = f"{path}[{index}]"
        name = var.get("name", "")
        if not name:
            causes.append(required(f"{at}.name"))
        elif problems := env_var_name_problems(name):
            causes.extend(invalid(f"{at}.name", name, problem) for problem in problems)
        source = var.get("valueFrom")
        if source is None:
            continue
        at = f"{at}.valueFrom"
        given = [
            key
            for key in ("fieldRef", "resourceFieldRef", "configMapKeyRef", "secretKeyRef", "fileKeyRef")
            if source.get(key) is not None
        ]
        for key in given:
            if key == "fieldRef":
                causes.extend(_field_selector(source[key], f"{at}.fieldRef"))
            elif key == "resourceFieldRef":
                causes.extend(_resource_field_selector(source[key], f"{at}.resourceFieldRef", volume=False))
            elif key in ("configMapKeyRef", "secretKeyRef"):
                causes.extend(_key_selector(source[key], f"{at}.{key}"))
        if not given:
            choices = "`fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"
            causes.append(invalid(at, "", f"must specify one of: {choices}"))
        elif var.get("value"):
            causes.append(invalid(at, "", "may not be specified when `value` is not empty"))
        elif len(given) > 1:
            causes.append(invalid(at, "", "may not have more than one field specified at a time"))
    return causes


def _env_from(sources: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for index, source in enumerate(sources or []):
        at = f"{path}[{index}]"
        prefix = source.get("prefix", "")
        if prefix:
            causes.extend(
                invalid(f"{at}.prefix", prefix, problem) for problem in env_var_name_problems(prefix)
            )
        given = [key for key in ("configMapRef", "secretRef") if source.get(key) is not None]
        for key in given:
            name = source[key].get("name", "")
            if not name:
                causes.append(required(f"{at}.{key}.name"))
            else:
                causes.extend(invalid(f"{at}.{key}.name", name, p) for p in subdomain_problems(name))
        if not given:
            causes.append(invalid(path, "", "must specify one of: `configMapRef` or `secretRef`"))
        elif len(given) > 1:
            causes.append(invalid(path, "", "may not have more than one field specified at a time"))
    return causes


def _ports(ports: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    names: set[str] = set()
    for index, port in enumerate(ports or []):
        at = f"{path}[{index}]"
        name = port.get("name", "")
        if name:
            if problems := port_name_problems(name):
                causes.extend(invalid(f"{at}.name", name, problem) for problem in problems)
            elif name in names:
                causes.append(duplicate(f"{at}.name", name))
            else:
                names.add(name)
        container_port = port.get("containerPort", 0)
        if not container_port:
            causes.append(required(f"{at}.containerPort"))
        else:
            causes.extend(
                invalid(f"{at}.containerPort", container_port, p)
                for p in port_number_problems(container_port)
            )
        host_port = port.get("hostPort", 0)
        if host_port:
            causes.extend(invalid(f"{at}.hostPort", host_port, p) for p in port_number_problems(host_port))
        causes.extend(port_protocol_causes(port.get("protocol", ""), f"{at}.protocol"))
    return causes


def _host_port_conflicts(containers: list[dict], path: str, taken: set[str], offset: int = 0) -> list[Cause]:
    """``AccumulateUniqueHostPorts``: one host port per protocol and host IP across containers."""
    causes: list[Cause] = []
    for index, container in enumerate(containers):
        for port_index, port in enumerate(container.get("ports") or []):
            host_port = port.get("hostPort", 0)
            if not host_port:
                continue
            key = f"{port.get('protocol', '')}/{port.get('hostIP', '')}/{host_port}"
            if key in taken:
                causes.append(duplicate(f"{path}[{index + offset}].ports[{port_index}].hostPort", key))
            taken.add(key)
    return causes


def _mounts(mounts: Any, volumes: dict[str, dict], path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for index, mount in enumerate(mounts or []):
        at = f"{path}[{index}]"
        name, mount_path = mount.get("name", ""), mount.get("mountPath", "")
        if not name:
            causes.append(required(f"{at}.name"))
        if name not in volumes:
            causes.append(not_found(f"{at}.name", name))
        if not mount_path:
            causes.append(required(f"{at}.mountPath"))
        if mount_path in seen:
            causes.append(invalid(f"{at}.mountPath", mount_path, "must be unique"))
        seen.add(mount_path)
        sub_path, sub_path_expr = mount.get("subPath", ""), mount.get("subPathExpr", "")
        if sub_path:
            causes.extend(_local_path(sub_path, f"{path}.subPath", reserved=False))
        if sub_path_expr:
            if sub_path:
                causes.append(
                    invalid(
                        f"{at}.subPathExpr", sub_path_expr, "subPathExpr and subPath are mutually exclusive"
                    )
                )
            causes.extend(_local_path(sub_path_expr, f"{path}.subPathExpr", reserved=False))
    return causes


def _is_native(name: str) -> bool:
    return "/" not in name or "kubernetes.io/" in name


def _is_hugepages(name: str) -> bool:
    return name.startswith("hugepages-")


def _is_extended(name: str) -> bool:
    """``IsExtendedResourceName``: a domain-prefixed name outside kubernetes.io, not ``requests.*``."""
    if _is_native(name) or name.startswith("requests."):
        return False
    return not qualified_name_problems(f"requests.{name}")


def _resource_name_causes(name: str, path: str) -> list[Cause]:
    """``validateResourceName`` then ``validateContainerResourceName``."""
    if problems := qualified_name_problems(name):
        return [invalid(path, name, problem) for problem in problems]
    causes = []
    if "/" not in name:
        if name not in STANDARD_RESOURCES and not _is_hugepages(name.removeprefix("requests.")):
            causes.append(invalid(path, name, "must be a standard resource type or fully qualified"))
        if name not in _STANDARD_CONTAINER_RESOURCES and not _is_hugepages(name):
            causes.append(invalid(path, name, "must be a standard resource for containers"))
    elif not _is_native(name) and not _is_extended(name):
        causes.append(invalid(path, name, "doesn't follow extended resource name standard"))
    return causes


def _quantity_text(value: Any) -> str:
    return canonical_quantity(value) or str(value)


def _resources(resources: Any, path: str) -> list[Cause]:
    """``validateResourceRequirements`` for a container: worked out once per set of amounts and path
    (containers repeat the same few; the check is pure and its causes immutable)."""
    resources = resources or {}
    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    try:
        return list(_resource_causes(path, tuple(limits.items()), tuple(requests.items())))
    except TypeError:  # an amount that is no quantity (a list, say) cannot be a key: checked as it is
        return list(_resource_causes.__wrapped__(path, tuple(limits.items()), tuple(requests.items())))


@lru_cache(maxsize=4096)
def _resource_causes(
    path: str, limit_items: tuple[tuple[str, Any], ...], request_items: tuple[tuple[str, Any], ...]
) -> tuple[Cause, ...]:
    limits, requests = dict(limit_items), dict(request_items)
    causes: list[Cause] = []
    compute = False
    hugepages = False
    for field, amounts in (("limits", limits), ("requests", requests)):
        for name, amount in amounts.items():
            at = f"{path}.{field}[{name}]"
            causes.extend(_resource_name_causes(name, at))
            value = exact_quantity(amount)
            if value is not None and value < 0:
                causes.append(invalid(at, _quantity_text(amount), NEGATIVE))
            if value is not None and _is_extended(name) and value.denominator != 1:
                causes.append(invalid(at, _quantity_text(amount), "must be an integer"))
            compute = compute or name in ("cpu", "memory")
            hugepages = hugepages or _is_hugepages(name)
            if field != "requests":
                continue
            overcommit = _is_native(name) and not _is_hugepages(name)
            if name in limits:
                limit = exact_quantity(limits[name])
                if value is None or limit is None:
                    continue
                shown = _quantity_text(amount), _quantity_text(limits[name])
                if value != limit and not overcommit:
                    causes.append(
                        invalid(f"{path}.requests", shown[0], f"must be equal to {name} limit of {shown[1]}")
                    )
                elif value > limit:
                    causes.append(
                        invalid(
                            f"{path}.requests",
                            shown[0],
                            f"must be less than or equal to {name} limit of {shown[1]}",
                        )
                    )
            elif not overcommit:
                causes.append(
                    required(f"{path}.limits", "Limit must be set for non overcommitable resources")
                )
    if hugepages and not compute:
        causes.append(forbidden(path, "HugePages require cpu or memory"))
    return tuple(causes)


def _handler(handler: dict, path: str) -> list[Cause]:
    """``validateHandler``: exactly one way to probe or hook, and that one well formed."""
    causes: list[Cause] = []
    found = 0
    for kind in _HANDLERS:
        action = handler.get(kind)
        if action is None:
            continue
        if found:
            causes.append(forbidden(f"{path}.{kind}", "may not specify more than 1 handler type"))
            continue
        found += 1
        at = f"{path}.{kind}"
        if kind == "exec" and not action.get("command"):
            causes.append(required(f"{at}.command"))
        elif kind == "httpGet":
            if not action.get("path"):
                causes.append(required(f"{at}.path"))
            causes.extend(_port_number_or_name(action.get("port"), f"{at}.port"))
            scheme = action.get("scheme", "")
            if scheme not in _HTTP_SCHEMES:
                causes.append(not_supported(f"{at}.scheme", scheme, _HTTP_SCHEMES))
        elif kind == "tcpSocket":
            causes.extend(_port_number_or_name(action.get("port"), f"{at}.port"))
        elif kind == "grpc":
            causes.extend(_port_number_or_name(action.get("port", 0), f"{at}.port"))
    if not found:
        causes.append(required(path, "must specify a handler type"))
    return causes


def _port_number_or_name(port: Any, path: str) -> list[Cause]:
    if isinstance(port, str):
        return [invalid(path, port, problem) for problem in port_name_problems(port)]
    number = port if isinstance(port, int) else 0
    return [invalid(path, number, problem) for problem in port_number_problems(number)]


def _probe(probe: Any, path: str, kind: str) -> list[Cause]:
    if probe is None:
        return []
    causes = _handler(probe, path)
    for field in _PROBE_COUNTS:
        count = probe.get(field, 0)
        if isinstance(count, int) and count < 0:
            causes.append(invalid(f"{path}.{field}", count, NEGATIVE))
    grace = probe.get("terminationGracePeriodSeconds")
    if isinstance(grace, int) and grace <= 0:
        causes.append(invalid(f"{path}.terminationGracePeriodSeconds", grace, "must be greater than 0"))
    if kind in ("liveness", "startup") and probe.get("successThreshold", 0) != 1:
        causes.append(invalid(f"{path}.successThreshold", probe.get("successThreshold", 0), "must be 1"))
    if kind == "readiness" and grace is not None:
        causes.append(
            invalid(f"{path}.terminationGracePeriodSeconds", grace, "must not be set for readinessProbes")
        )
    return causes


def _lifecycle(lifecycle: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for hook in ("postStart", "preStop"):
        handler = (lifecycle or {}).get(hook)
        if handler is not None:
            causes.extend(_handler(handler, f"{path}.{hook}"))
    return causes


def _container_common(container: dict, volumes: dict[str, dict], path: str) -> list[Cause]:
    """``validateContainerCommon``: what every kind of container must be."""
    causes: list[Cause] = []
    name = container.get("name", "")
    if not name:
        causes.append(required(f"{path}.name"))
    else:
        causes.extend(_dns_label(name, f"{path}.name"))
    if not container.get("image"):
        causes.append(required(f"{path}.image"))
    policy = container.get("terminationMessagePolicy", "")
    if not policy:
        causes.append(required(f"{path}.terminationMessagePolicy"))
    elif policy not in _TERMINATION_MESSAGE_POLICIES:
        causes.append(
            not_supported(f"{path}.terminationMessagePolicy", policy, _TERMINATION_MESSAGE_POLICIES)
        )
    causes.extend(_ports(container.get("ports"), f"{path}.ports"))
    causes.extend(_env(container.get("env"), f"{path}.env"))
    causes.extend(_env_from(container.get("envFrom"), f"{path}.envFrom"))
    causes.extend(_mounts(container.get("volumeMounts"), volumes, f"{path}.volumeMounts"))
    pull = container.get("imagePullPolicy", "")
    if not pull:
        causes.append(required(f"{path}.imagePullPolicy"))
    elif pull not in _PULL_POLICIES:
        causes.append(not_supported(f"{path}.imagePullPolicy", pull, _PULL_POLICIES))
    causes.extend(_resources(container.get("resources"), f"{path}.resources"))
    return causes


def _container_restart_policy(policy: Any, path: str) -> list[Cause]:
    """A container's own restart policy (ContainerRestartRules, on in 1.36): one of the pod's three."""
    if policy is None or policy in _CONTAINER_RESTART_POLICIES:
        return []
    return [not_supported(f"{path}.restartPolicy", policy, _CONTAINER_RESTART_POLICIES)]


def _containers(containers: list[dict], volumes: dict[str, dict], path: str) -> list[Cause]:
    if not containers:
        return [required(path)]
    causes: list[Cause] = []
    names: set[str] = set()
    for index, container in enumerate(containers):
        at = f"{path}[{index}]"
        causes.extend(_container_common(container, volumes, at))
        name = container.get("name", "")
        if name in names:
            causes.append(duplicate(f"{at}.name", name))
        names.add(name)
        if container.get("lifecycle") is not None:
            causes.extend(_lifecycle(container["lifecycle"], f"{at}.lifecycle"))
        for kind, field in _PROBES:
            if (probe := container.get(field)) is not None:
                causes.extend(_probe(probe, f"{at}.{field}", kind))
        causes.extend(_container_restart_policy(container.get("restartPolicy"), at))
    causes.extend(_host_port_conflicts(containers, path, set()))
    return causes


def _init_containers(
    init: list[dict], regular: list[dict], volumes: dict[str, dict], path: str
) -> list[Cause]:
    causes: list[Cause] = []
    names = {container.get("name", "") for container in regular}
    for index, container in enumerate(init):
        at = f"{path}[{index}]"
        causes.extend(_container_common(container, volumes, at))
        restart = container.get("restartPolicy")
        if restart != "Always":
            causes.extend(_container_restart_policy(restart, at))
        name = container.get("name", "")
        if name in names:
            causes.append(duplicate(f"{at}.name", name))
        elif name:
            names.add(name)
        causes.extend(_host_port_conflicts([container], path, set(), offset=index))
        if restart == "Always":
            if container.get("lifecycle") is not None:
                causes.extend(_lifecycle(container["lifecycle"], f"{at}.lifecycle"))
            for kind in ("liveness", "readiness", "startup"):
                causes.extend(_probe(container.get(f"{kind}Probe"), f"{at}.{kind}Probe", kind))
        else:
            for field in ("lifecycle", "livenessProbe", "readinessProbe", "startupProbe"):
                if container.get(field) is not None:
                    causes.append(
                        forbidden(
                            f"{at}.{field}", "may not be set for init containers without restartPolicy=Always"
                        )
                    )
    return causes


def _volume_source(volume: dict, path: str) -> list[Cause]:
    """``validateVolumeSource``: exactly one source, and the common sources well formed."""
    causes: list[Cause] = []
    found = False
    given = [kind for kind, source in volume.items() if source is not None and kind in _VOLUME_SOURCE_ORDER]
    for kind in sorted(given, key=_VOLUME_SOURCE_ORDER.__getitem__):
        source = volume[kind]
        if found:
            causes.append(forbidden(f"{path}.{kind}", "may not specify more than 1 volume type"))
            continue
        found = True
        at = f"{path}.{kind}"
        if kind == "emptyDir":
            size = exact_quantity(source.get("sizeLimit")) if source.get("sizeLimit") is not None else None
            if size is not None and size < 0:
                causes.append(
                    forbidden(f"{at}.sizeLimit", "SizeLimit field must be a valid resource quantity")
                )
        elif kind == "hostPath":
            host_path = source.get("path", "")
            if not host_path:
                causes.append(required(f"{at}.path"))
                continue
            causes.extend(_no_backsteps(host_path, f"{at}.path"))
            if source.get("type") is not None and source["type"] not in _HOST_PATH_TYPES:
                causes.append(not_supported(f"{at}.type", source["type"], _HOST_PATH_TYPES))
        elif kind in ("secret", "configMap"):
            name_field = "secretName" if kind == "secret" else "name"
            if not source.get(name_field):
                causes.append(required(f"{at}.{name_field}"))
            causes.extend(_file_mode(source.get("defaultMode"), f"{at}.defaultMode"))
            causes.extend(_key_to_paths(source.get("items"), at))
        elif kind == "persistentVolumeClaim" and not source.get("claimName"):
            causes.append(required(f"{at}.claimName"))
        elif kind in ("downwardAPI", "projected"):
            causes.extend(_file_mode(source.get("defaultMode"), f"{at}.defaultMode"))
    if not found:
        causes.append(required(path, "must specify a volume type"))
    return causes


def _volumes(volumes: Any, path: str) -> tuple[dict[str, dict], list[Cause]]:
    """``ValidateVolumes``: the volumes mounts may name (only those without problems) and the causes."""
    causes: list[Cause] = []
    named: dict[str, dict] = {}
    for index, volume in enumerate(volumes or []):
        at = f"{path}[{index}]"
        problems = _volume_source(volume, at)
        name = volume.get("name", "")
        if not name:
            problems.append(required(f"{at}.name"))
        else:
            problems.extend(_dns_label(name, f"{at}.name"))
        if name in named:
            problems.append(duplicate(f"{at}.name", name))
        if problems:
            causes.extend(problems)
        else:
            named[name] = volume
    return named, causes


def _tolerations(tolerations: Any, path: str) -> list[Cause]:
    """``ValidateTolerations``."""
    causes: list[Cause] = []
    for index, toleration in enumerate(tolerations or []):
        at = f"{path}[{index}]"
        key, operator = toleration.get("key", ""), toleration.get("operator", "")
        if key:
            causes.extend(invalid(f"{at}.key", key, problem) for problem in qualified_name_problems(key))
        if not key and operator != "Exists":
            match_all = (
                'operator must be Exists when `key` is empty, which means "match all values and all keys"'
            )
            causes.append(invalid(f"{at}.operator", operator, match_all))
        if toleration.get("tolerationSeconds") is not None and toleration.get("effect") != "NoExecute":
            when = "effect must be 'NoExecute' when `tolerationSeconds` is set"
            causes.append(invalid(f"{at}.effect", toleration.get("effect", ""), when))
        value = toleration.get("value", "")
        if operator in ("", "Equal"):
            if problems := label_value_problems(value):
                causes.append(invalid(f"{at}.operator", value, ";".join(problems)))
        elif operator == "Exists":
            if value:
                causes.append(
                    invalid(f"{at}.operator", value, "value must be empty when `operator` is 'Exists'")
                )
        elif operator in ("Lt", "Gt"):
            causes.append(not_supported(f"{at}.operator", operator, ("Equal", "Exists", "Lt", "Gt")))
        else:
            causes.append(not_supported(f"{at}.operator", operator, _TOLERATION_OPERATORS))
        effect = toleration.get("effect", "")
        if effect and effect not in _TAINT_EFFECTS:
            causes.append(not_supported(f"{at}.effect", effect, _TAINT_EFFECTS))
    return causes


def pod_spec_causes(spec: dict, path: str) -> list[Cause]:
    """``ValidatePodSpec`` (the common rules): ``spec`` decoded and defaulted."""
    causes: list[Cause] = []
    if spec.get("terminationGracePeriodSeconds") is None:
        causes.append(required(f"{path}.terminationGracePeriodSeconds"))
    volumes, volume_causes = _volumes(spec.get("volumes"), f"{path}.volumes")
    causes.extend(volume_causes)
    containers = spec.get("containers") or []
    causes.extend(_containers(containers, volumes, f"{path}.containers"))
    causes.extend(
        _init_containers(spec.get("initContainers") or [], containers, volumes, f"{path}.initContainers")
    )
    restart = spec.get("restartPolicy", "")
    if not restart:
        causes.append(required(f"{path}.restartPolicy"))
    elif restart not in _RESTART_POLICIES:
        causes.append(not_supported(f"{path}.restartPolicy", restart, _RESTART_POLICIES))
    dns = spec.get("dnsPolicy", "")
    if not dns:
        causes.append(required(f"{path}.dnsPolicy"))
    elif dns not in _DNS_POLICIES:
        causes.append(not_supported(f"{path}.dnsPolicy", dns, _DNS_POLICIES))
    causes.extend(label_causes(spec.get("nodeSelector"), f"{path}.nodeSelector"))
    for field in ("serviceAccountName", "nodeName", "priorityClassName"):
        value = spec.get(field, "")
        if value:
            causes.extend(invalid(f"{path}.{field}", value, problem) for problem in subdomain_problems(value))
    deadline = spec.get("activeDeadlineSeconds")
    if isinstance(deadline, int) and not 1 <= deadline <= 2**31 - 1:
        causes.append(
            invalid(f"{path}.activeDeadlineSeconds", deadline, "must be between 1 and 2147483647, inclusive")
        )
    for field in ("hostname", "subdomain"):
        if spec.get(field):
            causes.extend(_dns_label(spec[field], f"{path}.{field}"))
    causes.extend(_tolerations(spec.get("tolerations"), f"{path}.tolerations"))
    return causes


def pod_template_causes(template: Any, path: str) -> list[Cause]:
    """``ValidatePodTemplateSpec``: the template's labels and annotations, then its pod spec."""
    template = template or {}
    meta = template.get("metadata") or {}
    return [
        *label_causes(meta.get("labels"), f"{path}.labels"),
        *annotation_causes(meta.get("annotations"), f"{path}.annotations"),
        *pod_spec_causes(template.get("spec") or {}, f"{path}.spec"),
    ]
