"""A Cluster change reschedules a Divided binding even when the first write of the new schedule meets a
Conflict: why the binding was queued (its clusters changed) outlives the failed reconcile."""

from __future__ import annotations

import anyio
import pytest

from karmadad.api.karmada.resources import CLUSTERS, PROPAGATION_POLICIES, RESOURCE_BINDINGS
from karmadad.controllers.scheduler import SchedulerController
from karmadad.errors import Conflict
from karmadad.events import EventRecorder
from karmadad.store import Store
from tests.controllers.objects import NAMESPACE, REGISTRY, deployment, prepared, ready_cluster
from tests.store.test_store_gc import eventually

pytestmark = pytest.mark.anyio
BINDING = "web-deployment"


class ConflictOnce:
    """The store, except that the next binding write, once armed, fails with a Conflict."""

    def __init__(self, store: Store):
        self._store = store
        self.armed = False
        self.conflicts = 0

    def __getattr__(self, name: str):
        return getattr(self._store, name)

    async def update(self, resource: str, obj: dict, **options) -> dict:
        if self.armed and resource == RESOURCE_BINDINGS:
            self.armed = False
            self.conflicts += 1
            raise Conflict.of(resource, obj["metadata"]["name"], "the object has been modified")
        return await self._store.update(resource, obj, **options)


def targets(store: Store) -> list[str]:
    binding = store.find(RESOURCE_BINDINGS, NAMESPACE, BINDING) or {}
    return sorted(c["name"] for c in (binding.get("spec") or {}).get("clusters") or ())


async def test_a_cluster_change_survives_a_conflict(plane):
    db = plane.store
    await ready_cluster(db, "m1", {"tier": "gold"})
    await ready_cluster(db, "m2", {"tier": "silver"})
    placement = {
        "clusterAffinity": {"labelSelector": {"matchLabels": {"tier": "gold"}}},
        "replicaScheduling": {
            "replicaSchedulingType": "Divided",
            "replicaDivisionPreference": "Weighted",
            "weightPreference": {"staticWeightList": [
                {"targetCluster": {"clusterNames": ["m1"]}, "weight": 1},
                {"targetCluster": {"clusterNames": ["m2"]}, "weight": 1},
            ]},
        },
    }  # fmt: skip
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "pp", "namespace": NAMESPACE},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}], "placement": placement}}  # fmt: skip
    await db.create(
        PROPAGATION_POLICIES, prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", policy)
    )
    await db.create("deployments.apps", prepared("apps", "v1", "deployments", deployment("web")))
    flaky = ConflictOnce(db)
    scheduler = SchedulerController(flaky, REGISTRY, EventRecorder(db, "karmada-scheduler"), workers=1)
    async with anyio.create_task_group() as tasks:
        await tasks.start(scheduler.run)
        await eventually(lambda: targets(db) == ["m1"])
        flaky.armed = True
        m2 = db.find(CLUSTERS, "", "m2")
        await db.update(CLUSTERS, {**m2, "metadata": {**m2["metadata"], "labels": {"tier": "gold"}}})
        await eventually(lambda: flaky.conflicts == 1)
        await eventually(lambda: targets(db) == ["m1", "m2"])
        tasks.cancel_scope.cancel()
