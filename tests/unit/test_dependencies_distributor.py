"""propagateDeps' attached bindings: their name, owner, label and requiredBy merging."""

from __future__ import annotations

from karmadad.controllers.dependencies import (
    attached_binding,
    depended_by_key,
    dependencies_text,
    merged_required_by,
)

PARENT = {
    "metadata": {
        "name": "app-deployment",
        "namespace": "deps",
        "labels": {"resourcebinding.karmada.io/permanent-id": "p-1"},
    },
    "spec": {"clusters": [{"name": "member1", "replicas": 1}], "conflictResolution": "Overwrite"},
}
CONFIG = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "app-config", "namespace": "deps", "uid": "c-1"},
}


def test_the_attached_binding_of_a_dependency():
    binding = attached_binding(PARENT, CONFIG)
    meta, spec = binding["metadata"], binding["spec"]
    assert (meta["name"], meta["namespace"]) == ("app-config-configmap", "deps")
    assert meta["labels"] == {depended_by_key("deps", "app-deployment"): "p-1"}
    assert depended_by_key("deps", "app-deployment").startswith("resourcebinding.karmada.io/depended-by-")
    assert meta["ownerReferences"][0]["uid"] == "c-1" and meta["ownerReferences"][0]["controller"] is True
    assert spec["requiredBy"] == [
        {"namespace": "deps", "name": "app-deployment", "clusters": [{"name": "member1", "replicas": 1}]}
    ]
    assert "placement" not in spec and spec["conflictResolution"] == "Overwrite"


def test_required_by_entries_are_replaced_in_place_or_added():
    a = {"namespace": "deps", "name": "a", "clusters": [{"name": "m1"}]}
    b = {"namespace": "deps", "name": "b", "clusters": [{"name": "m2"}]}
    moved = {**a, "clusters": [{"name": "m3"}]}
    assert merged_required_by([], a) == [a]
    assert merged_required_by([a, b], moved) == [moved, b]
    assert merged_required_by([b], a) == [b, a]
    assert depended_by_key("deps", "a") != depended_by_key("deps", "b")


def test_dependencies_are_told_as_go_prints_them():
    by_name = {"apiVersion": "v1", "kind": "ConfigMap", "namespace": "shop", "name": "config"}
    by_labels = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "namespace": "shop",
        "labelSelector": {
            "matchLabels": {"b": "2", "a": "1"},
            "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}],
        },
    }
    assert dependencies_text([]) == "[]"
    assert dependencies_text([by_name, by_labels]) == (
        "[{APIVersion:v1 Kind:ConfigMap Namespace:shop Name:config LabelSelector:nil} "
        "{APIVersion:discovery.k8s.io/v1 Kind:EndpointSlice Namespace:shop Name: "
        "LabelSelector:&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},"
        "MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:tier,Operator:In,"
        "Values:[web api],},},}}]"
    )
