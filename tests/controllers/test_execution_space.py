"""Clusters get an execution space and a finalizer; deleting one empties and removes its space first."""

from __future__ import annotations

import anyio
import pytest

from karmadad.api import strategy
from karmadad.api.builtin import default_registry
from karmadad.api.karmada.names import CLUSTER_FINALIZER
from karmadad.api.karmada.resources import CLUSTERS, RESOURCE_BINDINGS, WORKS
from karmadad.controllers.execution_space import ExecutionSpaces
from tests.controllers.fake_member import drained
from tests.store.conftest import collected_store  # noqa: F401 - the fixture
from tests.store.test_store_gc import eventually

pytestmark = pytest.mark.anyio
REGISTRY = default_registry()


def prepared(group: str, plural: str, obj: dict) -> dict:
    return strategy.prepare_create(REGISTRY.get(group, "v1alpha1" if group else "v1", plural), obj)


async def test_a_cluster_gets_its_space_and_its_deletion_waits_for_works_and_bindings(collected_store):  # noqa: F811
    store = collected_store
    async with anyio.create_task_group() as tasks:
        spaces = ExecutionSpaces(store)
        await tasks.start(spaces.run)
        cluster = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "m1"}}
        await store.create(CLUSTERS, prepared("cluster.karmada.io", "clusters", cluster))
        await eventually(lambda: store.find("namespaces", "", "karmada-es-m1") is not None)
        await eventually(
            lambda: CLUSTER_FINALIZER in (store.find(CLUSTERS, "", "m1")["metadata"].get("finalizers") or ())
        )
        held = {"name": "w1", "namespace": "karmada-es-m1", "finalizers": ["example.com/hold"]}
        work = {"apiVersion": "work.karmada.io/v1alpha1", "kind": "Work", "metadata": held, "spec": {}}
        await store.create(WORKS, prepared("work.karmada.io", "works", work))
        binding = {
            "apiVersion": "work.karmada.io/v1alpha2",
            "kind": "ResourceBinding",
            "metadata": {"name": "b", "namespace": "default"},
            "spec": {
                "resource": {"apiVersion": "v1", "kind": "ConfigMap", "name": "c", "namespace": "default"},
                "clusters": [{"name": "m1", "replicas": 1}],
            },
        }
        binding = strategy.prepare_create(
            REGISTRY.get("work.karmada.io", "v1alpha2", "resourcebindings"), binding
        )
        binding = await store.create(RESOURCE_BINDINGS, binding)

        _, gone = await store.delete(CLUSTERS, "", "m1")
        assert not gone
        await eventually(
            lambda: store.find("namespaces", "", "karmada-es-m1")["metadata"].get("deletionTimestamp")
        )
        await drained([store], [spaces.controller])
        assert store.find(CLUSTERS, "", "m1") is not None, "a Work is still there"
        work = store.find(WORKS, "karmada-es-m1", "w1")
        await store.update(WORKS, {**work, "metadata": {**work["metadata"], "finalizers": []}})
        await eventually(lambda: store.find("namespaces", "", "karmada-es-m1") is None)
        await drained([store], [spaces.controller])
        assert store.find(CLUSTERS, "", "m1") is not None, "a binding still lists the cluster"
        await store.update(RESOURCE_BINDINGS, {**binding, "spec": {**binding["spec"], "clusters": []}})
        await eventually(lambda: store.find(CLUSTERS, "", "m1") is None, within=10)
        tasks.cancel_scope.cancel()
