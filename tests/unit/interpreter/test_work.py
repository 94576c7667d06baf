"""Work names must be Karmada's, byte for byte; manifests must be pruned as Karmada prunes them."""

from __future__ import annotations

import copy

import pytest

from karmadad.interpreter.work import prune_manifest, safe_encode, work_name


@pytest.mark.parametrize(
    ("kind", "namespace", "name", "expected"),
    [
        ("Deployment", "default", "nginx", "nginx-687f7fb96f"),  # checked against Karmada's Go code
        ("ClusterRole", "", "system:foo", "system.foo-5f7d88f69"),  # cluster-scoped, ':' made '.'
        ("Deployment", "Default", "NGINX", "nginx-687f7fb96f"),  # the name and the whole key lower-cased
    ],
)
def test_work_name_check_values(kind: str, namespace: str, name: str, expected: str) -> None:
    assert work_name(kind, namespace, name) == expected


def test_work_name_hashes_namespace_and_kind() -> None:
    names = {
        work_name("Deployment", "default", "nginx"),
        work_name("Deployment", "other", "nginx"),
        work_name("Service", "default", "nginx"),
        work_name("Deployment", "", "nginx"),
    }
    assert len(names) == 4
    assert all(n.startswith("nginx-") for n in names)


def test_safe_encode_maps_each_digit_into_the_vowel_free_alphabet() -> None:
    assert safe_encode("0123456789") == "456789bcdf"


def _full_meta() -> dict:
    return {
        "name": "web",
        "namespace": "shop",
        "uid": "u-1",
        "resourceVersion": "7",
        "generation": 3,
        "creationTimestamp": "2024-01-01T00:00:00Z",
        "deletionTimestamp": "2024-01-02T00:00:00Z",
        "deletionGracePeriodSeconds": 30,
        "selfLink": "/apis/apps/v1/namespaces/shop/deployments/web",
        "managedFields": [{"manager": "kubectl"}],
        "ownerReferences": [{"kind": "X", "name": "x", "uid": "1", "apiVersion": "v1"}],
        "finalizers": ["f"],
        "labels": {"app": "web"},
        "annotations": {
            "deployment.kubernetes.io/revision": "4",
            "deployment.kubernetes.io/revision-history": "1,2",
            "keep": "me",
        },
    }


def test_prune_manifest_drops_server_fields_and_status_without_touching_the_input() -> None:
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _full_meta(), "spec": {"replicas": 2}}
    obj["status"] = {"replicas": 2}
    before = copy.deepcopy(obj)
    pruned = prune_manifest(obj)
    assert obj == before
    assert pruned == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "labels": {"app": "web"},
            "annotations": {"keep": "me"},
        },
        "spec": {"replicas": 2},
    }


def test_prune_manifest_job_generated_selector_and_ttl() -> None:
    generated = {"controller-uid": "u", "batch.kubernetes.io/controller-uid": "u"}
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "j"},
        "spec": {
            "ttlSecondsAfterFinished": 10,
            "selector": {"matchLabels": {**generated, "app": "j"}},
            "template": {
                "metadata": {
                    "labels": {**generated, "job-name": "j", "batch.kubernetes.io/job-name": "j", "app": "j"}
                }
            },
        },
    }
    pruned = prune_manifest(job)
    assert "ttlSecondsAfterFinished" not in pruned["spec"]
    assert pruned["spec"]["selector"]["matchLabels"] == {"app": "j"}
    assert pruned["spec"]["template"]["metadata"]["labels"] == {"app": "j"}
    manual = copy.deepcopy(job)
    manual["spec"]["manualSelector"] = True
    kept = prune_manifest(manual)
    assert kept["spec"]["selector"]["matchLabels"] == {**generated, "app": "j"}
    assert "ttlSecondsAfterFinished" not in kept["spec"]


@pytest.mark.parametrize(("cluster_ip", "kept"), [("10.0.0.1", False), ("None", True)])
def test_prune_manifest_service_cluster_ip_unless_headless(cluster_ip: str, kept: bool) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"clusterIP": cluster_ip, "clusterIPs": [cluster_ip]},
    }
    spec = prune_manifest(service)["spec"]
    assert ("clusterIP" in spec) is kept
    assert ("clusterIPs" in spec) is kept


def test_prune_manifest_service_account_token_secrets_and_pvc_node() -> None:
    account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": "sa"},
        "secrets": [{"name": "sa-token-abc"}, {"name": "mine"}],
    }
    assert prune_manifest(account)["secrets"] == [{"name": "mine"}]
    token = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "t", "annotations": {"kubernetes.io/service-account.uid": "u", "a": "b"}},
        "data": {"token": "eA=="},
    }
    pruned = prune_manifest(token)
    assert not pruned.get("data")
    assert pruned["metadata"]["annotations"] == {"a": "b"}
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "c", "annotations": {"volume.kubernetes.io/selected-node": "n1"}},
    }
    assert prune_manifest(claim)["metadata"]["annotations"] == {}
