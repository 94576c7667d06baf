"""Wiring: build the daemon's parts, run them as tasks of one anyio task group, handle signals.

SIGTERM and SIGINT stop everything gracefully (systemd's stop, Ctrl-C); SIGHUP re-reads the config
file and hands the new one to whoever subscribed (a bad file is reported and the old one kept).
systemd hears ``READY=1`` once every part serves, ``WATCHDOG=1`` while the loop is alive and
``STOPPING=1`` when shutdown begins.

Once serving, it says in one line how to point kubectl at it (the ``karmadad kubeconfig`` command for the
config file it runs on): on the first start, when it has just generated the API's CA and the admin token,
that is the step a newcomer needs next.
"""

from __future__ import annotations

import gc
import os
import shlex
import signal
import ssl
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import anyio
from anyio.abc import TaskGroup

from karmadad import __version__
from karmadad.api.builtin import default_registry, schemas_for
from karmadad.api.karmada.admission import WebhookOptions
from karmadad.api.karmada.resources import CLUSTERS
from karmadad.api.registry import condition_status
from karmadad.api.services import ServiceRanges
from karmadad.apiserver.auth import GENERATED_TOKEN_FILE, TokenAuthenticator, configured_tokens
from karmadad.apiserver.bootstrap import seed_rbac
from karmadad.apiserver.crds import CRDServing
from karmadad.apiserver.openapi import OpenAPI
from karmadad.apiserver.server import APIServer
from karmadad.apiserver.tls import GeneratedPKI, server_context
from karmadad.config import ClusterConfig, ConfigError, DaemonConfig, load_config
from karmadad.controllers.application_failover import ApplicationFailover
from karmadad.controllers.binding import BindingController
from karmadad.controllers.cluster import ClusterController
from karmadad.controllers.cluster_snapshots import ClusterSnapshots
from karmadad.controllers.cluster_taints import ClusterTaintPolicies
from karmadad.controllers.dependencies import DependenciesDistributor
from karmadad.controllers.detector import Detector
from karmadad.controllers.execution import ExecutionController
from karmadad.controllers.execution_space import ExecutionSpaces
from karmadad.controllers.garbage_collector import GarbageCollector
from karmadad.controllers.graceful_eviction import GracefulEviction
from karmadad.controllers.namespace import NamespaceSync
from karmadad.controllers.namespace_lifecycle import NamespaceLifecycle
from karmadad.controllers.scheduler import SchedulerController
from karmadad.controllers.taint_manager import TaintManager
from karmadad.controllers.workload_rebalancer import WorkloadRebalancers
from karmadad.events import EventRecorder, expire_events
from karmadad.kubeconfig import members_kubeconfig, write_private_file
from karmadad.logs import configure_logging, get_logger
from karmadad.members.registry import Members
from karmadad.ops_server import Readiness, serve_ops, split_listen
from karmadad.propagation.claims import SkippedNamespaces
from karmadad.propagation.latency import PropagationLatency
from karmadad.sdnotify import SystemdNotifier
from karmadad.simulation.member import start_simulation
from karmadad.status_page.routes import StatusPage
from karmadad.store import HistoryLimits, Store

log = get_logger("daemon")

ReloadListener = Callable[[DaemonConfig, DaemonConfig], Awaitable[None]]

# Keys whose new value only takes effect after a restart.
_RESTART_KEYS = (
    "dataDir",
    "store",
    "api",
    "metrics",
    "skippedPropagatingNamespaces",
    "featureGates",
    "failover",
    "simulation",
)
STATE_FILE = "karmadad.db"
GC_THRESHOLDS = (20_000, 20, 20)  # the cyclic collector's generations: see where they are set
SIMULATED_KUBECONFIG = "simulated/members.kubeconfig"  # kubectl to the simulated members, a context each


KUBECONFIG_HOME = (
    "~/.kube/karmadad.kubeconfig"  # where the README's steps put it: private, outside the checkout
)


def kubeconfig_command(config_path: Path | None, program: str = "karmadad") -> str:
    """The command that writes a kubeconfig for kubectl to this karmadad: ``karmadad kubeconfig`` given the
    config file karmadad was started with (none: the embedded defaults, as karmadad runs on them)."""
    words = [program, "kubeconfig", *(["--config", str(config_path)] if config_path is not None else [])]
    return f"{shlex.join(words)} --output {KUBECONFIG_HOME}"


def prepare_data_dir(path: Path) -> Path:
    """Create the state directory readable by the daemon's user only."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path


class Daemon:
    def __init__(
        self,
        config: DaemonConfig,
        *,
        config_path: Path | None = None,
        notifier: SystemdNotifier | None = None,
        program: str = "karmadad",
    ):
        """``program``: how the command line that started karmadad named it, for the commands it suggests."""
        self.config = config
        self.config_path = config_path
        self.program = program
        self.notifier = notifier or SystemdNotifier()
        self.readiness = Readiness()
        self._reload_listeners: list[ReloadListener] = []
        self._simulated: list[ClusterConfig] = []  # how to reach the simulated members, while they run

    def on_reload(self, listener: ReloadListener) -> None:
        """Call ``listener(old, new)`` after each successful config reload."""
        self._reload_listeners.append(listener)

    async def run(self) -> None:
        """Serve until SIGTERM or SIGINT, then shut down and return."""
        prepare_data_dir(self.config.dataDir)
        settings = self.config.store
        store = await Store.open(
            self.config.dataDir / STATE_FILE,
            durability=settings.durability,
            history=HistoryLimits(max_events=settings.historyEvents, max_age=settings.historyAgeSeconds),
        )
        try:
            await self._serve(store)
        finally:
            with anyio.CancelScope(shield=True):  # cancelled from outside, too: its threads must end
                await store.close()
        log.info("stopped")

    def generates_credentials(self) -> bool:
        """Whether starting now generates what a kubeconfig carries (the API's CA, the admin token), as the
        first start does; configured ones are never generated."""
        api, data_dir = self.config.api, self.config.dataDir
        ca_missing = api.tls.certFile is None and not GeneratedPKI(data_dir / "pki").ca_cert.exists()
        token_missing = not api.tokens and not (data_dir / GENERATED_TOKEN_FILE).exists()
        return ca_missing or token_missing

    def tell_how_to_connect(self, *, first_start: bool) -> None:
        """One line with the command that writes a kubeconfig for kubectl to this karmadad."""
        command = kubeconfig_command(self.config_path, self.program)
        if first_start:
            log.info("first start: API credentials generated; get a kubeconfig for kubectl", command=command)
        else:
            log.info("get a kubeconfig for kubectl", command=command)

    def _api_server(self, store: Store) -> tuple[APIServer, ssl.SSLContext]:
        api = self.config.api
        if api.tls.certFile is not None and api.tls.keyFile is not None:
            cert, key = api.tls.certFile, api.tls.keyFile
        else:
            pki = GeneratedPKI(self.config.dataDir / "pki")
            host = split_listen(api.listen)[0]
            pki.ensure([*api.tls.names, *([host] if host not in ("0.0.0.0", "::") else [])])
            cert, key = pki.cert, pki.key
        authenticator = TokenAuthenticator(configured_tokens(api, self.config.dataDir))
        registry = default_registry()
        ranges = ServiceRanges.parse(api.serviceClusterIPRange, api.serviceNodePortRange)
        webhooks = WebhookOptions(
            allow_no_execute_taint_policy=self.config.failover.allowNoExecuteTaintPolicy
        )
        server = APIServer(
            store,
            registry,
            authenticator,
            address=api.listen,
            readiness=self.readiness,
            service_ranges=ranges,
            webhooks=webhooks,
        )
        server.openapi = OpenAPI(registry, schemas_for)
        return server, server_context(cert, key)

    async def _serve(self, store: Store) -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as signals:
            async with anyio.create_task_group() as parts:
                self.readiness.set("ops", False)
                self.readiness.set("store", False)
                members = Members()
                status_page = StatusPage(store)
                await parts.start(
                    partial(serve_ops, routes=status_page.routes()),
                    self.config.metrics.listen,
                    self.readiness,
                    members,
                )
                self.readiness.set("ops", True)
                await parts.start(store.serve)
                await parts.start(GarbageCollector(store).run)
                await parts.start(NamespaceLifecycle(store).run)
                self.readiness.set("store", lambda: store.writable)
                self.readiness.set("api", False)
                first_start = self.generates_credentials()
                api_server, tls = self._api_server(store)
                await seed_rbac(store, api_server.registry)
                await parts.start(CRDServing(store, api_server.registry).run)
                events = EventRecorder(store, "karmadad")
                await parts.start(events.run)
                await parts.start(expire_events, store)
                await parts.start(ExecutionSpaces(store).run)
                skipped = SkippedNamespaces.of(self.config.skippedPropagatingNamespaces)
                by_priority = self.config.featureGates.PriorityBasedScheduling
                latency = PropagationLatency()  # a template's change to its members holding it
                await parts.start(
                    Detector(
                        store,
                        api_server.registry,
                        events,
                        skipped=skipped,
                        priorities=by_priority,
                        latency=latency,
                    ).run
                )
                snapshots = ClusterSnapshots(store)
                await parts.start(
                    SchedulerController(
                        store, api_server.registry, events, by_priority=by_priority, snapshots=snapshots
                    ).run
                )
                await parts.start(
                    BindingController(
                        store,
                        api_server.registry,
                        events,
                        skipped=skipped,
                        snapshots=snapshots,
                        latency=latency,
                    ).run
                )
                await parts.start(NamespaceSync(store, api_server.registry, events, skipped=skipped).run)
                await parts.start(DependenciesDistributor(store, api_server.registry, events).run)
                await parts.start(members.run)
                await parts.start(
                    ExecutionController(store, api_server.registry, members, events, latency=latency).run
                )
                await self._start_failover(parts, store, events, snapshots)
                if self.config.simulated_clusters:
                    self._simulated = await start_simulation(
                        parts, self.config.simulation, self.config.dataDir
                    )
                    write_private_file(
                        self.config.dataDir / SIMULATED_KUBECONFIG, members_kubeconfig(self._simulated)
                    )
                    self.config = self._with_simulated(self.config)
                probing = self.config.clusterStatus
                clusters = ClusterController(
                    store,
                    self.config,
                    members,
                    interval=probing.intervalSeconds,
                    threshold=probing.thresholdSeconds,
                )
                self.on_reload(clusters.on_reload)
                await parts.start(clusters.run)
                await self._simulated_ready(store)
                await parts.start(api_server.serve, self.config.api.listen, tls)
                self.readiness.set("api", True)
                parts.start_soon(self.notifier.keep_watchdog_fed)
                log.info(
                    "karmadad serving",
                    version=__version__,
                    pid=os.getpid(),
                    api=self.config.api.listen,
                    metrics=self.config.metrics.listen,
                    data_dir=str(self.config.dataDir),
                    revision=store.revision,
                    clusters=len(self.config.clusters),
                )
                self.tell_how_to_connect(first_start=first_start)
                # What start-up loaded (schemas, OpenAPI, the stored objects) lives as long as the process:
                # kept out of the cyclic collector's full passes, which otherwise walk it all and hold the
                # event loop for tens of milliseconds each time.
                gc.freeze()
                # A request allocates thousands of short-lived containers (decoded JSON, its typed and
                # defaulted copies): with the young generation collected every 700 allocations, the
                # collector ran several times per request. Every 20,000 costs a little memory and gave
                # 6 % more Deployment creates per second (tests/bench/bench_api.py).
                gc.set_threshold(*GC_THRESHOLDS)
                self.notifier.notify("READY=1\nSTATUS=serving")
                async for signum in signals:
                    if signum == signal.SIGHUP:
                        await self.reload()
                        continue
                    log.info("shutting down", signal=signal.Signals(signum).name)
                    self.notifier.notify("STOPPING=1")
                    self.readiness.set("shutdown", False)
                    parts.cancel_scope.cancel()
                    break

    async def _start_failover(
        self, parts: TaskGroup, store: Store, events: EventRecorder, snapshots: ClusterSnapshots
    ) -> None:
        """The failover controllers the config turns on: cluster failover is off by default; graceful
        eviction acts only on bindings something evicted, and application failover (on, as in Karmada) only
        on bindings whose policy asks for it."""
        gates, failover = self.config.featureGates, self.config.failover
        stateful, graceful = gates.StatefulFailoverInjection, gates.GracefulEviction
        if gates.Failover:
            await parts.start(ClusterTaintPolicies(store, events, snapshots).run)
            if failover.enableNoExecuteTaintEviction:
                await parts.start(TaintManager(store, events, failover, stateful=stateful).run)
        if gates.GracefulEviction:
            await parts.start(
                GracefulEviction(store, events, timeout=failover.gracefulEvictionTimeoutSeconds).run
            )
        await parts.start(ApplicationFailover(store, events, stateful=stateful, graceful=graceful).run)
        await parts.start(WorkloadRebalancers(store).run)

    async def _simulated_ready(self, store: Store, within: float = 10.0) -> None:
        """Wait (a little) for the simulated members to be Ready before the API opens: they run in this
        process, so a first ``kubectl apply`` right after start-up finds all of them, not whichever was probed
        first (a binding placed on two of three clusters stays there, as in Karmada)."""
        names = {cluster.name for cluster in self._simulated}
        all_ready = anyio.Event()

        def check(_: object = None) -> None:
            if all_ready.is_set():  # the store keeps its listeners: once ready, a change costs nothing
                return
            if all(
                condition_status(store.find(CLUSTERS, "", name) or {}, "Ready") == "True" for name in names
            ):
                all_ready.set()

        store.subscribe(check, resources=[CLUSTERS])
        check()
        with anyio.move_on_after(within):
            await all_ready.wait()

    def _with_simulated(self, config: DaemonConfig) -> DaemonConfig:
        """The config karmadad runs by: while it lists no real members, the simulated ones are its members."""
        if config.clusters or not self._simulated:
            return config
        return config.model_copy(update={"clusters": list(self._simulated)})

    async def reload(self) -> bool:
        """Re-read the config file; keep the running config when the new one is invalid."""
        if self.config_path is None:
            log.info("reload requested without a config file; nothing to do")
            return False
        self.notifier.notify("RELOADING=1")
        try:
            new = load_config(self.config_path)
        except ConfigError as error:
            for problem in error.problems:
                log.error("config reload rejected", problem=problem)
            self.notifier.notify("READY=1")
            return False
        old, self.config = self.config, self._with_simulated(new)
        new = self.config
        configure_logging(format=new.log.format, level=new.log.level)
        for key in _RESTART_KEYS:
            if getattr(old, key) != getattr(new, key):
                log.warning("config change needs a restart to take effect", key=key)
        for listener in self._reload_listeners:
            try:
                await listener(old, new)
            except Exception:
                log.error("config reload listener failed", exc_info=True)
        log.info("config reloaded", clusters=len(new.clusters))
        self.notifier.notify("READY=1")
        return True
