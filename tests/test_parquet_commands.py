"""`backfill` and `compact`: idempotent history, fewer files, never a row lost or doubled."""

from __future__ import annotations

import io
from datetime import UTC, timedelta
from pathlib import Path

import pyarrow.parquet as pq
from conftest import make_settings
from test_parquet import (
    DAY_START,
    INTERVALS_PER_DAY,
    assert_exactly_once,
    lines_and_classes,
    parquet_settings,
    visitor_report_chunks,
)

from eocexporter.backfill import backfill
from eocexporter.parquet.compaction import compact_day
from eocexporter.parquet.storage import ParquetStore

DATASETS = ("object_counts", "visitor_reports")


def snapshot_of(root: Path) -> dict[str, list[dict[str, object]]]:
    """Every data file's name and rows, as a dataset analysts would read."""
    return {
        str(path.relative_to(root)): pq.read_table(path).to_pylist()
        for path in sorted(root.glob("*/date=*/*.parquet"))
    }


async def run_backfill(settings, clock, start, end) -> tuple[object, str]:
    stream = io.StringIO()
    result = await backfill(settings, start, end, now=clock.now, progress_stream=stream)
    return result, stream.getvalue()


async def test_backfill_twice_gives_the_same_dataset(sim, clock, tmp_path: Path) -> None:
    clock.set(DAY_START + timedelta(days=3))
    settings = parquet_settings(sim, tmp_path)
    start, end = DAY_START, DAY_START + timedelta(days=1)
    first, progress = await run_backfill(settings, clock, start, end)
    servers = len(sim.installation.servers)
    assert (first.written, first.skipped, first.failed) == (2 * servers * INTERVALS_PER_DAY, 0, 0)
    assert "backfill: 384/384 intervals (100%)" in progress
    rows = assert_exactly_once(tmp_path, "object_counts")
    assert rows == INTERVALS_PER_DAY * len(lines_and_classes(sim))
    assert_exactly_once(tmp_path, "visitor_reports")
    before = snapshot_of(tmp_path)
    second, _ = await run_backfill(settings, clock, start, end)
    assert (second.written, second.skipped) == (0, 2 * servers * INTERVALS_PER_DAY)
    assert snapshot_of(tmp_path) == before


async def test_an_interrupted_backfill_resumes(sim, clock, tmp_path: Path) -> None:
    clock.set(DAY_START + timedelta(days=2))
    settings = parquet_settings(sim, tmp_path)
    await run_backfill(settings, clock, DAY_START, DAY_START + timedelta(hours=6))
    partial = len(list(tmp_path.glob("object_counts/*/*.parquet")))
    result, _ = await run_backfill(settings, clock, DAY_START, DAY_START + timedelta(days=1))
    servers = len(sim.installation.servers)
    assert result.skipped == 2 * servers * 24
    assert len(list(tmp_path.glob("object_counts/*/*.parquet"))) == partial * 4
    assert_exactly_once(tmp_path, "object_counts")


async def test_backfill_never_asks_about_an_open_interval(sim, clock, tmp_path: Path) -> None:
    clock.set(DAY_START + timedelta(hours=1, minutes=7))
    result, _ = await run_backfill(
        parquet_settings(sim, tmp_path), clock, DAY_START, DAY_START + timedelta(days=1)
    )
    assert result.written == 2 * len(sim.installation.servers) * 4


async def test_compact_keeps_every_row_in_fewer_files(sim, clock, tmp_path: Path) -> None:
    clock.set(DAY_START + timedelta(days=2))
    settings = parquet_settings(sim, tmp_path)
    await run_backfill(settings, clock, DAY_START, DAY_START + timedelta(days=1))
    store = ParquetStore(settings.parquet)
    before = {dataset: assert_exactly_once(tmp_path, dataset) for dataset in DATASETS}
    days = sorted({path.parent.name for path in tmp_path.glob("object_counts/*/*.parquet")})
    assert days == ["date=2026-11-24", "date=2026-11-25"]  # a Moscow day spans two UTC dates
    files_before = len(list(tmp_path.glob("*/*/*.parquet")))
    for day in days:
        for dataset in DATASETS:
            compact_day(store, dataset, DAY_START.date().fromisoformat(day.removeprefix("date=")))
    assert {dataset: assert_exactly_once(tmp_path, dataset) for dataset in DATASETS} == before
    files_after = sorted(p.name for p in tmp_path.glob("*/*/*.parquet"))
    assert len(files_after) == len(DATASETS) * len(days) < files_before
    assert all(name.endswith("__compacted.parquet") for name in files_after)
    # Backfill after compaction sees the intervals as present: nothing fetched, nothing doubled.
    result, _ = await run_backfill(settings, clock, DAY_START, DAY_START + timedelta(days=1))
    assert result.written == 0
    assert {dataset: assert_exactly_once(tmp_path, dataset) for dataset in DATASETS} == before


async def test_compact_again_merges_new_files_and_removes_leftovers_of_a_crash(
    sim, clock, tmp_path: Path
) -> None:
    clock.set(DAY_START + timedelta(days=2))
    settings = parquet_settings(sim, tmp_path)
    store = ParquetStore(settings.parquet)
    await run_backfill(settings, clock, DAY_START + timedelta(hours=4), DAY_START + timedelta(hours=8))
    day = (DAY_START + timedelta(hours=4)).astimezone(UTC).date()
    small = sorted((tmp_path / "object_counts" / f"date={day.isoformat()}").glob("*.parquet"))
    kept_copy = small[0].read_bytes()
    compact_day(store, "object_counts", day)
    # A crash between writing the compacted file and deleting the small ones leaves one behind...
    small[0].write_bytes(kept_copy)
    # ...while the live sink keeps adding new intervals to the same day.
    await run_backfill(settings, clock, DAY_START + timedelta(hours=8), DAY_START + timedelta(hours=10))
    [result] = compact_day(store, "object_counts", day)
    assert result.rows == 24 * len(lines_and_classes(sim))
    assert [p.name for p in (tmp_path / "object_counts" / f"date={day.isoformat()}").glob("*.parquet")] == [
        f"object_counts__eoc__{day.isoformat()}__compacted.parquet"
    ]
    assert assert_exactly_once(tmp_path, "object_counts") == result.rows


async def test_backfill_refuses_snapshot_datasets_and_unknown_targets(sim, clock, tmp_path: Path) -> None:
    from eocexporter.backfill import BackfillError

    settings = parquet_settings(sim, tmp_path)
    for kwargs, message in (
        ({"datasets": ["camera_status"]}, "camera_status has no history in the Eocortex API"),
        ({"targets": ["nope"]}, "no target named 'nope' in the configuration"),
    ):
        try:
            await backfill(settings, DAY_START, DAY_START + timedelta(hours=1), now=clock.now, **kwargs)
        except BackfillError as exc:
            assert str(exc).startswith(message)
        else:
            raise AssertionError("expected BackfillError")
    no_root = make_settings(sim.main_url)
    try:
        await backfill(no_root, DAY_START, DAY_START + timedelta(hours=1), now=clock.now)
    except BackfillError as exc:
        assert str(exc) == "parquet.root is not set: nowhere to write"


async def test_the_documented_queries_run(sim, clock, tmp_path: Path) -> None:
    """docs/parquet.md's DuckDB and pandas examples, pointed at real files."""
    import re

    import duckdb

    clock.set(DAY_START + timedelta(days=1, hours=1))
    await run_backfill(parquet_settings(sim, tmp_path), clock, DAY_START, DAY_START + timedelta(days=1))
    text = (Path(__file__).parent.parent / "docs" / "parquet.md").read_text(encoding="utf-8")
    documented_root = "/var/lib/eocexporter/parquet"
    sql_blocks = re.findall(r"```sql\n(.*?)```", text, re.S)
    assert len(sql_blocks) == 3
    # archive_depth is a snapshot that backfill does not write: its query runs in tests/test_parquet.py.
    for sql in [block for block in sql_blocks if "/archive_depth/" not in block]:
        result = duckdb.sql(
            sql.replace(documented_root, str(tmp_path)).replace(
                "now() - INTERVAL 7 DAY", "TIMESTAMPTZ '2026-11-18 00:00:00+00'"
            )
        )
        assert result.fetchall(), sql
    [pandas_block] = [
        block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "import pandas" in block
    ]
    scope: dict[str, object] = {}
    exec(pandas_block.replace(documented_root, str(tmp_path)).replace('"shop"', '"eoc"'), scope)
    assert len(scope["hourly"]) > 0


async def test_backfill_asks_for_visitor_reports_as_the_visitors_collector_does(
    sim, clock, tmp_path: Path
) -> None:
    clock.set(DAY_START + timedelta(days=1))
    settings = make_settings(
        sim.main_url,
        parquet={"root": str(tmp_path)},
        collectors={"visitors": {"cameras_per_request": 4}},
    )
    sim.request_log.clear()
    result = await backfill(
        settings,
        DAY_START,
        DAY_START + timedelta(minutes=15),
        datasets=["visitor_reports"],
        now=clock.now,
        progress_stream=io.StringIO(),
    )
    assert (result.written, result.failed) == (len(sim.installation.servers), 0)
    chunks = visitor_report_chunks(sim)
    assert chunks and max(map(len, chunks)) == 4
    enabled = {camera.id for camera in sim.installation.cameras if not camera.disabled}
    assert sorted(camera_id for chunk in chunks for camera_id in chunk) == sorted(enabled)
