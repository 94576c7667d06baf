"""Errors as values with a home: each maps one-to-one to a Kubernetes ``Status`` response.

The store, the API strategies and the HTTP layer raise these; the HTTP layer only renders them. A
resource is named as Kubernetes names a GroupResource: ``deployments.apps``, or ``pods`` for the
core group. Messages follow kube-apiserver's wording, because clients and people match on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict


@dataclass(frozen=True)
class Cause:
    """One problem with one field (``details.causes[]``)."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def as_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "message": self.message, "field": self.field}


def split_group_resource(group_resource: str) -> tuple[str, str]:
    """``deployments.apps`` → (``apps``, ``deployments``); ``pods`` → (``""``, ``pods``)."""
    resource, _, group = group_resource.partition(".")
    return group, resource


class _About(TypedDict):
    group: str
    kind: str
    name: str


def _about(resource: str, name: str) -> _About:
    """Details of an error about one object: kube-apiserver puts the plural resource in ``kind``."""
    group, plural = split_group_resource(resource)
    return {"group": group, "kind": plural, "name": name}


class StatusError(Exception):
    code: ClassVar[int] = 500
    reason: ClassVar[str] = "InternalError"

    def __init__(
        self,
        message: str,
        *,
        group: str = "",
        kind: str = "",
        name: str = "",
        causes: Iterable[Cause] = (),
        retry_after_seconds: int | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.group = group
        self.kind = kind
        self.name = name
        self.causes = tuple(causes)
        self.retry_after_seconds = retry_after_seconds

    def status(self) -> dict[str, Any]:
        """The ``Status`` object kube-apiserver would send for this error."""
        details: dict[str, Any] = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.as_dict() for c in self.causes]
        if self.retry_after_seconds is not None:
            details["retryAfterSeconds"] = self.retry_after_seconds
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            status["details"] = details
        return status


class BadRequest(StatusError):
    code, reason = 400, "BadRequest"


class Unauthorized(StatusError):
    code, reason = 401, "Unauthorized"


class Forbidden(StatusError):
    code, reason = 403, "Forbidden"


class NotFound(StatusError):
    code, reason = 404, "NotFound"

    @classmethod
    def of(cls, resource: str, name: str) -> NotFound:
        return cls(f'{resource} "{name}" not found', **_about(resource, name))


class MethodNotAllowed(StatusError):
    code, reason = 405, "MethodNotAllowed"

    @classmethod
    def of(cls, method: str) -> MethodNotAllowed:
        return cls(f"the server does not allow this method on the requested resource ({method})")


class AlreadyExists(StatusError):
    code, reason = 409, "AlreadyExists"

    @classmethod
    def of(cls, resource: str, name: str) -> AlreadyExists:
        return cls(f'{resource} "{name}" already exists', **_about(resource, name))


class Conflict(StatusError):
    code, reason = 409, "Conflict"

    @classmethod
    def of(cls, resource: str, name: str, why: str) -> Conflict:
        return cls(f'Operation cannot be fulfilled on {resource} "{name}": {why}', **_about(resource, name))


class Expired(StatusError):
    """A resourceVersion or continue token older than the history kept (HTTP 410 Gone)."""

    code, reason = 410, "Expired"


class Invalid(StatusError):
    code, reason = 422, "Invalid"

    @classmethod
    def of(cls, kind: str, group: str, name: str, causes: Iterable[Cause]) -> Invalid:
        causes = tuple(causes)
        qualified = f"{kind}.{group}" if group else kind
        summary = "; ".join(f"{c.field}: {c.message}" if c.field else c.message for c in causes)
        if len(causes) > 1:
            summary = f"[{summary.replace('; ', ', ')}]"
        return cls(
            f'{qualified} "{name}" is invalid: {summary}', group=group, kind=kind, name=name, causes=causes
        )


class NotAcceptable(StatusError):
    code, reason = 406, "NotAcceptable"


class UnsupportedMediaType(StatusError):
    code, reason = 415, "UnsupportedMediaType"


class RequestEntityTooLarge(StatusError):
    code, reason = 413, "RequestEntityTooLarge"


class TooManyRequests(StatusError):
    code, reason = 429, "TooManyRequests"


class InternalError(StatusError):
    code, reason = 500, "InternalError"


class ServiceUnavailable(StatusError):
    code, reason = 503, "ServiceUnavailable"


class Timeout(StatusError):
    code, reason = 504, "Timeout"


_KNOWN = (BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed, AlreadyExists, Conflict, Expired,
          Invalid, NotAcceptable, UnsupportedMediaType, RequestEntityTooLarge, TooManyRequests, InternalError,
          ServiceUnavailable, Timeout)  # fmt: skip
_BY_REASON: dict[str, type[StatusError]] = {kind.reason: kind for kind in _KNOWN}
_BY_CODE: dict[int, type[StatusError]] = {}
for _kind in _KNOWN:  # the first class of each code stands for an answer without a known reason
    _BY_CODE.setdefault(_kind.code, _kind)


def from_status(code: int, answer: object) -> StatusError:
    """The error another API server's failed answer stands for: its ``Status`` read back into the class of
    the same reason (the HTTP code's when the reason is unknown or the body is no Status), so what a
    member refuses is handled as what the local store refuses."""
    status = answer if isinstance(answer, dict) else {}
    reason = status.get("reason")
    kind = _BY_REASON.get(reason) if isinstance(reason, str) else None
    kind = kind or _BY_CODE.get(code, InternalError)
    message = status.get("message")
    if not isinstance(message, str) or not message:
        message = answer.strip()[:200] if isinstance(answer, str) and answer.strip() else f"HTTP {code}"
    found = status.get("details")
    details: dict[str, Any] = found if isinstance(found, dict) else {}
    causes = [
        Cause(str(c.get("field", "")), str(c.get("message", "")), str(c.get("reason", "")))
        for c in details.get("causes") or ()
        if isinstance(c, dict)
    ]
    after = details.get("retryAfterSeconds")
    return kind(
        message,
        group=str(details.get("group", "")),
        kind=str(details.get("kind", "")),
        name=str(details.get("name", "")),
        causes=causes,
        retry_after_seconds=after if isinstance(after, int) else None,
    )
