"""Work queues with client-go's semantics, layered the same way: queue → delaying → rate-limited.

- A key waits in the queue at most once, however often it is added (events only say *which* key
  to look at).
- A key is never handed to two workers at once: added while being processed, it is marked dirty
  and comes back once after :meth:`WorkQueue.done`.
- Failures back off per key, exponentially, under an overall token bucket; success forgets.
- Keys come out in the order they went in, or, given a ``priority`` (read when a key goes in), the
  highest first and in order among equals (Karmada's priority scheduling queue).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

import anyio

from karmadad import metrics

K = TypeVar("K", bound=Hashable)


class ShutDown(Exception):
    """The queue was shut down; workers should return."""


class _InOrder(Generic[K]):
    """Ready keys, first in first out."""

    def __init__(self) -> None:
        self._keys: deque[K] = deque()

    def push(self, key: K) -> None:
        self._keys.append(key)

    def pop(self) -> K:
        return self._keys.popleft()

    def __len__(self) -> int:
        return len(self._keys)


class _ByPriority(Generic[K]):
    """Ready keys, the highest priority first, first in first out among equals."""

    def __init__(self, priority: Callable[[K], int]) -> None:
        self._priority = priority
        self._heap: list[tuple[int, int, K]] = []
        self._sequence = itertools.count()

    def push(self, key: K) -> None:
        heapq.heappush(self._heap, (-self._priority(key), next(self._sequence), key))

    def pop(self) -> K:
        return heapq.heappop(self._heap)[2]

    def __len__(self) -> int:
        return len(self._heap)


class WorkQueue(Generic[K]):
    def __init__(
        self,
        name: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        priority: Callable[[K], int] | None = None,
    ):
        self.name = name
        self._clock = clock
        self._queue: _InOrder[K] | _ByPriority[K] = _ByPriority(priority) if priority else _InOrder()
        self._dirty: set[K] = set()
        self._processing: set[K] = set()
        self._added_at: dict[K, float] = {}
        self._started_at: dict[K, float] = {}
        self._wakeup = anyio.Event()
        self._shutting_down = False
        self._depth = metrics.WORKQUEUE_DEPTH.labels(name)
        self._adds = metrics.WORKQUEUE_ADDS.labels(name)
        self._queue_latency = metrics.WORKQUEUE_QUEUE_DURATION.labels(name)
        self._work_duration = metrics.WORKQUEUE_WORK_DURATION.labels(name)
        metrics.WORK_IN_PROGRESS.track(self)  # unfinished work and the longest runner, read when scraped

    def processing_since(self) -> tuple[Callable[[], float], Iterable[float]]:
        """The queue's clock, and when each key being processed now was handed out."""
        return self._clock, self._started_at.values()

    def add(self, key: K) -> None:
        if self._shutting_down or key in self._dirty:
            return
        self._adds.inc()
        self._dirty.add(key)
        if key in self._processing:
            return  # comes back when the worker calls done()
        self._added_at.setdefault(key, self._clock())
        self._queue.push(key)
        self._depth.set(len(self._queue))
        self._wakeup.set()

    async def get(self) -> K:
        """The next key; raises ShutDown once the queue is shut down and empty."""
        while not self._queue:
            if self._shutting_down:
                raise ShutDown
            # all waiting workers share one event; only a spent one is replaced (a worker that
            # replaced a live one would strand every worker already waiting on it)
            if self._wakeup.is_set():
                self._wakeup = anyio.Event()
            await self._wakeup.wait()
        key = self._queue.pop()
        self._depth.set(len(self._queue))
        now = self._clock()
        self._queue_latency.observe(now - self._added_at.pop(key, now))
        self._processing.add(key)
        self._started_at[key] = now
        self._dirty.discard(key)
        return key

    def done(self, key: K) -> None:
        self._processing.discard(key)
        started = self._started_at.pop(key, None)
        if started is not None:
            self._work_duration.observe(self._clock() - started)
        if key in self._dirty:
            self._added_at.setdefault(key, self._clock())
            self._queue.push(key)
            self._depth.set(len(self._queue))
            self._wakeup.set()

    def shutdown(self) -> None:
        self._shutting_down = True
        self._wakeup.set()

    def __len__(self) -> int:
        return len(self._queue)

    def is_processing(self, key: K) -> bool:
        return key in self._processing


class DelayingQueue(WorkQueue[K]):
    """Adds ``add_after``: a key enters the queue once its delay has passed. A key already waiting keeps
    the sooner of its two times (client-go's), so a burst of delayed adds for one key is one reconcile."""

    def __init__(
        self,
        name: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        priority: Callable[[K], int] | None = None,
    ):
        super().__init__(name, clock=clock, priority=priority)
        self._waiting: list[tuple[float, int, K]] = []
        # when each waiting key is due; heap entries that do not match it are stale
        self._ready_at: dict[K, float] = {}
        self._sequence = itertools.count()
        self._timer_wakeup = anyio.Event()

    def add_after(self, key: K, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        ready = self._clock() + delay
        if key in self._ready_at and self._ready_at[key] <= ready:
            return
        self._ready_at[key] = ready
        heapq.heappush(self._waiting, (ready, next(self._sequence), key))
        self._timer_wakeup.set()

    def busy(self, *, within: float = 0.0) -> bool:
        """Whether a key is queued, being worked on, or due back within ``within`` seconds: what the in-process
        tests wait out before they look at what the queue's controller did."""
        due = self._clock() + within
        return bool(self._queue or self._processing or any(ready <= due for ready in self._ready_at.values()))

    async def run_timers(self) -> None:
        """Move keys whose delay has passed into the queue; run as a task beside the workers."""
        while not self._shutting_down:
            now = self._clock()
            while self._waiting and self._waiting[0][0] <= now:
                ready, _, key = heapq.heappop(self._waiting)
                if self._ready_at.get(key) == ready:
                    del self._ready_at[key]
                    self.add(key)
            self._timer_wakeup = anyio.Event()
            delay = self._waiting[0][0] - now if self._waiting else None
            with anyio.move_on_after(delay if delay is not None else float("inf")):
                await self._timer_wakeup.wait()


class ItemExponentialBackoff:
    """Per-key delay: base · 2^failures, capped (client-go: 5 ms … 1000 s)."""

    def __init__(self, base: float = 0.005, cap: float = 1000.0):
        self.base, self.cap = base, cap
        self._failures: dict[Hashable, int] = {}

    def when(self, key: Hashable) -> float:
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        return min(self.base * 2**failures, self.cap)

    def forget(self, key: Hashable) -> None:
        self._failures.pop(key, None)

    def retries(self, key: Hashable) -> int:
        return self._failures.get(key, 0)


class TokenBucket:
    """Overall limit across keys (client-go: 10 per second, burst 100): the delay until a token."""

    def __init__(self, rate: float = 10.0, burst: int = 100, clock: Callable[[], float] = time.monotonic):
        self.rate, self.burst, self._clock = rate, burst, clock
        self._tokens = float(burst)
        self._last = clock()

    def when(self) -> float:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate


class RateLimitingQueue(DelayingQueue[K]):
    """Adds ``add_rate_limited`` (for failures) and ``forget`` (after success)."""

    def __init__(
        self,
        name: str,
        *,
        backoff: ItemExponentialBackoff | None = None,
        bucket: TokenBucket | None = None,
        clock: Callable[[], float] = time.monotonic,
        priority: Callable[[K], int] | None = None,
    ):
        super().__init__(name, clock=clock, priority=priority)
        self._backoff = backoff or ItemExponentialBackoff()
        self._bucket = bucket or TokenBucket(clock=clock)
        self._retries = metrics.WORKQUEUE_RETRIES.labels(name)

    def add_rate_limited(self, key: K) -> None:
        self._retries.inc()
        self.add_after(key, max(self._backoff.when(key), self._bucket.when()))

    def forget(self, key: K) -> None:
        self._backoff.forget(key)

    def retries(self, key: K) -> int:
        return self._backoff.retries(key)
