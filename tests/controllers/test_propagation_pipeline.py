"""A Deployment from template to member object, in process: binding → Works, the execution controller's
create, update, skip, abort and delete, and status back to the template — each asserted as exact objects,
each step awaited by the pipeline's drained barrier, never by sleeping."""

from __future__ import annotations

import pytest

from karmadad import metrics
from karmadad.api.karmada.resources import PROPAGATION_POLICIES, WORKS
from karmadad.api.karmada.work import CONDITION_APPLIED
from tests.controllers.objects import NAMESPACE, deployment, prepared
from tests.controllers.pipeline import DEPLOYMENTS, Pipeline, pipeline

pytestmark = pytest.mark.anyio
WEB = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
TEMPLATES = "deployments.apps"


@pytest.fixture
async def plane(tmp_path):
    async with pipeline(tmp_path) as plane:
        yield plane


async def propagated(plane: Pipeline, **policy_spec: object) -> dict:
    """The Deployment ``web`` and a policy sending it to m1, carried through; its Work."""
    await plane.create("apps", "v1", "deployments", deployment("web"))
    await plane.propagate(WEB, ["m1"], **policy_spec)
    await plane.drained()
    (work,) = [w for w in plane.store.list_all(WORKS) if w["metadata"]["name"].startswith("web-")]
    return work


def marks(plane: Pipeline, work: dict) -> tuple[dict, dict]:
    """The labels and annotations karmadad puts on ``web`` in a member, from the objects that carry them."""
    template = plane.store.get(TEMPLATES, NAMESPACE, "web")
    policy = plane.store.get(PROPAGATION_POLICIES, NAMESPACE, "pp")
    binding = plane.binding("web-deployment")
    permanent = "permanent-id"
    labels = {
        "karmada.io/managed": "true",
        f"propagationpolicy.karmada.io/{permanent}": policy["metadata"]["labels"][f"propagationpolicy.karmada.io/{permanent}"],
        f"resourcebinding.karmada.io/{permanent}": binding["metadata"]["labels"][f"resourcebinding.karmada.io/{permanent}"],
        f"work.karmada.io/{permanent}": work["metadata"]["labels"][f"work.karmada.io/{permanent}"],
    }  # fmt: skip
    annotations = {
        "propagationpolicy.karmada.io/name": "pp",
        "propagationpolicy.karmada.io/namespace": NAMESPACE,
        "resourcebinding.karmada.io/name": "web-deployment",
        "resourcebinding.karmada.io/namespace": NAMESPACE,
        "resourcetemplate.karmada.io/generation": str(template["metadata"]["generation"]),
        "resourcetemplate.karmada.io/uid": template["metadata"]["uid"],
        "work.karmada.io/conflict-resolution": "abort",
        "work.karmada.io/name": work["metadata"]["name"],
        "work.karmada.io/namespace": "karmada-es-m1",
        "resourcetemplate.karmada.io/managed-annotations": ",".join(sorted([
            "propagationpolicy.karmada.io/name", "propagationpolicy.karmada.io/namespace",
            "resourcebinding.karmada.io/name", "resourcebinding.karmada.io/namespace",
            "resourcetemplate.karmada.io/generation", "resourcetemplate.karmada.io/managed-annotations",
            "resourcetemplate.karmada.io/managed-labels", "resourcetemplate.karmada.io/uid",
            "work.karmada.io/conflict-resolution", "work.karmada.io/name", "work.karmada.io/namespace"])),
        "resourcetemplate.karmada.io/managed-labels": ",".join(sorted(labels)),
    }  # fmt: skip
    return labels, annotations


def in_member(plane: Pipeline, cluster: str = "m1") -> dict | None:
    return plane.members[cluster].find(DEPLOYMENTS, NAMESPACE, "web")


def applied(work: dict) -> dict:
    (found,) = [c for c in work["status"]["conditions"] if c["type"] == CONDITION_APPLIED]
    return {k: found[k] for k in ("status", "reason", "message")}


async def test_a_deployment_reaches_its_member_as_its_work_says(plane):
    work = await propagated(plane)
    template = plane.store.get(TEMPLATES, NAMESPACE, "web")
    assert plane.binding("web-deployment")["spec"]["clusters"] == [{"name": "m1", "replicas": 2}]
    (manifest,) = work["spec"]["workload"]["manifests"]
    labels, annotations = marks(plane, work)
    assert manifest == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": NAMESPACE, "labels": labels, "annotations": annotations},
        "spec": template["spec"],
    }
    member = in_member(plane)
    assert member["metadata"]["labels"] == labels
    assert member["metadata"]["annotations"] == annotations
    assert member["spec"] == template["spec"]
    assert plane.members["m1"].writes == ["create Namespace shop", "create Deployment shop/web"]
    work = plane.work("m1", work["metadata"]["name"])
    assert applied(work) == {"status": "True", "reason": "AppliedSuccessful", "message": "Manifest has been successfully applied"}  # fmt: skip
    assert work["status"]["manifestStatuses"] == [
        {
            "identifier": {"ordinal": 0, "group": "apps", "version": "v1", "kind": "Deployment",
                           "resource": "deployments", "namespace": NAMESPACE, "name": "web"},
            "health": "Unhealthy",
            "status": {"generation": 1, "resourceTemplateGeneration": 2},  # from the member's empty status
        }
    ]  # fmt: skip


async def test_a_template_change_updates_the_member_and_an_edit_there_is_undone(plane):
    await propagated(plane)
    template = plane.store.get(TEMPLATES, NAMESPACE, "web")
    await plane.store.update(TEMPLATES, {**template, "spec": {**template["spec"], "replicas": 3}})
    await plane.drained()
    assert in_member(plane)["spec"]["replicas"] == 3
    member = plane.members["m1"]
    # the new generation's annotation, then the replicas the scheduler gives the m1 (two Work changes)
    assert member.writes[2:] == ["update Deployment shop/web"] * 2
    edited = in_member(plane)
    await member.store.update(TEMPLATES, {**edited, "spec": {**edited["spec"], "replicas": 7}})
    await plane.drained()
    assert in_member(plane)["spec"]["replicas"] == 3
    assert member.writes[4:] == ["update Deployment shop/web"]


async def test_a_member_holding_the_manifest_is_not_written_and_its_status_comes_back_to_the_template(plane):
    work = await propagated(plane)
    member = plane.members["m1"]
    writes = list(member.writes)
    key = (work["metadata"]["namespace"], work["metadata"]["name"])
    plane.execution.controller.enqueue(key, "apply")  # a resync: compare again
    await plane.drained()
    assert member.writes == writes
    status = {"observedGeneration": 1, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2, "availableReplicas": 2}  # fmt: skip
    observed = in_member(plane)
    await member.store.update(TEMPLATES, {**observed, "status": status}, subresource="status")
    await plane.drained()
    assert member.writes == writes, "a status change in the member writes nothing there"
    work = plane.work("m1", work["metadata"]["name"])
    generations = {"generation": 1, "resourceTemplateGeneration": plane.store.get(TEMPLATES, NAMESPACE, "web")["metadata"]["generation"]}  # fmt: skip
    (entry,) = work["status"]["manifestStatuses"]
    assert (entry["health"], entry["status"]) == ("Healthy", {**status, **generations})
    binding = plane.binding("web-deployment")
    assert [(i["clusterName"], i["status"], i["applied"], i["health"]) for i in binding["status"]["aggregatedStatus"]] == [
        ("m1", {**status, **generations}, True, "Healthy")
    ]  # fmt: skip
    template = plane.store.get(TEMPLATES, NAMESPACE, "web")
    assert template["status"] == {**status, "observedGeneration": template["metadata"]["generation"]}


async def test_an_object_karmadad_does_not_manage_is_left_alone_until_the_policy_says_overwrite(plane):
    member = plane.members["m1"]
    await plane.propagate(WEB, ["m1"])
    await plane.drained()  # the namespace is in the member
    theirs = deployment("web")
    foreign = prepared("apps", "v1", "deployments", {**theirs, "spec": {**theirs["spec"], "replicas": 9}})
    await member.store.create(TEMPLATES, foreign)
    stopped = metrics.RECONCILE_TERMINAL.labels("execution")
    before = stopped._value.get()
    await plane.create("apps", "v1", "deployments", theirs)
    await plane.drained()
    (work,) = [w for w in plane.store.list_all(WORKS) if w["metadata"]["name"].startswith("web-")]
    assert applied(plane.work("m1", work["metadata"]["name"])) == {
        "status": "False",
        "reason": "AppliedFailed",
        "message": "Failed to apply all manifests (0/1): Deployment shop/web already exists in the member "
        "cluster and is not managed by karmadad (conflictResolution is Abort; set it to Overwrite to take the "
        "object over)",
    }
    assert member.writes == ["create Namespace shop"]
    assert in_member(plane)["spec"]["replicas"] == 9
    key = (work["metadata"]["namespace"], work["metadata"]["name"])
    assert stopped._value.get() > before
    assert plane.execution.controller.queue.retries(key) == 0, "told, not retried"
    policy = plane.store.get(PROPAGATION_POLICIES, NAMESPACE, "pp")
    await plane.store.update(PROPAGATION_POLICIES, {**policy, "spec": {**policy["spec"], "conflictResolution": "Overwrite"}})  # fmt: skip
    await plane.drained()
    assert in_member(plane)["spec"]["replicas"] == 2
    assert in_member(plane)["metadata"]["labels"]["karmada.io/managed"] == "true"
    assert member.writes == ["create Namespace shop", "update Deployment shop/web"]


async def test_deleting_the_template_deletes_the_member_object(plane):
    work = await propagated(plane)
    await plane.store.delete(TEMPLATES, NAMESPACE, "web")
    await plane.drained()
    assert plane.work("m1", work["metadata"]["name"]) is None
    assert in_member(plane) is None
    assert plane.members["m1"].writes[-1] == "delete Deployment shop/web"


async def test_a_preserved_object_outlives_its_work_without_karmadads_marks(plane):
    work = await propagated(plane, preserveResourcesOnDeletion=True)
    await plane.store.delete(TEMPLATES, NAMESPACE, "web")
    await plane.drained()
    assert plane.work("m1", work["metadata"]["name"]) is None
    kept = in_member(plane)
    assert (
        "labels" not in kept["metadata"] and "annotations" not in kept["metadata"]
    )  # empty maps are left out
    assert kept["spec"]["replicas"] == 2
    assert plane.members["m1"].writes[-1] == "update Deployment shop/web"
