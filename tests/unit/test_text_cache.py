"""The memo of short-text checks: the same verdicts as the check, kept only for short texts."""

from __future__ import annotations

from karmadad.text_cache import SHORT, short_text_cache


def test_short_texts_are_checked_once_and_long_ones_every_time() -> None:
    seen: list[str] = []

    def check(text: str) -> tuple[str, ...]:
        seen.append(text)
        return ("too long",) if len(text) > 10 else ()

    checked = short_text_cache(check)
    long_text = "x" * (SHORT + 1)
    for _ in range(3):
        assert checked("web") == ()
        assert checked(long_text) == ("too long",)
    assert seen.count("web") == 1
    assert seen.count(long_text) == 3  # never held by the memo
