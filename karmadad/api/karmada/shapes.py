"""The shapes of the values that cross floors as plain JSON dicts, for the type checker.

Objects travel through karmadad as the JSON the API serves (dicts), not as models: parsing every change into
pydantic models would cost more than all the controllers' work. These TypedDicts name the parts that one
floor builds and another reads — a condition, a scheduled cluster, a Work's manifest status, a binding's
aggregated status entry — so mypy checks both ends. Each mirrors the pydantic model of the same name in
:mod:`karmadad.api.karmada.meta` and :mod:`karmadad.api.karmada.work` (the CRD schemas'
source); ``tests/unit/test_shapes.py`` holds them to those models.
"""

from __future__ import annotations

from typing import Literal, NotRequired, TypedDict

Health = Literal["Healthy", "Unhealthy", "Unknown"]


class Condition(TypedDict):
    """``metav1.Condition``."""

    type: str
    status: Literal["True", "False", "Unknown"]
    reason: str
    message: str
    lastTransitionTime: str
    observedGeneration: NotRequired[int]


class TargetCluster(TypedDict):
    """A binding's ``spec.clusters[]``: a cluster the scheduler chose and its replicas."""

    name: str
    replicas: NotRequired[int]
    components: NotRequired[list[dict]]


class ResourceIdentifier(TypedDict):
    """Which manifest of a Work a status is about."""

    ordinal: int
    group: str
    version: str
    kind: str
    resource: str
    namespace: str
    name: str


class ManifestStatus(TypedDict):
    """A Work's ``status.manifestStatuses[]``."""

    identifier: ResourceIdentifier
    health: Health
    status: NotRequired[dict]


class AggregatedStatusItem(TypedDict):
    """A binding's ``status.aggregatedStatus[]``: the template's state in one cluster."""

    clusterName: str
    applied: bool
    health: Health
    status: NotRequired[dict]
    appliedMessage: NotRequired[str]
