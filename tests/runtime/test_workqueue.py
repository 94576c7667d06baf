"""Work queue semantics as client-go's: dedup, one worker per key, dirty re-queue, backoff."""

from __future__ import annotations

import anyio
import pytest

from karmadad import metrics
from karmadad.errors import Conflict
from karmadad.runtime.controller import Controller, Requeue
from karmadad.runtime.workqueue import (
    ItemExponentialBackoff,
    RateLimitingQueue,
    ShutDown,
    TokenBucket,
    WorkQueue,
)

pytestmark = pytest.mark.anyio


async def test_a_key_waits_once_however_often_it_is_added():
    queue: WorkQueue[str] = WorkQueue("t-dedup")
    for key in ("a", "b", "a", "a"):
        queue.add(key)
    assert len(queue) == 2
    assert [await queue.get(), await queue.get()] == ["a", "b"]


async def test_a_key_added_while_processing_comes_back_once_after_done():
    queue: WorkQueue[str] = WorkQueue("t-dirty")
    queue.add("a")
    key = await queue.get()
    queue.add("a")
    queue.add("a")
    assert len(queue) == 0 and queue.is_processing("a")  # never handed to a second worker
    queue.done(key)
    assert len(queue) == 1 and await queue.get() == "a"
    queue.done("a")
    assert len(queue) == 0


async def test_shutdown_releases_waiting_workers():
    queue: WorkQueue[str] = WorkQueue("t-shutdown")
    with anyio.fail_after(1):
        async with anyio.create_task_group() as tasks:

            async def worker():
                with pytest.raises(ShutDown):
                    await queue.get()

            tasks.start_soon(worker)
            await anyio.sleep(0.01)
            queue.shutdown()


def test_backoff_doubles_per_failure_and_forget_resets():
    backoff = ItemExponentialBackoff(base=0.005, cap=1.0)
    assert [backoff.when("k") for _ in range(4)] == [0.005, 0.01, 0.02, 0.04]
    assert backoff.when("other") == 0.005
    assert [backoff.when("k") for _ in range(5)][-1] == 1.0
    backoff.forget("k")
    assert backoff.when("k") == 0.005


def test_token_bucket_allows_a_burst_then_paces():
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=2, clock=lambda: now[0])
    assert [bucket.when(), bucket.when()] == [0.0, 0.0]
    assert bucket.when() == pytest.approx(0.1)
    now[0] += 1.0
    assert bucket.when() == 0.0


async def test_controller_retries_failures_with_backoff_and_requeues_on_request():
    calls: list[str] = []

    async def reconcile(key: str) -> float | None:
        calls.append(key)
        if key == "flaky" and calls.count("flaky") < 3:
            raise RuntimeError("not yet")
        if key == "again" and calls.count("again") < 2:
            return 0.01
        return None

    controller: Controller[str] = Controller("t-controller", reconcile, workers=2)
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            await tasks.start(controller.run)
            controller.queue.add("flaky")
            controller.queue.add("again")
            while calls.count("flaky") < 3 or calls.count("again") < 2:  # noqa: ASYNC110
                await anyio.sleep(0.005)
            await anyio.sleep(0.05)
            tasks.cancel_scope.cancel()
    assert calls.count("flaky") == 3 and calls.count("again") == 2
    assert controller.queue.retries("flaky") == 0  # success forgot the failures


async def test_rate_limited_add_waits_its_backoff():
    queue: RateLimitingQueue[str] = RateLimitingQueue(
        "t-ratelimit", backoff=ItemExponentialBackoff(base=0.05)
    )
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(queue.run_timers)
            started = anyio.current_time()
            queue.add_rate_limited("k")
            assert len(queue) == 0
            assert await queue.get() == "k"
            assert anyio.current_time() - started >= 0.045
            tasks.cancel_scope.cancel()


async def test_every_waiting_worker_is_woken_and_all_work_at_once():
    """Workers that wait on an empty queue all share one wake-up: keys added later reach all of them, so N
    workers really run N reconciles side by side (a slow one does not hold up the others)."""
    queue: WorkQueue[int] = WorkQueue("t-wakeup")
    running, most = 0, 0

    async def worker() -> None:
        nonlocal running, most
        while True:
            try:
                key = await queue.get()
            except ShutDown:
                return
            running += 1
            most = max(most, running)
            await anyio.sleep(0.05)  # a member round trip
            running -= 1
            queue.done(key)

    with anyio.fail_after(2):
        async with anyio.create_task_group() as tasks:
            for _ in range(4):
                tasks.start_soon(worker)
            await anyio.sleep(0.01)  # all four are waiting on the empty queue
            for key in range(4):
                queue.add(key)
            await anyio.sleep(0.02)
            assert most == 4
            await anyio.sleep(0.1)  # the first four are done and waiting again
            assert not len(queue) and running == 0
            for key in range(4, 8):  # and again, once they have all waited a second time
                queue.add(key)
            await anyio.sleep(0.02)
            assert running == 4
            queue.shutdown()


async def test_delayed_adds_of_one_key_come_back_once_at_the_soonest_time():
    queue: RateLimitingQueue[str] = RateLimitingQueue("t-coalesce")
    with anyio.fail_after(2):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(queue.run_timers)
            started = anyio.current_time()
            for delay in (0.2, 0.1, 0.15, 0.3):
                queue.add_after("k", delay)
            queue.add_after("other", 0.12)
            assert await queue.get() == "k"
            assert 0.09 <= anyio.current_time() - started < 0.2
            queue.done("k")
            assert await queue.get() == "other"
            queue.done("other")
            await anyio.sleep(0.3)  # past every later time given for "k": it does not come back
            assert len(queue) == 0
            tasks.cancel_scope.cancel()


async def test_a_queue_with_priorities_hands_out_the_highest_first_and_equals_in_order():
    priorities = {"low": 1, "high": 100, "mid-a": 10, "mid-b": 10}
    queue: RateLimitingQueue[str] = RateLimitingQueue("t-priority", priority=priorities.__getitem__)
    for key in ("low", "mid-a", "high", "mid-b", "low"):
        queue.add(key)
    assert [await queue.get() for _ in range(len(queue))] == ["high", "mid-a", "mid-b", "low"]
    for key in ("mid-a", "mid-b", "low"):
        queue.done(key)
    queue.add("high")  # while being processed: back once done, by its priority again
    queue.add("low")
    queue.done("high")
    assert [await queue.get(), await queue.get()] == ["high", "low"]


async def test_conflicts_and_requeues_are_quiet_and_keep_the_reasons():
    seen: list[tuple[str, frozenset[str]]] = []

    async def reconcile(key: str) -> None:
        seen.append((key, controller.reasons(key)))
        attempts = sum(1 for k, _ in seen if k == key)
        if key == "raced" and attempts == 1:
            raise Conflict.of("configmaps", key, "the object has been modified")
        if key == "later" and attempts == 1:
            raise Requeue("not yet", after=0.05)

    controller: Controller[str] = Controller("t-quiet", reconcile)
    errors = metrics.RECONCILE_ERRORS.labels("t-quiet")
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            await tasks.start(controller.run)
            controller.enqueue("raced", "cluster changed")
            controller.enqueue("later", "changed itself")
            started = anyio.current_time()
            while len(seen) < 4:  # noqa: ASYNC110 - polling the fake reconcile's record is the point
                await anyio.sleep(0.005)
            waited = anyio.current_time() - started
            tasks.cancel_scope.cancel()
    assert sorted(seen) == [
        ("later", frozenset({"changed itself"})),
        ("later", frozenset({"changed itself"})),
        ("raced", frozenset({"cluster changed"})),
        ("raced", frozenset({"cluster changed"})),
    ], "a reconcile that did not finish hands its reasons to the next"
    assert waited >= 0.05, "Requeue(after=...) waits what it says"
    assert errors._value.get() == 0, "neither is an error"
