"""Printer columns of the built-in kinds (karmadad.api.registry) and the Tables made of them
(karmadad.apiserver.tables): kube-apiserver's layouts and cell rules, case by case."""

from __future__ import annotations

import datetime

import pytest

from karmadad.api.builtin import default_registry
from karmadad.api.printers import format_selector, selector_string
from karmadad.api.registry import Elapsed
from karmadad.apiserver import tables

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.UTC)
REGISTRY = default_registry()


def cells(group: str, version: str, plural: str, obj: dict) -> dict:
    resource = REGISTRY.get(group, version, plural)
    assert resource is not None
    names = [column.name for column in resource.table_columns]
    return dict(zip(names, tables.row_cells(resource, obj, NOW), strict=True))


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-2, "<invalid>"), (-1, "0s"), (0, "0s"), (119, "119s"), (120, "2m"), (599, "9m59s"), (600, "10m"),
        (3 * 3600 - 1, "179m"), (3 * 3600, "3h"), (7 * 3600 + 60, "7h1m"), (47 * 3600, "47h"),
        (48 * 3600, "2d"), (7 * 86400 + 3600, "7d1h"), (8 * 86400, "8d"), (730 * 86400, "2y"),
        (731 * 86400, "2y1d"), (8 * 365 * 86400 + 86400, "8y"),
    ],
)  # fmt: skip
def test_human_durations_are_kubernetes(seconds, shown):
    assert tables.human_duration(seconds) == shown


def test_spans_render_at_the_tables_time():
    assert tables.render_cell(Elapsed("2026-05-31T23:59:00Z"), NOW) == "60s"
    assert (
        tables.render_cell(Elapsed("2026-05-31T00:00:00.123456Z"), NOW) == "23h"
    )  # a MicroTime, 23h59m59.9s
    assert tables.render_cell(Elapsed("2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"), NOW) == "5m"
    assert tables.render_cell(Elapsed(None, template="1 ({} ago)"), NOW) == "1 (<unknown> ago)"


def test_selectors_are_written_as_kube_writes_them():
    selector = {
        "matchLabels": {"b": "2", "a": "1"},
        "matchExpressions": [
            {"key": "t", "operator": "NotIn", "values": ["y", "x"]},
            {"key": "e", "operator": "Exists"},
            {"key": "d", "operator": "DoesNotExist"},
        ],
    }
    assert selector_string(selector) == "a=1,b=2,!d,e,t notin (x,y)"
    assert format_selector({}) == format_selector(None) == "<none>"
    assert format_selector({"matchExpressions": [{"key": "a", "operator": "In"}]}) == "<error>"


def test_columns_sit_where_kube_apiserver_puts_them():
    def layout(group: str, version: str, plural: str) -> list[tuple[str, str, int]]:
        resource = REGISTRY.get(group, version, plural)
        assert resource is not None
        return [(c.name, c.type, c.priority) for c in resource.table_columns]

    assert layout("apps", "v1", "deployments")[4:] == [
        ("Age", "string", 0),
        ("Containers", "string", 1),
        ("Images", "string", 1),
        ("Selector", "string", 1),
    ]
    assert layout("", "v1", "events")[-1] == ("Name", "string", 1)
    assert "Age" not in [name for name, _, _ in layout("", "v1", "events")]
    assert layout("rbac.authorization.k8s.io", "v1", "roles") == [
        ("Name", "string", 0),
        ("Created At", "date", 0),
    ]
    assert layout("scheduling.k8s.io", "v1", "priorityclasses")[-2:] == [
        ("Age", "string", 0),
        ("PreemptionPolicy", "string", 0),
    ]


def test_a_pod_status_as_kube_prints_it():
    pod = {
        "metadata": {"name": "p", "creationTimestamp": "2026-06-01T00:00:00Z"},
        "spec": {
            "initContainers": [{"name": "init"}, {"name": "sidecar", "restartPolicy": "Always"}],
            "containers": [{"name": "app"}],
        },
        "status": {
            "phase": "Pending",
            "initContainerStatuses": [
                {"name": "init", "state": {"terminated": {"exitCode": 0}}},
                {
                    "name": "sidecar",
                    "state": {"waiting": {"reason": "ImagePullBackOff"}},
                    "restartCount": 2,
                    "lastState": {"terminated": {"finishedAt": "2026-05-31T23:58:00Z"}},
                },
            ],
        },
    }
    row = cells("", "v1", "pods", pod)
    assert (row["Ready"], row["Status"], row["Restarts"]) == ("0/2", "Init:ImagePullBackOff", "2 (2m ago)")
    running = {
        **pod,
        "spec": {"containers": [{"name": "app"}]},
        "status": {
            "phase": "Running",
            "podIPs": [{"ip": "10.0.0.5"}],
            "containerStatuses": [{"name": "app", "ready": True, "state": {"running": {}}}],
        },
    }
    row = cells("", "v1", "pods", running)
    assert (row["Ready"], row["Status"], row["Restarts"], row["IP"]) == ("1/1", "Running", "0", "10.0.0.5")
    deleting = {**running, "metadata": {**running["metadata"], "deletionTimestamp": "2026-06-01T00:00:00Z"}}
    assert cells("", "v1", "pods", deleting)["Status"] == "Terminating"
    assert (
        cells("", "v1", "pods", {"metadata": {"name": "new"}, "spec": {"containers": [{}]}})["Status"]
        == "Pending"
    )


def test_cells_read_absent_fields_as_kube_apiservers_defaulting_would_have_filled_them():
    assert cells("apps", "v1", "deployments", {"metadata": {"name": "d"}})["Ready"] == "0/1"
    hpa = cells("autoscaling", "v2", "horizontalpodautoscalers", {"metadata": {"name": "h"}, "spec": {}})
    assert (hpa["MinPods"], hpa["Targets"]) == ("1", "cpu: <unknown>/80%")
    service = cells("", "v1", "services", {"metadata": {"name": "s"}, "spec": {"ports": [{"port": 80}]}})
    assert (service["Type"], service["Cluster-IP"], service["Port(s)"]) == ("ClusterIP", "<none>", "80/TCP")
    default = {"name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}}
    storage_class = cells("storage.k8s.io", "v1", "storageclasses", {"metadata": default, "provisioner": "x"})
    assert storage_class["Name"] == "fast (default)"
    assert (storage_class["ReclaimPolicy"], storage_class["VolumeBindingMode"]) == ("Delete", "Immediate")


def test_an_event_row():
    event = {
        "metadata": {"name": "e.1"},
        "involvedObject": {"kind": "Pod", "name": "p", "fieldPath": "spec.containers{app}"},
        "reason": "Pulled",
        "message": "  done \n",
        "type": "Normal",
        "reportingComponent": "kubelet",
        "reportingInstance": "node-1",
        "eventTime": "2026-05-31T23:00:00.000000Z",
        "series": {"count": 4, "lastObservedTime": "2026-05-31T23:59:00.000000Z"},
    }
    assert list(cells("", "v1", "events", event).values()) == [
        "60s",
        "Normal",
        "Pulled",
        "pod/p",
        "spec.containers{app}",
        "kubelet, node-1",
        "done",
        "60m",
        4,
        "e.1",
    ]
