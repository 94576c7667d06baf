"""Server-side apply and managedFields bookkeeping."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karmadad.api.schemas import SchemaNode
from karmadad.apiserver.apply import (
    fields_to_paths,
    owners,
    path_string,
    paths_to_fields,
    server_side_apply,
    update_managed_fields,
)
from karmadad.errors import BadRequest, Conflict, Invalid

T0, T1, T2, T3 = (f"2025-06-0{day}T10:00:00Z" for day in range(1, 5))


def config(**changes: Any) -> dict[str, Any]:
    """What ``kubectl apply --server-side`` sends for a small Deployment."""
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "ports": [{"containerPort": 80}],
                            "env": [{"name": "A", "value": "1"}],
                        }
                    ]
                },
            },
        },
    }
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = obj
        for part in parents:
            node = node[part]
        if value is _REMOVE:
            node.pop(last, None)
        else:
            node[last] = value
    return obj


_REMOVE = object()


def apply(
    live: dict | None,
    applied: dict,
    manager: str = "kubectl",
    *,
    force: bool = False,
    now: str = T0,
    **kw: Any,
) -> dict:
    live_before = copy.deepcopy(live)
    applied_before = copy.deepcopy(applied)
    result = server_side_apply(
        live,
        applied,
        manager=manager,
        force=force,
        api_version=kw.pop("api_version", applied.get("apiVersion", "apps/v1")),
        kind=kw.pop("kind", applied.get("kind", "Deployment")),
        now=now,
        **kw,
    )
    assert live == live_before, "the live object was changed"
    assert applied == applied_before, "the applied object was changed"
    return stored(result)


def stored(obj: dict) -> dict:
    """What the store adds on create."""
    meta = obj.setdefault("metadata", {})
    meta.setdefault("uid", "6f1c-uid")
    meta.setdefault("resourceVersion", "1")
    meta.setdefault("creationTimestamp", T0)
    return obj


def update(old: dict | None, new: dict, manager: str, now: str = T1, **kw: Any) -> dict:
    old_before = copy.deepcopy(old)
    new_before = copy.deepcopy(new)
    result = update_managed_fields(
        old, new, manager=manager, api_version=new.get("apiVersion", "apps/v1"), now=now, **kw
    )
    assert old == old_before and new == new_before
    return result


def managed(obj: dict) -> dict[tuple[str, str], dict]:
    return {(e["manager"], e["operation"]): e for e in obj["metadata"].get("managedFields", [])}


def owned(obj: dict, manager: str, operation: str = "Apply") -> set[str]:
    for name, op, paths in owners(obj):
        if (name, op) == (manager, operation):
            return {path_string(path) for path in paths}
    return set()


def containers(obj: dict) -> list[dict]:
    return obj["spec"]["template"]["spec"]["containers"]


NGINX = '[name="nginx"]'


# -- create ---------------------------------------------------------------------------------------


def test_create_records_the_applied_fields_as_kube_apiserver_does() -> None:
    result = server_side_apply(
        None, config(), manager="kubectl", force=False, api_version="apps/v1", kind="Deployment", now=T0
    )
    expected = config()
    expected["metadata"]["managedFields"] = [
        {
            "manager": "kubectl",
            "operation": "Apply",
            "apiVersion": "apps/v1",
            "time": T0,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:replicas": {},
                    "f:selector": {},
                    "f:template": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {
                            "f:containers": {
                                'k:{"name":"nginx"}': {
                                    ".": {},
                                    "f:env": {'k:{"name":"A"}': {".": {}, "f:name": {}, "f:value": {}}},
                                    "f:image": {},
                                    "f:name": {},
                                    "f:ports": {
                                        'k:{"containerPort":80,"protocol":"TCP"}': {
                                            ".": {},
                                            "f:containerPort": {},
                                        }
                                    },
                                }
                            }
                        },
                    },
                },
            },
        }
    ]
    assert result == expected


def test_server_owned_parts_of_the_body_are_ignored() -> None:
    body = config()
    body["metadata"].update(
        resourceVersion="99", uid="forged", creationTimestamp=None, generation=7, deletionTimestamp=T3
    )
    body["status"] = {"replicas": 100}
    body["spec"]["template"]["metadata"]["creationTimestamp"] = None
    result = apply(None, body)
    assert result["metadata"]["uid"] == "6f1c-uid"
    assert result["metadata"]["resourceVersion"] == "1"
    assert "generation" not in result["metadata"]
    assert "deletionTimestamp" not in result["metadata"]
    assert "status" not in result
    assert "creationTimestamp" not in result["spec"]["template"]["metadata"]
    assert ".spec.template.metadata.creationTimestamp" in owned(result, "kubectl")
    assert not any(path.startswith((".status", ".metadata.uid")) for path in owned(result, "kubectl"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {**config(), "metadata": {"name": "web", "managedFields": []}},
            "metadata.managedFields must be nil",
        ),
        (
            {**config(), "apiVersion": "apps/v1beta1"},
            "Specified patch version: apps/v1beta1, expected: apps/v1",
        ),
        ({**config(), "kind": "StatefulSet"}, "Specified kind: StatefulSet, expected: Deployment"),
        ({k: v for k, v in config().items() if k != "apiVersion"}, "Specified patch version: , expected"),
        ({**config(), "metadata": "web"}, "metadata must be an object"),
    ],
)
def test_bodies_kube_apiserver_refuses(body: dict, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        server_side_apply(
            None, body, manager="m", force=False, api_version="apps/v1", kind="Deployment", now=T0
        )


def test_a_manager_is_required() -> None:
    with pytest.raises(BadRequest, match="fieldManager"):
        server_side_apply(
            None, config(), manager="", force=False, api_version="apps/v1", kind="Deployment", now=T0
        )


def test_keyed_lists_with_duplicate_or_missing_keys_are_invalid() -> None:
    twice = config()
    containers(twice).append({"name": "nginx", "image": "other"})
    with pytest.raises(Invalid) as caught:
        apply(None, twice)
    status = caught.value.status()
    assert status["code"] == 422
    assert status["details"]["causes"][0]["field"] == "spec.template.spec.containers"
    assert 'duplicate entries for key [name="nginx"]' in status["message"]
    nameless = config()
    containers(nameless).append({"image": "other"})
    with pytest.raises(Invalid, match='omits key field "name"'):
        apply(None, nameless)


# -- one manager ----------------------------------------------------------------------------------


def test_reapplying_the_same_config_changes_nothing() -> None:
    live = apply(None, config(), now=T0)
    again = apply(live, config(), now=T1)
    assert again == live
    assert managed(again)[("kubectl", "Apply")]["time"] == T0


def test_a_change_is_merged_and_the_time_moves() -> None:
    live = apply(None, config(), now=T0)
    new_image = config()
    containers(new_image)[0]["image"] = "nginx:1.28"
    result = apply(live, new_image, now=T1)
    assert containers(result)[0]["image"] == "nginx:1.28"
    assert result["metadata"]["uid"] == live["metadata"]["uid"]
    assert managed(result)[("kubectl", "Apply")]["time"] == T1


def test_fields_dropped_from_the_config_are_removed() -> None:
    live = apply(None, config(**{"metadata__labels": {"app": "web", "tier": "fe"}}), now=T0)
    live["status"] = {"replicas": 2}
    slimmer = config(spec__replicas=_REMOVE)
    containers(slimmer)[0].pop("env")
    result = apply(live, slimmer, now=T1)
    assert result["metadata"]["labels"] == {"app": "web"}
    assert "replicas" not in result["spec"]
    assert "env" not in containers(result)[0]
    assert result["status"] == {"replicas": 2}
    assert ".spec.replicas" not in owned(result, "kubectl")
    assert ".metadata.labels.tier" not in owned(result, "kubectl")


def test_dropping_every_label_removes_the_map() -> None:
    live = apply(None, config())
    result = apply(live, config(metadata__labels=_REMOVE))
    assert "labels" not in result["metadata"]
    assert result["metadata"]["name"] == "web"


def test_a_dropped_container_is_removed_and_a_new_one_added() -> None:
    two = config()
    containers(two).append({"name": "sidecar", "image": "busybox"})
    live = apply(None, two)
    other = config()
    containers(other)[0] = {"name": "logger", "image": "fluentbit"}
    result = apply(live, other)
    assert [c["name"] for c in containers(result)] == ["logger"]
    assert f".spec.template.spec.containers{NGINX}" not in owned(result, "kubectl")


def test_fields_nobody_owns_survive_a_reapply() -> None:
    live = apply(None, config())
    # defaulted by the server, never applied by anyone
    live["spec"]["strategy"] = {"type": "RollingUpdate"}
    containers(live)[0]["imagePullPolicy"] = "IfNotPresent"
    result = apply(live, config(spec__replicas=3))
    assert result["spec"]["strategy"] == {"type": "RollingUpdate"}
    assert containers(result)[0]["imagePullPolicy"] == "IfNotPresent"
    assert result["spec"]["replicas"] == 3


def test_objects_without_managed_fields_have_no_owners_to_conflict_with() -> None:
    created = config(spec__replicas=5)  # e.g. created by a plain POST
    stored(created)
    result = apply(created, config(), "kubectl")
    assert result["spec"]["replicas"] == 2
    assert list(managed(result)) == [("kubectl", "Apply")]


def test_applying_null_clears_a_field() -> None:
    live = apply(None, config())
    result = apply(live, config(spec__replicas=None))
    assert "replicas" not in result["spec"]
    assert ".spec.replicas" in owned(result, "kubectl")


def test_ports_without_protocol_match_the_defaulted_live_port() -> None:
    live = apply(None, config())
    containers(live)[0]["ports"][0]["protocol"] = "TCP"  # defaulted by the server
    named = config()
    containers(named)[0]["ports"] = [{"containerPort": 80, "name": "http"}]
    result = apply(live, named)
    assert containers(result)[0]["ports"] == [{"containerPort": 80, "protocol": "TCP", "name": "http"}]


# -- several managers -----------------------------------------------------------------------------


def test_another_manager_changing_an_owned_field_conflicts() -> None:
    live = apply(None, config(), "kubectl")
    with pytest.raises(Conflict) as caught:
        apply(live, config(spec__replicas=5), "helm")
    status = caught.value.status()
    assert status["code"] == 409
    assert status["reason"] == "Conflict"
    assert status["message"] == 'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas'
    assert status["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "kubectl"', "field": ".spec.replicas"}
    ]


def test_conflict_with_an_update_manager_names_its_version() -> None:
    live = apply(None, config())
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 4
    scaled = update(live, scaled, "kubectl-client-side-apply")
    with pytest.raises(Conflict) as caught:
        apply(scaled, config(), "kubectl")
    assert caught.value.message == (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas'
    )


def test_several_conflicts_are_listed_by_manager() -> None:
    live = apply(None, config(), "kubectl")
    changed = config(spec__replicas=9)
    containers(changed)[0]["image"] = "nginx:2"
    with pytest.raises(Conflict) as caught:
        apply(live, changed, "helm")
    assert caught.value.message == (
        'Apply failed with 2 conflicts: conflicts with "kubectl":\n'
        "- .spec.replicas\n"
        f"- .spec.template.spec.containers{NGINX}.image"
    )
    assert [c.field for c in caught.value.causes] == [
        ".spec.replicas",
        f".spec.template.spec.containers{NGINX}.image",
    ]


def test_the_same_value_is_shared_without_conflict() -> None:
    live = apply(None, config(), "kubectl")
    result = apply(live, config(), "helm")
    assert result["spec"] == live["spec"]
    assert ".spec.replicas" in owned(result, "kubectl")
    assert ".spec.replicas" in owned(result, "helm")
    # one of them dropping a shared field keeps it: the other still owns it
    after = apply(result, config(spec__replicas=_REMOVE), "helm")
    assert after["spec"]["replicas"] == 2
    assert ".spec.replicas" not in owned(after, "helm")


def test_force_takes_the_field_over() -> None:
    live = apply(None, config(), "kubectl")
    result = apply(live, config(spec__replicas=5), "helm", force=True, now=T1)
    assert result["spec"]["replicas"] == 5
    assert ".spec.replicas" in owned(result, "helm")
    assert ".spec.replicas" not in owned(result, "kubectl")
    assert f".spec.template.spec.containers{NGINX}.image" in owned(result, "kubectl")
    # kubectl no longer owns replicas: dropping it from its config leaves helm's value
    after = apply(result, config(spec__replicas=_REMOVE), "kubectl", now=T2)
    assert after["spec"]["replicas"] == 5


def test_force_drops_an_entry_left_empty() -> None:
    live = apply(None, config(), "kubectl")
    scaled = copy.deepcopy(live)
    scaled["spec"]["replicas"] = 4
    scaled = update(live, scaled, "kubectl-scale")
    result = apply(scaled, config(), "kubectl", force=True)
    assert result["spec"]["replicas"] == 2
    assert [(e["manager"], e["operation"]) for e in result["metadata"]["managedFields"]] == [
        ("kubectl", "Apply")
    ]


def test_a_field_another_manager_set_inside_a_dropped_container_stays() -> None:
    two = config()
    containers(two).append({"name": "sidecar", "image": "busybox"})
    live = apply(None, two, "kubectl")
    edited = copy.deepcopy(live)
    containers(edited)[1]["resources"] = {"limits": {"cpu": "1"}}
    edited = update(live, edited, "kubectl-edit")
    result = apply(edited, config(), "kubectl")
    assert containers(result) == [
        containers(live)[0],
        {"name": "sidecar", "resources": {"limits": {"cpu": "1"}}},
    ]
    assert list(containers(result)[1]) == ["name", "resources"]


def test_keyed_lists_merge_across_appliers() -> None:
    schema = SchemaNode(
        {
            "type": "object",
            "properties": {
                "list": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {"name": {"type": "string"}}},
                }
            },
        }
    )

    def body(*names: str) -> dict:
        return {
            "apiVersion": "test/v1",
            "kind": "Thing",
            "metadata": {"name": "t"},
            "list": [{"name": n} for n in names],
        }

    live = apply(None, body("a", "b", "c"), "one", schema=schema)
    live = apply(live, body("c", "d"), "two", schema=schema)
    assert [item["name"] for item in live["list"]] == ["a", "b", "c", "d"]
    live = apply(live, body("a"), "one", schema=schema)
    assert [item["name"] for item in live["list"]] == ["a", "c", "d"]
    assert owned(live, "one") == {'.list[name="a"]', '.list[name="a"].name'}
    assert owned(live, "two") == {
        '.list[name="c"]',
        '.list[name="c"].name',
        '.list[name="d"]',
        '.list[name="d"].name',
    }


def test_applied_order_wins_and_live_only_items_stay_near_their_neighbours() -> None:
    schema = SchemaNode(
        {
            "type": "object",
            "properties": {
                "list": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object"},
                }
            },
        }
    )
    live = {
        "apiVersion": "test/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "list": [{"name": "a"}, {"name": "x"}, {"name": "b"}],
    }
    body = {
        "apiVersion": "test/v1",
        "kind": "Thing",
        "metadata": {"name": "t"},
        "list": [{"name": "b"}, {"name": "a"}],
    }
    result = apply(live, body, "one", schema=schema)
    assert [item["name"] for item in result["list"]] == ["x", "b", "a"]


def test_set_items_interleave_with_items_another_manager_added() -> None:
    schema = SchemaNode(
        {
            "type": "object",
            "properties": {
                "list": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}
            },
        }
    )

    def body(*values: str) -> dict:
        return {"apiVersion": "test/v1", "kind": "Thing", "metadata": {"name": "t"}, "list": list(values)}

    live = apply(None, body("a", "c"), "default", schema=schema)
    by_controller = {**copy.deepcopy(live), "list": ["a", "b", "c", "d"]}
    live = update(live, by_controller, "controller", schema=schema)
    assert owned(live, "controller", "Update") == {'.list[="b"]', '.list[="d"]'}
    result = apply(live, body("a", "aprime", "c", "cprime"), "default", schema=schema)
    assert result["list"] == ["a", "b", "aprime", "c", "d", "cprime"]
    assert owned(result, "default") == {'.list[="a"]', '.list[="aprime"]', '.list[="c"]', '.list[="cprime"]'}


def test_sets_merge_and_prune_per_value() -> None:
    live = apply(None, config(metadata__finalizers=["example.com/a"]), "one")
    live = apply(live, config(metadata__finalizers=["example.com/b"]), "two")
    assert live["metadata"]["finalizers"] == ["example.com/a", "example.com/b"]
    assert '.metadata.finalizers[="example.com/b"]' in owned(live, "two")
    live = apply(live, config(metadata__finalizers=_REMOVE), "one")
    assert live["metadata"]["finalizers"] == ["example.com/b"]


def test_atomic_lists_and_maps_are_replaced_whole() -> None:
    live = apply(None, config(spec__selector={"matchLabels": {"app": "web", "x": "y"}}))
    with_args = config()
    containers(with_args)[0]["args"] = ["--a", "--b"]
    live = apply(live, with_args)
    containers(with_args)[0]["args"] = ["--c"]
    result = apply(live, with_args)
    assert containers(result)[0]["args"] == ["--c"]
    assert result["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert ".spec.selector" in owned(result, "kubectl")
    assert f".spec.template.spec.containers{NGINX}.args" in owned(result, "kubectl")


def test_kinds_without_a_schema_merge_objects_and_replace_lists() -> None:
    policy = {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": "PropagationPolicy",
        "metadata": {"name": "web", "namespace": "default", "finalizers": ["karmada.io/a"]},
        "spec": {
            "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
            "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]}},
        },
    }
    live = apply(None, policy, "kubectl")
    assert ".spec.resourceSelectors" in owned(live, "kubectl")
    assert '.metadata.finalizers[="karmada.io/a"]' in owned(live, "kubectl")  # standard metadata still known
    smaller = copy.deepcopy(policy)
    smaller["spec"]["placement"]["clusterAffinity"]["clusterNames"] = ["member3"]
    del smaller["spec"]["resourceSelectors"]
    result = apply(live, smaller, "kubectl")
    assert result["spec"] == {"placement": {"clusterAffinity": {"clusterNames": ["member3"]}}}


# -- update entries -------------------------------------------------------------------------------


def test_create_by_update_records_every_field() -> None:
    created = update(None, config(), "kubectl-create", now=T0)
    entry = managed(created)[("kubectl-create", "Update")]
    assert entry["apiVersion"] == "apps/v1"
    assert entry["time"] == T0
    assert f".spec.template.spec.containers{NGINX}.image" in owned(created, "kubectl-create", "Update")
    assert ".metadata.name" not in owned(created, "kubectl-create", "Update")


def test_an_update_takes_the_fields_it_changes() -> None:
    live = apply(None, config(), "kubectl")
    edited = copy.deepcopy(live)
    edited["spec"]["replicas"] = 3
    edited["metadata"]["labels"]["team"] = "blue"
    result = update(live, edited, "kubectl-edit", now=T1)
    assert owned(result, "kubectl-edit", "Update") == {".spec.replicas", ".metadata.labels.team"}
    assert ".spec.replicas" not in owned(result, "kubectl")
    assert result["spec"]["replicas"] == 3
    # entries sort Apply first, then by time
    assert [e["operation"] for e in result["metadata"]["managedFields"]] == ["Apply", "Update"]
    # a second edit by the same manager adds to its entry
    again = copy.deepcopy(result)
    again["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:2"
    again = update(result, again, "kubectl-edit", now=T2)
    assert owned(again, "kubectl-edit", "Update") == {
        ".spec.replicas",
        ".metadata.labels.team",
        f".spec.template.spec.containers{NGINX}.image",
    }
    assert managed(again)[("kubectl-edit", "Update")]["time"] == T2


def test_an_update_that_changes_nothing_leaves_the_entries() -> None:
    live = apply(None, config(), "kubectl")
    same = copy.deepcopy(live)
    same["metadata"]["resourceVersion"] = "2"  # untracked
    result = update(live, same, "controller")
    assert result["metadata"]["managedFields"] == live["metadata"]["managedFields"]


def test_removed_fields_lose_their_owners() -> None:
    live = apply(None, config(), "kubectl")
    trimmed = copy.deepcopy(live)
    del trimmed["metadata"]["labels"]
    result = update(live, trimmed, "someone")
    assert not any(path.startswith(".metadata.labels") for path in owned(result, "kubectl"))
    assert ("someone", "Update") not in managed(result)


def test_status_updates_are_tracked_on_the_subresource() -> None:
    live = apply(None, config(), "kubectl")
    with_status = copy.deepcopy(live)
    with_status["status"] = {"replicas": 2, "readyReplicas": 2}
    result = update(live, with_status, "kube-controller-manager", subresource="status")
    entry = managed(result)[("kube-controller-manager", "Update")]
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {"f:readyReplicas": {}, "f:replicas": {}}}
    # the main resource never tracks status
    main = update(live, with_status, "someone")
    assert ("someone", "Update") not in managed(main)


def test_managed_fields_sent_by_the_client() -> None:
    live = apply(None, config(), "kubectl")
    reset = copy.deepcopy(live)
    reset["metadata"]["managedFields"] = [{}]
    assert "managedFields" not in update(live, reset, "x")["metadata"]
    replaced = copy.deepcopy(live)
    replaced["metadata"]["managedFields"] = [
        {
            "manager": "mine",
            "operation": "Update",
            "apiVersion": "apps/v1",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {"f:replicas": {}}},
        }
    ]
    result = update(live, replaced, "x")
    assert [(e["manager"], e["operation"]) for e in result["metadata"]["managedFields"]] == [
        ("mine", "Update")
    ]
    # a client that does not know about managedFields does not erase them
    unaware = copy.deepcopy(live)
    del unaware["metadata"]["managedFields"]
    assert update(live, unaware, "x")["metadata"]["managedFields"] == live["metadata"]["managedFields"]


def test_unreadable_entries_are_dropped() -> None:
    live = apply(None, config(), "kubectl")
    live["metadata"]["managedFields"].append({"manager": "bad", "operation": "Update", "fieldsV1": {"x": 1}})
    live["metadata"]["managedFields"].append("garbage")
    result = apply(live, config(), "kubectl")
    assert list(managed(result)) == [("kubectl", "Apply")]


# -- FieldsV1 -------------------------------------------------------------------------------------


def test_fields_v1_round_trip_and_canonical_keys() -> None:
    fields = {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:ports": {'k:{"protocol":"TCP", "port":80.0}': {".": {}, "f:port": {}}},
            "f:finalizers": {'v:"a"': {}},
            "f:items": {"i:0": {}},
        },
    }
    paths = fields_to_paths(fields)
    assert ("f:spec", "f:ports", 'k:{"port":80,"protocol":"TCP"}') in paths
    assert ("f:metadata", "f:labels") in paths
    assert paths_to_fields(paths) == {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:finalizers": {'v:"a"': {}},
            "f:items": {"i:0": {}},
            "f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}},
        },
    }
    with pytest.raises(ValueError):
        fields_to_paths({"x:1": {}})
    with pytest.raises(ValueError):
        fields_to_paths({"f:a": []})


def test_path_strings() -> None:
    assert path_string(("f:spec", "f:replicas")) == ".spec.replicas"
    assert path_string(("f:ports", 'k:{"containerPort":80,"protocol":"TCP"}')) == (
        '.ports[containerPort=80,protocol="TCP"]'
    )
    assert path_string(("f:finalizers", 'v:"a"')) == '.finalizers[="a"]'
    assert path_string(("f:items", "i:3", "f:x")) == ".items[3].x"


# -- properties -----------------------------------------------------------------------------------

names = st.from_regex(r"[a-z]{1,6}", fullmatch=True)
label_maps = st.dictionaries(names, names, max_size=4)
container_lists = st.lists(
    st.fixed_dictionaries({"name": names, "image": names}, optional={"args": st.lists(names, max_size=2)}),
    max_size=3,
    unique_by=lambda c: c["name"],
)


@settings(max_examples=40, deadline=None)
@given(label_maps, container_lists, label_maps, container_lists)
def test_applying_twice_is_a_no_op_and_the_last_config_wins(
    labels: dict, cs: list, labels2: dict, cs2: list
) -> None:
    first = config(metadata__labels=labels)
    first["spec"]["template"]["spec"]["containers"] = cs
    second = config(metadata__labels=labels2)
    second["spec"]["template"]["spec"]["containers"] = cs2
    live = apply(None, first, now=T0)
    assert apply(live, first, now=T1) == live
    result = apply(live, second, now=T2)
    # a sole manager ends up with exactly its latest config (plus what the server keeps)
    assert result["metadata"].get("labels", {}) == labels2
    assert containers(result) == cs2
    assert apply(result, second, now=T3) == result
