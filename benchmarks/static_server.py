"""A minimal aiohttp server that serves one file's bytes at /metrics the way the exporter serves its
exposition (the same slices), and nothing else: the floor a plain scrape of that size has on this machine.

    python benchmarks/static_server.py PORT FILE
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web

from eocexporter.server import SEND_SLICE


def app_for(body: bytes) -> web.Application:
    async def metrics(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
        response.content_length = len(body)
        await response.prepare(request)
        view = memoryview(body)
        for start in range(0, len(body), SEND_SLICE):
            await response.write(view[start : start + SEND_SLICE])
        await response.write_eof()
        return response

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    return app


if __name__ == "__main__":
    web.run_app(app_for(Path(sys.argv[2]).read_bytes()), host="127.0.0.1", port=int(sys.argv[1]), print=None)
