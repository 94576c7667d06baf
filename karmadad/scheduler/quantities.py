"""Exact Kubernetes quantities, rounded the way ``resource.Quantity`` rounds.

Why not ``karmadad.quantity.parse_quantity``: it returns a float, and the estimator needs
``Quantity.Value()`` / ``MilliValue()`` exactly (both round *up*); with floats ``0.1`` cores
becomes 100.00000000000001 milli-cores and rounds up to 101.  Parsing happens once per cluster
snapshot and once per distinct request (cached), so the exact arithmetic costs nothing per binding.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}


@lru_cache(maxsize=4096)
def _parse_text(text: str) -> Fraction:
    text = text.strip()
    if text[-2:] in _BINARY:
        return Fraction(text[:-2]) * _BINARY[text[-2:]]
    if text[-1:] in _DECIMAL:
        # "1E" is exa, "1e3" is an exponent: a suffix letter directly after a digit with nothing after it.
        return Fraction(text[:-1]) * _DECIMAL[text[-1:]]
    return Fraction(text)


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
