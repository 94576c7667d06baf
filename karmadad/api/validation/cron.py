"""Cron schedules as kube-apiserver checks a CronJob's ``spec.schedule``: the standard five-field parser
of robfig/cron (minute, hour, day of month, month, day of week; names, ranges, steps, ``*`` and ``?``;
the ``@`` descriptors), with the error words that parser uses. Only the check lives here; running
schedules is the members' business."""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["schedule_problem", "time_zone_problem"]


@dataclass(frozen=True)
class _Field:
    low: int
    high: int
    names: dict[str, int]


_MONTHS = {
    name: number for number, name in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)
}
_DAYS = {name: number for number, name in enumerate("sun mon tue wed thu fri sat".split())}
_FIELDS = (
    _Field(0, 59, {}),
    _Field(0, 23, {}),
    _Field(1, 31, {}),
    _Field(1, 12, _MONTHS),
    _Field(0, 6, _DAYS),
)
_DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_DURATION = re.compile(r"([0-9]*(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+|0")


class _Bad(ValueError):
    pass


def _number(text: str) -> int:
    """robfig's ``mustParseInt``: Go's ``strconv.Atoi`` words, and no negatives."""
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise _Bad(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    number = int(text)
    if number < 0:
        raise _Bad(f"negative number ({number}) not allowed: {text}")
    return number


def _number_or_name(text: str, field: _Field) -> int:
    found = field.names.get(text.lower())
    return found if found is not None else _number(text)


def _check_range(expression: str, field: _Field) -> None:
    """One comma-separated part of a field: ``*``, ``a``, ``a-b``, each optionally ``/step``."""
    range_and_step = expression.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    if low_and_high[0] in ("*", "?"):
        start, end = field.low, field.high
    else:
        start = _number_or_name(low_and_high[0], field)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _number_or_name(low_and_high[1], field)
        else:
            raise _Bad(f"too many hyphens: {expression}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _number(range_and_step[1])
        if single:
            end = field.high
    else:
        raise _Bad(f"too many slashes: {expression}")
    if start < field.low:
        raise _Bad(f"beginning of range ({start}) below minimum ({field.low}): {expression}")
    if end > field.high:
        raise _Bad(f"end of range ({end}) above maximum ({field.high}): {expression}")
    if start > end:
        raise _Bad(f"beginning of range ({start}) beyond end of range ({end}): {expression}")
    if step == 0:
        raise _Bad(f"step of range should be a positive number: {expression}")


def _check(spec: str) -> None:
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        if space < 0:
            raise _Bad("invalid schedule format: runtime error: slice bounds out of range [:-1]")
        location = spec[spec.index("=") + 1 : space]
        if problem := time_zone_problem(location):
            raise _Bad(f"provided bad location {location}: {problem}")
        spec = spec[space:].strip()
    if spec.startswith("@"):
        if spec.startswith("@every "):
            duration = spec.removeprefix("@every ")
            if not _DURATION.fullmatch(duration):
                raise _Bad(f'failed to parse duration {spec}: time: invalid duration "{duration}"')
        elif spec not in _DESCRIPTORS:
            raise _Bad(f"unrecognized descriptor: {spec}")
        return
    fields = spec.split()
    if len(fields) != 5:
        raise _Bad(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    for text, field in zip(fields, _FIELDS, strict=True):
        for expression in text.split(","):
            _check_range(expression, field)


def schedule_problem(spec: str) -> str | None:
    """Why robfig/cron's standard parser refuses ``spec``, in its words; None when it parses."""
    try:
        _check(spec)
    except _Bad as problem:
        return str(problem)
    return None


def time_zone_problem(name: str) -> str | None:
    """Why Go's ``time.LoadLocation`` refuses ``name`` (an IANA zone), in its words."""
    if name in ("", "UTC"):
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        return f"unknown time zone {name}"
    return None
