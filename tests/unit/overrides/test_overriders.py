"""command/args, labels/annotations, field and plaintext overriders (Karmada's test vectors included),
their order within one rule, and the failures that name a path."""

from __future__ import annotations

import copy

import pytest

from karmadad.overrides import OverrideError, apply_overriders


def deployment(**container) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default", "labels": {"foo": "foo", "bar": "bar"}},
        "spec": {
            "replicas": 1,
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx", **container}]},
            },
        },
    }


def containers(obj: dict) -> list[dict]:
    spec = obj["spec"] if obj["kind"] == "Pod" else obj["spec"]["template"]["spec"]
    return spec["containers"]


COMMAND = ["nginx", "-v", "-t"]


# --- command / args -----------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["command", "args"])
@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("add", ["&& echo 'hello karmada'"], [*COMMAND, "&& echo 'hello karmada'"]),
        ("remove", ["-t"], ["nginx", "-v"]),
        ("remove", [], COMMAND),
        ("remove", ["-t", "-v", "absent"], ["nginx"]),
    ],
)
def test_command_args_vectors(field, operator, value, expected):
    obj = deployment(**{field: list(COMMAND)})
    overriders = {f"{field}Overrider": [{"containerName": "nginx", "operator": operator, "value": value}]}
    assert containers(apply_overriders(obj, overriders))[0][field] == expected


def test_command_add_creates_the_missing_field_and_remove_creates_an_empty_one():
    add = {"argsOverrider": [{"containerName": "nginx", "operator": "add", "value": ["-t"]}]}
    assert containers(apply_overriders(deployment(), add))[0]["args"] == ["-t"]
    remove = {"argsOverrider": [{"containerName": "nginx", "operator": "remove", "value": ["-t"]}]}
    assert containers(apply_overriders(deployment(), remove))[0]["args"] == []


def test_command_reaches_every_container_of_that_name_only():
    obj = deployment(command=list(COMMAND))
    containers(obj).extend(
        [{"name": "sidecar", "image": "envoy", "command": ["envoy"]}, {"name": "nginx", "image": "x"}]
    )
    overriders = {"commandOverrider": [{"containerName": "nginx", "operator": "add", "value": ["-q"]}]}
    result = containers(apply_overriders(obj, overriders))
    assert [c.get("command") for c in result] == [[*COMMAND, "-q"], ["envoy"], ["-q"]]


def test_command_on_a_pod_and_not_on_other_kinds():
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "nginx"}]},
    }
    overriders = {"commandOverrider": [{"containerName": "nginx", "operator": "add", "value": ["run"]}]}
    assert containers(apply_overriders(pod, overriders))[0]["command"] == ["run"]
    cronjob = {
        "kind": "CronJob",
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}},
    }
    assert apply_overriders(cronjob, overriders) == cronjob


def test_command_args_overriders_apply_in_list_order():
    overriders = {
        "argsOverrider": [{"containerName": "nginx", "operator": "add", "value": ["a"]}],
        "commandOverrider": [
            {"containerName": "nginx", "operator": "add", "value": ["x", "y"]},
            {"containerName": "nginx", "operator": "remove", "value": ["x"]},
        ],
    }
    container = containers(apply_overriders(deployment(), overriders))[0]
    assert (container["command"], container["args"]) == (["y"], ["a"])


def test_command_runs_before_args():
    overriders = {
        "argsOverrider": [{"containerName": "nginx", "operator": "add", "value": ["x"]}],
        "commandOverrider": [{"containerName": "nginx", "operator": "add", "value": ["x"]}],
    }
    with pytest.raises(OverrideError, match=r"^commandOverrider\[0\]"):
        apply_overriders(deployment(command="a", args="b"), overriders)


def test_command_that_is_not_a_list_fails():
    overriders = {"commandOverrider": [{"containerName": "nginx", "operator": "add", "value": ["x"]}]}
    with pytest.raises(OverrideError, match="/spec/template/spec/containers/0/command") as caught:
        apply_overriders(deployment(command="nginx -t"), overriders)
    assert caught.value.path == "/spec/template/spec/containers/0/command"


# --- labels / annotations -----------------------------------------------------------------------


@pytest.mark.parametrize("field", ["labels", "annotations"])
@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("add", {"test": "test"}, {"test": "test", "foo": "foo", "bar": "bar"}),
        ("add", {"foo": "new"}, {"foo": "new", "bar": "bar"}),
        ("replace", {"foo": "exist", "non-exist": "non-exist"}, {"foo": "exist", "bar": "bar"}),
        ("remove", {"foo": "foo", "non-exist": "non-exist"}, {"bar": "bar"}),
        ("remove", {}, {"foo": "foo", "bar": "bar"}),
        ("replace", {"test": "test"}, {"foo": "foo", "bar": "bar"}),
        ("remove", {"test": "test"}, {"foo": "foo", "bar": "bar"}),
    ],
)
def test_label_and_annotation_vectors(field, operator, value, expected):
    obj = deployment()
    obj["metadata"][field] = {"foo": "foo", "bar": "bar"}
    result = apply_overriders(obj, {f"{field}Overrider": [{"operator": operator, "value": value}]})
    assert result["metadata"][field] == expected


@pytest.mark.parametrize("field", ["labels", "annotations"])
def test_add_creates_the_map_but_replace_and_remove_do_not(field):
    obj = deployment()
    obj["metadata"].pop(field, None)
    added = apply_overriders(obj, {f"{field}Overrider": [{"operator": "add", "value": {"test2": "test2"}}]})
    assert added["metadata"][field] == {"test2": "test2"}
    for operator in ("replace", "remove"):
        result = apply_overriders(obj, {f"{field}Overrider": [{"operator": operator, "value": {"a": "b"}}]})
        assert field not in result["metadata"]


def test_annotation_keys_with_slashes():
    obj = deployment()
    obj["metadata"]["annotations"] = {"testannotation/projectId": "c-m-lfx9lk92:p-v86cf", "foo": "foo"}
    overriders = {
        "annotationsOverrider": [
            {"operator": "replace", "value": {"testannotation/projectId": "c-m-lfx9lk92:p-abcde"}},
            {"operator": "add", "value": {"example.com/owner": "team-a"}},
        ]
    }
    assert apply_overriders(obj, overriders)["metadata"]["annotations"] == {
        "testannotation/projectId": "c-m-lfx9lk92:p-abcde",
        "foo": "foo",
        "example.com/owner": "team-a",
    }


def test_unknown_label_operator_fails():
    with pytest.raises(OverrideError, match="unsupported operator 'upsert'"):
        apply_overriders(deployment(), {"labelsOverrider": [{"operator": "upsert", "value": {"a": "b"}}]})


# --- fieldOverrider -----------------------------------------------------------------------------


def configmap(**data: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "test1", "namespace": "default"},
        "data": data,
    }


def test_field_yaml_vector():
    obj = configmap(**{"test.yaml": "\nkey: \n  key1: value\n"})
    overriders = {
        "fieldOverrider": [
            {
                "fieldPath": "/data/test.yaml",
                "yaml": [{"subPath": "/key/key1", "operator": "replace", "value": "updated_value"}],
            }
        ]
    }
    assert apply_overriders(obj, overriders)["data"] == {"test.yaml": "key:\n  key1: updated_value\n"}


def test_field_json_vector():
    obj = configmap(**{"test.json": '{"key":{"key1":"value"}}'})
    overriders = {
        "fieldOverrider": [
            {
                "fieldPath": "/data/test.json",
                "json": [{"subPath": "/key/key1", "operator": "replace", "value": "updated_value"}],
            }
        ]
    }
    assert apply_overriders(obj, overriders)["data"] == {"test.json": '{"key":{"key1":"updated_value"}}'}


def test_field_json_keeps_key_order_writes_compact_and_escapes_like_go():
    obj = configmap(**{"c.json": '{\n  "z": 1,\n  "a": [1, 2, 3],\n  "m": "x"\n}'})
    overriders = {
        "fieldOverrider": [
            {
                "fieldPath": "/data/c.json",
                "json": [
                    {"subPath": "/b", "operator": "add", "value": {"html": "<a&b>"}},
                    {"subPath": "/a/-1", "operator": "remove"},
                    {"subPath": "/m", "operator": "remove"},
                ],
            }
        ]
    }
    assert apply_overriders(obj, overriders)["data"]["c.json"] == (
        '{"z":1,"a":[1,2],"b":{"html":"\\u003ca\\u0026b\\u003e"}}'
    )


def test_field_yaml_writes_block_yaml_with_sorted_keys_and_keeps_timestamps_as_text():
    text = "server:\n  port: 80\n  hosts: [a, b]\nrelease: 2024-01-02\nenabled: yes\n"
    overriders = {
        "fieldOverrider": [
            {
                "fieldPath": "/data/app.yaml",
                "yaml": [
                    {"subPath": "/server/port", "operator": "replace", "value": 8080},
                    {"subPath": "/server/hosts/-", "operator": "add", "value": "c"},
                    {"subPath": "/extra", "operator": "add", "value": {"k": "v"}},
                ],
            }
        ]
    }
    result = apply_overriders(configmap(**{"app.yaml": text}), overriders)["data"]["app.yaml"]
    assert result == (
        "enabled: true\nextra:\n  k: v\nrelease: '2024-01-02'\nserver:\n  hosts:\n  - a\n  - b\n  - c\n  port: 8080\n"
    )


def test_field_yaml_wins_over_json_and_empty_json_document_stays_empty():
    obj = configmap(**{"f": "a: 1\n", "g": ""})
    overriders = {
        "fieldOverrider": [
            {
                "fieldPath": "/data/f",
                "yaml": [{"subPath": "/a", "operator": "replace", "value": 2}],
                "json": [{"subPath": "/a", "operator": "replace", "value": 3}],
            },
            {"fieldPath": "/data/g", "json": [{"subPath": "/a", "operator": "add", "value": 1}]},
        ]
    }
    assert apply_overriders(obj, overriders)["data"] == {"f": "a: 2\n", "g": ""}


def test_field_path_escapes_slashes_in_keys():
    obj = configmap(**{"a/b.json": "[]"})
    overriders = {
        "fieldOverrider": [
            {"fieldPath": "/data/a~1b.json", "json": [{"subPath": "/0", "operator": "add", "value": 1}]}
        ]
    }
    assert apply_overriders(obj, overriders)["data"] == {"a/b.json": "[1]"}


@pytest.mark.parametrize(
    ("data", "overrider", "problem"),
    [
        (
            {"x": "{}"},
            {"fieldPath": "/data/missing", "json": [{"subPath": "/a", "operator": "add", "value": 1}]},
            "missing",
        ),
        (
            {"x": "{}"},
            {"fieldPath": "/metadata", "json": [{"subPath": "/a", "operator": "add", "value": 1}]},
            "not a string",
        ),
        (
            {"x": "{}"},
            {"fieldPath": "data/x", "json": [{"subPath": "/a", "operator": "add", "value": 1}]},
            "start with",
        ),
        (
            {"x": "{nope"},
            {"fieldPath": "/data/x", "json": [{"subPath": "/a", "operator": "add", "value": 1}]},
            "not a JSON",
        ),
        (
            {"x": "42"},
            {"fieldPath": "/data/x", "json": [{"subPath": "/a", "operator": "add", "value": 1}]},
            "object or array",
        ),
        (
            {"x": "a: [1"},
            {"fieldPath": "/data/x", "yaml": [{"subPath": "/a", "operator": "add", "value": 1}]},
            "not a YAML",
        ),
        (
            {"x": "{}"},
            {"fieldPath": "/data/x", "json": [{"subPath": "/a/b", "operator": "replace", "value": 1}]},
            r"json\[0\]: cannot replace /a/b",
        ),
        (
            {"x": "a: 1"},
            {"fieldPath": "/data/x", "yaml": [{"subPath": "/b", "operator": "remove"}]},
            r"yaml\[0\]: cannot remove /b",
        ),
        ({"x": "{}"}, {"fieldPath": "/data/x"}, "needs json or yaml"),
    ],
)
def test_field_failures_name_the_field_path(data, overrider, problem):
    with pytest.raises(OverrideError, match=problem) as caught:
        apply_overriders(configmap(**data), {"fieldOverrider": [overrider]})
    assert f"fieldOverrider[0] fieldPath {overrider['fieldPath']}" in str(caught.value)


# --- plaintext ----------------------------------------------------------------------------------


def test_plaintext_add_remove_replace():
    overriders = {
        "plaintext": [
            {"path": "/spec/replicas", "operator": "replace", "value": 3},
            {"path": "/metadata/labels/bar", "operator": "remove"},
            {"path": "/spec/template/spec/nodeSelector", "operator": "add", "value": {"disk": "ssd"}},
        ]
    }
    result = apply_overriders(deployment(), overriders)
    assert result["spec"]["replicas"] == 3
    assert result["metadata"]["labels"] == {"foo": "foo"}
    assert result["spec"]["template"]["spec"]["nodeSelector"] == {"disk": "ssd"}


def test_plaintext_add_without_value_sets_null_and_negative_indices_count_from_the_end():
    obj = deployment()
    containers(obj).append({"name": "second", "image": "busybox"})
    overriders = {
        "plaintext": [
            {"path": "/spec/paused", "operator": "add"},
            {"path": "/spec/template/spec/containers/-1/image", "operator": "replace", "value": "alpine"},
            {"path": "/spec/template/spec/containers/-1", "operator": "add", "value": {"name": "third"}},
        ]
    }
    result = apply_overriders(obj, overriders)
    assert result["spec"]["paused"] is None
    assert [(c["name"], c.get("image")) for c in containers(result)] == [
        ("nginx", "nginx"),
        ("second", "alpine"),
        ("third", None),
    ]


def test_failure_messages_do_not_dump_the_document():
    obj = deployment()
    obj["metadata"]["annotations"] = {"big": "x" * 5000}
    with pytest.raises(OverrideError) as caught:
        apply_overriders(
            obj, {"plaintext": [{"path": "/metadata/nothing/here", "operator": "add", "value": 1}]}
        )
    assert str(caught.value) == "plaintext[0]: cannot add /metadata/nothing/here: member 'nothing' not found"
    field = {
        "fieldOverrider": [{"fieldPath": "/metadata/gone", "json": [{"subPath": "/a", "operator": "add"}]}]
    }
    with pytest.raises(OverrideError) as caught:
        apply_overriders(obj, field)
    assert str(caught.value) == "fieldOverrider[0] fieldPath /metadata/gone: member 'gone' not found"


def test_plaintext_value_is_not_shared_with_the_policy():
    value = {"disk": "ssd"}
    overriders = {
        "plaintext": [{"path": "/metadata/labels", "operator": "replace", "value": value}],
        "labelsOverrider": [],
    }
    result = apply_overriders(deployment(), overriders)
    result["metadata"]["labels"]["x"] = "y"
    assert value == {"disk": "ssd"}


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"path": "/spec/missing", "operator": "replace", "value": 1}, "cannot replace /spec/missing"),
        ({"path": "/spec/missing", "operator": "remove"}, "cannot remove /spec/missing"),
        ({"path": "/spec/a/b", "operator": "add", "value": 1}, "cannot add /spec/a/b"),
        ({"path": "/spec/replicas/x", "operator": "add", "value": 1}, "cannot add /spec/replicas/x"),
        ({"path": "/spec/template/spec/containers/5", "operator": "remove"}, "cannot remove"),
        ({"path": "spec", "operator": "add", "value": 1}, "cannot add spec"),
        ({"path": "/spec", "operator": "move"}, "unsupported operator 'move'"),
        ({"path": "", "operator": "replace", "value": [1]}, "must remain an object"),
    ],
)
def test_plaintext_failures_name_the_path(step, problem):
    with pytest.raises(OverrideError, match=problem) as caught:
        apply_overriders(
            deployment(),
            {"plaintext": [{"path": "/metadata/labels/ok", "operator": "add", "value": "1"}, step]},
        )
    assert "plaintext[1]" in str(caught.value)
    assert caught.value.path == step["path"]


# --- order within one rule ----------------------------------------------------------------------


def test_overriders_apply_in_karmadas_fixed_order_whatever_the_key_order():
    overriders = {
        # plaintext last: it sees the label the labelsOverrider added and the image the imageOverrider set
        "plaintext": [
            {"path": "/metadata/labels/order", "operator": "replace", "value": "plaintext"},
            {"path": "/metadata/annotations/image", "operator": "add", "value": "seen"},
        ],
        "fieldOverrider": [
            {
                "fieldPath": "/metadata/annotations/cfg",
                "json": [{"subPath": "/by", "operator": "add", "value": "field"}],
            }
        ],
        "annotationsOverrider": [{"operator": "add", "value": {"cfg": "{}"}}],
        "labelsOverrider": [{"operator": "add", "value": {"order": "labels"}}],
        "argsOverrider": [{"containerName": "nginx", "operator": "remove", "value": ["run"]}],
        "commandOverrider": [{"containerName": "nginx", "operator": "add", "value": ["run"]}],
        "imageOverrider": [{"component": "Registry", "operator": "add", "value": "r.io"}],
    }
    obj = deployment(args=["run", "x"])
    before = copy.deepcopy(obj)
    result = apply_overriders(obj, overriders)
    assert obj == before
    assert result["metadata"]["labels"]["order"] == "plaintext"
    assert result["metadata"]["annotations"] == {"cfg": '{"by":"field"}', "image": "seen"}
    assert containers(result)[0] == {
        "name": "nginx",
        "image": "r.io/nginx",
        "args": ["x"],
        "command": ["run"],
    }


def test_empty_overriders_change_nothing():
    obj = deployment()
    assert apply_overriders(obj, {}) == obj
    assert apply_overriders(obj, None) == obj
