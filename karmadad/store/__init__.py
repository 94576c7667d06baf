"""The object store: what etcd and kube-apiserver's storage layer give Karmada, over one SQLite file."""

from karmadad.store.changes import Change, HistoryLimits
from karmadad.store.store import ListResult, Store, open_store
from karmadad.store.watch import Query, Watcher, WatchEvent

__all__ = ["Change", "HistoryLimits", "ListResult", "Query", "Store", "WatchEvent", "Watcher", "open_store"]
