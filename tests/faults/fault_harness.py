"""What the fault probes share: `eocexporter` as a separate process, continuous scraping, bounded polling,
and the Parquet checks (whole files; every row against a `backfill` of the same window).

Used by the tests in this directory (importable as ``fault_harness``: pytest puts this directory on the
path) and by ``benchmarks/soak.py``, which runs the same probes longer. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from helpers import parse_samples, series

from eocexporter.parquet.schemas import KEYS, SCHEMAS
from eocexporter.registry import COLLECTORS

LOOPBACK = "127.0.0.1"
TIMEZONE = "Europe/Moscow"
TARGET = "eoc"
REPORT_DATASETS = ("object_counts", "visitor_reports")
# Fast failure, as the other tests use: a retried fault costs milliseconds, a timeout one second.
FAST_CLIENT = {
    "request_timeout": "1s",
    "retries": 2,
    "backoff_initial": "50ms",
    "backoff_max": "200ms",
    "politeness": {"first_run_spread": "1s"},
}

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def write_config(path: Path, document: dict[str, Any]) -> Path:
    """YAML is a superset of JSON: any password or path survives without YAML quoting rules."""
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def exporter_config(
    *,
    port: int,
    url: str,
    root: Path | str | None = None,
    interval: str = "1s",
    log_level: str = "warning",
    target: dict[str, Any] | None = None,
    parquet: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One target named ``eoc``; every collector on ``interval``; the Parquet sink on when ``root`` is
    given, with one-minute report intervals checked every second."""
    document: dict[str, Any] = {
        "listen": f"{LOOPBACK}:{port}",
        "log_level": log_level,
        "targets": [{"name": TARGET, "url": url, "timezone": TIMEZONE, **FAST_CLIENT, **(target or {})}],
        "collectors": {
            name: {"interval": interval} for name in ("discovery", *(entry.name for entry in COLLECTORS))
        },
    }
    if root is not None:
        document["parquet"] = {
            "root": str(root),
            "report_interval": "1m",
            "grace": "5s",
            "check_every": "1s",
            **(parquet or {}),
        }
    return document


async def wait_until(check: Callable[[], Any], *, seconds: float, what: str, every: float = 0.05) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy; bounded by ``seconds``. For state
    held by another process (files, its /metrics), where there is no event to wait on."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds:g} s")
        await asyncio.sleep(every)


class ExporterProcess:
    """``python -m eocexporter run --config FILE``, its output kept in files beside the configuration."""

    def __init__(self, config: Path, port: int) -> None:
        self.config = config
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.logs: list[Path] = []

    async def start(self) -> None:
        self.starts += 1
        out = self.config.with_name(f"{self.config.stem}.run{self.starts}.out")
        err = self.config.with_name(f"{self.config.stem}.run{self.starts}.err")
        self.logs += [out, err]
        with out.open("wb") as stdout, err.open("wb") as stderr:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "eocexporter", "run", "--config", str(self.config),
                stdout=stdout, stderr=stderr,
            )  # fmt: skip

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def stderr(self) -> str:
        return "".join(
            path.read_text(encoding="utf-8", errors="replace") for path in self.logs if path.suffix == ".err"
        )

    async def samples(self, http: aiohttp.ClientSession) -> Samples | None:
        """The current /metrics, or None while the process does not answer (yet)."""
        try:
            async with http.get(f"{self.url}/metrics") as response:
                if response.status != 200:
                    return None
                return parse_samples(await response.read())
        except (aiohttp.ClientError, TimeoutError):
            return None

    async def wait_for(
        self, http: aiohttp.ClientSession, check: Callable[[Samples], Any], *, seconds: float, what: str
    ) -> Samples:
        """Poll /metrics until ``check(samples)`` holds; fails at once if the process exits."""

        async def probe() -> Samples | None:
            if not self.alive:
                raise AssertionError(f"{what}: the exporter exited ({self.process.returncode})")
            samples = await self.samples(http)
            return samples if samples is not None and check(samples) else None

        return await wait_until(probe, seconds=seconds, what=what)

    async def wait_listening(self, seconds: float = 30) -> None:
        async with aiohttp.ClientSession() as http:
            await self.wait_for(http, lambda _: True, seconds=seconds, what="the exporter serving /metrics")

    def kill(self) -> None:
        if self.alive:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> int:
        """SIGTERM, as a service manager stops it; the exit code (0 = clean)."""
        if self.alive:
            self.process.terminate()
        return await asyncio.wait_for(self.process.wait(), 30)


@dataclass
class Availability:
    """Every scrape of one path while a fault lasts: answered 200 with a body, or not."""

    path: str
    scrapes: int = 0
    answered: int = 0
    failures: list[str] = field(default_factory=list)
    slowest: float = 0.0

    @property
    def percent(self) -> float:
        return 100.0 * self.answered / self.scrapes if self.scrapes else 0.0

    def summary(self) -> str:
        return (
            f"{self.path}: {self.answered}/{self.scrapes} scrapes answered 200 ({self.percent:.2f} %), "
            f"slowest {self.slowest:.2f} s; failures: {self.failures[:5]}"
        )


class Scraper:
    """Scrapes ``url + path`` back to back (a short pause between scrapes) until the block ends, as a
    Prometheus with a very short scrape interval would; each scrape has Prometheus' default 10 s timeout.
    ``check`` (optional) judges each 200 body: a text saying what is wrong with it makes it a failure."""

    def __init__(
        self,
        url: str,
        path: str = "/metrics",
        *,
        pause: float = 0.05,
        check: Callable[[bytes], str | None] | None = None,
    ) -> None:
        self.url = url + path
        self.figures = Availability(path)
        self.pause = pause
        self.check = check
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Availability:
        self._task = asyncio.create_task(self._run())
        return self.figures

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop.set()
        await self._task

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout, auto_decompress=True) as http:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    async with http.get(self.url, headers={"Accept-Encoding": "gzip"}) as response:
                        body = await response.read()
                    problem = f"HTTP {response.status}" if response.status != 200 or not body else None
                    if problem is None and self.check is not None:
                        problem = self.check(body)
                    if problem is None:
                        self.figures.answered += 1
                    else:
                        self.figures.failures.append(problem)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    self.figures.failures.append(type(exc).__name__)
                self.figures.scrapes += 1
                self.figures.slowest = max(self.figures.slowest, time.monotonic() - started)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), self.pause)


def total(samples: Samples, name: str, **match: str) -> float:
    return sum(series(samples, name, **match).values())


def caught_up(samples: Samples, servers: int, since: datetime | None = None) -> bool:
    """Every report backlog is 0, and (with ``since``) every report dataset's last written interval ends
    at or after ``since``: the intervals that were due meanwhile are all in place."""
    backlog = {
        labels: value
        for labels, value in series(samples, "eocortex_parquet_backlog_intervals").items()
        if dict(labels)["dataset"] in REPORT_DATASETS
    }
    if len(backlog) != len(REPORT_DATASETS) * servers or any(backlog.values()):
        return False
    if since is None:
        return True
    written = [
        value
        for labels, value in series(samples, "eocortex_parquet_last_written_timestamp_seconds").items()
        if dict(labels)["dataset"] in REPORT_DATASETS
    ]
    return len(written) == len(backlog) and min(written) >= since.timestamp()


def due_end(moment: datetime, grace: float = 5.0) -> datetime:
    """The end of the last one-minute interval closed ``grace`` seconds before ``moment``."""
    return (moment - timedelta(seconds=grace)).replace(second=0, microsecond=0)


# ---- Parquet --------------------------------------------------------------------------------------------


def checkpoints(root: Path) -> dict[tuple[str, str], datetime]:
    """(dataset, server_id) -> end of the last interval written, from the files themselves."""
    found = {}
    for path in root.glob(f"_checkpoints/{TARGET}/*/*.json"):
        if path.parent.name in REPORT_DATASETS:
            data = json.loads(path.read_text(encoding="utf-8"))
            found[(path.parent.name, path.stem)] = datetime.fromisoformat(data["last_interval_end"])
    return found


@dataclass
class FileFigures:
    files: int
    unreadable: list[str]
    temporary: list[str]


def check_files(root: Path) -> FileFigures:
    """Read every visible data file whole; list temporary files left visible."""
    files = sorted(root.glob("*/date=*/*.parquet"))
    unreadable = []
    for path in files:
        try:
            pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            unreadable.append(f"{path.relative_to(root)}: {exc}")
    temporary = [str(path.relative_to(root)) for path in root.rglob("*.tmp")]
    return FileFigures(len(files), unreadable, temporary)


@dataclass
class RowFigures:
    """One report dataset of the live sink against a `backfill` of the same window."""

    dataset: str
    start: datetime
    end: datetime
    expected: int  # rows the backfill wrote
    written: int  # rows the live sink wrote in the window
    lost: int  # backfill rows the live sink does not have
    duplicates: int  # live rows whose key repeats
    unexpected: int  # live rows the backfill does not have (duplicates included)
    backfill_duplicates: int

    def summary(self) -> str:
        return (
            f"{self.dataset} {self.start:%H:%M}-{self.end:%H:%M} UTC: {self.written} rows written, "
            f"{self.expected} by backfill; lost {self.lost}, duplicates {self.duplicates}, "
            f"unexpected {self.unexpected}"
        )


def _window_table(con: duckdb.DuckDBPyConnection, name: str, root: Path, dataset: str, start, end) -> None:
    files = sorted(str(path) for path in root.glob(f"{dataset}/date=*/*.parquet"))
    if not files:
        con.register(f"{name}_empty", SCHEMAS[dataset].empty_table())
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_empty")
        return
    con.execute(
        f"CREATE TABLE {name} AS SELECT * FROM read_parquet(?, hive_partitioning = false) "
        "WHERE interval_start >= ? AND interval_end <= ?",
        [files, start, end],
    )


def compare_rows(live: Path, backfilled: Path, dataset: str, start: datetime, end: datetime) -> RowFigures:
    """Every row (every column) of ``live`` within [start, end) against ``backfilled``: multiset
    differences both ways, and keys written more than once."""
    con = duckdb.connect()
    _window_table(con, "live", live, dataset, start, end)
    _window_table(con, "backfilled", backfilled, dataset, start, end)
    key = ", ".join(KEYS[dataset])

    def one(sql: str) -> int:
        return con.execute(sql).fetchone()[0]

    return RowFigures(
        dataset=dataset,
        start=start,
        end=end,
        expected=one("SELECT count(*) FROM backfilled"),
        written=one("SELECT count(*) FROM live"),
        lost=one("SELECT count(*) FROM (SELECT * FROM backfilled EXCEPT ALL SELECT * FROM live)"),
        duplicates=one(
            f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT {key} FROM live)) FROM live"
        ),
        unexpected=one("SELECT count(*) FROM (SELECT * FROM live EXCEPT ALL SELECT * FROM backfilled)"),
        backfill_duplicates=one(
            f"SELECT count(*) - (SELECT count(*) FROM (SELECT DISTINCT {key} FROM backfilled)) FROM backfilled"
        ),
    )


async def run_command(*args: str, timeout: float = 120, env: dict[str, str] | None = None):
    """``python -m eocexporter ARGS``: (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "eocexporter", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    return process.returncode, stdout, stderr


async def backfill_and_compare(
    live: Path, workdir: Path, url: str, start: datetime, end: datetime
) -> list[RowFigures]:
    """``eocexporter backfill`` of [start, end) into a fresh root, then every report row compared."""
    other = workdir / "backfilled"
    config = write_config(workdir / "backfill.yml", exporter_config(port=free_port(), url=url, root=other))
    code, _, stderr = await run_command(
        "backfill", "--config", str(config), "--from", start.isoformat(), "--to", end.isoformat()
    )
    assert code == 0, f"backfill failed ({code}): {stderr.decode(errors='replace')[-2000:]}"
    return [compare_rows(live, other, dataset, start, end) for dataset in REPORT_DATASETS]


def live_window(root: Path, servers: int) -> tuple[datetime, datetime]:
    """[first interval start, last checkpoint) common to every (report dataset, server) of ``root``."""
    marks = checkpoints(root)
    assert len(marks) == len(REPORT_DATASETS) * servers, f"checkpoints: {sorted(marks)}"
    con = duckdb.connect()
    firsts = []
    for dataset in REPORT_DATASETS:
        files = sorted(str(path) for path in root.glob(f"{dataset}/date=*/*.parquet"))
        assert files, f"no {dataset} file in {root}"
        firsts += [
            first.astimezone(UTC)
            for (first,) in con.execute(
                "SELECT min(interval_start) FROM read_parquet(?, hive_partitioning = false) GROUP BY server_id",
                [files],
            ).fetchall()
        ]
    return max(firsts), min(marks.values())


# ---- mounts (root only, as in tests/test_parquet_stores.py) -----------------------------------------------


def mount_tmpfs(path: Path, size: str) -> str | None:
    """Mount a tmpfs of ``size`` at ``path``; the reason when that is impossible (not root)."""
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, check=False
    )
    return None if result.returncode == 0 else (result.stderr.decode().strip() or "mount failed")


async def remount(path: Path, options: str, tries: int = 50) -> None:
    """Remount with ``options``; a read-only remount is refused (EBUSY) while a file is open for writing,
    so it is tried again, at most ``tries`` times over about 5 s."""
    for _ in range(tries):
        result = subprocess.run(["mount", "-o", f"remount,{options}", str(path)], capture_output=True)
        if result.returncode == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"cannot remount {path} {options}: {result.stderr.decode().strip()}")


def unmount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def fill(path: Path) -> int:
    """Write ``path`` until the file system is full; the bytes written."""
    written = 0
    chunk = b"\0" * (1 << 16)
    with path.open("wb", buffering=0) as handle:
        with contextlib.suppress(OSError):
            while True:
                written += handle.write(chunk)
        with contextlib.suppress(OSError):
            while True:  # the last few hundred bytes
                written += handle.write(b"\0" * 512)
    return written


def bytes_of(paths: Iterable[Path]) -> int:
    return sum(os.path.getsize(path) for path in paths if path.is_file())
