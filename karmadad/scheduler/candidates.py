"""The feasible clusters of one scheduling attempt, with score and capacity, and the ways it can fail.

Why a separate module: spread selection, replica division and the core all pass these records
around (Karmada's ``ClusterDetailInfo``), and all raise the same two kinds of failure.
"""

from __future__ import annotations

from operator import itemgetter

from karmadad.scheduler.snapshot import ClusterSnapshot


class Candidate(tuple):
    """One feasible cluster with what selection and division need to know about it.

    A tuple ``(tier, -score, -available, name, cluster, score, allocatable, available)`` so that a
    list of candidates sorts into Karmada's cluster order by plain tuple comparison — overflow tier
    ascending, score descending, available replicas descending, name ascending — and is cheap to build
    for every feasible cluster of every binding.  Build one with :meth:`of`.
    """

    __slots__ = ()

    name = property(itemgetter(3))
    cluster = property(itemgetter(4))
    score = property(
        itemgetter(5), doc="100 when the cluster is in the binding's spec.clusters (ClusterLocality)."
    )
    tier = property(
        itemgetter(0), doc="Overflow order: 0 for the term's own affinity, i for its i-th overflow one."
    )
    allocatable = property(itemgetter(6), doc="Replicas the estimator says the cluster can still take.")
    available = property(itemgetter(7), doc="allocatable plus the replicas the cluster already holds.")

    @classmethod
    def of(
        cls, cluster: ClusterSnapshot, score: int = 0, tier: int = 0, allocatable: int = 0, available: int = 0
    ) -> Candidate:
        return cls((tier, -score, -available, cluster.name, cluster, score, allocatable, available))

    def __repr__(self) -> str:
        return f"Candidate({self.name}, score={self.score}, tier={self.tier}, available={self.available})"


order_key = itemgetter(0, 1, 2, 3)
"""Sort key for Karmada's cluster order (tier, -score, -available, name)."""


class SchedulingFailure(Exception):
    """The attempt failed; ``reason`` is the Scheduled condition reason Karmada reports for it."""

    reason = "SchedulerError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.fit = 0
        """How many clusters passed the filters in the failed attempt."""


class SelectionFailure(SchedulingFailure):
    """Spread constraints cannot be met (a plain error in Karmada: reason SchedulerError, retried)."""

    reason = "SchedulerError"


class Unschedulable(SchedulingFailure):
    """The selected clusters cannot hold the replicas (Karmada's UnschedulableError)."""

    reason = "Unschedulable"


class NoClusterFit(SchedulingFailure):
    """No cluster passed the filters (Karmada's FitError): spec.clusters is cleared, no retry."""

    reason = "NoClusterFit"
