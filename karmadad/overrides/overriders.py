"""One override rule's ``overriders`` applied to a manifest, with Karmada's semantics and order.

Why these rules: a Work must carry exactly what Karmada would have sent to the member cluster, so each
overrider follows Karmada's override manager, quirks included:

* Order is fixed — imageOverrider, commandOverrider, argsOverrider, labelsOverrider,
  annotationsOverrider, fieldOverrider, plaintext — and every list runs in its own order.
* Without a predicate the image and command/args overriders reach the ``containers`` (never init
  containers) of Pod, ReplicaSet, Deployment, DaemonSet, StatefulSet and Job, chosen by kind alone;
  other kinds (CronJob too) are left alone. An image predicate path is walked segment by segment
  (``~1`` is not unescaped there) and must end at a string.
* command/args ``add`` appends, ``remove`` drops every listed value; a container without the field gets
  it (an empty list when nothing was added). Containers are chosen by name, all of them that match.
* labels/annotations: ``add`` sets keys (creating the map), ``replace`` and ``remove`` touch only keys
  already present.
* fieldOverrider parses the string at ``fieldPath`` as YAML when ``yaml`` operations are given (they
  win over ``json``), else as JSON, patches it and writes it back in the same language; an empty
  string stays empty under JSON operations.
* plaintext and the field sub-operations are RFC 6902 add / remove / replace; like Karmada's patch
  library, a negative array index counts from the end.

An overrider that cannot apply raises :class:`OverrideError` naming the overrider and the path; the
caller prefixes the policy and fails the Work. :func:`apply_overriders` is pure: it edits a deep copy.
"""

from __future__ import annotations

import re
from typing import Any

import jsonpatch
import jsonpointer
import yaml

from karmadad.decoding import parse_json, parse_yaml
from karmadad.jsonvalue import json_copy
from karmadad.overrides.encoding import go_json, yaml_text
from karmadad.overrides.images import ImageError, override_image

OPERATORS = ("add", "remove", "replace")

# Where each workload kind keeps its pod spec; the override manager knows no other kinds.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "ReplicaSet": ("spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
}


class OverrideError(ValueError):
    """An overrider that cannot be applied to this manifest; Karmada fails the Work with the message."""

    def __init__(self, message: str, *, path: str = "", policy: str = ""):
        super().__init__(message)
        self.path = path
        self.policy = policy  # the policy as Karmada's Events name it, once known


def apply_overriders(manifest: dict, overriders: dict | None) -> dict:
    """A new manifest: ``manifest`` with one rule's ``overriders`` applied (the input is untouched)."""
    return apply_overriders_in_place(json_copy(manifest), overriders)


def apply_overriders_in_place(obj: dict, overriders: dict | None) -> dict:
    """Apply ``overriders`` to ``obj``, editing it; returns the result (a root ``replace`` may swap it)."""
    overriders = overriders or {}
    for index, overrider in enumerate(overriders.get("imageOverrider") or ()):
        _override_images(obj, overrider, f"imageOverrider[{index}]")
    for field in ("command", "args"):
        for index, overrider in enumerate(overriders.get(f"{field}Overrider") or ()):
            _override_command_args(obj, overrider, field, f"{field}Overrider[{index}]")
    for field in ("labels", "annotations"):
        for index, overrider in enumerate(overriders.get(f"{field}Overrider") or ()):
            _override_metadata_map(obj, overrider, field, f"{field}Overrider[{index}]")
    for index, overrider in enumerate(overriders.get("fieldOverrider") or ()):
        _override_field(obj, overrider, f"fieldOverrider[{index}]")
    for index, overrider in enumerate(overriders.get("plaintext") or ()):
        obj = patch_document(
            obj,
            overrider.get("operator"),
            str(overrider.get("path", "")),
            overrider.get("value"),
            f"plaintext[{index}]",
        )
        if not isinstance(obj, dict):
            raise OverrideError(f"plaintext[{index}]: the manifest must remain an object", path="")
    return obj


def _pod_spec(obj: dict, where: str) -> tuple[str, dict] | None:
    """(JSON pointer, pod spec) of a workload kind the override manager knows, else None."""
    keys = POD_SPEC_PATHS.get(obj.get("kind", ""))
    if keys is None:
        return None
    node: Any = obj
    for depth, key in enumerate(keys):
        node = node.get(key)
        if node is None:
            return None
        if not isinstance(node, dict):
            raise OverrideError(f"{where}: /{'/'.join(keys[: depth + 1])} is not an object")
    return "/" + "/".join(keys), node


def _containers(obj: dict, where: str) -> tuple[str, list[dict]]:
    found = _pod_spec(obj, where)
    if found is None:
        return "", []
    prefix, spec = found
    containers = spec.get("containers")
    if containers is None:
        return prefix, []
    if not isinstance(containers, list):
        raise OverrideError(f"{where}: {prefix}/containers is not a list", path=f"{prefix}/containers")
    for index, container in enumerate(containers):
        if not isinstance(container, dict):
            path = f"{prefix}/containers/{index}"
            raise OverrideError(f"{where}: {path} is not an object", path=path)
    return prefix, containers


def _new_image(image: Any, overrider: dict, where: str, path: str) -> str:
    if image is None:
        image = ""
    if not isinstance(image, str):
        raise OverrideError(f"{where}: {path} is not a string", path=path)
    try:
        return override_image(
            image,
            str(overrider.get("component", "")),
            str(overrider.get("operator", "")),
            str(overrider.get("value") or ""),
        )
    except ImageError as error:
        raise OverrideError(f"{where}: image at {path}: {error}", path=path) from error


def _override_images(obj: dict, overrider: dict, where: str) -> None:
    predicate = overrider.get("predicate")
    if predicate is not None:
        path = str(predicate.get("path", ""))
        image = _image_at(obj, path, f"{where} predicate.path {path}")
        new = _new_image(image, overrider, where, path)
        if not path.startswith("/"):
            raise OverrideError(f"{where}: predicate.path {path!r} must start with '/'", path=path)
        patch_document(obj, "replace", path, new, where)
        return
    prefix, containers = _containers(obj, where)
    for index, container in enumerate(containers):
        path = f"{prefix}/containers/{index}/image"
        container["image"] = _new_image(container.get("image"), overrider, where, path)


_INT32 = re.compile(r"[+-]?[0-9]+")


def _image_at(obj: dict, path: str, where: str) -> Any:
    """The value an image predicate path points at, found the way Karmada walks it: maps by key; a list
    consumes the next segment as its index and must hold an object there."""
    segments = path.strip("/").split("/")
    node: dict = obj
    position = 0
    while position < len(segments) - 1:
        value = node.get(segments[position])
        if isinstance(value, dict):
            node = value
        elif isinstance(value, list):
            index_text = segments[position + 1]
            if not _INT32.fullmatch(index_text) or not -(2**31) <= int(index_text) < 2**31:
                raise OverrideError(f"{where}: {index_text!r} is not a list index", path=path)
            index = int(index_text)
            if not 0 <= index < len(value) or not isinstance(value[index], dict):
                raise OverrideError(
                    f"{where}: {segments[position]} has no object at index {index}", path=path
                )
            node = value[index]
            position += 1
        else:
            raise OverrideError(f"{where}: {segments[position]!r} is not an object or a list", path=path)
        position += 1
    image = node.get(segments[-1])
    if not isinstance(image, str):
        raise OverrideError(f"{where}: no image string at {segments[-1]!r}", path=path)
    return image


def _override_command_args(obj: dict, overrider: dict, field: str, where: str) -> None:
    name, operator = overrider.get("containerName"), overrider.get("operator")
    values = [str(v) for v in overrider.get("value") or ()]
    prefix, containers = _containers(obj, where)
    for index, container in enumerate(containers):
        if container.get("name") != name:
            continue
        path = f"{prefix}/containers/{index}/{field}"
        current = container.get(field)
        if current is None:
            current = []
        elif not isinstance(current, list) or not all(isinstance(v, str) for v in current):
            raise OverrideError(f"{where}: {path} is not a list of strings", path=path)
        if operator == "add":
            container[field] = [*current, *values]
        elif operator == "remove":
            dropped = set(values)
            container[field] = [v for v in current if v not in dropped]
        else:  # Karmada ignores other operators but still writes the field back
            container[field] = list(current)


def _override_metadata_map(obj: dict, overrider: dict, field: str, where: str) -> None:
    operator, values = overrider.get("operator"), overrider.get("value") or {}
    if not values:
        return
    path = f"/metadata/{field}"
    if operator not in OPERATORS:
        raise OverrideError(f"{where}: unsupported operator {operator!r}", path=path)
    metadata = obj.get("metadata")
    if operator == "add" and metadata is None:
        metadata = obj["metadata"] = {}
    if not isinstance(metadata, dict):
        raise OverrideError(f"{where}: /metadata is not an object", path="/metadata")
    current = metadata.get(field)
    if operator == "add" and current is None:
        current = metadata[field] = {}
    if current is None:
        return  # nothing to replace or remove
    if not isinstance(current, dict):
        raise OverrideError(f"{where}: {path} is not an object", path=path)
    for key, value in values.items():
        if operator == "add":
            current[key] = value
        elif key in current:
            if operator == "replace":
                current[key] = value
            else:
                del current[key]


def _override_field(obj: dict, overrider: dict, where: str) -> None:
    field_path = str(overrider.get("fieldPath", ""))
    where = f"{where} fieldPath {field_path}"
    try:
        pointer = jsonpointer.JsonPointer(field_path)
        text = pointer.resolve(obj)
    except jsonpointer.JsonPointerException as error:
        raise OverrideError(f"{where}: {_reason(error)}", path=field_path) from error
    if not isinstance(text, str):
        raise OverrideError(f"{where}: the value there is not a string", path=field_path)
    yaml_operations, json_operations = overrider.get("yaml") or (), overrider.get("json") or ()
    if yaml_operations:
        try:
            document = parse_yaml(text)
        except (yaml.YAMLError, ValueError) as error:
            raise OverrideError(f"{where}: not a YAML document: {error}", path=field_path) from error
        document = _patch_each(document, yaml_operations, f"{where} yaml")
        new = yaml_text(document)
    elif json_operations:
        if text == "":
            return  # Karmada's patch library hands an empty document back unchanged
        try:
            document = parse_json(text)
        except ValueError as error:
            raise OverrideError(f"{where}: not a JSON document: {error}", path=field_path) from error
        if not isinstance(document, dict | list):
            raise OverrideError(f"{where}: the JSON document is not an object or array", path=field_path)
        document = _patch_each(document, json_operations, f"{where} json")
        new = go_json(document)
    else:
        raise OverrideError(f"{where}: needs json or yaml operations", path=field_path)
    pointer.set(obj, new)


def _patch_each(document: Any, operations: Any, where: str) -> Any:
    for index, operation in enumerate(operations):
        document = patch_document(
            document,
            operation.get("operator"),
            str(operation.get("subPath", "")),
            operation.get("value"),
            f"{where}[{index}]",
        )
    return document


_NEGATIVE_INDEX = re.compile(r"-[0-9]+")


def _with_positive_indices(document: Any, operation: str, path: str) -> str:
    """``path`` with negative array indices counted from the end, as Karmada's patch library allows
    (for ``add`` the last index may also name the position after the last element)."""
    if not re.search(r"/-[0-9]", path) or not path.startswith("/"):
        return path
    tokens = path.split("/")[1:]
    node: Any = document
    for position, raw in enumerate(tokens):
        last = position == len(tokens) - 1
        if isinstance(node, list) and _NEGATIVE_INDEX.fullmatch(raw):
            size = len(node) + (1 if last and operation == "add" else 0)
            if int(raw) >= -size:
                tokens[position] = raw = str(int(raw) + size)
        if last:
            break
        key = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            break
    return "/" + "/".join(tokens)


def patch_document(document: Any, operation: Any, path: str, value: Any, where: str) -> Any:
    """``document`` after one RFC 6902 add / remove / replace (edited in place where possible)."""
    if operation not in OPERATORS:
        raise OverrideError(f"{where}: unsupported operator {operation!r} at {path}", path=path)
    step: dict[str, Any] = {"op": operation, "path": _with_positive_indices(document, operation, path)}
    if operation != "remove":
        step["value"] = json_copy(value)  # never share the policy's objects with the manifest
    try:
        return jsonpatch.JsonPatch([step]).apply(document, in_place=True)
    except (
        jsonpatch.JsonPatchException,
        jsonpointer.JsonPointerException,
        TypeError,
        ValueError,
        KeyError,
        IndexError,
    ) as error:
        raise OverrideError(f"{where}: cannot {operation} {path}: {_reason(error)}", path=path) from error


_NOT_FOUND = re.compile(r"member '(.*?)' not found in ", re.DOTALL)
REASON_LIMIT = 200


def _reason(error: Exception) -> str:
    """The patch library's complaint, without the copy of the document it likes to include."""
    text = str(error)
    if match := _NOT_FOUND.match(text):
        return f"member {match.group(1)!r} not found"
    return text if len(text) <= REASON_LIMIT else text[:REASON_LIMIT] + "…"
