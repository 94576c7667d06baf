"""Objects and look-ups the in-process controller tests share: templates, policies, Ready clusters, Events."""

from __future__ import annotations

from karmadad.api import strategy
from karmadad.api.builtin import default_registry
from karmadad.api.karmada.resources import CLUSTERS
from karmadad.events import EVENTS
from karmadad.store import Store

REGISTRY = default_registry()
NAMESPACE = "shop"


def prepared(group: str, version: str, plural: str, obj: dict) -> dict:
    return strategy.prepare_create(REGISTRY.get(group, version, plural), obj)


def policy(kind: str, selector: dict) -> dict:
    meta = {"name": "pp", "namespace": NAMESPACE} if kind == "PropagationPolicy" else {"name": "cpp"}
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": kind,
        "metadata": meta,
        "spec": {"resourceSelectors": [selector], "placement": {"clusterAffinity": {"clusterNames": ["m1"]}}},
    }


def config_map(name: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "data": {"a": "b"},
    }


def deployment(name: str) -> dict:
    labels = {"app": "long"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "i"}]},
            },
        },
    }


def events_about(store: Store, obj: dict, reason: str) -> list[dict]:
    uid = obj["metadata"]["uid"]
    return [
        e for e in store.list_all(EVENTS) if e["involvedObject"].get("uid") == uid and e["reason"] == reason
    ]


async def ready_cluster(store: Store, name: str, labels: dict[str, str] | None = None) -> None:
    """A Cluster that is Ready and serves Deployments."""
    cluster = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster",
               "metadata": {"name": name, "labels": labels or {}}, "spec": {"syncMode": "Push"}}  # fmt: skip
    created = await store.create(CLUSTERS, prepared("cluster.karmada.io", "v1alpha1", "clusters", cluster))
    status = {
        "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterReady", "message": "ok",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"}],
        "apiEnablements": [{"groupVersion": "apps/v1", "resources": [{"name": "deployments", "kind": "Deployment"}]}],
    }  # fmt: skip
    await store.update(CLUSTERS, {**created, "status": status})
