"""A controller: N workers taking keys from a rate-limited queue and reconciling them.

``reconcile(key)`` is level-triggered: it reads the current state, makes the world match, and
returns. Raising retries the key with backoff (an error, logged and counted); raising :class:`Requeue`
retries it with the same backoff quietly (an expected wait, e.g. for capacity); returning a number of
seconds looks again later; returning None forgets the key's failures.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import anyio
import anyio.lowlevel
from anyio.abc import TaskStatus

from karmadad import metrics
from karmadad.logs import get_logger
from karmadad.runtime.workqueue import RateLimitingQueue, ShutDown

K = TypeVar("K", bound=Hashable)


class Requeue(Exception):
    """Not done yet, and nothing is wrong: look again after the key's backoff."""


Reconcile = Callable[[K], Awaitable[float | None]]


class Controller(Generic[K]):
    def __init__(
        self,
        name: str,
        reconcile: Reconcile[K],
        *,
        workers: int = 1,
        priority: Callable[[K], int] | None = None,
    ):
        """``priority``: keys waiting are handed out highest first (read as a key is queued)."""
        self.name = name
        self.queue: RateLimitingQueue[K] = RateLimitingQueue(name, priority=priority)
        self._reconcile = reconcile
        self._workers = workers
        self._log = get_logger(name)
        self._errors = metrics.RECONCILE_ERRORS.labels(name)

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
            try:
                again = await self._reconcile(key)
            except Requeue as wait:
                self._log.debug("waiting; requeued", key=str(key), reason=str(wait))
                self.queue.add_rate_limited(key)
            except Exception as error:
                self._errors.inc()
                retries = self.queue.retries(key)
                level = self._log.warning if retries < 5 else self._log.error
                level("reconcile failed; retrying", key=str(key), retries=retries, error=str(error))
                self.queue.add_rate_limited(key)
            else:
                self.queue.forget(key)
                if again is not None:
                    self.queue.add_after(key, again)
            finally:
                self.queue.done(key)
