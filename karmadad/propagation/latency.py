"""How long a template's change takes to reach its member clusters: ``karmadad_propagation_latency_seconds``.

A user's question after ``kubectl apply`` is "when do my clusters have it?". Three controllers each see one
part of the answer, so they tell this tracker what they saw, keyed by the template's uid and generation:

- the detector, when a template's generation is new (created, or its spec changed): the clock starts;
- the binding controller, once it has written the Works for that generation: which clusters must hold it;
- the execution controller, when a member's object holds a Work's manifest of that generation.

When every target cluster holds it, the time since the change is observed once. A newer generation of the
same template supersedes an older one still on its way (that one will never arrive as such); changes that
never arrive (no policy selects the template, a cluster stays down) are forgotten after
:data:`GIVE_UP_SECONDS`, and at most :data:`MAX_TRACKED` changes are followed at once, so the tracker's
memory is bounded whatever happens.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from karmadad import metrics

GIVE_UP_SECONDS = 3600.0
MAX_TRACKED = 10_000


@dataclass
class _Change:
    generation: int
    since: float
    targets: frozenset[str] | None = None  # None until the Works are written
    holding: set[str] = field(default_factory=set)


class PropagationLatency:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        observe: Callable[[float], None] = metrics.PROPAGATION_LATENCY.observe,
    ):
        self._clock = clock
        self._observe = observe
        self._changes: OrderedDict[str, _Change] = OrderedDict()  # template uid -> its change under way

    def __len__(self) -> int:
        return len(self._changes)

    def changed(self, uid: str, generation: int) -> None:
        """The template ``uid`` now is at ``generation`` (a change the user made): start its clock."""
        if not uid:
            return
        current = self._changes.get(uid)
        if current is not None and current.generation >= generation:
            return
        now = self._clock()
        self._changes[uid] = _Change(generation, now)
        self._changes.move_to_end(uid)
        self._forget_old(now)

    def targets(self, uid: str, generation: int, clusters: Iterable[str]) -> None:
        """The Works of ``generation`` are written, for these clusters."""
        change = self._matching(uid, generation)
        if change is not None:
            change.targets = frozenset(clusters)
            self._finish_if_held(uid, change)

    def held(self, uid: str, generation: int, cluster: str) -> None:
        """``cluster``'s object holds the template as of ``generation``."""
        change = self._matching(uid, generation)
        if change is not None:
            change.holding.add(cluster)
            self._finish_if_held(uid, change)

    def _matching(self, uid: str, generation: int) -> _Change | None:
        change = self._changes.get(uid)
        return change if change is not None and change.generation == generation else None

    def _finish_if_held(self, uid: str, change: _Change) -> None:
        if change.targets and change.targets <= change.holding:
            del self._changes[uid]
            self._observe(max(self._clock() - change.since, 0.0))

    def _forget_old(self, now: float) -> None:
        while self._changes:
            uid, oldest = next(iter(self._changes.items()))
            if len(self._changes) <= MAX_TRACKED and now - oldest.since <= GIVE_UP_SECONDS:
                return
            del self._changes[uid]
