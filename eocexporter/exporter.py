"""The exporter: targets' runtimes, the scheduler that drives their collectors, and the exposition.

Each (target, job) pair runs in its own loop on its own interval, so a slow camera cycle never delays
licences and one target never delays another. A loop starts its next run at the next tick of its own
period after the previous run ended, never overlapping itself. Every finished run marks the exposition
dirty; a single publisher task renders it (in a worker thread, so /metrics keeps answering) and swaps
in the new bytes. Scrapes only ever read the latest rendered bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import platform
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TypeVar

from eocexporter import __version__
from eocexporter.client.errors import ApiError
from eocexporter.collectors.base import ServerTarget
from eocexporter.collectors.reports import ReportReader, UnaskableInterval
from eocexporter.config import Settings
from eocexporter.exposition import Exposition, build_exposition
from eocexporter.model import CameraVisitors, LineReport
from eocexporter.parquet.sink import ParquetSink
from eocexporter.parquet.sources import IntervalUnanswerable, ReportUnavailable
from eocexporter.registry import COLLECTORS, CollectorJob, enabled_jobs
from eocexporter.runtime import DISCOVERY, TargetRuntime, system_now
from eocexporter.snapshot import ExporterSnapshot, TargetSnapshot

T = TypeVar("T")

log = logging.getLogger(__name__)

# At most one render per this many seconds (or half the shortest collector interval, if shorter).
MAX_RENDER_PAUSE_SECONDS = 2.0

# The first runs of a target's collectors are spread over this many seconds after its first discovery,
# so a restart does not fire every collector of every target at the same instant.
FIRST_RUN_SPREAD_SECONDS = 1.0


def exporter_snapshot(
    runtimes: Sequence[TargetRuntime], transform: Callable[[TargetSnapshot], TargetSnapshot] | None = None
) -> ExporterSnapshot:
    targets = [runtime.snapshot() for runtime in runtimes]
    return ExporterSnapshot(
        targets=tuple(map(transform, targets) if transform else targets),
        version=__version__,
        python_version=platform.python_version(),
    )


class RuntimeReportSource:
    """The Parquet sink's :class:`~eocexporter.parquet.sources.ReportSource`, answered by the targets'
    runtimes: each target's report reader, at the address discovery found for the server."""

    def __init__(self, runtimes: Sequence[TargetRuntime]) -> None:
        self._runtimes = {runtime.target.name: runtime for runtime in runtimes}

    async def object_lines(
        self, target: str, server_id: str, start: datetime, end: datetime
    ) -> list[LineReport]:
        return await self._fetch(
            target, server_id, lambda reports, server: reports.object_lines(server, start, end)
        )

    async def visitor_rows(
        self, target: str, server_id: str, start: datetime, end: datetime
    ) -> list[CameraVisitors]:
        return await self._fetch(
            target, server_id, lambda reports, server: reports.visitor_rows(server, start, end)
        )

    async def _fetch(
        self, target: str, server_id: str, read: Callable[[ReportReader, ServerTarget], Awaitable[T]]
    ) -> T:
        """``read`` with the target's report reader and the server's address; the client's errors as the
        sink's."""
        runtime = self._runtimes.get(target)
        try:
            server = runtime.polled_server(server_id) if runtime is not None else None
            if runtime is None or server is None:
                raise ReportUnavailable(f"server {server_id} of target {target} is not polled (any more)")
            return await read(runtime.reports, server)
        except ApiError as exc:
            raise ReportUnavailable(str(exc)) from None
        except UnaskableInterval as exc:
            raise IntervalUnanswerable(str(exc)) from None


class Exporter:
    def __init__(self, settings: Settings, now: Callable[[], datetime] = system_now) -> None:
        self.settings = settings
        self.runtimes = [TargetRuntime(target, settings, now) for target in settings.targets]
        self.jobs: list[CollectorJob] = enabled_jobs(settings.collectors)
        self.sink = (
            ParquetSink(settings.parquet, now, RuntimeReportSource(self.runtimes))
            if settings.parquet.enabled
            else None
        )
        self.exposition: Exposition = build_exposition(self.snapshot(), COLLECTORS)
        self.version = 0  # incremented each time a new exposition is swapped in
        self._dirty = asyncio.Event()
        self._published = asyncio.Condition()
        self._tasks: list[asyncio.Task[None]] = []
        self._probes: dict[str, tuple[int, Exposition]] = {}  # target -> (version rendered, exposition)
        shortest = min([settings.collectors.discovery.interval] + [job.config.interval for job in self.jobs])
        self._render_pause = min(MAX_RENDER_PAUSE_SECONDS, shortest / 2)
        self._published_ready = False

    @property
    def job_names(self) -> list[str]:
        return [DISCOVERY] + [job.name for job in self.jobs]

    def snapshot(self) -> ExporterSnapshot:
        sink = self.sink
        if sink is None:
            return exporter_snapshot(self.runtimes)
        return exporter_snapshot(
            self.runtimes, lambda target: replace(target, parquet=sink.stats(target.target))
        )

    async def target_exposition(self, name: str) -> Exposition | None:
        """One target's series, rendered at most once per published version; None if no such target."""
        if not any(runtime.target.name == name for runtime in self.runtimes):
            return None
        version = self.version
        cached = self._probes.get(name)
        if cached is not None and cached[0] == version:
            return cached[1]
        snapshot = self.snapshot()
        one = replace(snapshot, targets=tuple(t for t in snapshot.targets if t.target == name))
        exposition = await asyncio.to_thread(build_exposition, one, COLLECTORS)
        self._probes[name] = (version, exposition)
        return exposition

    def collected_once(self) -> bool:
        """Every enabled job of every target has run at least once."""
        return all(runtime.ready(self.job_names) for runtime in self.runtimes)

    def ready(self) -> bool:
        """The exposition being served includes the first run of every job (what /ready reports)."""
        return self._published_ready

    # ---- one-shot collection (the `once` command and tests) ------------------------------------

    async def collect_once(self) -> bool:
        """Run discovery then every enabled collector once on every target; publish; True if all succeeded."""

        async def one_target(runtime: TargetRuntime) -> bool:
            ok = await runtime.run_discovery()
            results = await asyncio.gather(*(runtime.run_collector(job) for job in self.jobs))
            return ok and all(results)

        results = await asyncio.gather(*(one_target(runtime) for runtime in self.runtimes))
        await self.publish_now()
        return all(results)

    async def publish_now(self) -> None:
        complete = self.collected_once()  # judged before the snapshot is taken, so it covers them all
        exposition = await asyncio.to_thread(build_exposition, self.snapshot(), COLLECTORS)
        await self._swap(exposition)
        self._published_ready = self._published_ready or complete

    async def _swap(self, exposition: Exposition) -> None:
        async with self._published:
            self.exposition = exposition
            self.version += 1
            self._published.notify_all()

    async def wait_for_version(self, version: int, timeout: float) -> int:
        """Wait until an exposition newer than ``version`` is published; return the new version."""
        async with asyncio.timeout(timeout), self._published:
            await self._published.wait_for(lambda: self.version > version)
            return self.version

    # ---- background operation (the `run` command) -----------------------------------------------

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._publisher(), name="publisher"))
        if self.sink is not None:
            self._tasks.append(asyncio.create_task(self._sink_loop(self.sink), name="parquet"))
        for runtime in self.runtimes:
            discovered_once = asyncio.Event()
            discovery = self.settings.collectors.discovery
            self._tasks.append(
                asyncio.create_task(
                    self._loop(
                        runtime, DISCOVERY, discovery.interval, runtime.run_discovery, None, discovered_once
                    ),
                    name=f"{runtime.target.name}:{DISCOVERY}",
                )
            )
            for job in self.jobs:
                self._tasks.append(
                    asyncio.create_task(
                        self._loop(
                            runtime,
                            job.name,
                            job.config.interval,
                            lambda job=job, runtime=runtime: runtime.run_collector(job),
                            discovered_once,
                            None,
                        ),
                        name=f"{runtime.target.name}:{job.name}",
                    )
                )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await asyncio.gather(*(runtime.close() for runtime in self.runtimes))

    async def _loop(
        self,
        runtime: TargetRuntime,
        name: str,
        interval: float,
        run: Callable[[], object],
        wait_for: asyncio.Event | None,
        signal: asyncio.Event | None,
    ) -> None:
        if wait_for is not None:
            await wait_for.wait()
            await asyncio.sleep(
                _stable_fraction(runtime.target.name, name) * min(FIRST_RUN_SPREAD_SECONDS, interval)
            )
        phase = time.monotonic()
        while True:
            try:
                await run()  # type: ignore[misc]
            except Exception:
                # Runs report their own failures; anything reaching here is a bug. Keep the loop alive.
                log.exception("target %s: %s run crashed", runtime.target.name, name)
            if signal is not None:
                signal.set()
            self._dirty.set()
            # Next tick of this loop's own period after now: an overrun skips ticks instead of piling up.
            elapsed = time.monotonic() - phase
            ticks = max(1, math.ceil(elapsed / interval))
            await asyncio.sleep(phase + ticks * interval - time.monotonic())
            phase += ticks * interval

    async def write_parquet_once(self) -> None:
        """One pass of the Parquet sink over the current snapshot (the sink's loop, and tests)."""
        assert self.sink is not None, "parquet.root is not set"
        await self.sink.run_once(self.snapshot())

    async def _sink_loop(self, sink: ParquetSink) -> None:
        await sink.start()
        while True:
            started = time.monotonic()
            try:
                await self.write_parquet_once()
            except Exception:
                log.exception("parquet sink pass crashed; retrying on the next one")
            self._dirty.set()
            await asyncio.sleep(max(0.0, started + self.settings.parquet.check_every - time.monotonic()))

    async def _publisher(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            try:
                await self.publish_now()
            except Exception:
                log.exception("rendering the exposition failed; serving the previous one")
            # Runs that end meanwhile are rendered together: with several collectors and targets on
            # staggered phases, one render per run would cost a render per run at 10,000 cameras.
            await asyncio.sleep(self._render_pause)


def _stable_fraction(*parts: str) -> float:
    digest = hashlib.blake2b("\0".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
