"""The controllers of one control plane in process, over a store of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio
import pytest

from karmadad.controllers.binding import BindingController
from karmadad.controllers.detector import Detector
from karmadad.events import EventRecorder
from karmadad.store import Store
from tests.controllers.objects import NAMESPACE, REGISTRY, prepared
from tests.store.conftest import store  # noqa: F401 - the fixture


@dataclass
class Plane:
    store: Store
    detector: Detector
    bindings: BindingController


@pytest.fixture
async def plane(store) -> AsyncIterator[Plane]:  # noqa: F811 - the store fixture
    await store.create(
        "namespaces",
        prepared(
            "", "v1", "namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
        ),
    )
    recorder = EventRecorder(store, "karmada-controller-manager")
    detector = Detector(store, REGISTRY, recorder, workers=2)
    bindings = BindingController(store, REGISTRY, recorder, workers=2)
    async with anyio.create_task_group() as tasks:
        await tasks.start(recorder.run)
        await tasks.start(detector.run)
        await tasks.start(bindings.run)
        yield Plane(store, detector, bindings)
        tasks.cancel_scope.cancel()
