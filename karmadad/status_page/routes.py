"""The status page's HTTP side, added to the ops listener: ``/`` (the page), ``/status.html`` (its sections,
which the page's script polls) and ``/status.json`` (the same summary for scripts).

Thin on purpose: the summary and the markup are pure functions (:mod:`.summary`, :mod:`.render`). What is
kept here is the one thing that needs state: the summary of the store's current revision, reused until the
store moves, so that any number of open pages polling every 2 s cost one summary per change, not one per
poll. A poll that names the revision it already shows gets ``204 No Content`` while nothing changed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from karmadad.status_page.render import content_security_policy, render_page, render_sections
from karmadad.status_page.summary import ObjectSource, StatusSummary, summarize, summary_json

# Nothing the page shows may linger in caches, be guessed into another type, or leak through a Referer; and
# markup runs only the page's own style and script.
_COMMON_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": content_security_policy(),
}


class StoreView(ObjectSource, Protocol):
    """What the page reads of the store: its committed objects and the revision they are at."""

    @property
    def revision(self) -> int: ...


class StatusPage:
    def __init__(self, store: StoreView, *, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock
        self._summary: StatusSummary | None = None

    def summary(self) -> StatusSummary:
        """The summary of the store as it is now (recomputed only when its revision moved)."""
        revision = self.store.revision
        if self._summary is None or self._summary.revision != revision:
            self._summary = summarize(self.store, revision=revision)
        return self._summary

    async def page(self, request: web.Request) -> web.Response:
        html = render_page(self.summary(), self.clock())
        return web.Response(text=html, content_type="text/html", headers=_COMMON_HEADERS)

    async def sections(self, request: web.Request) -> web.Response:
        summary, now = self.summary(), self.clock()
        headers = {
            **_COMMON_HEADERS,
            "X-Store-Revision": str(summary.revision),
            "X-Server-Time": f"{now:.0f}",
        }
        if request.query.get("since") == str(summary.revision):
            return web.Response(status=204, headers=headers)
        return web.Response(text=render_sections(summary, now), content_type="text/html", headers=headers)

    async def json(self, request: web.Request) -> web.Response:
        return web.json_response(summary_json(self.summary()), headers=_COMMON_HEADERS)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self.page),
            web.get("/status.html", self.sections),
            web.get("/status.json", self.json),
        ]
