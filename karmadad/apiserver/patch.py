"""The three PATCH formats kubectl and controllers send, as pure functions over JSON-like objects.

- JSON patch (RFC 6902, ``application/json-patch+json``): :func:`apply_json_patch`.
- JSON merge patch (RFC 7386, ``application/merge-patch+json``): :func:`apply_merge_patch`.
- Strategic merge patch (``application/strategic-merge-patch+json``): :func:`apply_strategic_merge_patch`,
  Kubernetes' own format for built-in kinds, steered by the patch extensions in the kind's schema (lists
  merged by a key, ``$patch`` / ``$retainKeys`` / ``$setElementOrder`` / ``$deleteFromPrimitiveList``
  directives). kubectl's client-side ``apply``, ``edit``, ``label``, ``annotate``, ``scale`` and
  ``rollout`` all send it.

None of these touch their inputs: the store hands out shared objects, so every function works on copies
and returns an object that shares nothing with its arguments. Errors are the typed ``StatusError``s of
:mod:`karmadad.errors`, with the codes kube-apiserver answers with: 400 for a body that cannot be read as
a patch, 422 for a JSON patch that does not apply, 415 for a strategic merge patch on a kind that has no
built-in schema.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable
from typing import Any

import jsonpatch
import jsonpointer

from karmadad.api import schemas
from karmadad.api.schemas import SchemaNode
from karmadad.decoding import DecodeError, check_depth, parse_json
from karmadad.errors import BadRequest, Cause, Invalid, RequestEntityTooLarge, UnsupportedMediaType
from karmadad.jsonvalue import encode, json_copy

__all__ = [
    "CUSTOM_RESOURCE_PATCH_TYPES",
    "UnsupportedMediaType",
    "apply_json_patch",
    "apply_merge_patch",
    "apply_strategic_merge_patch",
]


# The patch types kube-apiserver accepts for kinds without a Go type (custom resources).
CUSTOM_RESOURCE_PATCH_TYPES = (
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/apply-patch+yaml",
)

# kube-apiserver's limits on a JSON patch: operations per patch, and bytes its copy operations may add.
MAX_JSON_PATCH_OPERATIONS = 10_000
MAX_JSON_PATCH_COPY_BYTES = 3 * 1024 * 1024

# kube-apiserver's message for a JSON patch that does not apply (it sends no more detail than this; the
# detail goes into the Status' causes here).
_REJECTED = "the server rejected our request due to an error in our request"


def _decode(body: bytes | str | Any) -> Any:
    if isinstance(body, bytes | bytearray | memoryview | str):
        return parse_json(bytes(body) if not isinstance(body, str) else body)
    return json_copy(body)


def _go_type(value: Any) -> str:
    """How Go's encoding/json names a JSON value's type in its unmarshal errors."""
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


def _unprocessable(detail: str) -> Invalid:
    return Invalid(_REJECTED, causes=[Cause("patch", detail, "FieldValueInvalid")])


# -- JSON patch (RFC 6902) ------------------------------------------------------------------------


def _missing_key(document: Any, pointer: Any) -> bool:
    """Whether ``pointer`` names a key its (existing) parent object does not have."""
    try:
        parent, key = jsonpointer.JsonPointer(pointer).to_last(document)
    except (jsonpointer.JsonPointerException, TypeError, KeyError, IndexError):
        return False
    return isinstance(parent, dict) and isinstance(key, str) and key not in parent


def as_kube_applies(document: Any, op: dict) -> dict | None:
    """One operation as kube-apiserver's JSON patch library applies it, where that differs from RFC 6902
    (None: nothing to do). On a key missing from an existing object: ``replace`` adds it, ``copy`` copies
    null, and ``test`` passes when the expected value is null."""
    kind = op.get("op")
    if kind == "replace" and _missing_key(document, op.get("path")):
        return {**op, "op": "add"}
    if kind == "copy" and _missing_key(document, op.get("from")):
        return {"op": "add", "path": op.get("path"), "value": None}
    if kind == "test" and op.get("value") is None and _missing_key(document, op.get("path")):
        return None
    return op


def apply_json_patch(obj: dict, patch_body: bytes | str | list) -> dict:
    """Apply an RFC 6902 JSON patch to a copy of ``obj``.

    A body that is not a JSON array of objects is a 400 ``BadRequest``; operations that do not apply (a
    missing path, a failed ``test``, an unknown ``op``) are a 422 ``Invalid``, as kube-apiserver answers.
    """
    try:
        ops = _decode(patch_body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"error decoding patch: {exc}") from None
    if not isinstance(ops, list):
        raise BadRequest(f"json: cannot unmarshal {_go_type(ops)} into Go value of type jsonpatch.Patch")
    if len(ops) > MAX_JSON_PATCH_OPERATIONS:
        raise RequestEntityTooLarge(
            "Request entity too large: The allowed maximum operations in a JSON patch is "
            f"{MAX_JSON_PATCH_OPERATIONS}, got {len(ops)}"
        )
    for op in ops:
        if not isinstance(op, dict):
            raise BadRequest(
                f"json: cannot unmarshal {_go_type(op)} into Go value of type jsonpatch.Operation"
            )
    patched: Any = json_copy(obj)
    copied = 0
    for index, op in enumerate(ops):
        where = f"operation {index} ({_describe(op.get('op'))} {_describe(op.get('path'))})"
        try:
            kube_op = as_kube_applies(patched, op)
            if kube_op is None:
                continue
            source = kube_op.get("from")
            # copy is the one operation that can grow a document beyond its patch (a copy without a string
            # "from" is jsonpatch's to reject)
            if kube_op.get("op") == "copy" and isinstance(source, str):
                copied += len(encode(jsonpointer.resolve_pointer(patched, source)))
                if copied > MAX_JSON_PATCH_COPY_BYTES:
                    raise _unprocessable(
                        f"{where}: the copies of this patch add {copied} bytes, more than {MAX_JSON_PATCH_COPY_BYTES}"
                    )
            patched = jsonpatch.JsonPatch([kube_op]).apply(patched, in_place=True)
        except jsonpatch.JsonPatchTestFailed:
            raise _unprocessable(
                f"{where}: test failed: the value is not {_describe(op.get('value'))}"
            ) from None
        except (
            jsonpatch.JsonPatchException,
            jsonpointer.JsonPointerException,
            KeyError,
            IndexError,
            TypeError,
            ValueError,
            AttributeError,
        ) as exc:
            detail = str(exc)
            if detail.startswith("member ") and " not found in " in detail:
                detail = detail[: detail.index(" in ")]  # the pointer library appends the whole document
            raise _unprocessable(f"{where}: {_shorten(detail)}") from None
    if not isinstance(patched, dict):
        raise _unprocessable(f"the patched document is a JSON {_go_type(patched)}, not an object")
    try:
        check_depth(patched)
    except DecodeError as error:
        raise _unprocessable(f"the patched document: {error}") from None
    return patched


# -- JSON merge patch (RFC 7386) ------------------------------------------------------------------


def _decode_object(patch: dict | bytes | str, what: str) -> dict:
    try:
        decoded = _decode(patch)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"error decoding {what}: {exc}") from None
    if not isinstance(decoded, dict):
        raise BadRequest(
            f"error decoding {what}: json: cannot unmarshal {_go_type(decoded)} into Go value of type "
            "map[string]interface {}"
        )
    return decoded


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 MergePatch; ``target`` is a private copy and may be changed, ``patch`` is private too."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge_patch(target.get(key), value)
    return target


def apply_merge_patch(obj: dict, patch: dict | bytes | str) -> dict:
    """Apply an RFC 7386 JSON merge patch: objects merge key by key, ``null`` deletes, anything else
    (lists included) replaces."""
    return _merge_patch(json_copy(obj), _decode_object(patch, "merge patch"))


# -- strategic merge patch ------------------------------------------------------------------------

_PATCH = "$patch"
_RETAIN_KEYS = "$retainKeys"
_SET_ORDER = "$setElementOrder"
_DELETE_FROM = "$deleteFromPrimitiveList"
_BAD_PRIMITIVE_LIST = "invalid patch format of primitive list"
_BAD_RETAIN_KEYS = "invalid patch format of retainKeys"
_BAD_SET_ORDER = "invalid patch format of setElementOrder list"

_DROP = object()  # "leave this key out"


def apply_strategic_merge_patch(obj: dict, patch: dict | bytes | str, *, api_version: str, kind: str) -> dict:
    """Apply a Kubernetes strategic merge patch to a copy of ``obj``, a built-in kind.

    Kinds without a built-in schema (custom resources, Karmada kinds) get 415 ``UnsupportedMediaType``,
    as from kube-apiserver, which has no Go struct tags to steer the merge for them.
    """
    node = schemas.node_for(api_version, kind)
    if node is None:
        raise UnsupportedMediaType(
            "the body of the request was in an unknown format - accepted media types include: "
            + ", ".join(CUSTOM_RESOURCE_PATCH_TYPES)
        )
    return _smp_map(json_copy(obj), _decode_object(patch, "strategic merge patch"), node)


def _skey(value: Any) -> Hashable:
    """A hashable identity for a JSON value, equal where Go's ``==`` on decoded JSON is (1 == 1.0,
    true != 1)."""
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("num", value)
    if isinstance(value, float):
        return ("num", int(value)) if value.is_integer() else ("num", value)
    if isinstance(value, str):
        return ("str", value)
    return ("json", json.dumps(value, sort_keys=True))


def _shape(value: Any) -> str:
    if isinstance(value, dict):
        return "map"
    if isinstance(value, list):
        return "list"
    return "scalar"


def _strategies(node: SchemaNode | None) -> frozenset[str]:
    return node.patch_strategies if node is not None else frozenset()


def _directive_field(key: str, prefix: str, message: str) -> str:
    head, sep, field = key.partition("/")
    if head != prefix or not sep:
        raise BadRequest(message)
    return field


def _shorten(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(value: Any) -> str:
    return _shorten(json.dumps(value, sort_keys=True))


def _merge_key_value(item: Any, merge_key: str) -> Any:
    if not isinstance(item, dict) or merge_key not in item:
        raise BadRequest(f"map: {_describe(item)} does not contain declared merge key: {merge_key}")
    return item[merge_key]


def _smp_map(original: dict, patch: dict, node: SchemaNode | None) -> dict:
    """Merge ``patch`` into ``original``; both are private copies and are consumed."""
    if _PATCH in patch:
        directive = patch.pop(_PATCH)
        if directive == "delete":
            return {}
        if directive == "replace":
            return _smp_map({}, patch, node)
        if directive != "merge":
            raise BadRequest(f"unknown patch type: {directive!r} in map: {_describe(patch)}")

    _retain_keys(original, patch)
    _set_element_orders(original, patch, node)

    for key, value in patch.items():
        delete_list = key.startswith(_DELETE_FROM)
        if delete_list:
            key = _directive_field(key, _DELETE_FROM, _BAD_PRIMITIVE_LIST)
        child = node.field(key) if node is not None else None
        if value is None:
            original.pop(key, None)
            continue
        current = original.get(key)
        if current is None or _shape(current) != _shape(value):
            if not delete_list:
                new = _smp_new(value, child)
                if new is _DROP:
                    original.pop(key, None)
                else:
                    original[key] = new
            continue
        if isinstance(value, dict):
            if "replace" in _strategies(child):
                original[key] = _smp_map({}, value, child)
            else:
                original[key] = _smp_map(current, value, child)
        elif isinstance(value, list):
            if delete_list or "merge" in _strategies(child):
                original[key] = _smp_list(current, value, child, delete_list=delete_list)
            else:
                original[key] = _smp_new_list(value, child)
        else:
            original[key] = value
    return original


def _smp_new(value: Any, node: SchemaNode | None) -> Any:
    """A patch value for a key the original lacks (or holds a value of another shape): its directives
    are applied to nothing and its nulls dropped."""
    if isinstance(value, dict):
        if value.get(_PATCH) == "delete":
            return _DROP
        return _smp_map({}, value, node)
    if isinstance(value, list):
        if "merge" in _strategies(node):
            return _smp_list([], value, node, delete_list=False)
        return _smp_new_list(value, node)
    return value


def _smp_new_list(value: list, node: SchemaNode | None) -> list:
    """A list that replaces the original's: elements that are directives are dropped."""
    items = node.items() if node is not None else None
    out = []
    for element in value:
        if isinstance(element, dict):
            if _PATCH in element:
                continue
            out.append(_smp_map({}, element, items))
        else:
            out.append(element)
    return out


def _element_shape(*lists: list) -> str | None:
    shape = None
    for values in lists:
        for value in values:
            this = _shape(value)
            if this == "list":
                raise _unprocessable("lists of lists are not supported")
            if shape is None:
                shape = this
            elif shape != this:
                raise BadRequest(f"list element types are not identical: {_describe(lists)}")
    return shape


def _smp_list(
    original: list,
    patch: list,
    node: SchemaNode | None,
    *,
    delete_list: bool,
    live_order: list[Hashable] | None = None,
) -> list:
    """Merge two lists of a field with the ``merge`` strategy (or apply a deletion list).

    ``live_order``, when given, receives the order a following ``$setElementOrder`` compares the
    original's items by. In kube-apiserver that is the original list as the merge left it in place:
    the items that stayed, followed by as many new items as were deleted (they reuse the freed slots).
    """
    if not original and not patch:
        return original
    shape = _element_shape(original, patch)
    if shape != "map":
        if delete_list:
            gone = {_skey(value) for value in patch}
            return [value for value in original if _skey(value) not in gone]
        merged = _dedupe(original + patch)
        return _order(merged, [_skey(v) for v in patch], [_skey(v) for v in original], _skey)
    if delete_list:
        raise BadRequest(_BAD_PRIMITIVE_LIST)
    merge_key = node.patch_merge_key if node is not None else None
    if not merge_key:
        name = node.name if node is not None and node.name else "this list"
        raise BadRequest(f"cannot merge lists without merge key for {name}")
    items = node.items() if node is not None else None
    before = len(original)
    original, patch, replaced = _special_elements(original, patch, merge_key, items)

    def ident(item: Any) -> Hashable:
        return _skey(item.get(merge_key)) if isinstance(item, dict) else _skey(item)

    patch_order = [_skey(_merge_key_value(element, merge_key)) for element in patch]
    server_order = [ident(item) for item in original]
    merged = list(original)
    for wanted, element in zip(patch_order, patch, strict=True):
        for index, item in enumerate(merged):
            if isinstance(item, dict) and merge_key in item and _skey(item[merge_key]) == wanted:
                merged[index] = _smp_map(item, element, items)
                break
        else:
            merged.append(_smp_map({}, element, items))
    if live_order is not None and not replaced:
        appended = [ident(item) for item in merged[len(original) :]]
        live_order.extend(server_order + appended[: before - len(original)])
    return _order(merged, patch_order, server_order, ident)


def _special_elements(
    original: list, patch: list, merge_key: str, items: SchemaNode | None
) -> tuple[list, list, bool]:
    """Handle ``$patch`` elements of a keyed list: ``delete`` removes the original's items with that key,
    ``replace`` makes the rest of the patch the whole list; returns (original, patch without them,
    whether it was replaced)."""
    rest = []
    replace = False
    for element in patch:
        if _PATCH not in element:
            rest.append(element)
            continue
        directive = element[_PATCH]
        if directive == "delete":
            wanted = _skey(_merge_key_value(element, merge_key))
            original = [
                item
                for item in original
                if not (isinstance(item, dict) and merge_key in item and _skey(item[merge_key]) == wanted)
            ]
        elif directive == "replace":
            replace = True
        elif directive != "merge":
            raise BadRequest(f"unknown patch type: {directive!r} in map: {_describe(element)}")
    if replace:
        return [_smp_map({}, element, items) for element in rest], [], True
    return original, rest, False


def _dedupe(values: Iterable[Any]) -> list:
    seen: set[Hashable] = set()
    out = []
    for value in values:
        key = _skey(value)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


def _order(
    merged: list, patch_order: list[Hashable], server_order: list[Hashable], ident: Callable[[Any], Hashable]
) -> list:
    """Order a merged list as kube-apiserver does: the items the patch names in the patch's order, the
    others in the original's order, the two interleaved where the original orders them relative to
    each other (items new to the list come before the original's items that follow them)."""
    in_patch = set(patch_order)
    patch_items = [item for item in merged if ident(item) in in_patch]
    server_only = [item for item in merged if ident(item) not in in_patch]
    patch_items = _sort_by(patch_items, patch_order, ident)
    server_only = _sort_by(server_only, server_order, ident)
    position = _positions(server_order)
    out = []
    left, right = 0, 0
    while left < len(server_only) or right < len(patch_items):
        if right >= len(patch_items):
            out.append(server_only[left])
            left += 1
        elif left >= len(server_only):
            out.append(patch_items[right])
            right += 1
        else:
            at_left = position.get(ident(server_only[left]))
            at_right = position.get(ident(patch_items[right]))
            if at_left is not None and at_right is not None and at_left < at_right:
                out.append(server_only[left])
                left += 1
            else:
                out.append(patch_items[right])
                right += 1
    return out


def _positions(order: list[Hashable]) -> dict[Hashable, int]:
    position: dict[Hashable, int] = {}
    for index, key in enumerate(order):
        position.setdefault(key, index)
    return position


def _sort_by(values: list, order: list[Hashable], ident: Callable[[Any], Hashable]) -> list:
    position = _positions(order)
    unknown = len(order)
    return sorted(values, key=lambda value: position.get(ident(value), unknown))


def _retain_keys(original: dict, patch: dict) -> None:
    """``$retainKeys``: the original keeps only the listed keys; the patch may set no others."""
    if _RETAIN_KEYS not in patch:
        return
    retain = patch.pop(_RETAIN_KEYS)
    if not isinstance(retain, list):
        raise BadRequest(_BAD_RETAIN_KEYS)
    allowed = {key for key in retain if isinstance(key, str)}
    for key, value in patch.items():
        if value is None or key.startswith((_DELETE_FROM, _SET_ORDER)):
            continue
        if key not in allowed:
            raise BadRequest(_BAD_RETAIN_KEYS)
    for key in [key for key in original if key not in allowed]:
        del original[key]


def _set_element_orders(original: dict, patch: dict, node: SchemaNode | None) -> None:
    """``$setElementOrder/<field>``: merge the field's list now and order it as the directive says."""
    for key in [key for key in patch if key.startswith(_SET_ORDER)]:
        order = patch.pop(key)
        field = _directive_field(key, _SET_ORDER, _BAD_SET_ORDER)
        if not isinstance(order, list):
            raise BadRequest(_BAD_SET_ORDER)
        child = node.field(field) if node is not None else None
        merge_key = child.patch_merge_key if child is not None else None
        live = original.get(field)
        change = patch.get(field)
        for value in (live, change):
            if value is not None and not isinstance(value, list):
                raise BadRequest(_BAD_SET_ORDER)
        _check_order(change or [], order, merge_key)
        live_order: list[Hashable] = []
        if live is not None and change is not None:
            if "merge" in _strategies(child):
                merged = _smp_list(live, change, child, delete_list=False, live_order=live_order)
            else:
                merged = _smp_new_list(change, child)
        elif change is not None:
            merged = _smp_new(change, child)
        elif live is not None:
            merged = live
        else:
            continue
        patch.pop(field, None)

        ident: Callable[[Any], Hashable]
        if merge_key:
            for entry in order:
                _merge_key_value(entry, merge_key)

            def by_merge_key(item: Any, merge_key: str = merge_key) -> Hashable:
                return _skey(item.get(merge_key)) if isinstance(item, dict) else _skey(item)

            ident = by_merge_key
        elif all(_shape(v) == "scalar" for v in [*merged, *order]):
            ident = _skey
        else:  # a list of objects without a merge key: nothing to order by
            original[field] = merged
            continue
        server_order = live_order if live_order else [ident(e) for e in live or []]
        original[field] = _order(merged, [ident(e) for e in order], server_order, ident)


def _check_order(change: list, order: list, merge_key: str | None) -> None:
    """The patch's items must appear in the ``$setElementOrder`` list, in the same relative order."""
    if not change or not order:
        return
    items = [
        item for item in change if not (merge_key and isinstance(item, dict) and item.get(_PATCH) == "delete")
    ]
    at_item, at_order = 0, 0
    while at_item < len(items) and at_order < len(order):
        item = items[at_item]
        if isinstance(item, dict) and _PATCH in item:
            at_item += 1
            continue
        if merge_key:
            same = _skey(_merge_key_value(item, merge_key)) == _skey(
                _merge_key_value(order[at_order], merge_key)
            )
        else:
            same = _skey(item) == _skey(order[at_order])
        if same:
            at_item += 1
        at_order += 1
    if at_item < len(items):
        raise BadRequest(
            f"The order in patch list:\n{_describe(change)}\n doesn't match {_SET_ORDER} list:\n"
            f"{_describe(order)}\n"
        )
