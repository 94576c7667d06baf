"""Webster / Sainte-Laguë apportionment with Karmada's tie-breaks.

Seats go one at a time to the party with the highest votes / (2·seats + 1); on equal priority the
party with fewer seats wins, then the smaller name — or the larger name when the binding's resource
UID hashes (FNV-32a of its bytes) to an odd number, so equal clusters do not always favour the same
name (``pkg/util/helper/webstermethod.go``, ``binding.go``).

Why the jump start: handing out seats one by one costs a heap operation per replica.  The seats
given in order are exactly the best ``total`` (party, seat) candidates under that total order, so we
may first give every party all its candidates above a threshold — checked exactly to be a prefix of
the order — and hand out only the rest one by one.  The result is identical either way.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from itertools import repeat

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


def _jump_start(total: int, votes: Sequence[int], key) -> list[int] | None:
    vote_sum = sum(votes)
    if vote_sum <= 0:
        return None
    threshold = vote_sum / (2 * total) * 1.05
    # Party i has ceil((v/t - 1) / 2) candidates with priority above t; the check below makes it exact.
    seats = [math.ceil((v / threshold - 1) / 2) if v > threshold else 0 for v in votes]
    if sum(seats) > total or not any(seats):
        return None
    worst_given = max(key(i, s - 1) for i, s in enumerate(seats) if s > 0)
    best_front = min(key(i, s) for i, s in enumerate(seats))
    return seats if worst_given < best_front else None


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

    seats = _jump_start(total, votes, key) if total > 2 * len(names) else None
    if seats is None:
        seats = [0] * len(names)
        heap = list(zip([-float(v) for v in votes], repeat(0), ties, range(len(votes))))
    else:
        heap = [(*key(i, s), i) for i, s in enumerate(seats)]
    heapq.heapify(heap)
    for _ in range(total - sum(seats)):
        i = heap[0][3]
        seats[i] += 1
        heapq.heapreplace(heap, (*key(i, seats[i]), i))
    return dict(zip(names, seats, strict=True))
