"""Schemas of the built-in Kubernetes kinds, and a navigator over them for the patchers.

The schemas come from the JSON-schema bundle the ``kubernetes-validate`` package ships (one
``_definitions.json`` per Kubernetes release, generated from kube-apiserver's OpenAPI). They carry the
Kubernetes extensions the patch code needs: ``x-kubernetes-patch-strategy`` and
``x-kubernetes-patch-merge-key`` (strategic merge patch), ``x-kubernetes-list-type``,
``x-kubernetes-list-map-keys`` and ``x-kubernetes-map-type`` (server-side apply), and
``x-kubernetes-group-version-kind`` (which definition is which kind).

The bundle is 1.6 MB of JSON: it is read once, on first use, and kept. Everything returned from here is
shared: callers must treat it as read-only.

Three uses:

- :func:`definition_for` / :func:`node_for`: the schema of a built-in kind, or ``None`` for kinds the
  bundle does not know (custom resources, Karmada kinds).
- :func:`definitions` / :func:`schemas_for`: definitions rewritten for an OpenAPI v3 document
  (``#/components/schemas/<name>`` references, one ``type`` per schema).
- :class:`SchemaNode`: walks a kind's schema field by field, resolving references, and answers the
  questions the patchers ask (merge key, patch strategy, list type, map or struct, ...).
"""

from __future__ import annotations

import importlib.util
import json
import re
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "PREFERRED_RELEASE",
    "SchemaNode",
    "definition",
    "definition_for",
    "definition_name",
    "definitions",
    "group_version_kinds",
    "node_for",
    "ref_name",
    "ref_of",
    "schema_release",
    "schemas_for",
    "split_api_version",
]

# The Kubernetes release whose schemas karmadad serves (the member clusters in tests run 1.36); when the
# installed kubernetes-validate lacks it, the newest bundled release is used instead.
PREFERRED_RELEASE = "v1.36.0"

_DEFS_PREFIX = "#/$defs/"
_COMPONENTS_PREFIX = "#/components/schemas/"
_RELEASE_DIR = re.compile(r"^v(\d+)\.(\d+)\.(\d+)-local$")


class _Bundle:
    """The loaded definitions and the indexes built from them."""

    def __init__(self, release: str, defs: dict[str, dict]):
        self.release = release
        self.defs = defs
        self.by_gvk: dict[tuple[str, str, str], str] = {}
        for name, schema in defs.items():
            for gvk in schema.get("x-kubernetes-group-version-kind") or ():
                key = (gvk.get("group", ""), gvk.get("version", ""), gvk.get("kind", ""))
                self.by_gvk.setdefault(key, name)
        self.openapi: dict[str, dict] = {}
        self.refs: dict[str, frozenset[str]] = {}
        self.all_openapi: dict[str, dict] | None = None


_lock = threading.Lock()
_bundle: _Bundle | None = None


def _schema_dirs() -> dict[str, Path]:
    # Locate the package without importing it: its __init__ pulls in jsonschema (~150 ms).
    spec = importlib.util.find_spec("kubernetes_validate")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the kubernetes-validate package is not installed")
    root = Path(next(iter(spec.submodule_search_locations))) / "kubernetes-json-schema"
    return {entry.name: entry for entry in root.iterdir() if _RELEASE_DIR.match(entry.name)}


def _pick_release(names: Iterable[str]) -> str:
    names = list(names)
    if not names:
        raise RuntimeError("kubernetes-validate ships no JSON schemas (kubernetes-json-schema/v*-local)")
    preferred = f"{PREFERRED_RELEASE}-local"
    if preferred in names:
        return preferred

    def version(name: str) -> tuple[int, ...]:
        match = _RELEASE_DIR.match(name)
        assert match is not None
        return tuple(int(part) for part in match.groups())

    return max(names, key=version)


def _load() -> _Bundle:
    global _bundle
    bundle = _bundle
    if bundle is not None:
        return bundle
    with _lock:
        if _bundle is None:
            dirs = _schema_dirs()
            release = _pick_release(dirs)
            document = json.loads((dirs[release] / "_definitions.json").read_bytes())
            defs = document.get("$defs") or document.get("definitions") or {}
            _bundle = _Bundle(release.removesuffix("-local"), defs)
        return _bundle


def schema_release() -> str:
    """The Kubernetes release the schemas come from, e.g. ``v1.36.0``."""
    return _load().release


def split_api_version(api_version: str) -> tuple[str, str]:
    """``apps/v1`` → (``apps``, ``v1``); ``v1`` → (``""``, ``v1``)."""
    group, _, version = api_version.rpartition("/")
    return group, version


def ref_name(ref: str) -> str:
    """The definition a ``$ref`` points at, in either the JSON-schema or the OpenAPI v3 form."""
    return ref.rpartition("/")[2]


def group_version_kinds() -> Mapping[tuple[str, str, str], str]:
    """Every built-in (group, version, kind) → the name of its definition."""
    return _load().by_gvk


def definition_name(api_version: str, kind: str) -> str | None:
    """The definition name of a built-in kind (``io.k8s.api.apps.v1.Deployment``), or ``None``."""
    group, version = split_api_version(api_version)
    return _load().by_gvk.get((group, version, kind))


def definition_for(api_version: str, kind: str) -> dict | None:
    """The schema of a built-in kind, as bundled (references in ``#/$defs/<name>`` form), or ``None``.

    ``None`` means the kind is not built into Kubernetes: a custom resource or a Karmada kind.
    """
    bundle = _load()
    name = definition_name(api_version, kind)
    return bundle.defs[name] if name is not None else None


def definition(name: str) -> dict | None:
    """The bundled definition called ``name`` (``io.k8s.api.core.v1.Container``), or ``None``."""
    return _load().defs.get(name)


def node_for(api_version: str, kind: str) -> SchemaNode | None:
    """A navigator at the root of a built-in kind's schema, or ``None`` for kinds without one."""
    schema = definition_for(api_version, kind)
    return SchemaNode(schema) if schema is not None else None


# -- OpenAPI v3 form ------------------------------------------------------------------------------


def _to_openapi(schema: Any, refs: set[str], *, top: bool = False) -> Any:
    """One definition rewritten for an OpenAPI v3 document; collects the names it references."""
    if isinstance(schema, list):
        return [_to_openapi(item, refs) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    ref = schema.get("$ref")
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str):
            continue
        if key == "properties" and isinstance(value, dict):
            props = {name: _to_openapi(sub, refs) for name, sub in value.items()}
            if top and "x-kubernetes-group-version-kind" in schema:
                # kube-apiserver's documents do not pin apiVersion/kind to one value.
                for name in ("apiVersion", "kind"):
                    if isinstance(props.get(name), dict):
                        props[name] = {k: v for k, v in props[name].items() if k != "enum"}
            out[key] = props
        elif key == "type" and isinstance(value, list):
            types = [t for t in value if t != "null"]
            out[key] = types[0] if len(types) == 1 else types
        elif key in ("items", "additionalProperties", "not"):
            out[key] = _to_openapi(value, refs)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [_to_openapi(item, refs) for item in value]
        else:
            out[key] = value
    if isinstance(ref, str):
        name = ref_name(ref)
        refs.add(name)
        target = {"$ref": _COMPONENTS_PREFIX + name}
        if not out:
            return target
        # OpenAPI 3.0 ignores siblings of $ref; Kubernetes wraps the reference in allOf to keep them.
        return {"allOf": [target], **out}
    return out


def _openapi_of(bundle: _Bundle, name: str) -> dict:
    found = bundle.openapi.get(name)
    if found is None:
        refs: set[str] = set()
        found = _to_openapi(bundle.defs[name], refs, top=True)
        bundle.openapi[name] = found
        bundle.refs[name] = frozenset(refs)
    return found


def schemas_for(names: Iterable[str]) -> dict[str, dict]:
    """The named definitions and everything they reference, in OpenAPI v3 form (shared: read-only).

    Unknown names are skipped.
    """
    bundle = _load()
    out: dict[str, dict] = {}
    pending = [name for name in names if name in bundle.defs]
    with _lock:
        while pending:
            name = pending.pop()
            if name in out:
                continue
            out[name] = _openapi_of(bundle, name)
            pending.extend(ref for ref in bundle.refs[name] if ref not in out and ref in bundle.defs)
    return out


def definitions() -> dict[str, dict]:
    """All definitions (name → schema) in OpenAPI v3 form (shared: read-only)."""
    bundle = _load()
    if bundle.all_openapi is None:
        with _lock:
            if bundle.all_openapi is None:
                bundle.all_openapi = {name: _openapi_of(bundle, name) for name in bundle.defs}
    return bundle.all_openapi


# -- navigation -----------------------------------------------------------------------------------

_NO_STRATEGIES: frozenset[str] = frozenset()


class SchemaNode:
    """A position in a schema: the schema written where a field is declared (the *site*, which may be a
    bare ``$ref`` with extensions beside it) and the definition the reference resolves to (the *target*).

    Extensions written at the site win over the target's. Fields the schema does not know give ``None``;
    callers treat those as untyped (maps merge, lists are atomic).
    """

    __slots__ = ("_site", "_target", "_types", "name")

    def __init__(self, schema: Mapping[str, Any]):
        self._site = schema
        self._types: frozenset[str] | None = None
        self.name: str | None = None
        target = schema
        seen = 0
        while True:
            ref = ref_of(target)
            if ref is None or seen > 16:
                break
            name = ref_name(ref)
            resolved = _load().defs.get(name)
            if resolved is None:
                break
            self.name = name
            target = resolved
            seen += 1
        self._target = target

    def __repr__(self) -> str:
        return f"SchemaNode({self.name or 'inline'})"

    def _get(self, key: str) -> Any:
        value = self._site.get(key)
        return value if value is not None else self._target.get(key)

    @property
    def schema_site(self) -> Mapping[str, Any]:
        """The schema as written where the field is declared (a bare ``$ref`` possibly)."""
        return self._site

    @property
    def schema(self) -> Mapping[str, Any]:
        """The resolved schema (the referenced definition, or the inline schema)."""
        return self._target

    @property
    def types(self) -> frozenset[str]:
        """The JSON types allowed here, without ``null``."""
        if self._types is None:
            declared = self._get("type")
            if declared is None:
                self._types = _NO_STRATEGIES
            elif isinstance(declared, str):
                self._types = frozenset((declared,)) - {"null"}
            else:
                self._types = frozenset(declared) - {"null"}
        return self._types

    @property
    def is_struct(self) -> bool:
        """An object with declared properties."""
        return isinstance(self._target.get("properties"), dict)

    @property
    def is_map(self) -> bool:
        """An object with arbitrary keys (``additionalProperties`` is a schema)."""
        return isinstance(self._target.get("additionalProperties"), dict)

    @property
    def is_list(self) -> bool:
        return "items" in self._target or "array" in self.types

    @property
    def is_object(self) -> bool:
        return self.is_struct or self.is_map or "object" in self.types

    def field(self, name: str) -> SchemaNode | None:
        """The schema of field ``name`` of a struct, or of any value of a map; ``None`` if unknown."""
        props = self._target.get("properties")
        if isinstance(props, dict):
            sub = props.get(name)
            if isinstance(sub, dict):
                return _node(sub)
        return self.map_values()

    def items(self) -> SchemaNode | None:
        """The schema of the items of a list."""
        sub = self._target.get("items")
        return _node(sub) if isinstance(sub, dict) else None

    def map_values(self) -> SchemaNode | None:
        """The schema of the values of a map (``additionalProperties``)."""
        sub = self._target.get("additionalProperties")
        return _node(sub) if isinstance(sub, dict) else None

    @property
    def patch_strategies(self) -> frozenset[str]:
        """``x-kubernetes-patch-strategy`` as a set, e.g. ``{"merge", "retainKeys"}``."""
        raw = self._get("x-kubernetes-patch-strategy")
        if not isinstance(raw, str) or not raw:
            return _NO_STRATEGIES
        return frozenset(part.strip() for part in raw.split(",") if part.strip())

    @property
    def patch_merge_key(self) -> str | None:
        key = self._get("x-kubernetes-patch-merge-key")
        return key if isinstance(key, str) and key else None

    @property
    def list_type(self) -> str | None:
        """``atomic``, ``set``, ``map`` or ``None`` (undeclared; server-side apply treats it as atomic)."""
        value = self._get("x-kubernetes-list-type")
        return value if isinstance(value, str) else None

    @property
    def list_map_keys(self) -> tuple[str, ...]:
        keys = self._get("x-kubernetes-list-map-keys")
        return tuple(keys) if isinstance(keys, list) else ()

    @property
    def map_type(self) -> str | None:
        """``x-kubernetes-map-type``: ``atomic``, ``granular`` or ``None``."""
        value = self._get("x-kubernetes-map-type")
        return value if isinstance(value, str) else None

    @property
    def is_atomic_object(self) -> bool:
        return self.map_type == "atomic"


# Nodes of the bundle's schemas, made once: the schemas are shared and never change, so a schema's identity
# names its node (a walk over a large object would otherwise resolve the same references again and again).
_NODES: dict[int, SchemaNode] = {}


def _node(schema: Mapping[str, Any]) -> SchemaNode:
    node = _NODES.get(id(schema))
    if node is None or node._site is not schema:
        node = _NODES[id(schema)] = SchemaNode(schema)
    return node


def ref_of(schema: Mapping[str, Any]) -> str | None:
    """The reference a schema stands for: its ``$ref``, or the one of a lone ``allOf``."""
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
        ref = all_of[0].get("$ref")
        if isinstance(ref, str):
            return ref
    return None
