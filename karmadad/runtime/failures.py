"""Which failed reconciles lost a race with another writer, and which failed: one decision for every controller.

Controllers read from caches and write back what they read with its resourceVersion (optimistic
concurrency). When another writer changed the object in between — another of karmadad's controllers, a
user, a member cluster's own controllers — the write is refused with 409 Conflict. Two writers creating one
object meet as AlreadyExists, and a write to an object deleted meanwhile as a NotFound naming it. Nothing is
wrong then: the key is retried, and its next reconcile reads the object as it is now and goes on (or finds it
gone and stops). Counted as errors, these races make ``karmadad_reconcile_errors_total`` climb on every
healthy start, and an alert on it means nothing; so they are counted apart
(``karmadad_reconcile_conflicts_total``) and logged at debug, and the errors counter counts failures only.

What is not a race, though it comes with the same codes:

- a NotFound that names no object: something the reconcile needs is missing (a PriorityClass a policy
  names) and only a user can create it;
- a Conflict over field ownership (server-side apply's ``FieldManagerConflict`` causes): another manager
  owns the fields, and asking again gets the same answer;
- a race that keeps coming back: a key that loses :data:`RACES_TOLERATED_IN_A_ROW` races in a row is not
  being raced but fought over (two writers undoing each other), and that is an error.
"""

from __future__ import annotations

import enum

from karmadad.errors import AlreadyExists, Conflict, NotFound

RACES_TOLERATED_IN_A_ROW = 5  # a race resolves on the next read: five in a row is a fight, not bad luck
_OWNERSHIP_CONFLICT = "FieldManagerConflict"


class Failure(enum.Enum):
    RACE = "race"  # lost to another writer; the next pass reads what it wrote: retried quietly
    FIGHT = "fight"  # a race again and again on one key: an error, retried
    ERROR = "error"  # anything else: an error, retried


def is_race(error: BaseException) -> bool:
    """Whether ``error`` is what a write gets when another writer changed, created or deleted the object
    since it was read."""
    if isinstance(error, Conflict):
        return not any(cause.reason == _OWNERSHIP_CONFLICT for cause in error.causes)
    if isinstance(error, AlreadyExists):
        return True
    if isinstance(error, NotFound):
        return bool(error.kind and error.name)  # the store or a member named the object that is gone
    return False


def classify_failure(error: BaseException, *, races_in_a_row: int = 0) -> Failure:
    """What a reconcile's failure is, knowing how many of the key's reconciles just before this one ended
    in a race (``races_in_a_row``)."""
    if not is_race(error):
        return Failure.ERROR
    return Failure.RACE if races_in_a_row < RACES_TOLERATED_IN_A_ROW else Failure.FIGHT
