"""A Work's name, and the manifest it carries (Karmada's ``names.GenerateWorkName`` and manifest pruning).

Karmada's name must be matched exactly: users and tools look Works up by it
(``karmadactl get``, scripts waiting for ``karmada-es-<cluster>/<name>``), and an upgrade from Karmada must
find the Works it already has. It is ``<name>-<hash>``: the name lower-cased with ``:`` made ``.`` (RBAC
names allow ``:``, Work names do not), and the hash the decimal FNV-32a of
``lower("<namespace>-<name>-<kind>")`` (``lower("<name>-<kind>")`` when cluster-scoped), each digit
mapped through Kubernetes' ``SafeEncodeString`` alphabet (no vowels, so no words).

The manifest is the template without what its API server filled in and what a member must fill in
itself (Karmada's ``prune.RemoveIrrelevantFields`` with ``RemoveJobTTLSeconds``). The Work's admission
already does this to every manifest written (:mod:`karmadad.api.karmada.admission`), so
:func:`prune_manifest` is that same code on a copy, for callers that need the result before a write —
comparing a Work's manifest with a member's object, for one.
"""

from __future__ import annotations

from karmadad.api.karmada.admission import prune_in_place
from karmadad.jsonvalue import json_copy
from karmadad.scheduler.webster import fnv32a

_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def safe_encode(text: str) -> str:
    """Kubernetes' ``rand.SafeEncodeString``: each byte mapped into an alphabet without vowels."""
    return "".join(_SAFE_ALPHABET[byte % len(_SAFE_ALPHABET)] for byte in text.encode())


def work_name(kind: str, namespace: str, name: str) -> str:
    """The name Karmada gives the Work of a ``kind`` object ``namespace/name`` (``namespace`` "" when
    cluster-scoped)."""
    name = name.replace(":", ".").lower()
    key = f"{namespace}-{name}-{kind}" if namespace else f"{name}-{kind}"
    return f"{name}-{safe_encode(str(fnv32a(key.lower().encode())))}"


def prune_manifest(obj: dict) -> dict:
    """A copy of ``obj`` as a Work carries it: without ``creationTimestamp``, ``deletionTimestamp``,
    ``deletionGracePeriodSeconds``, ``generation``, ``managedFields``, ``resourceVersion``, ``selfLink``,
    ``uid``, ``ownerReferences``, ``finalizers`` and ``status``, and per kind: a Deployment's revision
    annotations; a Job's ``ttlSecondsAfterFinished`` and (unless ``manualSelector``) its generated
    selector and template labels; a ServiceAccount's ``<name>-token-*`` secrets; a Service's allocated
    ``clusterIP(s)`` (not ``None``: headless stays); a service-account token Secret's data and uid
    annotation; a PVC's ``volume.kubernetes.io/selected-node`` annotation."""
    manifest = json_copy(obj)
    prune_in_place(manifest)
    return manifest
