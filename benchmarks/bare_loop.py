"""A bare aiohttp loop making the cycle's status requests: what any aiohttp client pays, and gets, before it
does anything with an answer (the floor the exporter's own figures are read against)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp


@asynccontextmanager
async def status_requests(
    port: int, camera_ids: list[str], concurrency: int
) -> AsyncIterator[Callable[[int], Awaitable[None]]]:
    """``requests(count)``: that many status requests of ``camera_ids`` (round robin) to the simulator at
    ``port``, ``concurrency`` at a time, on connections already up."""
    paths = [f"http://127.0.0.1:{port}/api/channels/{camera}/status" for camera in camera_ids]
    headers = {"Authorization": "Basic cm9vdDo=", "Accept": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def requests(count: int) -> None:
            pending = iter(range(count))

            async def worker() -> None:
                for index in pending:  # shared: each request is made by exactly one worker
                    async with http.get(paths[index % len(paths)]) as response:
                        await response.read()

            await asyncio.gather(*(worker() for _ in range(concurrency)))

        await requests(concurrency * 10)  # connections up
        yield requests
