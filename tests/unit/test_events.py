"""The event recorder writes Events as client-go's does; old Events expire like kube-apiserver's."""

from __future__ import annotations

import time

import anyio
import pytest

from karmadad import metrics
from karmadad.events import (
    EVENT_TTL,
    EVENTS,
    REPEAT_WINDOW,
    EventRecorder,
    expire_events,
    expired_events,
    involved_object,
    last_written,
    sweep_events,
    timestamp,
)
from karmadad.selectors import parse_field_selector
from karmadad.store import Query
from tests.store.conftest import store  # noqa: F401 - the fixture
from tests.store.test_store_gc import eventually

pytestmark = pytest.mark.anyio

START = 1_750_000_000.0  # 2025-06-15T15:06:40Z


class Clock:
    def __init__(self, now: float = START):
        self.now = now

    def __call__(self) -> float:
        return self.now


def binding(name: str = "web-deployment", namespace: str = "shop") -> dict:
    return {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}", "resourceVersion": "7"},
        "spec": {},
    }


CLUSTER = {
    "apiVersion": "cluster.karmada.io/v1alpha1",
    "kind": "Cluster",
    "metadata": {"name": "member1", "uid": "uid-member1", "resourceVersion": "3"},
}


def events(store) -> list[dict]:  # noqa: F811
    return sorted(store.list_all(EVENTS), key=lambda e: e["metadata"]["name"])


async def make_namespace(store, name: str) -> None:  # noqa: F811
    await store.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})


async def test_an_event_is_written_like_client_gos(store):  # noqa: F811
    await make_namespace(store, "shop")
    recorder = EventRecorder(store, "karmada-scheduler", clock=Clock())
    recorder.event(binding(), "Normal", "ScheduleBindingSucceed", "Binding has been scheduled successfully.")
    assert events(store) == [], "recording only queues"
    await recorder.write_pending()
    [event] = events(store)
    meta = event["metadata"]
    assert meta["namespace"] == "shop"
    name, _, suffix = meta["name"].rpartition(".")
    assert name == "web-deployment"
    assert int(suffix, 16) == int(START * 1e9)
    assert {k: v for k, v in event.items() if k != "metadata"} == {
        "apiVersion": "v1",
        "kind": "Event",
        "involvedObject": {
            "kind": "ResourceBinding",
            "namespace": "shop",
            "name": "web-deployment",
            "uid": "uid-web-deployment",
            "apiVersion": "work.karmada.io/v1alpha2",
            "resourceVersion": "7",
        },
        "reason": "ScheduleBindingSucceed",
        "message": "Binding has been scheduled successfully.",
        "source": {"component": "karmada-scheduler"},
        "firstTimestamp": "2025-06-15T15:06:40Z",
        "lastTimestamp": "2025-06-15T15:06:40Z",
        "count": 1,
        "type": "Normal",
        "eventTime": None,
        "reportingComponent": "karmada-scheduler",
        "reportingInstance": "",
    }


async def test_events_about_cluster_scoped_objects_go_to_default(store):  # noqa: F811
    recorder = EventRecorder(store, "cluster-controller", clock=Clock())
    recorder.event(CLUSTER, "Warning", "ClusterNotReady", "cluster is not reachable")
    await recorder.write_pending()
    [event] = events(store)
    assert event["metadata"]["namespace"] == "default"
    assert event["metadata"]["name"].startswith("member1.")
    assert "namespace" not in event["involvedObject"]
    assert event["type"] == "Warning"


async def test_repeats_within_ten_minutes_count_into_one_event(store):  # noqa: F811
    await make_namespace(store, "shop")
    clock = Clock()
    recorder = EventRecorder(store, "detector", clock=clock)
    for _ in range(3):  # queued together: one write
        recorder.event(binding(), "Warning", "ApplyPolicyFailed", "no policy matches")
    await recorder.write_pending()
    [event] = events(store)
    assert event["count"] == 3
    written = event["metadata"]["resourceVersion"]

    clock.now += REPEAT_WINDOW - 1
    newer = binding()
    newer["metadata"]["resourceVersion"] = "8"  # the object changed; the event is still the same one
    recorder.event(newer, "Warning", "ApplyPolicyFailed", "no policy matches")
    await recorder.write_pending()
    [event] = events(store)
    assert event["count"] == 4
    assert event["firstTimestamp"] == timestamp(START)
    assert event["lastTimestamp"] == timestamp(clock.now)
    assert event["involvedObject"]["resourceVersion"] == "7", "the reference is the first occurrence's"
    assert event["metadata"]["resourceVersion"] != written

    clock.now += REPEAT_WINDOW - 1  # the window runs from the last occurrence
    recorder.event(binding(), "Warning", "ApplyPolicyFailed", "no policy matches")
    await recorder.write_pending()
    assert [e["count"] for e in events(store)] == [5]


async def test_a_repeat_after_the_window_or_about_something_else_is_a_new_event(store):  # noqa: F811
    await make_namespace(store, "shop")
    clock = Clock()
    recorder = EventRecorder(store, "detector", clock=clock)
    recorder.event(binding(), "Normal", "Synced", "ok")
    await recorder.write_pending()
    clock.now += REPEAT_WINDOW + 1
    recorder.event(binding(), "Normal", "Synced", "ok")
    await recorder.write_pending()
    assert [e["count"] for e in events(store)] == [1, 1]

    recorder.event(binding(), "Normal", "Synced", "a different message")
    recorder.event(binding(), "Warning", "Synced", "ok")
    recorder.event(binding(), "Normal", "Applied", "ok")
    recorder.event(binding("other"), "Normal", "Synced", "ok")
    await recorder.write_pending()
    assert len(events(store)) == 6
    names = [e["metadata"]["name"] for e in events(store)]
    assert len(set(names)) == 6, "names are unique even when written at the same instant"


async def test_a_deleted_event_is_written_anew_on_a_repeat(store):  # noqa: F811
    await make_namespace(store, "shop")
    recorder = EventRecorder(store, "detector", clock=Clock())
    recorder.event(binding(), "Normal", "Synced", "ok")
    await recorder.write_pending()
    [event] = events(store)
    await store.delete(EVENTS, "shop", event["metadata"]["name"])
    recorder.event(binding(), "Normal", "Synced", "ok")
    await recorder.write_pending()
    [again] = events(store)
    assert again["count"] == 1
    assert again["metadata"]["name"] != event["metadata"]["name"]


async def test_a_full_queue_drops_and_counts(store):  # noqa: F811
    await make_namespace(store, "shop")
    recorder = EventRecorder(store, "test-full-queue", queue_size=2, clock=Clock())

    def dropped() -> float:
        labels = {"component": "test-full-queue"}
        return metrics.REGISTRY.get_sample_value("karmadad_events_dropped_total", labels) or 0.0

    for reason in ("A", "B", "C", "D"):
        recorder.event(binding(), "Normal", reason, "m")
    assert recorder.pending() == 2
    assert dropped() == 2
    await recorder.write_pending()
    assert sorted(e["reason"] for e in events(store)) == ["A", "B"]


async def test_failed_writes_are_logged_not_raised(store, caplog):  # noqa: F811
    await make_namespace(store, "shop")
    recorder = EventRecorder(store, "detector", clock=Clock())
    recorder.event(binding(namespace="nowhere"), "Normal", "Synced", "ok")  # its namespace does not exist
    recorder.event(binding(), "Normal", "Synced", "ok")
    await recorder.write_pending()
    assert [e["metadata"]["namespace"] for e in events(store)] == ["shop"]
    assert "could not write event" in caplog.text


async def test_unsupported_types_are_not_recorded(store):  # noqa: F811
    recorder = EventRecorder(store, "detector", clock=Clock())
    recorder.event(CLUSTER, "Error", "Oops", "m")
    assert recorder.pending() == 0


async def test_run_writes_in_the_background(store):  # noqa: F811
    await make_namespace(store, "shop")
    recorder = EventRecorder(store, "detector")
    async with anyio.create_task_group() as tasks:
        await tasks.start(recorder.run)
        recorder.event(binding(), "Normal", "Synced", "ok")
        await eventually(lambda: len(events(store)) == 1)
        recorder.event(binding(), "Normal", "Synced", "ok")
        await eventually(lambda: events(store)[0]["count"] == 2)
        recorder.event(CLUSTER, "Warning", "NotReady", "down")
        await eventually(lambda: len(events(store)) == 2)
        tasks.cancel_scope.cancel()


async def test_kubectl_can_select_recorded_events(store):  # noqa: F811
    await make_namespace(store, "shop")
    recorder = EventRecorder(store, "detector", clock=Clock())
    recorder.event(binding(), "Warning", "ApplyPolicyFailed", "no policy")
    recorder.event(binding(), "Normal", "Synced", "ok")
    recorder.event(binding("other"), "Warning", "ApplyPolicyFailed", "no policy")
    await recorder.write_pending()

    def selected(text: str) -> list[tuple[str, str]]:
        found = store.list(Query(EVENTS, "shop", fields=parse_field_selector(text))).items
        return sorted((e["involvedObject"]["name"], e["reason"]) for e in found)

    assert selected("type=Warning") == [
        ("other", "ApplyPolicyFailed"),
        ("web-deployment", "ApplyPolicyFailed"),
    ]
    describe = (
        "involvedObject.name=web-deployment,involvedObject.namespace=shop,"
        "involvedObject.kind=ResourceBinding,involvedObject.uid=uid-web-deployment"
    )
    assert selected(describe) == [("web-deployment", "ApplyPolicyFailed"), ("web-deployment", "Synced")]
    assert selected("source=detector,reason=Synced") == [("web-deployment", "Synced")]


def test_involved_object_leaves_out_what_the_object_lacks():
    assert involved_object({"kind": "ConfigMap", "metadata": {"name": "c"}}) == {
        "kind": "ConfigMap",
        "name": "c",
    }
    assert involved_object({}) == {}


def test_an_event_was_last_written_at_its_newest_timestamp():
    event = {
        "metadata": {"creationTimestamp": "2025-06-15T15:00:00Z"},
        "firstTimestamp": "2025-06-15T15:00:00Z",
        "lastTimestamp": "2025-06-15T15:30:00Z",
    }
    assert last_written(event) == 1_749_999_600.0 + 1800
    assert last_written({"metadata": {}, "eventTime": "2025-06-15T15:00:00.250000Z"}) == 1_749_999_600.25
    newer = {"metadata": {}, "series": {"count": 2, "lastObservedTime": "2025-06-15T16:00:00.000000Z"}}
    assert last_written(newer) == 1_749_999_600.0 + 3600
    assert last_written({"metadata": {"creationTimestamp": "garbage"}, "eventTime": None}) is None


def test_events_expire_an_hour_after_their_last_write():
    fresh = {"metadata": {"name": "fresh", "creationTimestamp": timestamp(START - 10)}}
    old = {"metadata": {"name": "old", "creationTimestamp": timestamp(START - EVENT_TTL - 1)}}
    renewed = {
        **old,
        "metadata": {**old["metadata"], "name": "renewed"},
        "lastTimestamp": timestamp(START - 60),
    }
    undated = {"metadata": {"name": "undated"}}
    expired = expired_events([fresh, old, renewed, undated], START)
    assert [e["metadata"]["name"] for e in expired] == ["old"]


async def test_the_sweep_deletes_expired_events_and_spares_the_rest(store):  # noqa: F811
    await make_namespace(store, "shop")
    clock = Clock(time.time())  # the store stamps creationTimestamp with the real time
    began = clock.now
    recorder = EventRecorder(store, "detector", clock=clock)
    recorder.event(binding(), "Normal", "Quiet", "m")
    recorder.event(binding(), "Normal", "Recurring", "m")
    await recorder.write_pending()
    clock.now += REPEAT_WINDOW - 1
    recorder.event(binding(), "Normal", "Recurring", "m")  # written again: its hour starts over
    await recorder.write_pending()

    assert await sweep_events(store, began + EVENT_TTL - 5) == 0
    assert await sweep_events(store, began + EVENT_TTL + 5) == 1
    assert [e["reason"] for e in events(store)] == ["Recurring"]
    assert await sweep_events(store, clock.now + EVENT_TTL + 5) == 1
    assert events(store) == []


async def test_expire_events_runs_the_sweep_periodically(store):  # noqa: F811
    await make_namespace(store, "shop")
    recorder = EventRecorder(store, "detector")
    recorder.event(binding(), "Normal", "Synced", "ok")
    await recorder.write_pending()
    clock = Clock(last_written(events(store)[0]) + EVENT_TTL - 0.5)
    async with anyio.create_task_group() as tasks:
        await tasks.start(
            lambda task_status: expire_events(store, interval=0.05, clock=clock, task_status=task_status)
        )
        await anyio.sleep(0.2)
        assert len(events(store)) == 1, "not yet an hour old"
        clock.now += 1
        await eventually(lambda: events(store) == [])
        tasks.cancel_scope.cancel()
