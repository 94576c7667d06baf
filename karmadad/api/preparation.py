"""What kube-apiserver's registry strategies change in an object of a built-in kind before it is validated
and stored (their ``PrepareForCreate`` / ``PrepareForUpdate``), beyond status and generation, which the
strategy module and the store handle for every kind.

- A Job without ``manualSelector`` gets a selector of its own uid, and its template the labels that
  selector and the Job's name need (``controller-uid``, ``job-name``, in the legacy and the
  ``batch.kubernetes.io/`` forms). A Job that had no labels of its own shows its template's, generated
  ones included (Go's defaulting shares the one map between the two).
- A PersistentVolume starts Pending, with the time it became so.
- A Pod starts Pending with its QoS class, and gets what the admission plugins Karmada's apiserver keeps
  give it: the priority and preemption policy of its PriorityClass, or of the global default one, or 0
  (Priority; a class that does not exist is 403), and tolerations of not-ready and unreachable nodes for
  300 s unless it tolerates them already (DefaultTolerationSeconds).
  Karmada turns the ServiceAccount plugin off, and so does karmadad: the member gives the token.
- A DaemonSet counts its template's versions in the ``deprecated.daemonset.template.generation``
  annotation: 1 when created (or the number it was given), one more whenever an update changes the
  template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from karmadad.errors import BadRequest, Forbidden
from karmadad.quantity import exact_quantity
from karmadad.store.store import now_timestamp

__all__ = ["for_create", "for_update"]

TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
_CRD = ("apiextensions.k8s.io", "CustomResourceDefinition")
_JOB_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")
_JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")


def _template_generation(obj: dict) -> int:
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION)
    if text is None:
        return 0
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f'strconv.ParseInt: parsing "{text}": invalid syntax') from None


def _with_template_generation(obj: dict, value: int) -> dict:
    meta = dict(obj.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), TEMPLATE_GENERATION: str(value)}
    return {**obj, "metadata": meta}


def _job_with_selector(job: dict, uid: str) -> dict:
    """``generateSelector``: the template labelled with the Job's uid and name, the selector on the uid."""
    meta = dict(job.get("metadata") or {})
    spec = dict(job.get("spec") or {})
    template = dict(spec.get("template") or {})
    template_meta = dict(template.get("metadata") or {})
    labels = dict(template_meta.get("labels") or {})
    follows_template = meta.get("labels") == template_meta.get("labels")
    for key in _JOB_NAME_LABELS:
        labels.setdefault(key, meta.get("name", ""))
    for key in _JOB_UID_LABELS:
        labels.setdefault(key, uid)
    template_meta["labels"] = labels
    template["metadata"] = template_meta
    selector = dict(spec.get("selector") or {})
    match_labels = dict(selector.get("matchLabels") or {})
    match_labels.setdefault("batch.kubernetes.io/controller-uid", uid)
    selector["matchLabels"] = match_labels
    spec.update(template=template, selector=selector)
    if follows_template:
        meta["labels"] = labels
    return {**job, "metadata": meta, "spec": spec}


_NODE_TAINTS = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
_COMPUTE = ("cpu", "memory")


def _tolerated(tolerations: list[dict], key: str) -> bool:
    return any(
        t.get("key") in (key, "", None) and t.get("effect") in ("NoExecute", "", None) for t in tolerations
    )


def qos_class(spec: dict) -> str:
    """``ComputePodQOS``: Guaranteed when every container limits cpu and memory and requests no other
    amounts, BestEffort when none asks for either, Burstable otherwise."""
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    for container in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        resources = container.get("resources") or {}
        for name, amount in (resources.get("requests") or {}).items():
            value = exact_quantity(amount)
            if name in _COMPUTE and value is not None and value > 0:
                requests[name] = requests.get(name, Fraction(0)) + value
        limited = set()
        for name, amount in (resources.get("limits") or {}).items():
            value = exact_quantity(amount)
            if name in _COMPUTE and value is not None and value > 0:
                limited.add(name)
                limits[name] = limits.get(name, Fraction(0)) + value
        guaranteed = guaranteed and limited == set(_COMPUTE)
    if not requests and not limits:
        return "BestEffort"
    if (
        guaranteed
        and all(limits.get(name) == amount for name, amount in requests.items())
        and len(requests) == len(limits)
    ):
        return "Guaranteed"
    return "Burstable"


# kube-apiserver's own PriorityClasses, there before anyone creates one: name -> (value, preemption policy)
SYSTEM_PRIORITY_CLASSES = {
    "system-node-critical": (2000001000, "PreemptLowerPriority"),
    "system-cluster-critical": (2000000000, "PreemptLowerPriority"),
}


@dataclass(frozen=True)
class PriorityClasses:
    """What the Priority admission plugin reads: the PriorityClass of a name (None: there is none), and the
    one marked ``globalDefault`` (None: no default, so priority 0)."""

    named: Callable[[str], dict | None]
    default: Callable[[], dict | None]

    def resolve(self, name: str) -> tuple[str, int, str] | None:
        """(name, value, preemption policy) a Pod naming ``name`` (or none) gets; None: the class is missing."""
        if not name:
            found = self.default()
            if found is None:
                return "", 0, "PreemptLowerPriority"
            return (
                found["metadata"]["name"],
                found.get("value", 0),
                found.get("preemptionPolicy") or "PreemptLowerPriority",
            )
        found = self.named(name)
        if found is not None:
            return name, found.get("value", 0), found.get("preemptionPolicy") or "PreemptLowerPriority"
        system = SYSTEM_PRIORITY_CLASSES.get(name)
        return None if system is None else (name, *system)


_NO_CLASSES = PriorityClasses(named=lambda name: None, default=lambda: None)


def _forbidden(pod: dict, detail: str) -> Forbidden:
    name = (pod.get("metadata") or {}).get("name", "")
    return Forbidden(f'pods "{name}" is forbidden: {detail}', kind="pods", name=name)


def _admitted_pod(pod: dict, classes: PriorityClasses) -> dict:
    spec = dict(pod.get("spec") or {})
    tolerations = list(spec.get("tolerations") or [])
    for key in _NODE_TAINTS:
        if not _tolerated(tolerations, key):
            tolerations.append(
                {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
            )
    spec["tolerations"] = tolerations
    resolved = classes.resolve(spec.get("priorityClassName") or "")
    if resolved is None:
        raise _forbidden(pod, f"no PriorityClass with name {spec['priorityClassName']} was found")
    class_name, priority, policy = resolved
    if spec.get("priority") is not None and spec["priority"] != priority:
        raise _forbidden(
            pod,
            f"the integer value of priority ({spec['priority']}) must not be provided in pod spec; priority "
            f"admission controller computed {priority} from the given PriorityClass name",
        )
    if spec.get("preemptionPolicy") not in (None, policy):
        raise _forbidden(
            pod,
            f"the string value of PreemptionPolicy ({spec['preemptionPolicy']}) must not be provided in pod spec; "
            f"priority admission controller computed {policy} from the given PriorityClass name",
        )
    if class_name:
        spec["priorityClassName"] = class_name
    spec["priority"], spec["preemptionPolicy"] = priority, policy
    return {**pod, "spec": spec, "status": {"phase": "Pending", "qosClass": qos_class(spec)}}


def for_create(
    group: str, kind: str, obj: dict, uid: str | None, priority_classes: PriorityClasses | None = None
) -> dict:
    """``obj`` (decoded and defaulted) as the kind's strategy prepares it for creation. ``uid`` is the one
    the object is about to get (None: not known, as for objects the controllers make); ``priority_classes``
    what the Priority plugin reads (None: none exist but kube-apiserver's own)."""
    if (group, kind) == ("batch", "Job"):
        manual = (obj.get("spec") or {}).get("manualSelector")
        return obj if manual or uid is None else _job_with_selector(obj, uid)
    if (group, kind) == ("apps", "DaemonSet"):
        return _with_template_generation(obj, max(_template_generation(obj), 1))
    if (group, kind) == ("", "Pod"):
        return _admitted_pod(obj, priority_classes or _NO_CLASSES)
    if (group, kind) == ("", "PersistentVolume"):
        return {**obj, "status": {"phase": "Pending", "lastPhaseTransitionTime": now_timestamp()}}
    if (group, kind) == _CRD:
        status = {"conditions": None, "acceptedNames": {"plural": "", "kind": ""}, "storedVersions": None}
        return {**obj, "status": with_storage_version(status, obj)}
    return obj


def for_update(group: str, kind: str, obj: dict, old: dict) -> dict:
    """``obj`` (decoded and defaulted) as the kind's strategy prepares it to replace ``old``."""
    if (group, kind) == ("apps", "DaemonSet"):
        generation = _template_generation(old)
        if (obj.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
            generation += 1
        return _with_template_generation(obj, generation)
    if (group, kind) == _CRD:
        return {**obj, "status": with_storage_version(old.get("status") or {}, obj)}
    return obj


def with_storage_version(status: dict, crd: dict) -> dict:
    """A CustomResourceDefinition's status with its storage version among the stored ones (appended once
    it is new: objects stored in earlier versions keep theirs listed)."""
    storage = next(
        (v.get("name") for v in (crd.get("spec") or {}).get("versions") or () if v.get("storage")), None
    )
    stored = list(status.get("storedVersions") or ())
    if storage is None or storage in stored:
        return status
    return {**status, "storedVersions": [*stored, storage]}
