"""The words of a scheduling decision: why clusters were left out, which affinity terms were tried.

Why: karmadad's Scheduled condition and events explain placements (Karmada only reports them on
complete failure, as ``0/5 clusters are available: ...``).  Reasons are counted per distinct text and
listed by count descending, then text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

SUCCESS = "Binding has been scheduled successfully."


def fit_summary(fit: int, total: int, reasons: Mapping[str, str]) -> str:
    """``3/5 clusters fit: 2 had untolerated taint {...}`` (``reasons`` maps cluster name to reason)."""
    if total == 0:
        return "0/0 clusters fit: no cluster exists"
    counted = sorted(Counter(reasons.values()).items(), key=lambda item: (-item[1], item[0]))
    listed = ", ".join(f"{count} {reason}" for reason, count in counted)
    return f"{fit}/{total} clusters fit: {listed}" if listed else f"{fit}/{total} clusters fit"


def affinity_label(name: str) -> str:
    return f'affinity "{name}"'
