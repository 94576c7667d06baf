"""What a committed write looks like to everyone after the store: a :class:`Change`, kept for a while
in the :class:`History` so watchers can resume from an older revision and paginated lists can be
served at one consistent revision."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Literal

from karmadad.errors import BadRequest, Cause, Expired

ChangeType = Literal["ADDED", "MODIFIED", "DELETED"]
Key = tuple[str, str]  # (namespace, name); namespace "" for cluster-scoped resources


@dataclass(slots=True)
class Change:
    revision: int
    resource: str
    namespace: str
    name: str
    type: ChangeType
    object: dict  # the new state; for DELETED the last state, carrying the deletion's revision
    previous: dict | None  # the state before, None for ADDED
    committed_at: float = field(default=0.0)  # monotonic seconds, set when the batch commits
    data: bytes = b""  # the object's JSON until its batch is durable (then dropped: history keeps objects)

    @property
    def key(self) -> Key:
        return (self.namespace, self.name)

    @property
    def before(self) -> dict:
        """``previous`` of a MODIFIED or DELETED change, which the store always records."""
        if self.previous is None:
            raise ValueError(
                f"a {self.type} change of {self.resource} {self.namespace}/{self.name} has no previous state"
            )
        return self.previous


_IGNORED_META = frozenset({"managedFields", "resourceVersion"})


def specification(obj: dict) -> dict:
    """The object without what its own status writes and every write change (status, managedFields,
    resourceVersion): what controllers compare to tell a real change from a status update."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items() if k not in _IGNORED_META}
    return {**{k: v for k, v in obj.items() if k != "status"}, "metadata": meta}


def spec_changed(change: Change) -> bool:
    """Whether a change is more than a status update (always true for creations and deletions)."""
    return change.previous is None or specification(change.previous) != specification(change.object)


@dataclass(frozen=True)
class HistoryLimits:
    """How far back watches can resume: at most ``max_events`` changes no older than ``max_age``."""

    max_events: int = 100_000
    max_age: float = 300.0


class History:
    """The most recent committed changes, oldest first, trimmed by count and age."""

    def __init__(
        self, limits: HistoryLimits, start_revision: int, clock: Callable[[], float] = time.monotonic
    ):
        self.limits = limits
        self._changes: deque[Change] = deque()
        self._clock = clock
        # Every change after this revision is (still) in the history.
        self.compacted_revision = start_revision

    def append(self, change: Change, *, trim: bool = True) -> None:
        self._changes.append(change)
        if trim:
            self.trim()

    def trim(self) -> None:
        oldest_allowed = self._clock() - self.limits.max_age
        changes = self._changes
        while changes and (len(changes) > self.limits.max_events or changes[0].committed_at < oldest_allowed):
            self.compacted_revision = changes.popleft().revision

    def check(self, revision: int, current: int) -> None:
        """Raise Expired unless every change after ``revision`` is still here."""
        if revision < self.compacted_revision:
            raise Expired(f"too old resource version: {revision} ({self.compacted_revision})")
        if revision > current:
            # kube-apiserver answers 504 after waiting for a lagging replica to catch up; one store never
            # will, so this is the client's mistake (400). client-go recognises the cause either way.
            message = f"Too large resource version: {revision}, current: {current}"
            raise BadRequest(message, causes=[Cause("", message, "ResourceVersionTooLarge")])

    def since(self, revision: int) -> Iterable[Change]:
        """Changes with a revision above ``revision``, oldest first (call :meth:`check` first)."""
        newer = []
        for change in reversed(self._changes):  # resumes are usually near the end: walk back
            if change.revision <= revision:
                break
            newer.append(change)
        return reversed(newer)

    def __len__(self) -> int:
        return len(self._changes)
