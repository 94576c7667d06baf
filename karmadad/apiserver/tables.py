"""``kubectl get`` tables: the meta.k8s.io/v1 Table form of objects, with the columns users know."""

from __future__ import annotations

import datetime
from typing import Any

from karmadad.api.registry import ResourceType

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
    """Kubernetes' short human durations: 45s, 5m30s, 45m, 3h20m, 26h, 3d4h, 245d, 2y45d."""
    s = int(max(seconds, 0))
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
    return f"{years}y{rest}d" if rest else f"{years}y"


def age(obj: dict, now: datetime.datetime) -> str:
    stamp = obj.get("metadata", {}).get("creationTimestamp")
    if not stamp:
        return "<unknown>"
    created = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    return human_duration((now - created).total_seconds())


def column_definitions(resource: ResourceType) -> list[dict[str, Any]]:
    columns = [
        {
            "name": "Name",
            "type": "string",
            "format": "name",
            "description": "Name of the object.",
            "priority": 0,
        }
    ]
    for column in resource.columns:
        columns.append(
            {
                "name": column.name,
                "type": column.type,
                "format": column.format,
                "description": column.description,
                "priority": column.priority,
            }
        )
    columns.append(
        {"name": "Age", "type": "string", "format": "", "description": "Time since creation.", "priority": 0}
    )
    return columns


def _cell(value: Any) -> Any:
    return "<none>" if value is None or value == "" else value


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
        cells = [obj["metadata"]["name"], *(_cell(c.cell(obj)) for c in resource.columns), age(obj, now)]
        row: dict[str, Any] = {"cells": cells}
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
