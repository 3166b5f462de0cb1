"""``eocexporter backfill``: fetch report history into the same layout the live sink writes.

Every interval between ``--from`` and ``--to`` of every server is fetched and written under the name the
live sink would give it. Intervals already present (as a file, or merged into a compacted file) are
skipped, so an interrupted backfill resumes where it stopped and a second run changes nothing. The
checkpoints of the live sink are not touched. Only report datasets have history in the API.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from eocexporter.client.errors import ApiError
from eocexporter.collectors.base import ServerTarget
from eocexporter.config import Settings
from eocexporter.parquet.compaction import present_names
from eocexporter.parquet.intervals import Interval, intervals_between
from eocexporter.parquet.reports import ReportFetcher
from eocexporter.parquet.schemas import REPORT_DATASETS
from eocexporter.parquet.sink import report_file_name
from eocexporter.parquet.storage import ParquetStore, StoreError
from eocexporter.runtime import TargetRuntime, system_now

log = logging.getLogger(__name__)


class BackfillError(Exception):
    """Backfill cannot go on; the message is one line."""


@dataclass
class BackfillResult:
    written: int = 0  # intervals fetched and written (files written, or nothing to write)
    skipped: int = 0  # intervals already present
    failed: int = 0  # intervals that could not be fetched or written


class Progress:
    """A progress bar on a terminal, or a line per tenth of the work elsewhere (logs, CI)."""

    def __init__(self, total: int, stream: TextIO = sys.stderr) -> None:
        self.total, self.done, self.stream = total, 0, stream
        self._tty = stream.isatty()
        self._last_tenth = -1

    def advance(self, label: str) -> None:
        self.done += 1
        share = self.done / self.total if self.total else 1.0
        if self._tty:
            bar = "#" * int(share * 30)
            self.stream.write(f"\r[{bar:<30}] {self.done}/{self.total} {label[:60]:<60}")
            if self.done == self.total:
                self.stream.write("\n")
        elif int(share * 10) != self._last_tenth:
            self._last_tenth = int(share * 10)
            self.stream.write(f"backfill: {self.done}/{self.total} intervals ({share:.0%})\n")
        self.stream.flush()


async def backfill(
    settings: Settings,
    start: datetime,
    end: datetime,
    datasets: list[str] | None = None,
    targets: list[str] | None = None,
    now: Callable[[], datetime] = system_now,
    progress_stream: TextIO = sys.stderr,
) -> BackfillResult:
    config = settings.parquet
    if not config.enabled:
        raise BackfillError("parquet.root is not set: nowhere to write")
    chosen_datasets = datasets or [d for d in REPORT_DATASETS if getattr(config.datasets, d).enabled]
    for dataset in chosen_datasets:
        if dataset not in REPORT_DATASETS:
            raise BackfillError(
                f"{dataset} has no history in the Eocortex API; only {', '.join(REPORT_DATASETS)}"
            )
    known = {target.name for target in settings.targets}
    for name in targets or []:
        if name not in known:
            raise BackfillError(f"no target named {name!r} in the configuration")
    # Never ask about an interval that has not closed yet: its numbers would still change.
    end = min(end, now())
    store = ParquetStore(config)
    await asyncio.to_thread(store.remove_leftovers)
    runtimes = [TargetRuntime(t, settings, now) for t in settings.targets if not targets or t.name in targets]
    try:
        for runtime in runtimes:
            if not await runtime.run_discovery():
                raise BackfillError(f"target {runtime.target.name}: {runtime.last_error}")
        plan = await asyncio.to_thread(
            _plan, store, runtimes, chosen_datasets, start, end, config.report_interval
        )
        result = BackfillResult(skipped=sum(1 for *_, present in plan if present))
        todo = [
            (runtime, dataset, target, interval)
            for runtime, dataset, target, interval, present in plan
            if not present
        ]
        progress = Progress(len(todo), progress_stream)
        fetchers = {runtime.target.name: ReportFetcher(runtime.warn_once) for runtime in runtimes}
        for runtime, dataset, target, interval in todo:
            name = runtime.target.name
            label = f"{dataset} {name} {interval.key()}"
            try:
                table = await fetchers[name].fetch(dataset, runtime.client, target, interval)
                if table.num_rows:
                    file_name = report_file_name(dataset, name, target.server.server_id, interval)
                    await asyncio.to_thread(store.write, dataset, interval.start.date(), file_name, table)
                result.written += 1
            except (ApiError, StoreError) as exc:
                result.failed += 1
                log.warning("backfill: %s: %s", label, exc)
            progress.advance(label)
        return result
    finally:
        await asyncio.gather(*(runtime.close() for runtime in runtimes))


def _plan(
    store: ParquetStore,
    runtimes: list[TargetRuntime],
    datasets: list[str],
    start: datetime,
    end: datetime,
    length: float,
) -> list[tuple[TargetRuntime, str, ServerTarget, Interval, bool]]:
    """Every (target, dataset, server, interval) in range, oldest first, and whether it is present."""
    present: dict[tuple[str, date], set[str]] = {}
    plan = []
    for runtime in runtimes:
        assert runtime.topology is not None
        zone = ZoneInfo(runtime.target.timezone)
        for interval in intervals_between(start, end, length, zone):
            for dataset in datasets:
                day = interval.start.date()
                if (dataset, day) not in present:
                    present[(dataset, day)] = present_names(store, dataset, day)
                for server in runtime.polled_servers():
                    name = report_file_name(dataset, runtime.target.name, server.server_id, interval)
                    target = ServerTarget(server, runtime.urls[server.server_id])
                    plan.append((runtime, dataset, target, interval, name in present[(dataset, day)]))
    return plan
