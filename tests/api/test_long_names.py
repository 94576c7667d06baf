"""A template name near the 253-character limit, through the running daemon and the real kubectl: when
its binding's name (``<name>-<kind>``, never shortened) is too long, the user sees why in
``kubectl get events`` and ``kubectl describe``; a name that still fits propagates."""

from __future__ import annotations

import json
import time

from tests.api.test_policy_precedence import eventually_claimed, pp
from tests.api.test_scheduling import apply, deployment, get_json

NS_PREFIX = "long-"  # each test's own namespace (the ``ns`` fixture of conftest.py)


def events_with_reason(kubectl, namespace: str, reason: str, within: float = 15.0) -> list[dict]:
    deadline = time.monotonic() + within
    while True:
        found = json.loads(kubectl("get", "events", "-n", namespace, "-o", "json").stdout)["items"]
        found = [e for e in found if e.get("reason") == reason]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_a_binding_name_over_253_characters_is_told_in_events(kubectl, ns):
    name = "c" * 253
    apply(kubectl, pp("p", ns, {"apiVersion": "v1", "kind": "ConfigMap"}))
    apply(kubectl, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": ns}})
    [event] = events_with_reason(kubectl, ns, "ApplyPolicyFailed")
    assert event["type"] == "Warning" and event["involvedObject"]["name"] == name
    assert event["message"].startswith(f"Apply policy({ns}/p) failed: ResourceBinding.work.karmada.io ")
    assert "must be no more than 253 characters" in event["message"]
    described = kubectl("describe", "configmap", name, "-n", ns).stdout
    assert "ApplyPolicyFailed" in described and "must be no more than 253 characters" in described
    claimed = get_json(kubectl, "configmap", name, "-n", ns)["metadata"].get("annotations") or {}
    assert claimed.get("propagationpolicy.karmada.io/name") == "p"


def test_a_240_character_deployment_name_gets_its_binding(kubectl, ns):
    name = "d" * 240
    apply(kubectl, pp("p", ns, {"apiVersion": "apps/v1", "kind": "Deployment"}), deployment(name, ns, 1))
    eventually_claimed(kubectl, ns, name, ("pp", "p"))
    deadline = time.monotonic() + 15
    while kubectl("get", "rb", f"{name}-deployment", "-n", ns, check=False).returncode != 0:
        assert time.monotonic() < deadline, "no binding"
        time.sleep(0.2)
    assert events_with_reason(kubectl, ns, "ApplyPolicyFailed", within=0) == []
    [event] = events_with_reason(kubectl, ns, "ApplyPolicySucceed")
    assert event["involvedObject"]["name"] == name
