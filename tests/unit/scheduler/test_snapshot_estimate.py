"""Cluster snapshots and the general estimator (available replicas from resourceSummary)."""

from __future__ import annotations

import pytest

from karmadad.scheduler import snapshot
from karmadad.scheduler.estimate import available_replicas, estimate_all, parse_request

from .helpers import cluster, cluster_object


def test_snapshot_parses_what_the_filters_read() -> None:
    obj = cluster_object(
        "m1",
        labels={"env": "prod"},
        taints=[
            {"key": "a", "effect": "NoSchedule"},
            {"key": "soft", "effect": "PreferNoSchedule"},
            {"key": "b", "value": "x", "effect": "NoExecute"},
        ],
        region="eu",
        zones=["eu-1", "eu-2"],
        provider="aws",
        deleting=True,
    )
    snap = snapshot(obj)
    assert snap.name == "m1"
    assert snap.labels == {"env": "prod"}
    assert snap.deleting
    assert (snap.provider, snap.region, snap.zones) == ("aws", "eu", ("eu-1", "eu-2"))
    assert [t.label() for t in snap.taints] == ["a", "b=x"]  # PreferNoSchedule never blocks
    assert ("apps/v1", "Deployment") in snap.apis and ("v1", "ConfigMap") in snap.apis
    assert snap.fields == {"provider": "aws", "region": "eu"}


def test_snapshot_without_region_has_no_region_field() -> None:
    assert snapshot(cluster_object("m1", provider="gcp")).fields == {"provider": "gcp"}


def test_old_single_zone_field_counts_as_zones() -> None:
    obj = cluster_object("m1")
    obj["spec"]["zone"] = "z1"
    assert snapshot(obj).zones == ("z1",)


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        ({"cpu": "1"}, 7),  # (8 - 1) cores / 1
        ({"cpu": "500m"}, 14),  # 7000m / 500m
        ({"cpu": "300m"}, 23),  # 7000 // 300
        ({"memory": "1Gi"}, 14),  # 16Gi - 2Gi
        ({"cpu": "1", "memory": "4Gi"}, 3),  # min(7, 3)
        ({"nvidia.com/gpu": "1"}, 0),  # not in allocatable
        ({"cpu": "0"}, 50),  # zero request does not limit: pods only
        ({}, 50),  # no request: pods only (110 - 60)
    ],
)
def test_available_replicas_per_request(request_: dict[str, str], expected: int) -> None:
    snap = cluster(
        "m1", pods=110, cpu="8", memory="16Gi", allocated={"cpu": "1", "memory": "2Gi", "pods": "60"}
    )
    assert available_replicas(snap, parse_request({"resourceRequest": request_})) == expected


def test_allocating_is_subtracted_too() -> None:
    obj = cluster_object("m1", cpu="8", allocated={"cpu": "2"})
    obj["status"]["resourceSummary"]["allocating"] = {"cpu": "3", "pods": "100"}
    snap = snapshot(obj)
    assert available_replicas(snap, parse_request({"resourceRequest": {"cpu": "1"}})) == 3
    assert available_replicas(snap, None) == 10  # 110 - 100 pods


def test_cpu_in_milli_units_is_exact() -> None:
    # 0.3 cores free; 100m each -> 3 (a float computation gives 0.30000000000000004 / 0.1 -> 2 or 4).
    snap = cluster("m1", cpu="1", allocated={"cpu": "700m"})
    assert available_replicas(snap, parse_request({"resourceRequest": {"cpu": "100m"}})) == 3
    assert available_replicas(snap, parse_request({"resourceRequest": {"cpu": "0.1"}})) == 3


def test_non_cpu_resources_round_up_to_whole_units() -> None:
    # Quantity.Value() rounds up: a request of 0.5 (bytes) counts as 1.
    snap = cluster("m1", memory="10")
    assert available_replicas(snap, parse_request({"resourceRequest": {"memory": "500m"}})) == 10


def test_no_free_resource_means_zero() -> None:
    snap = cluster("m1", cpu="4", allocated={"cpu": "5"})
    assert available_replicas(snap, parse_request({"resourceRequest": {"cpu": "1m"}})) == 0


@pytest.mark.parametrize(
    "obj",
    [
        cluster_object("m1", summary=False),  # no resourceSummary
        cluster_object("m1", pods=None),  # no pods in allocatable
        cluster_object("m1", pods=10, allocated={"pods": "12"}),  # over-committed pods
    ],
)
def test_clusters_without_room_for_pods_take_nothing(obj: dict) -> None:
    assert available_replicas(snapshot(obj), None) == 0
    assert available_replicas(snapshot(obj), parse_request({"resourceRequest": {"cpu": "1m"}})) == 0


def test_estimate_all_agrees_and_memoises_per_snapshot() -> None:
    snaps = [cluster(f"m{i}", cpu=str(i + 1)) for i in range(5)]
    request = parse_request({"resourceRequest": {"cpu": "1"}})
    expected = [available_replicas(s, request) for s in snaps]
    assert estimate_all(snaps, request) == expected == [1, 2, 3, 4, 5]
    assert estimate_all(snaps, request) == expected  # answered from the memo
    assert all(s.memo[request] == e for s, e in zip(snaps, expected, strict=True))
    assert estimate_all(snaps, None) == [110] * 5
