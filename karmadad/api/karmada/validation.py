"""Kubernetes-style field errors and the small name/value validators Karmada's webhooks rely on.

Why this module exists: admission reports every problem as a :class:`karmadad.errors.Cause` whose message
reads like a Kubernetes ``field.Error`` (``Invalid value: "x": ...``, ``Required value``, ``Unsupported
value: ...``), because users and tools match on those words. The validators follow
``k8s.io/apimachinery/pkg/util/validation`` (qualified names, label values, DNS-1123 labels) and
go-openapi's JSON pointer rule; the texts are kept close to the originals.
"""

from __future__ import annotations

from karmadad.api.field_errors import duplicate, forbidden, invalid, not_supported, render, required, too_long
from karmadad.api.name_rules import label_problems as dns1123_label_problems
from karmadad.api.name_rules import label_value_problems, qualified_name_problems
from karmadad.quantity import exact_quantity as parse_quantity  # the one exact parser; re-exported

__all__ = [
    "MAX_INT64",
    "dns1123_label_problems",
    "duplicate",
    "forbidden",
    "invalid",
    "json_pointer_problem",
    "label_value_problems",
    "not_supported",
    "parse_quantity",
    "qualified_name_problems",
    "render",
    "required",
    "too_long",
]

MAX_INT64 = 2**63 - 1


# --------------------------------------------------------------------------- names and values


def json_pointer_problem(pointer: str) -> str | None:
    """Why ``pointer`` is not a JSON pointer to go-openapi's parser (which Karmada uses), or None.

    Like that parser, only the leading ``/`` is checked: a ``~`` not followed by ``0`` or ``1`` is taken as
    it is.
    """
    if pointer and not pointer.startswith("/"):
        return 'JSON pointer must be empty or start with a "/"'
    return None


# --------------------------------------------------------------------------- quantities
