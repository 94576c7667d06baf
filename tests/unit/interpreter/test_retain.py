"""Updating a member object keeps what the member owns — as Karmada's object watcher and Retain do."""

from __future__ import annotations

import copy

import pytest

from karmadad.api.karmada.names import MANAGED_ANNOTATIONS, MANAGED_LABELS, RETAIN_REPLICAS_LABEL
from karmadad.interpreter.retain import has_retain_rule, retain, retain_cluster_fields


def make(api_version: str, kind: str, meta: dict | None = None, **fields) -> dict:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": "x", "namespace": "ns", **(meta or {})},
        **fields,
    }


# --------------------------------------------------------------------------- every kind


def test_version_finalizers_and_owner_references_come_from_the_member() -> None:
    desired = make("v1", "ConfigMap", {"finalizers": ["mine"], "resourceVersion": "1"}, data={"a": "1"})
    owner = [{"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u"}]
    observed = make(
        "v1",
        "ConfigMap",
        {"resourceVersion": "42", "finalizers": ["theirs"], "ownerReferences": owner},
        data={},
    )
    retained = retain(desired, observed)
    assert retained["metadata"]["resourceVersion"] == "42"
    assert retained["metadata"]["finalizers"] == ["theirs"]
    assert retained["metadata"]["ownerReferences"] == owner
    assert retained["data"] == {"a": "1"}


def test_fields_the_member_lacks_are_removed() -> None:
    desired = make(
        "v1",
        "ConfigMap",
        {"finalizers": ["mine"], "ownerReferences": [{"name": "o"}], "resourceVersion": "3"},
    )
    retained = retain(desired, make("v1", "ConfigMap"))
    for field in ("finalizers", "ownerReferences", "resourceVersion"):
        assert field not in retained["metadata"]


def test_member_added_labels_and_annotations_are_kept_dropped_ones_are_not() -> None:
    desired = make(
        "v1",
        "ConfigMap",
        {
            "labels": {"app": "web", "tier": "front"},
            "annotations": {"note": "karmada", MANAGED_LABELS: "app,tier", MANAGED_ANNOTATIONS: "note"},
        },
    )
    observed = make(
        "v1",
        "ConfigMap",
        {
            "labels": {"app": "changed-in-member", "old": "propagated-before", "member": "added"},
            "annotations": {
                "note": "edited",
                "was": "propagated-before",
                "member.io/added": "yes",
                MANAGED_LABELS: "app,old",
                MANAGED_ANNOTATIONS: "note,was",
            },
        },
    )
    meta = retain(desired, observed)["metadata"]
    assert meta["labels"] == {"app": "web", "tier": "front", "member": "added"}
    assert meta["annotations"] == {
        "note": "karmada",
        "member.io/added": "yes",
        MANAGED_LABELS: "app,tier",
        MANAGED_ANNOTATIONS: "note",
    }


def test_without_a_managed_record_every_member_key_is_kept() -> None:
    desired = make("v1", "ConfigMap")
    observed = make("v1", "ConfigMap", {"labels": {"a": "1"}, "annotations": {"b": "2"}})
    meta = retain(desired, observed)["metadata"]
    assert meta["labels"] == {"a": "1"}
    assert meta["annotations"] == {"b": "2"}


def test_inputs_are_untouched_and_not_shared() -> None:
    desired = make("v1", "Pod", spec={"containers": [{"name": "c"}]})
    observed = make("v1", "Pod", {"finalizers": ["f"]}, spec={"nodeName": "n", "volumes": [{"name": "v"}]})
    before = copy.deepcopy((desired, observed))
    retained = retain(desired, observed)
    assert (desired, observed) == before
    retained["spec"]["volumes"][0]["name"] = "changed"
    retained["metadata"]["finalizers"].append("g")
    assert (desired, observed) == before


def test_retain_cluster_fields_alone_skips_the_kind_rule() -> None:
    desired = make("v1", "Service", spec={"clusterIP": ""})
    observed = make("v1", "Service", {"resourceVersion": "9"}, spec={"clusterIP": "10.0.0.1"})
    retained = retain_cluster_fields(desired, observed)
    assert retained["metadata"]["resourceVersion"] == "9"
    assert retained["spec"] == {"clusterIP": ""}


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("apps/v1", "Deployment", True),
        ("v1", "Pod", True),
        ("v1", "Service", True),
        ("v1", "ServiceAccount", True),
        ("v1", "PersistentVolumeClaim", True),
        ("v1", "PersistentVolume", True),
        ("batch/v1", "Job", True),
        ("v1", "Secret", True),
        ("apps/v1", "StatefulSet", False),
        ("v1", "ConfigMap", False),
    ],
)
def test_kinds_with_a_rule(api_version: str, kind: str, expected: bool) -> None:
    assert has_retain_rule({"apiVersion": api_version, "kind": kind}) is expected


# --------------------------------------------------------------------------- per kind


def test_deployment_keeps_member_replicas_only_when_labelled() -> None:
    observed = make("apps/v1", "Deployment", spec={"replicas": 7})
    plain = make("apps/v1", "Deployment", spec={"replicas": 2})
    assert retain(plain, observed)["spec"]["replicas"] == 2
    labelled = make(
        "apps/v1", "Deployment", {"labels": {RETAIN_REPLICAS_LABEL: "true"}}, spec={"replicas": 2}
    )
    assert retain(labelled, observed)["spec"]["replicas"] == 7
    other_value = make(
        "apps/v1", "Deployment", {"labels": {RETAIN_REPLICAS_LABEL: "yes"}}, spec={"replicas": 2}
    )
    assert retain(other_value, observed)["spec"]["replicas"] == 2


def test_deployment_retain_label_added_in_the_member_counts() -> None:
    desired = make("apps/v1", "Deployment", spec={"replicas": 2})
    observed = make(
        "apps/v1", "Deployment", {"labels": {RETAIN_REPLICAS_LABEL: "true"}}, spec={"replicas": 5}
    )
    assert retain(desired, observed)["spec"]["replicas"] == 5


def test_deployment_retain_without_member_replicas_fails() -> None:
    desired = make("apps/v1", "Deployment", {"labels": {RETAIN_REPLICAS_LABEL: "true"}}, spec={"replicas": 2})
    with pytest.raises(ValueError, match=r"spec\.replicas"):
        retain(desired, make("apps/v1", "Deployment", spec={}))


def test_the_retain_label_does_nothing_for_a_statefulset() -> None:
    desired = make(
        "apps/v1", "StatefulSet", {"labels": {RETAIN_REPLICAS_LABEL: "true"}}, spec={"replicas": 2}
    )
    observed = make("apps/v1", "StatefulSet", spec={"replicas": 5})
    assert retain(desired, observed)["spec"]["replicas"] == 2


def test_pod_keeps_scheduling_account_volumes_and_mounts() -> None:
    desired = make(
        "v1",
        "Pod",
        spec={
            "nodeName": "wanted",
            "containers": [
                {"name": "a", "volumeMounts": [{"name": "mine"}]},
                {"name": "b", "volumeMounts": [{"name": "x"}]},
            ],
            "initContainers": [{"name": "i"}],
        },
    )
    observed = make(
        "v1",
        "Pod",
        spec={
            "nodeName": "node-1",
            "serviceAccountName": "default",
            "volumes": [{"name": "token"}],
            "containers": [{"name": "a", "volumeMounts": [{"name": "token"}]}, {"name": "z"}, {"name": "b"}],
            "initContainers": [{"name": "i", "volumeMounts": [{"name": "token"}]}],
        },
    )
    spec = retain(desired, observed)["spec"]
    assert spec["nodeName"] == "node-1"
    assert spec["serviceAccountName"] == "default"
    assert spec["volumes"] == [{"name": "token"}]
    assert spec["containers"] == [{"name": "a", "volumeMounts": [{"name": "token"}]}, {"name": "b"}]
    assert spec["initContainers"] == [{"name": "i", "volumeMounts": [{"name": "token"}]}]


def test_pod_fields_the_member_lacks_are_dropped() -> None:
    desired = make("v1", "Pod", spec={"nodeName": "wanted", "volumes": [{"name": "v"}], "containers": []})
    spec = retain(desired, make("v1", "Pod", spec={}))["spec"]
    assert "nodeName" not in spec
    assert "volumes" not in spec


def test_service_keeps_allocated_ip_and_health_check_port() -> None:
    desired = make("v1", "Service", spec={"type": "ClusterIP", "ports": [{"name": "http", "port": 80}]})
    observed = make(
        "v1",
        "Service",
        spec={
            "type": "ClusterIP",
            "clusterIP": "10.0.0.9",
            "clusterIPs": ["10.0.0.9"],
            "healthCheckNodePort": 31000,
        },
    )
    spec = retain(desired, observed)["spec"]
    assert spec["clusterIP"] == "10.0.0.9"
    assert spec["clusterIPs"] == ["10.0.0.9"]
    assert spec["healthCheckNodePort"] == 31000
    assert spec["ports"] == [{"name": "http", "port": 80}]  # ClusterIP type: no node ports


def test_service_without_member_allocation_keeps_desired() -> None:
    desired = make("v1", "Service", spec={"clusterIP": "None", "healthCheckNodePort": 0})
    observed = make("v1", "Service", spec={"clusterIP": "", "healthCheckNodePort": 0})
    spec = retain(desired, observed)["spec"]
    assert spec == {"clusterIP": "None", "healthCheckNodePort": 0}


def test_service_node_ports_matched_by_name_unless_taken() -> None:
    desired = make(
        "v1",
        "Service",
        spec={
            "type": "NodePort",
            "ports": [
                {"name": "http", "port": 80},
                {"name": "https", "port": 443},
                {"name": "admin", "port": 8080, "nodePort": 30002},
                {"name": "new", "port": 9000},
            ],
        },
    )
    observed = make(
        "v1",
        "Service",
        spec={
            "type": "LoadBalancer",
            "ports": [
                {"name": "http", "port": 80, "nodePort": 30001},
                {"name": "https", "port": 443, "nodePort": 30002},
            ],
        },
    )
    ports = retain(desired, observed)["spec"]["ports"]
    assert ports == [
        {"name": "http", "port": 80, "nodePort": 30001},
        {"name": "https", "port": 443},  # 30002 is already asked for by "admin"
        {"name": "admin", "port": 8080, "nodePort": 30002},
        {"name": "new", "port": 9000},
    ]


def test_service_account_merges_member_secrets_after_desired_ones() -> None:
    desired = make("v1", "ServiceAccount", secrets=[{"name": "mine"}], imagePullSecrets=[{"name": "pull"}])
    observed = make(
        "v1",
        "ServiceAccount",
        secrets=[{"name": "x-token-abc"}, {"name": "mine"}],
        imagePullSecrets=[{"name": "x-dockercfg"}],
    )
    retained = retain(desired, observed)
    assert retained["secrets"] == [{"name": "mine"}, {"name": "x-token-abc"}]
    assert retained["imagePullSecrets"] == [{"name": "pull"}, {"name": "x-dockercfg"}]
    empty = retain(make("v1", "ServiceAccount"), make("v1", "ServiceAccount"))
    assert "secrets" not in empty
    assert "imagePullSecrets" not in empty


def test_claim_keeps_volume_name_and_volume_keeps_claim_ref() -> None:
    claim = retain(
        make("v1", "PersistentVolumeClaim", spec={}),
        make("v1", "PersistentVolumeClaim", spec={"volumeName": "pv-1"}),
    )
    assert claim["spec"]["volumeName"] == "pv-1"
    unbound = retain(
        make("v1", "PersistentVolumeClaim", spec={"volumeName": "wanted"}),
        make("v1", "PersistentVolumeClaim", spec={}),
    )
    assert unbound["spec"]["volumeName"] == "wanted"
    ref = {"kind": "PersistentVolumeClaim", "namespace": "ns", "name": "c"}
    volume = retain(
        make("v1", "PersistentVolume", spec={"capacity": {}}),
        make("v1", "PersistentVolume", spec={"claimRef": ref}),
    )
    assert volume["spec"] == {"capacity": {}, "claimRef": ref}


def test_job_keeps_the_members_selector_and_template_labels() -> None:
    desired = make(
        "batch/v1",
        "Job",
        spec={"template": {"metadata": {"labels": {"app": "j"}}, "spec": {"containers": []}}},
    )
    generated = {
        "batch.kubernetes.io/controller-uid": "u1",
        "controller-uid": "u1",
        "app": "j",
        "job-name": "x",
    }
    observed = make(
        "batch/v1",
        "Job",
        spec={
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}},
            "template": {"metadata": {"labels": generated}},
        },
    )
    spec = retain(desired, observed)["spec"]
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}}
    assert spec["template"] == {"metadata": {"labels": generated}, "spec": {"containers": []}}


def test_service_account_token_secret_keeps_member_data_others_do_not() -> None:
    observed = make("v1", "Secret", type="kubernetes.io/service-account-token", data={"token": "dA=="})
    token = make("v1", "Secret", type="kubernetes.io/service-account-token")
    assert retain(token, observed)["data"] == {"token": "dA=="}
    opaque = make("v1", "Secret", type="Opaque", data={"a": "Yg=="})
    assert retain(opaque, observed)["data"] == {"a": "Yg=="}
