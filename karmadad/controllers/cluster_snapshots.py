"""Every Cluster as the scheduler reads it (:class:`~karmadad.scheduler.snapshot.ClusterSnapshot`), kept
current from the store's Cluster changes: one cache that the scheduler (placing bindings) and the binding
controller (building Works, whose overrides may read a cluster's labels and fields) share, so a Cluster is
turned into a snapshot once per change, not once per reader."""

from __future__ import annotations

from karmadad.api.karmada.resources import CLUSTERS
from karmadad.scheduler.snapshot import ClusterSnapshot, snapshot
from karmadad.store import Change, Store


class ClusterSnapshots:
    def __init__(self, store: Store):
        self._by_name = {c["metadata"]["name"]: snapshot(c) for c in store.list_all(CLUSTERS)}
        store.subscribe_index(self._on_change, resources=[CLUSTERS])

    def _on_change(self, change: Change) -> None:
        if change.type == "DELETED":
            self._by_name.pop(change.name, None)
        else:
            self._by_name[change.name] = snapshot(change.object)

    def get(self, name: str) -> ClusterSnapshot | None:
        return self._by_name.get(name)

    def all(self) -> list[ClusterSnapshot]:
        return list(self._by_name.values())
