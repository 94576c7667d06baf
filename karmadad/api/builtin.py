"""The registry karmadad starts with: the built-in Kubernetes kinds and the Karmada kinds."""

from __future__ import annotations

from karmadad.api import schemas
from karmadad.api.karmada import karmada_resource_types, schemas_for_kind
from karmadad.api.registry import BUILTIN_RESOURCES, Registry, ResourceType
from karmadad.api.strategy import KARMADA_GROUPS

OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


def default_registry() -> Registry:
    return Registry([*BUILTIN_RESOURCES, *karmada_resource_types()])


def schemas_for(resource: ResourceType) -> tuple[str, dict[str, dict]] | None:
    """The OpenAPI component schemas of a kind: (name of its schema, definitions it needs)."""
    if resource.custom:
        schema = resource.extra.get("schema")
        if not isinstance(schema, dict):
            return None
        from karmadad.apiserver.crds import schema_name

        name = schema_name(resource)
        return name, {name: schema}
    if resource.group in KARMADA_GROUPS:
        name, definitions = schemas_for_kind(resource.kind)
        return name, {**schemas.schemas_for([OBJECT_META]), **definitions}
    name = schemas.definition_name(resource.api_version, resource.kind)
    return None if name is None else (name, schemas.schemas_for([name]))
