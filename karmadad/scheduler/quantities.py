"""Exact Kubernetes quantities, rounded the way ``resource.Quantity`` rounds.

Parsing is :func:`karmadad.quantity.exact_quantity`, not the float ``parse_quantity``: the estimator needs
``Quantity.Value()`` / ``MilliValue()`` exactly (both round *up*), and with floats ``0.1`` cores
becomes 100.00000000000001 milli-cores and rounds up to 101.  Parsing happens once per cluster
snapshot and once per distinct request (cached), so the exact arithmetic costs nothing per binding.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from karmadad.quantity import exact_quantity


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> Fraction:
    parsed = exact_quantity(text)
    if parsed is None:
        raise ValueError(f"not a quantity: {text!r}")
    return parsed


def exact(value: object) -> Fraction:
    """The quantity as an exact fraction (cores for cpu, bytes for memory); malformed values count as 0."""
    if isinstance(value, bool) or value is None:
        return Fraction(0)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value) if math.isfinite(value) else Fraction(0)
    try:
        return _parse_text(str(value))
    except (ValueError, ZeroDivisionError):
        return Fraction(0)


def ceil_value(amount: Fraction) -> int:
    """``Quantity.Value()``: the amount rounded up to a whole unit."""
    return math.ceil(amount)


def ceil_milli(amount: Fraction) -> int:
    """``Quantity.MilliValue()``: the amount in thousandths, rounded up."""
    return math.ceil(amount * 1000)
