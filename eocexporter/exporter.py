"""The exporter: targets' runtimes, the scheduler that drives their collectors, and the exposition.

Each (target, job) pair runs in its own loop on its own interval, so a slow camera cycle never delays
licences and one target never delays another. A loop starts its next run at the next tick of its own
period after the previous run ended, never overlapping itself. Every finished run marks the exposition
dirty; a single publisher task renders it (in a worker thread, so /metrics keeps answering) and swaps
in the new bytes. Scrapes only ever read the latest rendered bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import platform
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from eocexporter import __version__
from eocexporter.cancelling import cancel_until_done
from eocexporter.client.errors import ApiError, ApiUnavailable
from eocexporter.collectors.base import ServerTarget
from eocexporter.collectors.reports import ReportReader, UnaskableInterval
from eocexporter.config import ConfigError, Settings
from eocexporter.exposition import Exposition, RenderCache, build_exposition
from eocexporter.exposition.render import RenderFailure
from eocexporter.model import CameraVisitors, LineReport
from eocexporter.parquet.sources import IntervalUnanswerable, ReportUnavailable
from eocexporter.registry import COLLECTORS, CollectorJob, enabled_jobs
from eocexporter.reload import plan_reload
from eocexporter.runtime import DISCOVERY, TargetRuntime, system_now
from eocexporter.snapshot import ConfigReload, ExporterSnapshot, TargetSnapshot

if TYPE_CHECKING:
    from eocexporter.parquet.sink import ParquetSink

T = TypeVar("T")

log = logging.getLogger(__name__)

# At most one render per this many seconds (or half the shortest collector interval, if shorter).
MAX_RENDER_PAUSE_SECONDS = 2.0
# A run stopped by its deadline that ended after this share of its interval lets the next tick pass.
OUT_OF_TIME_SHARE = 0.9


def exporter_snapshot(
    runtimes: Sequence[TargetRuntime],
    transform: Callable[[TargetSnapshot], TargetSnapshot] | None = None,
    render_failures: Mapping[tuple[str, str], int] | None = None,
    reload: ConfigReload | None = None,
    render_seconds: Mapping[str, float] | None = None,
) -> ExporterSnapshot:
    targets = [runtime.snapshot() for runtime in runtimes]
    return ExporterSnapshot(
        targets=tuple(map(transform, targets) if transform else targets),
        version=__version__,
        python_version=platform.python_version(),
        render_failures=dict(render_failures or {}),
        reload=reload,
        render_seconds=dict(render_seconds or {}),
    )


class RuntimeReportSource:
    """The Parquet sink's :class:`~eocexporter.parquet.sources.ReportSource`, answered by the targets'
    runtimes: each target's report reader, at the address discovery found for the server. It reads the
    sequence it is given at each request, so it follows targets added or removed by a reload."""

    def __init__(self, runtimes: Sequence[TargetRuntime]) -> None:
        self._runtimes = runtimes

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
        runtime = next((runtime for runtime in self._runtimes if runtime.target.name == target), None)
        try:
            server = runtime.polled_server(server_id) if runtime is not None else None
            if runtime is None or server is None:
                raise ReportUnavailable(f"server {server_id} of target {target} is not polled (any more)")
            return await read(runtime.reports, server)
        except ApiError as exc:
            unanswered = isinstance(exc, ApiUnavailable) and not exc.answered
            raise ReportUnavailable(str(exc), unanswered=unanswered) from None
        except UnaskableInterval as exc:
            raise IntervalUnanswerable(str(exc)) from None


class Exporter:
    def __init__(
        self,
        settings: Settings,
        now: Callable[[], datetime] = system_now,
        load: Callable[[], Settings] | None = None,
        after_publish: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        # What the running process does after each publish of its loop (the run command: eocexporter.heap).
        self._after_publish = after_publish
        self._now = now
        # How a reload reads the configuration again (the same file, environment and flags).
        self._load = load or (lambda: self.settings)
        self.runtimes = [TargetRuntime(target, settings, now) for target in settings.targets]
        self.jobs: list[CollectorJob] = enabled_jobs(settings.collectors)
        self.sink = self._new_sink(settings)
        self.reload_successful = True
        self.reload_success_timestamp = time.time()
        self._reloading = asyncio.Lock()
        self.render_failures: Counter[tuple[str, str]] = Counter()
        self.render_seconds: Counter[str] = Counter()  # stage -> CPU seconds of published renders
        self._failing_renders: set[tuple[str, str]] = set()
        # The parts of the exposition already encoded, shared by every render (publisher and probes).
        self._render_cache = RenderCache()
        self.exposition: Exposition = build_exposition(self.snapshot(), COLLECTORS, self._render_cache)
        self.version = 0  # incremented each time a new exposition is swapped in
        self._dirty = asyncio.Event()
        self._published = asyncio.Condition()
        self._started = False
        self._service_tasks: list[asyncio.Task[None]] = []  # the publisher
        self._sink_task: asyncio.Task[None] | None = None
        self._target_tasks: dict[str, list[asyncio.Task[None]]] = {}  # target -> its loops
        self._probes: dict[str, tuple[int, Exposition]] = {}  # target -> (version rendered, exposition)
        self._render_pause = _render_pause(settings, self.jobs)
        self._published_ready = False

    def _new_sink(self, settings: Settings) -> ParquetSink | None:
        if not settings.parquet.enabled:
            return None
        # Imported here: pyarrow and numpy are ~60 MB of RSS that a process without parquet.root never needs.
        from eocexporter.parquet.sink import ParquetSink

        return ParquetSink(settings.parquet, self._now, RuntimeReportSource(self.runtimes))

    @property
    def job_names(self) -> list[str]:
        return [DISCOVERY] + [job.name for job in self.jobs]

    def snapshot(self) -> ExporterSnapshot:
        sink = self.sink
        with_sink_stats = (
            None if sink is None else lambda target: replace(target, parquet=sink.stats(target.target))
        )
        return exporter_snapshot(
            self.runtimes,
            with_sink_stats,
            self.render_failures,
            ConfigReload(self.reload_successful, self.reload_success_timestamp),
            self.render_seconds,
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
        exposition = await asyncio.to_thread(
            build_exposition, one, COLLECTORS, self._render_cache, whole=False
        )
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
        try:
            exposition = await asyncio.to_thread(
                build_exposition, self.snapshot(), COLLECTORS, self._render_cache
            )
        except Exception as exc:
            self._render_failed([RenderFailure("", "", exc)])
            raise
        self._render_failed(exposition.failures)
        self.render_seconds.update(exposition.cpu_seconds)
        await self._swap(exposition)
        self._published_ready = self._published_ready or complete

    def _render_failed(self, failures: Sequence[RenderFailure]) -> None:
        """Count and log (once while it lasts) each part left out; its recovery is logged too."""
        failing = {(failure.target, failure.part) for failure in failures}
        for key in [key for key in self._failing_renders if key not in failing]:
            self._failing_renders.discard(key)
            log.info(
                "rendering %s of target %s works again",
                key[1] or "the exposition",
                key[0],
                extra={"target": key[0] or None},
            )
        for failure in failures:
            key = (failure.target, failure.part)
            self.render_failures[key] += 1
            if key not in self._failing_renders:
                self._failing_renders.add(key)
                log.error(
                    "rendering %s of target %s failed; left out of /metrics until it renders again",
                    failure.part or "the exposition",
                    failure.target,
                    exc_info=failure.error,
                    extra={"target": failure.target or None},
                )
        if failures:
            self._dirty.set()  # publish the count

    async def _swap(self, exposition: Exposition) -> None:
        async with self._published:
            self.exposition = exposition
            self.version += 1
            self._published.notify_all()
        log.debug("exposition version %d published: %d bytes", self.version, exposition.size)

    async def wait_for_version(self, version: int, timeout: float) -> int:
        """Wait until an exposition newer than ``version`` is published; return the new version."""
        async with asyncio.timeout(timeout), self._published:
            await self._published.wait_for(lambda: self.version > version)
            return self.version

    # ---- background operation (the `run` command) -----------------------------------------------

    def start(self) -> None:
        self._started = True
        # A first exposition at once, before any run: the exporter's own series are served from the
        # start, and with no targets configured there is nothing to wait for, so /ready says ready.
        self._dirty.set()
        self._service_tasks.append(asyncio.create_task(self._publisher(), name="publisher"))
        self._start_sink()
        for runtime in self.runtimes:
            self._start_target(runtime)

    def _start_sink(self) -> None:
        if self.sink is not None:
            self._sink_task = asyncio.create_task(self._sink_loop(self.sink), name="parquet")

    def _start_target(self, runtime: TargetRuntime) -> None:
        discovered_once = asyncio.Event()
        discovery = self.settings.collectors.discovery
        name = runtime.target.name
        tasks = [
            asyncio.create_task(
                self._loop(
                    runtime, DISCOVERY, discovery.interval, runtime.run_discovery, None, discovered_once
                ),
                name=f"{name}:{DISCOVERY}",
            )
        ]
        for job in self.jobs:
            tasks.append(
                asyncio.create_task(
                    self._loop(
                        runtime,
                        job.name,
                        job.config.interval,
                        lambda job=job, runtime=runtime: runtime.run_collector(job),
                        discovered_once,
                        None,
                    ),
                    name=f"{name}:{job.name}",
                )
            )
        self._target_tasks[name] = tasks

    async def _stop_target(self, runtime: TargetRuntime) -> None:
        await cancel_until_done(self._target_tasks.pop(runtime.target.name, []))
        await runtime.close()

    async def stop(self) -> None:
        tasks = [*self._service_tasks, *(task for tasks in self._target_tasks.values() for task in tasks)]
        if self._sink_task is not None:
            tasks.append(self._sink_task)
        await cancel_until_done(tasks)
        self._service_tasks.clear()
        self._target_tasks.clear()
        self._sink_task = None
        await asyncio.gather(*(runtime.close() for runtime in self.runtimes))

    # ---- reloading the configuration (SIGHUP, POST /-/reload) ----------------------------------------

    async def reload(self) -> str | None:
        """Read the configuration again and apply what changed; None when done, else the one-line error
        (the running configuration then stays as it was)."""
        async with self._reloading:
            try:
                settings = self._load()
            except ConfigError as exc:
                self.reload_successful = False
                log.error("configuration reload failed, keeping the running configuration: %s", exc)
                self._dirty.set()
                return str(exc)
            await self.apply(settings)
            self.reload_successful = True
            self.reload_success_timestamp = time.time()
            self._dirty.set()
            return None

    async def apply(self, settings: Settings) -> None:
        """Switch to ``settings``, restarting only what changed (eocexporter.reload)."""
        plan = plan_reload(self.settings, settings)
        if plan.listen_ignored:
            log.warning("listen changed to %s: it takes effect at the next restart", settings.listen)
        kept = [runtime for runtime in self.runtimes if runtime.target.name not in plan.restart]
        for runtime in self.runtimes:
            if runtime.target.name in plan.restart:
                await self._stop_target(runtime)
        self.settings = settings
        if plan.restart_all:
            self.jobs = enabled_jobs(settings.collectors)
        for runtime in kept:
            runtime.settings = settings
        started = {target.name: TargetRuntime(target, settings, self._now) for target in plan.start}
        by_name = {runtime.target.name: runtime for runtime in kept} | started
        # In place: the sink's report source reads this list.
        self.runtimes[:] = [by_name[target.name] for target in settings.targets]
        if plan.sink_changed:
            if self._sink_task is not None:
                await cancel_until_done([self._sink_task])
                self._sink_task = None
            self.sink = self._new_sink(settings)
            if self._started:
                self._start_sink()
        if self._started:
            for runtime in started.values():
                self._start_target(runtime)
        self._render_pause = _render_pause(settings, self.jobs)
        log.info(
            "configuration reloaded: %d target(s); restarted %s; started %s",
            len(self.runtimes),
            ", ".join(sorted(plan.restart)) or "none",
            ", ".join(sorted(started)) or "none",
        )

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
            # Each collector's first run at its own stable share of the spread: a start (or many replicas
            # restarting together) does not send every collector's requests to the servers at once.
            spread = min(runtime.target.politeness.first_run_spread, interval)
            await asyncio.sleep(_stable_fraction(runtime.target.name, name) * spread)
        phase = time.monotonic()
        while True:
            try:
                await run()  # type: ignore[misc]
            except Exception:
                # Runs report their own failures; anything reaching here is a bug. Keep the loop alive.
                log.exception(
                    "target %s: %s run crashed",
                    runtime.target.name,
                    name,
                    extra={"target": runtime.target.name, "collector": name},
                )
            if signal is not None:
                signal.set()
            self._dirty.set()
            # Next tick of this loop's own period after now: an overrun skips ticks instead of piling up.
            elapsed = time.monotonic() - phase
            ticks = max(1, math.ceil(elapsed / interval))
            if name in runtime.out_of_time and elapsed > OUT_OF_TIME_SHARE * interval:
                # So does a run its deadline stopped just before the next tick (a camera run keeping what
                # it got), as the same run abandoned a moment later would: runs that took their whole
                # interval every time would leave the other collectors no slot, the earlier due going
                # first where requests wait (eocexporter.client.politeness).
                ticks = max(ticks, 2)
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
            else:
                log.debug("parquet: pass done in %.3fs", time.monotonic() - started)
            self._dirty.set()
            await asyncio.sleep(max(0.0, started + self.settings.parquet.check_every - time.monotonic()))

    async def _publisher(self) -> None:
        while True:
            await self._dirty.wait()
            self._dirty.clear()
            # A failure is counted and logged by publish_now; the previous exposition is served meanwhile.
            with contextlib.suppress(Exception):
                await self.publish_now()
            if self._after_publish is not None:
                self._after_publish()
            # Runs that end meanwhile are rendered together: with several collectors and targets on
            # staggered phases, one render per run would cost a render per run at 10,000 cameras.
            await asyncio.sleep(self._render_pause)


def _render_pause(settings: Settings, jobs: Sequence[CollectorJob]) -> float:
    shortest = min([settings.collectors.discovery.interval] + [job.config.interval for job in jobs])
    return min(MAX_RENDER_PAUSE_SECONDS, shortest / 2)


def _stable_fraction(*parts: str) -> float:
    digest = hashlib.blake2b("\0".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64
