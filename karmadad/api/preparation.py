"""What kube-apiserver's registry strategies change in an object of a built-in kind before it is validated
and stored (their ``PrepareForCreate`` / ``PrepareForUpdate``), beyond status and generation, which the
strategy module and the store handle for every kind.

- A Job without ``manualSelector`` gets a selector of its own uid, and its template the labels that
  selector and the Job's name need (``controller-uid``, ``job-name``, in the legacy and the
  ``batch.kubernetes.io/`` forms). A Job that had no labels of its own shows its template's, generated
  ones included (Go's defaulting shares the one map between the two).
- A PersistentVolume starts Pending, with the time it became so.
- A DaemonSet counts its template's versions in the ``deprecated.daemonset.template.generation``
  annotation: 1 when created (or the number it was given), one more whenever an update changes the
  template.
"""

from __future__ import annotations

from karmadad.errors import BadRequest
from karmadad.store.store import now_timestamp

__all__ = ["for_create", "for_update"]

TEMPLATE_GENERATION = "deprecated.daemonset.template.generation"
_JOB_UID_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid")
_JOB_NAME_LABELS = ("job-name", "batch.kubernetes.io/job-name")


def _template_generation(obj: dict) -> int:
    text = ((obj.get("metadata") or {}).get("annotations") or {}).get(TEMPLATE_GENERATION)
    if text is None:
        return 0
    try:
        return int(text)
    except ValueError:
        raise BadRequest(f'strconv.ParseInt: parsing "{text}": invalid syntax') from None


def _with_template_generation(obj: dict, value: int) -> dict:
    meta = dict(obj.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), TEMPLATE_GENERATION: str(value)}
    return {**obj, "metadata": meta}


def _job_with_selector(job: dict, uid: str) -> dict:
    """``generateSelector``: the template labelled with the Job's uid and name, the selector on the uid."""
    meta = dict(job.get("metadata") or {})
    spec = dict(job.get("spec") or {})
    template = dict(spec.get("template") or {})
    template_meta = dict(template.get("metadata") or {})
    labels = dict(template_meta.get("labels") or {})
    follows_template = meta.get("labels") == template_meta.get("labels")
    for key in _JOB_NAME_LABELS:
        labels.setdefault(key, meta.get("name", ""))
    for key in _JOB_UID_LABELS:
        labels.setdefault(key, uid)
    template_meta["labels"] = labels
    template["metadata"] = template_meta
    selector = dict(spec.get("selector") or {})
    match_labels = dict(selector.get("matchLabels") or {})
    match_labels.setdefault("batch.kubernetes.io/controller-uid", uid)
    selector["matchLabels"] = match_labels
    spec.update(template=template, selector=selector)
    if follows_template:
        meta["labels"] = labels
    return {**job, "metadata": meta, "spec": spec}


def for_create(group: str, kind: str, obj: dict, uid: str | None) -> dict:
    """``obj`` (decoded and defaulted) as the kind's strategy prepares it for creation. ``uid`` is the one
    the object is about to get (None: not known, as for objects the controllers make)."""
    if (group, kind) == ("batch", "Job"):
        manual = (obj.get("spec") or {}).get("manualSelector")
        return obj if manual or uid is None else _job_with_selector(obj, uid)
    if (group, kind) == ("apps", "DaemonSet"):
        return _with_template_generation(obj, max(_template_generation(obj), 1))
    if (group, kind) == ("", "PersistentVolume"):
        return {**obj, "status": {"phase": "Pending", "lastPhaseTransitionTime": now_timestamp()}}
    return obj


def for_update(group: str, kind: str, obj: dict, old: dict) -> dict:
    """``obj`` (decoded and defaulted) as the kind's strategy prepares it to replace ``old``."""
    if (group, kind) == ("apps", "DaemonSet"):
        generation = _template_generation(old)
        if (obj.get("spec") or {}).get("template") != (old.get("spec") or {}).get("template"):
            generation += 1
        return _with_template_generation(obj, generation)
    return obj
