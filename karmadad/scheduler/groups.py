"""Choosing which groups (regions, zones, providers) to spread over: Karmada's ``selectGroups``.

Why a search: the chosen groups must together hold at least the cluster constraint's ``minGroups``
clusters, with between ``minGroups`` and ``maxGroups`` groups, and among the combinations that do
the best-scored one wins (``pkg/scheduler/core/spreadconstraint/select_groups.go``).  The rules:

* groups are visited by cluster count ascending, score descending, name ascending; a depth-first
  search extends a combination until it is feasible (enough clusters, length within bounds) and
  records it, never extending a feasible combination further;
* the winner has the highest summed score, then the most clusters, then was found first;
* a feasible combination that is a strict prefix of the winner (its groups ordered by score
  descending, name ascending) replaces it — scanning the ranked list once, in order.

Karmada enumerates every combination; with many groups (zones, say) that explodes.  Past a budget
of search steps we fall back to a greedy rule (our choice, documented): groups by score descending,
clusters descending, name; take ``minGroups`` of them, then more while clusters are short and
``maxGroups`` allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

SEARCH_BUDGET = 50_000


@dataclass(slots=True)
class Group:
    name: str
    clusters: list = field(default_factory=list)
    """The group's candidates, in the global cluster order."""
    score: int = 0

    @property
    def value(self) -> int:
        return len(self.clusters)


class _BudgetExceeded(Exception):
    pass


def _ranked(groups: Sequence[Group]) -> list[Group]:
    return sorted(groups, key=lambda g: (-g.score, g.name))


def _search(
    groups: list[Group], min_groups: int, max_groups: int, target: int
) -> list[tuple[int, int, int, list[Group]]]:
    paths: list[tuple[int, int, int, list[Group]]] = []
    path: list[Group] = []
    values = [g.value for g in groups]
    steps = 0
    n = len(groups)

    def visit(total: int, weight: int, begin: int) -> None:
        nonlocal steps
        steps += 1
        if steps > SEARCH_BUDGET:
            raise _BudgetExceeded
        if total >= target and min_groups <= len(path) <= max_groups:
            paths.append((weight, total, len(paths) + 1, _ranked(path)))
            return
        if len(path) >= max_groups:
            return
        for i in range(begin, n):
            group = groups[i]
            path.append(group)
            visit(total + values[i], weight + group.score, i + 1)
            if n == min_groups:  # every group is needed: the one path through all of them is the only one
                break
            path.pop()

    visit(0, 0, 0)
    return paths


def _greedy(groups: Sequence[Group], min_groups: int, max_groups: int, target: int) -> list[Group] | None:
    ordered = sorted(groups, key=lambda g: (-g.score, -g.value, g.name))
    chosen = ordered[:min_groups]
    total = sum(g.value for g in chosen)
    for group in ordered[min_groups:]:
        if total >= target or len(chosen) >= max_groups:
            break
        chosen.append(group)
        total += group.value
    if len(chosen) < min_groups or total < target:
        return None
    return _ranked(chosen)


def select_groups(
    groups: Sequence[Group], min_groups: int, max_groups: int, target: int
) -> list[Group] | None:
    """The groups to use, ranked by score descending then name; ``None`` when no combination fits."""
    if not groups:
        return None
    ordered = sorted(groups, key=lambda g: (g.value, -g.score, g.name))
    try:
        paths = _search(ordered, min_groups, max_groups, target)
    except _BudgetExceeded:
        return _greedy(groups, min_groups, max_groups, target)
    if not paths:
        return None
    paths.sort(key=lambda p: (-p[0], -p[1], p[2]))
    best = paths[0][3]
    for _, _, _, members in paths[1:]:
        if len(members) < len(best) and all(a.name == b.name for a, b in zip(members, best, strict=False)):
            best = members
    return best
