"""Each filter plugin, the reason it gives, and the exceptions for already-scheduled clusters."""

from __future__ import annotations

from typing import Any

import pytest

from karmadad.scheduler.affinity import compile_affinity
from karmadad.scheduler.filters import build_filter, run_filters

from .helpers import CONFIGMAP, NOT_READY, binding, cluster


def reason(
    spec: dict[str, Any], snap, affinities=None, label: str = "placement.clusterAffinity"
) -> str | None:
    if affinities is None and spec["placement"].get("clusterAffinity") is not None:
        affinities = [spec["placement"]["clusterAffinity"]]
    return build_filter(spec, spec["placement"], affinities, label).reason(snap)


def test_a_plain_cluster_passes() -> None:
    assert reason(binding(3), cluster("m1")) is None


def test_deleting_cluster() -> None:
    assert reason(binding(3), cluster("m1", deleting=True)) == "is being deleted"
    # even when it holds the workload already
    assert reason(binding(3, previous={"m1": 3}), cluster("m1", deleting=True)) == "is being deleted"


def test_api_enablement() -> None:
    no_apps = [{"groupVersion": "v1", "resources": [{"name": "configmaps", "kind": "ConfigMap"}]}]
    assert reason(binding(3), cluster("m1", apis=no_apps)) == "did not enable apps/v1 Deployment"
    assert reason(binding(resource=CONFIGMAP), cluster("m1", apis=no_apps)) is None
    # same groupVersion, other kind
    other_kind = [{"groupVersion": "apps/v1", "resources": [{"name": "statefulsets", "kind": "StatefulSet"}]}]
    assert reason(binding(3), cluster("m1", apis=other_kind)) == "did not enable apps/v1 Deployment"
    # a cluster already in spec.clusters passes
    assert reason(binding(3, previous={"m1": 3}), cluster("m1", apis=no_apps)) is None


def test_taint_toleration() -> None:
    tainted = cluster("m1", taints=[NOT_READY])
    assert reason(binding(3), tainted) == "had untolerated taint {cluster.karmada.io/not-ready}"
    valued = cluster("m1", taints=[{"key": "team", "value": "a", "effect": "NoExecute"}])
    assert reason(binding(3), valued) == "had untolerated taint {team=a}"
    soft = cluster("m1", taints=[{"key": "x", "effect": "PreferNoSchedule"}])
    assert reason(binding(3), soft) is None
    # previously scheduled clusters pass (the taint manager evicts, not the scheduler)
    assert reason(binding(3, previous={"m1": 1}), tainted) is None


@pytest.mark.parametrize(
    ("toleration", "tolerated"),
    [
        ({"key": "cluster.karmada.io/not-ready", "operator": "Exists"}, True),
        ({"key": "cluster.karmada.io/not-ready", "operator": "Exists", "effect": "NoSchedule"}, True),
        ({"key": "cluster.karmada.io/not-ready", "operator": "Exists", "effect": "NoExecute"}, False),
        ({"operator": "Exists"}, True),  # empty key with Exists tolerates everything
        ({"key": "cluster.karmada.io/not-ready", "operator": "Equal", "value": ""}, True),
        ({"key": "cluster.karmada.io/not-ready", "value": "x"}, False),  # Equal by default, values differ
        ({"key": "other", "operator": "Exists"}, False),
        ({"key": "cluster.karmada.io/not-ready", "operator": "Gt", "value": "1"}, False),  # disabled operator
    ],
)
def test_tolerations(toleration: dict[str, str], tolerated: bool) -> None:
    spec = binding(3, {"clusterTolerations": [toleration]})
    assert (reason(spec, cluster("m1", taints=[NOT_READY])) is None) is tolerated


def test_first_untolerated_taint_is_reported() -> None:
    taints = [{"key": "a", "effect": "NoSchedule"}, {"key": "b", "effect": "NoSchedule"}]
    spec = binding(3, {"clusterTolerations": [{"key": "a", "operator": "Exists"}]})
    assert reason(spec, cluster("m1", taints=taints)) == "had untolerated taint {b}"


def matches(affinity: dict[str, Any], **kwargs: Any) -> bool:
    return compile_affinity(affinity)(cluster(kwargs.pop("name", "m1"), **kwargs))


def test_cluster_affinity_parts() -> None:
    assert matches({})
    assert matches({"clusterNames": ["m1", "m2"]})
    assert not matches({"clusterNames": ["m2"]})
    assert not matches({"exclude": ["m1"]})
    assert not matches({"clusterNames": ["m1"], "exclude": ["m1"]})  # exclude wins
    assert matches({"labelSelector": {"matchLabels": {"env": "prod"}}}, labels={"env": "prod"})
    assert not matches({"labelSelector": {"matchLabels": {"env": "prod"}}}, labels={"env": "dev"})
    assert matches({"labelSelector": {}})  # an empty selector selects everything
    expr = {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]}
    assert matches({"labelSelector": expr})  # NotIn matches a missing label
    # every present part must hold
    both = {"labelSelector": {"matchLabels": {"env": "prod"}}, "clusterNames": ["m2"]}
    assert not matches(both, labels={"env": "prod"})


def field(key: str, operator: str, *values: str) -> dict[str, Any]:
    return {
        "fieldSelector": {"matchExpressions": [{"key": key, "operator": operator, "values": list(values)}]}
    }


def test_field_selector_provider_and_region_behave_like_labels() -> None:
    assert matches(field("provider", "In", "aws", "gcp"), provider="aws")
    assert not matches(field("provider", "In", "aws"), provider="gcp")
    assert not matches(field("region", "In", "eu"))  # no region
    assert matches(field("region", "NotIn", "eu"))  # NotIn matches a missing field
    assert not matches(field("region", "NotIn", "eu"), region="eu")
    assert matches(field("region", "Exists"), region="eu")
    assert matches(field("region", "DoesNotExist"))
    assert not matches(field("region", "In"), region="eu")  # In without values does not parse: nothing


def test_field_selector_zone_matches_any_of_the_zones() -> None:
    assert matches(field("zone", "In", "z2"), zones=["z1", "z2"])
    assert not matches(field("zone", "In", "z3"), zones=["z1", "z2"])
    assert not matches(field("zone", "In", "z1"))  # no zones
    assert not matches(field("zone", "NotIn", "z2"), zones=["z1", "z2"])
    assert matches(field("zone", "NotIn", "z3"), zones=["z1", "z2"])
    assert matches(field("zone", "Exists"), zones=["z1"])
    assert matches(field("zone", "DoesNotExist"))
    assert not matches(field("zone", "Gt", "1"), zones=["z1"])  # unsupported for zones


def test_invalid_label_selector_matches_nothing() -> None:
    bad = {"labelSelector": {"matchExpressions": [{"key": "env", "operator": "Bogus"}]}}
    assert not matches(bad, labels={"env": "x"})


def test_cluster_affinity_filter_reason() -> None:
    spec = binding(3, {"clusterAffinity": {"clusterNames": ["m2"]}})
    assert reason(spec, cluster("m1")) == "did not match placement.clusterAffinity"
    # unlike APIEnablement and taints, affinity applies to previously scheduled clusters too
    spec = binding(3, {"clusterAffinity": {"clusterNames": ["m2"]}}, previous={"m1": 3})
    assert reason(spec, cluster("m1")) == "did not match placement.clusterAffinity"


def test_spread_constraint_needs_the_field() -> None:
    spread = {"spreadConstraints": [{"spreadByField": "region", "minGroups": 1}, {"spreadByField": "zone"}]}
    spec = binding(3, spread)
    assert reason(spec, cluster("m1")) == "has no region"
    assert reason(spec, cluster("m1", region="eu")) == "has no zone"
    assert reason(spec, cluster("m1", region="eu", zones=["z"])) is None
    spec = binding(3, {"spreadConstraints": [{"spreadByField": "provider"}]})
    assert reason(spec, cluster("m1")) == "has no provider"
    spec = binding(3, {"spreadConstraints": [{"spreadByField": "cluster"}]})
    assert reason(spec, cluster("m1")) is None


def test_cluster_eviction() -> None:
    spec = binding(3, gracefulEvictionTasks=[{"fromCluster": "m1"}])
    assert reason(spec, cluster("m1")) == "is being evicted"
    assert reason(spec, cluster("m2")) is None


def test_first_failing_filter_wins() -> None:
    spec = binding(
        3, {"clusterAffinity": {"clusterNames": ["m2"]}}, gracefulEvictionTasks=[{"fromCluster": "m1"}]
    )
    assert (
        reason(spec, cluster("m1", taints=[NOT_READY]))
        == "had untolerated taint {cluster.karmada.io/not-ready}"
    )
    assert reason(spec, cluster("m1")) == "did not match placement.clusterAffinity"


def test_any_of_several_affinities_passes() -> None:
    spec = binding(3)
    cf = build_filter(spec, {}, [{"clusterNames": ["a"]}, {"clusterNames": ["b"]}], 'affinity "x"')
    fit, reasons = run_filters(cf, [cluster("a"), cluster("b"), cluster("c")])
    assert [c.name for c in fit] == ["a", "b"]
    assert reasons == {"c": 'did not match affinity "x"'}
