"""JSON patch, JSON merge patch and strategic merge patch, as kube-apiserver applies them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karmadad.apiserver.patch import (
    UnsupportedMediaType,
    apply_json_patch,
    apply_merge_patch,
    apply_strategic_merge_patch,
    json_copy,
)
from karmadad.errors import BadRequest, Invalid, StatusError


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "8d3c2f51-0000-4000-8000-000000000001",
            "resourceVersion": "42",
            "labels": {"app": "web", "tier": "frontend"},
            "annotations": {"team": "blue"},
            "finalizers": ["example.com/a"],
        },
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "nginx:1.27",
                            "args": ["--a", "--b"],
                            "ports": [{"containerPort": 80, "protocol": "TCP"}],
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                        },
                        {"name": "sidecar", "image": "busybox:1.36", "command": ["sleep", "infinity"]},
                    ],
                    "volumes": [{"name": "data", "emptyDir": {}}],
                    "tolerations": [{"key": "a", "operator": "Exists"}],
                },
            },
        },
        "status": {"replicas": 2, "readyReplicas": 2},
    }


def smp(obj: dict, patch: Any, api_version: str = "apps/v1", kind: str = "Deployment") -> dict:
    before = copy.deepcopy(obj)
    patch_before = copy.deepcopy(patch)
    result = apply_strategic_merge_patch(obj, patch, api_version=api_version, kind=kind)
    assert obj == before, "the original object was changed"
    assert patch == patch_before, "the patch was changed"
    return result


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def names(items: list[dict]) -> list[str]:
    return [item["name"] for item in items]


# -- strategic merge patch: what kubectl sends ----------------------------------------------------


def test_client_side_apply_of_a_new_image() -> None:
    patch = {
        "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                    "containers": [{"image": "nginx:1.28", "name": "nginx"}],
                }
            }
        },
    }
    result = smp(deployment(), patch)
    expected = deployment()
    expected["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}"
    expected["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.28"
    assert result == expected
    assert list(result) == list(expected)


def test_the_brief_example_with_a_single_container() -> None:
    live = deployment()
    del pod_spec(live)["containers"][1]
    patch = {
        "metadata": {"annotations": {"a": "b"}},
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"image": "nginx:1.28", "name": "nginx"}],
                }
            }
        },
    }
    result = smp(live, patch)
    assert pod_spec(result)["containers"][0]["image"] == "nginx:1.28"
    assert pod_spec(result)["containers"][0]["ports"] == [{"containerPort": 80, "protocol": "TCP"}]
    assert result["metadata"]["annotations"] == {"team": "blue", "a": "b"}


def test_delete_directive_removes_a_container() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}],
                    "containers": [{"$patch": "delete", "name": "sidecar"}],
                }
            }
        }
    }
    result = smp(deployment(), patch)
    assert names(pod_spec(result)["containers"]) == ["nginx"]
    assert pod_spec(result)["containers"][0] == pod_spec(deployment())["containers"][0]


def test_delete_of_one_container_and_add_of_another_keeps_server_items_in_place() -> None:
    live = deployment()
    pod_spec(live)["containers"].append({"name": "injected", "image": "proxy:1"})  # added by someone else
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}, {"name": "logger"}],
                    "containers": [
                        {"name": "logger", "image": "fluentbit:3"},
                        {"$patch": "delete", "name": "sidecar"},
                    ],
                }
            }
        }
    }
    result = smp(live, patch)
    # kube-apiserver keeps the server-side item where it was relative to the kept ones and puts the new
    # container into the slot the deleted one freed
    assert names(pod_spec(result)["containers"]) == ["nginx", "injected", "logger"]


def test_a_new_container_goes_first_without_an_order_directive() -> None:
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "debug", "image": "busybox"}]}}}}
    result = smp(deployment(), patch)
    assert names(pod_spec(result)["containers"]) == ["debug", "nginx", "sidecar"]


def test_set_element_order_places_new_and_reorders_existing() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [
                        {"name": "sidecar"},
                        {"name": "debug"},
                        {"name": "nginx"},
                    ],
                    "containers": [{"name": "debug", "image": "busybox"}],
                }
            }
        }
    }
    result = smp(deployment(), patch)
    assert names(pod_spec(result)["containers"]) == ["sidecar", "debug", "nginx"]


def test_set_element_order_alone_reorders() -> None:
    patch = {
        "spec": {
            "template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "nginx"}]}}
        }
    }
    result = smp(deployment(), patch)
    assert names(pod_spec(result)["containers"]) == ["sidecar", "nginx"]


def test_set_element_order_must_agree_with_the_patch_list() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/containers": [{"name": "nginx"}, {"name": "sidecar"}],
                    "containers": [{"name": "sidecar", "image": "x"}, {"name": "nginx", "image": "y"}],
                }
            }
        }
    }
    with pytest.raises(BadRequest, match=r"doesn't match \$setElementOrder list"):
        smp(deployment(), patch)


def test_merge_lists_merge_by_key_at_every_level() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "nginx",
                            "env": [{"name": "B", "value": "two"}, {"name": "C", "value": "3"}],
                            "ports": [{"containerPort": 443, "protocol": "TCP"}],
                            "volumeMounts": [{"mountPath": "/data", "readOnly": True}],
                        }
                    ]
                }
            }
        }
    }
    result = smp(deployment(), patch)
    nginx = pod_spec(result)["containers"][0]
    assert nginx["env"] == [
        {"name": "A", "value": "1"},
        {"name": "B", "value": "two"},
        {"name": "C", "value": "3"},
    ]
    assert nginx["ports"] == [
        {"containerPort": 443, "protocol": "TCP"},
        {"containerPort": 80, "protocol": "TCP"},
    ]
    assert nginx["volumeMounts"] == [{"name": "data", "mountPath": "/data", "readOnly": True}]
    assert nginx["args"] == ["--a", "--b"]
    assert pod_spec(result)["containers"][1] == pod_spec(deployment())["containers"][1]


def test_lists_without_merge_strategy_are_replaced() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "tolerations": [{"key": "b", "operator": "Exists"}],
                    "containers": [{"name": "nginx", "args": ["--c"]}],
                }
            }
        }
    }
    result = smp(deployment(), patch)
    assert pod_spec(result)["tolerations"] == [{"key": "b", "operator": "Exists"}]
    assert pod_spec(result)["containers"][0]["args"] == ["--c"]


def test_null_deletes_a_key_and_is_ignored_when_absent() -> None:
    patch = {"metadata": {"labels": {"tier": None, "ghost": None}}, "spec": {"strategy": None}}
    result = smp(deployment(), patch)
    assert result["metadata"]["labels"] == {"app": "web"}
    assert "strategy" not in result["spec"]
    assert "ghost" not in result["metadata"]["labels"]


def test_nulls_inside_new_values_are_dropped() -> None:
    patch = {"spec": {"template": {"spec": {"nodeSelector": {"disk": "ssd", "zone": None}}}}}
    result = smp(deployment(), patch)
    assert pod_spec(result)["nodeSelector"] == {"disk": "ssd"}


def test_retain_keys_clears_the_fields_not_listed() -> None:
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate", "rollingUpdate": None}}}
    result = smp(deployment(), patch)
    assert result["spec"]["strategy"] == {"type": "Recreate"}


def test_retain_keys_on_a_volume_switches_its_source() -> None:
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "$setElementOrder/volumes": [{"name": "data"}],
                    "volumes": [
                        {"$retainKeys": ["configMap", "name"], "configMap": {"name": "cm"}, "name": "data"}
                    ],
                }
            }
        }
    }
    result = smp(deployment(), patch)
    assert pod_spec(result)["volumes"] == [{"name": "data", "configMap": {"name": "cm"}}]


def test_retain_keys_must_list_every_field_the_patch_sets() -> None:
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "rollingUpdate": {"maxSurge": 1}}}}
    with pytest.raises(BadRequest, match="invalid patch format of retainKeys"):
        smp(deployment(), patch)
    with pytest.raises(BadRequest, match="invalid patch format of retainKeys"):
        smp(deployment(), {"spec": {"strategy": {"$retainKeys": "type"}}})


def test_primitive_merge_lists_merge_as_sets() -> None:
    result = smp(deployment(), {"metadata": {"finalizers": ["example.com/b", "example.com/a"]}})
    assert result["metadata"]["finalizers"] == ["example.com/b", "example.com/a"]
    result = smp(deployment(), {"metadata": {"finalizers": ["example.com/b"]}})
    assert sorted(result["metadata"]["finalizers"]) == ["example.com/a", "example.com/b"]
    result = smp(
        deployment(),
        {
            "metadata": {
                "$setElementOrder/finalizers": ["example.com/a", "example.com/b"],
                "finalizers": ["example.com/b"],
            }
        },
    )
    assert result["metadata"]["finalizers"] == ["example.com/a", "example.com/b"]


def test_primitive_merge_lists_keep_the_patch_order() -> None:
    live = deployment()
    live["metadata"]["finalizers"] = ["x", "y", "z"]
    assert smp(live, {"metadata": {"finalizers": ["z", "x", "y"]}})["metadata"]["finalizers"] == [
        "z",
        "x",
        "y",
    ]
    # items the patch does not name keep their place relative to the ones it does
    assert smp(live, {"metadata": {"finalizers": ["z", "x"]}})["metadata"]["finalizers"] == ["y", "z", "x"]


def test_delete_from_primitive_list() -> None:
    live = deployment()
    live["metadata"]["finalizers"] = ["x", "y", "z"]
    result = smp(live, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["y", "nope"]}})
    assert result["metadata"]["finalizers"] == ["x", "z"]
    result = smp(
        live,
        {
            "metadata": {
                "$setElementOrder/finalizers": ["z", "w"],
                "$deleteFromPrimitiveList/finalizers": ["x", "y"],
                "finalizers": ["w"],
            }
        },
    )
    assert result["metadata"]["finalizers"] == ["z", "w"]
    # deleting from a list that does not exist does nothing
    assert (
        "finalizers"
        not in smp({"metadata": {}}, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})["metadata"]
    )


def test_replace_directive_on_a_map() -> None:
    result = smp(deployment(), {"metadata": {"labels": {"$patch": "replace", "only": "this"}}})
    assert result["metadata"]["labels"] == {"only": "this"}


def test_replace_directive_in_a_list() -> None:
    patch = {
        "spec": {
            "template": {"spec": {"containers": [{"$patch": "replace"}, {"name": "solo", "image": "x"}]}}
        }
    }
    result = smp(deployment(), patch)
    assert pod_spec(result)["containers"] == [{"name": "solo", "image": "x"}]


def test_delete_directive_on_a_map_empties_it() -> None:
    result = smp(deployment(), {"metadata": {"annotations": {"$patch": "delete"}}})
    assert result["metadata"]["annotations"] == {}
    # on a key the original lacks, nothing is added
    result = smp(deployment(), {"spec": {"template": {"spec": {"nodeSelector": {"$patch": "delete"}}}}})
    assert "nodeSelector" not in pod_spec(result)


def test_merge_directive_is_the_default() -> None:
    result = smp(deployment(), {"metadata": {"labels": {"$patch": "merge", "extra": "1"}}})
    assert result["metadata"]["labels"] == {"app": "web", "tier": "frontend", "extra": "1"}


def test_replace_strategy_replaces_a_map() -> None:
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web", "tier": "fe"}}},
    }
    result = smp(
        pdb, {"spec": {"selector": {"matchLabels": {"app": "api"}}}}, "policy/v1", "PodDisruptionBudget"
    )
    assert result["spec"]["selector"] == {"matchLabels": {"app": "api"}}
    # maps without the strategy merge
    result = smp(deployment(), {"spec": {"selector": {"matchLabels": {"tier": "x"}}}})
    assert result["spec"]["selector"] == {"matchLabels": {"app": "web", "tier": "x"}}


def test_scale_and_label_patches_kubectl_sends() -> None:
    result = smp(deployment(), {"spec": {"replicas": 5}})
    assert result["spec"]["replicas"] == 5
    result = smp(deployment(), b'{"metadata":{"labels":{"env":"prod"}}}')
    assert result["metadata"]["labels"] == {"app": "web", "tier": "frontend", "env": "prod"}
    restart = {
        "spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}}}}
    }
    result = smp(deployment(), json.dumps(restart))
    assert result["spec"]["template"]["metadata"] == {
        "labels": {"app": "web"},
        "annotations": {"kubectl.kubernetes.io/restartedAt": "now"},
    }


def test_a_value_of_another_shape_replaces() -> None:
    result = smp(deployment(), {"spec": {"strategy": "Recreate"}})
    assert result["spec"]["strategy"] == "Recreate"
    result = smp(deployment(), {"metadata": {"labels": ["a"]}})
    assert result["metadata"]["labels"] == ["a"]


def test_fields_the_schema_does_not_know_merge_as_maps_and_replace_lists() -> None:
    live = deployment()
    live["spec"]["extra"] = {"a": 1, "list": [1, 2]}
    result = smp(live, {"spec": {"extra": {"b": 2, "list": [3]}}})
    assert result["spec"]["extra"] == {"a": 1, "b": 2, "list": [3]}


def test_service_ports_merge_by_port() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "type": "ClusterIP",
            "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
            "selector": {"app": "web"},
        },
    }
    result = smp(
        service,
        {"spec": {"ports": [{"port": 80, "targetPort": 9090}, {"port": 443, "name": "https"}]}},
        "v1",
        "Service",
    )
    assert result["spec"]["ports"] == [
        {"name": "http", "port": 80, "targetPort": 9090, "protocol": "TCP"},
        {"port": 443, "name": "https"},
    ]


def test_the_result_shares_nothing_with_the_inputs() -> None:
    live = deployment()
    patch = {
        "metadata": {"labels": {"new": "1"}},
        "spec": {"template": {"spec": {"nodeSelector": {"a": "b"}}}},
    }
    result = smp(live, patch)
    result["metadata"]["labels"]["mutated"] = "x"
    result["spec"]["template"]["spec"]["nodeSelector"]["c"] = "d"
    result["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "Z"})
    assert live == deployment()
    assert patch["spec"]["template"]["spec"]["nodeSelector"] == {"a": "b"}


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [("policy.karmada.io/v1alpha1", "PropagationPolicy"), ("example.com/v1", "Widget")],
)
def test_kinds_without_a_built_in_schema_are_refused_with_415(api_version: str, kind: str) -> None:
    with pytest.raises(UnsupportedMediaType) as caught:
        apply_strategic_merge_patch(
            {"apiVersion": api_version, "kind": kind}, {"spec": {}}, api_version=api_version, kind=kind
        )
    status = caught.value.status()
    assert status["code"] == 415
    assert status["reason"] == "UnsupportedMediaType"
    assert status["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (b"not json", "error decoding strategic merge patch"),
        (b"[1, 2]", "cannot unmarshal array"),
        ({"metadata": {"labels": {"$patch": "bogus"}}}, "unknown patch type"),
        (
            {"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}},
            "does not contain declared merge key: name",
        ),
        ({"spec": {"template": {"spec": {"containers": [{"$patch": "delete"}]}}}}, "declared merge key"),
        (
            {"spec": {"template": {"spec": {"containers": [{"$patch": "bogus", "name": "x"}]}}}},
            "unknown patch type",
        ),
        ({"spec": {"template": {"spec": {"$setElementOrder": []}}}}, "setElementOrder"),
        ({"spec": {"template": {"spec": {"$setElementOrder/containers": {}}}}}, "setElementOrder"),
        ({"metadata": {"$deleteFromPrimitiveListfinalizers": ["a"]}}, "primitive list"),
        ({"metadata": {"finalizers": ["a", {"b": 1}]}}, "not identical"),
        ({"spec": {"template": {"spec": {"containers": ["nginx"]}}}}, "not identical"),
    ],
)
def test_malformed_patches_are_bad_requests(patch: Any, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        apply_strategic_merge_patch(deployment(), patch, api_version="apps/v1", kind="Deployment")
    assert caught.value.status()["code"] == 400


def test_lists_of_lists_are_unprocessable() -> None:
    with pytest.raises(Invalid) as caught:
        smp(deployment(), {"metadata": {"finalizers": [["a"]]}})
    assert caught.value.status()["code"] == 422


# -- JSON merge patch (RFC 7386) ------------------------------------------------------------------

RFC7386_EXAMPLES = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]
# the examples whose documents are not objects, one level down
RFC7386_NESTED = [
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, "bar", "bar"),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
]


@pytest.mark.parametrize(("target", "patch", "result"), RFC7386_EXAMPLES)
def test_rfc7386_examples(target: dict, patch: dict, result: dict) -> None:
    before = copy.deepcopy(target)
    assert apply_merge_patch(target, patch) == result
    assert target == before


@pytest.mark.parametrize(("target", "patch", "result"), RFC7386_NESTED)
def test_rfc7386_examples_one_level_down(target: Any, patch: Any, result: Any) -> None:
    assert apply_merge_patch({"x": target, "y": 1}, {"x": patch}) == {"x": result, "y": 1}


def test_merge_patch_replaces_lists_and_accepts_bytes() -> None:
    result = apply_merge_patch(
        deployment(), b'{"spec":{"template":{"spec":{"containers":[{"name":"only"}]}}}}'
    )
    assert pod_spec(result)["containers"] == [{"name": "only"}]
    assert result["spec"]["replicas"] == 2


def test_merge_patch_must_be_an_object() -> None:
    for patch in (b"[]", b'"x"', b"nope", ["a"]):
        with pytest.raises(BadRequest):
            apply_merge_patch(deployment(), patch)  # type: ignore[arg-type]


def test_merge_patch_result_shares_nothing() -> None:
    live = deployment()
    patch = {"metadata": {"labels": {"x": "1"}}, "spec": {"new": {"a": [1]}}}
    result = apply_merge_patch(live, patch)
    result["spec"]["new"]["a"].append(2)
    result["spec"]["template"]["spec"]["containers"].clear()
    assert patch["spec"]["new"]["a"] == [1]
    assert live == deployment()


# -- JSON patch (RFC 6902) ------------------------------------------------------------------------


def test_json_patch_operations() -> None:
    ops = [
        {"op": "replace", "path": "/spec/replicas", "value": 3},
        {"op": "add", "path": "/metadata/labels/app.kubernetes.io~1name", "value": "web"},
        {"op": "remove", "path": "/metadata/labels/tier"},
        {"op": "add", "path": "/spec/template/spec/containers/-", "value": {"name": "third", "image": "x"}},
        {"op": "copy", "from": "/metadata/labels/app", "path": "/metadata/annotations/copied"},
        {"op": "move", "from": "/metadata/annotations/team", "path": "/metadata/annotations/owner"},
        {"op": "test", "path": "/spec/replicas", "value": 3},
    ]
    live = deployment()
    result = apply_json_patch(live, json.dumps(ops).encode())
    assert live == deployment()
    assert result["spec"]["replicas"] == 3
    assert result["metadata"]["labels"] == {"app": "web", "app.kubernetes.io/name": "web"}
    assert names(pod_spec(result)["containers"]) == ["nginx", "sidecar", "third"]
    assert result["metadata"]["annotations"] == {"copied": "web", "owner": "blue"}


def test_json_patch_from_a_list_shares_nothing() -> None:
    value = {"name": "third"}
    ops = [{"op": "add", "path": "/spec/template/spec/containers/0", "value": value}]
    result = apply_json_patch(deployment(), ops)
    pod_spec(result)["containers"][0]["image"] = "x"
    assert value == {"name": "third"}
    assert apply_json_patch(deployment(), "[]") == deployment()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "error decoding patch"),
        (b'{"op": "add"}', "cannot unmarshal object into Go value of type jsonpatch.Patch"),
        (b'["add"]', "cannot unmarshal string into Go value of type jsonpatch.Operation"),
        (b"\xff", "error decoding patch"),
    ],
)
def test_json_patch_that_cannot_be_read_is_a_bad_request(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        apply_json_patch(deployment(), body)


@pytest.mark.parametrize(
    ("ops", "detail"),
    [
        (
            [{"op": "test", "path": "/spec/replicas", "value": 7}],
            'operation 0 ("test" "/spec/replicas"): test failed',
        ),
        ([{"op": "remove", "path": "/spec/nothing"}], "operation 0"),
        (
            [
                {"op": "replace", "path": "/spec/replicas", "value": 1},
                {"op": "add", "path": "/x/y", "value": 1},
            ],
            "operation 1",
        ),
        ([{"op": "frobnicate", "path": "/spec"}], "frobnicate"),
        ([{"op": "add", "value": 1}], "path"),
        ([{"op": "add", "path": "spec", "value": 1}], "operation 0"),
        ([{"op": "add", "path": "/spec/template/spec/containers/9", "value": {}}], "operation 0"),
        ([{"op": "replace", "path": "", "value": [1]}], "not an object"),
    ],
)
def test_json_patch_that_does_not_apply_is_unprocessable(ops: list, detail: str) -> None:
    with pytest.raises(Invalid) as caught:
        apply_json_patch(deployment(), ops)
    status = caught.value.status()
    assert status["code"] == 422
    assert status["reason"] == "Invalid"
    assert status["message"] == "the server rejected our request due to an error in our request"
    assert detail in status["details"]["causes"][0]["message"]
    assert len(status["details"]["causes"][0]["message"]) < 400


def test_json_copy_is_deep() -> None:
    value = {"a": [{"b": 1}], "c": "d"}
    copied = json_copy(value)
    copied["a"][0]["b"] = 2
    assert value == {"a": [{"b": 1}], "c": "d"}


# -- properties -----------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=5)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=4), json_values, max_size=4)
label_keys = st.from_regex(r"[a-z][a-z0-9.-]{0,8}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(json_objects)
def test_an_empty_merge_patch_changes_nothing(obj: dict) -> None:
    assert apply_merge_patch(obj, {}) == obj
    assert apply_json_patch(obj, []) == obj


@settings(max_examples=60, deadline=None)
@given(json_objects, json_objects)
def test_a_merge_patch_applied_twice_gives_the_same(obj: dict, patch: dict) -> None:
    once = apply_merge_patch(obj, patch)
    assert apply_merge_patch(once, patch) == once


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(label_keys, st.text(max_size=6) | st.none(), max_size=5))
def test_a_label_patch_changes_only_labels(labels: dict) -> None:
    live = deployment()
    result = apply_strategic_merge_patch(
        live, {"metadata": {"labels": labels}}, api_version="apps/v1", kind="Deployment"
    )
    expected_labels = dict(live["metadata"]["labels"])
    for key, value in labels.items():
        if value is None:
            expected_labels.pop(key, None)
        else:
            expected_labels[key] = value
    assert result["metadata"]["labels"] == expected_labels
    result["metadata"]["labels"] = live["metadata"]["labels"]
    assert result == live
    assert live == deployment()


def test_errors_are_status_errors() -> None:
    for call in (
        lambda: apply_json_patch(deployment(), b"{"),
        lambda: apply_merge_patch(deployment(), b"{"),
        lambda: apply_strategic_merge_patch(deployment(), b"{", api_version="apps/v1", kind="Deployment"),
    ):
        with pytest.raises(StatusError):
            call()
