"""One simulated member cluster: a store of its own under ``dataDir/simulated``, the Kubernetes API served
from it on a loopback port over TLS, its Nodes, and the controllers that run its workloads.

It keeps its state across restarts like a real cluster does; only its port is new each time (the Cluster
object's endpoint follows). Its token and certificates are files of the data directory, mode 0600, and what
karmadad needs to reach it is a :class:`~karmadad.config.ClusterConfig` like any member's.
"""

from __future__ import annotations

import secrets
import ssl
from pathlib import Path

import anyio
from anyio.abc import TaskStatus

from karmadad.api.builtin import member_registry
from karmadad.apiserver.auth import ADMIN_GROUP, TokenAuthenticator, User
from karmadad.apiserver.crds import CRDServing
from karmadad.apiserver.server import APIServer
from karmadad.apiserver.tls import GeneratedPKI, server_context
from karmadad.config import ClusterConfig, SimulationConfig
from karmadad.controllers.garbage_collector import GarbageCollector
from karmadad.controllers.namespace_lifecycle import NamespaceLifecycle
from karmadad.errors import AlreadyExists
from karmadad.logs import get_logger
from karmadad.simulation import objects
from karmadad.simulation.workloads import NODES, WorkloadSimulator
from karmadad.store import Store
from karmadad.store.store import now_timestamp

log = get_logger("simulation")

PROVIDER = "karmadad-simulation"
REGION = "simulated"
SIMULATED_LABEL = "karmadad.io/simulated"


def cluster_names(count: int) -> list[str]:
    """member1, member2, ... as Karmada's quick start names its members."""
    return [f"member{index}" for index in range(1, count + 1)]


def _token(path: Path) -> str:
    """The member's token, made on first start (0600)."""
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


class SimulationTLS:
    """The certificate every simulated member serves (for 127.0.0.1), and the CA karmadad trusts it by."""

    def __init__(self, directory: Path):
        self.pki = GeneratedPKI(directory / "pki")
        self.pki.ensure(["127.0.0.1", "localhost"])
        self.context: ssl.SSLContext = server_context(self.pki.cert, self.pki.key)


class SimulatedCluster:
    def __init__(
        self, name: str, index: int, settings: SimulationConfig, directory: Path, tls: SimulationTLS
    ):
        self.name = name
        self.index = index
        self.settings = settings
        self.directory = directory
        self.tls = tls
        self.port = 0
        self.token_file = directory / f"{name}.token"
        self.zone = f"{name}-zone-a"

    def cluster_config(self) -> ClusterConfig:
        """How karmadad reaches this member (once it serves)."""
        return ClusterConfig(
            name=self.name,
            server=f"https://127.0.0.1:{self.port}",
            tokenFile=self.token_file,
            caFile=self.tls.pki.ca_cert,
            provider=PROVIDER,
            region=REGION,
            zones=[self.zone],
            labels={SIMULATED_LABEL: "true"},
        )

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Serve until cancelled; started once the API answers on :attr:`port`."""
        store = await Store.open(self.directory / f"{self.name}.db", observed=False)
        try:
            registry = member_registry()
            authenticator = TokenAuthenticator({_token(self.token_file): User("karmadad", (ADMIN_GROUP,))})
            api = APIServer(store, registry, authenticator, address="127.0.0.1:0", observed=False)
            async with anyio.create_task_group() as parts:
                await parts.start(store.serve)
                await parts.start(GarbageCollector(store, name=f"{self.name}-garbage-collector").run)
                await parts.start(NamespaceLifecycle(store, name=f"{self.name}-namespace-lifecycle").run)
                await parts.start(CRDServing(store, registry, name=f"{self.name}-crd").run)
                await self._ensure_nodes(store)
                await parts.start(
                    WorkloadSimulator(store, registry, self.name, self.index, self.settings).run
                )
                await parts.start(api.serve, "127.0.0.1:0", self.tls.context)
                assert api.listener is not None  # serve() made it
                self.port = api.listener.port
                task_status.started()
        finally:
            with anyio.CancelScope(shield=True):
                await store.close()

    async def _ensure_nodes(self, store: Store) -> None:
        now = now_timestamp()
        for index in range(1, self.settings.nodes + 1):
            node = objects.node_object(self.name, index, self.settings, self.zone, now)
            if store.find(NODES, "", node["metadata"]["name"]) is None:
                try:
                    await store.create(NODES, node)
                except AlreadyExists:
                    continue


async def start_simulation(
    parts: anyio.abc.TaskGroup, settings: SimulationConfig, data_dir: Path
) -> list[ClusterConfig]:
    """Start ``settings.clusters`` simulated members as tasks of ``parts``; returns how to reach them."""
    directory = data_dir / "simulated"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    tls = SimulationTLS(directory)
    members = [
        SimulatedCluster(name, index, settings, directory, tls)
        for index, name in enumerate(cluster_names(settings.clusters), start=1)
    ]
    for member in members:
        await parts.start(member.run)
    log.info(
        "simulated member clusters serving",
        clusters=",".join(m.name for m in members),
        nodes_each=settings.nodes,
    )
    return [member.cluster_config() for member in members]
