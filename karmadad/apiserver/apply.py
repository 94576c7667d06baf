"""Server-side apply and the field ownership it runs on (``metadata.managedFields``).

A PATCH with ``application/apply-patch+yaml`` sends the fields a manager wants to own with the values it
wants them to have. :func:`server_side_apply` merges them into the live object, forgets (removes) the
fields the same manager applied last time and no longer sends, unless someone else also owns them, and
refuses with 409 when the change would overwrite a field another manager owns with a different value,
unless ``force`` moves the ownership. :func:`update_managed_fields` records ownership for every other
write (create, update, JSON/merge/strategic patch) as an ``Update`` entry, so later applies see who set
what.

Ownership is kept in Kubernetes' ``FieldsV1`` format, so kubectl and client libraries read it as from a
real cluster: ``f:<field>`` for struct fields and map keys, ``k:{"name":"nginx"}`` for items of keyed
lists (``x-kubernetes-list-type: map``), ``v:<json>`` for items of sets, and ``.`` for a list item itself.
How values merge follows the kind's schema (:mod:`karmadad.api.schemas`): structs and maps merge field
by field unless ``x-kubernetes-map-type: atomic``, lists merge only if declared ``map`` or ``set``,
everything else is replaced whole. Kinds without a schema (Karmada kinds, custom resources) are deduced:
objects merge, lists are atomic.

This is a model of structured-merge-diff, kept small: one API version per kind (no conversion between
versions), and no cap on the number of ``Update`` entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from karmadad.api import schemas
from karmadad.api.schemas import SchemaNode
from karmadad.errors import BadRequest, Cause, Conflict, Invalid
from karmadad.jsonvalue import json_copy

__all__ = [
    "fields_to_paths",
    "owners",
    "path_string",
    "paths_to_fields",
    "server_side_apply",
    "update_managed_fields",
]

Path = tuple[str, ...]

_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
# Metadata kube-apiserver never records ownership of (its "strip meta" set).
_UNTRACKED_META = frozenset(
    {
        "name",
        "namespace",
        "creationTimestamp",
        "selfLink",
        "uid",
        "clusterName",
        "generation",
        "managedFields",
        "resourceVersion",
    }
)
# Metadata the server sets itself: ignored when an apply body carries it.
_SERVER_META = frozenset(
    {
        "resourceVersion",
        "uid",
        "creationTimestamp",
        "generation",
        "selfLink",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
    }
)
# Key fields of keyed lists that Kubernetes defaults when an item leaves them out.
_KEY_DEFAULTS: Mapping[str, Any] = {"protocol": "TCP"}

_ITEM = object()  # member value of a list item (as opposed to a leaf's value)
_DROP = object()


# -- path elements --------------------------------------------------------------------------------


def _go_json(value: Any) -> str:
    """Compact JSON as Go's encoding/json writes it (integral floats without ``.0``, HTML escaped)."""
    text = json.dumps(_go_numbers(value), separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _go_numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return int(value)
    if isinstance(value, dict):
        return {key: _go_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_go_numbers(item) for item in value]
    return value


def _field_pe(name: str) -> str:
    return "f:" + name


def _value_pe(value: Any) -> str:
    return "v:" + _go_json(value)


class _KeyError(Exception):
    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.message = message
        self.reason = reason


def _key_pe(item: Any, keys: tuple[str, ...]) -> str:
    if not isinstance(item, dict):
        raise _KeyError(f"expected an object in a keyed list, got {_go_json(item)}", "FieldValueInvalid")
    key = {}
    for name in keys:
        value = item.get(name)
        if value is None:
            if name not in _KEY_DEFAULTS:
                raise _KeyError(
                    f'associative list with keys has an element that omits key field "{name}" '
                    "(and doesn't have default value)",
                    "FieldValueRequired",
                )
            value = _KEY_DEFAULTS[name]
        key[name] = value
    return "k:" + _go_json(key)


def _canonical_pe(pe: str) -> str:
    kind, sep, rest = pe.partition(":")
    if not sep:
        raise ValueError(f"invalid path element {pe!r}")
    if kind == "f":
        return pe
    if kind == "k":
        key = json.loads(rest)
        if not isinstance(key, dict):
            raise ValueError(f"invalid key path element {pe!r}")
        return "k:" + _go_json(key)
    if kind == "v":
        return _value_pe(json.loads(rest))
    if kind == "i":
        return "i:" + str(int(rest))
    raise ValueError(f"unknown path element type in {pe!r}")


def _to_string(value: Any) -> str:
    """A value as structured-merge-diff prints it in paths."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return "[" + ",".join(_to_string(item) for item in value) + "]"
    if isinstance(value, dict):
        return "".join(f"{key}={_to_string(item)}" for key, item in value.items())
    return str(value)


def _pe_string(pe: str) -> str:
    kind, _, rest = pe.partition(":")
    if kind == "f":
        return "." + rest
    if kind == "k":
        key = json.loads(rest)
        return "[" + ",".join(f"{name}={_to_string(key[name])}" for name in sorted(key)) + "]"
    if kind == "v":
        return "[=" + _to_string(json.loads(rest)) + "]"
    return "[" + rest + "]"


def path_string(path: Path) -> str:
    """A path as kube-apiserver prints it: ``.spec.template.spec.containers[name="nginx"].image``."""
    return "".join(_pe_string(pe) for pe in path)


_PE_RANK = {"f": 0, "k": 1, "v": 2, "i": 3}


def _pe_order(pe: str) -> tuple[int, int, str]:
    kind, _, rest = pe.partition(":")
    if kind == "i":
        return (3, int(rest), "")
    return (_PE_RANK.get(kind, 4), 0, rest)


def _path_order(path: Path) -> tuple[tuple[int, int, str], ...]:
    return tuple(_pe_order(pe) for pe in path)


# -- FieldsV1 -------------------------------------------------------------------------------------


def fields_to_paths(fields: Any) -> frozenset[Path]:
    """The set of paths a ``fieldsV1`` tree names (raises ``ValueError`` when it is not one)."""
    out: set[Path] = set()

    def walk(node: Any, path: Path) -> None:
        if not isinstance(node, dict):
            raise ValueError("fieldsV1 must be a tree of objects")
        if path and (not node or "." in node):
            out.add(path)
        for pe, child in node.items():
            if pe != ".":
                walk(child, (*path, _canonical_pe(pe)))

    walk(fields if fields is not None else {}, ())
    return frozenset(out)


def paths_to_fields(paths: Iterable[Path]) -> dict:
    """A ``fieldsV1`` tree for a set of paths (``.`` marks a member that also has members below)."""
    members = set(paths)
    tree: dict[str, dict] = {}
    for path in members:
        node = tree
        for pe in path:
            node = node.setdefault(pe, {})

    def render(node: dict, path: Path) -> dict:
        out: dict[str, dict] = {}
        if node and path in members:
            out["."] = {}
        for pe in sorted(node, key=_pe_order):
            out[pe] = render(node[pe], (*path, pe))
        return out

    return render(tree, ())


# -- managers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Manager:
    """Who owns a set of fields: kube-apiserver keys entries by all of these (the API version only for
    ``Update``, so that an applier keeps one entry across versions)."""

    manager: str
    operation: str
    api_version: str
    subresource: str

    @classmethod
    def of(cls, manager: str, operation: str, api_version: str, subresource: str = "") -> _Manager:
        return cls(manager, operation, api_version if operation != "Apply" else "", subresource)

    def printed(self) -> str:
        text = json.dumps(self.manager, ensure_ascii=False)
        if self.subresource:
            text += f" with subresource {json.dumps(self.subresource, ensure_ascii=False)}"
        if self.operation == "Update":
            text += f" using {self.api_version}"
        return text


@dataclass
class _Entry:
    paths: frozenset[Path]
    api_version: str
    time: str | None


def _decode_managed(entries: Any) -> dict[_Manager, _Entry]:
    """The live object's managedFields; entries that cannot be read are dropped."""
    out: dict[_Manager, _Entry] = {}
    if not isinstance(entries, list):
        return out
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("fieldsType", "FieldsV1") != "FieldsV1":
            continue
        try:
            paths = fields_to_paths(entry.get("fieldsV1"))
        except (ValueError, TypeError):
            continue
        api_version = str(entry.get("apiVersion") or "")
        key = _Manager.of(
            str(entry.get("manager") or ""),
            str(entry.get("operation") or ""),
            api_version,
            str(entry.get("subresource") or ""),
        )
        found = out.get(key)
        time = entry.get("time") if isinstance(entry.get("time"), str) else None
        if found is None:
            out[key] = _Entry(paths, api_version, time)
        else:
            found.paths = found.paths | paths
    return out


def _encode_managed(managers: Mapping[_Manager, _Entry]) -> list[dict]:
    entries = []
    for key, entry in managers.items():
        if not entry.paths:
            continue
        encoded: dict[str, Any] = {"manager": key.manager, "operation": key.operation}
        if entry.api_version:
            encoded["apiVersion"] = entry.api_version
        if entry.time:
            encoded["time"] = entry.time
        encoded["fieldsType"] = "FieldsV1"
        encoded["fieldsV1"] = paths_to_fields(entry.paths)
        if key.subresource:
            encoded["subresource"] = key.subresource
        entries.append(encoded)
    entries.sort(
        key=lambda e: (
            e["operation"],
            e.get("time") or "",
            e["manager"],
            e.get("apiVersion", ""),
            e.get("subresource", ""),
        )
    )
    return entries


def _set_managed(obj: dict, managers: Mapping[_Manager, _Entry]) -> dict:
    encoded = _encode_managed(managers)
    meta = obj.get("metadata")
    meta = dict(meta) if isinstance(meta, dict) else {}
    if encoded:
        meta["managedFields"] = encoded
    else:
        meta.pop("managedFields", None)
    obj["metadata"] = meta
    return obj


# -- walking values by schema ---------------------------------------------------------------------


def _child(node: SchemaNode | None, key: str, path: Path) -> SchemaNode | None:
    found = node.field(key) if node is not None else None
    if key == "metadata" and not path and (found is None or not found.is_struct):
        # Kinds without a full schema (Karmada kinds, CRDs) still have standard object metadata.
        return SchemaNode({"$ref": "#/$defs/" + _OBJECT_META})
    return found


def _shape(value: Any, node: SchemaNode | None) -> str:
    """How server-side apply treats a value here: ``map`` (field by field), ``assoc`` (keyed list),
    ``set`` or ``leaf`` (owned and replaced whole)."""
    if isinstance(value, dict):
        if node is not None and node.map_type == "atomic":
            return "leaf"
        return "map"
    if isinstance(value, list) and node is not None:
        list_type = node.list_type
        if list_type == "map" and node.list_map_keys:
            return "assoc"
        if list_type == "set":
            return "set"
    return "leaf"


def _items_node(node: SchemaNode | None) -> SchemaNode | None:
    return node.items() if node is not None else None


class _MembersError(Exception):
    def __init__(self, path: Path, message: str, reason: str):
        super().__init__(message)
        self.path = path
        self.message = message
        self.reason = reason


def _members(value: Any, node: SchemaNode | None, *, strict: bool) -> dict[Path, Any]:
    """Every owned-able path in a value → its value (leaves) or ``_ITEM`` (list items).

    ``strict`` (an applied body): keyed lists must have their keys and no duplicates. Otherwise (a live
    object) such items are skipped.
    """
    out: dict[Path, Any] = {}

    def walk(value: Any, node: SchemaNode | None, path: Path) -> None:
        shape = _shape(value, node)
        if shape == "map":
            if not value:
                out[path] = value
                return
            for key, item in value.items():
                walk(item, _child(node, key, path), (*path, _field_pe(key)))
        elif shape == "assoc":
            if not value:
                out[path] = value
                return
            items = _items_node(node)
            keys = node.list_map_keys if node is not None else ()
            for item in value:
                try:
                    pe = _key_pe(item, keys)
                except _KeyError as exc:
                    if strict:
                        raise _MembersError(path, exc.message, exc.reason) from None
                    continue
                item_path = (*path, pe)
                if item_path in out:
                    if strict:
                        raise _MembersError(
                            path, f"duplicate entries for key {_pe_string(pe)}", "FieldValueDuplicate"
                        )
                    continue
                out[item_path] = _ITEM
                for key, field in item.items():
                    walk(field, _child(items, key, item_path), (*item_path, _field_pe(key)))
        elif shape == "set":
            if not value:
                out[path] = value
                return
            for item in value:
                item_path = (*path, _value_pe(item))
                if item_path in out and strict:
                    raise _MembersError(
                        path, f"duplicate entries for value {_to_string(item)}", "FieldValueDuplicate"
                    )
                out[item_path] = _ITEM
        else:
            out[path] = value

    walk(value, node, ())
    out.pop((), None)
    return out


def _tracked(path: Path, subresource: str) -> bool:
    """Whether ownership of ``path`` is recorded (kube-apiserver leaves out type and system metadata,
    and the status of the main resource / everything but status on the status subresource)."""
    head = path[0]
    if subresource == "status":
        return head == "f:status"
    if head in ("f:apiVersion", "f:kind", "f:status"):
        return False
    if head == "f:metadata":
        return len(path) > 1 and path[1][2:] not in _UNTRACKED_META
    return True


def _view(obj: Mapping[str, Any] | None, subresource: str) -> dict:
    """The part of an object whose fields are tracked (a shallow view, not a copy)."""
    if not obj:
        return {}
    if subresource == "status":
        return {"status": obj["status"]} if "status" in obj else {}
    view = {key: value for key, value in obj.items() if key not in ("apiVersion", "kind", "status")}
    meta = view.get("metadata")
    if isinstance(meta, dict):
        view["metadata"] = {key: value for key, value in meta.items() if key not in _UNTRACKED_META}
    return view


def _tracked_members(obj: Mapping[str, Any] | None, node: SchemaNode | None, subresource: str) -> dict:
    members = _members(_view(obj, subresource), node, strict=False)
    return {path: value for path, value in members.items() if _tracked(path, subresource)}


def _json_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return type(left) is type(right) and left == right
    if isinstance(left, dict):
        return (
            isinstance(right, dict)
            and left.keys() == right.keys()
            and all(_json_equal(value, right[key]) for key, value in left.items())
        )
    if isinstance(left, list):
        return (
            isinstance(right, list)
            and len(left) == len(right)
            and all(_json_equal(a, b) for a, b in zip(left, right, strict=True))
        )
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and left == right


@dataclass
class _Comparison:
    added: set[Path]
    modified: set[Path]
    removed: set[Path]


def _compare(before: Mapping[Path, Any], after: Mapping[Path, Any]) -> _Comparison:
    added = after.keys() - before.keys()
    removed = before.keys() - after.keys()
    modified = {
        path
        for path in after.keys() & before.keys()
        if after[path] is not _ITEM and not _json_equal(after[path], before[path])
    }
    return _Comparison(set(added), modified, set(removed))


# -- merging --------------------------------------------------------------------------------------


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _strip_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_strip_nulls(item) for item in value]
    return value


def _merge(live: Any, applied: Any, node: SchemaNode | None, path: Path) -> Any:
    """Merge an applied value into a live one (both private copies): the applied value wins."""
    shape = _shape(applied, node)
    if shape == "map":
        if not isinstance(live, dict) or _shape(live, node) != "map":
            live = {}
        for key, value in applied.items():
            if value is None:  # applying null clears the field
                live.pop(key, None)
            else:
                live[key] = _merge(live.get(key), value, _child(node, key, path), (*path, _field_pe(key)))
        return live
    if shape in ("assoc", "set"):
        if not isinstance(live, list):
            live = []
        return _merge_list(live, applied, node, shape, path)
    return _strip_nulls(applied)


def _item_ids(values: list, node: SchemaNode | None, shape: str) -> list[Any]:
    """Identities of list items; items without a usable key get one of their own."""
    keys = node.list_map_keys if node is not None else ()
    ids: list[Any] = []
    for item in values:
        if shape == "set":
            ids.append(_value_pe(item))
            continue
        try:
            ids.append(_key_pe(item, keys))
        except _KeyError:
            ids.append(object())
    return ids


def _merge_list(live: list, applied: list, node: SchemaNode | None, shape: str, path: Path) -> list:
    """Merge keyed lists or sets in structured-merge-diff's order: the applied items in the applied
    order, live-only items kept near the live items they followed."""
    items = _items_node(node)
    live_ids = _item_ids(live, node, shape)
    applied_ids = _item_ids(applied, node, shape)

    def merged(live_item: Any, applied_item: Any, item_id: Any) -> Any:
        if shape == "set":
            return applied_item
        return _merge(live_item, applied_item, items, (*path, item_id))

    in_applied = set(applied_ids)
    first_live: dict[Any, int] = {}
    for index, item_id in enumerate(live_ids):
        first_live.setdefault(item_id, index)
    shared = [item_id for item_id in applied_ids if item_id in first_live]
    shared_at = 0
    done: set[Any] = set()
    out: list = []
    at_live, at_applied = 0, 0
    while at_live < len(live) or at_applied < len(applied):
        next_shared = shared[shared_at] if shared_at < len(shared) else None
        if at_live < len(live) and at_applied < len(applied):
            live_id = live_ids[at_live]
            if live_id == applied_ids[at_applied]:
                done.add(live_id)
                out.append(merged(live[at_live], applied[at_applied], live_id))
                at_live += 1
                at_applied += 1
                shared_at += 1
                continue
            if live_id in in_applied and next_shared is not None and next_shared != live_id:
                at_live += 1  # shared, but its turn comes with the applied order
                continue
        if at_live < len(live):
            live_id = live_ids[at_live]
            if live_id not in in_applied:
                out.append(live[at_live])
                at_live += 1
                continue
            if live_id in done:
                at_live += 1
        if at_applied < len(applied):
            applied_id = applied_ids[at_applied]
            done.add(applied_id)
            live_index = first_live.get(applied_id)
            out.append(
                merged(live[live_index] if live_index is not None else None, applied[at_applied], applied_id)
            )
            at_applied += 1
            if next_shared is not None and next_shared == applied_id:
                shared_at += 1
    return out


# -- pruning what the applier dropped -------------------------------------------------------------


@dataclass
class _Prune:
    last: frozenset[Path]  # what the applier applied last time
    covered: frozenset[Path]  # those paths and all their ancestors
    owned: frozenset[Path]  # what someone (the applier now, or another manager) owns


def _ancestors(paths: Iterable[Path]) -> frozenset[Path]:
    out: set[Path] = set()
    for path in paths:
        for end in range(1, len(path) + 1):
            out.add(path[:end])
    return frozenset(out)


def _prune(value: Any, node: SchemaNode | None, path: Path, ctx: _Prune) -> Any:
    """Remove the fields the applier applied last time, sends no more, and nobody else owns."""
    if path and path not in ctx.covered:
        return value
    shape = _shape(value, node)
    if shape == "map":
        out = {}
        for key, item in value.items():
            kept = _prune(item, _child(node, key, path), (*path, _field_pe(key)), ctx)
            if kept is not _DROP:
                out[key] = kept
        if out or not path or path in ctx.owned:
            return out
        return _DROP
    if shape == "assoc":
        items = _items_node(node)
        keys = node.list_map_keys if node is not None else ()
        kept_items = []
        for item in value:
            try:
                item_path = (*path, _key_pe(item, keys))
            except _KeyError:
                kept_items.append(item)
                continue
            if item_path not in ctx.covered:
                kept_items.append(item)
                continue
            fields = {}
            for key, field in item.items():
                kept = _prune(field, _child(items, key, item_path), (*item_path, _field_pe(key)), ctx)
                if kept is not _DROP:
                    fields[key] = kept
            if fields or item_path in ctx.owned:
                # an item that stays keeps its key fields
                kept_items.append({key: item[key] for key in item if key in fields or key in keys})
        if kept_items or path in ctx.owned:
            return kept_items
        return _DROP
    if shape == "set":
        kept_items = [
            item
            for item in value
            if not ((item_path := (*path, _value_pe(item))) in ctx.last and item_path not in ctx.owned)
        ]
        if kept_items or path in ctx.owned:
            return kept_items
        return _DROP
    if path in ctx.last and path not in ctx.owned:
        return _DROP
    return value


# -- apply ----------------------------------------------------------------------------------------


def _node(api_version: str, kind: str, schema: SchemaNode | None) -> SchemaNode | None:
    return schema if schema is not None else schemas.node_for(api_version, kind)


def _without_managed(obj: Mapping[str, Any]) -> dict:
    out = json_copy(dict(obj))
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return out


def _applied_config(applied: Mapping[str, Any]) -> dict:
    """The applied body without what the server owns: status and system metadata."""
    config = json_copy(dict(applied))
    config.pop("status", None)
    meta = config.get("metadata")
    if isinstance(meta, dict):
        for key in _SERVER_META:
            meta.pop(key, None)
    elif meta is not None:
        raise BadRequest("metadata must be an object")
    return config


def _check_applied(applied: Any, api_version: str, kind: str) -> None:
    if not isinstance(applied, dict):
        raise BadRequest("an apply patch must be an object")
    meta = applied.get("metadata")
    if isinstance(meta, dict) and meta.get("managedFields") is not None:
        raise BadRequest("metadata.managedFields must be nil")
    if applied.get("apiVersion") != api_version:
        raise BadRequest(
            "Incorrect version specified in apply patch. "
            f"Specified patch version: {applied.get('apiVersion') or ''}, expected: {api_version}"
        )
    if applied.get("kind") != kind:
        raise BadRequest(
            f"Incorrect kind specified in apply patch. Specified kind: {applied.get('kind') or ''}, "
            f"expected: {kind}"
        )


def _conflict_error(conflicts: list[tuple[_Manager, Path]]) -> Conflict:
    conflicts = sorted(conflicts, key=lambda c: (c[0].manager, c[0].operation, _path_order(c[1])))
    causes = [
        Cause(path_string(path), f"conflict with {manager.printed()}", "FieldManagerConflict")
        for manager, path in conflicts
    ]
    if len(conflicts) == 1:
        manager, path = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {manager.printed()}: {path_string(path)}"
    else:
        lines: list[str] = []
        by_manager: dict[str, list[Path]] = {}
        for manager, path in conflicts:
            by_manager.setdefault(manager.printed(), []).append(path)
        for printed in sorted(by_manager):
            lines.append(f"conflicts with {printed}:")
            lines.extend(f"- {path_string(path)}" for path in by_manager[printed])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    return Conflict(message, causes=causes)


def server_side_apply(
    live: dict | None,
    applied: dict,
    *,
    manager: str,
    force: bool,
    api_version: str,
    kind: str,
    now: str,
    schema: SchemaNode | None = None,
) -> dict:
    """The object after ``manager`` applies ``applied`` to ``live`` (``None``: the object is created).

    ``schema`` overrides the built-in schema of the kind (e.g. a CRD's ``openAPIV3Schema`` wrapped in a
    :class:`SchemaNode`); without one, kinds unknown to Kubernetes are merged as deduced types. Raises
    ``Conflict`` (409) when the apply would change fields other managers own and ``force`` is false,
    ``BadRequest`` for a body kube-apiserver refuses (managedFields set, other apiVersion or kind), and
    ``Invalid`` for keyed lists with duplicate or missing keys.
    """
    if not manager:
        raise BadRequest("PATCH requests with apply content type require fieldManager")
    _check_applied(applied, api_version, kind)
    node = _node(api_version, kind, schema)
    config = _applied_config(applied)
    try:
        applied_members = _members(config, node, strict=True)
    except _MembersError as exc:
        group, _ = schemas.split_api_version(api_version)
        name = str((config.get("metadata") or {}).get("name") or "")
        field = path_string(exc.path).lstrip(".")
        raise Invalid.of(kind, group, name, [Cause(field, exc.message, exc.reason)]) from None
    applied_set = frozenset(path for path in applied_members if _tracked(path, ""))

    managers = _decode_managed((live.get("metadata") or {}).get("managedFields")) if live else {}
    me = _Manager.of(manager, "Apply", api_version)
    previous = managers.get(me)
    others = {key: entry for key, entry in managers.items() if key != me}

    result = _merge(_without_managed(live) if live else {}, config, node, ())
    result["apiVersion"] = api_version
    result["kind"] = kind
    if previous is not None and previous.paths:
        owned = set(applied_set)
        for entry in others.values():
            owned |= entry.paths
        ctx = _Prune(previous.paths, _ancestors(previous.paths), frozenset(owned))
        result = _prune(result, node, (), ctx)

    change = _compare(_tracked_members(live, node, ""), _tracked_members(result, node, ""))
    touched = change.added | change.modified
    conflicts = [(key, path) for key, entry in others.items() for path in entry.paths & touched]
    if conflicts and not force:
        raise _conflict_error(conflicts)

    updated: dict[_Manager, _Entry] = {}
    for key, entry in others.items():
        paths = entry.paths - touched if force else entry.paths
        updated[key] = _Entry(paths - change.removed, entry.api_version, entry.time)
    unchanged = live is not None and _json_equal(_without_managed(live), result)
    time = previous.time if unchanged and previous is not None else now
    updated[me] = _Entry(applied_set, api_version, time)
    return _set_managed(result, updated)


def update_managed_fields(
    old: dict | None,
    new: dict,
    *,
    manager: str,
    operation: str = "Update",
    api_version: str,
    now: str,
    subresource: str = "",
    kind: str | None = None,
    schema: SchemaNode | None = None,
) -> dict:
    """``new`` (a copy) with managedFields recording that ``manager`` wrote it over ``old``.

    The manager takes ownership of every field it added or changed (from whoever owned it: updates
    always win), fields that disappeared are owned by nobody, and the rest keeps its owners. A write
    that changes nothing tracked leaves the entries as they were. As in kube-apiserver, managedFields
    sent in ``new`` replace the old ones when they differ (``[{}]`` clears them). ``kind`` (defaults to
    ``new["kind"]``) and ``schema`` pick how values merge, as in :func:`server_side_apply`.
    """
    kind = kind if kind is not None else str(new.get("kind") or "")
    node = _node(api_version, kind, schema)
    old_entries = (old.get("metadata") or {}).get("managedFields") if old else None
    new_entries = (new.get("metadata") or {}).get("managedFields")
    if new_entries == [{}]:
        managers: dict[_Manager, _Entry] = {}
    elif isinstance(new_entries, list) and new_entries and new_entries != old_entries:
        managers = _decode_managed(new_entries) or _decode_managed(old_entries)
    else:
        managers = _decode_managed(old_entries)

    change = _compare(_tracked_members(old, node, subresource), _tracked_members(new, node, subresource))
    taken = frozenset(change.added | change.modified)
    me = _Manager.of(manager, operation, api_version, subresource)
    updated: dict[_Manager, _Entry] = {}
    for key, entry in managers.items():
        updated[key] = _Entry(entry.paths - taken - change.removed, entry.api_version, entry.time)
    if taken:
        previous = managers.get(me)
        paths = taken | (previous.paths - change.removed if previous is not None else frozenset())
        updated[me] = _Entry(paths, api_version, now)
    return _set_managed(_without_managed(new), updated)


def owners(obj: Mapping[str, Any]) -> Iterator[tuple[str, str, frozenset[Path]]]:
    """(manager, operation, paths) of each managedFields entry of ``obj``: for tests and debugging."""
    for key, entry in _decode_managed((obj.get("metadata") or {}).get("managedFields")).items():
        yield key.manager, key.operation, entry.paths
