"""A memo for pure checks of short texts (names, label keys and values, port names): the same few come
in request after request, so their verdicts are kept; a long text is checked afresh each time, so no
client can pin large strings in memory through the memo."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps
from typing import TypeVar

T = TypeVar("T")

SHORT = 256  # characters: longer than any valid name, key or value these checks see


def short_text_cache(check: Callable[[str], T], size: int = 8192) -> Callable[[str], T]:
    """``check`` with its verdicts on texts of up to :data:`SHORT` characters kept (the last ``size``)."""
    cached = lru_cache(maxsize=size)(check)

    @wraps(check)
    def checked(text: str) -> T:
        return cached(text) if len(text) <= SHORT else check(text)

    return checked
