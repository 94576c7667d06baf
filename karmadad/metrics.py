"""The Prometheus metric families karmadad exports, all in one place.

The default registry already carries prometheus-client's process and platform collectors (CPU,
memory, file descriptors, Python version); this module adds karmadad's own families.
"""

from __future__ import annotations

import platform
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["BUILD_INFO", "REGISTRY"]

from karmadad import __version__


def register_build_info(registry: CollectorRegistry = REGISTRY) -> Gauge:
    """``karmadad_build_info{version, python_version} 1``, the usual way to expose what runs."""
    gauge = Gauge(
        "karmadad_build_info",
        "A constant 1, labelled with the karmadad and Python versions that are running.",
        ["version", "python_version"],
        registry=registry,
    )
    gauge.labels(version=__version__, python_version=platform.python_version()).set(1)
    return gauge


BUILD_INFO = register_build_info()

# Work queues, with client-go's metric names so existing dashboards apply.
WORKQUEUE_DEPTH = Gauge("workqueue_depth", "Current depth of the work queue.", ["name"])
WORKQUEUE_ADDS = Counter("workqueue_adds_total", "Total number of adds handled by the work queue.", ["name"])
WORKQUEUE_RETRIES = Counter(
    "workqueue_retries_total", "Total number of retries handled by the work queue.", ["name"]
)
WORKQUEUE_QUEUE_DURATION = Histogram(
    "workqueue_queue_duration_seconds",
    "How long in seconds an item stays in the work queue before being requested.",
    ["name"],
    buckets=(1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10),
)
WORKQUEUE_WORK_DURATION = Histogram(
    "workqueue_work_duration_seconds",
    "How long in seconds processing an item from the work queue takes.",
    ["name"],
    buckets=(1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 0.01, 0.1, 1, 10),
)
RECONCILE_ERRORS = Counter(
    "karmadad_reconcile_errors_total",
    "Reconciles that failed and were retried (a race with another writer is not a failure).",
    ["controller"],
)
RECONCILE_CONFLICTS = Counter(
    "karmadad_reconcile_conflicts_total",
    "Reconciles that lost a race with another writer (the object changed, appeared or went meanwhile) "
    "and were retried: optimistic concurrency at work, not errors.",
    ["controller"],
)
RECONCILE_TERMINAL = Counter(
    "karmadad_reconcile_terminal_total",
    "Reconciles that failed in a way retrying cannot mend; the object waits for a change.",
    ["controller"],
)

# The object store.
STORE_COMMITS = Histogram(
    "karmadad_store_commit_duration_seconds",
    "Time to make one batch of writes durable in SQLite.",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1),
)
STORE_BATCH_SIZE = Histogram(
    "karmadad_store_batch_writes",
    "Writes per committed batch.",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 1024),
)
STORE_REVISION = Gauge("karmadad_store_revision", "The newest durable revision of the object store.")
STORE_WATCHERS = Gauge("karmadad_store_watchers", "Open watches on the object store.")
STORE_READ_ONLY = Gauge(
    "karmadad_store_read_only", "1 while the disk is full and the object store refuses writes, else 0."
)

# The API port.
API_CONNECTIONS = Gauge("karmadad_api_connections", "Open connections to the API port (trusted and pending).")
API_CONNECTIONS_EVICTED = Counter(
    "karmadad_api_connections_evicted_total",
    "Unauthenticated connections closed for stalling: past their deadline, or to make room for a newcomer.",
)

# Member clusters: requests karmadad sends them. ``code`` is the HTTP status, or NO_ANSWER.
NO_ANSWER = "<error>"  # client-go's code label for a request that got no HTTP answer
MEMBER_REQUEST_DURATION = Histogram(
    "karmadad_member_request_duration_seconds",
    "Latency of requests to member clusters, by HTTP status code (<error>: no answer).",
    ["cluster", "verb", "code"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MEMBER_REQUEST_ERRORS = Counter(
    "karmadad_member_request_errors_total",
    "Requests to member clusters that failed (429, 5xx) or got no answer (<error>).",
    ["cluster", "verb", "code"],
)

# Informers (the local store's and the members').
INFORMER_EVENTS = Counter(
    "karmadad_informer_events_total", "Watch events applied to informer caches.", ["cluster", "resource"]
)
INFORMER_LISTS = Counter(
    "karmadad_informer_lists_total", "Full lists informers made (start and relists).", ["cluster", "resource"]
)
INFORMER_WATCH_RESTARTS = Counter(
    "karmadad_informer_watch_restarts_total", "Watches that broke and were resumed.", ["cluster", "resource"]
)

CHANGE_HANDLER_ERRORS = Counter(
    "karmadad_change_handler_errors_total",
    "Store change handlers (controllers' subscriptions) that raised; the change went on to the others.",
    ["handler"],
)

# Events controllers record (core/v1 Events in the store).
EVENTS_DROPPED = Counter(
    "karmadad_events_dropped_total",
    "Events not recorded because the recorder's queue was full.",
    ["component"],
)

# Evictions (Karmada's names and labels).
EVICTION_QUEUE_DEPTH = Gauge("eviction_queue_depth", "Current depth of the eviction queue", ["name"])
EVICTION_KIND_TOTAL = Gauge(
    "eviction_kind_total",
    "Number of resources in the eviction queue by resource kind",
    ["member_cluster", "resource_kind"],
)
EVICTION_PROCESSING_LATENCY = Histogram(
    "eviction_processing_latency_seconds",
    "Latency of processing an eviction task in seconds",
    ["name"],
    buckets=tuple(0.001 * 2**i for i in range(15)),
)
EVICTION_PROCESSING_TOTAL = Counter(
    "eviction_processing_total", "Total number of evictions processed", ["name", "result"]
)
EVICTIONS_HALTED = Gauge(
    "karmadad_evictions_halted",
    "1 while evictions are stopped because too many clusters are NotReady at once, else 0.",
)


def exponential_buckets(start: float, factor: float, count: int) -> tuple[float, ...]:
    """client_golang's ``ExponentialBuckets``: how Karmada and Kubernetes define most of their buckets."""
    return tuple(start * factor**index for index in range(count))


# client_golang's default buckets (prometheus-client's differ), for Karmada's histograms that name none.
GO_DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
_KARMADA_SYNC_BUCKETS = exponential_buckets(0.001, 2, 12)
_KARMADA_SCHEDULING_BUCKETS = exponential_buckets(0.001, 2, 15)

# Results as Karmada labels them: its scheduler says scheduled/error, its controllers success/error.
SCHEDULED, SUCCESS, ERROR = "scheduled", "success", "error"


def result_of(error: BaseException | None) -> str:
    """Karmada's ``result`` label for an attempt that raised ``error`` (None: it did not)."""
    return SUCCESS if error is None else ERROR


# The scheduler (Karmada's names, labels and buckets).
SCHEDULE_ATTEMPTS = Counter(
    "karmada_scheduler_schedule_attempts_total",
    "Number of attempts to schedule a ResourceBinding or ClusterResourceBinding.",
    ["result", "schedule_type"],
)
E2E_SCHEDULING_DURATION = Histogram(
    "karmada_scheduler_e2e_scheduling_duration_seconds",
    "E2e scheduling latency in seconds: from picking a binding up to its result written.",
    ["result", "schedule_type"],
    buckets=_KARMADA_SCHEDULING_BUCKETS,
)
SCHEDULING_ALGORITHM_DURATION = Histogram(
    "karmada_scheduler_scheduling_algorithm_duration_seconds",
    "Scheduling algorithm latency in seconds, by step (Filter, Score, Select, AssignReplicas).",
    ["schedule_step"],
    buckets=_KARMADA_SCHEDULING_BUCKETS,
)
SCHEDULER_QUEUE_INCOMING = Counter(
    "karmada_scheduler_queue_incoming_bindings_total",
    "Number of ResourceBinding and ClusterResourceBinding objects added to scheduling queues by event type.",
    ["event"],
)

# Propagation: policies applied to templates, bindings synced into Works, Works synced into members.
POLICY_APPLY_ATTEMPTS = Counter(
    "policy_apply_attempts_total",
    "Number of attempts to apply a PropagationPolicy or ClusterPropagationPolicy to a resource template "
    "(result: success or error).",
    ["result"],
)
POLICY_APPLY_DURATION = Histogram(
    "resource_apply_policy_duration_seconds",
    "Duration in seconds to apply a PropagationPolicy or ClusterPropagationPolicy to a resource template "
    "(result: success or error).",
    ["result"],
    buckets=_KARMADA_SYNC_BUCKETS,
)
BINDING_SYNC_WORK_DURATION = Histogram(
    "binding_sync_work_duration_seconds",
    "Duration in seconds to sync the Works of a ResourceBinding or ClusterResourceBinding "
    "(result: success or error).",
    ["result"],
    buckets=_KARMADA_SYNC_BUCKETS,
)
WORK_SYNC_WORKLOAD_DURATION = Histogram(
    "work_sync_workload_duration_seconds",
    "Duration in seconds to sync the workload of a Work to its member cluster (result: success or error).",
    ["result"],
    buckets=_KARMADA_SYNC_BUCKETS,
)
PROPAGATION_LATENCY = Histogram(
    "karmadad_propagation_latency_seconds",
    "From a resource template's change (a new generation) to every target member cluster holding it.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)


class UntypedCounter:
    """A counter exposed under its exact name, without the ``_total`` suffix prometheus-client gives every
    counter: Karmada's create/update/delete counters are named so, and dashboards query those names. It is
    exposed untyped (the text format has no counter without ``_total`` in prometheus-client's hands);
    ``rate()`` and ``increase()`` treat it as any counter."""

    def __init__(
        self, name: str, documentation: str, labelnames: Iterable[str], registry: CollectorRegistry = REGISTRY
    ):
        self.name, self.documentation = name, documentation
        self.labelnames = tuple(labelnames)
        self._values: dict[tuple[str, ...], float] = {}
        self._lock = threading.Lock()
        registry.register(self)

    def inc(self, *values: str, amount: float = 1.0) -> None:
        if len(values) != len(self.labelnames):
            raise ValueError(f"{self.name} takes labels {self.labelnames}, got {values}")
        with self._lock:
            self._values[values] = self._values.get(values, 0.0) + amount

    def value(self, *values: str) -> float:
        return self._values.get(values, 0.0)

    def describe(self) -> Iterable[Metric]:
        return [Metric(self.name, self.documentation, "unknown")]

    def collect(self) -> Iterable[Metric]:
        metric = Metric(self.name, self.documentation, "unknown")
        with self._lock:
            for values, count in self._values.items():
                metric.add_sample(self.name, dict(zip(self.labelnames, values, strict=True)), count)
        return [metric]


_MEMBER_WRITE_LABELS = ("result", "apiversion", "kind", "member_cluster")
CREATE_RESOURCE_TO_CLUSTER = UntypedCounter(
    "create_resource_to_cluster",
    "Number of creations of a resource in a target member cluster (result: success or error; recreate: "
    "whether the member had held it before).",
    [*_MEMBER_WRITE_LABELS, "recreate"],
)
UPDATE_RESOURCE_TO_CLUSTER = UntypedCounter(
    "update_resource_to_cluster",
    "Number of updates of a resource in a target member cluster (result: success or error).",
    [*_MEMBER_WRITE_LABELS, "operationResult"],
)
DELETE_RESOURCE_FROM_CLUSTER = UntypedCounter(
    "delete_resource_from_cluster",
    "Number of deletions of a resource from a target member cluster (result: success or error).",
    _MEMBER_WRITE_LABELS,
)

# Member clusters' status (Karmada's cluster gauges, labelled member_cluster).
_MEMBER = ["member_cluster"]
CLUSTER_READY_STATE = Gauge("cluster_ready_state", "State of the cluster (1 if ready, 0 otherwise).", _MEMBER)
CLUSTER_NODE_NUMBER = Gauge("cluster_node_number", "Number of nodes in the cluster.", _MEMBER)
CLUSTER_READY_NODE_NUMBER = Gauge(
    "cluster_ready_node_number", "Number of ready nodes in the cluster.", _MEMBER
)
CLUSTER_MEMORY_ALLOCATABLE = Gauge(
    "cluster_memory_allocatable_bytes", "Allocatable cluster memory resource in bytes.", _MEMBER
)
CLUSTER_CPU_ALLOCATABLE = Gauge(
    "cluster_cpu_allocatable_number", "Number of allocatable CPU in the cluster.", _MEMBER
)
CLUSTER_POD_ALLOCATABLE = Gauge(
    "cluster_pod_allocatable_number", "Number of allocatable pods in the cluster.", _MEMBER
)
CLUSTER_MEMORY_ALLOCATED = Gauge(
    "cluster_memory_allocated_bytes", "Allocated cluster memory resource in bytes.", _MEMBER
)
CLUSTER_CPU_ALLOCATED = Gauge(
    "cluster_cpu_allocated_number", "Number of allocated CPU in the cluster.", _MEMBER
)
CLUSTER_POD_ALLOCATED = Gauge(
    "cluster_pod_allocated_number", "Number of allocated pods in the cluster.", _MEMBER
)
CLUSTER_SYNC_STATUS_DURATION = Histogram(
    "cluster_sync_status_duration_seconds",
    "Duration in seconds for syncing the status of the cluster once.",
    _MEMBER,
    buckets=GO_DEFAULT_BUCKETS,
)
# status field (nodeSummary / resourceSummary path) -> the gauge it sets
CLUSTER_STATUS_GAUGES: dict[str, Gauge] = {
    "ready": CLUSTER_READY_STATE,
    "nodes": CLUSTER_NODE_NUMBER,
    "ready_nodes": CLUSTER_READY_NODE_NUMBER,
    "allocatable.memory": CLUSTER_MEMORY_ALLOCATABLE,
    "allocatable.cpu": CLUSTER_CPU_ALLOCATABLE,
    "allocatable.pods": CLUSTER_POD_ALLOCATABLE,
    "allocated.memory": CLUSTER_MEMORY_ALLOCATED,
    "allocated.cpu": CLUSTER_CPU_ALLOCATED,
    "allocated.pods": CLUSTER_POD_ALLOCATED,
}


def forget_cluster(name: str) -> None:
    """Drop every series of a member cluster that is no longer one (Karmada does so on deletion)."""
    for gauge in (*CLUSTER_STATUS_GAUGES.values(), CLUSTER_SYNC_STATUS_DURATION):
        try:
            gauge.remove(name)
        except KeyError:
            pass


# The API (kube-apiserver's names, labels and buckets).
_KUBE_API_LATENCY_BUCKETS = (0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60)  # fmt: skip
API_REQUESTS = Counter(
    "apiserver_request_total",
    "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, "
    "component, and HTTP response code.",
    ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component", "code"],
)
API_REQUEST_DURATION = Histogram(
    "apiserver_request_duration_seconds",
    "Response latency distribution in seconds for each verb, dry run value, group, version, resource, "
    "subresource, scope and component.",
    ["verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"],
    buckets=_KUBE_API_LATENCY_BUCKETS,
)


class _APIRequestSeries:
    """One label set's counter children (by code) and histogram child, looked up once: prometheus-client's
    ``labels()`` costs microseconds a call, and the API answers thousands of requests a second."""

    __slots__ = ("counts", "duration", "labels")

    def __init__(self, labels: tuple[str, ...]):
        self.labels = labels
        self.duration = API_REQUEST_DURATION.labels(*labels)
        self.counts: dict[int, Counter] = {}

    def record(self, code: int, seconds: float) -> None:
        counter = self.counts.get(code)
        if counter is None:
            counter = self.counts[code] = API_REQUESTS.labels(*self.labels, str(code))
        counter.inc()
        self.duration.observe(seconds)


_API_SERIES: dict[tuple[str, ...], _APIRequestSeries] = {}


def record_api_request(labels: tuple[str, ...], code: int, seconds: float) -> None:
    """Count one answered API request and its latency; ``labels`` are the duration's (verb … component)."""
    series = _API_SERIES.get(labels)
    if series is None:
        series = _API_SERIES[labels] = _APIRequestSeries(labels)
    series.record(code, seconds)


# Work queues in progress (client-go's workqueue_unfinished_work_seconds and
# workqueue_longest_running_processor_seconds), computed when scraped rather than by a ticking task.
class InProgress(Protocol):
    """What a work queue tells about the keys being processed."""

    name: str

    def processing_since(self) -> tuple[Callable[[], float], Iterable[float]]:
        """Its clock, and when each key being processed now was handed out (by that clock)."""
        ...


def in_progress_figures(now: float, started: Iterable[float]) -> tuple[float, float]:
    """Seconds of work in progress summed over keys, and the longest any one has run: client-go's two."""
    ages = [max(now - at, 0.0) for at in started]
    return sum(ages), max(ages, default=0.0)


class WorkInProgressCollector(Collector):
    def __init__(self) -> None:
        self._queues: weakref.WeakSet = weakref.WeakSet()

    def track(self, queue: InProgress) -> None:
        self._queues.add(queue)

    def collect(self) -> Iterator[Metric]:
        unfinished = GaugeMetricFamily(
            "workqueue_unfinished_work_seconds",
            "How many seconds of work has been done that is in progress and not yet observed by "
            "work_duration; large values indicate stuck workers.",
            labels=["name"],
        )
        longest = GaugeMetricFamily(
            "workqueue_longest_running_processor_seconds",
            "How many seconds has the longest running processor for the work queue been running.",
            labels=["name"],
        )
        figures: dict[str, tuple[float, float]] = {}
        for queue in list(self._queues):
            clock, started = queue.processing_since()
            total, oldest = in_progress_figures(clock(), list(started))
            before = figures.get(queue.name, (0.0, 0.0))
            figures[queue.name] = (before[0] + total, max(before[1], oldest))
        for name, (total, oldest) in sorted(figures.items()):
            unfinished.add_metric([name], total)
            longest.add_metric([name], oldest)
        yield unfinished
        yield longest

    def describe(self) -> Iterator[Metric]:
        return iter(())  # computed when collected; nothing to check at registration


WORK_IN_PROGRESS = WorkInProgressCollector()
REGISTRY.register(WORK_IN_PROGRESS)
