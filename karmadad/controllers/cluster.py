"""Member clusters from the config file: their Cluster objects and their status.

Registration makes the Cluster objects match the config's ``clusters:`` list — at start and on every
SIGHUP: new entries are created, changed ones updated, and Clusters this file registered but no longer
lists are deleted. Clusters created through the API are left alone.

The status loop probes each member every few seconds (``/readyz``, falling back to ``/healthz``), and
when it answers reads its version and APIs, and its Nodes and Pods from shared, lean informer caches: ``Ready`` with Karmada's reasons, ``kubernetesVersion``,
``nodeSummary`` and ``resourceSummary`` (allocatable; allocated and allocating from pod requests, as
Karmada). Ready only flips after the new answer has held for the threshold (30 s, as Karmada), so a blip
changes nothing; a NotReady member gets the ``not-ready`` or ``unreachable`` NoSchedule taint, never an
emptying. Status is written only when it changed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from karmadad import metrics
from karmadad.api import strategy
from karmadad.api.builtin import default_registry
from karmadad.api.conditions import condition, is_true, with_condition
from karmadad.api.karmada.cluster import CONDITION_COMPLETE_API_ENABLEMENTS, CONDITION_READY
from karmadad.api.karmada.names import TAINT_NOT_READY, TAINT_UNREACHABLE
from karmadad.api.karmada.resources import CLUSTERS
from karmadad.config import ClusterConfig, DaemonConfig
from karmadad.errors import Conflict, NotFound
from karmadad.logs import get_logger
from karmadad.members.connection import MemberConnection, MemberUnreachable
from karmadad.members.registry import Members
from karmadad.members.transforms import lean_node, lean_pod, pod_requests
from karmadad.quantity import format_quantity, parse_quantity
from karmadad.runtime.informer import Informer
from karmadad.store import Change, Store
from karmadad.store.store import now_timestamp

log = get_logger("cluster")

REGISTERED_BY = "karmadad.io/registered-by"  # annotation on Clusters this daemon's config owns
CONFIG_TAINTS = "karmadad.io/config-taints"  # the [key, effect] pairs of the taints the config set
_CLUSTER_TYPE = default_registry().require("cluster.karmada.io", "v1alpha1", "clusters")
_READINESS_TAINTS = (TAINT_NOT_READY, TAINT_UNREACHABLE)
API_DISCOVERY_PERIOD = 60.0  # seconds between rediscoveries of a member's APIs
INITIAL_SYNC_SECONDS = 3.0  # how long a first status waits for a member's caches to fill


def desired_cluster(entry: ClusterConfig, server: str, existing: dict | None) -> dict:
    """The Cluster object a config entry asks for. Taints others put on it (the readiness taints,
    ClusterTaintPolicies, a person) are kept; those the config set before and no longer lists go (the
    ``karmadad.io/config-taints`` annotation remembers which the config set)."""
    annotations = ((existing or {}).get("metadata") or {}).get("annotations") or {}
    configured = [t.model_dump(exclude_defaults=False) for t in entry.taints]
    set_before = _taint_pairs(annotations.get(CONFIG_TAINTS))
    set_now = {(t["key"], t["effect"]) for t in configured}
    kept = [
        t
        for t in ((existing or {}).get("spec") or {}).get("taints") or ()
        if (t.get("key"), t.get("effect")) not in set_before | set_now
    ]
    taints = configured + kept
    meta = {**((existing or {}).get("metadata") or {})}
    meta.update(
        name=entry.name,
        labels={**(meta.get("labels") or {}), **entry.labels},
        annotations={
            **(meta.get("annotations") or {}),
            REGISTERED_BY: "config",
            CONFIG_TAINTS: json.dumps(sorted(set_now)),
        },
    )
    spec = {**(((existing or {}).get("spec")) or {})}
    spec.update(
        syncMode="Push",
        apiEndpoint=server,
        provider=entry.provider,
        region=entry.region,
        zones=list(entry.zones),
        taints=taints,
    )
    for key in ("provider", "region"):
        if not spec[key]:
            spec.pop(key)
    if not spec["zones"]:
        spec.pop("zones")
    if not spec["taints"]:
        spec.pop("taints")
    return {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": meta, "spec": spec}


def readiness_taints(current: list[dict], ready: bool, reason: str, now: str) -> list[dict]:
    """``current`` with this controller's own taint for the cluster's readiness: none when Ready, else
    ``unreachable`` (no answer) or ``not-ready``, NoSchedule, stamped ``now`` when new. Only NoSchedule taints
    of those keys are its own: a NoExecute one of the same key belongs to a ClusterTaintPolicy or a person."""
    wanted = None if ready else (TAINT_UNREACHABLE if reason == "ClusterNotReachable" else TAINT_NOT_READY)
    taints = []
    for taint in current:
        if taint.get("key") not in _READINESS_TAINTS or taint.get("effect") != "NoSchedule":
            taints.append(taint)
        elif taint.get("key") == wanted:
            taints.append(taint)
            wanted = None
    if wanted is not None:
        taints.append({"key": wanted, "effect": "NoSchedule", "timeAdded": now})
    return taints


def _taint_pairs(recorded: str | None) -> set[tuple[str, str]]:
    try:
        pairs = json.loads(recorded or "[]")
        return {(str(key), str(effect)) for key, effect in pairs}
    except (ValueError, TypeError):
        return set()


def node_figures(nodes: list[dict]) -> tuple[dict, dict]:
    """``nodeSummary`` and summed ``allocatable`` of a member's Nodes."""
    ready = sum(1 for n in nodes if is_true(n, "Ready"))
    totals: dict[str, float] = {}
    for node in nodes:
        for name, value in ((node.get("status") or {}).get("allocatable") or {}).items():
            totals[name] = totals.get(name, 0.0) + parse_quantity(value)
    allocatable = {name: format_quantity(name, amount) for name, amount in sorted(totals.items())}
    return {"totalNum": len(nodes), "readyNum": ready}, allocatable


def pod_figures(pods: list[dict]) -> tuple[dict, dict]:
    """``allocated`` (bound, not finished) and ``allocating`` (not yet bound) requests, with pod counts."""
    allocated: dict[str, float] = {}
    allocating: dict[str, float] = {}
    for pod in pods:
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            continue
        target = allocated if (pod.get("spec") or {}).get("nodeName") else allocating
        spec = pod.get("spec") or {}
        requests = spec["requests"] if "requests" in spec else pod_requests(spec)  # lean or as received
        for name, amount in requests.items():
            target[name] = target.get(name, 0.0) + amount
        target["pods"] = target.get("pods", 0.0) + 1
    return (
        {n: format_quantity(n, a) for n, a in sorted(allocated.items())},
        {n: format_quantity(n, a) for n, a in sorted(allocating.items())},
    )


def cluster_figures(ready: bool, status: dict) -> dict[str, float]:
    """What Karmada's cluster gauges report of a Cluster's status (keys of
    :data:`karmadad.metrics.CLUSTER_STATUS_GAUGES`): readiness always, the node and resource figures once
    the status has them."""
    figures = {"ready": 1.0 if ready else 0.0}
    if nodes := status.get("nodeSummary"):
        figures["nodes"] = float(nodes.get("totalNum") or 0)
        figures["ready_nodes"] = float(nodes.get("readyNum") or 0)
    summary = status.get("resourceSummary") or {}
    for part in ("allocatable", "allocated"):
        if (amounts := summary.get(part)) is not None:
            for name in ("cpu", "memory", "pods"):
                figures[f"{part}.{name}"] = parse_quantity(amounts.get(name) or 0)
    return figures


async def discover_api_enablements(connection: MemberConnection) -> tuple[list[dict], bool]:
    """The member's served group-versions and their resources (no subresources), sorted; and whether
    every group-version answered."""
    group_versions: list[str] = []
    code, core = await connection.get("/api")
    if code == 200 and isinstance(core, dict):
        group_versions += list(core.get("versions") or ())
    code, groups = await connection.get("/apis")
    complete = code == 200
    if complete and isinstance(groups, dict):
        for group in groups.get("groups") or ():
            group_versions += [v["groupVersion"] for v in group.get("versions") or ()]
    results: dict[str, list[dict]] = {}

    async def one(group_version: str) -> None:
        nonlocal complete
        path = f"/api/{group_version}" if "/" not in group_version else f"/apis/{group_version}"
        try:
            code, listed = await connection.get(path)
        except MemberUnreachable:
            code, listed = 0, None
        if code != 200 or not isinstance(listed, dict):
            complete = False
            return
        results[group_version] = sorted(
            (
                {"name": r["name"], "kind": r.get("kind", "")}
                for r in listed.get("resources") or ()
                if "/" not in r["name"]
            ),
            key=lambda r: r["name"],
        )

    async with anyio.create_task_group() as tasks:
        for group_version in group_versions:
            tasks.start_soon(one, group_version)
    enablements = [{"groupVersion": gv, "resources": results[gv]} for gv in sorted(results)]
    return enablements, complete and bool(enablements)


@dataclass
class Observation:
    ready: bool
    reason: str
    message: str
    since: float


class ClusterController:
    """Registration from the config and the per-member status loop."""

    def __init__(
        self,
        store: Store,
        config: DaemonConfig,
        members: Members,
        *,
        interval: float = 10.0,
        threshold: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.store = store
        self.config = config
        self.members = members
        self.interval = interval
        self.threshold = threshold
        self.clock = clock
        self._observed: dict[str, Observation] = {}
        self._discovered_at: dict[str, float] = {}
        self._wakeup = anyio.Event()

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        await self.register(self.config)
        self.store.subscribe(self._on_change)
        task_status.started()
        while True:
            await self.register(self.config)  # idempotent; re-creates a Cluster whose unjoin just finished
            targets = [*self.config.clusters, *self._joined_clusters()]
            await self._forget_others({t.name for t in targets})
            async with anyio.create_task_group() as probes:
                for entry in targets:
                    probes.start_soon(self._probe_safely, entry)
            with anyio.move_on_after(self.interval):
                await self._wakeup.wait()
            self._wakeup = anyio.Event()

    def _on_change(self, change: Change) -> None:
        if change.resource == CLUSTERS and change.type == "DELETED":
            self._wakeup.set()

    def _joined_clusters(self) -> list[ClusterConfig]:
        """Clusters created through the API as ``karmadactl join`` does: ``spec.apiEndpoint`` and a
        ``spec.secretRef`` to a Secret with ``token`` and ``caBundle``. Their credentials are written to
        private files in dataDir so they connect exactly like configured clusters."""
        joined = []
        for cluster in self.store.list_all(CLUSTERS):
            meta, spec = cluster["metadata"], cluster.get("spec") or {}
            ref = spec.get("secretRef") or {}
            if (meta.get("annotations") or {}).get(REGISTERED_BY) == "config" or meta.get(
                "deletionTimestamp"
            ):
                continue
            if not spec.get("apiEndpoint") or not ref.get("name"):
                continue
            secret = self.store.find("secrets", ref.get("namespace") or "karmada-cluster", ref["name"])
            data = (secret or {}).get("data") or {}
            try:
                token = base64.b64decode(data["token"])
                ca = base64.b64decode(data["caBundle"])
            except (KeyError, ValueError):
                log.warning("joined cluster has no usable secret (token, caBundle)", cluster=meta["name"])
                continue
            home = self.config.dataDir / "members" / meta["name"]
            home.mkdir(mode=0o700, parents=True, exist_ok=True)
            for file_name, content in (("token", token), ("ca.crt", ca)):
                path = home / file_name
                if not path.exists() or path.read_bytes() != content:
                    path.touch(mode=0o600, exist_ok=True)
                    path.write_bytes(content)
            try:
                joined.append(
                    ClusterConfig(
                        name=meta["name"],
                        server=spec["apiEndpoint"],
                        tokenFile=home / "token",
                        caFile=home / "ca.crt",
                    )
                )
            except ValueError as error:
                log.warning("joined cluster cannot be used", cluster=meta["name"], error=str(error))
        return joined

    async def _forget_others(self, names: set[str]) -> None:
        """Close connections and caches of clusters no longer probed (unjoined or dropped)."""
        for name in self.members.names() - names:
            await self.members.disconnect(name)
            self._observed.pop(name, None)
            metrics.forget_cluster(name)

    async def _member_caches(self, name: str) -> tuple[Informer, Informer]:
        """The member's shared Node and Pod informers; a first status waits briefly for them to fill."""
        nodes = self.members.informer(name, "/api/v1/nodes", lean_node)
        pods = self.members.informer(name, "/api/v1/pods", lean_pod)
        if not (nodes.has_synced and pods.has_synced):
            with anyio.move_on_after(INITIAL_SYNC_SECONDS):
                await nodes.wait_synced()
                await pods.wait_synced()
        return nodes, pods

    async def on_reload(self, old: DaemonConfig, new: DaemonConfig) -> None:
        self.config = new
        for name in {c.name for c in old.clusters} - {c.name for c in new.clusters}:
            await self.members.disconnect(name)
            self._observed.pop(name, None)
            metrics.forget_cluster(name)
        await self.register(new)  # a changed entry reconnects on its next use (Members.connection)
        self._wakeup.set()

    # -- registration ---------------------------------------------------------------------------

    async def _server_of(self, entry: ClusterConfig) -> str:
        connection = await self.members.connection(entry)
        return connection.server if connection is not None else ""

    async def register(self, config: DaemonConfig) -> None:
        wanted = {entry.name for entry in config.clusters}
        for entry in config.clusters:
            existing = self.store.find(CLUSTERS, "", entry.name)
            if existing is not None and existing["metadata"].get("deletionTimestamp"):
                continue  # still being unjoined: registered anew once it is gone
            desired = desired_cluster(entry, await self._server_of(entry), existing)
            try:
                if existing is None:
                    await self.store.create(CLUSTERS, strategy.prepare_create(_CLUSTER_TYPE, desired))
                    log.info("cluster registered", cluster=entry.name)
                else:
                    await self.store.update(
                        CLUSTERS, strategy.prepare_update(_CLUSTER_TYPE, existing, desired)
                    )
            except Exception as error:
                log.error("cluster registration failed", cluster=entry.name, error=str(error))
        for cluster in self.store.list_all(CLUSTERS):
            meta = cluster["metadata"]
            if (
                meta["name"] not in wanted
                and (meta.get("annotations") or {}).get(REGISTERED_BY) == "config"
                and not meta.get("deletionTimestamp")
            ):
                with contextlib.suppress(NotFound):
                    await self.store.delete(CLUSTERS, "", meta["name"])
                    log.info("cluster unregistered", cluster=meta["name"])

    # -- status -----------------------------------------------------------------------------------

    async def _probe_safely(self, entry: ClusterConfig) -> None:
        started = time.perf_counter()
        try:
            await self._probe(entry)
        except Exception:
            log.error("cluster status update failed", cluster=entry.name, exc_info=True)
        metrics.CLUSTER_SYNC_STATUS_DURATION.labels(entry.name).observe(time.perf_counter() - started)

    async def _observe(self, entry: ClusterConfig) -> tuple[bool, str, str, MemberConnection | None]:
        connection = await self.members.connection(entry)
        if connection is None:
            return False, "ClusterNotReachable", self.members.load_error(entry.name), None
        try:
            status, _ = await connection.get("/readyz")
            if status == 404:
                status, _ = await connection.get("/healthz")
        except MemberUnreachable as error:
            return False, "ClusterNotReachable", f"cluster is not reachable: {error}", connection
        if status != 200:
            return False, "ClusterNotReady", f"cluster is not healthy: /readyz answered {status}", connection
        return True, "ClusterReady", "cluster is healthy and ready to accept workloads", connection

    async def _probe(self, entry: ClusterConfig) -> None:
        ready, reason, message, connection = await self._observe(entry)
        now = self.clock()
        previous = self._observed.get(entry.name)
        if previous is None or previous.ready != ready:
            self._observed[entry.name] = Observation(ready, reason, message, now)
        else:
            previous.reason, previous.message = reason, message
        cluster = self.store.find(CLUSTERS, "", entry.name)
        if cluster is None:
            return
        current = next(
            (
                c
                for c in (cluster.get("status") or {}).get("conditions") or ()
                if c.get("type") == CONDITION_READY
            ),
            None,
        )
        observed = self._observed[entry.name]
        # Flip only after the new answer held for the threshold; the first answer counts at once.
        if (
            current is not None
            and (current.get("status") == "True") != ready
            and now - observed.since < self.threshold
        ):
            ready = current.get("status") == "True"
            reason, message = current.get("reason", ""), current.get("message", "")
        status = dict(cluster.get("status") or {})
        conditions = status.get("conditions") or ()
        status["conditions"] = with_condition(
            conditions, condition(conditions, CONDITION_READY, ready, reason, message)
        )
        if ready and connection is not None and observed.ready:
            with contextlib.suppress(MemberUnreachable):
                code, version = await connection.get("/version")
                if code == 200 and isinstance(version, dict):
                    status["kubernetesVersion"] = version.get("gitVersion", "")
                await self._refresh_api_enablements(entry.name, connection, status)
            nodes, pods = await self._member_caches(entry.name)
            if nodes.has_synced:
                summary, allocatable = node_figures(nodes.list())
                status["nodeSummary"] = summary
                status["resourceSummary"] = {
                    **(status.get("resourceSummary") or {}),
                    "allocatable": allocatable,
                }
            if pods.has_synced:
                allocated, allocating = pod_figures(pods.list())
                status["resourceSummary"] = {
                    **(status.get("resourceSummary") or {}),
                    "allocated": allocated,
                    "allocating": allocating,
                }
        for figure, value in cluster_figures(ready, status).items():
            metrics.CLUSTER_STATUS_GAUGES[figure].labels(entry.name).set(value)
        await self._write(cluster, status, ready, reason)

    async def _refresh_api_enablements(self, name: str, connection: MemberConnection, status: dict) -> None:
        """Rediscover the member's APIs at most once per API_DISCOVERY_PERIOD (discovery is many requests)."""
        last = self._discovered_at.get(name)
        if last is not None and self.clock() - last < API_DISCOVERY_PERIOD and status.get("apiEnablements"):
            return
        enablements, complete = await discover_api_enablements(connection)
        self._discovered_at[name] = self.clock()
        if not enablements:
            reason, message = "Empty", "no API of the cluster could be discovered"
        elif complete:
            reason, message = "Complete", "all the APIs of the cluster were discovered"
        else:
            reason, message = "Partial", "some APIs of the cluster could not be discovered"
        status["apiEnablements"] = enablements
        conditions = status.get("conditions") or ()
        enabled = condition(conditions, CONDITION_COMPLETE_API_ENABLEMENTS, complete, reason, message)
        status["conditions"] = with_condition(conditions, enabled)

    async def _write(self, cluster: dict, status: dict, ready: bool, reason: str) -> None:
        if status != cluster.get("status"):
            with contextlib.suppress(Conflict, NotFound):
                cluster = await self.store.update(
                    CLUSTERS, {**cluster, "status": status}, subresource="status"
                )
        current = (cluster.get("spec") or {}).get("taints") or []
        taints = readiness_taints(current, ready, reason, now_timestamp())
        if taints != current:
            spec = {**(cluster.get("spec") or {}), "taints": taints}
            if not taints:
                spec.pop("taints")
            with contextlib.suppress(Conflict, NotFound):
                await self.store.update(CLUSTERS, {**cluster, "spec": spec})
