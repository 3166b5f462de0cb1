"""The live Parquet sink: every closed report interval exactly once, and periodic snapshots.

Report datasets (object_counts, visitor_reports) are written per (target, dataset, server, interval).
A checkpoint per (target, dataset, server) holds the end of the last interval written. Each pass fetches,
oldest first, every interval that closed (plus a grace period) since the checkpoint; a failure stops that
server's pass, to be retried on the next one, so the order is kept and nothing is skipped. Intervals older
than the catch-up window are given up and counted. The checkpoint moves only after the interval's file is
in place, so a crash between the two rewrites the same file — replacing it, never adding rows.

Snapshot datasets (camera_status, license_usage, archive_depth) are taken from the collectors' latest complete data at
slot boundaries of their interval. The API has no history of them, so missed slots cannot be caught up.

The sink only consumes: each pass reads an :class:`~eocexporter.snapshot.ExporterSnapshot` (which servers
each target's replica polls, its time zone, the latest sections) and fetches report intervals through
the :class:`~eocexporter.parquet.sources.ReportSource` it was handed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pyarrow as pa

from eocexporter.model import ArchiveDepthSection, ArchivingSection, CamerasSection, LicenseSection
from eocexporter.ongoing import OngoingFailures
from eocexporter.options import ParquetConfig
from eocexporter.parquet import tables
from eocexporter.parquet.intervals import (
    Interval,
    boundary_at_or_after,
    intervals_between,
    last_closed_end,
    previous_boundary,
)
from eocexporter.parquet.schemas import (
    ARCHIVE_DEPTH,
    CAMERA_STATUS,
    LICENSE_USAGE,
    OBJECT_COUNTS,
    VISITOR_REPORTS,
)
from eocexporter.parquet.sources import IntervalUnanswerable, ReportSource, ReportUnavailable
from eocexporter.parquet.storage import ParquetStore, StoreError
from eocexporter.snapshot import ExporterSnapshot, ParquetDatasetStats, TargetSnapshot

log = logging.getLogger(__name__)


def report_file_name(dataset: str, target: str, server_id: str, interval: Interval) -> str:
    return f"{dataset}__{target}__{server_id}__{interval.key()}.parquet"


def snapshot_file_name(dataset: str, target: str, server_id: str, ts: datetime) -> str:
    return f"{dataset}__{target}__{server_id}__{ts.strftime('%Y%m%dT%H%MZ')}.parquet"


# (target, server_id, interval) -> the interval's rows as an Arrow table of the dataset's schema
IntervalFetch = Callable[[str, str, Interval], Awaitable[pa.Table]]


def report_fetchers(source: ReportSource) -> dict[str, IntervalFetch]:
    """How each report dataset gets one interval of one server: the source's rows, as a table."""

    async def object_counts(target: str, server_id: str, interval: Interval) -> pa.Table:
        lines = await source.object_lines(target, server_id, interval.start, interval.end)
        return tables.object_counts(target, server_id, interval, lines)

    async def visitor_reports(target: str, server_id: str, interval: Interval) -> pa.Table:
        rows = await source.visitor_rows(target, server_id, interval.start, interval.end)
        return tables.visitor_reports(target, server_id, interval, rows)

    return {OBJECT_COUNTS: object_counts, VISITOR_REPORTS: visitor_reports}


@dataclass
class _Counters:
    rows_written: int = 0
    files_written: int = 0
    write_errors: int = 0
    fetch_errors: int = 0
    skipped_intervals: int = 0
    last_written: dict[str, float] = field(default_factory=dict)
    backlog: dict[str, int] = field(default_factory=dict)

    def freeze(self) -> ParquetDatasetStats:
        return ParquetDatasetStats(
            rows_written=self.rows_written,
            files_written=self.files_written,
            write_errors=self.write_errors,
            fetch_errors=self.fetch_errors,
            skipped_intervals=self.skipped_intervals,
            last_written=dict(sorted(self.last_written.items())),
            backlog=dict(sorted(self.backlog.items())),
        )


class ParquetSink:
    def __init__(
        self,
        config: ParquetConfig,
        now: Callable[[], datetime],
        source: ReportSource,
        store: ParquetStore | None = None,
    ) -> None:
        self.config = config
        self.now = now
        self.store = store or ParquetStore(config)
        self._fetchers = report_fetchers(source)
        self._counters: dict[tuple[str, str], _Counters] = {}
        self._checkpoints: dict[tuple[str, str, str], datetime | None] = {}
        self._last_slot: dict[tuple[str, str], datetime] = {}
        self._failures = OngoingFailures(log)

    # ---- public --------------------------------------------------------------------------------

    async def start(self) -> None:
        removed = await asyncio.to_thread(self.store.remove_leftovers)
        if removed:
            log.info("parquet: removed %d temporary file(s) left by an interrupted write", removed)

    def stats(self, target: str) -> dict[str, ParquetDatasetStats]:
        return {
            dataset: counters.freeze()
            for (name, dataset), counters in sorted(self._counters.items())
            if name == target
        }

    async def run_once(self, snapshot: ExporterSnapshot) -> None:
        """One pass over every target: due report intervals, then due snapshots."""
        await asyncio.gather(*(self._target(target) for target in snapshot.targets))

    # ---- report datasets -----------------------------------------------------------------------

    async def _target(self, target: TargetSnapshot) -> None:
        jobs = [
            self._catch_up(target, dataset, fetch, server_id)
            for dataset, fetch in self._fetchers.items()
            if getattr(self.config.datasets, dataset).enabled
            for server_id in target.polled_servers
        ]
        await asyncio.gather(*jobs)
        await self._snapshots(target)

    async def _catch_up(
        self, target: TargetSnapshot, dataset: str, fetch: IntervalFetch, server_id: str
    ) -> None:
        try:
            await self._catch_up_unguarded(target, dataset, fetch, server_id)
        except Exception as exc:
            # A bug, or a row no parser should have let through: counted and logged, and the other
            # servers, datasets and targets of the pass go on. The interval is tried again next pass.
            key = f"{target.target}:{dataset}:{server_id}"
            about = _about(target.target, dataset, server_id)
            self._write_failed(key, self._counters_for(target.target, dataset), exc, about)

    async def _catch_up_unguarded(
        self, target: TargetSnapshot, dataset: str, fetch: IntervalFetch, server_id: str
    ) -> None:
        name = target.target
        counters = self._counters_for(name, dataset)
        zone, length = target.timezone, self.config.report_interval
        now = self.now()
        due_end = last_closed_end(now, length, zone, self.config.grace)
        key = f"{name}:{dataset}:{server_id}"
        about = _about(name, dataset, server_id)
        try:
            checkpoint = await self._checkpoint(name, dataset, server_id)
        except StoreError as exc:
            self._write_failed(key, counters, exc, about)
            return
        if checkpoint is None:
            # First start: the last closed interval, or every interval that began within initial_catch_up.
            start = min(
                previous_boundary(due_end, length, zone),
                boundary_at_or_after(due_end - timedelta(seconds=self.config.initial_catch_up), length, zone),
            )
        else:
            start = checkpoint
        oldest = boundary_at_or_after(now - timedelta(seconds=self.config.catch_up_window), length, zone)
        if start < oldest:
            lost = sum(1 for _ in intervals_between(start, oldest, length, zone))
            counters.skipped_intervals += lost
            log.warning(
                "parquet: target %s, %s, server %s: %d interval(s) older than the catch-up window were skipped",
                name,
                dataset,
                server_id,
                lost,
                extra=about,
            )
            start = oldest
            # Given up for good: counted once, and not again on the next pass or after a restart.
            self._checkpoints[(name, dataset, server_id)] = oldest
            try:
                await asyncio.to_thread(self.store.write_checkpoint, name, dataset, server_id, oldest)
            except StoreError as exc:
                self._write_failed(key, counters, exc, about)
                return
        due = list(intervals_between(start, due_end, length, zone))
        counters.backlog[server_id] = len(due)
        for interval in due:
            try:
                table: pa.Table | None = await fetch(name, server_id, interval)
            except ReportUnavailable as exc:
                counters.fetch_errors += 1
                self._failures.failed(
                    key,
                    f"parquet: target {name}, {dataset}, server {server_id}: cannot fetch {interval.key()}: {exc}",
                    extra=about,
                )
                return
            except IntervalUnanswerable as exc:
                # Never answerable: given up and counted, and the checkpoint moves past it.
                log.warning(
                    "parquet: target %s, %s, server %s: interval %s skipped: %s",
                    name,
                    dataset,
                    server_id,
                    interval.key(),
                    exc,
                    extra=about,
                )
                counters.skipped_intervals += 1
                table = None
            try:
                await asyncio.to_thread(self._write_interval, name, dataset, server_id, interval, table)
            except StoreError as exc:
                self._write_failed(key, counters, exc, about)
                return
            self._checkpoints[(name, dataset, server_id)] = interval.end
            rows = table.num_rows if table is not None else 0
            counters.rows_written += rows
            counters.files_written += bool(rows)
            counters.last_written[server_id] = interval.end.timestamp()
            counters.backlog[server_id] -= 1
            log.debug(
                "parquet: target %s, %s, server %s: interval %s done, %d row(s); checkpoint at %s",
                name,
                dataset,
                server_id,
                interval.key(),
                rows,
                interval.end.isoformat(),
                extra={**about, "rows": rows},
            )
            self._failures.succeeded(
                key, f"parquet: target {name}, {dataset}, server {server_id}: writing again", about
            )

    def _write_interval(
        self, target: str, dataset: str, server_id: str, interval: Interval, table: pa.Table | None
    ) -> None:
        # An interval without rows (a server without the module, or one given up) has no file, only its
        # checkpoint.
        if table is not None and table.num_rows:
            name = report_file_name(dataset, target, server_id, interval)
            self.store.write(dataset, interval.start.date(), name, table)
        self.store.write_checkpoint(target, dataset, server_id, interval.end)

    async def _checkpoint(self, target: str, dataset: str, server_id: str) -> datetime | None:
        key = (target, dataset, server_id)
        if key not in self._checkpoints:
            self._checkpoints[key] = await asyncio.to_thread(
                self.store.read_checkpoint, target, dataset, server_id
            )
        return self._checkpoints[key]

    # ---- snapshot datasets ---------------------------------------------------------------------

    async def _snapshots(self, target: TargetSnapshot) -> None:
        name, zone = target.target, target.timezone
        snapshots: tuple[tuple[str, Mapping[str, object], Callable[..., pa.Table]], ...] = (
            # Only what the latest runs returned: a snapshot of data kept after a failed run would repeat
            # old values as if current (and a camera its reserve server serves now, twice). Of a camera
            # run stopped by its deadline, the statuses it got; the cameras it did not reach have none.
            (CAMERA_STATUS, target.sections.latest_of(CamerasSection), tables.camera_status),
            (LICENSE_USAGE, target.sections.current_of(LicenseSection), tables.license_usage),
            (ARCHIVE_DEPTH, target.sections.current_of(ArchiveDepthSection), _archive_depth_of(target)),
        )
        for dataset, sections, build in snapshots:
            config = getattr(self.config.datasets, dataset)
            if not config.enabled:
                continue
            now = self.now()
            slot = boundary_at_or_after(now, config.interval, zone)
            if slot > now:
                slot = previous_boundary(slot, config.interval, zone)
            if self._last_slot.get((name, dataset), slot - timedelta(seconds=1)) >= slot:
                continue
            if not sections:
                continue  # nothing collected yet (or the collector is off)
            counters = self._counters_for(name, dataset)
            written = True
            # One file per server, like the report datasets: shards that poll different servers of one
            # target never write the same file.
            for server_id, section in sorted(sections.items()):
                file_name = snapshot_file_name(dataset, name, server_id, slot)
                try:
                    table = build(name, slot, {server_id: section})
                    await asyncio.to_thread(self.store.write, dataset, slot.date(), file_name, table)
                except Exception as exc:
                    self._write_failed(f"{name}:{dataset}", counters, exc, _about(name, dataset, server_id))
                    written = False
                    continue
                counters.rows_written += table.num_rows
                counters.files_written += 1
                counters.last_written[server_id] = slot.timestamp()
            if written:
                self._failures.succeeded(
                    f"{name}:{dataset}",
                    f"parquet: target {name}, {dataset}: writing again",
                    {"target": name, "dataset": dataset},
                )
                self._last_slot[(name, dataset)] = slot

    # ---- helpers -------------------------------------------------------------------------------

    def _write_failed(
        self, key: str, counters: _Counters, exc: Exception, about: Mapping[str, object] | None = None
    ) -> None:
        """Count a failed write; log it when writing starts failing or its cause changes, not on every
        retry (the same full disk for every file is one line; "writing again" ends it). ERROR: the
        exporter's own failure (its disk, its bucket), unlike a target's, which is a warning."""
        counters.write_errors += 1
        if isinstance(exc, StoreError):
            self._failures.failed(key, f"parquet: {exc}", logging.ERROR, cause=exc.reason, extra=about)
        else:
            what = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
            self._failures.failed(
                key, f"parquet: {key}: cannot write: {what}", logging.ERROR, cause=what, extra=about
            )

    def _counters_for(self, target: str, dataset: str) -> _Counters:
        return self._counters.setdefault((target, dataset), _Counters())


def _about(target: str, dataset: str, server_id: str) -> dict[str, object]:
    """What a log line is about: fields of the JSON log format (eocexporter.logs)."""
    return {"target": target, "dataset": dataset, "server_id": server_id}


def _archive_depth_of(target: TargetSnapshot) -> Callable[..., pa.Table]:
    """The archive_depth table builder, with the configured depths and the names of the target's cameras
    (kept data too: a depth configured ten minutes ago is still the depth configured)."""

    def build(name: str, ts: datetime, sections: Mapping[str, ArchiveDepthSection]) -> pa.Table:
        settings = {
            camera.camera_id: camera
            for section in target.sections.of(ArchivingSection).values()
            for camera in section.cameras
        }
        names = {
            camera.camera_id: camera.name
            for section in target.sections.of(CamerasSection).values()
            for camera in section.cameras
        }
        return tables.archive_depth(name, ts, sections, settings, names)

    return build
