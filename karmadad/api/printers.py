"""kube-apiserver's printer columns for the built-in kinds (``pkg/printers/internalversion``).

The same
names, types and priorities in the same order, Name and Age included where kube-apiserver puts them
(Events end with Name, Pods and Deployments list their wide columns after Age, Roles show "Created At"
instead). Each cell is what kube-apiserver prints for the object. karmadad stores objects as they were
sent, without kube-apiserver's defaulting, so a cell whose field is absent reads the value defaulting
would have stored (a Deployment without ``replicas`` is ``0/1``, a new Pod is ``Pending``): the table
is the one the same object gets from kube-apiserver.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from karmadad.api import conversion
from karmadad.api.registry import AGE, AGE_DOC, NAME, Cell, Column, Elapsed, dig


def _items(obj: Any, *path: str) -> list:
    """The list at ``path``, its non-object entries dropped (a cell never fails on a malformed object)."""
    found = dig(obj, *path)
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _text(obj: Any, *path: str, default: str = "") -> str:
    value = dig(obj, *path)
    return default if value is None or value == "" else str(value)


def _int(obj: Any, *path: str, default: int = 0) -> int:
    value = dig(obj, *path)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _go_bool(value: Any) -> str:
    """A ``*bool`` as kube prints it: True, False, or <unset> when absent."""
    return "<unset>" if value is None else ("True" if value is True else "False")


def _go_value(value: Any) -> str:
    """A scalar as Go's ``%v``/``String()`` writes it (an IntOrString, a quantity)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def format_labels(labels: Any) -> str:
    """``labels.FormatLabels``: ``k=v`` pairs sorted by key, or ``<none>``."""
    if not isinstance(labels, dict) or not labels:
        return "<none>"
    return ",".join(f"{key}={labels[key]}" for key in sorted(labels))


def selector_string(selector: Any) -> str | None:
    """A LabelSelector as ``LabelSelectorAsSelector(...).String()`` writes it (requirements sorted by key,
    values of ``in``/``notin`` sorted); None when the selector is malformed."""
    if not isinstance(selector, dict):
        return ""
    requirements: list[tuple[str, str]] = []
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        return None
    requirements.extend((str(k), f"{k}={v}") for k, v in match_labels.items())
    for expression in selector.get("matchExpressions") or ():
        if not isinstance(expression, dict):
            return None
        key, operator = str(expression.get("key", "")), expression.get("operator")
        values = sorted(str(v) for v in expression.get("values") or ())
        if operator in ("In", "NotIn"):
            if not values:
                return None
            text = f"{key} {operator.lower()} ({','.join(values)})"
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                return None
            text = key if operator == "Exists" else f"!{key}"
        else:
            return None
        requirements.append((key, text))
    return ",".join(text for _, text in sorted(requirements, key=lambda r: r[0]))


def format_selector(selector: Any) -> str:
    """``metav1.FormatLabelSelector``: the selector's string, ``<none>`` when empty, ``<error>`` when
    malformed."""
    text = selector_string(selector)
    if text is None:
        return "<error>"
    return text or "<none>"


def _containers(containers: list[dict]) -> tuple[str, str]:
    """``layoutContainerCells``: container names and images, comma separated."""
    return ",".join(_text(c, "name") for c in containers), ",".join(_text(c, "image") for c in containers)


def _more(items: list[str], count: int, most: int, empty: str = "") -> str:
    """The first ``most`` items joined by commas, then `` + N more...`` as kube's printers shorten lists."""
    text = ",".join(items[:most])
    if count > most:
        return f"{text} + {count - most} more..."
    return text or empty


def _host_port(host: str, port: Any) -> str:
    """``net.JoinHostPort``: an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


CREATED_AT = Column("Created At", "date", lambda o: dig(o, "metadata", "creationTimestamp"), AGE_DOC)


def _string(name: str, cell: Cell, description: str = "", priority: int = 0) -> Column:
    return Column(name, "string", cell, description, "", priority)


def _integer(name: str, cell: Cell, description: str = "", priority: int = 0) -> Column:
    return Column(name, "integer", cell, description, "", priority)


def _boolean(name: str, cell: Cell, description: str = "", priority: int = 0) -> Column:
    return Column(name, "boolean", cell, description, "", priority)


def _template_columns(*template: str, selector: tuple[str, ...] | None = None) -> tuple[Column, ...]:
    """The wide Containers and Images columns of a pod template at ``template``, and Selector at
    ``selector`` (``FormatLabelSelector``) when given."""
    columns = (
        _string(
            "Containers",
            lambda o: _containers(_items(o, *template, "containers"))[0],
            "Names of each container in the template.",
            1,
        ),
        _string(
            "Images",
            lambda o: _containers(_items(o, *template, "containers"))[1],
            "Images referenced by each container in the template.",
            1,
        ),
    )
    if selector is None:
        return columns
    return (*columns, _string("Selector", lambda o: format_selector(dig(o, *selector)), "Label selector.", 1))


_POD_TEMPLATE = ("spec", "template", "spec")


# --------------------------------------------------------------------------- core/v1


def _pod_summary(pod: dict) -> tuple[str, str, Any]:
    """``printPod``'s Ready, Status and Restarts cells."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    init_specs = {c.get("name"): c for c in _items(spec, "initContainers")}
    total = len(_items(spec, "containers")) + sum(
        1 for c in init_specs.values() if c.get("restartPolicy") == "Always"
    )
    ready = restarts = sidecar_restarts = 0
    last_restart = sidecar_last_restart = ""
    phase = _text(status, "phase", default="Pending")  # kube-apiserver sets it on create
    reason = _text(status, "reason", default=phase)
    conditions = _items(status, "conditions")
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated" for c in conditions):
        reason = "SchedulingGated"

    def finished(state: dict) -> str:
        return _text(state, "lastState", "terminated", "finishedAt")

    initializing = False
    init_statuses = _items(status, "initContainerStatuses")
    for index, container in enumerate(init_statuses):
        restarts += _int(container, "restartCount")
        last_restart = max(last_restart, finished(container))
        sidecar = (init_specs.get(container.get("name")) or {}).get("restartPolicy") == "Always"
        if sidecar:
            sidecar_restarts += _int(container, "restartCount")
            sidecar_last_restart = max(sidecar_last_restart, finished(container))
        terminated = dig(container, "state", "terminated")
        waiting_reason = _text(container, "state", "waiting", "reason")
        if isinstance(terminated, dict) and _int(terminated, "exitCode") == 0:
            continue
        if sidecar and container.get("started") is True:
            ready += 1 if container.get("ready") is True else 0
            continue
        if isinstance(terminated, dict):
            if terminated.get("reason"):
                reason = f"Init:{terminated['reason']}"
            elif _int(terminated, "signal"):
                reason = f"Init:Signal:{_int(terminated, 'signal')}"
            else:
                reason = f"Init:ExitCode:{_int(terminated, 'exitCode')}"
        elif waiting_reason and waiting_reason != "PodInitializing":
            reason = f"Init:{waiting_reason}"
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break
    if not initializing or any(
        c.get("type") == "Initialized" and c.get("status") == "True" for c in conditions
    ):
        restarts, last_restart = sidecar_restarts, sidecar_last_restart
        running = False
        error_reason = ""
        for container in reversed(_items(status, "containerStatuses")):
            restarts += _int(container, "restartCount")
            last_restart = max(last_restart, finished(container))
            terminated = dig(container, "state", "terminated")
            if _text(container, "state", "waiting", "reason"):
                reason = _text(container, "state", "waiting", "reason")
            elif isinstance(terminated, dict):
                signal = _int(terminated, "signal")
                reason = _text(terminated, "reason") or (
                    f"Signal:{signal}" if signal else f"ExitCode:{_int(terminated, 'exitCode')}"
                )
                if _int(terminated, "exitCode"):
                    error_reason = reason
            elif container.get("ready") is True and isinstance(dig(container, "state", "running"), dict):
                running = True
                ready += 1
        if reason == "Completed":
            pod_ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
            if running and pod_ready:
                reason = "Running"
            elif error_reason:
                reason = error_reason
            elif running:
                reason = "NotReady"
    if dig(pod, "metadata", "deletionTimestamp"):
        if _text(status, "reason") == "NodeLost":
            reason = "Unknown"
        elif phase not in ("Succeeded", "Failed"):
            reason = "Terminating"
    restart_cell: Any = str(restarts)
    if restarts and last_restart:
        restart_cell = Elapsed(last_restart, template=f"{restarts} ({{}} ago)")
    return f"{ready}/{total}", reason, restart_cell


def _readiness_gates(pod: dict) -> str:
    gates = _items(pod, "spec", "readinessGates")
    if not gates:
        return "<none>"
    conditions = {c.get("type"): c.get("status") for c in reversed(_items(pod, "status", "conditions"))}
    true = sum(1 for gate in gates if conditions.get(gate.get("conditionType")) == "True")
    return f"{true}/{len(gates)}"


def _pod_ip(pod: dict) -> str:
    ips = _items(pod, "status", "podIPs")
    return _text(ips[0], "ip", default="<none>") if ips else "<none>"


POD_COLUMNS = (
    NAME,
    _string("Ready", lambda o: _pod_summary(o)[0], "The aggregate readiness state of this pod."),
    _string("Status", lambda o: _pod_summary(o)[1], "The aggregate status of the containers in this pod."),
    _string("Restarts", lambda o: _pod_summary(o)[2], "The number of times the containers were restarted."),
    AGE,
    _string("IP", _pod_ip, "podIP address allocated to the pod.", 1),
    _string("Node", lambda o: _text(o, "spec", "nodeName", default="<none>"), "The node of the pod.", 1),
    _string(
        "Nominated Node",
        lambda o: _text(o, "status", "nominatedNodeName", default="<none>"),
        "The node this pod preempts other pods on.",
        1,
    ),
    _string("Readiness Gates", _readiness_gates, "The readiness gates of the pod.", 1),
)


def _service_external_ip(service: dict) -> str:
    kind = _text(service, "spec", "type", default="ClusterIP")
    external = [str(ip) for ip in dig(service, "spec", "externalIPs") or ()]
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        balancers = _load_balancer_addresses(service)
        return ",".join([*balancers, *external]) or "<pending>"
    if kind == "ExternalName":
        return _text(service, "spec", "externalName")
    return "<unknown>"


def _load_balancer_addresses(obj: dict) -> list[str]:
    """``loadBalancerStatusStringer``: each ingress point's IP, else its hostname; sorted, once each."""
    found = {str(i.get("ip") or i.get("hostname")) for i in _items(obj, "status", "loadBalancer", "ingress")}
    return sorted(found - {"None", ""})


def _service_ports(service: dict) -> str:
    pieces = []
    for port in _items(service, "spec", "ports"):
        protocol = _text(port, "protocol", default="TCP")
        node_port = _int(port, "nodePort")
        middle = f":{node_port}" if node_port > 0 else ""
        pieces.append(f"{_int(port, 'port')}{middle}/{protocol}")
    return ",".join(pieces) or "<none>"


def _service_cluster_ip(service: dict) -> str:
    ips = dig(service, "spec", "clusterIPs")
    if isinstance(ips, list) and ips:
        return str(ips[0])
    return _text(service, "spec", "clusterIP", default="<none>")  # clusterIPs defaults from clusterIP


SERVICE_COLUMNS = (
    NAME,
    _string("Type", lambda o: _text(o, "spec", "type", default="ClusterIP"), "How the Service is exposed."),
    _string("Cluster-IP", _service_cluster_ip, "The IP address of the service."),
    _string("External-IP", _service_external_ip, "Addresses outside the cluster that reach the service."),
    _string("Port(s)", _service_ports, "The list of ports that are exposed by this service."),
    AGE,
    _string(
        "Selector", lambda o: format_labels(dig(o, "spec", "selector")), "The service's pod selector.", 1
    ),
)

_CLAIM_CLASS = "volume.beta.kubernetes.io/storage-class"


def _access_modes(modes: Any) -> str:
    """``GetAccessModesAsString``: the modes present, in a fixed order, abbreviated."""
    present = {mode for mode in modes if isinstance(mode, str)} if isinstance(modes, list) else set()
    names = (
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    )
    return ",".join(short for mode, short in names if mode in present)


def _volume_class(obj: dict) -> str:
    annotation = dig(obj, "metadata", "annotations", _CLAIM_CLASS)
    return str(annotation) if annotation is not None else _text(obj, "spec", "storageClassName")


def _phase(obj: dict, default: str) -> str:
    return (
        "Terminating"
        if dig(obj, "metadata", "deletionTimestamp")
        else _text(obj, "status", "phase", default=default)
    )


def _set_or_unset(value: Any) -> str:
    """An optional string as kube prints it: ``<unset>`` when absent (an empty one stays empty)."""
    return "<unset>" if value is None else str(value)


def _claim_bound(claim: dict) -> bool:
    return bool(_text(claim, "spec", "volumeName"))


PVC_COLUMNS = (
    NAME,
    _string("Status", lambda o: _phase(o, "Pending"), "phase represents the current phase of the claim."),
    _string("Volume", lambda o: _text(o, "spec", "volumeName"), "The PersistentVolume backing this claim."),
    _string(
        "Capacity",
        lambda o: _go_value(dig(o, "status", "capacity", "storage") or "0") if _claim_bound(o) else "",
        "The actual resources of the underlying volume.",
    ),
    _string(
        "Access Modes",
        lambda o: _access_modes(dig(o, "status", "accessModes")) if _claim_bound(o) else "",
        "The actual access modes of the volume backing the claim.",
    ),
    _string("StorageClass", _volume_class, "StorageClass of the pvc"),
    _string(
        "VolumeAttributesClass",
        lambda o: _set_or_unset(dig(o, "spec", "volumeAttributesClassName")),
        "VolumeAttributesClass of the pvc",
    ),
    AGE,
    _string(
        "VolumeMode",
        lambda o: _text(o, "spec", "volumeMode", default="Filesystem"),
        "The type of volume the claim requires.",
        1,
    ),
)


def _claim_ref(volume: dict) -> str:
    ref = dig(volume, "spec", "claimRef")
    return f"{_text(ref, 'namespace')}/{_text(ref, 'name')}" if isinstance(ref, dict) else ""


PV_COLUMNS = (
    NAME,
    _string(
        "Capacity",
        lambda o: _go_value(dig(o, "spec", "capacity", "storage") or "0"),
        "The volume's capacity.",
    ),
    _string("Access Modes", lambda o: _access_modes(dig(o, "spec", "accessModes")), "How the volume mounts."),
    _string(
        "Reclaim Policy",
        lambda o: _text(o, "spec", "persistentVolumeReclaimPolicy", default="Retain"),
        "What happens to the volume when released from its claim.",
    ),
    _string("Status", lambda o: _phase(o, "Pending"), "phase of the volume."),
    _string("Claim", _claim_ref, "The claim bound to the volume."),
    _string("StorageClass", _volume_class, "StorageClass of the pv"),
    _string(
        "VolumeAttributesClass",
        lambda o: _set_or_unset(dig(o, "spec", "volumeAttributesClassName")),
        "VolumeAttributesClass of the pv",
    ),
    _string("Reason", lambda o: _text(o, "status", "reason"), "Why the volume is in its phase."),
    AGE,
    _string(
        "VolumeMode",
        lambda o: _text(o, "spec", "volumeMode", default="Filesystem"),
        "Whether the volume is a filesystem or a raw block device.",
        1,
    ),
)


def _event_time(event: dict, first: bool) -> Elapsed:
    """An Event's First Seen / Last Seen: ``firstTimestamp`` (else ``eventTime``); ``lastTimestamp``
    (else first seen), or the series' last observation."""
    first_seen = dig(event, "firstTimestamp") or dig(event, "eventTime")
    if first:
        return Elapsed(first_seen)
    series_last = dig(event, "series", "lastObservedTime")
    if isinstance(dig(event, "series"), dict):
        return Elapsed(series_last)
    return Elapsed(dig(event, "lastTimestamp") or first_seen)


def _event_count(event: dict) -> int:
    if isinstance(dig(event, "series"), dict):
        return _int(event, "series", "count")
    return _int(event, "count") or 1  # singleton events have no count in the new API


def _event_object(event: dict) -> str:
    kind = _text(event, "involvedObject", "kind").lower()
    name = _text(event, "involvedObject", "name")
    return f"{kind}/{name}" if name else kind


def _event_source(event: dict) -> str:
    component = _text(event, "source", "component") or _text(event, "reportingComponent")
    instance = _text(event, "source", "host") or _text(event, "reportingInstance")
    return f"{component}, {instance}" if instance else component


EVENT_COLUMNS = (
    _string("Last Seen", lambda o: _event_time(o, first=False), "When the event was last recorded."),
    _string("Type", lambda o: _text(o, "type"), "Type of this event (Normal, Warning)."),
    _string("Reason", lambda o: _text(o, "reason"), "Why the event happened."),
    _string("Object", _event_object, "The object that this event is about."),
    _string("Subobject", lambda o: _text(o, "involvedObject", "fieldPath"), "The part of the object.", 1),
    _string("Source", _event_source, "The component reporting this event.", 1),
    _string("Message", lambda o: _text(o, "message").strip(), "A human-readable description."),
    _string("First Seen", lambda o: _event_time(o, first=True), "When the event was first recorded.", 1),
    _string("Count", _event_count, "The number of times this event has occurred.", 1),
    replace(NAME, priority=1),
)


def _quota_usage(quota: dict, limits: bool) -> str:
    """A ResourceQuota's requests (or limits) as ``name: used/hard``, sorted by resource name."""
    hard, used = dig(quota, "status", "hard") or {}, dig(quota, "status", "used") or {}
    if not isinstance(hard, dict):
        return ""
    pieces = []
    for name in sorted(hard):
        prefix, dot, _ = name.partition(".")
        if (bool(dot) and prefix == "limits") == limits:
            used_value = used.get(name, "0") if isinstance(used, dict) else "0"
            pieces.append(f"{name}: {_go_value(used_value)}/{_go_value(hard[name])}")
    return ", ".join(pieces)


def _endpoints(endpoints: dict) -> str:
    """``formatEndpoints``: up to three address:port pairs, then how many more."""
    subsets = _items(endpoints, "subsets")
    if not subsets:
        return "<none>"
    shown: list[str] = []
    count = 0
    for subset in subsets:
        addresses = [_text(a, "ip") for a in _items(subset, "addresses")]
        ports = _items(subset, "ports")
        if not ports:
            count += len(addresses)
            shown.extend(addresses[: 3 - len(shown)])
            continue
        for port in ports:
            count += len(addresses)
            shown.extend(_host_port(ip, _int(port, "port")) for ip in addresses[: 3 - len(shown)])
    return _more(shown, count, 3)


# --------------------------------------------------------------------------- apps, batch


def _replicas(obj: dict) -> int:
    return _int(obj, "spec", "replicas", default=1)  # kube-apiserver defaults replicas to 1


DEPLOYMENT_COLUMNS = (
    NAME,
    _string(
        "Ready",
        lambda o: f"{_int(o, 'status', 'readyReplicas')}/{_replicas(o)}",
        "Number of the pod with ready state",
    ),
    _string("Up-to-date", lambda o: _int(o, "status", "updatedReplicas"), "Pods with the desired template."),
    _string("Available", lambda o: _int(o, "status", "availableReplicas"), "Available pods."),
    AGE,
    *_template_columns(*_POD_TEMPLATE),
    _string(
        "Selector",
        lambda o: "<invalid>" if (s := selector_string(dig(o, "spec", "selector"))) is None else s,
        "Label selector for pods.",
        1,
    ),
)
STATEFUL_SET_COLUMNS = (
    NAME,
    _string(
        "Ready",
        lambda o: f"{_int(o, 'status', 'readyReplicas')}/{_replicas(o)}",
        "Number of the pod with ready state",
    ),
    AGE,
    *_template_columns(*_POD_TEMPLATE),
)
DAEMON_SET_COLUMNS = (
    NAME,
    _integer("Desired", lambda o: _int(o, "status", "desiredNumberScheduled"), "Nodes that should run it."),
    _integer("Current", lambda o: _int(o, "status", "currentNumberScheduled"), "Nodes that run it."),
    _integer("Ready", lambda o: _int(o, "status", "numberReady"), "Nodes where it is ready."),
    _integer(
        "Up-to-date", lambda o: _int(o, "status", "updatedNumberScheduled"), "Nodes that run it updated."
    ),
    _integer("Available", lambda o: _int(o, "status", "numberAvailable"), "Nodes where it is available."),
    _string(
        "Node Selector",
        lambda o: format_labels(dig(o, *_POD_TEMPLATE, "nodeSelector")),
        "The nodes the pods may run on.",
    ),
    AGE,
    *_template_columns(*_POD_TEMPLATE, selector=("spec", "selector")),
)
REPLICA_SET_COLUMNS = (
    NAME,
    _integer("Desired", _replicas, "The number of desired pods."),
    _integer(
        "Current", lambda o: _int(o, "status", "replicas"), "The most recently observed number of pods."
    ),
    _integer("Ready", lambda o: _int(o, "status", "readyReplicas"), "The number of ready pods."),
    AGE,
    *_template_columns(*_POD_TEMPLATE, selector=("spec", "selector")),
)


def _job_status(job: dict) -> str:
    statuses: dict[Any, Any] = {}
    for condition in _items(job, "status", "conditions"):  # the first of each type counts, as in kube
        statuses.setdefault(condition.get("type"), condition.get("status"))
    true = {kind for kind, status in statuses.items() if status == "True"}
    if "Complete" in true:
        return "Complete"
    if "Failed" in true:
        return "Failed"
    if dig(job, "metadata", "deletionTimestamp"):
        return "Terminating"
    for condition in ("Suspended", "FailureTarget", "SuccessCriteriaMet"):
        if condition in true:
            return condition
    return "Running"


def _job_completions(job: dict) -> str:
    succeeded = _int(job, "status", "succeeded")
    completions = dig(job, "spec", "completions")
    if isinstance(completions, int):
        return f"{succeeded}/{completions}"
    parallelism = _int(job, "spec", "parallelism", default=1)
    return f"{succeeded}/1 of {parallelism}" if parallelism > 1 else f"{succeeded}/1"


def _job_duration(job: dict) -> Any:
    start = dig(job, "status", "startTime")
    return Elapsed(start, dig(job, "status", "completionTime")) if start else ""


JOB_COLUMNS = (
    NAME,
    _string("Status", _job_status, "Status of the job."),
    _string("Completions", _job_completions, "Succeeded pods out of the desired completions."),
    _string("Duration", _job_duration, "Time required to complete the job."),
    AGE,
    *_template_columns(*_POD_TEMPLATE, selector=("spec", "selector")),
)
CRON_JOB_COLUMNS = (
    NAME,
    _string("Schedule", lambda o: _text(o, "spec", "schedule"), "The schedule in Cron format."),
    _string(
        "Timezone", lambda o: _text(o, "spec", "timeZone", default="<none>"), "The schedule's time zone."
    ),
    _boolean(
        "Suspend", lambda o: _go_bool(dig(o, "spec", "suspend") or False), "Whether runs are suspended."
    ),
    _integer("Active", lambda o: len(_items(o, "status", "active")), "The currently running jobs."),
    _string(
        "Last Schedule",
        lambda o: Elapsed(s) if (s := dig(o, "status", "lastScheduleTime")) else "<none>",
        "When the job was last scheduled.",
    ),
    AGE,
    *_template_columns(
        "spec",
        "jobTemplate",
        "spec",
        "template",
        "spec",
        selector=("spec", "jobTemplate", "spec", "selector"),
    ),
)


# --------------------------------------------------------------------------- autoscaling


def _metric_value(value: Any) -> str:
    return "<unknown>" if value is None else _go_value(value)


def _hpa_metric(spec: dict, status: dict | None) -> str:
    """One metric of ``formatHPAMetrics``: current/target, ``<unknown>`` until measured."""
    kind = spec.get("type")
    status = status or {}
    if kind in ("External", "Object"):
        source, current = spec.get(kind.lower()) or {}, status.get(kind.lower())
        target = source.get("target") or {}
        if target.get("averageValue") is not None:
            value = dig(current, "current", "averageValue") if isinstance(current, dict) else None
            return f"{_metric_value(value)}/{_go_value(target['averageValue'])} (avg)"
        value = dig(current, "current", "value") if isinstance(current, dict) else None
        return f"{_metric_value(value)}/{_go_value(target.get('value'))}"
    if kind == "Pods":
        value = (
            dig(status, "pods", "current", "averageValue") if isinstance(status.get("pods"), dict) else None
        )
        return f"{_metric_value(value)}/{_go_value(dig(spec, 'pods', 'target', 'averageValue'))}"
    if kind in ("Resource", "ContainerResource"):
        key = "resource" if kind == "Resource" else "containerResource"
        source, current = spec.get(key) or {}, status.get(key)
        target = source.get("target") or {}
        name = _go_value(source.get("name"))
        if target.get("averageValue") is not None:
            value = dig(current, "current", "averageValue") if isinstance(current, dict) else None
            return f"{name}: {_metric_value(value)}/{_go_value(target['averageValue'])}"
        utilization = dig(current, "current", "averageUtilization") if isinstance(current, dict) else None
        shown = "<unknown>" if utilization is None else f"{utilization}%"
        wanted = target.get("averageUtilization")
        return f"{name}: {shown}/{'<auto>' if wanted is None else f'{wanted}%'}"
    return "<unknown type>"


def _hpa_targets(hpa: dict) -> str:
    # kube-apiserver's defaulting gives an HPA without metrics one: 80% CPU
    specs = _items(hpa, "spec", "metrics") or [conversion.cpu_utilization(conversion.DEFAULT_CPU_UTILIZATION)]
    statuses = _items(hpa, "status", "currentMetrics")
    shown = [_hpa_metric(spec, statuses[i] if i < len(statuses) else None) for i, spec in enumerate(specs)]
    text = ", ".join(shown[:2])
    return f"{text} + {len(shown) - 2} more..." if len(shown) > 2 else text


HPA_COLUMNS = (
    NAME,
    _string(
        "Reference",
        lambda o: (
            f"{_text(o, 'spec', 'scaleTargetRef', 'kind')}/{_text(o, 'spec', 'scaleTargetRef', 'name')}"
        ),
        "The target resource to scale.",
    ),
    _string("Targets", _hpa_targets, "The metrics and their targets."),
    _string(
        "MinPods", lambda o: str(_int(o, "spec", "minReplicas", default=1)), "The lower limit of replicas."
    ),
    _string("MaxPods", lambda o: _int(o, "spec", "maxReplicas"), "The upper limit of replicas."),
    _string("Replicas", lambda o: _int(o, "status", "currentReplicas"), "The current number of replicas."),
    AGE,
)


# --------------------------------------------------------------------------- networking, policy, rbac


def _ingress_hosts(ingress: dict) -> str:
    rules = _items(ingress, "spec", "rules")
    hosts: list[str] = []
    more = False
    for rule in rules:
        if len(hosts) == 3:
            more = True
            break
        if rule.get("host"):
            hosts.append(str(rule["host"]))
    if not hosts:
        return "*"
    return f"{','.join(hosts)} + {len(rules) - 3} more..." if more else ",".join(hosts)


INGRESS_COLUMNS = (
    NAME,
    _string("Class", lambda o: _text(o, "spec", "ingressClassName", default="<none>"), "The IngressClass."),
    _string("Hosts", _ingress_hosts, "Hosts that incoming requests are matched against."),
    _string(
        "Address", lambda o: ",".join(_load_balancer_addresses(o)), "The ingress points of the load-balancer."
    ),
    _string(
        "Ports", lambda o: "80, 443" if _items(o, "spec", "tls") else "80", "Ports of TLS configurations."
    ),
    AGE,
)


_DEFAULT_INGRESS_CLASS = ("ingressclass.kubernetes.io/is-default-class",)


def _is_default(obj: dict, annotations: tuple[str, ...]) -> bool:
    """Whether one of the default-class ``annotations`` says ``"true"``."""
    found = dig(obj, "metadata", "annotations")
    return isinstance(found, dict) and any(found.get(key) == "true" for key in annotations)


def _ingress_class_parameters(ingress_class: dict) -> str:
    parameters = dig(ingress_class, "spec", "parameters")
    if not isinstance(parameters, dict):
        return "<none>"
    kind = _text(parameters, "kind")
    if parameters.get("apiGroup") is not None:
        kind = f"{kind}.{parameters['apiGroup']}"
    return f"{kind}/{_text(parameters, 'name')}"


def _name_marking_default(annotations: tuple[str, ...]) -> Column:
    """The Name column of a class kind: ``(default)`` after the name of the class so annotated."""
    return replace(NAME, cell=lambda o: NAME.cell(o) + (" (default)" if _is_default(o, annotations) else ""))


INGRESS_CLASS_COLUMNS = (
    _name_marking_default(_DEFAULT_INGRESS_CLASS),
    _string("Controller", lambda o: _text(o, "spec", "controller"), "The controller handling this class."),
    _string("Parameters", _ingress_class_parameters, "A reference to a resource with additional parameters."),
    AGE,
)
NETWORK_POLICY_COLUMNS = (
    NAME,
    _string(
        "Pod-Selector", lambda o: format_selector(dig(o, "spec", "podSelector") or {}), "The pods selected."
    ),
    AGE,
)
PDB_COLUMNS = (
    NAME,
    _string(
        "Min Available", lambda o: _go_value(dig(o, "spec", "minAvailable")) or "N/A", "Minimum available."
    ),
    _string(
        "Max Unavailable", lambda o: _go_value(dig(o, "spec", "maxUnavailable")) or "N/A", "Max unavailable."
    ),
    _integer(
        "Allowed Disruptions", lambda o: _int(o, "status", "disruptionsAllowed"), "Pods that may go now."
    ),
    AGE,
)


def _subjects(binding: dict, kind: str) -> str:
    """``SubjectsStrings``: the binding's users, groups or service accounts (``namespace/name``)."""
    found = []
    for subject in _items(binding, "subjects"):
        if subject.get("kind") == kind:
            name = _text(subject, "name")
            found.append(f"{_text(subject, 'namespace')}/{name}" if kind == "ServiceAccount" else name)
    return ", ".join(found)


BINDING_COLUMNS = (
    NAME,
    _string(
        "Role", lambda o: f"{_text(o, 'roleRef', 'kind')}/{_text(o, 'roleRef', 'name')}", "The bound role."
    ),
    AGE,
    _string("Users", lambda o: _subjects(o, "User"), "Users in the binding", 1),
    _string("Groups", lambda o: _subjects(o, "Group"), "Groups in the binding", 1),
    _string("ServiceAccounts", lambda o: _subjects(o, "ServiceAccount"), "ServiceAccounts in the binding", 1),
)


# --------------------------------------------------------------------------- storage, scheduling, node, ...

_DEFAULT_CLASS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)


STORAGE_CLASS_COLUMNS = (
    _name_marking_default(_DEFAULT_CLASS),
    _string("Provisioner", lambda o: _text(o, "provisioner"), "The type of the provisioner."),
    _string("ReclaimPolicy", lambda o: _text(o, "reclaimPolicy", default="Delete"), "The reclaim policy."),
    _string(
        "VolumeBindingMode", lambda o: _text(o, "volumeBindingMode", default="Immediate"), "When to bind."
    ),
    _string(
        "AllowVolumeExpansion", lambda o: dig(o, "allowVolumeExpansion") is True, "Whether volumes expand."
    ),
    AGE,
)


def _csi_token_requests(driver: dict) -> str:
    requests = dig(driver, "spec", "tokenRequests")
    if not isinstance(requests, list):
        return "<unset>"
    return ",".join(_text(r, "audience") for r in requests if isinstance(r, dict))


CSI_DRIVER_COLUMNS = (
    NAME,
    _boolean("AttachRequired", lambda o: dig(o, "spec", "attachRequired") is not False, "Needs an attach."),
    _boolean("PodInfoOnMount", lambda o: dig(o, "spec", "podInfoOnMount") is True, "Needs pod information."),
    _boolean("StorageCapacity", lambda o: dig(o, "spec", "storageCapacity") is True, "Reports capacity."),
    _string("TokenRequests", _csi_token_requests, "Audiences of the tokens the driver needs."),
    _boolean("RequiresRepublish", lambda o: dig(o, "spec", "requiresRepublish") is True, "Republishes."),
    _string(
        "Modes",
        lambda o: (
            ",".join(str(m) for m in dig(o, "spec", "volumeLifecycleModes") or ("Persistent",)) or "<none>"
        ),
        "The kinds of volumes the driver supports.",
    ),
    AGE,
)


def _node_status(node: Any) -> str:
    """``Ready``/``NotReady``/``Unknown`` from the Ready condition, then ``SchedulingDisabled`` if cordoned."""
    ready: dict = next((c for c in _items(node, "status", "conditions") if c.get("type") == "Ready"), {})
    states = [{"True": "Ready", "False": "NotReady"}.get(str(ready.get("status")), "Unknown")]
    if dig(node, "spec", "unschedulable"):
        states.append("SchedulingDisabled")
    return ",".join(states)


def _node_roles(node: Any) -> str:
    labels = dig(node, "metadata", "labels") or {}
    roles = sorted(
        {
            key.removeprefix("node-role.kubernetes.io/")
            for key in labels
            if key.startswith("node-role.kubernetes.io/")
        }
        | ({labels["kubernetes.io/role"]} if labels.get("kubernetes.io/role") else set())
    )
    return ",".join(role for role in roles if role) or "<none>"


def _node_address(node: Any, kind: str) -> str:
    addresses = [a.get("address", "") for a in _items(node, "status", "addresses") if a.get("type") == kind]
    return addresses[0] if addresses else "<none>"


NODE_COLUMNS = (
    NAME,
    _string("Status", _node_status, "The status of the node"),
    _string("Roles", _node_roles, "The roles of the node"),
    AGE,
    _string("Version", lambda o: _text(o, "status", "nodeInfo", "kubeletVersion"), "Kubelet Version"),
    _string("Internal-IP", lambda o: _node_address(o, "InternalIP"), "List of internal IPs.", 1),
    _string("External-IP", lambda o: _node_address(o, "ExternalIP"), "List of external IPs.", 1),
    _string(
        "OS-Image", lambda o: _text(o, "status", "nodeInfo", "osImage", default="<unknown>"), "OS image.", 1
    ),
    _string(
        "Kernel-Version",
        lambda o: _text(o, "status", "nodeInfo", "kernelVersion", default="<unknown>"),
        "Kernel version.",
        1,
    ),
    _string(
        "Container-Runtime",
        lambda o: _text(o, "status", "nodeInfo", "containerRuntimeVersion", default="<unknown>"),
        "Container Runtime Version.",
        1,
    ),
)
CSI_NODE_COLUMNS = (
    NAME,
    _integer("Drivers", lambda o: len(_items(o, "spec", "drivers")), "CSI drivers registered on the node"),
    AGE,
)
PRIORITY_CLASS_COLUMNS = (
    NAME,
    _integer("Value", lambda o: _int(o, "value"), "The priority of the class."),
    _boolean("Global-Default", lambda o: dig(o, "globalDefault") is True, "Whether it is the default."),
    AGE,
    _string(
        "PreemptionPolicy",
        lambda o: _text(o, "preemptionPolicy", default="PreemptLowerPriority"),
        "The policy for preempting pods with lower priority.",
    ),
)


def _slice_ports(endpoint_slice: dict) -> str:
    ports = _items(endpoint_slice, "ports")
    shown = []
    for port in ports[:3]:
        number, name = port.get("port"), port.get("name")
        shown.append(str(number) if number is not None else "*" if name is None else str(name))
    return _more(shown, len(ports), 3, "<unset>")


def _slice_endpoints(endpoint_slice: dict) -> str:
    addresses = [str(a) for e in _items(endpoint_slice, "endpoints") for a in dig(e, "addresses") or ()]
    return _more(addresses, len(addresses), 3, "<unset>")


ENDPOINT_SLICE_COLUMNS = (
    NAME,
    _string("AddressType", lambda o: _text(o, "addressType"), "The type of address carried by the slice."),
    _string("Ports", _slice_ports, "The network ports exposed by the endpoints."),
    _string("Endpoints", _slice_endpoints, "The endpoints in this slice."),
    AGE,
)


def _read_as(convert: Callable[[dict], dict], columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """``columns`` for objects served in another version: each cell reads the stored form (kube-apiserver
    prints every version of a kind from the same internal object); ``convert`` makes it when the object
    does not carry it."""

    def stored_cell(cell: Cell) -> Cell:
        return lambda obj: cell(conversion.stored_form(obj, convert))

    return tuple(replace(c, cell=stored_cell(c.cell)) for c in columns)


NAMESPACE_COLUMNS = (
    NAME,
    _string("Status", lambda o: _text(o, "status", "phase"), "The namespace's phase."),
    AGE,
)
CONFIG_MAP_COLUMNS = (
    NAME,
    _string(
        "Data", lambda o: len(o.get("data") or {}) + len(o.get("binaryData") or {}), "The number of keys."
    ),
    AGE,
)
SECRET_COLUMNS = (
    NAME,
    _string("Type", lambda o: _text(o, "type"), "The type of the secret."),
    _string("Data", lambda o: len(o.get("data") or {}), "The number of keys."),
    AGE,
)
QUOTA_COLUMNS = (
    NAME,
    _string("Request", lambda o: _quota_usage(o, False), "Used and hard requests."),
    _string("Limit", lambda o: _quota_usage(o, True), "Used and hard limits."),
    AGE,
)
ENDPOINTS_COLUMNS = (NAME, _string("Endpoints", _endpoints, "The endpoints' addresses."), AGE)
LEASE_COLUMNS = (
    NAME,
    _string("Holder", lambda o: _text(o, "spec", "holderIdentity"), "The lease's holder."),
    AGE,
)
RUNTIME_CLASS_COLUMNS = (NAME, _string("Handler", lambda o: _text(o, "handler"), "The CRI handler."), AGE)
HPA_V1_COLUMNS = _read_as(conversion.to_v2, HPA_COLUMNS)
