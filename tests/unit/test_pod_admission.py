"""The Priority and DefaultTolerationSeconds admission karmadad gives Pods, as Karmada's apiserver keeps
those plugins on: a Pod's priority comes from its PriorityClass, the global default one, or is 0."""

from __future__ import annotations

import pytest

from karmadad.api.preparation import PriorityClasses, for_create
from karmadad.errors import Forbidden

HIGH = {"metadata": {"name": "high"}, "value": 1000, "preemptionPolicy": "Never"}
DEFAULT = {"metadata": {"name": "everyday"}, "value": 10, "globalDefault": True}


def pod(**spec) -> dict:
    return {"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "busybox"}], **spec}}


def classes(*known: dict, default: dict | None = None) -> PriorityClasses:
    by_name = {c["metadata"]["name"]: c for c in known}
    return PriorityClasses(named=by_name.get, default=lambda: default)


def admitted(obj: dict, priority_classes: PriorityClasses) -> dict:
    return for_create("", "Pod", obj, "uid", priority_classes)["spec"]


def test_a_named_class_gives_its_value_and_policy():
    spec = admitted(pod(priorityClassName="high"), classes(HIGH))
    assert (spec["priority"], spec["preemptionPolicy"]) == (1000, "Never")


def test_the_global_default_class_names_itself_on_pods_that_name_none():
    spec = admitted(pod(), classes(default=DEFAULT))
    assert (spec["priorityClassName"], spec["priority"], spec["preemptionPolicy"]) == (
        "everyday",
        10,
        "PreemptLowerPriority",
    )


def test_without_classes_priority_is_0_and_kube_apiservers_own_classes_are_known():
    assert admitted(pod(), classes())["priority"] == 0
    assert admitted(pod(priorityClassName="system-node-critical"), classes())["priority"] == 2000001000


def test_a_missing_class_or_a_priority_that_disagrees_is_forbidden():
    with pytest.raises(Forbidden, match="no PriorityClass with name nope was found"):
        admitted(pod(priorityClassName="nope"), classes())
    with pytest.raises(Forbidden, match=r"integer value of priority \(5\) must not be provided"):
        admitted(pod(priorityClassName="high", priority=5), classes(HIGH))


def test_not_ready_and_unreachable_nodes_are_tolerated_for_300_s_unless_already():
    tolerations = admitted(pod(tolerations=[{"operator": "Exists"}]), classes())["tolerations"]
    assert tolerations == [{"operator": "Exists"}]
    added = admitted(pod(), classes())["tolerations"]
    assert [(t["key"], t["tolerationSeconds"]) for t in added] == [
        ("node.kubernetes.io/not-ready", 300),
        ("node.kubernetes.io/unreachable", 300),
    ]
