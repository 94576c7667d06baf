"""kube-apiserver's validation of the built-in kinds, rule for rule and in its words.

:func:`kind_causes` gives the problems of one decoded and defaulted object (and, for an update, what it
may not change from the stored one): its metadata (labels, annotations, finalizers), then the rules of
its kind. Each module holds one family: ``meta`` (metadata and label selectors), ``pods`` (pod specs and
templates), ``workloads`` (apps and batch).
"""

from __future__ import annotations

from collections.abc import Callable

from karmadad.api.validation import workloads
from karmadad.api.validation.meta import object_meta_causes
from karmadad.api.validation.pods import pod_spec_causes
from karmadad.errors import Cause

__all__ = ["kind_causes"]

KindCheck = Callable[[dict, "dict | None"], list[Cause]]

_BY_KIND: dict[tuple[str, str], KindCheck] = {
    ("apps", "Deployment"): workloads.deployment_causes,
    ("apps", "ReplicaSet"): workloads.replica_set_causes,
    ("apps", "DaemonSet"): workloads.daemon_set_causes,
    ("", "Pod"): lambda obj, old: pod_spec_causes(obj.get("spec") or {}, "spec"),
}


def kind_causes(group: str, kind: str, obj: dict, old: dict | None) -> list[Cause]:
    """The problems kube-apiserver finds with ``obj`` (a built-in kind, decoded and defaulted)."""
    causes = object_meta_causes(obj.get("metadata") or {})
    check = _BY_KIND.get((group, kind))
    if check is not None:
        causes.extend(check(obj, old))
    return causes
