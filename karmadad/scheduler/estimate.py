"""How many more replicas of one workload a cluster can take: Karmada's general estimator.

Why this shape: the request is parsed once per distinct ``resourceRequest`` (cached) into integer
divisors, and each cluster's free resources were parsed when its snapshot was built, so estimating a
cluster is a handful of integer divisions.  Rules (``pkg/estimator/client/general.go``): no
resourceSummary ⇒ 0; free pods (rounded up per Quantity.Value()) bound the answer and ≤ 0 ⇒ 0; no
request ⇒ the free pods; each requested resource with Value() > 0 must exist in allocatable (else 0),
have Value() of its free amount > 0 (else 0), and bounds the answer by free // request — cpu in
milli-units, everything else in whole units, both rounded up first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, cast

from karmadad.scheduler.quantities import ceil_milli, ceil_value, exact
from karmadad.scheduler.snapshot import MEMO_LIMIT, NOTHING_FREE, ClusterSnapshot

MAX_INT32 = 2**31 - 1

Request = tuple[tuple[str, int, bool], ...]
"""Per requested resource: (name, divisor, divide in milli-units)."""


@lru_cache(maxsize=1024)
def _parse_request(items: tuple[tuple[str, str], ...]) -> Request:
    parsed = []
    for name, text in items:
        amount = exact(text)
        if ceil_value(amount) <= 0:
            continue  # a zero request does not limit anything
        if name == "cpu":
            parsed.append((name, ceil_milli(amount), True))
        else:
            parsed.append((name, ceil_value(amount), False))
    return tuple(parsed)


def parse_request(replica_requirements: Mapping[str, Any] | None) -> Request | None:
    """The per-replica request of a binding's ``spec.replicaRequirements``; ``None`` when there is none."""
    if replica_requirements is None:
        return None
    request = replica_requirements.get("resourceRequest") or {}
    return _parse_request(tuple(sorted((str(k), str(v)) for k, v in request.items())))


def available_replicas(cluster: ClusterSnapshot, request: Request | None) -> int:
    """Replicas of this request the cluster can still take, from its resource summary."""
    if not cluster.has_summary:
        return 0
    best = cluster.free_pods
    if best <= 0:
        return 0
    if request is None:
        return min(best, MAX_INT32)
    free = cluster.free
    for name, divisor, milli in request:
        amounts = free.get(name)
        if amounts is None or amounts[0] <= 0:
            return 0
        fits = (amounts[1] if milli else amounts[0]) // divisor
        if fits < best:
            best = fits
    return min(best, MAX_INT32)


def estimate_all(clusters: Sequence[ClusterSnapshot], request: Request | None) -> list[int]:
    """:func:`available_replicas` for many clusters at once: one pass per requested resource.

    A missing resource and one with nothing free both read as (0, 0), so ``0 // divisor`` gives the
    0 Karmada answers for them without a branch.  Answers are memoised on each snapshot per request
    (bindings share request shapes, and a snapshot lives until its Cluster changes).
    """
    known = [cluster.memo.get(request) for cluster in clusters]
    if None not in known:
        return cast("list[int]", known)  # every one memoised
    best = [cluster.free_pods for cluster in clusters]
    if request is not None:
        for name, divisor, milli in request:
            unit = 1 if milli else 0
            best = [
                fits if (fits := cluster.free.get(name, NOTHING_FREE)[unit] // divisor) < b else b
                for b, cluster in zip(best, clusters, strict=True)
            ]
    best = [b if b < MAX_INT32 else MAX_INT32 for b in best]
    for cluster, answer in zip(clusters, best, strict=True):
        memo = cluster.memo
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[request] = answer
    return best
