"""What every object's metadata and every label selector must be, as apimachinery validates them."""

from __future__ import annotations

from typing import Any

from karmadad.api.field_errors import GoStruct, forbidden, invalid, required, too_long
from karmadad.api.name_rules import label_value_problems, qualified_name_problems
from karmadad.errors import Cause
from karmadad.selectors import SelectorError, label_selector_from_struct

TOTAL_ANNOTATION_SIZE = 256 * 1024  # bytes of keys and values together
_ORPHAN, _FOREGROUND = "orphan", "foregroundDeletion"
_STANDARD_FINALIZERS = frozenset({"kubernetes", _ORPHAN, _FOREGROUND})


def label_causes(labels: Any, path: str) -> list[Cause]:
    """``ValidateLabels``: keys are qualified names, values label values; both reported at ``path``."""
    causes: list[Cause] = []
    for key, value in (labels or {}).items():
        if problems := qualified_name_problems(key):
            causes.extend(invalid(path, key, problem) for problem in problems)
        if problems := label_value_problems(value):
            causes.extend(invalid(path, value, problem) for problem in problems)
    return causes


def annotation_causes(annotations: Any, path: str) -> list[Cause]:
    """``ValidateAnnotations``: keys are qualified names in any case; 256 KiB in all."""
    annotations = annotations or {}
    causes = [
        invalid(path, key, problem) for key in annotations for problem in qualified_name_problems(key.lower())
    ]
    size = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())
    if size > TOTAL_ANNOTATION_SIZE:
        causes.append(too_long(path, TOTAL_ANNOTATION_SIZE))
    return causes


def finalizer_causes(finalizers: Any, path: str, *, core: bool = True) -> list[Cause]:
    """``ValidateFinalizers`` and (``core``: the kinds kube-apiserver's core validation covers) its rule
    that a finalizer without a domain must be a standard one."""
    finalizers = finalizers or []
    causes = [
        invalid(path, name, problem) for name in finalizers for problem in qualified_name_problems(name)
    ]
    if _ORPHAN in finalizers and _FOREGROUND in finalizers:
        causes.append(invalid(path, finalizers, f"finalizer {_ORPHAN} and {_FOREGROUND} cannot be both set"))
    causes.extend(
        invalid(
            f"{path}[{index}]", name, "name is neither a standard finalizer name nor is it fully qualified"
        )
        for index, name in enumerate(finalizers)
        if core and "/" not in name and name not in _STANDARD_FINALIZERS
    )
    return causes


def object_meta_causes(meta: dict, path: str = "metadata", *, core: bool = True) -> list[Cause]:
    """Labels, annotations and finalizers of an object (names are checked per kind by the strategy);
    ``core`` as for :func:`finalizer_causes`."""
    return [
        *label_causes(meta.get("labels"), f"{path}.labels"),
        *annotation_causes(meta.get("annotations"), f"{path}.annotations"),
        *finalizer_causes(meta.get("finalizers"), f"{path}.finalizers", core=core),
    ]


def selector_causes(selector: Any, path: str) -> list[Cause]:
    """``ValidateLabelSelector``: its labels, and each expression's operator, key and values."""
    if not isinstance(selector, dict):
        return []
    causes = label_causes(selector.get("matchLabels"), f"{path}.matchLabels")
    for index, expression in enumerate(selector.get("matchExpressions") or []):
        at = f"{path}.matchExpressions[{index}]"
        operator, values = expression.get("operator", ""), expression.get("values") or []
        if operator in ("In", "NotIn"):
            if not values:
                causes.append(
                    required(f"{at}.values", "must be specified when `operator` is 'In' or 'NotIn'")
                )
        elif operator in ("Exists", "DoesNotExist"):
            if values:
                causes.append(
                    forbidden(
                        f"{at}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
                    )
                )
        else:
            causes.append(invalid(f"{at}.operator", operator, "not a valid selector operator"))
        key = expression.get("key", "")
        causes.extend(invalid(f"{at}.key", key, problem) for problem in qualified_name_problems(key))
        for value_index, value in enumerate(values):
            causes.extend(
                invalid(f"{at}.values[{value_index}]", value, problem)
                for problem in label_value_problems(value)
            )
    return causes


def shown_selector(selector: Any) -> Any:
    """A LabelSelector as Go prints it in an error (its json tags, in declaration order)."""
    if not isinstance(selector, dict):
        return selector
    shown = GoStruct()
    if selector.get("matchLabels"):
        shown["matchLabels"] = selector["matchLabels"]
    if selector.get("matchExpressions"):
        shown["matchExpressions"] = [
            GoStruct((key, expression[key]) for key in ("key", "operator", "values") if expression.get(key))
            for expression in selector["matchExpressions"]
        ]
    return shown


def selector_matches(selector: Any, labels: Any) -> bool | None:
    """Whether a LabelSelector struct selects ``labels``; None when it is no valid selector
    (``LabelSelectorAsSelector`` fails)."""
    try:
        return label_selector_from_struct(selector).matches(labels or {})
    except SelectorError:
        return None
