"""``kubectl get`` tables: the meta.k8s.io/v1 Table form of objects, with the columns users know.

Which columns a kind has, in which order, and what each cell holds is the registry's
(:attr:`karmadad.api.registry.ResourceType.table_columns`); this module writes the Table, time spans
(Age, an Event's Last Seen) as of the moment it is rendered.
"""

from __future__ import annotations

import datetime
from typing import Any

from karmadad.api.registry import Elapsed, ResourceType

TABLE_MEDIA = "as=Table"


def wants_table(accept: str) -> bool:
    """Whether the client's first acceptable representation is a meta.k8s.io/v1 Table."""
    for choice in accept.split(","):
        params = {p.strip() for p in choice.split(";")}
        if "as=Table" in params:
            return "g=meta.k8s.io" in params and ("v=v1" in params or "v=v1beta1" in params)
        if choice.strip().startswith("application/json") or choice.strip() == "*/*":
            return False
    return False


def human_duration(seconds: float) -> str:
    """Kubernetes' short human durations (``duration.HumanDuration``): 45s, 5m30s, 45m, 3h20m, 26h, 3d4h,
    245d, 2y45d, 9y; a time more than a second ahead is ``<invalid>``, one just ahead ``0s``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years, rest = divmod(days, 365)
    if years < 8:
        return f"{years}y{rest}d" if rest else f"{years}y"
    return f"{years}y"


def parse_time(stamp: str) -> datetime.datetime | None:
    """An RFC 3339 time as Kubernetes writes them (``metav1.Time``, ``MicroTime``), or None."""
    try:
        parsed = datetime.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def render_cell(value: Any, now: datetime.datetime) -> Any:
    """A cell as the table carries it: an :class:`Elapsed` span written out at ``now``."""
    if not isinstance(value, Elapsed):
        return value
    since = parse_time(value.since) if value.since else None
    if since is None:
        return value.template.format("<unknown>")
    until = parse_time(value.until) if value.until else None
    return value.template.format(human_duration(((until or now) - since).total_seconds()))


def column_definitions(resource: ResourceType) -> list[dict[str, Any]]:
    return [
        {
            "name": column.name,
            "type": column.type,
            "format": column.format,
            "description": column.description,
            "priority": column.priority,
        }
        for column in resource.table_columns
    ]


def row_cells(resource: ResourceType, obj: dict, now: datetime.datetime) -> list[Any]:
    """The cells of one object's row, as its columns give them."""
    return [render_cell(column.cell(obj), now) for column in resource.table_columns]


def partial_metadata(obj: dict) -> dict:
    return {
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": obj.get("metadata", {}),
    }


def table(
    resource: ResourceType,
    objects: list[dict],
    *,
    include_object: str = "Metadata",
    list_meta: dict | None = None,
    with_columns: bool = True,
) -> dict:
    now = datetime.datetime.now(datetime.UTC)
    rows = []
    for obj in objects:
        row: dict[str, Any] = {"cells": row_cells(resource, obj, now)}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj)
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta or {},
        "columnDefinitions": column_definitions(resource) if with_columns else [],
        "rows": rows,
    }
