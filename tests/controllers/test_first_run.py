"""A first run, in process: templates and a policy propagated to fake members while other writers get in the
way, as they do in a real first run (a user applying again, karmadad's controllers writing the same objects
at once). Every race is resolved by retrying, and none of it is a warning or a reconcile error: an alert on
karmadad_reconcile_errors_total stays quiet on a healthy start.

The races are provoked, not waited for: another writer goes first, deterministically, on the first update of
the template, the binding and a Work (each then meets a stale resourceVersion), and on the first create of
the binding and of a Work (each then meets AlreadyExists)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from karmadad import metrics
from karmadad.api.karmada.resources import RESOURCE_BINDINGS, WORKS
from karmadad.store import Store
from tests.controllers.objects import NAMESPACE, config_map, deployment
from tests.controllers.pipeline import DEPLOYMENTS, pipeline

pytestmark = pytest.mark.anyio
CLUSTERS = ("m1", "m2")
TEMPLATES = "deployments.apps"
# a work-queue key or object as logs name it: ``Kind namespace/name``, ``Kind name`` (an eviction: `` from m1``)
LOGGED_OBJECT = re.compile(r"[A-Z][A-Za-z]* ([a-z0-9.-]+/)?[a-z0-9.:-]+( from [a-z0-9-]+)?")


class OtherWriter:
    """Goes first, once per resource: changes an object just before karmadad's update of it, or creates the
    very object karmadad is about to create. Installed over the store's own methods, which every controller
    calls through the same store object."""

    def __init__(self, store: Store, *, updates: set[str], creates: set[str]):
        self.store = store
        self.updates, self.creates = set(updates), set(creates)
        self.went_first: list[str] = []
        self._update: Callable[..., Awaitable[dict]] = store.update
        self._create: Callable[..., Awaitable[dict]] = store.create
        store.update = self.update  # type: ignore[method-assign]
        store.create = self.create  # type: ignore[method-assign]

    async def update(self, resource: str, obj: dict, **options: Any) -> dict:
        meta = obj["metadata"]
        if resource in self.updates and meta.get("resourceVersion"):
            self.updates.discard(resource)
            current = self.store.get(resource, meta.get("namespace", ""), meta["name"])
            annotations = {**(current["metadata"].get("annotations") or {}), "example.com/touched": "yes"}
            await self._update(
                resource, {**current, "metadata": {**current["metadata"], "annotations": annotations}}
            )
            self.went_first.append(f"update {resource}")
        return await self._update(resource, obj, **options)

    async def create(self, resource: str, obj: dict, **options: Any) -> dict:
        if resource in self.creates:
            self.creates.discard(resource)
            await self._create(resource, obj)
            self.went_first.append(f"create {resource}")
        return await self._create(resource, obj, **options)


def counted(name: str, controller: str) -> float:
    return (
        metrics.REGISTRY.get_sample_value(f"karmadad_reconcile_{name}_total", {"controller": controller})
        or 0.0
    )


async def test_a_first_run_logs_no_warning_and_counts_no_reconcile_error(tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="karmadad")
    async with pipeline(tmp_path, clusters=CLUSTERS) as plane:
        names = [controller.name for controller in plane.controllers]
        errors_before = {name: counted("errors", name) for name in names}
        conflicts_before = sum(counted("conflicts", name) for name in names)
        other = OtherWriter(
            plane.store, updates={TEMPLATES, RESOURCE_BINDINGS, WORKS}, creates={RESOURCE_BINDINGS, WORKS}
        )
        for name in ("web", "api"):
            await plane.create("apps", "v1", "deployments", deployment(name))
        await plane.create("", "v1", "configmaps", config_map("settings"))
        await plane.propagate({"apiVersion": "apps/v1", "kind": "Deployment"}, list(CLUSTERS))
        await plane.drained()
        in_members = {
            (c, n)
            for c in CLUSTERS
            for n in ("web", "api")
            if plane.members[c].find(DEPLOYMENTS, NAMESPACE, n)
        }
        errors = {name: counted("errors", name) - errors_before[name] for name in names}
        conflicts = sum(counted("conflicts", name) for name in names) - conflicts_before
    assert set(other.went_first) == {
        f"update {TEMPLATES}",
        f"update {RESOURCE_BINDINGS}",
        f"update {WORKS}",
        f"create {RESOURCE_BINDINGS}",
        f"create {WORKS}",
    }, "every race was provoked"
    assert in_members == {(c, n) for c in CLUSTERS for n in ("web", "api")}, "and resolved"
    warnings = [
        (r.name, r.getMessage(), getattr(r, "key", None), getattr(r, "error", None))
        for r in caplog.records
        if r.levelno >= logging.WARNING
    ]
    assert warnings == []
    assert errors == dict.fromkeys(names, 0)
    assert conflicts > 0, "the races lost are counted, as conflicts"
    keys = {r.key for r in caplog.records if hasattr(r, "key")} | {
        r.object for r in caplog.records if hasattr(r, "object")
    }
    assert keys, "controllers named what they looked at"
    assert [key for key in keys if not LOGGED_OBJECT.fullmatch(key)] == []
