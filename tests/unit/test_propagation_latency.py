"""karmadad_propagation_latency_seconds: observed once, when every target cluster holds the generation."""

from __future__ import annotations

from karmadad.propagation import latency
from karmadad.propagation.latency import PropagationLatency


def tracker() -> tuple[PropagationLatency, list[float], list[float]]:
    now, seen = [0.0], []
    return PropagationLatency(clock=lambda: now[0], observe=seen.append), now, seen


def test_observed_when_the_last_target_holds_it_whatever_comes_first():
    clock, now, seen = tracker()
    clock.changed("uid-1", 2)
    now[0] = 1.0
    clock.held("uid-1", 2, "member1")  # before the Works were all written
    clock.targets("uid-1", 2, ["member1", "member2"])
    assert seen == []
    now[0] = 2.5
    clock.held("uid-1", 2, "member2")
    assert seen == [2.5]
    clock.held("uid-1", 2, "member2")  # once only
    assert seen == [2.5] and len(clock) == 0


def test_a_newer_generation_supersedes_and_older_reports_are_ignored():
    clock, now, seen = tracker()
    clock.changed("uid-1", 1)
    now[0] = 1.0
    clock.changed("uid-1", 2)
    clock.targets("uid-1", 1, ["member1"])
    clock.held("uid-1", 1, "member1")
    assert seen == []
    clock.targets("uid-1", 2, ["member1"])
    now[0] = 3.0
    clock.held("uid-1", 2, "member1")
    assert seen == [2.0]


def test_no_targets_is_no_propagation_and_memory_is_bounded(monkeypatch):
    clock, now, seen = tracker()
    clock.changed("uid-1", 1)
    clock.targets("uid-1", 1, [])
    assert seen == [] and len(clock) == 1
    monkeypatch.setattr(latency, "MAX_TRACKED", 3)
    for index in range(10):
        clock.changed(f"uid-{index + 2}", 1)
    assert len(clock) == 3
    now[0] = latency.GIVE_UP_SECONDS + 1
    clock.changed("late", 1)
    assert len(clock) == 1
