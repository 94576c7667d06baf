"""What to do with one manifest of a Work in its member cluster, decided from what is known alone.

:func:`plan_apply` looks at the manifest, the member's object as its informer last saw it, and the Work's
conflict resolution, and answers create, update (with the object to write), skip or abort;
:func:`plan_removal` answers what a deleted Work leaves of its object in the member. No I/O: the execution
controller reads its caches, calls these, and carries the answer out.
"""

from __future__ import annotations

from dataclasses import dataclass

from karmadad.api.karmada.names import MANAGED_LABEL
from karmadad.interpreter.retain import retain
from karmadad.logs import describe_object

# what karmadad adds to a member object; removed from it when its Work goes with preserveResourcesOnDeletion
_KARMADAD_LABEL_PREFIXES = ("karmada.io/", "work.karmada.io/", "resourcebinding.karmada.io/",
                            "clusterresourcebinding.karmada.io/", "propagationpolicy.karmada.io/",
                            "clusterpropagationpolicy.karmada.io/")  # fmt: skip
_KARMADAD_ANNOTATION_PREFIXES = (
    *_KARMADAD_LABEL_PREFIXES,
    "resourcetemplate.karmada.io/",
    "policy.karmada.io/",
)


@dataclass(frozen=True)
class Create:
    """The member has no such object: create the manifest."""

    manifest: dict


@dataclass(frozen=True)
class Update:
    """The member's object lacks some of the manifest: write ``final`` (the manifest with what the member
    owns retained, at the observed resourceVersion). ``field`` is the first path that differs, for the log."""

    final: dict
    field: str


@dataclass(frozen=True)
class Skip:
    """The member's object already holds every field of the manifest: write nothing."""


@dataclass(frozen=True)
class Abort:
    """The object exists in the member and is not karmadad's to take: leave it, and say why."""

    reason: str


ApplyPlan = Create | Update | Skip | Abort


def describe(manifest: dict) -> str:
    """``Kind namespace/name`` of a manifest, as messages name it."""
    meta = manifest.get("metadata") or {}
    return describe_object(str(manifest.get("kind")), meta.get("namespace", ""), meta.get("name", ""))


def is_managed(observed: dict) -> bool:
    """Whether a member object carries karmadad's ``karmada.io/managed`` mark."""
    return ((observed.get("metadata") or {}).get("labels") or {}).get(MANAGED_LABEL) == "true"


def plan_apply(manifest: dict, observed: dict | None, *, overwrite: bool) -> ApplyPlan:
    """How to make the member hold ``manifest`` given its object ``observed`` (None: absent). An object
    karmadad does not manage is taken over only when the Work's conflict resolution is ``overwrite``."""
    if observed is None:
        return Create(manifest)
    if not is_managed(observed) and not overwrite:
        return Abort(
            f"{describe(manifest)} already exists in the member cluster and is not managed by karmadad "
            "(conflictResolution is Abort; set it to Overwrite to take the object over)"
        )
    final = retain(manifest, observed)
    field = first_difference(observed, _content(final))
    if field is None:
        return Skip()
    version = observed["metadata"]["resourceVersion"]
    return Update({**final, "metadata": {**final["metadata"], "resourceVersion": version}}, field)


@dataclass(frozen=True)
class Delete:
    """The object is karmadad's: delete it."""


@dataclass(frozen=True)
class Release:
    """Keep the object but let go of it (preserveResourcesOnDeletion): write ``kept``, without karmadad's
    labels and annotations."""

    kept: dict


@dataclass(frozen=True)
class Leave:
    """Not karmadad's object, or already gone: nothing to do."""


RemovalPlan = Delete | Release | Leave


def plan_removal(observed: dict | None, *, preserve: bool) -> RemovalPlan:
    """What a deleted Work does to its object ``observed`` in the member (None: absent there)."""
    if observed is None or not is_managed(observed):
        return Leave()
    return Release(without_karmadad_marks(observed)) if preserve else Delete()


def first_difference(observed: object, desired: object, path: str = "") -> str | None:
    """Where ``observed`` first fails to hold ``desired`` (a field path); None when it holds. Maps may carry
    more (a member's API server adds defaults); lists must match element by element."""
    if isinstance(desired, dict):
        if not isinstance(observed, dict):
            return path or "."
        for key, value in desired.items():
            if key not in observed:
                return f"{path}.{key}"
            if (found := first_difference(observed[key], value, f"{path}.{key}")) is not None:
                return found
        return None
    if isinstance(desired, list):
        if not isinstance(observed, list) or len(observed) != len(desired):
            return path
        for index, (o, d) in enumerate(zip(observed, desired, strict=True)):
            if (found := first_difference(o, d, f"{path}[{index}]")) is not None:
                return found
        return None
    return None if observed == desired else path


def _content(final: dict) -> dict:
    """What of ``final`` a member object must hold: all but status, the resourceVersion, and apiVersion and
    kind (the object's path says those; a LIST's items do not carry them, a watch's events do)."""
    meta = {k: v for k, v in final.get("metadata", {}).items() if k != "resourceVersion"}
    kept = {k: v for k, v in final.items() if k not in ("status", "apiVersion", "kind")}
    return {**kept, "metadata": meta}


def without_karmadad_marks(obj: dict) -> dict:
    """``obj`` without the labels and annotations karmadad put on it."""
    meta = dict(obj.get("metadata") or {})
    for field, prefixes in (
        ("labels", _KARMADAD_LABEL_PREFIXES),
        ("annotations", _KARMADAD_ANNOTATION_PREFIXES),
    ):
        kept = {k: v for k, v in (meta.get(field) or {}).items() if not k.startswith(prefixes)}
        meta[field] = kept
    return {**obj, "metadata": meta}
