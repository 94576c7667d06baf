"""Webster / Sainte-Laguë apportionment with Karmada's tie-breaks.

Seats go one at a time to the party with the highest votes / (2·seats + 1); on equal priority the
party with fewer seats wins, then the smaller name — or the larger name when the binding's resource
UID hashes (FNV-32a of its bytes) to an odd number, so equal clusters do not always favour the same
name (``pkg/util/helper/webstermethod.go``, ``binding.go``).

Why not one seat at a time: that costs a heap operation per replica, and a Deployment may ask for
2^31-1 of them. The seats given in order are exactly the best ``total`` (party, seat) candidates under
that total order, so every party first gets all its candidates with a priority above a threshold,
found by bisection and counted exactly in integers; only the few seats at the threshold (at most about
two per party) are then handed out one by one. Time depends on the number of parties and the bits of
the counts, never on the number of seats; the result is identical to the seat-by-seat method.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv32a(data: bytes) -> int:
    value = _FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def names_descending(uid: str) -> bool:
    """Karmada's tie-break direction: larger names first when fnv32a(uid) is odd (empty uid: ascending)."""
    return bool(uid) and fnv32a(uid.encode()) & 1 == 1


def _seats_above(threshold: float, votes: Sequence[int]) -> list[int]:
    """Per party, how many of its candidates v/(2s+1) lie strictly above ``threshold`` (> 0), exactly."""
    a, b = threshold.as_integer_ratio()  # v/(2s+1) > a/b  <=>  (2s+1)·a < v·b
    return [((v * b - 1) // a + 1) // 2 if v > 0 else 0 for v in votes]


def _head_start(total: int, votes: Sequence[int]) -> list[int]:
    """Seats that are certainly among the first ``total``, leaving at most a few per party to hand out."""
    if not any(v > 0 for v in votes):  # every candidate ties at 0: seats go round by seat count
        return [total // len(votes)] * len(votes)
    # About total candidates lie above sum/(2·total); bracket the threshold around that, then halve the
    # bracket until few enough seats are left (or the floats between its ends run out).
    low = high = sum(votes) / (2 * total)
    while sum(_seats_above(low, votes)) <= total:
        low /= 2
    while sum(seats := _seats_above(high, votes)) > total:
        high *= 2
    while total - sum(seats) > len(votes):
        middle = (low + high) / 2
        if middle in (low, high):
            break
        above = _seats_above(middle, votes)
        if sum(above) > total:
            low = middle
        else:
            high, seats = middle, above
    return seats


def apportion(total: int, parties: Sequence[tuple[str, int]], descending: bool = False) -> dict[str, int]:
    """Seats per party name (every party listed, possibly with 0) for ``total`` seats."""
    names = [name for name, _ in parties]
    votes = [v for _, v in parties]
    if total <= 0 or not parties:
        return dict.fromkeys(names, 0)
    if descending:  # larger names first: rank them
        order = sorted(range(len(names)), key=names.__getitem__)
        ties: list = [0] * len(names)
        for position, index in enumerate(order):
            ties[index] = -position
    else:
        ties = names

    def key(i: int, s: int) -> tuple:
        return (-(votes[i] / (2 * s + 1)), s, ties[i])

    seats = _head_start(total, votes) if total > 2 * len(names) else [0] * len(names)
    heap = [(-(votes[i] / (2 * s + 1)), s, ties[i], i) for i, s in enumerate(seats)]
    heapq.heapify(heap)
    for _ in range(total - sum(seats)):
        i = heap[0][3]
        seats[i] += 1
        heapq.heapreplace(heap, (*key(i, seats[i]), i))
    return dict(zip(names, seats, strict=True))
