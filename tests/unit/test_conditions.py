"""One way to set a status condition: the transition time moves only when the status flips."""

from __future__ import annotations

from karmadad.api.conditions import condition, with_condition

OLD = {
    "type": "Ready",
    "status": "True",
    "reason": "Up",
    "message": "ok",
    "lastTransitionTime": "2026-01-01T00:00:00Z",
}


def test_an_unchanged_condition_is_the_one_already_there():
    assert condition([OLD], "Ready", True, "Up", "ok") is OLD


def test_a_new_reason_keeps_the_transition_time_and_a_flip_moves_it():
    reworded = condition([OLD], "Ready", True, "StillUp", "fine")
    assert reworded == {**OLD, "reason": "StillUp", "message": "fine"}
    flipped = condition([OLD], "Ready", False, "Down", "gone")
    assert flipped["status"] == "False" and flipped["lastTransitionTime"] > OLD["lastTransitionTime"]
    fresh = condition([], "Scheduled", True, "Success", "done")
    assert fresh["lastTransitionTime"] and fresh["type"] == "Scheduled"


def test_with_condition_replaces_its_type_in_place_and_keeps_the_others():
    other = {"type": "Applied", "status": "True"}
    new = condition([OLD], "Ready", False, "Down", "gone")
    assert with_condition([OLD, other], new) == [new, other], "in its place: the order never changes"
    assert with_condition([other], new) == [other, new], "a new type comes last"
    assert with_condition(None, new) == [new]
