"""Watch connections cut again and again: the member informer's cache still converges, nothing repeated."""

from __future__ import annotations

import anyio
import pytest
import yaml
from anyio.abc import SocketStream

from karmadad.config import ClusterConfig
from karmadad.members.connection import MemberConnection
from karmadad.members.source import MemberSource
from karmadad.runtime.informer import Handler, Informer
from tests.integration.test_member_informer import converged
from tests.kube.cluster import KubeHarness

pytestmark = [pytest.mark.real_cluster, pytest.mark.anyio]
PATH = "/api/v1/namespaces/informer-test/configmaps"


class CuttingProxy:
    """A loopback TCP proxy that drops every connection it carries every ``period`` seconds."""

    def __init__(self, target_port: int, period: float):
        self.target_port, self.period = target_port, period
        self.cuts = 0
        self._scopes: set[anyio.CancelScope] = set()

    async def serve(self, *, task_status=anyio.TASK_STATUS_IGNORED) -> None:
        listener = await anyio.create_tcp_listener(local_host="127.0.0.1", local_port=0)
        self.port = listener.extra(anyio.abc.SocketAttribute.local_port)
        async with listener, anyio.create_task_group() as tasks:
            tasks.start_soon(listener.serve, self._carry)
            task_status.started()
            while True:
                await anyio.sleep(self.period)
                for scope in list(self._scopes):
                    scope.cancel()
                self.cuts += 1

    async def _carry(self, client: SocketStream) -> None:
        with anyio.CancelScope() as scope:
            self._scopes.add(scope)
            try:
                async with client, await anyio.connect_tcp("127.0.0.1", self.target_port) as server:
                    async with anyio.create_task_group() as pipes:
                        pipes.start_soon(self._pipe, client, server)
                        pipes.start_soon(self._pipe, server, client)
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass
            finally:
                self._scopes.discard(scope)

    @staticmethod
    async def _pipe(source: SocketStream, sink: SocketStream) -> None:
        try:
            async for chunk in source:
                await sink.send(chunk)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass


async def test_cut_watches_converge_without_repeats(kube_binaries, tmp_path):
    harness = KubeHarness(tmp_path / "members", kube_binaries)
    await anyio.to_thread.run_sync(harness.up, 1)
    try:
        member = harness.members[0]
        direct = await MemberConnection.open(ClusterConfig(name="member1", kubeconfig=member.kubeconfig))
        proxy = CuttingProxy(member.port, period=1.5)
        async with anyio.create_task_group() as tasks:
            await tasks.start(proxy.serve)
            cut_config = yaml.safe_load(await anyio.Path(member.kubeconfig).read_text())
            cut_config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
            cut_path = tmp_path / "through-proxy.kubeconfig"
            await anyio.Path(cut_path).write_text(yaml.safe_dump(cut_config))
            through = await MemberConnection.open(ClusterConfig(name="member1", kubeconfig=cut_path))
            await direct.request("POST", "/api/v1/namespaces", {"metadata": {"name": "informer-test"}})
            informer = Informer(MemberSource(through, PATH, inactivity=10), relist_backoff=0.1)
            seen: list[tuple[str, str]] = []
            record = lambda obj: seen.append((obj["metadata"]["name"], obj["metadata"]["resourceVersion"]))  # noqa: E731
            informer.add_handler(
                Handler(on_add=record, on_update=lambda old, new: record(new), on_delete=record)
            )
            async with anyio.create_task_group() as reading:
                await reading.start(informer.run)
                # rounds of writes until the proxy has cut the watches several times (at least 40 rounds)
                round_ = 0
                while round_ < 40 or proxy.cuts < 3:
                    assert round_ < 400, "the proxy never cut the watches"
                    for i in range(5):
                        body = {"metadata": {"name": f"cm-{i}"}, "data": {"round": str(round_)}}
                        method, path = ("POST", PATH) if round_ == 0 else ("PUT", f"{PATH}/cm-{i}")
                        await direct.request(method, path, body)
                    await anyio.sleep(0.1)
                    round_ += 1
                await converged(informer, direct, within=60)
                assert len(seen) == len(set(seen)), "a change was delivered twice"
                final = {
                    o["metadata"]["name"]: o["data"]["round"]
                    for o in informer.list()
                    if o["metadata"]["name"].startswith("cm-")
                }
                assert final == {f"cm-{i}": str(round_ - 1) for i in range(5)}
                reading.cancel_scope.cancel()
            # nothing connects to the proxy any more before it stops (a connection accepted as its
            # listener is cancelled trips asyncio on Python 3.11)
            await through.close()
            tasks.cancel_scope.cancel()
        await direct.close()
    finally:
        await anyio.to_thread.run_sync(harness.down)
