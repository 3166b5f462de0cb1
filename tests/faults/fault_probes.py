"""Probes against `eocexporter run` writing Parquet: an API storm, SIGKILLs, a full and a read-only disk.

Each probe runs the exporter as a separate process against the simulator on the system clock (one-minute
report intervals, a catch-up of some hours on the first start so it writes the whole time), scrapes
/metrics throughout, and at the end compares every report row with a `backfill` of the same window into
another root. Each returns its figures; the tests assert them, ``benchmarks/soak.py`` prints them.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from fault_bodies import (
    KINDS,
    POLLED,
    clear_all,
    duplicate_series,
    first_params,
    mutate_all,
    mutations,
    proxied_target,
    proxies_for,
    real_answers,
)
from fault_harness import (
    REPORT_DATASETS,
    TIMEZONE,
    Availability,
    ExporterProcess,
    FileFigures,
    RowFigures,
    Samples,
    Scraper,
    backfill_and_compare,
    caught_up,
    check_files,
    checkpoints,
    due_end,
    exporter_config,
    fill,
    free_port,
    live_window,
    mount_tmpfs,
    remount,
    total,
    unmount,
    wait_until,
    write_config,
)
from helpers import series
from prometheus_client.parser import text_string_to_metric_families

from eocexporter.registry import COLLECTORS as REGISTERED
from eocexporter.simulator import ENDPOINTS, SimulatorConfig, SystemClock, running_simulator

SERVERS = 2
CAMERAS = 30
REQUEST_TIMEOUT = 1.0  # fault_harness.FAST_CLIENT
REPORT_ENDPOINTS = ("api/objects_counting/report", "api/unique_visitor/report")
FAILURE_CODES = ("409", "500", "503", "timeout")


def simulation(seed: int) -> SimulatorConfig:
    return SimulatorConfig(
        servers=SERVERS, cameras=CAMERAS, seed=seed, timezone=TIMEZONE, port=0, clock=SystemClock()
    )


def _sink_started(root: Path) -> bool:
    """Every (report dataset, server) has its first interval written, so its checkpoint — not the clock —
    decides from here on which intervals are owed."""
    return len(checkpoints(root)) == len(REPORT_DATASETS) * SERVERS


@dataclass
class SinkFigures:
    """What every probe of the live sink ends with."""

    availability: Availability
    exit_code: int
    files: FileFigures
    rows: list[RowFigures]
    first_interval: datetime
    first_expected: tuple[datetime, datetime]  # the first interval the catch-up may start with
    injected: dict[str, int] = field(default_factory=dict)  # failed API requests by code, as counted
    fetch_errors: int = 0
    write_errors: int = 0

    @property
    def lost(self) -> int:
        return sum(figures.lost for figures in self.rows)

    @property
    def duplicates(self) -> int:
        return sum(figures.duplicates for figures in self.rows)

    @property
    def unexpected(self) -> int:
        return sum(figures.unexpected for figures in self.rows)

    @property
    def rows_checked(self) -> int:
        return sum(figures.expected for figures in self.rows)

    def summary(self) -> str:
        return "; ".join(
            [
                self.availability.summary(),
                *(figures.summary() for figures in self.rows),
                f"{self.files.files} files, unreadable {self.files.unreadable[:3]}, "
                f"temporary left {self.files.temporary[:3]}",
                f"exit code {self.exit_code}",
            ]
        )


async def _finish(
    exporter: ExporterProcess,
    root: Path,
    workdir: Path,
    url: str,
    availability: Availability,
    launched: datetime,
    started: datetime,
    catch_up: timedelta,
    final: Samples,
) -> SinkFigures:
    code = await exporter.stop()
    files = check_files(root)
    start, end = live_window(root, SERVERS)
    rows = await backfill_and_compare(root, workdir, url, start, end)
    return SinkFigures(
        availability=availability,
        exit_code=code,
        files=files,
        rows=rows,
        first_interval=start,
        first_expected=(due_end(launched) - catch_up, due_end(started) - catch_up),
        injected={
            code: int(total(final, "eocortex_api_requests_total", code=code)) for code in FAILURE_CODES
        },
        fetch_errors=int(total(final, "eocortex_parquet_fetch_errors_total")),
        write_errors=int(total(final, "eocortex_parquet_write_errors_total")),
    )


# ---- 1. a storm of 409, 500, 503 and timeouts -------------------------------------------------------------

STORM_PHASES = ("500", "503", "409", "timeout", "mixed")


def _apply(faults, phase: str) -> None:
    if phase in ("500", "503"):
        for endpoint in ENDPOINTS:
            faults.set_error_rate(endpoint, 0.5, int(phase))
    elif phase == "409":
        faults.conflict_burst(200)
    elif phase == "timeout":
        faults.set_latency(REQUEST_TIMEOUT + 0.5)  # every request outlives the client's timeout
    else:
        for endpoint in REPORT_ENDPOINTS:
            faults.set_error_rate(endpoint, 0.3, 503)
        faults.set_error_rate("api/channels", 0.3, 500)
        faults.set_latency(REQUEST_TIMEOUT + 0.5, endpoint="api/objects_counting/report")
        faults.conflict_burst(50, endpoint="api/unique_visitor/report")


async def storm(sim, seconds: float, phase_seconds: float = 1.5) -> Counter[str]:
    """Cycle through the phases for ``seconds``; each lasts ``phase_seconds`` (the storm's own clock)."""
    phases: Counter[str] = Counter()
    end = time.monotonic() + seconds
    for index in itertools.count():
        left = end - time.monotonic()
        if left <= 0:
            break
        await sim.faults.clear()
        phase = STORM_PHASES[index % len(STORM_PHASES)]
        _apply(sim.faults, phase)
        phases[phase] += 1
        await asyncio.sleep(min(phase_seconds, left))
    await sim.faults.clear()
    return phases


async def storm_probe(workdir: Path, *, seconds: float, catch_up_minutes: int = 120) -> SinkFigures:
    root = workdir / "live"
    catch_up = timedelta(minutes=catch_up_minutes)
    async with running_simulator(simulation(seed=11)) as sim:
        port = free_port()
        document = exporter_config(
            port=port, url=sim.main_url, root=root, interval="2s",
            parquet={"initial_catch_up": f"{catch_up_minutes}m"},
        )  # fmt: skip
        exporter = ExporterProcess(write_config(workdir / "storm.yml", document), port)
        launched = datetime.now(UTC)
        await exporter.start()
        try:
            await exporter.wait_listening()
            async with Scraper(exporter.url) as availability, aiohttp.ClientSession() as http:
                await wait_until(lambda: _sink_started(root), seconds=60, what="the sink's first intervals")
                started = datetime.now(UTC)
                await storm(sim, seconds)
                ended = datetime.now(UTC)
                final = await exporter.wait_for(
                    http,
                    lambda samples: caught_up(samples, SERVERS, since=due_end(ended)),
                    seconds=120,
                    what="the sink caught up after the storm",
                )
        except BaseException:
            exporter.kill()
            raise
        return await _finish(
            exporter, root, workdir, sim.main_url, availability, launched, started, catch_up, final
        )


# ---- 3. SIGKILL while writing ----------------------------------------------------------------------------


@dataclass
class KillFigures:
    kills: int
    leftovers_seen: int  # temporary files the kills left, before the next start removed them
    sink: SinkFigures


def _data_files(root: Path) -> int:
    return sum(1 for _ in root.glob("*/date=*/*.parquet"))


async def kill_probe(
    workdir: Path, *, kills: int, catch_up_minutes: int | None = None, seed: int = 20261125
) -> KillFigures:
    """Start, wait for a new file, SIGKILL at a random moment among the next writes; ``kills`` times.
    The catch-up (default 12 minutes per kill, at least an hour) keeps every run writing until it is
    killed; the last run is left to catch up, then stopped with SIGTERM."""
    rng = random.Random(seed)
    root = workdir / "live"
    catch_up = timedelta(minutes=catch_up_minutes or max(60, 12 * kills))
    leftovers = 0
    async with running_simulator(simulation(seed=seed % 1000)) as sim:
        port = free_port()
        document = exporter_config(
            port=port, url=sim.main_url, root=root, interval="2s",
            parquet={"initial_catch_up": f"{int(catch_up.total_seconds() // 60)}m"},
        )  # fmt: skip
        exporter = ExporterProcess(write_config(workdir / "kill.yml", document), port)
        launched = datetime.now(UTC)
        first_written: datetime | None = None
        killed = 0
        try:
            for _ in range(kills):
                before = _data_files(root)
                await exporter.start()
                await wait_until(
                    lambda before=before: _data_files(root) > before or not exporter.alive,
                    seconds=40,
                    what="a new file",
                )
                first_written = first_written or datetime.now(UTC)
                await asyncio.sleep(rng.uniform(0, 0.3))  # a random moment among the next writes
                if exporter.alive:
                    exporter.kill()
                    killed += 1
                await asyncio.wait_for(exporter.process.wait(), 30)
                leftovers += len(list(root.rglob("*.tmp")))
            started = datetime.now(UTC)
            await exporter.start()
            await exporter.wait_listening()
            async with Scraper(exporter.url) as availability, aiohttp.ClientSession() as http:
                final = await exporter.wait_for(
                    http,
                    lambda samples: caught_up(samples, SERVERS, since=due_end(started)),
                    seconds=180,
                    what="the last run caught up",
                )
        except BaseException:
            exporter.kill()
            raise
        sink = await _finish(
            exporter, root, workdir, sim.main_url, availability, launched, first_written, catch_up, final
        )
        return KillFigures(killed, leftovers, sink)


# ---- 4. a full disk, then a read-only one -----------------------------------------------------------------


@dataclass
class DiskFigures:
    sink: SinkFigures
    errors_while_full: int
    errors_while_read_only: int
    logged: dict[str, bool]


def _report_write_errors(samples: Samples) -> dict[str, float]:
    return {
        dataset: sum(series(samples, "eocortex_parquet_write_errors_total", dataset=dataset).values())
        for dataset in REPORT_DATASETS
    }


async def disk_probe(workdir: Path, *, failing_passes: int = 3, size: str = "64m") -> DiskFigures | str:
    """The root on a tmpfs of our own: filled to the last byte while the sink catches up, then remounted
    read-only (still full), then given space and write access back. Returns why it could not run (no
    root) instead of figures."""
    mount = workdir / "disk"
    reason = mount_tmpfs(mount, size)
    if reason is not None:
        return reason
    try:
        return await _disk(workdir, mount, failing_passes)
    finally:
        unmount(mount)


async def _disk(workdir: Path, mount: Path, failing_passes: int) -> DiskFigures:
    root = mount / "parquet"
    filler = mount / "filler"
    catch_up = timedelta(hours=2)
    async with running_simulator(simulation(seed=13)) as sim:
        port = free_port()
        document = exporter_config(
            port=port, url=sim.main_url, root=root, interval="2s", parquet={"initial_catch_up": "2h"}
        )
        exporter = ExporterProcess(write_config(workdir / "disk.yml", document), port)
        launched = datetime.now(UTC)
        await exporter.start()
        try:
            await exporter.wait_listening()
            async with Scraper(exporter.url) as availability, aiohttp.ClientSession() as http:
                await wait_until(lambda: _sink_started(root), seconds=60, what="the sink's first intervals")
                started = datetime.now(UTC)

                async def failing(what: str) -> int:
                    """Wait until every report dataset failed ``failing_passes`` more writes."""
                    before = _report_write_errors(await exporter.samples(http) or {})
                    after = await exporter.wait_for(
                        http,
                        lambda samples: all(
                            _report_write_errors(samples)[dataset] >= before[dataset] + failing_passes
                            for dataset in REPORT_DATASETS
                        ),
                        seconds=60,
                        what=what,
                    )
                    errors = _report_write_errors(after)
                    return int(sum(errors.values()) - sum(before.values()))

                fill(filler)
                while_full = await failing("write errors on the full disk")
                await remount(mount, "ro")
                while_read_only = await failing("write errors on the read-only disk")
                await remount(mount, "rw")
                filler.unlink()
                back = datetime.now(UTC)
                final = await exporter.wait_for(
                    http,
                    lambda samples: caught_up(samples, SERVERS, since=due_end(back)),
                    seconds=120,
                    what="the sink caught up once the disk was back",
                )
        except BaseException:
            exporter.kill()
            raise
        sink = await _finish(
            exporter, root, workdir, sim.main_url, availability, launched, started, catch_up, final
        )
        log = exporter.stderr()
        logged = {reason: reason in log for reason in ("No space left on device", "Read-only file system")}
        return DiskFigures(sink, while_full, while_read_only, logged)


# ---- 2. hostile bodies against the served process ----------------------------------------------------------

COLLECTORS = ("discovery", *(entry.name for entry in REGISTERED))
# Endpoints that can be hostile together: what the exporter asks only after a good api/channels (the
# per-camera ones) is never asked while api/channels or configure/servers answers badly.
STAGES = (
    (
        "api/channels/{id}/status",
        "configure/channels/{id}",
        "webapi/license",
        "api/objects_counting/current_counters",
        "api/unique_visitor/report",
        "configure/channels",
        "webapi/cameras/{id}/archive_days",
        "webapi/cameras/analytics",
        "webapi/archive_export/tasks",
        "api/faceconfig",
    ),
    # Asked only after api/faceconfig and api/carconfig answered well.
    ("api/faces", "api/cars-groups"),
    ("api/channels",),
    ("configure/servers",),
)


def valid_exposition(body: bytes) -> str | None:
    """What is wrong with an exposition: not UTF-8, not parseable, or a series twice (None: nothing)."""
    try:
        text = body.decode("utf-8")
        for _ in text_string_to_metric_families(text):
            pass
    except (UnicodeDecodeError, ValueError) as exc:
        return f"unparseable exposition: {exc}"
    duplicates = duplicate_series(body)
    return f"{duplicates} duplicate series" if duplicates else None


def _all_succeeding(samples: Samples) -> bool:
    success = series(samples, "eocortex_collector_success")
    return len(success) == len(COLLECTORS) and all(success.values())


@dataclass
class HostileFigures:
    kinds: list[str]
    served: Counter[str]  # hostile answers the exporter received, by endpoint
    availability: Availability
    alive: bool
    recovered: bool
    exit_code: int

    def summary(self) -> str:
        return (
            f"{len(self.kinds)} kinds, {sum(self.served.values())} hostile answers served "
            f"({dict(self.served)}); {self.availability.summary()}; alive {self.alive}, "
            f"recovered {self.recovered}, exit code {self.exit_code}"
        )


async def hostile_process_probe(workdir: Path, *, rounds: int = 1) -> HostileFigures:
    """`eocexporter run` behind the mutating proxies: each kind of hostile body in turn, stage by stage on
    every endpoint it applies to, held until each has answered it at least once; ``rounds`` times. Every
    scrape must be answered 200 with a valid exposition; afterwards every collector succeeds again."""
    config = SimulatorConfig(servers=2, cameras=6, seed=5, timezone=TIMEZONE, port=0, clock=SystemClock())
    async with running_simulator(config) as sim, proxies_for(sim) as proxies:
        port = free_port()
        document = exporter_config(
            port=port, url=sim.main_url, interval="1s", target=proxied_target(sim, proxies)
        )
        exporter = ExporterProcess(write_config(workdir / "hostile.yml", document), port)
        await exporter.start()
        kinds: list[str] = []
        try:
            async with aiohttp.ClientSession() as http:
                await exporter.wait_for(http, _all_succeeding, seconds=60, what="every collector ran")
                samples = await real_answers(sim, first_params(sim), POLLED)

                def served(endpoint: str) -> int:
                    return sum(proxy.served[endpoint] for proxy in proxies.values())

                async with Scraper(exporter.url, check=valid_exposition) as availability:
                    for _, kind in itertools.product(range(rounds), KINDS):
                        for stage in STAGES:
                            chosen = {
                                endpoint: mutation
                                for endpoint in stage
                                if (mutation := mutations(samples[endpoint]).get(kind)) is not None
                            }
                            before = {endpoint: served(endpoint) for endpoint in chosen}
                            for endpoint, mutation in chosen.items():
                                mutate_all(proxies, endpoint, mutation)
                            await wait_until(
                                lambda before=before: (
                                    not exporter.alive
                                    or all(served(endpoint) > count for endpoint, count in before.items())
                                ),
                                seconds=30,
                                what=f"{kind}: {', '.join(chosen)} answered with it",
                            )
                            clear_all(proxies)
                        kinds.append(kind)
                    alive = exporter.alive
                    recovered = bool(
                        alive
                        and await exporter.wait_for(
                            http, _all_succeeding, seconds=30, what="every collector succeeding again"
                        )
                    )
        except BaseException:
            exporter.kill()
            raise
        code = await exporter.stop()
        served_total = Counter({endpoint: served(endpoint) for endpoint in POLLED})
        return HostileFigures(kinds, served_total, availability, alive, recovered, code)
