"""The pure scheduling core: Karmada's scheduler decisions over plain data, with explanations.

No I/O and no asyncio here; the controller shell feeds Cluster snapshots and binding dicts in and
patches the :class:`~karmadad.scheduler.core.ScheduleResult` back.
"""

from karmadad.scheduler.core import ScheduleResult, needs_rescheduling, schedule
from karmadad.scheduler.snapshot import ClusterSnapshot, snapshot

__all__ = ["ClusterSnapshot", "ScheduleResult", "needs_rescheduling", "schedule", "snapshot"]
