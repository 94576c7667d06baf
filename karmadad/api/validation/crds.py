"""What a CustomResourceDefinition must be for kube-apiserver to take it (apiextensions' validation): its
group, names and scope; one storage version among uniquely named versions, each with a schema; a
conversion strategy; structural schemas (a type everywhere, items for arrays, no ``$ref``, metadata left
alone, defaults that fit, patterns that compile); printer columns and scale paths; CEL rules
(``x-kubernetes-validations``) that parse, with ``fieldPath``s that name a field of their schema.

Errors are pathed as kube-apiserver paths them, by its internal form of the definition: a schema, printer
columns or subresources that every version shares are named once (``spec.validation.openAPIV3Schema``,
``spec.additionalPrinterColumns``, ``spec.subresources``), others per version.

kube-apiserver also type-checks each CEL rule against its schema (an undefined field, an operator on the
wrong types); the CEL library karmadad uses checks only the syntax, so such rules are refused later, on the
custom resources, instead."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from karmadad.api.crd_schemas import rule_syntax_problem, value_causes
from karmadad.api.field_errors import GoStruct, forbidden, invalid, not_supported, required
from karmadad.api.name_rules import dns1035_label_problems, subdomain_problems
from karmadad.errors import Cause

_SCOPES = ("Cluster", "Namespaced")
_STRATEGIES = ("None", "Webhook")
_LIST_TYPES = ("atomic", "set", "map")
_COLUMN_TYPES = "boolean,date,integer,number,string"
_COLUMN_FORMATS = "byte,date,date-time,double,float,int32,int64,password"
_METADATA_KEYS = frozenset({"name", "generateName"})
_TYPE_REQUIRED = {
    "root": "must not be empty at the root",
    "field": "must not be empty for specified object fields",
    "item": "must not be empty for specified array items",
}

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


def _rule_causes(node: dict, path: str) -> list[Cause]:
    causes: list[Cause] = []
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


def _default_causes(node: dict, path: str) -> list[Cause]:
    """A default must be a value its own schema takes (its causes pathed below ``default``)."""
    checked = {key: value for key, value in node.items() if key != "default"}
    return [
        Cause(f"{path}.default{'.' + cause.field if cause.field else ''}", cause.message, cause.reason)
        for cause in value_causes(checked, node["default"])
    ]


def _metadata_causes(metadata: Any, path: str) -> list[Cause]:
    """The root's ``metadata`` may name ``name`` and ``generateName`` and nothing else: the rest of it is
    kube-apiserver's to check."""
    if not isinstance(metadata, dict):
        return []
    properties = metadata.get("properties") or {}
    extra = set(metadata) - {"type", "default", "properties"}
    if extra or not isinstance(properties, dict) or set(properties) - _METADATA_KEYS:
        detail = (
            "must not specify anything other than name and generateName, but metadata is implicitly specified"
        )
        return [forbidden(f"{path}.properties[metadata]", detail)]
    return []


def _structural_causes(node: dict, path: str, level: str) -> list[Cause]:
    """What keeps one schema node (and those below it) from being structural, as kube-apiserver finds it."""
    causes: list[Cause] = []
    kind = node.get("type") or ""
    preserve = node.get("x-kubernetes-preserve-unknown-fields")
    int_or_string = node.get("x-kubernetes-int-or-string") is True
    if not kind and preserve is not True and not int_or_string:
        causes.append(required(f"{path}.type", _TYPE_REQUIRED[level]))
    elif level == "root" and kind and kind != "object":
        causes.append(invalid(f"{path}.type", kind, "must be object at the root"))
    if level == "root" and node.get("nullable") is True:
        causes.append(forbidden(f"{path}.nullable", "nullable cannot be true at the root"))
    if preserve is False:
        causes.append(
            invalid(f"{path}.x-kubernetes-preserve-unknown-fields", False, "must be true or undefined")
        )
    if kind == "array" and not isinstance(node.get("items"), dict):
        causes.append(required(f"{path}.items", "must be specified"))
    properties = node.get("properties")
    if properties and isinstance(node.get("additionalProperties"), dict):
        detail = "additionalProperties and properties are mutual exclusive"
        causes.append(forbidden(f"{path}.additionalProperties", detail))
    if node.get("uniqueItems") is True:
        detail = "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"
        causes.append(forbidden(f"{path}.uniqueItems", detail))
    list_type = node.get("x-kubernetes-list-type")
    if list_type is not None and list_type not in _LIST_TYPES:
        causes.append(not_supported(f"{path}.x-kubernetes-list-type", list_type, _LIST_TYPES))
    if list_type == "map" and not node.get("x-kubernetes-list-map-keys"):
        detail = "must not be empty if x-kubernetes-list-type is map"
        causes.append(required(f"{path}.x-kubernetes-list-map-keys", detail))
    if node.get("x-kubernetes-embedded-resource") is True and preserve is not True and not properties:
        detail = "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"
        causes.append(required(f"{path}.properties", detail))
    pattern = node.get("pattern")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as error:
            detail = f"must be a valid regular expression, but isn't: error parsing regexp: {error}"
            causes.append(invalid(f"{path}.pattern", pattern, detail))
    if "default" in node and node["default"] is not None:
        causes.extend(_default_causes(node, path))
    if not int_or_string:  # its anyOf of integer and string is the one place a type may sit there
        for keyword in ("allOf", "anyOf", "oneOf"):
            for index, sub in enumerate(node.get(keyword) or []):
                if isinstance(sub, dict) and "type" in sub:
                    causes.append(
                        forbidden(f"{path}.{keyword}[{index}].type", "must be empty to be structural")
                    )
    if level == "root" and isinstance(properties, dict):
        causes.extend(_metadata_causes(properties.get("metadata"), path))
    for name, sub in (properties or {}).items() if isinstance(properties, dict) else ():
        if isinstance(sub, dict):
            causes.extend(_structural_causes(sub, f"{path}.properties[{name}]", "field"))
    if isinstance(node.get("items"), dict):
        causes.extend(_structural_causes(node["items"], f"{path}.items", "item"))
    if isinstance(node.get("additionalProperties"), dict):
        causes.extend(
            _structural_causes(node["additionalProperties"], f"{path}.additionalProperties", "field")
        )
    return causes


def _names_causes(names: dict, path: str) -> list[Cause]:
    """``ValidateCustomResourceDefinitionNames``: lower-case DNS-1035 labels, kinds in any case."""
    causes: list[Cause] = []
    for field, mixed_case in (("plural", False), ("singular", False), ("kind", True), ("listKind", True)):
        value = names.get(field) or ""
        if not value:
            causes.append(required(f"{path}.{field}"))
        elif problems := dns1035_label_problems(value.lower() if mixed_case else value):
            prefix = "may have mixed case, but should otherwise match: " if mixed_case else ""
            causes.append(invalid(f"{path}.{field}", value, prefix + ",".join(problems)))
    if names.get("kind") and names.get("kind") == names.get("listKind"):
        causes.append(invalid(f"{path}.listKind", names["listKind"], "kind and listKind may not be the same"))
    for index, short_name in enumerate(names.get("shortNames") or []):
        if problems := dns1035_label_problems(short_name):
            causes.append(invalid(f"{path}.shortNames[{index}]", short_name, ",".join(problems)))
    return causes


def _shown_versions(versions: Any) -> Any:
    """The versions as Go prints its internal type (what every version shares is held once, elsewhere)."""
    if not isinstance(versions, list):
        return None
    return [
        GoStruct(
            Name=version.get("name", ""),
            Served=bool(version.get("served")),
            Storage=bool(version.get("storage")),
            Deprecated=bool(version.get("deprecated")),
            DeprecationWarning=version.get("deprecationWarning"),
            Schema=None,
            Subresources=None,
            AdditionalPrinterColumns=None,
            SelectableFields=None,
        )
        for version in versions
    ]


def _versions_causes(spec: dict) -> list[Cause]:
    versions = spec.get("versions")
    listed = versions if isinstance(versions, list) else []
    causes: list[Cause] = []
    if sum(1 for version in listed if version.get("storage")) != 1:
        detail = "must have exactly one version marked as storage version"
        causes.append(invalid("spec.versions", _shown_versions(versions), detail))
    names = [version.get("name", "") for version in listed]
    if len(set(names)) != len(names):
        causes.append(
            invalid("spec.versions", _shown_versions(versions), "must contain unique version names")
        )
    for index, name in enumerate(names):
        causes.extend(invalid(f"spec.versions[{index}].name", name, p) for p in dns1035_label_problems(name))
        schema = (listed[index].get("schema") or {}).get("openAPIV3Schema")
        if not isinstance(schema, dict):
            causes.append(required(f"spec.versions[{index}].schema.openAPIV3Schema"))
    if names:  # the internal form's single version is the first one
        causes.extend(invalid("spec.version", names[0], p) for p in dns1035_label_problems(names[0]))
    return causes


def _shared(spec: dict, field: str, path: str) -> Iterator[tuple[str, Any]]:
    """A per-version field, and where kube-apiserver names it: once under ``path`` when every version has
    the same, else each version's own."""
    versions = [version for version in spec.get("versions") or [] if isinstance(version, dict)]
    values = [version.get(field) for version in versions]
    if values and all(value == values[0] for value in values):
        yield path, values[0]
        return
    for index, value in enumerate(values):
        yield f"spec.versions[{index}].{field}", value


def _simple_json_path(value: str, path: str) -> list[Cause]:
    if not value:
        return [invalid(path, value, "must not be empty")]
    if not value.startswith("."):
        return [invalid(path, value, "must be a simple json path starting with .")]
    return []


def _column_causes(columns: Any, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for index, column in enumerate(columns or []):
        at = f"{path}[{index}]"
        if not column.get("name"):
            causes.append(required(f"{at}.name"))
        kind, shape = column.get("type", ""), column.get("format", "")
        if not kind:
            causes.append(required(f"{at}.type", f"must be one of {_COLUMN_TYPES}"))
        elif kind not in _COLUMN_TYPES.split(","):
            causes.append(invalid(f"{at}.type", kind, f"must be one of {_COLUMN_TYPES}"))
        if shape and shape not in _COLUMN_FORMATS.split(","):
            causes.append(invalid(f"{at}.format", shape, f"must be one of {_COLUMN_FORMATS}"))
        if not column.get("jsonPath"):
            causes.append(required(f"{at}.JSONPath"))
        else:
            causes.extend(_simple_json_path(column["jsonPath"], f"{at}.JSONPath"))
    return causes


def _scale_causes(subresources: Any, path: str) -> list[Cause]:
    scale = (subresources or {}).get("scale")
    if not isinstance(scale, dict):
        return []
    causes: list[Cause] = []
    at = f"{path}.scale"
    for field, under in (("specReplicasPath", ".spec"), ("statusReplicasPath", ".status")):
        value = scale.get(field) or ""
        if not value:
            causes.append(required(f"{at}.{field}"))
        elif found := _simple_json_path(value, f"{at}.{field}"):
            causes.extend(found)
        elif not value.startswith(under + "."):
            causes.append(invalid(f"{at}.{field}", value, f"should be a json path under {under}"))
    selector = scale.get("labelSelectorPath") or ""
    if selector:
        if found := _simple_json_path(selector, f"{at}.labelSelectorPath"):
            causes.extend(found)
        elif not selector.startswith((".spec.", ".status.")):
            detail = "should be a json path under either .spec or .status"
            causes.append(invalid(f"{at}.labelSelectorPath", selector, detail))
    return causes


def _conversion_causes(conversion: Any) -> list[Cause]:
    conversion = conversion or {}
    strategy = conversion.get("strategy", "")
    if strategy not in _STRATEGIES:
        return [not_supported("spec.conversion.strategy", strategy, _STRATEGIES)]
    if strategy != "Webhook":
        return []
    webhook = conversion.get("webhook") or {}
    causes = []
    if not webhook.get("clientConfig"):
        causes.append(
            required("spec.conversion.webhookClientConfig", "required when strategy is set to Webhook")
        )
    if not webhook.get("conversionReviewVersions"):
        causes.append(required("spec.conversion.conversionReviewVersions"))
    return causes


def _stored_versions_causes(obj: dict) -> list[Cause]:
    """Every stored version is served still, and the storage version is among them."""
    stored = (obj.get("status") or {}).get("storedVersions")
    path = "status.storedVersions"
    if not stored:
        return [invalid(path, stored, "must have at least one stored version")]
    versions = [v for v in (obj.get("spec") or {}).get("versions") or [] if isinstance(v, dict)]
    names = {version.get("name") for version in versions}
    causes = [
        invalid(f"{path}[{index}]", name, "must appear in spec.versions")
        for index, name in enumerate(stored)
        if name not in names
    ]
    causes.extend(
        invalid(path, stored, f"must have the storage version {version.get('name', '')}")
        for version in versions
        if version.get("storage") and version.get("name") not in stored
    )
    return causes


def _spec_causes(obj: dict) -> list[Cause]:
    spec = obj.get("spec") or {}
    causes: list[Cause] = []
    group = spec.get("group") or ""
    if not group:
        causes.append(required("spec.group"))
    else:
        causes.extend(invalid("spec.group", group, problem) for problem in subdomain_problems(group))
        if "." not in group:
            causes.append(invalid("spec.group", group, "should be a domain with at least one dot"))
    names = spec.get("names") or {}
    name = (obj.get("metadata") or {}).get("name", "")
    if name != f"{names.get('plural', '')}.{group}":
        causes.append(invalid("metadata.name", name, 'must be spec.names.plural+"."+spec.group'))
    scope = spec.get("scope") or ""
    if not scope:
        causes.append(required("spec.scope"))
    elif scope not in _SCOPES:
        causes.append(not_supported("spec.scope", scope, _SCOPES))
    causes.extend(_names_causes(names, "spec.names"))
    causes.extend(_versions_causes(spec))
    causes.extend(_conversion_causes(spec.get("conversion")))
    for path, columns in _shared(spec, "additionalPrinterColumns", "spec.additionalPrinterColumns"):
        causes.extend(_column_causes(columns, path))
    for path, subresources in _shared(spec, "subresources", "spec.subresources"):
        causes.extend(_scale_causes(subresources, path))
    return causes


def custom_resource_definition_causes(obj: dict, old: dict | None) -> list[Cause]:
    causes = _spec_causes(obj)
    for base, schema in _schemas(obj.get("spec") or {}):
        nodes = list(_nodes(schema, base))
        references = [
            forbidden(f"{path}.$ref", "$ref is not supported") for path, node in nodes if "$ref" in node
        ]
        # a schema with references is no structural schema at all: what else it lacks is not looked for
        causes.extend(references or _structural_causes(schema, base, "root"))
        for path, node in nodes:
            causes.extend(_rule_causes(node, path))
    causes.extend(_stored_versions_causes(obj))
    return causes
