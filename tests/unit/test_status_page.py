"""The status page's summary and markup: placement and the scheduler's reasons shown, cluster readiness with
its reason, no Secret or ConfigMap data ever, every string escaped; and the handlers' polling contract."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from karmadad.api.karmada.resources import CLUSTER_RESOURCE_BINDINGS, CLUSTERS, RESOURCE_BINDINGS
from karmadad.events import EVENTS
from karmadad.simulation.member import SIMULATED_LABEL
from karmadad.status_page.render import age, render_page, render_sections
from karmadad.status_page.routes import StatusPage
from karmadad.status_page.summary import StatusSummary, summarize, summary_json

NOW = 1_750_000_000.0  # 2025-06-15T15:06:40Z
NOT_FIT = "0/3 clusters fit: 3 did not match placement.clusterAffinity"
SECRET_VALUE = "c3VwZXItc2VjcmV0LXBhc3N3b3Jk"  # base64 of a password, as a Secret holds it
CONFIG_VALUE = "database-url-with-credentials"


class Objects(dict[str, list[dict]]):
    """The store as the summary reads it: every object of a resource."""

    revision = 1

    def list_all(self, resource: str) -> list[dict]:
        return list(self.get(resource, []))


def cluster(
    name: str, *, ready: bool = True, reason: str = "ClusterReady", message: str = "", **extra
) -> dict:
    taints = extra.pop("taints", [])
    return {
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name, "uid": f"uid-{name}", "labels": extra.pop("labels", {})},
        "spec": {"syncMode": "Push", **({"taints": taints} if taints else {})},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "reason": reason,
                    "message": message,
                    "lastTransitionTime": "2025-06-15T15:00:00Z",
                }
            ],
            "kubernetesVersion": "v1.36.0",
            "nodeSummary": {"totalNum": 3, "readyNum": 3 if ready else 0},
            "resourceSummary": {
                "allocatable": {"cpu": "24", "memory": "96Gi", "pods": "330"},
                "allocated": {"cpu": "6", "memory": "1Gi", "pods": "10"},
            },
        },
    }


def binding(
    name: str,
    kind: str = "Deployment",
    *,
    clusters: list[tuple[str, int]] = (),  # type: ignore[assignment]
    scheduled: tuple[str, str, str] | None = ("True", "Success", "Binding has been scheduled successfully."),
    namespace: str = "default",
    replicas: int | None = 6,
) -> dict:
    conditions = []
    if scheduled is not None:
        status, reason, message = scheduled
        conditions.append({"type": "Scheduled", "status": status, "reason": reason, "message": message})
    conditions.append(
        {"type": "FullyApplied", "status": "True", "reason": "FullyAppliedSuccess", "message": ""}
    )
    spec: dict = {
        "resource": {"apiVersion": "apps/v1", "kind": kind, "namespace": namespace, "name": name},
        "clusters": [{"name": c, "replicas": r} for c, r in clusters],
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "work.karmada.io/v1alpha2",
        "kind": "ResourceBinding",
        "metadata": {
            "name": f"{name}-{kind.lower()}",
            "namespace": namespace,
            "uid": f"uid-{name}-binding",
            "annotations": {
                "propagationpolicy.karmada.io/namespace": namespace,
                "propagationpolicy.karmada.io/name": f"{name}-propagation",
            },
        },
        "spec": spec,
        "status": {
            "conditions": conditions,
            "aggregatedStatus": [
                {"clusterName": c, "applied": True, "health": "Healthy", "status": {"replicas": r}}
                for c, r in clusters
            ],
        },
    }


def event(reason: str, message: str, about: dict, *, at: str, type: str = "Normal") -> dict:
    meta = about["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name']}.{reason}", "namespace": meta.get("namespace", "default")},
        "involvedObject": {
            "kind": about["kind"],
            "namespace": meta.get("namespace"),
            "name": meta["name"],
            "uid": meta["uid"],
        },
        "type": type,
        "reason": reason,
        "message": message,
        "count": 1,
        "firstTimestamp": at,
        "lastTimestamp": at,
    }


def sample() -> Objects:
    """The nginx sample placed 2/2/2, a Deployment no cluster fits, and a member that stopped answering."""
    nginx = binding("nginx", clusters=[("member1", 2), ("member2", 2), ("member3", 2)])
    lonely = binding("lonely", clusters=[], scheduled=("False", "NoClusterFit", NOT_FIT), replicas=2)
    return Objects(
        {
            CLUSTERS: [
                cluster("member3", labels={SIMULATED_LABEL: "true"}),
                cluster("member1", labels={SIMULATED_LABEL: "true"}),
                cluster(
                    "member2",
                    ready=False,
                    reason="ClusterNotReachable",
                    message="cluster is not reachable: connection refused",
                    taints=[{"key": "cluster.karmada.io/unreachable", "effect": "NoSchedule"}],
                ),
            ],
            RESOURCE_BINDINGS: [nginx, lonely],
            EVENTS: [
                event("ScheduleBindingSucceed", "Result: {member1:2, member2:2, member3:2}", nginx, at="2025-06-15T15:00:00Z"),
                event("ScheduleBindingFailed", NOT_FIT, lonely, at="2025-06-15T15:06:30Z", type="Warning"),
                event("ApplyPolicySucceed", "Apply policy(default/lonely-propagation) succeed", lonely, at="2025-06-15T15:06:20Z"),
            ],
        }
    )  # fmt: skip


def summary_of(objects: Objects, **limits: int) -> StatusSummary:
    return summarize(objects, revision=objects.revision, **limits)


def test_a_placed_binding_shows_its_clusters_replicas_and_conditions():
    summary = summary_of(sample())
    nginx = next(t for t in summary.templates if t.name == "nginx")
    assert (nginx.kind, nginx.namespace, nginx.binding_name) == ("Deployment", "default", "nginx-deployment")
    assert nginx.state == "placed" and nginx.policy == "default/nginx-propagation" and nginx.replicas == 6
    assert [(t.cluster, t.replicas, t.health) for t in nginx.targets] == [
        ("member1", 2, "Healthy"),
        ("member2", 2, "Healthy"),
        ("member3", 2, "Healthy"),
    ]
    assert nginx.scheduled is not None and nginx.scheduled.status == "True"
    assert nginx.fully_applied is not None and nginx.fully_applied.reason == "FullyAppliedSuccess"
    page = render_sections(summary, NOW)
    assert page.count("</b> 2 replicas") == 3
    assert (
        '<li data-target="member2"><b>member2</b> 2 replicas <span class="muted">Healthy</span></li>' in page
    )


def test_an_unplaced_binding_shows_the_schedulers_reason_and_its_latest_scheduling_event():
    summary = summary_of(sample())
    assert [t.name for t in summary.templates] == ["lonely", "nginx"]  # what needs a look comes first
    lonely = summary.templates[0]
    assert lonely.state == "unplaced" and lonely.targets == ()
    assert lonely.scheduled is not None and lonely.scheduled.message == NOT_FIT
    assert lonely.scheduling_event is not None
    assert (lonely.scheduling_event.reason, lonely.scheduling_event.type) == (
        "ScheduleBindingFailed",
        "Warning",
    )
    assert summary.templates_unplaced == 1 and summary.templates_total == 2
    page = render_sections(summary, NOW)
    assert f'<p class="why"><b>Why:</b> {NOT_FIT}</p>' in page
    assert "ScheduleBindingFailed, <time" in page and ">10s</time> ago" in page

    # an Event that says more than the condition is shown in full
    objects = sample()
    objects[EVENTS][1]["message"] = (
        "0/3 clusters fit: 1 had untolerated taint {cluster.karmada.io/unreachable}"
    )
    page = render_sections(summary_of(objects), NOW)
    assert "<b>Latest scheduling event</b> (ScheduleBindingFailed," in page
    assert "1 had untolerated taint {cluster.karmada.io/unreachable}" in page


def test_a_binding_the_scheduler_has_not_seen_yet_is_waiting():
    objects = Objects({RESOURCE_BINDINGS: [binding("fresh", scheduled=None)]})
    (fresh,) = summary_of(objects).templates
    assert fresh.state == "waiting" and fresh.scheduled is None
    assert "waiting for the scheduler" in render_sections(summary_of(objects), NOW)


def test_clusters_show_readiness_with_the_reason_when_not_ready_version_capacity_taints_and_simulation():
    summary = summary_of(sample())
    assert [c.name for c in summary.clusters] == ["member1", "member2", "member3"]
    assert summary.clusters_ready == 2
    member1, member2, _ = summary.clusters
    assert member1.simulated and not member2.simulated
    assert (member1.kubernetes_version, member1.nodes_ready, member1.nodes_total) == ("v1.36.0", 3, 3)
    assert (member1.cpu.allocated, member1.cpu.allocatable, member1.cpu.share) == ("6", "24", 0.25)
    assert (member1.memory.allocatable, member1.pods.allocatable) == ("96Gi", "330")
    assert member2.ready is not None and member2.ready.status == "False"
    assert member2.ready.reason == "ClusterNotReachable"
    assert member2.taints == ("cluster.karmada.io/unreachable:NoSchedule",)
    page = render_sections(summary, NOW)
    row = page[page.index('<tr data-cluster="member2">') :]
    row = row[: row.index("</tr>")]
    assert '<span class="badge bad">NotReady</span>' in row
    assert "ClusterNotReachable: cluster is not reachable: connection refused" in row
    assert "<code>cluster.karmada.io/unreachable:NoSchedule</code>" in row
    ready_row = page[page.index('<tr data-cluster="member1">') :]
    assert '<span class="tag">simulated</span>' in ready_row[: ready_row.index("</tr>")]
    assert "2/3 clusters ready" in page


def test_events_newest_first_and_limits_keep_totals():
    summary = summary_of(sample(), newest_events=2, most_templates=1)
    assert [e.reason for e in summary.events] == ["ScheduleBindingFailed", "ApplyPolicySucceed"]
    objects = sample()
    for revision, written in enumerate(objects[EVENTS], start=1):  # all in one second: the store's order
        written["metadata"]["resourceVersion"] = str(revision)
        written["lastTimestamp"] = "2025-06-15T15:06:30Z"
    assert [e.reason for e in summary_of(objects).events] == [
        "ApplyPolicySucceed",
        "ScheduleBindingFailed",
        "ScheduleBindingSucceed",
    ]
    assert summary.events_total == 3 and summary.events[0].object_name == "lonely-deployment"
    assert [t.name for t in summary.templates] == ["lonely"] and summary.templates_total == 2
    assert summary.templates_unplaced == 1 and summary.templates[0].scheduling_event is not None
    assert "… and 1 more, placed" in render_sections(summary, NOW)


def test_secret_and_configmap_data_never_reach_the_summary_or_the_page():
    objects = sample()
    objects["secrets"] = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "db", "namespace": "default", "uid": "uid-db"},
            "data": {"password": SECRET_VALUE},
            "stringData": {"token": SECRET_VALUE},
        }
    ]
    objects["configmaps"] = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "default", "uid": "uid-settings"},
            "data": {"url": CONFIG_VALUE},
        }
    ]
    # both propagated: their bindings are listed, by name only
    for name, kind in (("db", "Secret"), ("settings", "ConfigMap")):
        propagated = binding(name, kind, clusters=[("member1", 0)], replicas=None)
        propagated["spec"]["resource"]["apiVersion"] = "v1"
        objects[RESOURCE_BINDINGS].append(propagated)
    objects[CLUSTER_RESOURCE_BINDINGS] = []
    summary = summary_of(objects)
    assert {(t.kind, t.name) for t in summary.templates} >= {("Secret", "db"), ("ConfigMap", "settings")}
    shown = json.dumps(summary_json(summary)) + render_page(summary, NOW)
    for value in (SECRET_VALUE, CONFIG_VALUE, "password", "stringData"):
        assert value not in shown


HOSTILE = "<script>alert(1)</script>"
HOSTILE_ATTRIBUTE = '"><img src=x onerror=alert(1)>'


def test_hostile_names_labels_and_messages_are_shown_as_text():
    objects = sample()
    objects[CLUSTERS].append(
        cluster(
            HOSTILE,
            ready=False,
            reason=HOSTILE,
            message=HOSTILE_ATTRIBUTE,
            taints=[{"key": HOSTILE, "value": HOSTILE_ATTRIBUTE, "effect": "NoSchedule"}],
        )
    )
    hostile = binding(HOSTILE_ATTRIBUTE, clusters=[(HOSTILE, 1)], scheduled=("False", HOSTILE, HOSTILE))
    hostile["metadata"]["annotations"]["propagationpolicy.karmada.io/name"] = HOSTILE
    objects[RESOURCE_BINDINGS].append(hostile)
    objects[EVENTS].append(
        event(HOSTILE, HOSTILE_ATTRIBUTE, hostile, at="2025-06-15T15:06:39Z", type=HOSTILE)
    )
    page = render_page(summary_of(objects), NOW)
    assert "<script>alert" not in page and "<img" not in page
    assert page.count("<script>") == 1  # the page's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert f'data-cluster="{HOSTILE}"' not in page
    assert 'data-cluster="&lt;script&gt;alert(1)&lt;/script&gt;"' in page


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(-3, "0s"), (0, "0s"), (119, "119s"), (120, "2m"), (3 * 3600 - 1, "179m"), (3 * 3600, "3h"),
     (48 * 3600 - 1, "47h"), (48 * 3600, "2d")],
)  # fmt: skip
def test_ages_read_as_kubectls(seconds, shown):
    assert age(seconds) == shown


@pytest.mark.anyio
async def test_the_page_serves_its_sections_and_json_and_answers_204_while_the_store_stands_still():
    objects = sample()
    page = StatusPage(objects, clock=lambda: NOW)
    app = web.Application()
    app.router.add_routes(page.routes())
    async with TestClient(TestServer(app)) as client:
        whole = await client.get("/")
        assert whole.status == 200 and whole.content_type == "text/html"
        assert "default-src 'none'" in whole.headers["Content-Security-Policy"]
        assert whole.headers["Cache-Control"] == "no-store"
        body = await whole.text()
        assert '<main id="status" data-revision="1"' in body and NOT_FIT in body

        unchanged = await client.get("/status.html", params={"since": "1"})
        assert unchanged.status == 204 and unchanged.headers["X-Store-Revision"] == "1"
        assert unchanged.headers["X-Server-Time"] == f"{NOW:.0f}"

        objects[RESOURCE_BINDINGS][1]["status"]["conditions"][0] = {
            "type": "Scheduled", "status": "True", "reason": "Success", "message": "",
        }  # fmt: skip
        objects[RESOURCE_BINDINGS][1]["spec"]["clusters"] = [{"name": "member1", "replicas": 2}]
        objects.revision = 2
        moved = await client.get("/status.html", params={"since": "1"})
        assert moved.status == 200 and moved.headers["X-Store-Revision"] == "2"
        sections = await moved.text()
        assert "0 not placed" in sections and "<b>Why:</b>" not in sections
        assert not sections.startswith("<!DOCTYPE")

        data = await (await client.get("/status.json")).json()
        assert data["revision"] == 2 and data["clustersReady"] == 2 and data["templatesUnplaced"] == 0
        lonely = next(t for t in data["templates"] if t["name"] == "lonely")
        assert lonely["targets"] == [{"cluster": "member1", "replicas": 2, "applied": None, "health": ""}]
        assert lonely["schedulingEvent"]["reason"] == "ScheduleBindingFailed"


def test_an_empty_karmadad_says_what_to_do_next():
    summary = summary_of(Objects())
    assert (summary.clusters, summary.templates, summary.events) == ((), (), ())
    page = render_sections(summary, NOW)
    assert "No member clusters: list them under clusters in the config file." in page
    assert "No template has a binding yet: apply a workload and a PropagationPolicy." in page
    assert "No Events in the last hour." in page and "0/0 clusters ready" in page
