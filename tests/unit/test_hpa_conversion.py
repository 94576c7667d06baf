"""HorizontalPodAutoscaler autoscaling/v2 ⇄ autoscaling/v1 conversion (karmadad.api.conversion).

The expected annotations are what kube-apiserver v1.36.3 answered for the same objects (written as v2,
read as v1; written as v1, read as v2), byte for byte; tests/api/test_kinds_differential.py checks the
same against the test bed's kube-apiserver.
"""

from __future__ import annotations

import json

import pytest

from karmadad.api import conversion
from karmadad.api.builtin import default_registry
from karmadad.apiserver import tables

REF = {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"}


def v2(metrics: list[dict] | None = None, **spec) -> dict:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h", "namespace": "ns"},
        "spec": {
            "scaleTargetRef": REF,
            "minReplicas": 1,
            "maxReplicas": 5,
            **({"metrics": metrics} if metrics else {}),
            **spec,
        },
    }


def cpu(utilization: int) -> dict:
    return {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": utilization}},
    }


MEMORY = {
    "type": "Resource",
    "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "500Mi"}},
}
PODS = {
    "type": "Pods",
    "pods": {"metric": {"name": "packets"}, "target": {"type": "AverageValue", "averageValue": "1k"}},
}
OBJECT_VALUE = {
    "type": "Object",
    "object": {
        "describedObject": {"kind": "Ingress", "name": "main", "apiVersion": "networking.k8s.io/v1"},
        "target": {"type": "Value", "value": "10k"},
        "metric": {"name": "requests"},
    },
}
OBJECT_AVERAGE = {
    "type": "Object",
    "object": {
        "describedObject": {"kind": "Ingress", "name": "main", "apiVersion": "networking.k8s.io/v1"},
        "target": {"type": "AverageValue", "averageValue": "10k"},
        "metric": {"name": "requests"},
    },
}
EXTERNAL = {
    "type": "External",
    "external": {
        "metric": {"name": "queue", "selector": {"matchLabels": {"q": "a"}}},
        "target": {"type": "AverageValue", "averageValue": "30"},
    },
}
CONTAINER = {
    "type": "ContainerResource",
    "containerResource": {
        "name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": 60},
        "container": "app",
    },
}
BEHAVIOR = {
    "scaleUp": {
        "stabilizationWindowSeconds": 0,
        "selectPolicy": "Max",
        "policies": [
            {"type": "Pods", "value": 4, "periodSeconds": 15},
            {"type": "Percent", "value": 100, "periodSeconds": 15},
        ],
    },
    "scaleDown": {
        "stabilizationWindowSeconds": 100,
        "selectPolicy": "Max",
        "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
    },
}


def test_the_first_cpu_utilization_is_v1s_target_and_the_rest_go_to_annotations_as_kube_writes_them():
    served = conversion.to_v1(
        v2([cpu(70), MEMORY, PODS, OBJECT_VALUE, EXTERNAL, CONTAINER], behavior=BEHAVIOR)
    )
    assert served["apiVersion"] == "autoscaling/v1"
    assert served["spec"] == {
        "scaleTargetRef": REF,
        "minReplicas": 1,
        "maxReplicas": 5,
        "targetCPUUtilizationPercentage": 70,
    }
    annotations = served["metadata"]["annotations"]
    assert annotations[conversion.METRICS] == (
        '[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"500Mi"}},'
        '{"type":"Pods","pods":{"metricName":"packets","targetAverageValue":"1k"}},'
        '{"type":"Object","object":{"target":{"kind":"Ingress","name":"main","apiVersion":"networking.k8s.io/v1"},'
        '"metricName":"requests","targetValue":"10k"}},'
        '{"type":"External","external":{"metricName":"queue","metricSelector":{"matchLabels":{"q":"a"}},'
        '"targetAverageValue":"30"}},'
        '{"type":"ContainerResource","containerResource":{"name":"cpu","targetAverageUtilization":60,"container":"app"}}]'
    )
    assert annotations[conversion.BEHAVIOR] == (
        '{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,'
        '"PeriodSeconds":15},{"Type":"Percent","Value":100,"PeriodSeconds":15}],"Tolerance":null},'
        '"ScaleDown":{"StabilizationWindowSeconds":100,"SelectPolicy":"Max","Policies":[{"Type":"Percent",'
        '"Value":100,"PeriodSeconds":15}],"Tolerance":null}}'
    )


def test_an_object_metric_with_an_average_keeps_the_zero_value_v1_cannot_leave_out():
    annotation = conversion.to_v1(v2([OBJECT_AVERAGE]))["metadata"]["annotations"][conversion.METRICS]
    assert json.loads(annotation)[0]["object"] == {
        "target": {"kind": "Ingress", "name": "main", "apiVersion": "networking.k8s.io/v1"},
        "metricName": "requests",
        "targetValue": "0",
        "averageValue": "10k",
    }
    assert (
        conversion.to_v2(conversion.to_v1(v2([OBJECT_AVERAGE, cpu(50)])))["spec"]["metrics"][0]
        == OBJECT_AVERAGE
    )


def test_v1_writes_put_the_annotations_metrics_first_and_the_cpu_target_last():
    served = conversion.to_v1(
        v2([cpu(70), MEMORY, PODS, OBJECT_VALUE, EXTERNAL, CONTAINER], behavior=BEHAVIOR)
    )
    stored = conversion.to_v2(served)
    assert stored["apiVersion"] == "autoscaling/v2" and "annotations" not in stored["metadata"]
    assert stored["spec"]["metrics"] == [MEMORY, PODS, OBJECT_VALUE, EXTERNAL, CONTAINER, cpu(70)]
    assert stored["spec"]["behavior"] == BEHAVIOR


def test_a_v1_write_without_metrics_gets_kubes_default_and_unparsable_annotations_are_ignored():
    written = {
        **conversion.to_v1(v2()),
        "metadata": {"name": "h", "annotations": {conversion.METRICS: "[nope", "team": "x"}},
    }
    stored = conversion.to_v2(written)
    assert stored["spec"]["metrics"] == [cpu(80)]
    assert stored["metadata"]["annotations"] == {"team": "x"}


def test_the_behavior_annotation_is_read_with_gos_case_insensitive_field_names():
    written = conversion.to_v1(v2([cpu(50)]))
    written["metadata"]["annotations"] = {
        conversion.BEHAVIOR: '{"scaleDown":{"stabilizationwindowseconds":50,"Policies":[{"type":"Pods","VALUE":1,"periodSeconds":60}]}}'
    }
    assert conversion.to_v2(written)["spec"]["behavior"] == {
        "scaleDown": {
            "stabilizationWindowSeconds": 50,
            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 60}],
        }
    }


def test_status_round_trips_through_the_current_metrics_and_conditions_annotations():
    status = {
        "lastScaleTime": "2026-01-01T00:00:00Z",
        "currentReplicas": 2,
        "desiredReplicas": 3,
        "currentMetrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "current": {"averageValue": "250m", "averageUtilization": 42}},
            },
            {"type": "Pods", "pods": {"metric": {"name": "packets"}, "current": {"averageValue": "5"}}},
        ],
        "conditions": [
            {
                "type": "AbleToScale",
                "status": "True",
                "lastTransitionTime": "2026-01-01T00:00:00Z",
                "reason": "ReadyForNewScale",
                "message": "ok",
            }
        ],
    }
    served = conversion.to_v1({**v2([cpu(80)]), "status": status})
    assert served["status"] == {
        "lastScaleTime": "2026-01-01T00:00:00Z",
        "currentReplicas": 2,
        "desiredReplicas": 3,
        "currentCPUUtilizationPercentage": 42,
    }
    annotations = served["metadata"]["annotations"]
    assert annotations[conversion.CURRENT_METRICS] == (
        '[{"type":"Resource","resource":{"name":"cpu","currentAverageUtilization":42,"currentAverageValue":"250m"}},'
        '{"type":"Pods","pods":{"metricName":"packets","currentAverageValue":"5"}}]'
    )
    assert annotations[conversion.CONDITIONS] == (
        '[{"type":"AbleToScale","status":"True","lastTransitionTime":"2026-01-01T00:00:00Z",'
        '"reason":"ReadyForNewScale","message":"ok"}]'
    )
    assert conversion.to_v2(served)["status"] == status


@pytest.mark.parametrize(
    ("metrics", "targets"),
    [
        ([cpu(70), MEMORY, PODS], "cpu: <unknown>/70%, memory: <unknown>/500Mi + 1 more..."),
        ([CONTAINER, EXTERNAL], "cpu: <unknown>/60%, <unknown>/30 (avg)"),
        ([OBJECT_AVERAGE, PODS], "<unknown>/10k (avg), <unknown>/1k"),
        ([], "cpu: <unknown>/80%"),  # kube-apiserver's default metric
    ],
)
def test_both_versions_print_the_targets_kube_prints_in_the_stored_order(metrics, targets):
    registry = default_registry()
    stored = v2(metrics)
    served = conversion.VersionView(None, conversion.to_v1, conversion.to_v2)._served(stored)
    for version, obj in (("v2", stored), ("v1", served)):
        resource = registry.get("autoscaling", version, "horizontalpodautoscalers")
        assert tables.table(resource, [obj])["rows"][0]["cells"][2] == targets
