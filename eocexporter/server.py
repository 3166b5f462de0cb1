"""The exporter's HTTP endpoints: /metrics, /healthz, /ready and a landing page at /."""

from __future__ import annotations

import html
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

from eocexporter import __version__
from eocexporter.exporter import Exporter
from eocexporter.exposition import Exposition

EXPORTER_KEY = web.AppKey("exporter", Exporter)


def create_app(
    exporter: Exporter,
    middlewares: Iterable[Middleware] = (),
    on_prepare: Iterable[Callable[[web.Request, web.StreamResponse], Awaitable[None]]] = (),
) -> web.Application:
    """``middlewares``: e.g. the web config's authentication (eocexporter.web), outermost first;
    ``on_prepare``: what every response gets before it is sent (the web config's headers)."""
    app = web.Application(middlewares=list(middlewares))
    app.on_response_prepare.extend(on_prepare)
    app[EXPORTER_KEY] = exporter
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/probe", probe)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/ready", ready)
    app.router.add_post("/-/reload", reload)
    app.router.add_get("/", landing_page)
    return app


async def metrics(request: web.Request) -> web.StreamResponse:
    return await _serve(request, request.app[EXPORTER_KEY].exposition)


async def probe(request: web.Request) -> web.StreamResponse:
    """``/probe?target=NAME``: one target's series, for Prometheus set-ups that list each Eocortex
    installation as a scrape target (the blackbox_exporter pattern). Served from the same background data
    as /metrics; rendered once per update per target, never per scrape."""
    name = request.query.get("target")
    if not name:
        return web.Response(status=400, text="missing parameter target\n")
    exposition = await request.app[EXPORTER_KEY].target_exposition(name)
    if exposition is None:
        return web.Response(status=404, text=f"unknown target {name!r}\n")
    return await _serve(request, exposition)


# Bytes handed to the connection at a time. The whole body at once would be copied into the connection's
# buffer as far as the socket does not take it at once: tens of MB per scrape at 10,000 cameras, and the
# event loop moving them again on every partial send. In slices, each waits for the buffer to drain, so a
# scrape holds at most a slice beyond the shared exposition, and the loop serves other requests between.
# Each slice costs a wait for the GIL while a render runs: 1 MiB keeps those to ~35 per 35 MB scrape.
SEND_SLICE = 1024 * 1024


async def _serve(request: web.Request, exposition: Exposition) -> web.StreamResponse:
    gzipped = _accepts_gzip(request.headers.get("Accept-Encoding", ""))
    chunks = (exposition.gzipped,) if gzipped else exposition.chunks
    response = web.StreamResponse(
        headers={"Content-Type": exposition.content_type, "Vary": "Accept-Encoding"}
    )
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.content_length = sum(map(len, chunks))
    await response.prepare(request)
    if request.method != "HEAD":
        for chunk in chunks:
            view = memoryview(chunk)
            for start in range(0, len(chunk), SEND_SLICE):
                await response.write(view[start : start + SEND_SLICE])
    await response.write_eof()
    return response


def _accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() == "gzip":
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


async def reload(request: web.Request) -> web.Response:
    """``POST /-/reload``: read the configuration again, as SIGHUP does (and as Prometheus and
    blackbox_exporter offer). 200 when applied; 500 with the one-line error when the new configuration is
    bad, which leaves the running one in place."""
    error = await request.app[EXPORTER_KEY].reload()
    if error is not None:
        return web.Response(status=500, text=f"failed to reload config: {error}\n")
    return web.Response(text="reloaded\n")


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


async def ready(request: web.Request) -> web.Response:
    exporter = request.app[EXPORTER_KEY]
    if exporter.ready():
        return web.Response(text="ready\n")
    waiting = [
        f"{runtime.target.name}:{name}"
        for runtime in exporter.runtimes
        for name in exporter.job_names
        if name not in runtime.runs
    ]
    return web.Response(status=503, text="waiting for the first run of " + ", ".join(waiting) + "\n")


async def landing_page(request: web.Request) -> web.Response:
    exporter = request.app[EXPORTER_KEY]
    rows = []
    now = time.time()
    for runtime in exporter.runtimes:
        state = "up" if runtime.up else ("not polled yet" if not runtime.runs else "down")
        servers = len(runtime.topology.servers) if runtime.topology else 0
        runs = []
        for name in exporter.job_names:
            run = runtime.runs.get(name)
            if run is None:
                runs.append(f"{name}: pending")
            else:
                age = (
                    f", last success {now - run.last_success_timestamp:.0f}s ago"
                    if run.last_success_timestamp
                    else ""
                )
                runs.append(f"{name}: {'ok' if run.success else 'failing'}{age}")
        rows.append(
            "<tr>"
            f"<td>{html.escape(runtime.target.name)}</td>"
            f"<td>{html.escape(runtime.target.url)}</td>"
            f"<td>{state}</td><td>{servers}</td>"
            f"<td>{'<br>'.join(html.escape(r) for r in runs)}</td>"
            f"<td>{html.escape(runtime.last_error or '')}</td>"
            "</tr>"
        )
    body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>eocexporter</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;text-align:left}}</style></head>
<body><h1>eocexporter {html.escape(__version__)}</h1>
<p>Prometheus exporter for the Eocortex video management system.</p>
<ul><li><a href="/metrics">/metrics</a></li><li><a href="/healthz">/healthz</a></li>
<li><a href="/ready">/ready</a></li>
<li><code>/probe?target=NAME</code>: one target's series</li></ul>
<h2>Targets</h2>
<table><tr><th>target</th><th>main server</th><th>state</th><th>servers</th><th>collectors</th>
<th>last error</th></tr>
{"".join(rows) or '<tr><td colspan="6">no targets configured</td></tr>'}
</table></body></html>
"""
    return web.Response(text=body, content_type="text/html")


async def start_site(
    app: web.Application, host: str, port: int, ssl_context: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, int]:
    """Start serving (over TLS with ``ssl_context``); returns the runner and the port actually bound
    (useful with port 0)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=ssl_context)
    await site.start()
    sockets = site._server.sockets if site._server else []  # type: ignore[union-attr]
    bound = sockets[0].getsockname()[1] if sockets else port
    return runner, bound
