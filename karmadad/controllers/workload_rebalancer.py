"""WorkloadRebalancers (``apps.karmada.io/v1alpha1``): each asks, once, that its workloads be scheduled afresh.

For each workload the rebalancer names, its binding (``<name>-<kind>``) gets ``rescheduleTriggeredAt`` set
to the rebalancer's creation time (unless a later request already did), which makes the scheduler place it
from scratch, as its policy says today. The status lists every workload with its result — Successful, or
Failed with ``ReferencedBindingNotFound`` — sorted, and ``finishTime`` once none needs another try; with
``ttlSecondsAfterFinished`` the rebalancer then deletes itself. As in Karmada, a workload removed from the
spec keeps its Successful result; a workload added is handled when the spec changes.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import anyio

from karmadad.api.karmada.resources import CLUSTER_RESOURCE_BINDINGS, RESOURCE_BINDINGS, WORKLOAD_REBALANCERS
from karmadad.errors import Conflict, NotFound
from karmadad.failover.eviction import format_time, parse_time
from karmadad.logs import describe_object, get_logger
from karmadad.propagation.claims import binding_name
from karmadad.runtime.controller import Controller, Requeue
from karmadad.store import Change, Store

log = get_logger("workload-rebalancer")


def _sort_key(workload: dict) -> str:
    return " ".join(workload.get(k, "") for k in ("apiVersion", "kind", "namespace", "name"))


def observed_workloads(rebalancer: dict) -> list[dict]:
    """The status's workload list for the current spec: results kept for workloads still listed (and for
    removed ones that succeeded), new ones without a result yet; sorted by apiVersion, kind, namespace, name."""
    wanted = [dict(w) for w in (rebalancer.get("spec") or {}).get("workloads") or ()]
    observed: list[dict] = []
    for item in (rebalancer.get("status") or {}).get("observedWorkloads") or ():
        if item.get("workload") in wanted:
            observed.append(item)
            wanted.remove(item["workload"])
        elif item.get("result") == "Successful":
            observed.append(item)
    observed += [{"workload": workload} for workload in wanted]
    return sorted(observed, key=lambda item: _sort_key(item["workload"]))


def needs_trigger(requested_at: str, triggered_at: str | None) -> bool:
    """Whether a binding last asked to reschedule at ``triggered_at`` must be asked again."""
    requested, triggered = parse_time(requested_at), parse_time(triggered_at)
    return triggered is None or (requested is not None and requested > triggered)


class WorkloadRebalancers:
    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock
        self.controller: Controller[str] = Controller(
            "workload-rebalancer",
            self.reconcile,
            describe=lambda name: describe_object("WorkloadRebalancer", "", name),
        )
        store.subscribe(self._on_change, resources=[WORKLOAD_REBALANCERS])

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        for rebalancer in self.store.list_all(WORKLOAD_REBALANCERS):
            self.controller.queue.add(rebalancer["metadata"]["name"])
        await self.controller.run(task_status=task_status)

    def _on_change(self, change: Change) -> None:
        if change.type == "ADDED" or (
            change.type == "MODIFIED" and change.before.get("spec") != change.object.get("spec")
        ):
            self.controller.queue.add(change.name)

    async def reconcile(self, name: str) -> float | None:
        rebalancer = self.store.find(WORKLOAD_REBALANCERS, "", name)
        if rebalancer is None or rebalancer["metadata"].get("deletionTimestamp"):
            return None
        requested_at = rebalancer["metadata"].get("creationTimestamp", "")
        observed = observed_workloads(rebalancer)
        retries = 0
        for item in observed:
            if not item.get("result"):
                outcome = await self._trigger(item["workload"], requested_at)
                if outcome is None:
                    retries += 1
                else:
                    item.update(outcome)
        old = rebalancer.get("status") or {}
        status = {
            "observedWorkloads": observed,
            "observedGeneration": rebalancer["metadata"].get("generation"),
        }
        if old.get("finishTime"):
            status["finishTime"] = old["finishTime"]
        if status != old and not retries:
            status["finishTime"] = format_time(self.clock())
        if status != old:
            rebalancer = await self.store.update(
                WORKLOAD_REBALANCERS, {**rebalancer, "status": status}, subresource="status"
            )
        if retries:
            raise Requeue(f"{retries} workloads could not be asked to reschedule yet")
        return await self._expire(rebalancer)

    async def _trigger(self, workload: dict, requested_at: str) -> dict | None:
        """Ask the workload's binding to schedule afresh: the workload's result, or None when it must be
        tried again."""
        namespace = workload.get("namespace", "")
        resource = RESOURCE_BINDINGS if namespace else CLUSTER_RESOURCE_BINDINGS
        binding = self.store.find(
            resource, namespace, binding_name(workload.get("kind", ""), workload.get("name", ""))
        )
        if binding is None:
            return {"result": "Failed", "reason": "ReferencedBindingNotFound"}
        spec = binding.get("spec") or {}
        if needs_trigger(requested_at, spec.get("rescheduleTriggeredAt")):
            try:
                await self.store.update(
                    resource, {**binding, "spec": {**spec, "rescheduleTriggeredAt": requested_at}}
                )
            except (Conflict, NotFound):
                return None
        return {"result": "Successful"}

    async def _expire(self, rebalancer: dict) -> float | None:
        ttl = (rebalancer.get("spec") or {}).get("ttlSecondsAfterFinished")
        finished = parse_time((rebalancer.get("status") or {}).get("finishTime"))
        if ttl is None or finished is None:
            return None
        left = finished + ttl - self.clock()
        if left > 0:
            return left
        with contextlib.suppress(NotFound):
            meta = rebalancer["metadata"]
            await self.store.delete(
                WORKLOAD_REBALANCERS, "", meta["name"], resource_version=meta["resourceVersion"]
            )
            log.info(
                "rebalancer finished and deleted",
                object=describe_object("WorkloadRebalancer", "", meta["name"]),
            )
        return None
