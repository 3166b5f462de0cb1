"""What every collector shares: the per-server call shape, its context, and listing a server's cameras.

A collector polls one API area on one server and returns a frozen section of plain data
(``eocexporter.model``). The runtime calls it for every server of the topology, times it, and keeps
the latest complete section per server; a collector never touches prometheus-client. Its options class
(a :class:`~eocexporter.options.CollectorConfig`) lives in its module, beside it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from eocexporter.cancelling import cancel_until_done
from eocexporter.client import endpoints
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import parse_channels
from eocexporter.client.reading import get_and_read
from eocexporter.model import Camera, Server
from eocexporter.options import CollectorConfig

T = TypeVar("T")
ConfigT = TypeVar("ConfigT", bound=CollectorConfig)
ConfigT_contra = TypeVar("ConfigT_contra", bound=CollectorConfig, contravariant=True)
SectionT_co = TypeVar("SectionT_co", covariant=True)


@dataclass(frozen=True, slots=True)
class ServerTarget:
    """One server to poll: what configure/servers says about it, and where to reach it."""

    server: Server
    base_url: str
    # The main server (configure/ goes there, Q49): installation-wide lists are polled on it alone, once
    # per installation, by the one replica that polls it.
    main: bool = False


@dataclass(frozen=True, slots=True)
class CollectContext(Generic[ConfigT]):
    client: EocortexClient
    config: ConfigT  # the collector's own options
    now: Callable[[], datetime]  # aware UTC; tests pin it to the simulator's clock
    warn_once: Callable[[str, str], None]  # (key, message): log a message once per key
    # time.monotonic() when the run began: documents shared between runs (client.shared) fetched since
    # then are this run's too
    started: float = field(default_factory=time.monotonic)
    # time.monotonic() by which a collector that can keep part of its work stops and returns it (the
    # cameras collector); the runtime abandons the run at its deadline, a little later. None: no limit.
    stop_by: float | None = None
    # Server id -> what that server's last run, stopped by its deadline, did not reach (model.PartialSection):
    # this run takes them first, so that an exporter short of time still goes round every camera.
    unreached_before: Mapping[str, frozenset[str]] = field(default_factory=dict)


class Collector(Protocol[ConfigT_contra, SectionT_co]):
    async def collect(self, ctx: CollectContext[ConfigT_contra], target: ServerTarget) -> SectionT_co:
        """Poll one server; return its section or raise an ApiError."""
        ...


def unsupported(
    ctx: CollectContext[ConfigT], target: ServerTarget, endpoint: str, why: str, lost: str
) -> None:
    """The server does not support ``endpoint``: not a failure. Recorded, so that it is asked again only
    hourly (:mod:`eocexporter.client.support`), and said once: ``why`` is the answer's meaning ("404: a
    version without webapi"), ``lost`` what goes missing ("licence series")."""
    client, server_id = ctx.client, target.server.server_id
    client.support.record(server_id, endpoint, supported=False)
    ctx.warn_once(
        f"unsupported:{client.target.name}:{server_id}:{endpoint}",
        f"target {client.target.name}, server {server_id}: no {endpoint} ({why}); no {lost} from this "
        "server, asked again hourly",
    )


async def list_cameras(client: EocortexClient, target: ServerTarget) -> list[Camera]:
    """The server's cameras from its ``api/channels``."""
    server_id = target.server.server_id
    return await get_and_read(
        client,
        target.base_url,
        endpoints.API_CHANNELS,
        endpoints.API_CHANNELS,
        server_id,
        parse_channels,
        server_id,
    )


async def per_camera(
    client: EocortexClient, cameras: list[Camera], fetch: Callable[[Camera], Awaitable[T | None]]
) -> list[T]:
    """``fetch`` for every camera, at most the target's ``max_concurrency`` at a time; the results that
    are not None.

    A fixed pool of workers, not one task per camera: at most max_concurrency requests of one server wait
    on the target's connection pool, so another collector's request queues behind a few of these rather
    than behind thousands. The pool stops at the first failure (``fetch`` returns None for a camera that
    is simply gone): the server's section is incomplete anyway, and the runtime keeps the previous one.
    """
    results, _ = await per_camera_until(client, cameras, fetch, None)
    return results


async def per_camera_until(
    client: EocortexClient,
    cameras: list[Camera],
    fetch: Callable[[Camera], Awaitable[T | None]],
    until: float | None,
) -> tuple[list[T], frozenset[str]]:
    """:func:`per_camera`, stopped at ``until`` (``time.monotonic()``; None: never): the results so far,
    and the ids of the cameras whose ``fetch`` had not finished (the requests in flight are abandoned)."""
    results: list[T] = []
    finished: set[int] = set()  # indexes in ``cameras``
    pending = iter(enumerate(cameras))

    async def worker() -> None:
        for index, camera in pending:  # a shared iterator: each camera is taken by exactly one worker
            result = await fetch(camera)
            finished.add(index)
            if result is not None:
                results.append(result)

    workers = [asyncio.create_task(worker()) for _ in range(min(client.target.max_concurrency, len(cameras)))]
    if not workers:
        return results, frozenset()
    timeout = None if until is None else max(0.0, until - time.monotonic())
    try:
        # The first failure, or the caller's cancellation, ends the pool. Not a TaskGroup or gather: they
        # cancel their tasks once and wait for them, and a cancellation can be lost (eocexporter.cancelling).
        done, _ = await asyncio.wait(workers, timeout=timeout, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        await cancel_until_done(workers)
    for task in workers:
        if task in done and not task.cancelled() and task.exception() is not None:
            raise task.exception() from None  # type: ignore[misc]
    if len(finished) == len(cameras):
        return results, frozenset()
    return results, frozenset(
        camera.camera_id for index, camera in enumerate(cameras) if index not in finished
    )
