"""What a resource needs in a member cluster, as Karmada's default InterpretDependency finds it."""

from __future__ import annotations

import pytest

from karmadad.interpreter.dependencies import get_dependencies


def ref(kind: str, name: str, namespace: str = "shop") -> dict:
    return {"apiVersion": "v1", "kind": kind, "namespace": namespace, "name": name}


POD_SPEC = {
    "serviceAccountName": "runner",
    "imagePullSecrets": [{"name": "registry"}, {"name": ""}],
    "initContainers": [{"name": "init", "envFrom": [{"configMapRef": {"name": "init-env"}}]}],
    "containers": [
        {
            "name": "app",
            "envFrom": [{"secretRef": {"name": "app-secret-env"}}, {"configMapRef": {"name": "app-env"}}],
            "env": [
                {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "app-env", "key": "a"}}},
                {"name": "B", "valueFrom": {"secretKeyRef": {"name": "app-key", "key": "b"}}},
                {"name": "C", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                {"name": "D", "value": "plain"},
            ],
        }
    ],
    "ephemeralContainers": [
        {"name": "debug", "env": [{"name": "E", "valueFrom": {"secretKeyRef": {"name": "debug"}}}]}
    ],
    "volumes": [
        {"name": "cm", "configMap": {"name": "files"}},
        {"name": "sec", "secret": {"secretName": "certs"}},
        {
            "name": "proj",
            "projected": {
                "sources": [
                    {"configMap": {"name": "projected-cm"}},
                    {"secret": {"name": "projected-secret"}},
                    {"serviceAccountToken": {"path": "token"}},
                ]
            },
        },
        {"name": "csi", "csi": {"driver": "d", "nodePublishSecretRef": {"name": "csi-secret"}}},
        {"name": "azure", "azureFile": {"secretName": "azure-secret", "shareName": "s"}},
        {"name": "ceph", "cephfs": {"monitors": [], "secretRef": {"name": "ceph-secret"}}},
        {"name": "rbd", "rbd": {"monitors": [], "image": "i"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "data-again", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "empty", "emptyDir": {}},
    ],
}

POD_DEPENDENCIES = [
    ref("ConfigMap", "app-env"),
    ref("ConfigMap", "files"),
    ref("ConfigMap", "init-env"),
    ref("ConfigMap", "projected-cm"),
    ref("Secret", "app-key"),
    ref("Secret", "app-secret-env"),
    ref("Secret", "azure-secret"),
    ref("Secret", "ceph-secret"),
    ref("Secret", "certs"),
    ref("Secret", "csi-secret"),
    ref("Secret", "debug"),
    ref("Secret", "projected-secret"),
    ref("Secret", "registry"),
    ref("ServiceAccount", "runner"),
    ref("PersistentVolumeClaim", "data"),
]


def workload(api_version: str, kind: str, pod_spec: dict, **spec) -> dict:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "w", "namespace": "shop"},
        "spec": {**spec, "template": {"metadata": {}, "spec": pod_spec}},
    }


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("apps/v1", "Deployment"),
        ("apps/v1", "ReplicaSet"),
        ("apps/v1", "StatefulSet"),
        ("apps/v1", "DaemonSet"),
        ("batch/v1", "Job"),
    ],
)
def test_pod_template_workloads(api_version: str, kind: str) -> None:
    assert get_dependencies(workload(api_version, kind, POD_SPEC)) == POD_DEPENDENCIES


def test_cron_job_reads_its_job_template() -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "c", "namespace": "shop"},
        "spec": {"jobTemplate": {"spec": {"template": {"spec": POD_SPEC}}}},
    }
    assert get_dependencies(cron) == POD_DEPENDENCIES


def test_pod_reads_its_own_spec_in_its_namespace() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "other"},
        "spec": POD_SPEC,
    }
    assert get_dependencies(pod) == [{**d, "namespace": "other"} for d in POD_DEPENDENCIES]


@pytest.mark.parametrize("account", ["", "default", None])
def test_default_or_empty_service_account_is_no_dependency(account: str | None) -> None:
    spec = {"containers": [{"name": "c"}], "serviceAccountName": account}
    assert get_dependencies(workload("apps/v1", "Deployment", spec)) == []


def test_a_volume_uses_only_its_first_source_for_secrets() -> None:
    # Karmada checks a volume's sources in a fixed order and stops at the first present
    spec = {
        "volumes": [{"name": "odd", "azureFile": {"secretName": "first"}, "secret": {"secretName": "second"}}]
    }
    assert get_dependencies(workload("apps/v1", "Deployment", spec)) == [ref("Secret", "first")]


def test_stateful_set_skips_claims_of_its_volume_claim_templates() -> None:
    spec = {
        "volumes": [
            {"name": "a", "persistentVolumeClaim": {"claimName": "data"}},
            {"name": "b", "persistentVolumeClaim": {"claimName": "shared"}},
        ]
    }
    sts = workload("apps/v1", "StatefulSet", spec, volumeClaimTemplates=[{"metadata": {"name": "data"}}])
    assert get_dependencies(sts) == [ref("PersistentVolumeClaim", "shared")]
    deploy = workload("apps/v1", "Deployment", spec, volumeClaimTemplates=[{"metadata": {"name": "data"}}])
    assert get_dependencies(deploy) == [
        ref("PersistentVolumeClaim", "data"),
        ref("PersistentVolumeClaim", "shared"),
    ]


def test_ingress_needs_its_tls_secrets_in_order() -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i", "namespace": "web"},
        "spec": {
            "tls": [
                {"secretName": "z-cert", "hosts": ["a"]},
                {"secretName": "a-cert"},
                {"secretName": "z-cert"},
            ]
        },
    }
    assert get_dependencies(ingress) == [
        ref("Secret", "z-cert", "web"),
        ref("Secret", "a-cert", "web"),
        ref("Secret", "z-cert", "web"),
    ]


def test_ingress_tls_without_secret_name_fails() -> None:
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "i", "namespace": "web"},
        "spec": {"tls": [{"hosts": ["a"]}]},
    }
    with pytest.raises(ValueError, match="name and labelSelector"):
        get_dependencies(ingress)


def test_service_import_needs_its_derived_service_and_slices() -> None:
    service_import = {
        "apiVersion": "multicluster.x-k8s.io/v1alpha1",
        "kind": "ServiceImport",
        "metadata": {"name": "db", "namespace": "shop"},
    }
    assert get_dependencies(service_import) == [
        ref("Service", "derived-db"),
        {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "namespace": "shop",
            "labelSelector": {"matchLabels": {"kubernetes.io/service-name": "derived-db"}},
        },
    ]


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("v1", "ConfigMap"),
        ("v1", "Service"),
        ("apps/v1beta1", "Deployment"),
        ("extensions/v1beta1", "Ingress"),
    ],
)
def test_other_kinds_need_nothing(api_version: str, kind: str) -> None:
    assert get_dependencies(workload(api_version, kind, POD_SPEC)) == []
