"""Kubernetes storage semantics of the object store, operation by operation."""

from __future__ import annotations

import os

import pytest

from karmadad.errors import AlreadyExists, BadRequest, Conflict, Expired, Forbidden, Invalid, NotFound
from karmadad.selectors import parse_field_selector, parse_label_selector
from karmadad.store import Query, open_store
from tests.store.conftest import configmap

pytestmark = pytest.mark.anyio


async def test_initial_namespaces_exist(store):
    names = [ns["metadata"]["name"] for ns in store.list(Query("namespaces")).items]
    assert names == sorted(["default", "kube-system", "kube-public", "karmada-system", "karmada-cluster"])
    assert all(ns["status"]["phase"] == "Active" for ns in store.list(Query("namespaces")).items)


async def test_create_sets_system_metadata_and_revisions_increase(store):
    start = store.revision
    a = await store.create("configmaps", configmap("a", metadata={"uid": "forged", "generation": 9}))
    b = await store.create("configmaps", configmap("b"))
    meta = a["metadata"]
    assert meta["uid"] != "forged" and len(meta["uid"]) == 36 and meta["uid"][14] == "4"
    assert "generation" not in meta and meta["creationTimestamp"].endswith("Z")  # ConfigMaps count none
    assert int(meta["resourceVersion"]) == start + 1 and int(b["metadata"]["resourceVersion"]) == start + 2
    assert store.get("configmaps", "default", "a") == a
    with pytest.raises(AlreadyExists) as exists:
        await store.create("configmaps", configmap("a"))
    assert exists.value.status()["code"] == 409 and exists.value.message == 'configmaps "a" already exists'


async def test_generate_name(store):
    created = await store.create("configmaps", {"metadata": {"generateName": "web-", "namespace": "default"}})
    assert created["metadata"]["name"].startswith("web-") and len(created["metadata"]["name"]) == 9
    with pytest.raises(Invalid) as invalid:
        await store.create("configmaps", {"metadata": {"namespace": "default"}})
    assert invalid.value.causes[0].field == "metadata.name"


async def test_namespaced_objects_need_an_active_namespace(store):
    with pytest.raises(NotFound) as missing:
        await store.create("configmaps", configmap("a", namespace="nope"))
    assert missing.value.message == 'namespaces "nope" not found'
    await store.create("namespaces", {"metadata": {"name": "team", "finalizers": ["example.com/hold"]}})
    await store.delete("namespaces", "", "team")
    with pytest.raises(Forbidden) as terminating:
        await store.create("configmaps", configmap("a", namespace="team"))
    assert "because it is being terminated" in terminating.value.message
    assert terminating.value.causes[0].reason == "NamespaceTerminating"


async def test_protected_namespaces_cannot_be_deleted(store):
    with pytest.raises(Forbidden):
        await store.delete("namespaces", "", "default")


async def test_update_conflicts_exactly_when_stale(store):
    a = await store.create("configmaps", configmap("a"))
    b = await store.update("configmaps", {**a, "data": {"k": "2"}})
    assert int(b["metadata"]["resourceVersion"]) > int(a["metadata"]["resourceVersion"])
    with pytest.raises(Conflict) as stale:
        await store.update("configmaps", {**a, "data": {"k": "3"}})
    assert stale.value.message.startswith(
        'Operation cannot be fulfilled on configmaps "a": the object has been modified'
    )
    unconditional = {**b, "metadata": {k: v for k, v in b["metadata"].items() if k != "resourceVersion"}}
    c = await store.update("configmaps", {**unconditional, "data": {"k": "4"}})
    assert c["data"] == {"k": "4"}
    with pytest.raises(Conflict):
        await store.update("configmaps", {**c, "metadata": {**c["metadata"], "uid": "other"}})
    with pytest.raises(NotFound):
        await store.update("configmaps", configmap("missing"))


async def test_generation_follows_spec_not_metadata_or_status(store):
    obj = await store.create(
        "deployments.apps", {"metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 1}}
    )
    labelled = await store.update(
        "deployments.apps", {**obj, "metadata": {**obj["metadata"], "labels": {"a": "b"}}}
    )
    assert labelled["metadata"]["generation"] == 1
    status = await store.update(
        "deployments.apps", {**labelled, "status": {"replicas": 1}}, subresource="status"
    )
    assert status["metadata"]["generation"] == 1 and status["status"] == {"replicas": 1}
    scaled = await store.update("deployments.apps", {**status, "spec": {"replicas": 3}})
    assert scaled["metadata"]["generation"] == 2 and scaled["status"] == {"replicas": 1}


async def test_status_update_changes_only_status(store):
    obj = await store.create(
        "deployments.apps", {"metadata": {"name": "web", "namespace": "default"}, "spec": {"replicas": 1}}
    )
    updated = await store.update(
        "deployments.apps",
        {
            **obj,
            "metadata": {**obj["metadata"], "labels": {"x": "y"}},
            "spec": {"replicas": 9},
            "status": {"ready": 1},
        },
        subresource="status",
    )
    assert updated["spec"] == {"replicas": 1} and "labels" not in updated["metadata"]
    assert updated["status"] == {"ready": 1}


async def test_noop_update_writes_nothing(store):
    obj = await store.create("configmaps", configmap("a"))
    revision = store.revision
    same = await store.update("configmaps", dict(obj))
    assert same is obj and store.revision == revision


async def test_delete_preconditions_and_not_found(store):
    obj = await store.create("configmaps", configmap("a"))
    with pytest.raises(Conflict) as uid:
        await store.delete("configmaps", "default", "a", uid="nope")
    assert "Precondition failed: UID in precondition: nope" in uid.value.message
    with pytest.raises(Conflict):
        await store.delete("configmaps", "default", "a", resource_version="1")
    gone, removed = await store.delete(
        "configmaps",
        "default",
        "a",
        uid=obj["metadata"]["uid"],
        resource_version=obj["metadata"]["resourceVersion"],
    )
    assert removed and gone["metadata"]["name"] == "a"
    assert int(gone["metadata"]["resourceVersion"]) == store.revision
    with pytest.raises(NotFound):
        store.get("configmaps", "default", "a")
    with pytest.raises(NotFound):
        await store.delete("configmaps", "default", "a")


async def test_finalizers_hold_a_deleted_object_until_the_last_one_goes(store):
    obj = await store.create("configmaps", configmap("a", metadata={"finalizers": ["x/one", "x/two"]}))
    held, removed = await store.delete("configmaps", "default", "a")
    assert not removed and held["metadata"]["deletionTimestamp"]
    assert held["metadata"]["deletionGracePeriodSeconds"] == 0
    again, removed = await store.delete("configmaps", "default", "a")
    assert not removed and again["metadata"]["deletionTimestamp"] == held["metadata"]["deletionTimestamp"]
    with pytest.raises(Invalid) as no_new:
        await store.update(
            "configmaps",
            {**held, "metadata": {**held["metadata"], "finalizers": ["x/one", "x/two", "x/three"]}},
        )
    assert no_new.value.causes[0].field == "metadata.finalizers"
    one = await store.update(
        "configmaps", {**held, "metadata": {**held["metadata"], "finalizers": ["x/two"]}}
    )
    assert store.get("configmaps", "default", "a") == one
    await store.update("configmaps", {**one, "metadata": {**one["metadata"], "finalizers": []}})
    assert store.find("configmaps", "default", "a") is None
    assert obj["metadata"]["uid"] not in [o["metadata"]["uid"] for o in store.list_all("configmaps")]


async def test_list_selectors_and_order(store):
    await store.create("namespaces", {"metadata": {"name": "other"}})
    for ns in ("other", "default"):
        for name, tier in (("b", "web"), ("a", "db"), ("c", "web")):
            await store.create(
                "configmaps", configmap(name, namespace=ns, metadata={"labels": {"tier": tier}})
            )
    everything = store.list(Query("configmaps")).items
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in everything] == [
        ("default", "a"),
        ("default", "b"),
        ("default", "c"),
        ("other", "a"),
        ("other", "b"),
        ("other", "c"),
    ]
    web = store.list(
        Query("configmaps", "other", labels=parse_label_selector("tier in (web),tier!=db"))
    ).items
    assert [o["metadata"]["name"] for o in web] == ["b", "c"]
    by_name = store.list(Query("configmaps", fields=parse_field_selector("metadata.name=a"))).items
    assert [o["metadata"]["namespace"] for o in by_name] == ["default", "other"]
    not_default = store.list(
        Query("configmaps", fields=parse_field_selector("metadata.namespace!=default"))
    ).items
    assert {o["metadata"]["namespace"] for o in not_default} == {"other"}


async def test_pagination_is_consistent_at_the_first_page_revision(store):
    for i in range(10):
        await store.create("configmaps", configmap(f"cm-{i:02}"))
    first = store.list(Query("configmaps"), limit=4)
    assert [o["metadata"]["name"] for o in first.items] == ["cm-00", "cm-01", "cm-02", "cm-03"]
    assert first.remaining == 6 and first.continue_token
    # Changes after the first page do not show in the later pages.
    await store.delete("configmaps", "default", "cm-05")
    await store.create("configmaps", configmap("cm-04a"))
    cm6 = store.get("configmaps", "default", "cm-06")
    await store.update("configmaps", {**cm6, "data": {"k": "changed"}})
    second = store.list(Query("configmaps"), continue_token=first.continue_token, limit=4)
    assert [o["metadata"]["name"] for o in second.items] == ["cm-04", "cm-05", "cm-06", "cm-07"]
    assert second.items[2]["data"] == {"k": "v"} and second.revision == first.revision
    third = store.list(Query("configmaps"), continue_token=second.continue_token, limit=4)
    assert [o["metadata"]["name"] for o in third.items] == ["cm-08", "cm-09"] and not third.continue_token
    with pytest.raises(BadRequest):
        store.list(Query("configmaps"), continue_token="garbage!")


async def test_continue_token_expires_with_the_history(tmp_path):
    from karmadad.store import HistoryLimits

    async with open_store(tmp_path / "s.db", history=HistoryLimits(max_events=5)) as store:
        for i in range(4):
            await store.create("configmaps", configmap(f"cm-{i}"))
        first = store.list(Query("configmaps"), limit=2)
        for i in range(10):
            await store.create("configmaps", configmap(f"later-{i}"))
        with pytest.raises(Expired) as expired:
            store.list(Query("configmaps"), continue_token=first.continue_token)
        assert expired.value.status()["code"] == 410


async def test_state_survives_reopen_and_revision_never_goes_back(tmp_path):
    path = tmp_path / "state.db"
    async with open_store(path) as store:
        a = await store.create("configmaps", configmap("a"))
        b = await store.create("configmaps", configmap("b"))
        await store.delete("configmaps", "default", "b")
        last = store.revision
    assert int(b["metadata"]["resourceVersion"]) < last
    assert os.stat(path).st_mode & 0o777 == 0o600
    async with open_store(path) as store:
        assert store.revision == last
        assert store.get("configmaps", "default", "a") == a
        assert store.find("configmaps", "default", "b") is None
        c = await store.create("configmaps", configmap("c"))
        assert int(c["metadata"]["resourceVersion"]) == last + 1
        assert await store.integrity_check() == "ok"


async def test_newer_schema_is_refused(tmp_path):
    import sqlite3

    from karmadad.store.sqlite import SchemaTooNew

    path = tmp_path / "state.db"
    async with open_store(path):
        pass
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version=99")
    with pytest.raises(SchemaTooNew):
        async with open_store(path):
            pass


async def test_delete_collection(store):
    for i in range(3):
        await store.create(
            "configmaps", configmap(f"cm-{i}", metadata={"labels": {"drop": "yes" if i else "no"}})
        )
    deleted = await store.delete_collection(
        Query("configmaps", "default", labels=parse_label_selector("drop=yes"))
    )
    assert sorted(o["metadata"]["name"] for o in deleted) == ["cm-1", "cm-2"]
    assert [o["metadata"]["name"] for o in store.list(Query("configmaps")).items] == ["cm-0"]
