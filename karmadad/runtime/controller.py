"""A controller: N workers taking keys from a rate-limited queue and reconciling them.

``reconcile(key)`` is level-triggered: it reads the current state, makes the world match, and
returns. Raising retries the key with backoff (an error, logged as a warning and counted in
``karmadad_reconcile_errors_total``); raising :class:`Requeue` retries it with the same backoff quietly (an
expected wait, e.g. for capacity), or after the seconds it says; a lost race with another writer (a
Conflict, an AlreadyExists, a NotFound of the object written: :mod:`karmadad.runtime.failures` decides) is
retried quietly too, logged at debug and counted in ``karmadad_reconcile_conflicts_total``; raising
:class:`Terminal` stops retrying (the reconcile has said why in a condition or Event; trying again cannot
mend it, a change to the object will queue it again); returning a number of seconds looks again later;
returning None forgets the key's failures.

Logs name a key as its controller describes it (``describe``: ``ResourceBinding shop/web-deployment``, with
:func:`karmadad.logs.describe_object`), never as the tuple it is.

Keys say *which* object to look at; some controllers also need to know *why* it was queued (a cluster
changed, the template changed itself, the Work's member objects need comparing). They queue with
:meth:`Controller.enqueue` and a reason; the reconcile reads :meth:`Controller.reasons` for the key it is
reconciling. Reasons gather while a key waits, and when its reconcile fails (or requeues) they are kept
for the next one — in this one place, so no controller loses a reason to a Conflict.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import anyio
import anyio.lowlevel
from anyio.abc import TaskStatus

from karmadad import metrics
from karmadad.logs import get_logger
from karmadad.runtime.failures import Failure, classify_failure
from karmadad.runtime.workqueue import RateLimitingQueue, ShutDown

K = TypeVar("K", bound=Hashable)


class Requeue(Exception):
    """Not done yet, and nothing is wrong: look again after the key's backoff, or ``after`` seconds."""

    def __init__(self, message: str = "", *, after: float | None = None):
        super().__init__(message)
        self.after = after


class Terminal(Exception):
    """Done, and not well: what failed will fail again until something changes (an invalid manifest, an
    object that is not ours to take). The reconcile has written why where users look (a condition, an
    Event); the key is not retried until it is queued again."""


Reconcile = Callable[[K], Awaitable[float | None]]


class Controller(Generic[K]):
    def __init__(
        self,
        name: str,
        reconcile: Reconcile[K],
        *,
        workers: int = 1,
        priority: Callable[[K], int] | None = None,
        describe: Callable[[K], str] = str,
    ):
        """``priority``: keys waiting are handed out highest first (read as a key is queued). ``describe``:
        a key as logs name it (the default suits keys that are names already)."""
        self.name = name
        self.queue: RateLimitingQueue[K] = RateLimitingQueue(name, priority=priority)
        self.describe = describe
        self._reconcile = reconcile
        self._workers = workers
        self._log = get_logger(name)
        self._errors = metrics.RECONCILE_ERRORS.labels(name)
        self._conflicts = metrics.RECONCILE_CONFLICTS.labels(name)
        self._terminal = metrics.RECONCILE_TERMINAL.labels(name)
        self._races_in_a_row: dict[K, int] = {}  # keys whose last reconciles lost races, and how many
        self._waiting_reasons: dict[K, set[str]] = {}  # why each queued key was queued
        self._reconciling_reasons: dict[K, frozenset[str]] = {}  # those of the keys being reconciled

    def enqueue(self, key: K, reason: str | None = None) -> None:
        """Queue ``key`` to be reconciled, with why (if the reconcile needs to know)."""
        if reason is not None:
            self._waiting_reasons.setdefault(key, set()).add(reason)
        self.queue.add(key)

    def reasons(self, key: K) -> frozenset[str]:
        """Why ``key``, being reconciled now, was queued (every reason since its last successful reconcile)."""
        return self._reconciling_reasons.get(key, frozenset())

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run the workers until cancelled."""
        try:
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self.queue.run_timers)
                for _ in range(self._workers):
                    tasks.start_soon(self._work)
                task_status.started()
        finally:
            self.queue.shutdown()

    async def _work(self) -> None:
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            # one key per turn of the event loop: a key that comes straight back (a conflict with a write
            # not yet committed) must not keep the store's writer from ever committing it
            await anyio.lowlevel.checkpoint()
            self._reconciling_reasons[key] = frozenset(self._waiting_reasons.pop(key, ()))
            races = self._races_in_a_row.pop(key, 0)  # kept below only if this one is lost to a race too
            try:
                again = await self._reconcile(key)
            except Requeue as wait:
                self._log.debug("waiting; requeued", key=self.describe(key), reason=str(wait))
                if wait.after is None:
                    self.queue.add_rate_limited(key)
                else:
                    self.queue.add_after(key, wait.after)
            except Terminal as stop:
                self._terminal.inc()
                self._log.warning(
                    "reconcile failed; not retried until the object changes",
                    key=self.describe(key),
                    error=str(stop),
                )
                del self._reconciling_reasons[key]
                self.queue.forget(key)
            except BaseException as error:
                if not isinstance(error, Exception):
                    raise  # cancelled: the reasons stay for whoever runs the queue next
                self._failed(key, error, races)
            else:
                del self._reconciling_reasons[key]  # done: its reasons are answered
                self.queue.forget(key)
                if again is not None:
                    self.queue.add_after(key, again)
            finally:
                self._keep_reasons(key)
                self.queue.done(key)

    def _failed(self, key: K, error: Exception, races: int) -> None:
        """Retry ``key`` after its backoff; log and count the failure as what it is: a race lost to another
        writer (the next pass reads what that one wrote), the same race again and again, or an error."""
        failure = classify_failure(error, races_in_a_row=races)
        if failure is not Failure.ERROR:
            self._races_in_a_row[key] = races + 1
        if failure is Failure.RACE:
            self._conflicts.inc()
            self._log.debug(
                "lost a race with another writer; retrying", key=self.describe(key), error=str(error)
            )
        elif failure is Failure.FIGHT:
            self._errors.inc()
            self._log.warning(
                "another writer keeps changing the object; retrying",
                key=self.describe(key),
                races_in_a_row=races + 1,
                error=str(error),
            )
        else:
            self._errors.inc()
            retries = self.queue.retries(key)
            level = self._log.warning if retries < 5 else self._log.error
            level("reconcile failed; retrying", key=self.describe(key), retries=retries, error=str(error))
        self.queue.add_rate_limited(key)

    def _keep_reasons(self, key: K) -> None:
        """A reconcile that did not finish (failed, requeued, cancelled): its reasons stand for the next."""
        if reasons := self._reconciling_reasons.pop(key, None):
            self._waiting_reasons.setdefault(key, set()).update(reasons)
