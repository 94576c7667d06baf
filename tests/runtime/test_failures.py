"""Races with another writer against failures: the one decision (pure), and what the controller makes of it —
a race is retried, logged at debug and counted apart; an error, or the same race again and again, is a
warning and counts in karmadad_reconcile_errors_total."""

from __future__ import annotations

import logging

import anyio
import pytest

from karmadad import metrics
from karmadad.errors import (
    AlreadyExists,
    Cause,
    Conflict,
    Forbidden,
    Invalid,
    NotFound,
    ServiceUnavailable,
    from_status,
)
from karmadad.logs import describe_object
from karmadad.runtime.controller import Controller
from karmadad.runtime.failures import RACES_TOLERATED_IN_A_ROW, Failure, classify_failure, is_race

pytestmark = pytest.mark.anyio

STALE = "the object has been modified; please apply your changes to the latest version and try again"
RACES = {
    "stale resourceVersion": Conflict.of("resourcebindings.work.karmada.io", "web-deployment", STALE),
    "object replaced (uid precondition)": Conflict.of(
        "works.work.karmada.io", "web-1", "Precondition failed"
    ),
    "created meanwhile": AlreadyExists.of("works.work.karmada.io", "web-1"),
    "deleted meanwhile": NotFound.of("deployments.apps", "web"),
    "a member's stale write": from_status(
        409,
        {
            "kind": "Status",
            "reason": "Conflict",
            "code": 409,
            "message": f'deployments.apps "web": {STALE}',
            "details": {"name": "web", "group": "apps", "kind": "deployments"},
        },
    ),
}
ERRORS = {
    "something a user must create": NotFound('PriorityClass.scheduling.k8s.io "high" not found'),
    "fields another manager owns": Conflict(
        "Apply failed with 1 conflict",
        causes=[Cause(".spec.replicas", 'conflict with "kubectl"', "FieldManagerConflict")],
    ),
    "invalid": Invalid.of("Work", "work.karmada.io", "w" * 254, [Cause("metadata.name", "too long")]),
    "forbidden": Forbidden("namespace shop is being terminated"),
    "store unavailable": ServiceUnavailable("the object store is not accepting writes"),
    "a bug": KeyError("spec"),
}


@pytest.mark.parametrize("error", RACES.values(), ids=RACES.keys())
def test_a_write_that_lost_to_another_writer_is_a_race(error):
    assert is_race(error)
    assert classify_failure(error) is Failure.RACE
    assert classify_failure(error, races_in_a_row=RACES_TOLERATED_IN_A_ROW - 1) is Failure.RACE


@pytest.mark.parametrize("error", ERRORS.values(), ids=ERRORS.keys())
def test_anything_else_is_an_error(error):
    assert not is_race(error)
    assert classify_failure(error) is Failure.ERROR
    assert classify_failure(error, races_in_a_row=RACES_TOLERATED_IN_A_ROW) is Failure.ERROR


def test_the_same_race_again_and_again_is_a_fight():
    error = RACES["stale resourceVersion"]
    assert classify_failure(error, races_in_a_row=RACES_TOLERATED_IN_A_ROW) is Failure.FIGHT
    assert classify_failure(error, races_in_a_row=RACES_TOLERATED_IN_A_ROW + 10) is Failure.FIGHT


def counted(name: str, controller: str) -> float:
    return (
        metrics.REGISTRY.get_sample_value(f"karmadad_reconcile_{name}_total", {"controller": controller})
        or 0.0
    )


async def reconcile_until_done(controller: Controller[str], key: str, done: anyio.Event) -> None:
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tasks:
            await tasks.start(controller.run)
            controller.enqueue(key)
            await done.wait()
            tasks.cancel_scope.cancel()


def logged(caplog: pytest.LogCaptureFixture, controller: str) -> list[tuple[str, str, str]]:
    return [
        (r.levelname, r.getMessage(), r.key) for r in caplog.records if r.name == f"karmadad.{controller}"
    ]


@pytest.mark.parametrize("race", ["stale resourceVersion", "created meanwhile", "deleted meanwhile"])
async def test_a_lost_race_is_retried_logged_at_debug_and_counted_apart(caplog, race):
    caplog.set_level(logging.DEBUG, logger="karmadad")
    name = f"t-race-{race.replace(' ', '-')}"
    attempts: list[str] = []
    done = anyio.Event()

    async def reconcile(key: str) -> None:
        attempts.append(key)
        if len(attempts) == 1:
            raise RACES[race]
        done.set()

    controller = Controller(
        name, reconcile, describe=lambda key: describe_object("ResourceBinding", "shop", key)
    )
    await reconcile_until_done(controller, "web-deployment", done)
    assert attempts == ["web-deployment", "web-deployment"], "retried"
    assert logged(caplog, name) == [
        ("DEBUG", "lost a race with another writer; retrying", "ResourceBinding shop/web-deployment")
    ]
    assert counted("errors", name) == 0
    assert counted("conflicts", name) == 1


async def test_a_real_failure_is_a_warning_and_counts_as_an_error(caplog):
    caplog.set_level(logging.DEBUG, logger="karmadad")
    name = "t-real-failure"
    attempts: list[str] = []
    done = anyio.Event()

    async def reconcile(key: str) -> None:
        attempts.append(key)
        if len(attempts) == 1:
            raise ERRORS["something a user must create"]
        done.set()

    controller = Controller(name, reconcile, describe=lambda key: describe_object("Deployment", "shop", key))
    await reconcile_until_done(controller, "web", done)
    assert attempts == ["web", "web"], "retried"
    assert logged(caplog, name) == [("WARNING", "reconcile failed; retrying", "Deployment shop/web")]
    assert counted("errors", name) == 1
    assert counted("conflicts", name) == 0


async def test_a_key_that_loses_every_race_is_fought_over_and_that_is_an_error(caplog):
    caplog.set_level(logging.DEBUG, logger="karmadad")
    name = "t-fight"
    lost = RACES_TOLERATED_IN_A_ROW + 2
    attempts: list[str] = []
    done = anyio.Event()

    async def reconcile(key: str) -> None:
        attempts.append(key)
        if len(attempts) <= lost:
            raise RACES["stale resourceVersion"]
        done.set()

    controller = Controller(name, reconcile)
    await reconcile_until_done(controller, "web", done)
    assert len(attempts) == lost + 1
    levels = [level for level, _, _ in logged(caplog, name)]
    assert levels == ["DEBUG"] * RACES_TOLERATED_IN_A_ROW + ["WARNING"] * (lost - RACES_TOLERATED_IN_A_ROW)
    assert counted("conflicts", name) == RACES_TOLERATED_IN_A_ROW
    assert counted("errors", name) == lost - RACES_TOLERATED_IN_A_ROW


async def test_races_in_a_row_start_again_after_a_reconcile_that_finishes(caplog):
    caplog.set_level(logging.DEBUG, logger="karmadad")
    name = "t-races-reset"
    attempts: list[str] = []
    done = anyio.Event()
    finishing = RACES_TOLERATED_IN_A_ROW  # the attempt that succeeds between two runs of races

    async def reconcile(key: str) -> None:
        attempts.append(key)
        attempt = len(attempts)
        if attempt == finishing:
            controller.enqueue(key)  # the object changed again: another pass, with fresh luck
            return
        if attempt < 2 * RACES_TOLERATED_IN_A_ROW:
            raise RACES["created meanwhile"]
        done.set()

    controller: Controller[str] = Controller(name, reconcile)
    await reconcile_until_done(controller, "web", done)
    assert counted("conflicts", name) == 2 * RACES_TOLERATED_IN_A_ROW - 2
    assert counted("errors", name) == 0
    assert all(level == "DEBUG" for level, _, _ in logged(caplog, name))
