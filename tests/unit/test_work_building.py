"""Works built from bindings, and the execution controller's decision to write a member or not."""

from __future__ import annotations

from karmadad.propagation.apply_plan import Skip, Update, first_difference, plan_apply, without_karmadad_marks
from karmadad.propagation.work import conflict_resolution, desired_work, suspended_on, target_clusters
from karmadad.scheduler.snapshot import snapshot

TEMPLATE = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "nginx",
        "namespace": "default",
        "uid": "t-uid",
        "generation": 3,
        "resourceVersion": "9",
        "labels": {"app": "nginx"},
    },
    "spec": {"replicas": 4, "template": {"spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}},
}
BINDING = {
    "apiVersion": "work.karmada.io/v1alpha2",
    "kind": "ResourceBinding",
    "metadata": {
        "name": "nginx-deployment",
        "namespace": "default",
        "labels": {"resourcebinding.karmada.io/permanent-id": "b-id"},
    },
    "spec": {
        "replicas": 4,
        "clusters": [{"name": "member1", "replicas": 1}, {"name": "member2", "replicas": 3}],
        "placement": {"replicaScheduling": {"replicaSchedulingType": "Divided"}},
        "conflictResolution": "Overwrite",
    },
}
CLUSTER = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "member2"}}
OVERRIDE = {
    "apiVersion": "policy.karmada.io/v1alpha1",
    "kind": "OverridePolicy",
    "metadata": {"name": "registry", "namespace": "default"},
    "spec": {
        "overrideRules": [
            {
                "targetCluster": {"clusterNames": ["member2"]},
                "overriders": {
                    "imageOverrider": [
                        {"component": "Registry", "operator": "replace", "value": "example.com"}
                    ]
                },
            }
        ]
    },
}


def test_a_work_per_cluster_with_karmadas_name_marks_and_overrides():
    work = desired_work(
        BINDING, TEMPLATE, {"name": "member2", "replicas": 3}, snapshot(CLUSTER), [], [OVERRIDE]
    )
    meta = work["metadata"]
    assert (meta["name"], meta["namespace"]) == ("nginx-687f7fb96f", "karmada-es-member2")
    assert meta["finalizers"] == ["karmada.io/execution-controller"]
    assert meta["labels"] == {"resourcebinding.karmada.io/permanent-id": "b-id"}
    assert meta["annotations"]["resourcebinding.karmada.io/name"] == "nginx-deployment"
    assert meta["annotations"]["work.karmada.io/conflict-resolution"] == "overwrite"
    assert "registry" in meta["annotations"]["policy.karmada.io/applied-overrides"]
    manifest = work["spec"]["workload"]["manifests"][0]
    assert manifest["spec"]["replicas"] == 3
    assert manifest["spec"]["template"]["spec"]["containers"][0]["image"] == "example.com/nginx:1.27"
    labels, annotations = manifest["metadata"]["labels"], manifest["metadata"]["annotations"]
    assert (
        labels["karmada.io/managed"] == "true" and labels["resourcebinding.karmada.io/permanent-id"] == "b-id"
    )
    assert annotations["resourcetemplate.karmada.io/uid"] == "t-uid"
    assert annotations["resourcetemplate.karmada.io/generation"] == "3"
    assert annotations["work.karmada.io/name"] == "nginx-687f7fb96f"
    assert "policy.karmada.io/applied-overrides" not in annotations  # on the Work only
    assert TEMPLATE["spec"]["replicas"] == 4, "the template is not changed"
    other = desired_work(
        BINDING, TEMPLATE, {"name": "member1", "replicas": 1}, snapshot(CLUSTER), [], [OVERRIDE]
    )
    assert other["spec"]["workload"]["manifests"][0]["spec"]["replicas"] == 1


def test_targets_suspension_and_conflict_resolution():
    spec = {
        "clusters": [{"name": "a", "replicas": 1}],
        "requiredBy": [{"clusters": [{"name": "a", "replicas": 1}, {"name": "b", "replicas": 2}]}],
    }
    assert [t["name"] for t in target_clusters(spec)] == ["a", "b"]
    assert suspended_on({"suspension": {"dispatching": True}}, "a")
    assert suspended_on({"suspension": {"dispatchingOnClusters": {"clusterNames": ["b"]}}}, "b")
    assert not suspended_on({"suspension": {"dispatchingOnClusters": {"clusterNames": ["b"]}}}, "a")
    own = {"metadata": {"annotations": {"work.karmada.io/conflict-resolution": "overwrite"}}}
    assert conflict_resolution(own, {}) == "overwrite"
    bogus = {"metadata": {"annotations": {"work.karmada.io/conflict-resolution": "Yes"}}}
    assert conflict_resolution(bogus, {"conflictResolution": "Overwrite"}) == "overwrite"
    assert conflict_resolution({"metadata": {}}, {}) == "abort"


def holds(observed: dict, desired: dict) -> bool:
    return first_difference(observed, desired) is None


def test_holds_ignores_member_defaults_but_not_changed_values():
    desired = {"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "image": "x"}]}}}}
    defaulted = {
        "spec": {
            "replicas": 2,
            "strategy": {"type": "RollingUpdate"},
            "template": {
                "spec": {
                    "restartPolicy": "Always",
                    "containers": [{"name": "c", "image": "x", "imagePullPolicy": "IfNotPresent"}],
                }
            },
        }
    }
    assert holds(defaulted, desired)
    assert not holds({"spec": {**defaulted["spec"], "replicas": 3}}, desired)
    two = {
        "spec": {
            **defaulted["spec"],
            "template": {"spec": {"containers": [{"name": "c", "image": "x"}, {"name": "d"}]}},
        }
    }
    assert not holds(two, desired), "an extra list element is a change"


def test_the_plan_compares_metadata_without_resource_version_apiversion_or_kind():
    manifest = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "labels": {"x": "1"}},
        "data": {"k": "v"},
    }
    observed = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "a", "labels": {"x": "1"}, "resourceVersion": "7", "uid": "m"},
        "data": {"k": "v"},
    }
    assert plan_apply(manifest, observed, overwrite=True) == Skip()
    listed = {
        k: v for k, v in observed.items() if k not in ("apiVersion", "kind")
    }  # LIST items carry neither
    assert plan_apply(manifest, listed, overwrite=True) == Skip()
    changed = plan_apply({**manifest, "data": {"k": "w"}}, observed, overwrite=True)
    assert isinstance(changed, Update) and changed.field == ".data.k"
    relabelled = plan_apply(
        {**manifest, "metadata": {"name": "a", "labels": {"x": "2"}}}, observed, overwrite=True
    )
    assert isinstance(relabelled, Update) and relabelled.field == ".metadata.labels.x"


def test_preserved_objects_lose_karmadad_marks_only():
    obj = {
        "metadata": {
            "name": "a",
            "labels": {"app": "a", "karmada.io/managed": "true", "work.karmada.io/permanent-id": "w"},
            "annotations": {
                "note": "kept",
                "resourcetemplate.karmada.io/uid": "u",
                "work.karmada.io/name": "n",
            },
        }
    }
    stripped = without_karmadad_marks(obj)
    assert stripped["metadata"]["labels"] == {"app": "a"}
    assert stripped["metadata"]["annotations"] == {"note": "kept"}
