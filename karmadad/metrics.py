"""The Prometheus metric families karmadad exports, all in one place.

The default registry already carries prometheus-client's process and platform collectors (CPU,
memory, file descriptors, Python version); this module adds karmadad's own families.
"""

from __future__ import annotations

import platform

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram

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

# Member clusters.
CLUSTER_READY = Gauge("karmadad_cluster_ready", "1 when the member cluster is Ready, else 0.", ["cluster"])
MEMBER_REQUEST_DURATION = Histogram(
    "karmadad_member_request_duration_seconds",
    "Latency of requests to member clusters.",
    ["cluster", "verb"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
MEMBER_REQUEST_ERRORS = Counter(
    "karmadad_member_request_errors_total",
    "Requests to member clusters that failed or got no answer.",
    ["cluster", "verb"],
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
