"""The Parquet sink against the simulator: every closed interval exactly once, read back with pandas and DuckDB."""

from __future__ import annotations

import itertools
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import TIMEZONE, make_settings, sim_config
from helpers import parse_samples, series, value

from eocexporter.parquet.schemas import KEYS, REPORT_DATASETS, SCHEMAS, SNAPSHOT_DATASETS
from eocexporter.simulator import running_simulator

LOCAL = ZoneInfo(TIMEZONE)
DAY_START = datetime(2026, 11, 25, tzinfo=LOCAL)  # a local day in Moscow
DAY_END = DAY_START + timedelta(days=1)
DOCS = Path(__file__).resolve().parent.parent / "docs"
INTERVALS_PER_DAY = 96


def parquet_settings(sim, root: Path, **parquet):
    options = {"root": str(root), "grace": "1m", **parquet}
    return make_settings(sim.main_url, parquet=options)


async def pass_at(exporter, clock, moment: datetime) -> None:
    clock.set(moment)
    await exporter.write_parquet_once()


def duck(root: Path, dataset: str) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(
        f"CREATE VIEW {dataset} AS SELECT * FROM read_parquet('{root}/{dataset}/**/*.parquet', hive_partitioning=true)"
    )
    return connection


def assert_exactly_once(root: Path, dataset: str) -> int:
    """count(*) equals count(DISTINCT key): no row written twice. Returns the row count."""
    key = ", ".join(KEYS[dataset])
    con = duck(root, dataset)
    rows, distinct = con.execute(
        f"SELECT count(*), (SELECT count(*) FROM (SELECT DISTINCT {key} FROM {dataset})) FROM {dataset}"
    ).fetchone()
    assert rows == distinct
    return rows


def lines_and_classes(sim) -> list[tuple[str, str, str]]:
    return [
        (camera.id, zone.id, cls)
        for camera in sim.installation.cameras
        if not camera.disabled
        for zone in camera.zones
        if zone.is_line
        for cls in zone.classes
    ]


@pytest.fixture
async def day_exporter(sim, clock, exporter_factory, tmp_path):
    """An exporter whose sink started at 00:16 local, writing first the interval 00:00-00:15."""
    clock.set(DAY_START + timedelta(minutes=16))
    exporter = exporter_factory(parquet_settings(sim, tmp_path))
    assert await exporter.collect_once()
    await exporter.write_parquet_once()
    return exporter


async def test_a_day_of_object_counts_adds_up_to_the_days_report(sim, clock, day_exporter, tmp_path) -> None:
    # Passes at uneven moments: each catches up everything that closed since the previous one.
    for hours in (3.1, 3.2, 11.5, 24.05):
        await pass_at(day_exporter, clock, DAY_START + timedelta(hours=hours))
    rows = assert_exactly_once(tmp_path, "object_counts")
    assert rows == INTERVALS_PER_DAY * len(lines_and_classes(sim))
    con = duck(tmp_path, "object_counts")
    day = (DAY_START.astimezone(UTC), DAY_END.astimezone(UTC))
    per_line = con.execute(
        "SELECT camera_id, zone_id, object_class, sum(crossings), count(DISTINCT interval_start) "
        "FROM object_counts WHERE interval_start >= ? AND interval_end <= ? GROUP BY ALL",
        list(day),
    ).fetchall()
    assert len(per_line) == len(lines_and_classes(sim))
    naive_start, naive_end = DAY_START.replace(tzinfo=None), DAY_END.replace(tzinfo=None)
    reports = {}
    for camera_id, zone_id, cls, crossings, intervals in per_line:
        if camera_id not in reports:
            reports[camera_id] = sim.installation.object_report(camera_id, naive_start, naive_end)
        [zone] = [z for z in reports[camera_id]["Zones"] if z["Id"] == zone_id]
        assert crossings == zone["TotalCounts"][cls]
        assert intervals == INTERVALS_PER_DAY
    # The first interval's start counts are the counters at local midnight, when they reset: zero.
    first = con.execute(
        "SELECT sum(start_count) FROM object_counts WHERE interval_start = ?", [day[0]]
    ).fetchone()[0]
    assert first == 0


async def test_a_day_of_visitor_reports_adds_up_to_the_days_report(
    sim, clock, day_exporter, tmp_path
) -> None:
    await pass_at(day_exporter, clock, DAY_START + timedelta(hours=24, minutes=2))
    assert_exactly_once(tmp_path, "visitor_reports")
    frame = pd.read_parquet(tmp_path / "visitor_reports")
    visitors = [c for c in sim.installation.cameras if c.has_visitor_module and not c.disabled]
    assert len(frame) == INTERVALS_PER_DAY * len(visitors)
    totals = frame.groupby("camera_id")[
        ["total_visitors", "unique_visitors", "gender_female", "age_senior"]
    ].sum()
    for camera in visitors:
        report = sim.installation.visitor_report(
            camera.id, DAY_START.astimezone(UTC), DAY_END.astimezone(UTC)
        )
        row = totals.loc[camera.id]
        assert row["total_visitors"] == report["TotalVisitors"]
        assert row["unique_visitors"] == report["UniqueVisitors"]
        assert row["gender_female"] == report["GenderDistribution"]["Female"]
        assert row["age_senior"] == report["AgeDistribution"]["Senior"]
    assert set(frame["camera"]) == {camera.name for camera in visitors}


async def test_files_have_the_documented_schema_and_encoding(sim, clock, day_exporter, tmp_path) -> None:
    await pass_at(day_exporter, clock, DAY_START + timedelta(hours=1, minutes=2))
    for dataset in ("object_counts", "visitor_reports", "camera_status", "license_usage"):
        files = sorted((tmp_path / dataset).glob("date=*/*.parquet"))
        assert files, dataset
        for path in files:
            assert pq.read_schema(path).remove_metadata() == SCHEMAS[dataset], path
            metadata = pq.ParquetFile(path).metadata
            for column in range(metadata.num_columns):
                chunk = metadata.row_group(0).column(column)
                assert chunk.compression == "ZSTD"
                if SCHEMAS[dataset].field(column).type == "string":
                    assert "RLE_DICTIONARY" in chunk.encodings or "PLAIN_DICTIONARY" in chunk.encodings
        frame = pd.read_parquet(tmp_path / dataset)
        time_column = "interval_start" if dataset in ("object_counts", "visitor_reports") else "ts"
        assert str(frame[time_column].dtype) == "datetime64[ms, UTC]"
        # Hive partitions by UTC date of the row's time.
        assert {f"date={moment.date().isoformat()}" for moment in frame[time_column]} == {
            path.parent.name for path in files
        }


async def test_interval_files_are_named_by_what_they_hold(sim, clock, day_exporter, tmp_path) -> None:
    await pass_at(day_exporter, clock, DAY_START + timedelta(minutes=33))
    main = next(server for server in sim.installation.servers if server.is_main)
    # 00:00-00:15 local is 21:00-21:15 UTC of the previous day.
    expected = (
        tmp_path
        / "object_counts"
        / "date=2026-11-24"
        / f"object_counts__eoc__{main.id}__20261124T2100Z-20261124T2115Z.parquet"
    )
    assert expected.exists()


async def test_snapshots_of_camera_status_and_licences(sim, clock, exporter_factory, tmp_path) -> None:
    clock.set(DAY_START + timedelta(minutes=7))
    exporter = exporter_factory(parquet_settings(sim, tmp_path))
    assert await exporter.collect_once()
    await exporter.write_parquet_once()
    frame = pd.read_parquet(tmp_path / "camera_status")
    assert len(frame) == len(sim.installation.cameras)
    assert set(frame["ts"]) == {pd.Timestamp(DAY_START + timedelta(minutes=5)).tz_convert("UTC")}
    enabled = frame[~frame["disabled"]].set_index("camera_id")
    for camera in sim.installation.cameras:
        if camera.disabled:
            assert frame.loc[frame["camera_id"] == camera.id, "status"].isna().all()
            continue
        status = sim.installation.camera_status(camera.id)
        assert enabled.loc[camera.id, "receive_main_mbps"] == status["ReceiveVideoMbps"]
        assert enabled.loc[camera.id, "camera"] == camera.name
    licences = pd.read_parquet(tmp_path / "license_usage")
    main = next(server for server in sim.installation.servers if server.is_main)
    face = licences[(licences["server_id"] == main.id) & (licences["module"] == "face_detector")]
    assert face["limit"].tolist() == [sim.installation.license(main.id)["FaceDetectorChannels"]["Total"]]
    # A pass in the same slot writes nothing new; the next slot writes a second camera snapshot.
    servers = len(sim.installation.servers)
    await pass_at(exporter, clock, DAY_START + timedelta(minutes=9))
    assert len(list((tmp_path / "camera_status").glob("*/*.parquet"))) == servers
    await pass_at(exporter, clock, DAY_START + timedelta(minutes=11))
    assert len(list((tmp_path / "camera_status").glob("*/*.parquet"))) == 2 * servers


async def test_a_restart_mid_day_leaves_no_gap_and_no_duplicate(
    sim, clock, day_exporter, exporter_factory, tmp_path
) -> None:
    first = day_exporter
    await pass_at(first, clock, DAY_START + timedelta(hours=11, minutes=40))
    await first.stop()
    # Down for a while; the new process starts from the checkpoints on disk.
    clock.set(DAY_START + timedelta(hours=24, minutes=3))
    second = exporter_factory(parquet_settings(sim, tmp_path))
    assert await second.collect_once()
    await second.write_parquet_once()
    rows = assert_exactly_once(tmp_path, "object_counts")
    assert rows == INTERVALS_PER_DAY * len(lines_and_classes(sim))
    con = duck(tmp_path, "object_counts")
    starts = [
        row[0]
        for row in con.execute("SELECT DISTINCT interval_start FROM object_counts ORDER BY 1").fetchall()
    ]
    assert len(starts) == INTERVALS_PER_DAY
    assert all(b - a == timedelta(minutes=15) for a, b in itertools.pairwise(starts))


async def test_a_server_down_for_three_intervals_is_caught_up_when_it_returns(
    sim, clock, day_exporter, tmp_path
) -> None:
    other = next(server for server in sim.installation.servers if not server.is_main)
    await pass_at(day_exporter, clock, DAY_START + timedelta(hours=1, minutes=2))
    await sim.faults.server_down(other.id, mode="refuse")
    await pass_at(day_exporter, clock, DAY_START + timedelta(hours=1, minutes=47))
    samples = parse_samples(await _render(day_exporter))
    where = {"dataset": "object_counts", "server_id": other.id}
    assert value(samples, "eocortex_parquet_backlog_intervals", **where) == 3
    assert value(samples, "eocortex_parquet_fetch_errors_total", dataset="object_counts") >= 1
    await sim.faults.server_up(other.id)
    await pass_at(day_exporter, clock, DAY_START + timedelta(hours=1, minutes=48))
    samples = parse_samples(await _render(day_exporter))
    assert value(samples, "eocortex_parquet_backlog_intervals", **where) == 0
    assert (
        value(samples, "eocortex_parquet_last_written_timestamp_seconds", **where)
        == (DAY_START + timedelta(hours=1, minutes=45)).timestamp()
    )
    frame = pd.read_parquet(tmp_path / "object_counts", filters=[("server_id", "==", other.id)])
    assert frame["interval_start"].nunique() == 7
    assert_exactly_once(tmp_path, "object_counts")


async def test_intervals_older_than_the_window_are_skipped_and_counted(
    sim, clock, exporter_factory, tmp_path
) -> None:
    # A 2-day window rather than the default 7: the same rule, a third of the files to write.
    clock.set(DAY_START + timedelta(minutes=16))
    exporter = exporter_factory(parquet_settings(sim, tmp_path, catch_up_window="2d"))
    assert await exporter.collect_once()
    await pass_at(exporter, clock, DAY_START + timedelta(minutes=17))
    # Pretend the exporter was away for 5 days: only the last 2 are caught up.
    await pass_at(exporter, clock, DAY_START + timedelta(days=5, minutes=2))
    samples = parse_samples(await _render(exporter))
    skipped = value(samples, "eocortex_parquet_skipped_intervals_total", dataset="object_counts")
    servers = len(sim.installation.servers)
    # From 00:15 on day 0 to the window's start, 00:15 on day 3 (5 days - 2 days, rounded up to a boundary).
    assert skipped == servers * 3 * INTERVALS_PER_DAY
    frame = pd.read_parquet(tmp_path / "object_counts", columns=["interval_start", "server_id"])
    assert (
        # 00:00-00:15 of day 0, then the window from 00:15 on day 3 to 00:00 on day 5
        frame.groupby("server_id")["interval_start"].nunique().tolist() == [2 * INTERVALS_PER_DAY] * servers
    )


async def test_sink_metrics_are_exposed(sim, clock, day_exporter, tmp_path) -> None:
    await pass_at(day_exporter, clock, DAY_START + timedelta(minutes=32))
    samples = parse_samples(await _render(day_exporter))
    for dataset in ("object_counts", "visitor_reports", "camera_status", "license_usage"):
        assert value(samples, "eocortex_parquet_rows_written_total", dataset=dataset) > 0
        assert value(samples, "eocortex_parquet_files_written_total", dataset=dataset) > 0
        assert value(samples, "eocortex_parquet_write_errors_total", dataset=dataset) == 0
    files = len(list((tmp_path / "object_counts").glob("*/*.parquet")))
    assert value(samples, "eocortex_parquet_files_written_total", dataset="object_counts") == files
    assert (
        len(series(samples, "eocortex_parquet_last_written_timestamp_seconds", dataset="object_counts")) == 2
    )


async def test_leftover_temporary_files_are_removed_at_start(sim, clock, exporter_factory, tmp_path) -> None:
    partition = tmp_path / "object_counts" / "date=2026-11-24"
    partition.mkdir(parents=True)
    leftover = partition / ".object_counts__eoc__x__20261124T2100Z-20261124T2115Z.parquet.0123.tmp"
    leftover.write_bytes(b"PAR1 half a file")
    exporter = exporter_factory(parquet_settings(sim, tmp_path))
    await exporter.sink.start()
    assert not leftover.exists()


async def _render(exporter) -> bytes:
    await exporter.publish_now()
    return exporter.exposition.body


async def test_skipped_intervals_are_counted_once_even_while_fetching_fails(
    sim, clock, day_exporter, tmp_path
) -> None:
    exporter = day_exporter
    sim.faults.set_error_rate("api/objects_counting/report", 1.0, status=500)
    sim.faults.set_error_rate("api/object_counting/report", 1.0, status=500)
    for minutes in (2, 3, 4):
        await pass_at(exporter, clock, DAY_START + timedelta(days=10, minutes=minutes))
    samples = parse_samples(await _render(exporter))
    servers = len(sim.installation.servers)
    assert value(samples, "eocortex_parquet_skipped_intervals_total", dataset="object_counts") == (
        servers * 3 * INTERVALS_PER_DAY
    )
    assert value(samples, "eocortex_parquet_fetch_errors_total", dataset="object_counts") == 3 * servers


def visitor_report_chunks(sim) -> list[list[str]]:
    """The cameras each api/unique_visitor/report request asked about, in the simulator's log."""
    return [
        dict(entry.params)["channel"].split(",")
        for entry in sim.request_log
        if entry.template == "api/unique_visitor/report"
    ]


async def test_visitor_reports_follow_the_visitors_cameras_per_request(
    sim, clock, exporter_factory, tmp_path
) -> None:
    clock.set(DAY_START + timedelta(minutes=16))
    settings = make_settings(
        sim.main_url,
        parquet={"root": str(tmp_path), "grace": "1m"},
        collectors={"visitors": {"cameras_per_request": 3}},
    )
    exporter = exporter_factory(settings)
    assert await exporter.collect_once()
    sim.request_log.clear()
    await exporter.write_parquet_once()
    chunks = visitor_report_chunks(sim)
    assert chunks and max(map(len, chunks)) == 3
    enabled = {camera.id for camera in sim.installation.cameras if not camera.disabled}
    asked = [camera_id for chunk in chunks for camera_id in chunk]
    assert sorted(asked) == sorted(enabled)  # one interval: every enabled camera asked about exactly once
    assert_exactly_once(tmp_path, "visitor_reports")


async def test_the_hour_repeated_in_autumn_is_given_up_counted_and_passed(clock, exporter_factory, tmp_path):
    """The object counting report takes local times, which cannot name 02:00-03:00 on Berlin's autumn
    night (it happens twice): those intervals are skipped and counted, and the sink goes on; the visitor
    report (UTC times) has every one of the day's 100 quarters."""
    berlin = ZoneInfo("Europe/Berlin")
    day = datetime(2026, 10, 25, tzinfo=berlin)  # 25 hours long
    clock.set(day + timedelta(minutes=16))
    async with running_simulator(sim_config(clock, timezone="Europe/Berlin")) as berlin_sim:
        settings = make_settings(
            berlin_sim.main_url,
            target={"timezone": "Europe/Berlin"},
            parquet={"root": str(tmp_path), "grace": "1m"},
        )
        exporter = exporter_factory(settings)
        assert await exporter.collect_once()
        await exporter.write_parquet_once()
        clock.set(datetime(2026, 10, 26, 0, 5, tzinfo=berlin))
        await exporter.write_parquet_once()
        servers = len(berlin_sim.installation.servers)
    stats = exporter.sink.stats("eoc")
    quarters = [day.astimezone(UTC) + timedelta(minutes=15 * n) for n in range(100)]
    # 01:45-02:00 ends at an ambiguous 02:00; the eight quarters of the two 02:00-03:00 start at one.
    ambiguous = set(quarters[7:16])
    assert quarters[7] == datetime(2026, 10, 24, 23, 45, tzinfo=UTC)
    assert quarters[16] == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)  # 03:00 CET
    counts = duck(tmp_path, "object_counts")
    written = {
        row[0] for row in counts.execute("SELECT DISTINCT interval_start FROM object_counts").fetchall()
    }
    assert written == set(quarters) - ambiguous
    visitors = duck(tmp_path, "visitor_reports")
    starts = {
        row[0] for row in visitors.execute("SELECT DISTINCT interval_start FROM visitor_reports").fetchall()
    }
    assert starts == set(quarters)
    assert stats["object_counts"].skipped_intervals == len(ambiguous) * servers
    assert stats["object_counts"].fetch_errors == 0
    assert stats["object_counts"].backlog == dict.fromkeys(stats["object_counts"].backlog, 0)
    assert stats["visitor_reports"].skipped_intervals == 0


async def test_a_failing_write_is_logged_once_until_it_works_again(
    sim, clock, exporter_factory, tmp_path, caplog
) -> None:
    root = tmp_path / "root"
    root.write_text("a file where the root directory should be")  # every write fails: Not a directory
    clock.set(DAY_START + timedelta(minutes=17))
    exporter = exporter_factory(parquet_settings(sim, root))
    assert await exporter.collect_once()
    caplog.set_level(logging.DEBUG, logger="eocexporter.parquet.sink")
    for _ in range(5):  # five passes, as the sink retries every check_every
        await exporter.write_parquet_once()
    servers = len(sim.installation.servers)
    # One line per thing that fails: each report dataset per server, each snapshot dataset.
    keys = len(REPORT_DATASETS) * servers + len(SNAPSHOT_DATASETS)
    errors = [record.message for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == keys, errors
    assert all("Not a directory" in message for message in errors)
    stats = exporter.sink.stats("eoc")
    assert sum(dataset.write_errors for dataset in stats.values()) >= 5 * keys  # every retry counted
    caplog.clear()
    root.unlink()
    clock.set(DAY_START + timedelta(minutes=20))
    await exporter.write_parquet_once()
    again = [record.message for record in caplog.records if "writing again" in record.message]
    assert len(again) == keys, again
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


async def test_a_daily_archive_depth_snapshot_matches_the_archive_and_its_settings(
    sim, clock, exporter_factory, tmp_path
) -> None:
    # Just after local midnight: the day's slot is due.
    clock.set(DAY_START + timedelta(minutes=3))
    exporter = exporter_factory(parquet_settings(sim, tmp_path))
    assert await exporter.collect_once()
    await exporter.write_parquet_once()
    files = sorted((tmp_path / "archive_depth").glob("date=*/*.parquet"))
    assert len(files) == len(sim.installation.servers)
    for path in files:
        assert pq.read_schema(path).remove_metadata() == SCHEMAS["archive_depth"], path
    frame = pd.read_parquet(tmp_path / "archive_depth").set_index("camera_id")
    assert set(frame["ts"]) == {pd.Timestamp(DAY_START).tz_convert("UTC")}
    assert len(frame) == len(sim.installation.cameras)
    for camera in sim.installation.cameras:
        row, profile = frame.loc[camera.id], sim.installation.archive_profile(camera.id)
        held = [day for day in profile.days if day >= (DAY_START - timedelta(days=400)).date()]
        assert row["days_held"] == len(held), camera.id
        if held:
            assert (row["oldest_day"], row["newest_day"]) == (held[0], held[-1]), camera.id
            assert row["missing_days"] == (held[-1] - held[0]).days + 1 - len(held)
        else:
            assert pd.isna(row["oldest_day"]) and pd.isna(row["missing_days"])
        assert row["camera"] == camera.name
        if camera.disabled:
            # The archiving collector does not read disabled cameras' settings: null, never 0.
            assert pd.isna(row["min_depth_days"])
        else:
            assert row["min_depth_days"] == profile.min_depth
            assert row["max_depth_days"] == profile.max_depth
    # The documented DuckDB query runs on the files and orders the shallowest first.
    blocks = (DOCS / "parquet.md").read_text().split("```sql\n")[1:]
    [query] = [block.split("```")[0] for block in blocks if "archive_depth" in block.split("```")[0]]
    query = query.replace("/var/lib/eocexporter/parquet", str(tmp_path))
    rows = duckdb.sql(query).fetchall()
    assert len(rows) == len(frame)
    gaps = [depth - minimum for _, minimum, depth in rows if minimum is not None and depth is not None]
    assert gaps == sorted(gaps)
    # The next pass the same day writes nothing new; the next day's does.
    await pass_at(exporter, clock, DAY_START + timedelta(hours=5))
    assert len(list((tmp_path / "archive_depth").glob("*/*.parquet"))) == len(files)
    await pass_at(exporter, clock, DAY_END + timedelta(minutes=1))
    assert len(list((tmp_path / "archive_depth").glob("*/*.parquet"))) == 2 * len(files)
