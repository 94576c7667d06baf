"""What a member cluster owns in an object Karmada propagated, kept when Karmada updates that object.

Karmada writes a member object with a full update, so anything the member filled in after creating it
would be wiped out — and the member would fill it in again, or refuse the update (an allocated cluster IP
cannot change). Before updating, Karmada's object watcher (``pkg/util/objectwatcher``) therefore carries
over from the member's object, for every kind:

- ``resourceVersion`` (the update must name the version it replaces), ``finalizers`` and
  ``ownerReferences`` (set by the member's controllers; overrides can still set them);
- labels and annotations the member added: every key the desired object lacks, except those Karmada
  itself propagated earlier and has since dropped from the template — the keys it propagated are listed in
  the member object's ``resourcetemplate.karmada.io/managed-labels|managed-annotations`` annotations.
  Keys the desired object has win, even if the member changed their value.

Then the kind's own rule (Karmada's ``Retain`` interpreter, ``default/native/retain.go``):

- Deployment: the member's ``spec.replicas`` when labelled ``resourcetemplate.karmada.io/retain-replicas=true``
  (another controller, e.g. an HPA in the member, owns the count);
- Pod: ``nodeName``, ``serviceAccountName``, ``volumes`` and each container's ``volumeMounts`` (filled in
  by the member's scheduler and admission);
- Service: ``clusterIP`` and ``healthCheckNodePort`` (allocated by the member);
- ServiceAccount: ``secrets`` and ``imagePullSecrets`` the member added (its token controller's);
- PersistentVolumeClaim: ``volumeName``; PersistentVolume: ``claimRef`` (binding, done by the member);
- Job: the selector's ``matchLabels`` and the template's labels (the member generates the
  ``controller-uid`` ones, and they are immutable);
- Secret of type ``kubernetes.io/service-account-token``: ``data`` (the member's token).

Beyond Karmada, a Service also keeps ``clusterIPs`` and node ports (matched by port name) the desired
object leaves empty: the member's API server puts them back on every update anyway (its
``patchAllocatedValues``), so keeping them here makes the retained object what the member will hold.
An empty merged ServiceAccount list is left out rather than written as null.
"""

from __future__ import annotations

from karmadad.api.karmada.names import MANAGED_ANNOTATIONS, MANAGED_LABELS, RETAIN_REPLICAS_LABEL
from karmadad.interpreter.fields import type_key
from karmadad.jsonvalue import json_copy

_SA_TOKEN = "kubernetes.io/service-account-token"
_NODE_PORT_TYPES = frozenset({"NodePort", "LoadBalancer"})


def _meta(obj: dict) -> dict:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _spec(obj: dict) -> dict:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _set_or_drop(target: dict, key: str, value: object) -> None:
    """Karmada's setters: an empty value removes the field."""
    if value:
        target[key] = json_copy(value)
    else:
        target.pop(key, None)


def _merged_keys(desired: dict, observed: dict, record: str) -> dict:
    """``desired`` plus the member's keys, without those Karmada once propagated (listed in ``record``)
    and has dropped since."""
    dropped = set(record.split(",")) - set(desired)
    merged = dict(desired)
    for key, value in observed.items():
        if key not in dropped and key not in merged:
            merged[key] = value
    return merged


def retain_cluster_fields(desired: dict, observed: dict) -> dict:
    """The object watcher's part, for every kind: version, finalizers, owner references, member-added
    labels and annotations."""
    retained = json_copy(desired)
    meta = retained.setdefault("metadata", {})
    seen = _meta(observed)
    _set_or_drop(meta, "resourceVersion", seen.get("resourceVersion"))
    _set_or_drop(meta, "finalizers", seen.get("finalizers"))
    _set_or_drop(meta, "ownerReferences", seen.get("ownerReferences"))
    records = seen.get("annotations") or {}
    for field, managed in (("annotations", MANAGED_ANNOTATIONS), ("labels", MANAGED_LABELS)):
        merged = _merged_keys(meta.get(field) or {}, seen.get(field) or {}, records.get(managed) or "")
        if merged:
            meta[field] = merged
    return retained


def _deployment(desired: dict, observed: dict) -> None:
    if (_meta(desired).get("labels") or {}).get(RETAIN_REPLICAS_LABEL) != "true":
        return
    replicas = _spec(observed).get("replicas")
    if not isinstance(replicas, int):
        meta = _meta(observed)
        raise ValueError(
            f"failed to get spec.replicas from {observed.get('kind')} {meta.get('namespace', '')}/{meta.get('name', '')}"
        )
    desired.setdefault("spec", {})["replicas"] = replicas


def _pod(desired: dict, observed: dict) -> None:
    spec, seen = desired.setdefault("spec", {}), _spec(observed)
    for field in ("nodeName", "serviceAccountName", "volumes"):
        _set_or_drop(spec, field, seen.get(field))
    for field in ("containers", "initContainers"):
        mine = spec.get(field) or []
        for theirs in seen.get(field) or ():
            for container in mine:
                if container.get("name") == theirs.get("name"):
                    _set_or_drop(container, "volumeMounts", theirs.get("volumeMounts"))
                    break


def _service(desired: dict, observed: dict) -> None:
    spec, seen = desired.setdefault("spec", {}), _spec(observed)
    health_port = seen.get("healthCheckNodePort")
    if isinstance(health_port, int) and health_port > 0:
        spec["healthCheckNodePort"] = health_port
    if seen.get("clusterIP"):
        spec["clusterIP"] = seen["clusterIP"]
    # what the member's API server would patch in anyway
    mine, theirs = spec.get("type") or "ClusterIP", seen.get("type") or "ClusterIP"
    if "ExternalName" not in (mine, theirs) and not spec.get("clusterIPs") and seen.get("clusterIPs"):
        spec["clusterIPs"] = list(seen["clusterIPs"])
    if mine in _NODE_PORT_TYPES and theirs in _NODE_PORT_TYPES:
        ports = spec.get("ports") or []
        theirs_ports = seen.get("ports") or []
        used = {p.get("nodePort") for p in theirs_ports if p.get("nodePort")} & {
            p.get("nodePort") for p in ports if p.get("nodePort")
        }
        by_name = {p.get("name", ""): p.get("nodePort") for p in theirs_ports}
        for port in ports:
            if not port.get("nodePort"):
                allocated = by_name.get(port.get("name", ""))
                if allocated and allocated not in used:
                    port["nodePort"] = allocated


def _service_account(desired: dict, observed: dict) -> None:
    for field in ("secrets", "imagePullSecrets"):
        merged: list = []
        names: set = set()
        for entry in [*(desired.get(field) or ()), *(observed.get(field) or ())]:
            name = entry.get("name")
            if name in names:
                continue
            names.add(name)
            merged.append(json_copy(entry))
        _set_or_drop(desired, field, merged)


def _persistent_volume_claim(desired: dict, observed: dict) -> None:
    volume = _spec(observed).get("volumeName")
    if volume:
        desired.setdefault("spec", {})["volumeName"] = volume


def _persistent_volume(desired: dict, observed: dict) -> None:
    seen = _spec(observed)
    if "claimRef" in seen:
        desired.setdefault("spec", {})["claimRef"] = json_copy(seen["claimRef"])


def _job(desired: dict, observed: dict) -> None:
    seen = _spec(observed)
    match_labels = (seen.get("selector") or {}).get("matchLabels")
    if match_labels is not None:
        selector = desired.setdefault("spec", {}).setdefault("selector", {})
        selector["matchLabels"] = dict(match_labels)
    template_labels = ((seen.get("template") or {}).get("metadata") or {}).get("labels")
    if template_labels is not None:
        template = desired.setdefault("spec", {}).setdefault("template", {})
        template.setdefault("metadata", {})["labels"] = dict(template_labels)


def _secret(desired: dict, observed: dict) -> None:
    if desired.get("type") == _SA_TOKEN and observed.get("data") is not None:
        desired["data"] = dict(observed["data"])


_RULES = {
    ("apps/v1", "Deployment"): _deployment,
    ("v1", "Pod"): _pod,
    ("v1", "Service"): _service,
    ("v1", "ServiceAccount"): _service_account,
    ("v1", "PersistentVolumeClaim"): _persistent_volume_claim,
    ("v1", "PersistentVolume"): _persistent_volume,
    ("batch/v1", "Job"): _job,
    ("v1", "Secret"): _secret,
}


def has_retain_rule(obj: dict) -> bool:
    """Whether Karmada's default interpreter has a Retain rule for the object's apiVersion and kind."""
    return (obj.get("apiVersion"), obj.get("kind")) in _RULES


def retain(desired: dict, observed: dict) -> dict:
    """``desired`` as Karmada writes it over ``observed`` (the member's object): the object watcher's
    fields first, then the kind's rule. Raises ValueError when a Deployment asks to keep the member's
    replicas and the member object has none (Karmada fails the update then)."""
    retained = retain_cluster_fields(desired, observed)
    rule = _RULES.get(type_key(desired))
    if rule is not None:
        rule(retained, observed)
    return retained
