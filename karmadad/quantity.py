"""Kubernetes resource quantities ("500m", "2Gi", "110") as numbers and back."""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Any

# kube-apiserver's words for a value that is no quantity
QUANTITY_FORMAT = (
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)


def parse_quantity(value: str | int | float) -> float:
    """A Kubernetes quantity as a number (cpu in cores, memory in bytes). Floats, for the informers' hot
    path (every Pod's requests); :func:`exact_quantity` where rounding matters."""
    text = str(value)
    suffixes = {
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
        "Ti": 2**40,
        "Pi": 2**50,
        "Ei": 2**60,
        "n": 1e-9,
        "u": 1e-6,
        "m": 1e-3,
        "k": 1e3,
        "M": 1e6,
        "G": 1e9,
        "T": 1e12,
        "P": 1e15,
        "E": 1e18,
    }
    try:
        for suffix in sorted(suffixes, key=len, reverse=True):
            if text.endswith(suffix):
                return float(text[: -len(suffix)]) * suffixes[suffix]
        return float(text)
    except ValueError:
        raise ValueError(f"{text!r}: {QUANTITY_FORMAT}") from None


def format_quantity(name: str, amount: float) -> str:
    if name == "cpu":
        return f"{round(amount * 1000)}m" if amount != int(amount) else str(int(amount))
    if name in ("memory", "ephemeral-storage") or name.startswith("hugepages-"):
        for suffix, size in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
            if amount >= size and amount % size == 0:
                return f"{int(amount // size)}{suffix}"
    return str(int(amount)) if amount == int(amount) else str(amount)


_QUANTITY_RE = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))?"
)
_SUFFIXES: dict[str, Fraction] = {
    "": Fraction(1),
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 10**3),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
    "Ki": Fraction(2**10),
    "Mi": Fraction(2**20),
    "Gi": Fraction(2**30),
    "Ti": Fraction(2**40),
    "Pi": Fraction(2**50),
    "Ei": Fraction(2**60),
}


def is_quantity_text(text: str) -> bool:
    """Whether ``text`` is a quantity as Go's ``resource.ParseQuantity`` reads one (blanks around it are not: its
    JSON decoder trims them first)."""
    return _QUANTITY_RE.fullmatch(text) is not None


def exact_quantity(value: Any) -> Fraction | None:
    """The exact value of a Kubernetes quantity (``500m``, ``4Gi``, ``1e3``, ``2``), or None if malformed."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(value)
    if not isinstance(value, str):
        return None
    return _exact_text(value)


@lru_cache(maxsize=4096)
def _exact_text(value: str) -> Fraction | None:
    """:func:`exact_quantity` of a text, cached: the same few quantities come again and again."""
    match = _QUANTITY_RE.fullmatch(value.strip())
    if match is None:
        return None
    number = Fraction(match["number"])
    suffix = match["suffix"] or ""
    if len(suffix) > 1 and suffix[0] in "eE":
        return number * Fraction(10) ** int(Fraction(suffix[1:]))
    return number * _SUFFIXES[suffix]


_DECIMAL_SUFFIXES = {-9: "n", -6: "u", -3: "m", 0: "", 3: "k", 6: "M", 9: "G", 12: "T", 15: "P", 18: "E"}
_BINARY_SUFFIXES = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_NANO = Fraction(1, 10**9)
_MILLI = Fraction(1, 10**3)


def _round_away(amount: Fraction, step: Fraction) -> Fraction:
    """``amount`` rounded away from zero to a whole number of ``step`` (Go's ``inf.RoundUp``)."""
    steps = abs(amount) / step
    whole = steps.numerator // steps.denominator + (steps.denominator != 1)
    return whole * step * (1 if amount >= 0 else -1)


def _decimal(amount: Fraction) -> tuple[int, int]:
    """``amount`` as ``mantissa * 10**exponent``: the mantissa whole, the exponent the largest multiple of 3."""
    exponent = 0
    while amount.denominator != 1:
        amount *= 1000
        exponent -= 3
    mantissa = amount.numerator
    while mantissa and mantissa % 1000 == 0:
        mantissa //= 1000
        exponent += 3
    return mantissa, exponent


def canonical_quantity(value: Any, *, resource_list: bool = False) -> str | None:
    """See :func:`_canonical_quantity`; cached, as the same few quantities come again and again."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return _canonical_quantity(value, resource_list)


@lru_cache(maxsize=4096)
def _canonical_quantity(value: str | int | float, resource_list: bool) -> str | None:
    """What kube-apiserver writes back for a quantity it read (``"0.5"`` → ``"500m"``, ``"1024Mi"`` →
    ``"1Gi"``, ``"1000"`` → ``"1k"``), or None if ``value`` is no quantity.

    Go keeps the amount and the family of the suffix (decimal, binary or exponent) and forgets the text:
    it rounds the amount up to a whole nano (to a whole milli in a ResourceList: requests, limits,
    capacity...), then prints the largest unit that leaves a whole number."""
    match = _QUANTITY_RE.fullmatch(value.strip() if isinstance(value, str) else repr(value))
    if match is None:
        return None
    suffix = match["suffix"] or ""
    if len(suffix) > 1 and suffix[0] in "eE":
        exponent_text = suffix[1:]
        if not exponent_text.lstrip("+-").isdigit():
            return None  # Go reads a whole exponent only
        amount = Fraction(match["number"]) * Fraction(10) ** int(exponent_text)
        family = "exponent"
    else:
        amount = Fraction(match["number"]) * _SUFFIXES[suffix]
        family = "binary" if suffix.endswith("i") else "decimal"
    if amount:
        amount = _round_away(amount, _NANO)
    if resource_list and amount:
        amount = _round_away(amount, _MILLI)
    if not amount:
        return "0"
    if family == "binary" and (abs(amount) < 1024 or amount.denominator != 1):
        family = "decimal"
    if family == "binary":
        number, power = int(amount), 0
        while power < len(_BINARY_SUFFIXES) - 1 and number % 1024 == 0:
            number //= 1024
            power += 1
        return f"{number}{_BINARY_SUFFIXES[power]}"
    mantissa, exponent = _decimal(amount)
    if family == "exponent" or exponent not in _DECIMAL_SUFFIXES:
        return f"{mantissa}e{exponent}" if exponent else str(mantissa)
    return f"{mantissa}{_DECIMAL_SUFFIXES[exponent]}"
