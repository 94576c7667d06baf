"""The field errors and name/value rules Karmada's webhooks rely on, gathered for ``karmadad.api.karmada``.

The field errors are Kubernetes' (``karmadad.api.field_errors``), the name and value rules apimachinery's
(``karmadad.api.name_rules``); what is Karmada's own here is go-openapi's JSON pointer rule and the
quantity helpers its webhooks use.
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
