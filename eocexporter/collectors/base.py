"""What every collector shares: the per-server call shape and payload reading that counts failures.

A collector polls one API area on one server and returns a frozen section of plain data
(``eocexporter.model``). The scheduler calls it for every server of the topology, times it, and keeps
the latest complete section per server; a collector never touches prometheus-client.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from eocexporter.client import endpoints
from eocexporter.client.errors import ApiParseError
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import PayloadError, parse_channels
from eocexporter.config import CollectorConfig
from eocexporter.model import Camera, Server

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ServerTarget:
    """One server to poll: what configure/servers says about it, and where to reach it."""

    server: Server
    base_url: str


@dataclass(frozen=True, slots=True)
class CollectContext:
    client: EocortexClient
    config: CollectorConfig
    now: Callable[[], datetime]  # aware UTC; tests pin it to the simulator's clock
    warn_once: Callable[[str, str], None]  # (key, message): log a message once per key


class Collector(Protocol):
    name: str

    async def collect(self, ctx: CollectContext, target: ServerTarget) -> Any:
        """Poll one server; return its section or raise an ApiError."""


def read_payload(
    client: EocortexClient, endpoint: str, server_id: str, parse: Callable[..., T], *args: Any
) -> T:
    """Run a payload parser; a shape it cannot read is counted and becomes an :class:`ApiParseError`."""
    try:
        return parse(*args)
    except PayloadError as exc:
        client.record_parse_error(endpoint)
        log.warning("target %s, server %s: cannot parse %s: %s", client.target.name, server_id, endpoint, exc)
        raise ApiParseError(endpoint, f"unexpected shape: {exc}") from None


async def list_cameras(client: EocortexClient, target: ServerTarget) -> list[Camera]:
    """The server's cameras from its ``api/channels``."""
    server_id = target.server.server_id
    payload = await client.get_json(target.base_url, endpoints.API_CHANNELS, endpoints.API_CHANNELS)
    return read_payload(client, endpoints.API_CHANNELS, server_id, parse_channels, payload, server_id)


async def per_camera(
    ctx: CollectContext, cameras: list[Camera], fetch: Callable[[Camera], Awaitable[T | None]]
) -> list[T]:
    """``fetch`` for every camera, at most ``max_concurrency`` at a time; the results that are not None.

    A fixed pool of workers, not one task per camera: at most max_concurrency requests of one server wait
    on the target's connection pool, so another collector's request queues behind a few of these rather
    than behind thousands. The pool stops at the first failure (``fetch`` returns None for a camera that
    is simply gone): the server's section is incomplete anyway, and the scheduler keeps the previous one.
    """
    results: list[T] = []
    pending = iter(cameras)

    async def worker() -> None:
        for camera in pending:  # a shared iterator: each camera is taken by exactly one worker
            result = await fetch(camera)
            if result is not None:
                results.append(result)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(ctx.client.target.max_concurrency, len(cameras))):
                group.create_task(worker())
    except BaseExceptionGroup as failures:
        raise failures.exceptions[0] from None
    return results
