"""kubernetes_asyncio against karmadad: list, watch resumed by resourceVersion, 410 when too old, bookmarks."""

from __future__ import annotations

import json

import anyio
import pytest
from kubernetes_asyncio import client, config, watch
from kubernetes_asyncio.client.exceptions import ApiException

pytestmark = pytest.mark.anyio
NS = "client-library"


@pytest.fixture
async def core(karmadad):
    configuration = client.Configuration()
    await config.load_kube_config(config_file=str(karmadad.kubeconfig), client_configuration=configuration)
    async with client.ApiClient(configuration) as api:
        v1 = client.CoreV1Api(api)
        try:
            await v1.create_namespace({"metadata": {"name": NS}})
        except ApiException as error:
            assert error.status == 409
        yield v1


async def test_list_then_watch_from_the_list_revision(core):
    await core.create_namespaced_config_map(NS, {"metadata": {"name": "a"}, "data": {"x": "1"}})
    listing = await core.list_namespaced_config_map(NS)
    assert [cm.metadata.name for cm in listing.items] == ["a"]
    await core.patch_namespaced_config_map("a", NS, {"data": {"x": "2"}})
    await core.create_namespaced_config_map(NS, {"metadata": {"name": "b"}})
    await core.delete_namespaced_config_map("a", NS)
    seen = []
    with anyio.fail_after(10):
        async with watch.Watch().stream(
            core.list_namespaced_config_map,
            NS,
            resource_version=listing.metadata.resource_version,
            timeout_seconds=5,
        ) as stream:
            async for event in stream:
                seen.append((event["type"], event["object"].metadata.name))
                if len(seen) == 3:
                    break
    assert seen == [("MODIFIED", "a"), ("ADDED", "b"), ("DELETED", "a")]


async def test_a_revision_older_than_the_history_is_410(core):
    listing = await core.list_namespaced_config_map(NS)
    old = listing.metadata.resource_version
    limiter = anyio.Semaphore(32)

    async def create(i: int) -> None:
        async with limiter:
            await core.create_namespaced_config_map(NS, {"metadata": {"name": f"bulk-{i}"}})

    async with anyio.create_task_group() as tasks:
        for i in range(1100):  # more than the history the test daemon keeps (1000 changes)
            tasks.start_soon(create, i)
    response = await core.list_namespaced_config_map(
        NS, watch=True, resource_version=old, timeout_seconds=2, _preload_content=False
    )
    first = json.loads((await response.content.readline()).decode())
    response.release()
    assert first["type"] == "ERROR"
    assert first["object"]["code"] == 410 and first["object"]["reason"] == "Expired"


async def test_bookmarks_and_streaming_lists(core):
    await core.create_namespaced_config_map(NS, {"metadata": {"name": "streamed"}})
    response = await core.list_namespaced_config_map(
        NS,
        watch=True,
        send_initial_events=True,
        allow_watch_bookmarks=True,
        resource_version_match="NotOlderThan",
        timeout_seconds=1,
        _preload_content=False,
    )
    events = []
    with anyio.fail_after(10):
        while line := await response.content.readline():
            events.append(json.loads(line))
    response.release()
    added = [e["object"]["metadata"]["name"] for e in events if e["type"] == "ADDED"]
    assert "streamed" in added
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks[0]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    assert events.index(bookmarks[0]) == len(added)  # after every initial object
    assert len(bookmarks) >= 2 and int(bookmarks[-1]["object"]["metadata"]["resourceVersion"]) > 0
