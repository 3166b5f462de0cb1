"""The landing page at ``/``: the page an operator opens first, a status page built from the snapshot.

Per target: its state, its servers up or down, its cameras by status, each collector's state, age and last
error, and what the Parquet sink wrote and still owes. It is one self-contained HTML document (no script,
stylesheet, font or image from elsewhere: it works offline, behind any proxy) that reloads itself every
:data:`REFRESH_SECONDS`. It names no secret: target URLs cannot carry credentials (options refuse them),
and error messages are stripped of them where they are made.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from eocexporter import __version__
from eocexporter.logs import duration
from eocexporter.model import CamerasSection
from eocexporter.snapshot import CollectorRun, ExporterSnapshot, ParquetDatasetStats, TargetSnapshot

REFRESH_SECONDS = 15
DOCS_URL = "https://github.com/eocexporter/eocexporter/tree/main/docs"
# A collector whose last success is older than this many of its intervals is shown as late.
LATE_AFTER_INTERVALS = 2

_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.2em;margin:1.4em 0 .4em}h3{font-size:1em;margin:1em 0 .3em}
table{border-collapse:collapse;margin:.2em 0 .6em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f3f3f3}.num{text-align:right;white-space:nowrap}
.ok{color:#17692c;font-weight:600}.bad{color:#b3261e;font-weight:600}.warn{color:#8a5a00;font-weight:600}
.muted{color:#666}nav a{margin-right:1em}code{background:#f3f3f3;padding:0 3px}
"""


@dataclass(frozen=True, slots=True)
class PageContext:
    """What the page shows beside the snapshot: the configuration's view of things."""

    intervals: Mapping[str, float]  # collector (discovery included) -> its interval, seconds
    parquet_root: str | None  # None: the sink is off
    now: float  # unix seconds


def status_page(snapshot: ExporterSnapshot, context: PageContext) -> str:
    """The whole page."""
    targets = snapshot.targets
    up = sum(1 for target in targets if target.up)
    owned = sum(1 for target in targets if target.up is not None)
    links = "".join(
        f'<a href="/probe?target={html.escape(target.target, quote=True)}">/probe?target='
        f"{html.escape(target.target)}</a>"
        for target in targets
    )
    parquet = (
        f"writing to <code>{html.escape(context.parquet_root)}</code>" if context.parquet_root else "off"
    )
    body = "".join(_target(target, context) for target in targets) or (
        '<p class="warn">No targets configured: /metrics serves only the exporter\'s own series.</p>'
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="refresh" content="{REFRESH_SECONDS}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>eocexporter status</title><style>{_STYLE}</style></head>
<body><h1>eocexporter {html.escape(__version__)}</h1>
<p class="muted">Prometheus exporter for the Eocortex video management system. This page reloads every
{REFRESH_SECONDS} s.</p>
<nav><a href="/metrics">/metrics</a><a href="/ready">/ready</a><a href="/healthz">/healthz</a>{links}
<a href="{DOCS_URL}">documentation</a></nav>
<p>Targets: {len(targets)} configured, {_count_state(up, owned)}. Parquet: {parquet}.</p>
{body}
</body></html>
"""


def _count_state(up: int, owned: int) -> str:
    if owned == 0:
        return "none reported by this replica"
    css = "ok" if up == owned else "bad"
    return f'<span class="{css}">{up} of {owned} up</span>'


def _target(target: TargetSnapshot, context: PageContext) -> str:
    name = html.escape(target.target)
    if target.up is None:
        state = '<span class="muted">reported by another replica</span>'
    elif target.up:
        state = '<span class="ok">up</span>'
    elif not target.collectors:
        state = '<span class="muted">not polled yet</span>'
    else:
        state = '<span class="bad">down</span>'
    error = (
        f'<p>Last error: <span class="bad">{html.escape(target.last_error)}</span></p>'
        if target.last_error
        else ""
    )
    return (
        f'<section id="target-{html.escape(target.target, quote=True)}"><h2>Target {name}: {state}</h2>'
        f"{error}{_servers(target)}{_cameras(target)}{_collectors(target, context)}"
        f"{_parquet(target.parquet, context.now)}</section>\n"
    )


def _servers(target: TargetSnapshot) -> str:
    if target.topology is None:
        return ""
    polled = set(target.polled_servers)
    rows = []
    for server in target.topology.servers:
        answered = target.servers_up.get(server.server_id)
        if server.server_id not in polled and target.polled_servers:
            state = '<span class="muted">another replica</span>'
        elif answered is None:
            state = '<span class="muted">not asked yet</span>'
        else:
            state = '<span class="ok">up</span>' if answered else '<span class="bad">down</span>'
        address = f"{server.hostname}:{server.port}" if server.port else server.hostname
        main = " (main)" if server.server_id == target.topology.main_server_id else ""
        rows.append(
            f"<tr><td>{html.escape(server.name)}{main}</td><td><code>{html.escape(server.server_id)}</code></td>"
            f"<td>{html.escape(address)}</td><td>{state}</td></tr>"
        )
    down = sum(1 for answered in target.servers_up.values() if not answered)
    summary = f'<span class="bad">{down} down</span>' if down else '<span class="ok">all up</span>'
    return (
        f"<h3>Servers: {len(target.topology.servers)}, {summary}</h3>"
        "<table><tr><th>server</th><th>id</th><th>address</th><th>state</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _cameras(target: TargetSnapshot) -> str:
    cameras: dict[str, str] = {}  # camera id -> its status, as the first (current) section says
    listed: set[str] = set()
    for section in target.sections.of(CamerasSection).values():
        listed.update(camera.camera_id for camera in section.cameras)
        for status in section.statuses:
            cameras.setdefault(status.camera_id, status.status or "no status")
    if not listed:
        return ""
    by_status = Counter(cameras.values())
    unpolled = len(listed - cameras.keys())
    if unpolled:
        by_status[_UNPOLLED] = unpolled
    rows = "".join(
        f'<tr><td class="{_status_class(status)}">{html.escape(status)}</td><td class="num">{count}</td></tr>'
        for status, count in sorted(by_status.items(), key=lambda item: (-item[1], item[0]))
    )
    return f"<h3>Cameras: {len(listed)}</h3><table><tr><th>status</th><th>cameras</th></tr>{rows}</table>"


_UNPOLLED = "not polled (disabled)"


def _status_class(status: str) -> str:
    if status == _UNPOLLED:
        return "muted"
    return "ok" if status.lower() == "ok" else "bad"


def _collectors(target: TargetSnapshot, context: PageContext) -> str:
    rows = []
    for name, interval in context.intervals.items():
        run = target.collectors.get(name)
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{_run_state(run, interval, context.now)}</td>"
            f'<td class="num">{duration(interval)}</td>'
            f'<td class="num">{f"{run.duration_seconds:.2f} s" if run else ""}</td>'
            f"<td>{html.escape(run.error or '') if run else ''}</td></tr>"
        )
    return (
        "<h3>Collectors</h3><table><tr><th>collector</th><th>state</th><th>every</th>"
        "<th>last run took</th><th>last error</th></tr>" + "".join(rows) + "</table>"
    )


def _run_state(run: CollectorRun | None, interval: float, now: float) -> str:
    if run is None:
        return '<span class="muted">pending</span>'
    age = f", last success {_ago(now - run.last_success_timestamp)}" if run.last_success_timestamp else ""
    if not run.success:
        return f'<span class="bad">failing</span>{age or ", never succeeded"}'
    late = (
        run.last_success_timestamp is not None
        and now - run.last_success_timestamp > LATE_AFTER_INTERVALS * interval
    )
    return f'<span class="{"warn" if late else "ok"}">{"late" if late else "ok"}</span>{age}'


def _parquet(stats: Mapping[str, ParquetDatasetStats], now: float) -> str:
    if not stats:
        return ""
    rows = []
    for dataset, figures in stats.items():
        backlog = sum(figures.backlog.values())
        last = max(figures.last_written.values(), default=None)
        errors = figures.write_errors + figures.fetch_errors
        rows.append(
            f'<tr><td>{html.escape(dataset)}</td><td class="num">{figures.files_written}</td>'
            f'<td class="num">{figures.rows_written}</td>'
            f'<td class="num {"warn" if backlog else ""}">{backlog}</td>'
            f"<td>{_ago(now - last) if last is not None else 'nothing yet'}</td>"
            f'<td class="num {"bad" if errors else ""}">{errors}</td></tr>'
        )
    return (
        "<h3>Parquet</h3><table><tr><th>dataset</th><th>files written</th><th>rows</th>"
        "<th>backlog (intervals)</th><th>last written</th><th>errors</th></tr>" + "".join(rows) + "</table>"
    )


def _ago(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
