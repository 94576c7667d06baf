"""The status page as HTML: the summary rendered on the server, every string escaped, CSS and script inline.

Why rendered here rather than in the browser: one renderer (this one) decides how each string reaches the
page, with :func:`html.escape` on every text and attribute, so an object name, a label or a message such as
``<script>`` is shown as text, never run. The script only asks for the sections again
(``status.html``) and swaps them in when the store's revision moved, and turns timestamps into ages; it
never builds markup from data. The page carries no external asset (no CDN, no font, no image), so it works
on an air-gapped management VM, and its Content-Security-Policy (see :func:`content_security_policy`)
allows exactly the inline style and script below and requests to the page's own origin.

Layout: tables become one card per row on narrow screens (a phone held upright), and long names and
messages wrap anywhere, so nothing widens the page beyond the window.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Iterable
from html import escape

from karmadad.status_page.summary import (
    ClusterSummary,
    Condition,
    EventSummary,
    StatusSummary,
    TemplateSummary,
    Usage,
)

STYLE = """
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #656d76;
  --line: #d0d7de; --card: #f6f8fa; }
@media (prefers-color-scheme: dark) { :root { --ok: #3fb950; --bad: #f85149; --warn: #d29922;
  --muted: #8b949e; --line: #30363d; --card: #161b22; } }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { display: flex; flex-wrap: wrap; gap: .25rem 1rem; align-items: baseline; padding: .75rem 1rem;
  border-bottom: 1px solid var(--line); }
h1 { font-size: 1.25rem; margin: 0; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0; }
main { padding: 0 1rem 2rem; max-width: 90rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
th { font-size: .85em; color: var(--muted); }
td { overflow-wrap: break-word; }
h3, p, li, code { overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
code { font-size: .9em; }
meter { display: block; width: 6rem; height: .6rem; }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-size: .85em; font-weight: 600;
  color: #fff; background: var(--muted); white-space: nowrap; }
.badge.ok { background: var(--ok); } .badge.bad { background: var(--bad); }
.badge.warn { background: var(--warn); }
.tag { display: inline-block; padding: 0 .35rem; border: 1px solid var(--line); border-radius: .25rem;
  font-size: .8em; color: var(--muted); }
.muted, .meta { color: var(--muted); }
.why { color: var(--bad); margin: .35rem 0 0; }
.totals { margin: .75rem 0 0; }
.template { border: 1px solid var(--line); border-left: 4px solid var(--ok); border-radius: .4rem;
  padding: .5rem .75rem; margin: .5rem 0; background: var(--card); }
.template.unplaced { border-left-color: var(--bad); }
.template.waiting, .template.deleting { border-left-color: var(--warn); }
.template p { margin: .25rem 0 0; }
.targets { display: flex; flex-wrap: wrap; gap: .35rem; list-style: none; padding: 0; margin: .35rem 0 0; }
.targets li { border: 1px solid var(--line); border-radius: .3rem; padding: .1rem .45rem; }
.live.bad { color: var(--bad); font-weight: 600; }
@media (max-width: 640px) {
  main, header { padding-left: .6rem; padding-right: .6rem; }
  thead { display: none; }
  table, tbody, tr, td { display: block; width: 100%; }
  tr { border: 1px solid var(--line); border-radius: .4rem; margin: .5rem 0; padding: .25rem .5rem;
    background: var(--card); }
  td { border: 0; padding: .15rem 0 .15rem 6.5rem; position: relative; min-height: 1.6rem;
    overflow-wrap: anywhere; }
  meter { display: inline-block; vertical-align: middle; margin-left: .5rem; width: 5rem; }
  td::before { content: attr(data-label); position: absolute; left: 0; width: 6rem; color: var(--muted);
    font-size: .85em; font-weight: 600; }
}
"""

# Polls the sections every 2 s (an answer of 204 means the store has not moved), swaps them in when they
# changed, and keeps the ages current against the server's clock (the browser's may be off).
SCRIPT = """
"use strict";
(() => {
  const main = document.getElementById("status");
  const live = document.getElementById("live");
  let skew = Number(main.dataset.now) - Date.now() / 1000;
  const age = (seconds) => {
    const s = Math.max(0, Math.floor(seconds));
    if (s < 120) return s + "s";
    if (s < 3 * 3600) return Math.floor(s / 60) + "m";
    if (s < 48 * 3600) return Math.floor(s / 3600) + "h";
    return Math.floor(s / 86400) + "d";
  };
  const tick = () => {
    const now = Date.now() / 1000 + skew;
    for (const t of main.querySelectorAll("time[data-at]")) t.textContent = age(now - Number(t.dataset.at));
  };
  const clock = () => new Date().toLocaleTimeString();
  const poll = async () => {
    try {
      const since = encodeURIComponent(main.dataset.revision);
      const answer = await fetch("status.html?since=" + since, {cache: "no-store"});
      if (answer.status === 200) {
        const text = await answer.text();
        main.dataset.revision = answer.headers.get("X-Store-Revision");
        skew = Number(answer.headers.get("X-Server-Time")) - Date.now() / 1000;
        main.innerHTML = text;
        tick();
      } else if (answer.status !== 204) {
        throw new Error("HTTP " + answer.status);
      }
      live.className = "live ok";
      live.textContent = "live · checked " + clock();
    } catch (error) {
      live.className = "live bad";
      live.textContent = "karmadad is not answering (" + error.message + "); showing what it said last";
    }
    setTimeout(poll, 2000);
  };
  setInterval(tick, 1000);
  poll();
})();
"""


def _source_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def content_security_policy() -> str:
    """Only the page's own inline style and script run, and it talks to its own origin only: defence in
    depth should an unescaped string ever reach the markup."""
    return (
        f"default-src 'none'; style-src {_source_hash(STYLE)}; script-src {_source_hash(SCRIPT)}; "
        "connect-src 'self'; img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def age(seconds: float) -> str:
    """How long ago, as kubectl prints ages: 45s, 7m, 5h, 3d (the script formats the same way)."""
    s = max(0, int(seconds))
    if s < 120:
        return f"{s}s"
    if s < 3 * 3600:
        return f"{s // 60}m"
    if s < 48 * 3600:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def _moment(at: float | None, now: float) -> str:
    if at is None:
        return '<span class="muted">—</span>'
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
    return f'<time datetime="{stamp}" title="{stamp}" data-at="{at:.0f}">{age(now - at)}</time>'


def _cell(label: str, content: str) -> str:
    return f'<td data-label="{escape(label)}">{content}</td>'


def _table(headings: Iterable[str], rows: Iterable[str], empty: str) -> str:
    body = "".join(rows)
    if not body:
        return f'<p class="muted">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _ready(cluster: ClusterSummary) -> str:
    """Ready or not; when not, Karmada's reason and message for it (why the member is unusable)."""
    ready = cluster.ready
    if ready is None:
        return '<span class="badge warn">Unknown</span> <span class="muted">not probed yet</span>'
    if ready.status == "True" and not cluster.deleting:
        return '<span class="badge ok">Ready</span>'
    label = "Deleting" if cluster.deleting else "NotReady" if ready.status == "False" else "Unknown"
    badge = f'<span class="badge {"warn" if cluster.deleting else "bad"}">{label}</span>'
    why = ": ".join(part for part in (ready.reason, ready.message) if part)
    return f'{badge}<p class="why">{escape(why)}</p>' if why and ready.status != "True" else badge


def _usage(usage: Usage) -> str:
    if not usage.allocatable:
        return '<span class="muted">—</span>'
    meter = ""
    if usage.share is not None:
        meter = f'<meter min="0" max="1" low="0.7" high="0.9" optimum="0" value="{min(usage.share, 1.0):.3f}"></meter>'
    return f"{escape(usage.allocated)} / {escape(usage.allocatable)}{meter}"


def _cluster_row(cluster: ClusterSummary) -> str:
    name = f"<b>{escape(cluster.name)}</b>"
    if cluster.simulated:
        name += ' <span class="tag">simulated</span>'
    nodes = (
        f"{cluster.nodes_ready}/{cluster.nodes_total}"
        if cluster.nodes_ready is not None and cluster.nodes_total is not None
        else '<span class="muted">—</span>'
    )
    taints = (
        " ".join(f"<code>{escape(t)}</code>" for t in cluster.taints)
        if cluster.taints
        else '<span class="muted">none</span>'
    )
    cells = [
        _cell("Cluster", name),
        _cell("Ready", _ready(cluster)),
        _cell("Version", escape(cluster.kubernetes_version) or '<span class="muted">—</span>'),
        _cell("Nodes", nodes),
        _cell("CPU", _usage(cluster.cpu)),
        _cell("Memory", _usage(cluster.memory)),
        _cell("Pods", _usage(cluster.pods)),
        _cell("Taints", taints),
    ]
    return f'<tr data-cluster="{escape(cluster.name)}">{"".join(cells)}</tr>'


_STATE_BADGES = {
    "placed": '<span class="badge ok">placed</span>',
    "unplaced": '<span class="badge bad">not placed</span>',
    "waiting": '<span class="badge warn">waiting for the scheduler</span>',
    "deleting": '<span class="badge warn">deleting</span>',
}


def _condition(kind: str, found: Condition | None) -> str:
    if found is None:
        return f'{escape(kind)} <span class="muted">not yet</span>'
    css = {"True": "ok", "False": "bad"}.get(found.status, "warn")
    reason = f" {escape(found.reason)}" if found.reason else ""
    return f'{escape(kind)} <span class="badge {css}">{escape(found.status)}</span>{reason}'


def _targets(template: TemplateSummary) -> str:
    if not template.targets:
        return '<p class="muted">on no cluster</p>'
    items = []
    for target in template.targets:
        replicas = (
            ""
            if target.replicas is None
            else f" {target.replicas} replica{'' if target.replicas == 1 else 's'}"
        )
        report = target.health or (
            "applied" if target.applied else "not applied" if target.applied is False else ""
        )
        detail = f' <span class="muted">{escape(report)}</span>' if report else ""
        items.append(
            f'<li data-target="{escape(target.cluster)}"><b>{escape(target.cluster)}</b>{replicas}{detail}</li>'
        )
    return f'<ul class="targets">{"".join(items)}</ul>'


def _why(template: TemplateSummary, now: float) -> str:
    """The scheduler's explanation of a template it could not place: the Scheduled condition's message and
    its newest scheduling Event (shown apart only when it says something else)."""
    if template.state != "unplaced":
        return ""
    scheduled, event = template.scheduled, template.scheduling_event
    lines = []
    if scheduled is not None and scheduled.message:
        lines.append(f"<b>Why:</b> {escape(scheduled.message)}")
    if event is not None and (scheduled is None or event.message != scheduled.message):
        lines.append(
            f"<b>Latest scheduling event</b> ({escape(event.reason)}, {_moment(event.last_seen, now)} ago): "
            f"{escape(event.message)}"
        )
    elif event is not None:
        lines.append(
            f'<span class="muted">{escape(event.reason)}, {_moment(event.last_seen, now)} ago</span>'
        )
    return "".join(f'<p class="why">{line}</p>' for line in lines)


def _template(template: TemplateSummary, now: float) -> str:
    where = f"{template.namespace}/{template.name}" if template.namespace else template.name
    facts = [f"{escape(template.binding_kind)} {escape(template.binding_name)}"]
    facts.append(f"policy {escape(template.policy)}" if template.policy else "no policy")
    if template.replicas is not None:
        facts.append(f"{template.replicas} replicas")
    conditions = " · ".join(
        [_condition("Scheduled", template.scheduled), _condition("FullyApplied", template.fully_applied)]
    )
    identity = f"{template.kind}/{where}"
    return (
        f'<article class="template {template.state}" data-template="{escape(identity)}">'
        f"<h3>{_STATE_BADGES[template.state]} {escape(template.kind)} {escape(where)}</h3>"
        f'<p class="meta">{" · ".join(facts)}</p>'
        f"{_targets(template)}<p>{conditions}</p>{_why(template, now)}</article>"
    )


def _event_row(event: EventSummary, now: float) -> str:
    where = f"{event.object_namespace}/{event.object_name}" if event.object_namespace else event.object_name
    css = "bad" if event.type == "Warning" else "ok" if event.type == "Normal" else "warn"
    count = f' <span class="muted">&times;{event.count}</span>' if event.count > 1 else ""
    cells = [
        _cell("Age", _moment(event.last_seen, now)),
        _cell("Type", f'<span class="badge {css}">{escape(event.type)}</span>'),
        _cell("Reason", escape(event.reason) + count),
        _cell("Object", f"{escape(event.object_kind)} {escape(where)}"),
        _cell("Message", escape(event.message)),
    ]
    return f"<tr>{''.join(cells)}</tr>"


def render_sections(summary: StatusSummary, now: float) -> str:
    """The page's content (what the script swaps in): totals, clusters, templates, recent Events."""
    shown = len(summary.templates)
    more = summary.templates_total - shown
    totals = (
        f"{summary.clusters_ready}/{len(summary.clusters)} clusters ready · "
        f"{summary.templates_total} templates, {summary.templates_unplaced} not placed · "
        f"{summary.events_total} events · revision {summary.revision}"
    )
    clusters = _table(
        ("Cluster", "Ready", "Version", "Nodes", "CPU", "Memory", "Pods", "Taints"),
        (_cluster_row(c) for c in summary.clusters),
        "No member clusters: list them under clusters in the config file.",
    )
    templates = "".join(_template(t, now) for t in summary.templates) or (
        '<p class="muted">No template has a binding yet: apply a workload and a PropagationPolicy.</p>'
    )
    if more > 0:
        templates += f'<p class="muted">… and {more} more, placed (kubectl get rb,crb -A lists them all).</p>'
    events = _table(
        ("Age", "Type", "Reason", "Object", "Message"),
        (_event_row(e, now) for e in summary.events),
        "No Events in the last hour.",
    )
    return (
        f'<p class="totals">{totals}</p>'
        f'<section id="clusters"><h2>Clusters</h2>{clusters}</section>'
        f'<section id="templates"><h2>Templates and where they went</h2>{templates}</section>'
        f'<section id="events"><h2>Recent events</h2>{events}</section>'
    )


def render_page(summary: StatusSummary, now: float) -> str:
    """The whole page: readable as it is, and kept current by its script."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>karmadad status</title><style>{STYLE}</style></head><body>"
        '<header><h1>karmadad</h1><span id="live" class="live">loading…</span></header>'
        f'<main id="status" data-revision="{summary.revision}" data-now="{now:.0f}">'
        f"{render_sections(summary, now)}</main><script>{SCRIPT}</script></body></html>"
    )
