"""When the scheduler tries a binding again unprompted (Karmada's scheduling queue figures)."""

from karmadad.controllers.scheduler import retry_after


def test_bindings_that_do_not_fit_wait_for_a_change_or_the_five_minute_flush():
    assert retry_after("NoClusterFit", 1) == 300.0
    assert retry_after("Unschedulable", 7) == 300.0


def test_other_failures_back_off_from_one_to_ten_seconds():
    assert [retry_after("SchedulerError", n) for n in range(1, 7)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
