"""One control plane in process, whole from template to member object: the detector, scheduler, binding,
namespace, execution-space, execution controllers and the garbage collector over a store, with fake members
in place of clusters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio

from karmadad.api.karmada.resources import PROPAGATION_POLICIES, RESOURCE_BINDINGS, WORKS
from karmadad.config import FailoverConfig
from karmadad.controllers.application_failover import ApplicationFailover
from karmadad.controllers.binding import BindingController
from karmadad.controllers.cluster_snapshots import ClusterSnapshots
from karmadad.controllers.cluster_taints import ClusterTaintPolicies
from karmadad.controllers.detector import Detector
from karmadad.controllers.execution import ExecutionController
from karmadad.controllers.execution_space import ExecutionSpaces
from karmadad.controllers.garbage_collector import GarbageCollector
from karmadad.controllers.graceful_eviction import GracefulEviction
from karmadad.controllers.namespace import NamespaceSync
from karmadad.controllers.scheduler import SchedulerController
from karmadad.controllers.taint_manager import TaintManager
from karmadad.controllers.workload_rebalancer import WorkloadRebalancers
from karmadad.events import EventRecorder
from karmadad.runtime.controller import Controller
from karmadad.store import Store, open_store
from tests.controllers.fake_member import FakeMember, FakeMembers, drained
from tests.controllers.objects import NAMESPACE, REGISTRY, prepared, ready_cluster

DEPLOYMENTS = REGISTRY.get("apps", "v1", "deployments")
NAMESPACES = REGISTRY.get("", "v1", "namespaces")


@dataclass
class Pipeline:
    store: Store
    members: dict[str, FakeMember]
    controllers: list[Controller]
    execution: ExecutionController
    recorder: EventRecorder

    async def drained(self) -> None:
        """Wait until every controller is done with what it was told (no sleeping)."""
        stores = [self.store, *(m.store for m in self.members.values())]
        while True:
            await drained(stores, self.controllers)
            if not self.recorder.pending():
                return

    async def create(self, group: str, version: str, plural: str, obj: dict) -> dict:
        resource = REGISTRY.get(group, version, plural)
        return await self.store.create(resource.group_resource, prepared(group, version, plural, obj))

    async def propagate(self, selector: dict, clusters: list[str], **spec: object) -> dict:
        policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
                  "metadata": {"name": "pp", "namespace": NAMESPACE},
                  "spec": {"resourceSelectors": [selector], "placement": {"clusterAffinity": {"clusterNames": clusters}}, **spec}}  # fmt: skip
        return await self.store.create(
            PROPAGATION_POLICIES, prepared("policy.karmada.io", "v1alpha1", "propagationpolicies", policy)
        )

    def work(self, cluster: str, name: str) -> dict | None:
        return self.store.find(WORKS, f"karmada-es-{cluster}", name)

    def binding(self, name: str) -> dict | None:
        return self.store.find(RESOURCE_BINDINGS, NAMESPACE, name)


@asynccontextmanager
async def pipeline(
    directory: Path, clusters: tuple[str, ...] = ("m1",), failover: FailoverConfig | None = None
) -> AsyncIterator[Pipeline]:
    """The control plane with Ready clusters ``clusters``, each a fake member holding the namespace
    ``shop`` as a member cluster would once karmadad propagated it. ``failover``: with the failover
    controllers too (ClusterTaintPolicies, the taint manager, graceful eviction, application failover with
    state preservation, WorkloadRebalancers), configured so."""
    async with AsyncExitStack() as stack:
        store = await stack.enter_async_context(open_store(directory / "plane.db"))
        namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        await store.create("namespaces", prepared("", "v1", "namespaces", namespace))
        member_stores = {name: await stack.enter_async_context(open_store(directory / f"{name}.db")) for name in clusters}  # fmt: skip
        # entered last, left first: its cancellation ends the controllers, not the stores' closing
        tasks = await stack.enter_async_context(anyio.create_task_group())
        members = FakeMembers(REGISTRY, tasks)
        for name, member_store in member_stores.items():
            members.add(FakeMember(name, member_store, REGISTRY))
            await ready_cluster(store, name)
        recorder = EventRecorder(store, "karmadad")
        execution = ExecutionController(store, REGISTRY, members, recorder, workers=2)
        detector = Detector(store, REGISTRY, recorder, workers=2)
        snapshots = ClusterSnapshots(store)
        parts = [
            GarbageCollector(store),
            ExecutionSpaces(store),
            SchedulerController(store, REGISTRY, recorder, workers=2, snapshots=snapshots),
            BindingController(store, REGISTRY, recorder, workers=2, snapshots=snapshots),
            NamespaceSync(store, REGISTRY, recorder, workers=2),
            execution,
        ]
        await tasks.start(recorder.run)
        for part in [detector, *parts]:
            await tasks.start(part.run)
        queues = [detector.templates, detector.policies, *(part.controller for part in parts)]
        if failover is not None:
            policies = ClusterTaintPolicies(store, recorder, snapshots)
            manager = TaintManager(store, recorder, failover, stateful=True)
            eviction = GracefulEviction(store, recorder, timeout=failover.gracefulEvictionTimeoutSeconds)
            application = ApplicationFailover(store, recorder, stateful=True)
            rebalancers = WorkloadRebalancers(store)
            for part in (policies, manager, eviction, application, rebalancers):
                await tasks.start(part.run)
            queues += [policies.controller, manager.clusters, manager.evictions, eviction.controller]
            queues += [application.controller, rebalancers.controller]
        yield Pipeline(store, members.connected, queues, execution, recorder)
        tasks.cancel_scope.cancel()
