"""The registry karmadad starts with: the built-in Kubernetes kinds and the Karmada kinds."""

from __future__ import annotations

from karmadad.api.registry import BUILTIN_RESOURCES, Registry, ResourceType


def default_registry() -> Registry:
    registry = Registry(BUILTIN_RESOURCES)
    try:
        from karmadad.api.karmada import karmada_resource_types
    except ImportError:  # the Karmada kinds are being added
        return registry
    for resource in karmada_resource_types():
        registry.add(resource)
    return registry


def schemas_for(resource: ResourceType) -> tuple[str, dict[str, dict]] | None:
    """The OpenAPI component schemas of a kind: (name of its schema, definitions it needs)."""
    if resource.custom:
        schema = resource.extra.get("schema")
        if not isinstance(schema, dict):
            return None
        from karmadad.apiserver.crds import schema_name

        name = schema_name(resource)
        return name, {name: schema}
    return None
