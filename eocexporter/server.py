"""The exporter's HTTP endpoints: /metrics, /probe, /healthz, /ready, /-/reload and the status page at /."""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Middleware

from eocexporter.exporter import Exporter
from eocexporter.exposition import Exposition
from eocexporter.runtime import DISCOVERY
from eocexporter.status_page import PageContext, status_page

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
        if not exporter.runtimes:
            # Nothing to wait for (docs/endpoints.md): a pod without targets is ready, and says why
            # its /metrics holds only the exporter's own series.
            return web.Response(
                text="ready: no targets configured, serving only the exporter's own metrics\n"
            )
        return web.Response(text="ready\n")
    waiting = [
        f"{runtime.target.name}:{name}"
        for runtime in exporter.runtimes
        for name in exporter.job_names
        if name not in runtime.runs
    ]
    if not waiting:
        return web.Response(status=503, text="waiting for the first exposition to be rendered\n")
    return web.Response(status=503, text="waiting for the first run of " + ", ".join(waiting) + "\n")


async def landing_page(request: web.Request) -> web.Response:
    exporter = request.app[EXPORTER_KEY]
    settings = exporter.settings
    intervals = {DISCOVERY: settings.collectors.discovery.interval}
    intervals.update((job.name, job.config.interval) for job in exporter.jobs)
    context = PageContext(intervals, settings.parquet.location, time.time())
    return web.Response(text=status_page(exporter.snapshot(), context), content_type="text/html")


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
