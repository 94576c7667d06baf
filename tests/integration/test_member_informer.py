"""The informer over a real member: its cache converges to a fresh LIST, through changes and a restart."""

from __future__ import annotations

import anyio
import pytest
import yaml

from karmadad.config import ClusterConfig
from karmadad.members.connection import MemberConnection, strip_managed_fields
from karmadad.members.source import MemberSource
from karmadad.runtime.informer import Handler, Informer
from tests.kube.cluster import KubeHarness

pytestmark = [pytest.mark.real_cluster, pytest.mark.anyio]
NS_PATH = "/api/v1/namespaces/informer-test/configmaps"


async def converged(informer: Informer, connection: MemberConnection, within: float = 20) -> None:
    with anyio.fail_after(within):
        while True:
            _, listed = await connection.get(NS_PATH)
            fresh = {
                f"informer-test/{o['metadata']['name']}": o["metadata"]["resourceVersion"]
                for o in listed["items"]
            }
            cached = {
                k: o["metadata"]["resourceVersion"]
                for k, o in ((k, informer.get(k)) for k in informer.keys())
            }
            if fresh == cached:
                return
            await anyio.sleep(0.1)


async def test_member_informer_follows_changes_and_a_restart(kube_binaries, tmp_path):
    harness = KubeHarness(tmp_path / "members", kube_binaries)
    await anyio.to_thread.run_sync(harness.up, 1)
    try:
        entry = yaml.safe_load((harness.workdir / "clusters.yaml").read_text())["clusters"][0]
        connection = await MemberConnection.open(
            ClusterConfig(name=entry["name"], kubeconfig=entry["kubeconfig"])
        )
        await connection.request("POST", "/api/v1/namespaces", {"metadata": {"name": "informer-test"}})
        informer = Informer(
            MemberSource(connection, NS_PATH, inactivity=10),
            transform=strip_managed_fields,
            relist_backoff=0.2,
        )
        events: list[str] = []
        informer.add_handler(
            Handler(on_add=lambda o: events.append("add"), on_delete=lambda o: events.append("delete"))
        )

        async def write(method: str, path: str, body: dict | None = None) -> None:
            await connection.request(method, path, body)

        async with anyio.create_task_group() as tasks:
            await tasks.start(informer.run)
            for i in range(20):
                await write("POST", NS_PATH, {"metadata": {"name": f"cm-{i}"}, "data": {"i": str(i)}})
            for i in range(0, 20, 3):
                await write(
                    "PUT", f"{NS_PATH}/cm-{i}", {"metadata": {"name": f"cm-{i}"}, "data": {"i": "changed"}}
                )
            for i in range(0, 20, 4):
                await write("DELETE", f"{NS_PATH}/cm-{i}")
            await converged(informer, connection)
            ours = sorted(k for k in informer.keys() if not k.endswith("/kube-root-ca.crt"))  # the KCM's own
            assert ours == sorted(f"informer-test/cm-{i}" for i in range(20) if i % 4)
            assert events.count("add") >= 20 and events.count("delete") == 5
            assert all("managedFields" not in o["metadata"] for o in informer.list())
            # The member's API goes away and comes back; changes made meanwhile still arrive.
            await anyio.to_thread.run_sync(harness.stop_apiserver, "member1")
            await anyio.sleep(1)
            await anyio.to_thread.run_sync(harness.start_apiserver, "member1")
            await write("DELETE", f"{NS_PATH}/cm-1")
            await write("POST", NS_PATH, {"metadata": {"name": "after-restart"}})
            await converged(informer, connection, within=60)
            assert (
                informer.get("informer-test/after-restart") is not None
                and informer.get("informer-test/cm-1") is None
            )
            tasks.cancel_scope.cancel()
        await connection.close()
    finally:
        await anyio.to_thread.run_sync(harness.down)
