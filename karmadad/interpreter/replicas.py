"""How many replicas a workload asks for, and what each replica needs (Karmada's ``InterpretReplica``).

The scheduler divides a workload's replicas among member clusters and checks each replica's needs against
what a member has left, so a ResourceBinding carries ``spec.replicas`` and ``spec.replicaRequirements``.
Karmada's default interpreter reads them from Deployments, ReplicaSets and StatefulSets (``spec.replicas``),
Jobs (``spec.parallelism``, capped by ``spec.completions``) and Pods (always one); any other kind has no
replicas. Requirements come from the pod template: node selector, required node affinity and tolerations
(the ``nodeClaim``), and the pod's effective resource requests.

kube-apiserver defaults a workload before Karmada reads it; our store does not, so the defaults that change
the answer are applied here: absent ``spec.replicas`` is 1, a Job's absent parallelism is 1 (and so are its
completions when neither is set), and a container's absent request for a resource it has a limit on is
that limit.
"""

from __future__ import annotations

from karmadad.quantity import format_quantity, parse_quantity

# apiVersion and kind Karmada's default interpreter handles, and where the pod spec sits in each.
_SCALED = frozenset({("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet")})
_JOB = ("batch/v1", "Job")
_POD = ("v1", "Pod")

_NATIVE = frozenset({"cpu", "memory", "ephemeral-storage", "pods"})


def _container_requests(container: dict) -> dict:
    """A container's requests, with limits standing in for the requests it lacks (Kubernetes' defaulting)."""
    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}
    return {**limits, **requests} if limits else requests


def pod_requests(spec: dict) -> dict[str, float]:
    """What a pod asks of its node: its containers' sum or its largest init container, whichever is
    larger per resource, plus overhead (as the scheduler counts). Numbers: cores, bytes, counts."""
    total: dict[str, float] = {}
    for container in spec.get("containers") or ():
        for name, value in _container_requests(container).items():
            total[name] = total.get(name, 0.0) + parse_quantity(value)
    for container in spec.get("initContainers") or ():
        for name, value in _container_requests(container).items():
            total[name] = max(total.get(name, 0.0), parse_quantity(value))
    for name, value in (spec.get("overhead") or {}).items():
        total[name] = total.get(name, 0.0) + parse_quantity(value)
    return total


def _counted(name: str) -> bool:
    """Whether Karmada's resource arithmetic keeps this resource: the native ones, hugepages, attachable
    volumes and fully qualified (extended or ``kubernetes.io/``) names; anything else it drops."""
    if name in _NATIVE or name.startswith(("hugepages-", "attachable-volumes-")):
        return True
    return "/" in name and not name.startswith("requests.")


def resource_request(spec: dict) -> dict[str, str] | None:
    """The per-replica ``resourceRequest`` of a pod spec as quantity strings, or None when it asks nothing."""
    request = {
        name: format_quantity(name, amount)
        for name, amount in sorted(pod_requests(spec).items())
        if amount > 0 and _counted(name)
    }
    return request or None


def node_claim(spec: dict) -> dict | None:
    """``hardNodeAffinity``, ``nodeSelector`` and ``tolerations`` of a pod spec, or None when all are empty."""
    claim: dict = {}
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required is not None:
        claim["hardNodeAffinity"] = required
    if selector := spec.get("nodeSelector"):
        claim["nodeSelector"] = selector
    if tolerations := spec.get("tolerations"):
        claim["tolerations"] = tolerations
    return claim or None


def replica_requirements(spec: dict, namespace: str) -> dict | None:
    """Karmada's ``ReplicaRequirements`` of a pod spec: None when it neither claims nodes nor asks resources."""
    claim, request = node_claim(spec), resource_request(spec)
    if claim is None and request is None:
        return None
    requirements: dict = {}
    if claim is not None:
        requirements["nodeClaim"] = claim
    if request is not None:
        requirements["resourceRequest"] = request
    if namespace:
        requirements["namespace"] = namespace
    if priority_class := spec.get("priorityClassName"):
        requirements["priorityClassName"] = priority_class
    return requirements


def _job_replicas(spec: dict) -> int:
    """Pods a Job runs at once: its parallelism, but never more than its completions."""
    parallelism = spec.get("parallelism")
    completions = spec.get("completions")
    if parallelism is None and completions is None:
        return 1
    if parallelism is None:
        parallelism = 1
    return parallelism if completions is None else min(parallelism, completions)


def has_replica_rule(obj: dict) -> bool:
    """Whether Karmada's default interpreter reads replicas from this kind (its ``InterpretReplica`` hook)."""
    identity = (obj.get("apiVersion"), obj.get("kind"))
    return identity in _SCALED or identity in (_JOB, _POD)


def get_replicas(obj: dict) -> tuple[int, dict | None]:
    """The replica count and per-replica requirements of a resource template; (0, None) for other kinds."""
    identity = (obj.get("apiVersion"), obj.get("kind"))
    spec = obj.get("spec") or {}
    namespace = (obj.get("metadata") or {}).get("namespace") or ""
    if identity in _SCALED:
        replicas = spec.get("replicas")
        pod_spec = (spec.get("template") or {}).get("spec") or {}
        return (1 if replicas is None else replicas), replica_requirements(pod_spec, namespace)
    if identity == _JOB:
        pod_spec = (spec.get("template") or {}).get("spec") or {}
        return _job_replicas(spec), replica_requirements(pod_spec, namespace)
    if identity == _POD:
        return 1, replica_requirements(spec, namespace)
    return 0, None
