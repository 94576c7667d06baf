"""What a CustomResourceDefinition's schemas must hold for kube-apiserver to take it: CEL rules
(``x-kubernetes-validations``) that parse, and ``fieldPath``s that name a field of the schema they sit in.

kube-apiserver also type-checks each rule against its schema (an undefined field, an operator on the wrong
types); the CEL library karmadad uses checks only the syntax, so such rules are refused later, on the
custom resources, instead."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from karmadad.api.crd_schemas import rule_syntax_problem
from karmadad.api.field_errors import GoStruct, invalid
from karmadad.errors import Cause

_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']+)'\]")


def _schemas(spec: dict) -> Iterator[tuple[str, dict]]:
    """Each distinct version schema and the path kube-apiserver names it by: ``spec.validation`` when every
    version has the same one (its internal form keeps it once), else each version's own."""
    versions = spec.get("versions") or []
    found = [
        ((version.get("schema") or {}).get("openAPIV3Schema"), index)
        for index, version in enumerate(versions)
    ]
    schemas = [schema for schema, _ in found if isinstance(schema, dict)]
    if schemas and all(schema == schemas[0] for schema in schemas) and len(schemas) == len(found):
        yield "spec.validation.openAPIV3Schema", schemas[0]
        return
    for schema, index in found:
        if isinstance(schema, dict):
            yield f"spec.versions[{index}].schema.openAPIV3Schema", schema


def _nodes(schema: dict, path: str) -> Iterator[tuple[str, dict]]:
    yield path, schema
    for name, sub in (schema.get("properties") or {}).items():
        if isinstance(sub, dict):
            yield from _nodes(sub, f"{path}.properties[{name}]")
    for key in ("items", "additionalProperties"):
        sub = schema.get(key)
        if isinstance(sub, dict):
            yield from _nodes(sub, f"{path}.{key}")


def _path_names_a_field(schema: dict, field_path: str) -> bool:
    """Whether ``field_path`` (``.a.b``, ``['a'].b``) names a field below ``schema``."""
    position, node = 0, schema
    if not field_path:
        return False
    while position < len(field_path):
        step = _STEP.match(field_path, position)
        if step is None:
            return False
        name = step.group(1) or step.group(2)
        properties = node.get("properties") or {}
        extra = node.get("additionalProperties")
        if name in properties:
            node = properties[name]
        elif isinstance(extra, dict):
            node = extra
        else:
            return False
        position = step.end()
    return True


def _shown_rule(rule: dict) -> GoStruct:
    return GoStruct(
        Rule=rule.get("rule", ""),
        Message=rule.get("message", ""),
        MessageExpression=rule.get("messageExpression", ""),
        Reason=rule.get("reason"),
        FieldPath=rule.get("fieldPath", ""),
        OptionalOldSelf=rule.get("optionalOldSelf"),
    )


def custom_resource_definition_causes(obj: dict, old: dict | None) -> list[Cause]:
    causes: list[Cause] = []
    for base, schema in _schemas(obj.get("spec") or {}):
        for path, node in _nodes(schema, base):
            for index, rule in enumerate(node.get("x-kubernetes-validations") or []):
                at = f"{path}.x-kubernetes-validations[{index}]"
                if not isinstance(rule, dict):
                    continue
                problem = rule_syntax_problem(rule.get("rule", ""))
                if problem:
                    causes.append(invalid(f"{at}.rule", _shown_rule(rule), f"compilation failed: {problem}"))
                field_path: Any = rule.get("fieldPath")
                if field_path and not _path_names_a_field(node, field_path):
                    causes.append(invalid(f"{at}.fieldPath", field_path, "must be a valid path"))
    return causes
