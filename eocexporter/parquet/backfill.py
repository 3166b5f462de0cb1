"""Writing report history into the same layout the live sink writes.

Every interval between ``start`` and ``end`` of every polled server of every target in the snapshot is
fetched through the :class:`~eocexporter.parquet.sources.ReportSource` and written under the name the live
sink would give it. Intervals already present (as a file, or merged into a compacted file) are skipped,
so an interrupted backfill resumes where it stopped and a second run changes nothing. The checkpoints of
the live sink are not touched. Only report datasets have history in the API.

The ``backfill`` command (:mod:`eocexporter.backfill`) runs discovery and hands this module its snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TextIO

from eocexporter.parquet.compaction import present_names
from eocexporter.parquet.intervals import Interval, intervals_between
from eocexporter.parquet.sink import report_fetchers, report_file_name
from eocexporter.parquet.sources import IntervalUnanswerable, ReportSource, ReportUnavailable
from eocexporter.parquet.storage import ParquetStore, StoreError
from eocexporter.snapshot import ExporterSnapshot

log = logging.getLogger(__name__)


class BackfillError(Exception):
    """Backfill cannot go on; the message is one line."""


@dataclass
class BackfillResult:
    written: int = 0  # intervals fetched and written (files written, or nothing to write)
    skipped: int = 0  # intervals already present
    failed: int = 0  # intervals that could not be fetched or written
    unanswerable: int = 0  # intervals the API can never be asked about (see IntervalUnanswerable)


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


@dataclass(frozen=True, slots=True)
class _Planned:
    target: str
    dataset: str
    server_id: str
    interval: Interval
    present: bool


async def backfill_reports(
    store: ParquetStore,
    snapshot: ExporterSnapshot,
    source: ReportSource,
    datasets: Sequence[str],
    start: datetime,
    end: datetime,
    length: float,
    progress_stream: TextIO = sys.stderr,
) -> BackfillResult:
    """Fetch and write every missing interval of ``datasets`` in ``[start, end)``; ``end`` must not be in
    the future (an open interval's numbers would still change)."""
    fetchers = report_fetchers(source)
    await asyncio.to_thread(store.remove_leftovers)
    plan = await asyncio.to_thread(_plan, store, snapshot, datasets, start, end, length)
    result = BackfillResult(skipped=sum(1 for planned in plan if planned.present))
    todo = [planned for planned in plan if not planned.present]
    progress = Progress(len(todo), progress_stream)
    for planned in todo:
        interval, dataset = planned.interval, planned.dataset
        label = f"{dataset} {planned.target} {interval.key()}"
        try:
            table = await fetchers[dataset](planned.target, planned.server_id, interval)
            if table.num_rows:
                file_name = report_file_name(dataset, planned.target, planned.server_id, interval)
                await asyncio.to_thread(store.write, dataset, interval.start.date(), file_name, table)
            result.written += 1
        except IntervalUnanswerable as exc:
            result.unanswerable += 1
            log.warning("backfill: %s: skipped: %s", label, exc)
        except (ReportUnavailable, StoreError) as exc:
            result.failed += 1
            log.warning("backfill: %s: %s", label, exc)
        progress.advance(label)
    return result


def _plan(
    store: ParquetStore,
    snapshot: ExporterSnapshot,
    datasets: Sequence[str],
    start: datetime,
    end: datetime,
    length: float,
) -> list[_Planned]:
    """Every (target, dataset, server, interval) in range, oldest first, and whether it is present."""
    present: dict[tuple[str, date], set[str]] = {}
    plan = []
    for target in snapshot.targets:
        for interval in intervals_between(start, end, length, target.timezone):
            day = interval.start.date()
            for dataset in datasets:
                if (dataset, day) not in present:
                    present[(dataset, day)] = present_names(store, dataset, day)
                for server_id in target.polled_servers:
                    name = report_file_name(dataset, target.target, server_id, interval)
                    plan.append(
                        _Planned(target.target, dataset, server_id, interval, name in present[(dataset, day)])
                    )
    return plan
