"""Structured logging: one event per line, as ``key=value`` text or JSON, always with the component.

Operators grep and ship these lines (journald, Loki), so an event never spans lines: tracebacks are
escaped into a field. Components log through :func:`get_logger`, passing facts as keyword fields
rather than formatting them into the message; an object (or a work-queue key naming one) is written as
:func:`describe_object` words it, the same in every component, so one grep follows it through them all.

``debug`` is for karmadad's own components only. Libraries log whole requests and rows at debug (the
SQLite driver logs every statement with its parameters, every stored object and Secret among them), so
their loggers never go below info: raising the level to chase a bug must not leak credentials.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from typing import Any, Literal

_ROOT = "karmadad"
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


def describe_object(kind: str, namespace: str, name: str) -> str:
    """``Deployment shop/web``, or ``Cluster member1`` for a cluster-scoped object: how logs (and messages
    that follow them) name one object, as ``kubectl`` users read it."""
    return f"{kind} {namespace}/{name}" if namespace else f"{kind} {name}"


def _timestamp(record: logging.LogRecord) -> str:
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


def _component(record: logging.LogRecord) -> str:
    name = record.name
    return name[len(_ROOT) + 1 :] if name.startswith(_ROOT + ".") else name


def _event(record: logging.LogRecord) -> dict[str, Any]:
    event: dict[str, Any] = {
        "time": _timestamp(record),
        "level": record.levelname.lower(),
        "component": _component(record),
        "msg": record.getMessage(),
    }
    event.update((k, v) for k, v in record.__dict__.items() if k not in _RESERVED)
    if record.exc_info:
        event["error"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
    return event


def _text_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if text and not any(c in text for c in ' "=\n\t\\'):
        return text
    return json.dumps(text)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{key}={_text_value(value)}" for key, value in _event(record).items())


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_event(record), default=str)


class EventLogger(logging.LoggerAdapter):
    """``log.info("cluster ready", cluster="member1")``: keyword arguments become fields."""

    def process(self, msg: Any, kwargs: Any) -> tuple[Any, Any]:
        passthrough = {k: kwargs.pop(k) for k in ("exc_info", "stack_info", "stacklevel") if k in kwargs}
        # A field named like a LogRecord attribute (name, msg, args, ...) would make logging raise.
        fields = {(f"{k}_" if k in _RESERVED else k): v for k, v in kwargs.items()}
        return msg, {**passthrough, "extra": fields}


def get_logger(component: str) -> EventLogger:
    return EventLogger(logging.getLogger(f"{_ROOT}.{component}"), {})


def _is_ours(name: str) -> bool:
    return name == _ROOT or name.startswith(_ROOT + ".")


def _below_info_only_ours(record: logging.LogRecord) -> bool:
    """Handler filter: a library record below info is dropped even if its logger was set to debug."""
    return record.levelno >= logging.INFO or _is_ours(record.name)


def configure_logging(*, format: Literal["text", "json"], level: str, stream: Any = None) -> None:
    """(Re)configure the process-wide handler; called at start and on every config reload."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JSONFormatter() if format == "json" else TextFormatter())
    handler.addFilter(_below_info_only_ours)
    wanted = logging.getLevelName(level.upper())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    # Every library logger inherits the root's level; only karmadad's own tree may go down to debug.
    root.setLevel(max(logging.INFO, wanted))
    logging.getLogger(_ROOT).setLevel(wanted)
    # Libraries talk too much even at info; keep their warnings.
    for noisy in ("aiohttp.access", "asyncio", "kubernetes_asyncio"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, wanted))
