"""Kubernetes resource quantities ("500m", "2Gi", "110") as numbers and back."""

from __future__ import annotations

import re
from fractions import Fraction
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
    match = _QUANTITY_RE.fullmatch(value.strip())
    if match is None:
        return None
    number = Fraction(match["number"])
    suffix = match["suffix"] or ""
    if suffix[:1] in ("e", "E"):
        return number * Fraction(10) ** int(Fraction(suffix[1:]))
    return number * _SUFFIXES[suffix]
