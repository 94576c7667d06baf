"""Whether a member's copy of a resource is healthy (Karmada's ``InterpretHealth``).

Health goes into ``work.status.manifestStatuses[].health`` and on to the binding's aggregated status, where
application failover and graceful eviction read it: an ``Unhealthy`` cluster may be evicted, ``Healthy``
and ``Unknown`` ones are kept. Karmada's default interpreter (``default/native/healthy.go``) judges:

- Deployment, StatefulSet: the controller saw the latest generation, every wanted replica is updated and
  every updated one is available (ReplicaSet: every wanted replica is available; DaemonSet: the same
  with scheduled pods);
- Service: a LoadBalancer needs an ingress with an IP or hostname, other types are healthy;
  Ingress: the same, always;
- PersistentVolumeClaim: bound; Pod: succeeded, or running and Ready; PodDisruptionBudget: at least as
  many healthy pods as it wants.

Kinds without a rule are Healthy. ``Unknown`` is Karmada's answer when the object cannot be read as its
kind (a field of the wrong type).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from karmadad.api.karmada.shapes import Health
from karmadad.interpreter.fields import Malformed, int_at, list_at, map_at, str_at, type_key

HEALTHY: Final = "Healthy"
UNHEALTHY: Final = "Unhealthy"
UNKNOWN: Final = "Unknown"


def _generation_seen(obj: dict) -> bool:
    return int_at(obj, "status", "observedGeneration") == int_at(obj, "metadata", "generation")


def _wanted(obj: dict) -> int | None:
    """``spec.replicas``, None when absent (Karmada then skips the comparison)."""
    return None if map_at(obj, "spec").get("replicas") is None else int_at(obj, "spec", "replicas")


def _rolled_out(obj: dict) -> bool:
    """Deployment and StatefulSet."""
    if not _generation_seen(obj):
        return False
    updated = int_at(obj, "status", "updatedReplicas")
    wanted = _wanted(obj)
    if wanted is not None and updated < wanted:
        return False
    return int_at(obj, "status", "availableReplicas") >= updated


def _replica_set(obj: dict) -> bool:
    if not _generation_seen(obj):
        return False
    wanted = _wanted(obj)
    return wanted is None or int_at(obj, "status", "availableReplicas") >= wanted


def _daemon_set(obj: dict) -> bool:
    if not _generation_seen(obj):
        return False
    updated = int_at(obj, "status", "updatedNumberScheduled")
    if updated < int_at(obj, "status", "desiredNumberScheduled"):
        return False
    return int_at(obj, "status", "numberAvailable") >= updated


def _has_address(obj: dict) -> bool:
    for ingress in list_at(obj, "status", "loadBalancer", "ingress"):
        if str_at(ingress, "hostname") or str_at(ingress, "ip"):
            return True
    return False


def _service(obj: dict) -> bool:
    return str_at(obj, "spec", "type") != "LoadBalancer" or _has_address(obj)


def _claim(obj: dict) -> bool:
    return str_at(obj, "status", "phase") == "Bound"


def _pod(obj: dict) -> bool:
    phase = str_at(obj, "status", "phase")
    if phase == "Succeeded":
        return True
    ready = next((c for c in list_at(obj, "status", "conditions") if str_at(c, "type") == "Ready"), None)
    return phase == "Running" and ready is not None and str_at(ready, "status") == "True"


def _disruption_budget(obj: dict) -> bool:
    return int_at(obj, "status", "currentHealthy") >= int_at(obj, "status", "desiredHealthy")


_RULES: dict[tuple[str, str], Callable[[dict], bool]] = {
    ("apps/v1", "Deployment"): _rolled_out,
    ("apps/v1", "StatefulSet"): _rolled_out,
    ("apps/v1", "ReplicaSet"): _replica_set,
    ("apps/v1", "DaemonSet"): _daemon_set,
    ("v1", "Service"): _service,
    ("networking.k8s.io/v1", "Ingress"): _has_address,
    ("v1", "PersistentVolumeClaim"): _claim,
    ("v1", "Pod"): _pod,
    ("policy/v1", "PodDisruptionBudget"): _disruption_budget,
}


def has_health_rule(obj: dict) -> bool:
    return (obj.get("apiVersion"), obj.get("kind")) in _RULES


def interpret_health(obj: dict) -> Health:
    """``Healthy``, ``Unhealthy`` or ``Unknown`` for a member's object."""
    rule = _RULES.get(type_key(obj))
    if rule is None:
        return HEALTHY
    try:
        return HEALTHY if rule(obj) else UNHEALTHY
    except Malformed:
        return UNKNOWN
