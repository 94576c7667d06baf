"""Garbage collection and namespace deletion, mode by mode, as Kubernetes does them."""

from __future__ import annotations

import anyio
import pytest

from karmadad.errors import Forbidden
from tests.store.conftest import configmap

pytestmark = pytest.mark.anyio


async def eventually(check, within: float = 5.0):
    """Wait until ``check()`` is truthy; its value."""
    with anyio.fail_after(within):
        while not (result := check()):  # noqa: ASYNC110 - polling the store's state is the point
            await anyio.sleep(0.01)
    return result


def owned_by(owner: dict, *, block: bool = False) -> dict:
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
    }
    if block:
        ref["blockOwnerDeletion"] = True
    return {"ownerReferences": [ref]}


async def make_family(store, *, block: bool = False, hold: bool = False):
    owner = await store.create("configmaps", configmap("owner"))
    kids = []
    for i in range(3):
        meta = owned_by(owner, block=block and i == 0)
        if hold and i == 0:
            meta["finalizers"] = ["example.com/hold"]
        kids.append(await store.create("configmaps", configmap(f"kid-{i}", metadata=meta)))
    grandchild = await store.create("configmaps", configmap("grandkid", metadata=owned_by(kids[1])))
    return owner, kids, grandchild


def exists(store, name: str) -> bool:
    return store.find("configmaps", "default", name) is not None


async def test_background_deletes_the_owner_then_its_dependents(collected_store):
    store = collected_store
    await make_family(store)
    _, removed = await store.delete("configmaps", "default", "owner", propagation="Background")
    assert removed and not exists(store, "owner")
    await eventually(lambda: not any(exists(store, n) for n in ("kid-0", "kid-1", "kid-2", "grandkid")))


async def test_foreground_deletes_blocking_dependents_before_the_owner(collected_store):
    store = collected_store
    await make_family(store, block=True, hold=True)
    owner, removed = await store.delete("configmaps", "default", "owner", propagation="Foreground")
    assert not removed
    assert owner["metadata"]["deletionTimestamp"] and "foregroundDeletion" in owner["metadata"]["finalizers"]
    # Non-blocking dependents go; kid-0 blocks and is held by its own finalizer, so the owner waits.
    await eventually(lambda: not any(exists(store, n) for n in ("kid-1", "kid-2", "grandkid")))
    kid0 = store.get("configmaps", "default", "kid-0")
    assert kid0["metadata"]["deletionTimestamp"]
    await anyio.sleep(0.2)
    assert exists(store, "owner")
    await store.update("configmaps", {**kid0, "metadata": {**kid0["metadata"], "finalizers": []}})
    await eventually(lambda: not exists(store, "owner"))


async def test_foreground_without_blocking_dependents_finishes_at_once(collected_store):
    store = collected_store
    await make_family(store)
    await store.delete("configmaps", "default", "owner", propagation="Foreground")
    await eventually(lambda: not exists(store, "owner"))
    await eventually(lambda: not any(exists(store, n) for n in ("kid-0", "kid-1", "kid-2", "grandkid")))


async def test_orphan_keeps_dependents_and_drops_their_references(collected_store):
    store = collected_store
    await make_family(store)
    held, removed = await store.delete("configmaps", "default", "owner", propagation="Orphan")
    assert not removed and held["metadata"]["finalizers"] == ["orphan"]
    await eventually(lambda: not exists(store, "owner"))
    for name in ("kid-0", "kid-1", "kid-2"):
        assert "ownerReferences" not in store.get("configmaps", "default", name)["metadata"]
    assert store.get("configmaps", "default", "grandkid")["metadata"]["ownerReferences"]
    await anyio.sleep(0.2)
    assert all(exists(store, n) for n in ("kid-0", "kid-1", "kid-2", "grandkid"))


async def test_a_dependent_with_another_owner_survives(collected_store):
    store = collected_store
    first = await store.create("configmaps", configmap("first"))
    second = await store.create("configmaps", configmap("second"))
    refs = owned_by(first)["ownerReferences"] + owned_by(second)["ownerReferences"]
    await store.create("configmaps", configmap("shared", metadata={"ownerReferences": refs}))
    await store.delete("configmaps", "default", "first")
    await eventually(
        lambda: len(store.get("configmaps", "default", "shared")["metadata"]["ownerReferences"]) == 1
    )
    assert (
        store.get("configmaps", "default", "shared")["metadata"]["ownerReferences"][0]["uid"]
        == second["metadata"]["uid"]
    )


async def test_a_dependent_of_a_missing_owner_is_collected(collected_store):
    store = collected_store
    ghost = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "ghost",
        "uid": "00000000-0000-4000-8000-000000000000",
    }
    await store.create("configmaps", configmap("orphaned", metadata={"ownerReferences": [ghost]}))
    await eventually(lambda: not exists(store, "orphaned"))


async def test_deleting_a_namespace_deletes_its_content_then_itself(collected_store):
    store = collected_store
    await store.create("namespaces", {"metadata": {"name": "team"}})
    await store.create("configmaps", configmap("a", namespace="team"))
    await store.create(
        "configmaps", configmap("held", namespace="team", metadata={"finalizers": ["example.com/hold"]})
    )
    await store.create("secrets", {"metadata": {"name": "s", "namespace": "team"}})
    other = await store.create("configmaps", configmap("a"))
    ns, removed = await store.delete("namespaces", "", "team")
    assert (
        not removed and ns["status"]["phase"] == "Terminating" and ns["spec"]["finalizers"] == ["kubernetes"]
    )
    with pytest.raises(Forbidden):
        await store.create("configmaps", configmap("late", namespace="team"))
    await eventually(
        lambda: store.find("configmaps", "team", "a") is None and store.find("secrets", "team", "s") is None
    )
    held = store.get("configmaps", "team", "held")
    assert held["metadata"]["deletionTimestamp"]
    assert store.find("namespaces", "", "team") is not None
    await store.update("configmaps", {**held, "metadata": {**held["metadata"], "finalizers": []}})
    await eventually(lambda: store.find("namespaces", "", "team") is None)
    assert store.get("configmaps", "default", "a") == other
