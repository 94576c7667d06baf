"""Values Karmada v1.18.2 accepts are admitted and normalised as Karmada stores them; values it refuses are
refused naming the field.

Karmada's normalisation includes its mutating webhooks' Go round trip (karmadad.api.karmada.roundtrip):
``omitempty`` zero values vanish (and CRD defaults return), missing non-omitempty fields are written.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from karmadad.api.karmada import admit
from karmadad.errors import Invalid

RULE = "spec.overrideRules[0].overriders"
DEPENDENCIES = "resourcebinding.karmada.io/dependencies"


def pp(kind: str = "PropagationPolicy", **spec: Any) -> dict:
    meta = {"name": "nginx", "namespace": "default"} if kind == "PropagationPolicy" else {"name": "nginx"}
    selectors = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "nginx"}]
    return {
        "apiVersion": "policy.karmada.io/v1alpha1",
        "kind": kind,
        "metadata": meta,
        "spec": {"resourceSelectors": selectors, **spec},
    }


def op(kind: str = "OverridePolicy", **spec: Any) -> dict:
    meta = {"name": "nginx", "namespace": "default"} if kind == "OverridePolicy" else {"name": "nginx"}
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": kind, "metadata": meta, "spec": spec}


def rules(**overriders: Any) -> dict:
    return {"overrideRules": [{"targetCluster": {"clusterNames": ["m1"]}, "overriders": overriders}]}


def rb(kind: str = "ResourceBinding", annotations: dict | None = None, **spec: Any) -> dict:
    meta: dict[str, Any] = {"name": "nginx-deployment", "annotations": annotations or {}}
    if kind == "ResourceBinding":
        meta["namespace"] = "default"
    resource = {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "default", "name": "nginx"}
    return {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": kind,
        "metadata": meta,
        "spec": {"resource": resource, **spec},
    }


def work(**spec: Any) -> dict:
    return {
        "apiVersion": "work.karmada.io/v1alpha1",
        "kind": "Work",
        "metadata": {"name": "nginx-687f7fb96f", "namespace": "karmada-es-m1"},
        "spec": spec,
    }


def spec_of(obj: dict) -> dict:
    return obj["spec"]


def placement_of(obj: dict) -> dict:
    return obj["spec"]["placement"]


# (id, object, what to look at in the stored object, what Karmada stores there)
ACCEPTED: list[tuple[str, dict, Callable[[dict], Any], Any]] = [
    ("empty preemption is defaulted", pp(preemption=""), lambda o: o["spec"]["preemption"], "Never"),
    (
        "empty conflictResolution is defaulted",
        pp(conflictResolution=""),
        lambda o: o["spec"]["conflictResolution"],
        "Abort",
    ),
    (
        "empty schedulerName is defaulted",
        pp(schedulerName=""),
        lambda o: o["spec"]["schedulerName"],
        "default-scheduler",
    ),
    (
        "empty activationPreference is dropped",
        pp(activationPreference=""),
        lambda o: "activationPreference" in o["spec"],
        False,
    ),
    (
        "empty spreadByField is the cluster default",
        pp(placement={"spreadConstraints": [{"spreadByField": "", "spreadByLabel": "", "maxGroups": 0}]}),
        lambda o: placement_of(o)["spreadConstraints"],
        [{"spreadByField": "cluster", "minGroups": 1}],
    ),
    (
        "empty scheduling type and preference are defaulted",
        pp(placement={"replicaScheduling": {"replicaSchedulingType": "", "replicaDivisionPreference": ""}}),
        lambda o: placement_of(o)["replicaScheduling"],
        {"replicaSchedulingType": "Divided", "replicaDivisionPreference": "Weighted"},
    ),
    (
        "empty dynamicWeight is dropped",
        pp(placement={"replicaScheduling": {"weightPreference": {"dynamicWeight": ""}}}),
        lambda o: placement_of(o)["replicaScheduling"]["weightPreference"],
        {},
    ),
    (
        "an empty clusterAffinities list next to clusterAffinity",
        pp(placement={"clusterAffinity": {"clusterNames": ["m1"]}, "clusterAffinities": []}),
        placement_of,
        {"clusterAffinity": {"clusterNames": ["m1"]}},
    ),
    (
        "an empty overflowAffinities list without dynamic weight",
        pp(
            placement={
                "clusterAffinities": [{"affinityName": "a", "clusterNames": ["m1"], "overflowAffinities": []}]
            }
        ),
        lambda o: placement_of(o)["clusterAffinities"],
        [{"affinityName": "a", "clusterNames": ["m1"]}],
    ),
    (
        "false and empty omitempty fields are dropped, placement is written",
        pp(propagateDeps=False, association=False, dependentOverrides=[]),
        lambda o: sorted(o["spec"]),
        ["conflictResolution", "placement", "preemption", "priority", "resourceSelectors", "schedulerName"],
    ),
    ("an absent placement is written as {}", pp(), placement_of, {}),
    ("priority 0 is a pointer and stays", pp(priority=0), lambda o: o["spec"]["priority"], 0),
    (
        "dispatching false is a pointer and stays",
        pp(suspension={"dispatching": False}),
        lambda o: o["spec"]["suspension"],
        {"dispatching": False},
    ),
    (
        "an empty resource selector name is dropped",
        pp(resourceSelectors=[{"apiVersion": "v1", "kind": "ConfigMap", "name": "", "namespace": ""}]),
        lambda o: o["spec"]["resourceSelectors"],
        [{"apiVersion": "v1", "kind": "ConfigMap", "namespace": "default"}],
    ),
    (
        "a missing selector apiVersion is written as an empty string by the webhook",
        pp(resourceSelectors=[{"kind": "ConfigMap"}]),
        lambda o: o["spec"]["resourceSelectors"],
        [{"apiVersion": "", "kind": "ConfigMap", "namespace": "default"}],
    ),
    (
        "application failover with no decision conditions",
        pp(propagateDeps=True, failover={"application": {}}),
        lambda o: o["spec"]["failover"]["application"],
        {
            "decisionConditions": {"tolerationSeconds": 300},
            "purgeMode": "Gracefully",
            "gracePeriodSeconds": 600,
        },
    ),
    (
        "the deprecated Graciously purge mode",
        pp(
            propagateDeps=True,
            failover={"application": {"decisionConditions": {}, "purgeMode": "Graciously"}},
        ),
        lambda o: o["spec"]["failover"]["application"]["gracePeriodSeconds"],
        600,
    ),
    (
        "an unknown toleration operator",
        pp(placement={"clusterTolerations": [{"key": "k", "operator": "Sometimes"}]}),
        lambda o: placement_of(o)["clusterTolerations"],
        [{"key": "k", "operator": "Sometimes"}],
    ),
    (
        "an invalid label selector in a resource selector",
        pp(
            resourceSelectors=[
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "labelSelector": {"matchExpressions": [{"key": "app", "operator": "In"}]},
                }
            ]
        ),
        lambda o: o["spec"]["resourceSelectors"][0]["labelSelector"],
        {"matchExpressions": [{"key": "app", "operator": "In"}]},
    ),
    (
        "an invalid label selector in a cluster affinity",
        pp(placement={"clusterAffinity": {"labelSelector": {"matchLabels": {"bad key": "v"}}}}),
        lambda o: placement_of(o)["clusterAffinity"],
        {"labelSelector": {"matchLabels": {"bad key": "v"}}},
    ),
    (
        "cluster propagation policies are re-encoded too",
        pp("ClusterPropagationPolicy", preemption="", placement={"clusterAffinities": []}),
        lambda o: (o["spec"]["preemption"], o["spec"]["placement"]),
        ("Never", {}),
    ),
    (
        "an empty overrideRules list next to the deprecated fields",
        op(overrideRules=[], targetCluster={"clusterNames": ["m1"]}, overriders={"plaintext": []}),
        spec_of,
        {"targetCluster": {"clusterNames": ["m1"]}, "overriders": {}},
    ),
    (
        "the deprecated overriders are written as {}",
        op(**rules(plaintext=[{"path": "/spec/replicas", "operator": "replace", "value": 2}])),
        lambda o: o["spec"]["overriders"],
        {},
    ),
    (
        "a deprecated fieldOverrider next to overrideRules",
        op(
            **rules(),
            overriders={
                "fieldOverrider": [
                    {"fieldPath": "/data/a", "json": [{"subPath": "/a", "operator": "remove"}]}
                ]
            },
        ),
        lambda o: o["spec"]["overriders"]["fieldOverrider"][0]["fieldPath"],
        "/data/a",
    ),
    (
        "the deprecated overriders are not validated",
        op(
            targetCluster={}, overriders={"labelsOverrider": [{"operator": "add", "value": {"bad key": "x"}}]}
        ),
        lambda o: o["spec"]["overriders"]["labelsOverrider"],
        [{"operator": "add", "value": {"bad key": "x"}}],
    ),
    (
        "a plaintext path that is not a JSON pointer",
        op(**rules(plaintext=[{"path": "spec/replicas", "operator": "replace", "value": 2}])),
        lambda o: o["spec"]["overrideRules"][0]["overriders"]["plaintext"][0]["path"],
        "spec/replicas",
    ),
    (
        "a missing plaintext path is written as an empty string",
        op(**rules(plaintext=[{"operator": "remove"}])),
        lambda o: o["spec"]["overrideRules"][0]["overriders"]["plaintext"],
        [{"path": "", "operator": "remove"}],
    ),
    (
        "a missing rule's overriders struct is written",
        op(overrideRules=[{"targetCluster": {"clusterNames": ["m1"]}}]),
        lambda o: o["spec"]["overrideRules"][0]["overriders"],
        {},
    ),
    (
        "a '~' not followed by 0 or 1 in JSON pointers",
        op(
            **rules(
                imageOverrider=[
                    {
                        "predicate": {"path": "/spec/a~b"},
                        "component": "Tag",
                        "operator": "replace",
                        "value": "x",
                    }
                ],
                fieldOverrider=[
                    {"fieldPath": "/data/a~", "yaml": [{"subPath": "/~x", "operator": "remove"}]}
                ],
            )
        ),
        lambda o: o["spec"]["overrideRules"][0]["overriders"]["fieldOverrider"][0]["fieldPath"],
        "/data/a~",
    ),
    (
        "a ClusterResourceBinding's dependencies annotation is not checked",
        rb("ClusterResourceBinding", annotations={DEPENDENCIES: "[{"}),
        lambda o: o["metadata"]["annotations"][DEPENDENCIES],
        "[{",
    ),
    (
        "a binding's zero replicas and empty strings are dropped on create",
        rb(clusters=[{"name": "m1", "replicas": 0}], replicas=0, schedulerName=""),
        lambda o: (o["spec"]["clusters"], "replicas" in o["spec"], "schedulerName" in o["spec"]),
        ([{"name": "m1"}], False, False),
    ),
    (
        "a binding's timestamps are written in UTC with whole seconds",
        rb(
            gracefulEvictionTasks=[
                {
                    "fromCluster": "m1",
                    "producer": "TaintManager",
                    "reason": "TaintUntolerated",
                    "creationTimestamp": "2024-05-01T12:00:00.5+02:00",
                }
            ]
        ),
        lambda o: o["spec"]["gracefulEvictionTasks"][0]["creationTimestamp"],
        "2024-05-01T10:00:00Z",
    ),
    (
        "a Work's pointer booleans stay, its workload struct is written",
        work(suspendDispatching=False),
        spec_of,
        {"suspendDispatching": False, "workload": {}},
    ),
]


@pytest.mark.parametrize(
    ("obj", "view", "stored"), [case[1:] for case in ACCEPTED], ids=[c[0] for c in ACCEPTED]
)
def test_accepted_values_are_normalised_as_karmada_does(obj, view, stored):
    assert view(admit(obj["kind"], copy.deepcopy(obj))) == stored


# (id, object, the field the refusal names, its reason)
REFUSED: list[tuple[str, dict, str, str]] = [
    (
        "Lt and Gt toleration operators",
        pp(placement={"clusterTolerations": [{"key": "k", "operator": "Lt", "value": "1"}]}),
        "spec.placement.clusterTolerations[0].operator",
        "FieldValueNotSupported",
    ),
    ("an unknown preemption", pp(preemption="Sometimes"), "spec.preemption", "FieldValueNotSupported"),
    (
        "clusterAffinities with entries next to clusterAffinity",
        pp(
            placement={
                "clusterAffinity": {},
                "clusterAffinities": [{"affinityName": "a", "clusterNames": ["m"]}],
            }
        ),
        "spec.placement",
        "FieldValueInvalid",
    ),
    (
        "a ClusterOverridePolicy has no mutating webhook: an empty overrideRules list still clashes",
        op("ClusterOverridePolicy", overrideRules=[], targetCluster={"clusterNames": ["m1"]}),
        "spec.targetCluster",
        "FieldValueInvalid",
    ),
    (
        "a ClusterOverridePolicy rule without overriders",
        op("ClusterOverridePolicy", overrideRules=[{"targetCluster": {}}]),
        "spec.overrideRules[0].overriders",
        "FieldValueRequired",
    ),
    (
        "an empty plaintext operator is kept and is not an operator",
        op(**rules(plaintext=[{"path": "/a", "operator": ""}])),
        f"{RULE}.plaintext[0].operator",
        "FieldValueNotSupported",
    ),
    (
        "a missing image component is written as an empty string, not a component",
        op(**rules(imageOverrider=[{"operator": "add"}])),
        f"{RULE}.imageOverrider[0].component",
        "FieldValueNotSupported",
    ),
    (
        "a JSON pointer without its leading slash in a rule",
        op(
            **rules(
                fieldOverrider=[{"fieldPath": "data/a", "json": [{"subPath": "/a", "operator": "remove"}]}]
            )
        ),
        f"{RULE}.fieldOverrider[0].fieldPath",
        "FieldValueInvalid",
    ),
    (
        "a ResourceBinding's dependencies annotation must be JSON",
        rb(annotations={DEPENDENCIES: "[{"}),
        f"metadata.annotations[{DEPENDENCIES}]",
        "FieldValueInvalid",
    ),
]


@pytest.mark.parametrize(
    ("obj", "field", "reason"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_refused_values_name_the_field(obj, field, reason):
    with pytest.raises(Invalid) as raised:
        admit(obj["kind"], copy.deepcopy(obj))
    assert [(cause.field, cause.reason) for cause in raised.value.causes] == [(field, reason)]


def test_binding_updates_skip_the_webhook_so_empty_enums_are_refused():
    stored = admit("ResourceBinding", rb())
    changed = copy.deepcopy(stored)
    changed["spec"]["placement"] = {"spreadConstraints": [{"spreadByField": ""}]}
    with pytest.raises(Invalid) as raised:
        admit("ResourceBinding", changed, old=stored)
    assert [cause.field for cause in raised.value.causes] == [
        "spec.placement.spreadConstraints[0].spreadByField"
    ]


@pytest.mark.parametrize("kind", ["ResourceBinding", "ClusterResourceBinding", "Work"])
def test_binding_and_work_ids_may_change_on_update(kind):
    obj = work() if kind == "Work" else rb(kind)
    stored = admit(kind, obj)
    label = next(key for key in stored["metadata"]["labels"] if key.endswith("/permanent-id"))
    changed = copy.deepcopy(stored)
    changed["metadata"]["labels"][label] = "another"
    assert admit(kind, changed, old=stored)["metadata"]["labels"][label] == "another"


@pytest.mark.parametrize("kind", ["PropagationPolicy", "ClusterPropagationPolicy"])
def test_policy_ids_may_not_change_on_update(kind):
    stored = admit(kind, pp(kind))
    label = next(key for key in stored["metadata"]["labels"] if key.endswith("/permanent-id"))
    changed = copy.deepcopy(stored)
    changed["metadata"]["labels"][label] = "another"
    with pytest.raises(Invalid) as raised:
        admit(kind, changed, old=stored)
    assert [cause.field for cause in raised.value.causes] == [f"metadata.labels[{label}]"]


def test_round_trip_is_idempotent():
    for _, obj, _, _ in ACCEPTED:
        once = admit(obj["kind"], copy.deepcopy(obj))
        again = admit(obj["kind"], copy.deepcopy(once), old=once)
        assert again["spec"] == once["spec"]
