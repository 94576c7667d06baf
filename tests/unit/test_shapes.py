"""The TypedDicts that cross floors say what the pydantic models (the CRD schemas' source) say: the same
field names, required where the model requires them; and what the functions building them return is
accepted by the model."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from karmadad.api.builtin import default_registry
from karmadad.api.conditions import condition
from karmadad.api.karmada import shapes
from karmadad.api.karmada.meta import Condition
from karmadad.api.karmada.work import AggregatedStatusItem, ManifestStatus, ResourceIdentifier, TargetCluster
from karmadad.propagation.work_status import aggregated_item, manifest_status

PAIRS = [
    (shapes.Condition, Condition),
    (shapes.TargetCluster, TargetCluster),
    (shapes.ResourceIdentifier, ResourceIdentifier),
    (shapes.ManifestStatus, ManifestStatus),
    (shapes.AggregatedStatusItem, AggregatedStatusItem),
]


def model_fields(model: type[BaseModel]) -> tuple[set[str], set[str]]:
    """(every JSON field name, the required ones) of a model."""
    names = {info.alias or name: info for name, info in model.model_fields.items()}
    return set(names), {name for name, info in names.items() if info.is_required()}


@pytest.mark.parametrize(("shape", "model"), PAIRS, ids=[shape.__name__ for shape, _ in PAIRS])
def test_a_shape_has_its_models_fields(shape, model):
    fields, required = model_fields(model)
    hints = typing.get_type_hints(shape)
    assert set(hints) == fields
    assert required <= shape.__required_keys__, "what the model requires, the shape requires"


def test_what_the_builders_return_the_models_accept():
    Condition.model_validate(condition([], "Applied", True, "AppliedSuccessful", "ok"))
    resource = default_registry().require("apps", "v1", "deployments")
    manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
    }
    observed = {**manifest, "metadata": {**manifest["metadata"], "generation": 1},
                "spec": {"replicas": 1}, "status": {"replicas": 1, "observedGeneration": 1}}  # fmt: skip
    entry = manifest_status(0, resource, manifest, observed)
    ManifestStatus.model_validate(entry)
    work = {"status": {"conditions": [condition([], "Applied", False, "AppliedFailed", "no")],
                       "manifestStatuses": [entry]}}  # fmt: skip
    item = aggregated_item("m1", work)
    AggregatedStatusItem.model_validate(item)
    assert item == {"clusterName": "m1", "applied": False, "appliedMessage": "no", "health": entry["health"],
                    "status": entry["status"]}  # fmt: skip
