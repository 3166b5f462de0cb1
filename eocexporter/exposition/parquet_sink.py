"""What the Parquet sink did per target and dataset."""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.exposition.family import SeriesSet, counter, gauge
from eocexporter.snapshot import ParquetDatasetStats

ROWS_WRITTEN = counter(
    "eocortex_parquet_rows_written",
    "Rows the Parquet sink wrote, by dataset, since the exporter started.",
    ("target", "dataset"),
)
FILES_WRITTEN = counter(
    "eocortex_parquet_files_written",
    "Parquet files the sink wrote (or replaced), by dataset, since the exporter started.",
    ("target", "dataset"),
)
WRITE_ERRORS = counter(
    "eocortex_parquet_write_errors",
    "Parquet files or checkpoints the sink failed to write (disk full, read-only, store unreachable).",
    ("target", "dataset"),
)
FETCH_ERRORS = counter(
    "eocortex_parquet_fetch_errors",
    "Report intervals the sink failed to fetch from Eocortex; each is retried on the next pass.",
    ("target", "dataset"),
)
SKIPPED_INTERVALS = counter(
    "eocortex_parquet_skipped_intervals",
    "Closed report intervals given up: they fell out of the catch-up window before they could be"
    " written, or the API cannot be asked about them (object counts in the hour a daylight-saving"
    " change repeats).",
    ("target", "dataset"),
)
LAST_WRITTEN = gauge(
    "eocortex_parquet_last_written_timestamp_seconds",
    "End of the last report interval written per server, or time of the server's last snapshot"
    " for snapshot datasets; unix seconds.",
    ("target", "dataset", "server_id"),
)
BACKLOG = gauge(
    "eocortex_parquet_backlog_intervals",
    "Closed report intervals of the server not yet written (the catch-up backlog).",
    ("target", "dataset", "server_id"),
)

FAMILIES = (
    ROWS_WRITTEN,
    FILES_WRITTEN,
    WRITE_ERRORS,
    FETCH_ERRORS,
    SKIPPED_INTERVALS,
    LAST_WRITTEN,
    BACKLOG,
)


def render(series: SeriesSet, target: str, datasets: Mapping[str, ParquetDatasetStats]) -> None:
    for dataset, stats in sorted(datasets.items()):
        labels = (target, dataset)
        series.add(ROWS_WRITTEN, labels, stats.rows_written)
        series.add(FILES_WRITTEN, labels, stats.files_written)
        series.add(WRITE_ERRORS, labels, stats.write_errors)
        series.add(FETCH_ERRORS, labels, stats.fetch_errors)
        series.add(SKIPPED_INTERVALS, labels, stats.skipped_intervals)
        for server_id, moment in sorted(stats.last_written.items()):
            series.add(LAST_WRITTEN, (target, dataset, server_id), moment)
        for server_id, count in sorted(stats.backlog.items()):
            series.add(BACKLOG, (target, dataset, server_id), count)
