"""Field selectors name the fields kube-apiserver lets each resource select on, and read them alike."""

from __future__ import annotations

import pytest

from karmadad.selectors import (
    RESOURCE_FIELDS,
    SelectorError,
    object_fields,
    parse_field_selector,
    selectable_fields,
)
from karmadad.store.watch import Query

EVENT = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "rb.17c0ffee", "namespace": "shop"},
    "involvedObject": {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "name": "web-deployment",
        "namespace": "shop",
        "uid": "0b5e-1",
        "resourceVersion": "42",
    },
    "reason": "ScheduleBindingSucceed",
    "message": "Binding has been scheduled successfully.",
    "source": {"component": "karmada-scheduler"},
    "reportingComponent": "karmada-scheduler",
    "type": "Normal",
    "count": 1,
}


def check(resource: str, text: str, **options) -> None:
    selectable_fields(resource, **options).check(parse_field_selector(text))


def test_event_fields_are_the_ones_kube_apiserver_serves():
    assert object_fields(EVENT, "events") == {
        "metadata.name": "rb.17c0ffee",
        "metadata.namespace": "shop",
        "involvedObject.kind": "ResourceBinding",
        "involvedObject.namespace": "shop",
        "involvedObject.name": "web-deployment",
        "involvedObject.uid": "0b5e-1",
        "involvedObject.apiVersion": "work.karmada.io/v1alpha2",
        "involvedObject.resourceVersion": "42",
        "involvedObject.fieldPath": "",
        "reason": "ScheduleBindingSucceed",
        "reportingComponent": "karmada-scheduler",
        "source": "karmada-scheduler",
        "type": "Normal",
    }


def test_kubectl_describe_finds_the_events_of_its_object():
    # What kubectl describe sends for a namespaced object.
    text = (
        "involvedObject.name=web-deployment,involvedObject.namespace=shop,"
        "involvedObject.kind=ResourceBinding,involvedObject.uid=0b5e-1"
    )
    check("events", text)
    assert parse_field_selector(text).matches(object_fields(EVENT, "events"))
    other = {**EVENT, "involvedObject": {**EVENT["involvedObject"], "uid": "another"}}
    assert not parse_field_selector(text).matches(object_fields(other, "events"))


def test_events_select_by_type_reason_and_source():
    fields = object_fields(EVENT, "events")
    assert parse_field_selector("type=Normal").matches(fields)
    assert not parse_field_selector("type=Warning").matches(fields)
    assert parse_field_selector("type!=Warning,reason=ScheduleBindingSucceed").matches(fields)
    assert parse_field_selector("source=karmada-scheduler").matches(fields)
    # An event written through events.k8s.io has no source: its reporting controller stands in.
    newer = {k: v for k, v in EVENT.items() if k != "source"}
    assert object_fields(newer, "events")["source"] == "karmada-scheduler"


def test_every_event_label_is_accepted():
    for label in RESOURCE_FIELDS["events"].labels:
        check("events", f"{label}=x")


@pytest.mark.parametrize(
    ("resource", "text", "message"),
    [
        ("events", "involvedObject.foo=x", "field label not supported: involvedObject.foo"),
        ("events", "message=x", "field label not supported: message"),
        ("pods", "spec.containers=x", "field label not supported: spec.containers"),
        ("secrets", "data=x", "field label not supported: data"),
        ("namespaces", "metadata.namespace=x", "field label not supported: metadata.namespace"),
        ("services", "spec.ports=x", "field label not supported: spec.ports"),
        ("jobs.batch", "spec.parallelism=1", 'field label "spec.parallelism" not supported for Job'),
        (
            "configmaps",
            "data.k=v",
            '"data.k" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
        (
            "deployments.apps",
            "spec.replicas=1",
            '"spec.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
        ),
    ],
)
def test_unknown_labels_are_refused_in_kube_apiservers_words(resource, text, message):
    with pytest.raises(SelectorError) as caught:
        check(resource, text)
    assert str(caught.value) == message


def test_the_first_unknown_label_in_selector_order_is_reported():
    with pytest.raises(SelectorError, match="field label not supported: b"):
        check("events", "type=Normal,c=1,b=2")


def test_custom_resources_take_metadata_name_and_namespace_only_when_namespaced():
    check("resourcebindings.work.karmada.io", "metadata.name=a,metadata.namespace=b", custom=True)
    check("clusters.cluster.karmada.io", "metadata.name=a", custom=True, namespaced=False)
    with pytest.raises(SelectorError, match=r"^field label not supported: metadata.namespace$"):
        check("clusters.cluster.karmada.io", "metadata.namespace=", custom=True, namespaced=False)
    with pytest.raises(SelectorError, match=r"^field label not supported: spec.clusters$"):
        check("resourcebindings.work.karmada.io", "spec.clusters=a", custom=True)


def test_built_in_cluster_scoped_kinds_without_own_fields_still_take_metadata_namespace():
    check("clusterroles.rbac.authorization.k8s.io", "metadata.name=a,metadata.namespace=")


def test_pod_fields_read_what_kube_apiserver_would_have_stored():
    pod = {"metadata": {"name": "p", "namespace": "default"}, "spec": {"containers": []}}
    fields = object_fields(pod, "pods")
    assert fields == {
        "metadata.name": "p",
        "metadata.namespace": "default",
        "spec.nodeName": "",
        "spec.host": "",
        "spec.restartPolicy": "Always",
        "spec.schedulerName": "default-scheduler",
        "spec.serviceAccountName": "",
        "spec.hostNetwork": "false",
        "status.phase": "Pending",
        "status.podIP": "",
        "status.nominatedNodeName": "",
    }
    running = {
        "metadata": {"name": "p"},
        "spec": {"nodeName": "n1", "hostNetwork": True, "restartPolicy": "Never", "serviceAccountName": "sa"},
        "status": {
            "phase": "Running",
            "podIP": "10.0.0.9",
            "podIPs": [{"ip": "10.0.0.9"}, {"ip": "fd00::9"}],
            "nominatedNodeName": "n2",
        },
    }
    fields = object_fields(running, "pods")
    assert parse_field_selector(
        "spec.nodeName=n1,spec.host=n1,spec.hostNetwork=true,spec.restartPolicy=Never,"
        "spec.serviceAccountName=sa,status.phase=Running,status.podIP=10.0.0.9,status.nominatedNodeName=n2"
    ).matches(fields)
    assert object_fields({"status": {"podIP": "10.0.0.7"}}, "pods")["status.podIP"] == "10.0.0.7"
    assert parse_field_selector("status.phase!=Succeeded,status.phase!=Failed").matches(fields)


def test_secret_service_namespace_and_job_fields():
    assert object_fields({"metadata": {"name": "s"}}, "secrets")["type"] == "Opaque"
    tls = {"metadata": {"name": "s"}, "type": "kubernetes.io/tls"}
    assert object_fields(tls, "secrets")["type"] == "kubernetes.io/tls"
    service = {"metadata": {"name": "s"}, "spec": {"clusterIP": "10.96.0.1"}}
    assert object_fields(service, "services") == {
        "metadata.name": "s",
        "metadata.namespace": "",
        "spec.clusterIP": "10.96.0.1",
        "spec.type": "ClusterIP",
    }
    namespace = {"metadata": {"name": "shop"}, "status": {"phase": "Terminating"}}
    assert parse_field_selector("status.phase=Terminating").matches(object_fields(namespace, "namespaces"))
    job = {"metadata": {"name": "j"}, "status": {"succeeded": 3}}
    assert object_fields(job, "jobs.batch")["status.successful"] == "3"
    assert object_fields({"metadata": {"name": "j"}}, "jobs.batch")["status.successful"] == "0"


def test_other_resources_and_malformed_objects_read_safely():
    assert object_fields({"metadata": {"name": "c"}}, "configmaps") == {
        "metadata.name": "c",
        "metadata.namespace": "",
    }
    odd = {"metadata": {"name": "e"}, "involvedObject": "nope", "source": ["x"], "status": [], "spec": 3}
    assert object_fields(odd, "events")["involvedObject.kind"] == ""
    assert object_fields(odd, "events")["source"] == ""
    assert object_fields(odd, "pods")["status.podIP"] == ""
    assert object_fields({**odd, "status": {"podIPs": ["10.0.0.1"]}}, "pods")["status.podIP"] == ""


def test_store_queries_match_on_their_resources_fields():
    warning = {**EVENT, "type": "Warning"}
    query = Query("events", fields=parse_field_selector("type=Warning"))
    assert query.matches(warning)
    assert not query.matches(EVENT)
    # The same field on another resource is not the event's: it reads as "".
    assert not Query("configmaps", fields=parse_field_selector("type=Warning")).matches(warning)
    assert Query("configmaps", fields=parse_field_selector("type=")).matches(warning)
