"""Webster / Sainte-Laguë apportionment and Karmada's tie-breaks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karmadad.scheduler.webster import apportion, fnv32a, names_descending


@pytest.mark.parametrize(
    ("total", "parties", "expected"),
    [
        (9, [("a", 1), ("b", 2)], {"a": 3, "b": 6}),
        (9, [("a", 1), ("b", 3)], {"a": 2, "b": 7}),
        (12, [("a", 6), ("b", 12), ("c", 18)], {"a": 2, "b": 4, "c": 6}),
        (0, [("a", 1)], {"a": 0}),
        (3, [("a", 5), ("b", 0)], {"a": 3, "b": 0}),
    ],
)
def test_check_values(total: int, parties: list[tuple[str, int]], expected: dict[str, int]) -> None:
    assert apportion(total, parties) == expected


def test_fnv32a_matches_the_reference_vectors() -> None:
    assert fnv32a(b"") == 0x811C9DC5
    assert fnv32a(b"a") == 0xE40C292C
    assert fnv32a(b"foobar") == 0xBF9CF968


def test_tie_break_direction_follows_the_uid_hash() -> None:
    assert not names_descending("")
    assert not names_descending("a")  # 0xe40c292c is even
    assert names_descending("b")  # 0xe70c2de5 is odd
    assert apportion(1, [("x", 1), ("y", 1)], descending=False) == {"x": 1, "y": 0}
    assert apportion(1, [("x", 1), ("y", 1)], descending=True) == {"x": 0, "y": 1}
    assert apportion(3, [("x", 1), ("y", 1), ("z", 1)], descending=True) == {"x": 1, "y": 1, "z": 1}


def test_fewer_seats_win_a_tie_before_names() -> None:
    # After a's first seat, a (3/3) and b (1/1) tie: b has fewer seats, whichever way names sort.
    for descending in (False, True):
        assert apportion(2, [("a", 3), ("b", 1)], descending) == {"a": 1, "b": 1}


def reference(total: int, parties: list[tuple[str, int]], descending: bool) -> dict[str, int]:
    """Seat by seat, exactly Karmada's comparator: priority, then fewer seats, then name."""
    seats = {name: 0 for name, _ in parties}
    votes = dict(parties)

    def better(a: str, b: str) -> bool:
        pa, pb = votes[a] / (2 * seats[a] + 1), votes[b] / (2 * seats[b] + 1)
        if pa != pb:
            return pa > pb
        if seats[a] != seats[b]:
            return seats[a] < seats[b]
        return a > b if descending else a < b

    for _ in range(total):
        best = None
        for name in seats:
            if best is None or better(name, best):
                best = name
        seats[best] += 1
    return seats


@settings(max_examples=300, deadline=None)
@given(
    st.integers(0, 400),
    st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), st.integers(0, 60), min_size=1, max_size=8),
    st.booleans(),
)
def test_apportion_equals_seat_by_seat_allocation(
    total: int, votes: dict[str, int], descending: bool
) -> None:
    parties = list(votes.items())
    assert apportion(total, parties, descending) == reference(total, parties, descending)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 500),
    st.dictionaries(st.text("abcdef", min_size=1, max_size=2), st.integers(1, 1000), min_size=1, max_size=6),
)
def test_seats_add_up(total: int, votes: dict[str, int]) -> None:
    assert sum(apportion(total, list(votes.items())).values()) == total


@settings(max_examples=100, deadline=None)
@given(
    st.integers(0, 3000),
    st.dictionaries(
        st.text("abcdefgh", min_size=1, max_size=3), st.integers(0, 10**6), min_size=1, max_size=5
    ),
    st.booleans(),
)
def test_the_head_start_matches_seat_by_seat_for_many_seats(
    total: int, votes: dict[str, int], descending: bool
) -> None:
    parties = list(votes.items())
    assert apportion(total, parties, descending) == reference(total, parties, descending)


@pytest.mark.parametrize(
    ("parties", "expected"),
    [
        ([("a", 1), ("b", 2), ("c", 3)], [357913941, 715827882, 1073741824]),
        ([("a", 0), ("b", 0)], [1073741824, 1073741823]),  # all tie at 0: round by seat count, then name
        ([("a", 2**31 - 1), ("b", 1)], [2147483646, 1]),
        ([("a", 1), ("b", 1), ("c", 0)], [1073741824, 1073741823, 0]),
    ],
)
def test_the_largest_replica_count_is_divided_without_handing_out_seats_one_by_one(parties, expected) -> None:
    """2^31-1 replicas (legal in Kubernetes) seat by seat would hold the event loop for tens of seconds."""
    assert list(apportion(2**31 - 1, parties).values()) == expected


@settings(max_examples=50, deadline=None)
@given(
    st.integers(2**20, 2**31 - 1),
    st.lists(st.integers(0, 2**31 - 1), min_size=1, max_size=100),
)
def test_huge_totals_are_webster_apportionments(total: int, votes: list[int]) -> None:
    """Every seat given outranks every seat not given: each party's last seat has a priority
    v/(2s-1) at least that of any party's next one, v/(2s+1) (compared exactly, in integers)."""
    parties = [(f"c{i:03d}", v) for i, v in enumerate(votes)]
    seats = apportion(total, parties)
    assert sum(seats.values()) == total
    if not sum(votes):
        return
    for name_i, v_i in parties:
        if seats[name_i] == 0:
            continue
        for name_j, v_j in parties:
            if name_j != name_i:
                assert v_i * (2 * seats[name_j] + 1) >= v_j * (2 * seats[name_i] - 1)
