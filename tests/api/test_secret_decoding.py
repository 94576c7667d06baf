"""Secrets as kube-apiserver stores them, through the running daemon and the real kubectl: stringData merged
into data on every kind of write and never kept, undecodable data refused, oversized contents refused."""

from __future__ import annotations

import base64
import json

import yaml

from tests.api.test_scheduling import get_json


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def secret_yaml(name: str, namespace: str, **fields) -> str:
    obj = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": namespace}, **fields}
    return yaml.safe_dump(obj)


NS_PREFIX = "sec-"  # each test's own namespace (the ``ns`` fixture of conftest.py)


def test_string_data_applied_becomes_data(kubectl, ns):
    kubectl("apply", "-f", "-", stdin=secret_yaml("s", ns, stringData={"a": "b"}))
    table = kubectl("get", "secret", "s", "-n", ns).stdout.splitlines()
    assert table[0].split() == ["NAME", "TYPE", "DATA", "AGE"]
    assert table[1].split()[:3] == ["s", "Opaque", "1"]
    stored = get_json(kubectl, "secret", "s", "-n", ns)
    assert stored["data"] == {"a": b64("b")}
    assert "stringData" not in stored


def test_string_data_in_a_merge_patch_joins_data_and_wins_over_it(kubectl, ns):
    kubectl("apply", "-f", "-", stdin=secret_yaml("s", ns, data={"a": b64("old"), "keep": b64("k")}))
    kubectl(
        "patch", "secret", "s", "-n", ns, "--type", "merge", "-p", '{"stringData": {"a": "new", "c": "d"}}'
    )
    stored = get_json(kubectl, "secret", "s", "-n", ns)
    assert stored["data"] == {"a": b64("new"), "keep": b64("k"), "c": b64("d")}
    assert "stringData" not in stored
    assert kubectl("get", "secret", "s", "-n", ns).stdout.splitlines()[1].split()[2] == "3"


def test_server_side_apply_and_dry_run_answer_with_the_merged_form(kubectl, ns):
    dry = kubectl(
        "apply",
        "--dry-run=server",
        "-o",
        "json",
        "-f",
        "-",
        stdin=secret_yaml("dry", ns, stringData={"x": "value"}),
    )
    answered = json.loads(dry.stdout)
    assert answered["data"] == {"x": b64("value")} and "stringData" not in answered
    assert kubectl("get", "secret", "dry", "-n", ns, check=False).returncode != 0, "a dry run stores nothing"
    kubectl("apply", "--server-side", "-f", "-", stdin=secret_yaml("ssa", ns, stringData={"x": "value"}))
    stored = get_json(kubectl, "secret", "ssa", "-n", ns)
    assert stored["data"] == {"x": b64("value")} and "stringData" not in stored


def test_undecodable_data_is_a_bad_request(kubectl, ns):
    refused = kubectl("apply", "-f", "-", stdin=secret_yaml("bad", ns, data={"a": "b"}), check=False)
    assert refused.returncode != 0
    assert "BadRequest" in refused.stderr
    assert 'Secret in version "v1" cannot be handled as a Secret' in refused.stderr
    assert "data.a: illegal base64 data at input byte 0" in refused.stderr
    assert kubectl("get", "secret", "bad", "-n", ns, check=False).returncode != 0


def test_contents_over_one_mebibyte_are_invalid(kubectl, ns):
    big = "x" * (1048576 + 1)
    refused = kubectl(
        "apply", "--server-side", "-f", "-", stdin=secret_yaml("big", ns, stringData={"a": big}), check=False
    )
    assert refused.returncode != 0
    assert "is invalid: data: Too long: may not be more than 1048576 bytes" in refused.stderr, refused.stderr
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "big", "namespace": ns},
        "data": {"a": "x" * 524288},
        "binaryData": {"b": base64.b64encode(b"\0" * 524289).decode()},
    }
    refused = kubectl("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(config_map), check=False)
    assert refused.returncode != 0
    assert "is invalid: []: Too long: may not be more than 1048576 bytes" in refused.stderr, refused.stderr
    config_map["binaryData"]["b"] = base64.b64encode(b"\0" * 524288).decode()
    kubectl("apply", "--server-side", "-f", "-", stdin=yaml.safe_dump(config_map))
    assert kubectl("get", "configmap", "big", "-n", ns).stdout.splitlines()[1].split()[:2] == ["big", "2"]
