"""Unknown fields, for ``fieldValidation=Strict`` (reject) and ``Warn`` (warn), as kube-apiserver does."""

from __future__ import annotations

from typing import Any

from karmadad.api import schemas
from karmadad.api.registry import ResourceType
from karmadad.api.strategy import KARMADA_GROUPS


def _walk(node: schemas.SchemaNode | None, value: Any, path: str, found: list[str]) -> None:
    if node is None or node.schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        if node.is_struct:
            for key, child in value.items():
                sub = node.field(key)
                if sub is None:
                    found.append(f"{path}.{key}" if path else key)
                else:
                    _walk(sub, child, f"{path}.{key}" if path else key, found)
        elif node.is_map:
            for key, child in value.items():
                _walk(node.map_values(), child, f"{path}.{key}" if path else key, found)
    elif isinstance(value, list):
        items = node.items()
        for index, child in enumerate(value):
            _walk(items, child, f"{path}[{index}]", found)


def unknown_fields(resource: ResourceType, obj: dict) -> list[str]:
    """JSON paths of fields the kind's schema does not declare (none known for custom resources)."""
    if resource.group in KARMADA_GROUPS:
        from karmadad.api.karmada import unknown_fields as karmada_unknown

        return karmada_unknown(resource.kind, obj)
    if resource.custom:
        return []
    node = schemas.node_for(resource.api_version, resource.kind)
    found: list[str] = []
    _walk(node, {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}, "", found)
    return found
