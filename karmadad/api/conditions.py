"""Status conditions, set the one way Kubernetes' ``meta.SetStatusCondition`` sets them.

Why one function: every controller that reports a condition (Ready and CompleteAPIEnablements on Clusters,
Scheduled and FullyApplied on bindings, Applied and Dispatching on Works) must keep ``lastTransitionTime``
while the status holds and move it only when the status flips; five hand-written copies had drifted.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Literal, cast

from karmadad.api.karmada import shapes


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def condition(conditions: Sequence[dict], kind: str, ok: bool, reason: str, message: str) -> shapes.Condition:
    """The condition of type ``kind`` as it should read now: the one in ``conditions`` itself when nothing
    changed; else a new one whose ``lastTransitionTime`` moves only if its status flips (or it is new)."""
    status: Literal["True", "False"] = "True" if ok else "False"
    before = next((c for c in conditions if c.get("type") == kind), None)
    if before is not None and (before.get("status"), before.get("reason"), before.get("message")) == (
        status,
        reason,
        message,
    ):
        return cast(shapes.Condition, before)  # as stored: the API checked it against the same shape
    if before is None or before.get("status") != status or not before.get("lastTransitionTime"):
        since = _now()  # new, or its status flipped
    else:
        since = before["lastTransitionTime"]
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": since,
    }


def is_true(obj: dict | None, kind: str) -> bool:
    """Whether ``obj``'s condition of type ``kind`` has status True (False when it has none)."""
    conditions = ((obj or {}).get("status") or {}).get("conditions") or ()
    return any(c.get("type") == kind and c.get("status") == "True" for c in conditions)


def with_condition(conditions: Sequence[dict] | None, new: shapes.Condition | dict) -> list[dict]:
    """``conditions`` with ``new`` in the place of the one of its type, or after them all when it is new —
    as ``meta.SetStatusCondition`` keeps them: two controllers writing a condition each to one object (the
    scheduler's Scheduled, the binding controller's FullyApplied) never reorder the list, so a write that
    changes nothing else is no change at all."""
    kept = list(conditions or ())
    for index, old in enumerate(kept):
        if old.get("type") == new["type"]:
            kept[index] = dict(new)
            return kept
    return [*kept, dict(new)]
