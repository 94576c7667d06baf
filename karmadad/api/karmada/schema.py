"""OpenAPI schemas of the Karmada kinds, and what Kubernetes does with a CRD's schema on every write.

Why this module exists: kube-apiserver serves Karmada's kinds from CustomResourceDefinitions, so every write
is checked against the CRD's structural schema before Karmada's webhooks see it: unknown fields are
reported (``fieldValidation=Strict``) and pruned, nulls dropped, CRD defaults filled in, and types, enums,
required fields, bounds and patterns checked. karmadad has no CRDs for these kinds; the schema is generated
once from the pydantic models (:mod:`.policy`, :mod:`.work`, :mod:`.cluster`) and this module walks objects
against it. The same schemas are served as OpenAPI v3 components for ``kubectl explain`` and ``apply``.

Component names are ``io.karmada.<group prefix>.<version>.<Type>`` for Karmada types and the usual
Kubernetes names for the embedded Kubernetes types (``io.k8s.api.core.v1.Toleration``). ``metadata``
refers to ``io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta``, which the API server supplies.
"""

from __future__ import annotations

import copy
import functools
import re
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue, models_json_schema
from pydantic_core import core_schema

from karmadad.api.karmada import apps, cluster, policy, work
from karmadad.api.karmada.meta import (
    CRD_DEFAULT,
    KarmadaModel,
    ManagedFieldsEntry,
    ObjectMeta,
    OwnerReference,
)
from karmadad.api.karmada.validation import invalid, not_supported, render, required, too_long
from karmadad.errors import Cause

__all__ = [
    "KIND_MODELS",
    "normalize",
    "openapi_schemas",
    "schema_name",
    "schemas_for_kind",
    "structural_causes",
    "unknown_fields",
]

KIND_MODELS: dict[str, type[KarmadaModel]] = {
    "PropagationPolicy": policy.PropagationPolicy,
    "ClusterPropagationPolicy": policy.ClusterPropagationPolicy,
    "OverridePolicy": policy.OverridePolicy,
    "ClusterOverridePolicy": policy.ClusterOverridePolicy,
    "ClusterTaintPolicy": policy.ClusterTaintPolicy,
    "ResourceBinding": work.ResourceBinding,
    "ClusterResourceBinding": work.ClusterResourceBinding,
    "Work": work.Work,
    "Cluster": cluster.Cluster,
    "WorkloadRebalancer": apps.WorkloadRebalancer,
}

_GVK: dict[str, tuple[str, str]] = {
    "PropagationPolicy": (policy.GROUP, policy.VERSION),
    "ClusterPropagationPolicy": (policy.GROUP, policy.VERSION),
    "OverridePolicy": (policy.GROUP, policy.VERSION),
    "ClusterOverridePolicy": (policy.GROUP, policy.VERSION),
    "ClusterTaintPolicy": (policy.GROUP, policy.VERSION),
    "ResourceBinding": (work.GROUP, work.BINDING_VERSION),
    "ClusterResourceBinding": (work.GROUP, work.BINDING_VERSION),
    "Work": (work.GROUP, work.WORK_VERSION),
    "Cluster": (cluster.GROUP, cluster.VERSION),
    "WorkloadRebalancer": (apps.GROUP, apps.VERSION),
}

# Supplied by the API server, so not part of openapi_schemas(); used internally to walk metadata.
_SERVER_PROVIDED = frozenset(m.openapi_name() for m in (ObjectMeta, OwnerReference, ManagedFieldsEntry))
_REF_PREFIX = "#/components/schemas/"
_PACKAGE = "karmadad.api.karmada."
_PYDANTIC_REF = "#/$defs/{model}"


def _kind_not_found(kind: str) -> KeyError:
    return KeyError(f"not a Karmada kind: {kind!r} (known: {', '.join(KIND_MODELS)})")


def schema_name(kind: str) -> str:
    """The component name of a kind's schema, e.g. ``io.karmada.policy.v1alpha1.PropagationPolicy``."""
    try:
        return KIND_MODELS[kind].openapi_name()
    except KeyError:
        raise _kind_not_found(kind) from None


# --------------------------------------------------------------------------- generation


class _OpenAPIGenerator(GenerateJsonSchema):
    """pydantic's JSON schema in the shape of a CRD's: no null branches, no titles, CRD defaults only."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        # pydantic's defaults are Go zero values for the typed views; CRD defaults come via CRD_DEFAULT.
        return self.generate_inner(schema["schema"])

    def field_title_should_be_set(self, schema: object) -> bool:
        return False


def _all_model_classes() -> dict[str, type[KarmadaModel]]:
    found: dict[str, type[KarmadaModel]] = {}
    pending = list(KarmadaModel.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__name__.startswith("_") or not cls.__module__.startswith(_PACKAGE):
            continue  # private bases, and models others derive from ours
        other = found.setdefault(cls.__name__, cls)
        if other is not cls:
            raise RuntimeError(f"two models named {cls.__name__}: {other} and {cls}")
    return found


def _clean(node: Any, names: dict[str, str]) -> Any:
    """Rewrite one pydantic schema node (recursively) into OpenAPI v3 / CRD form."""
    if isinstance(node, list):
        return [_clean(item, names) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title":
            continue
        if key == "properties":
            out[key] = {prop: _clean(sub, names) for prop, sub in value.items()}
        elif key == "$ref":
            out[key] = _REF_PREFIX + names[value.removeprefix("#/$defs/")]
        elif key == "const":
            out["enum"] = [value]
        elif key == CRD_DEFAULT:
            out["default"] = value
        else:
            out[key] = _clean(value, names)
    if "$ref" in out and len(out) > 1:
        # OpenAPI 3.0 ignores siblings of $ref; Kubernetes wraps the reference in allOf.
        out = {"allOf": [{"$ref": out.pop("$ref")}], **out}
    return out


@functools.cache
def _components() -> dict[str, dict[str, Any]]:
    """Every component schema, ObjectMeta included, keyed by OpenAPI name (built once)."""
    classes = _all_model_classes()
    names = {name: cls.openapi_name() for name, cls in classes.items()}
    _, defs = models_json_schema(
        [(model, "validation") for model in KIND_MODELS.values()],
        ref_template=_PYDANTIC_REF,
        schema_generator=_OpenAPIGenerator,
    )
    components = {names[name]: _clean(schema, names) for name, schema in defs.get("$defs", {}).items()}
    for kind, model in KIND_MODELS.items():
        group, version = _GVK[kind]
        top = components[model.openapi_name()]
        top["x-kubernetes-group-version-kind"] = [{"group": group, "version": version, "kind": kind}]
        for field, text in (
            ("apiVersion", f"The schema version of this object: {group}/{version}."),
            ("kind", f"The type of this object: {kind}."),
        ):
            top["properties"][field] = {"description": text, "type": "string"}
    return components


def openapi_schemas() -> dict[str, dict]:
    """OpenAPI v3 component schemas of all Karmada kinds and the types they use.

    References point at ``#/components/schemas/<name>``; ``metadata`` refers to
    ``io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta``, which is not included. Each kind's schema has
    ``x-kubernetes-group-version-kind``. The result is a fresh copy, JSON-serialisable.
    """
    return {name: copy.deepcopy(s) for name, s in _components().items() if name not in _SERVER_PROVIDED}


def schemas_for_kind(kind: str) -> tuple[str, dict[str, dict]]:
    """(component name of ``kind``, the components it needs transitively, its own included).

    The ObjectMeta reference is left for the API server to satisfy.
    """
    components = _components()
    root = schema_name(kind)
    needed: dict[str, dict] = {}
    pending = [root]
    while pending:
        name = pending.pop()
        if name in needed or name in _SERVER_PROVIDED:
            continue
        needed[name] = copy.deepcopy(components[name])
        pending.extend(_refs(components[name]))
    return root, needed


def _refs(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(value.removeprefix(_REF_PREFIX))
            else:
                found.extend(_refs(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_refs(item))
    return found


# --------------------------------------------------------------------------- walking objects


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (also wrapped in a one-element ``allOf``) to the schema that describes the value."""
    for _ in range(32):
        if "$ref" in schema:
            schema = _components()[schema["$ref"].removeprefix(_REF_PREFIX)]
        elif len(schema.get("allOf", ())) == 1 and "$ref" in schema["allOf"][0]:
            schema = _components()[schema["allOf"][0]["$ref"].removeprefix(_REF_PREFIX)]
        else:
            return schema
    raise RuntimeError("reference cycle in the Karmada schemas")


def _top(kind: str) -> dict[str, Any]:
    return _components()[schema_name(kind)]


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def unknown_fields(kind: str, obj: dict) -> list[str]:
    """Paths of the fields of ``obj`` that ``kind``'s schema does not know, e.g. ``spec.placement.foo``.

    ``metadata`` is checked against ObjectMeta (labels and annotations are free-form maps); embedded whole
    objects (Work manifests, member statuses) are free-form. The server answers Strict requests with
    ``strict decoding error: unknown field "<path>"`` for each.
    """
    found: list[str] = []
    _unknown(_top(kind), obj, "", found)
    return found


def _unknown(schema: dict[str, Any], value: Any, path: str, found: list[str]) -> None:
    schema = _resolve(schema)
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        if properties is not None:
            for key, sub in value.items():
                if key in properties:
                    _unknown(properties[key], sub, _child(path, key), found)
                else:
                    found.append(_child(path, key))
        elif isinstance(extra, dict):
            for key, sub in value.items():
                _unknown(extra, sub, f"{path}[{key}]", found)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, sub in enumerate(value):
            _unknown(schema["items"], sub, f"{path}[{index}]", found)


def normalize(kind: str, obj: dict) -> dict:
    """A new object: unknown fields pruned, null fields dropped, CRD defaults filled in.

    Values of the wrong type are kept as they are, for :func:`structural_causes` to report.
    """
    return _normalize(_top(kind), obj)


def _normalize(schema: dict[str, Any], value: Any) -> Any:
    schema = _resolve(schema)
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return copy.deepcopy(value)
    if isinstance(value, dict):
        properties = schema.get("properties")
        extra = schema.get("additionalProperties")
        if properties is not None:
            out = {
                key: _normalize(properties[key], sub)
                for key, sub in value.items()
                if key in properties and sub is not None
            }
            for key, sub in properties.items():
                if key not in out and "default" in sub:
                    out[key] = copy.deepcopy(sub["default"])
            return out
        if isinstance(extra, dict):
            return {key: _normalize(extra, sub) for key, sub in value.items() if sub is not None}
        return copy.deepcopy(value)
    if isinstance(value, list):
        items = schema.get("items")
        return [_normalize(items, sub) if isinstance(items, dict) else copy.deepcopy(sub) for sub in value]
    if isinstance(value, float) and value.is_integer() and schema.get("type") == "integer":
        return int(value)
    return value


def structural_causes(kind: str, obj: dict) -> list[Cause]:
    """What a CRD's schema validation would reject in ``obj`` (types, required, enums, bounds, patterns)."""
    causes: list[Cause] = []
    _validate(_top(kind), obj, "", causes)
    return causes


_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    type(None): "null",
}
_DATE_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _has_type(value: Any, wanted: str) -> bool:
    if wanted == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if wanted == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return _json_type(value) == wanted


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


def _type_error(path: str, value: Any, wanted: str) -> Cause:
    actual = _json_type(value)
    return invalid(path, actual, f'{path} in body must be of type {wanted}: "{actual}"')


def _check_string(schema: dict[str, Any], value: str, path: str, causes: list[Cause]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        causes.append(
            invalid(path, value, f"{path} in body should be at least {schema['minLength']} chars long")
        )
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        causes.append(too_long(path, schema["maxLength"]))
    if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
        causes.append(invalid(path, value, f"{path} in body should match '{schema['pattern']}'"))
    if schema.get("format") == "date-time" and not _DATE_TIME_RE.fullmatch(value):
        causes.append(invalid(path, value, f"{path} in body must be of type date-time: {render(value)}"))


def _validate(schema: dict[str, Any], value: Any, path: str, causes: list[Cause]) -> None:
    schema = _resolve(schema)
    if schema.get("x-kubernetes-int-or-string"):
        if not (_has_type(value, "integer") or isinstance(value, str)):
            causes.append(_type_error(path, value, "integer,string"))
        elif isinstance(value, str) and "pattern" in schema and not _pattern(schema["pattern"]).search(value):
            causes.append(invalid(path, value, f"{path} in body should match '{schema['pattern']}'"))
        return
    wanted = schema.get("type")
    if wanted and not _has_type(value, wanted):
        causes.append(_type_error(path, value, wanted))
        return
    if "enum" in schema and value not in schema["enum"]:
        causes.append(not_supported(path, value, schema["enum"]))
        return
    if isinstance(value, str):
        _check_string(schema, value, path, causes)
    elif _has_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            detail = f"{path} in body should be greater than or equal to {schema['minimum']}"
            causes.append(invalid(path, value, detail))
        if "maximum" in schema and value > schema["maximum"]:
            detail = f"{path} in body should be less than or equal to {schema['maximum']}"
            causes.append(invalid(path, value, detail))
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            detail = f"{path} in body should have at least {schema['minItems']} items"
            causes.append(invalid(path, len(value), detail))
        items = schema.get("items")
        if isinstance(items, dict):
            for index, sub in enumerate(value):
                _validate(items, sub, f"{path}[{index}]", causes)
    elif isinstance(value, dict):
        if schema.get("x-kubernetes-preserve-unknown-fields") and "properties" not in schema:
            return
        properties = schema.get("properties") or {}
        for key in schema.get("required", ()):
            if key not in value:
                causes.append(required(_child(path, key)))
        for key, sub in value.items():
            if key in properties:
                _validate(properties[key], sub, _child(path, key), causes)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, sub in value.items():
                _validate(extra, sub, f"{path}[{key}]", causes)
