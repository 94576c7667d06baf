"""The RBAC objects karmadad starts with, as kube-apiserver creates its bootstrap roles.

- Kubernetes' ``cluster-admin``, ``admin``, ``edit`` and ``view`` ClusterRoles, with the rules, labels,
  annotations and aggregation rules kube-apiserver v1.36 gives them (``kubernetes-roles.json``; ``view``
  never reads Secrets, ``edit`` and ``admin`` do).
- ``karmadad-aggregate-to-view`` and ``karmadad-aggregate-to-edit``: Karmada's kinds, aggregated into
  ``view`` (read all), ``edit`` and ``admin`` (write policies), as Karmada's charts add them.
- ``karmadad-view``: the config's ``view`` group bound to ``view``.

Each is created when missing and otherwise left as the operator made it, so restarts re-do nothing and a
deleted binding stays deleted only until the next start (as kube-apiserver re-creates its own).
"""

from __future__ import annotations

import json
from pathlib import Path

from karmadad.api.registry import Registry
from karmadad.api.strategy import KARMADA_GROUPS, prepare_create
from karmadad.apiserver.rbac import RBAC_GROUP
from karmadad.errors import AlreadyExists
from karmadad.logs import describe_object, get_logger
from karmadad.store import Store

log = get_logger("rbac")

VIEW_GROUP = "view"  # the config's read-only group
_KUBERNETES_ROLES = Path(__file__).with_name("kubernetes-roles.json")
_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]
_AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-"


def _cluster_role(
    name: str, rules: list[dict], labels: dict, annotations: dict | None = None, **extra
) -> dict:
    meta = {"name": name, "labels": labels, **({"annotations": annotations} if annotations else {})}
    return {
        "apiVersion": f"{RBAC_GROUP}/v1",
        "kind": "ClusterRole",
        "metadata": meta,
        **extra,
        "rules": rules,
    }


def bootstrap_objects() -> list[dict]:
    """The ClusterRoles and ClusterRoleBinding karmadad makes sure exist."""
    objects = [
        _cluster_role(
            name,
            role["rules"],
            role["labels"],
            role["annotations"],
            **({"aggregationRule": role["aggregationRule"]} if "aggregationRule" in role else {}),
        )
        for name, role in json.loads(_KUBERNETES_ROLES.read_text()).items()
    ]
    karmada = sorted(KARMADA_GROUPS)
    objects += [
        _cluster_role(
            "karmadad-aggregate-to-view",
            [{"apiGroups": karmada, "resources": ["*"], "verbs": _READ}],
            {f"{_AGGREGATE}view": "true"},
        ),
        _cluster_role(
            "karmadad-aggregate-to-edit",
            [{"apiGroups": ["policy.karmada.io"], "resources": ["*"], "verbs": _WRITE}],
            {f"{_AGGREGATE}edit": "true"},
        ),
        {
            "apiVersion": f"{RBAC_GROUP}/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "karmadad-view"},
            "roleRef": {"apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": RBAC_GROUP, "kind": "Group", "name": VIEW_GROUP}],
        },
    ]
    return objects


async def seed_rbac(store: Store, registry: Registry) -> None:
    """Creates the bootstrap objects that are missing."""
    for obj in bootstrap_objects():
        resource = registry.by_kind(obj["apiVersion"], obj["kind"])
        assert resource is not None, obj["kind"]
        if store.latest(resource.group_resource, "", obj["metadata"]["name"]) is not None:
            continue
        try:
            await store.create(resource.group_resource, prepare_create(resource, obj, trusted=True))
        except AlreadyExists:  # made meanwhile by someone else: theirs stands
            continue
        log.info(
            "created a built-in RBAC object",
            object=describe_object(
                obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]
            ),
        )
