"""examples/analysis: the walk-through's answers against the simulator's own numbers, and its charts.

The Parquet comes from the exporter against the simulator (examples/analysis/simulate.py: `backfill` of
two local days at 30-minute intervals, then camera-status and licence snapshots every 30 minutes around
the next midnight while two cameras are added), with one UTC day compacted, so the questions read
compacted and uncompacted files together. The expected numbers are computed here from the simulator's
model (its report functions and the signal functions behind camera status), never through the
walk-through or the Parquet files.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import os
import re
import struct
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from types import ModuleType
from zoneinfo import ZoneInfo

import pytest

from eocexporter.options import ParquetConfig
from eocexporter.parquet.compaction import compact_day
from eocexporter.parquet.schemas import DATASETS
from eocexporter.parquet.storage import ParquetStore
from eocexporter.simulator import Installation
from eocexporter.simulator.licence import USAGE_KEYS
from eocexporter.simulator.signals import byte_rate, is_recording, scheduled_status
from eocexporter.simulator.topology import SimCamera

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples" / "analysis"
DOCS = REPO / "docs"

TIMEZONE = "Europe/Moscow"
LOCAL = ZoneInfo(TIMEZONE)
SEED = 7
CAMERAS = 50
FIRST_DAY = date(2026, 11, 24)  # a Tuesday; with Wednesday the 25th, two weekdays and two local days
DAYS = 2
HOURS = 24 * DAYS
END = datetime.combine(FIRST_DAY + timedelta(days=DAYS), time(0), tzinfo=LOCAL)
# Snapshots from 23:30 local before END to 03:30 after it: UTC 20:30 on the 25th to 00:30 on the 26th, so
# they fall on two UTC dates (and the daily archive-depth snapshot on two as well).
SNAPSHOTS_FROM = END - timedelta(minutes=30)
SNAPSHOTS_UNTIL = END + timedelta(hours=4)
ADDED_CAMERAS = 2
# The UTC day compacted: 21 hours of the report datasets and most of the snapshots.
COMPACTED_DAY = date(2026, 11, 25)
MBPS = 131072  # bytes per second in one Mbps as the API counts it (docs/metrics.md)


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"analysis_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


walkthrough = load_example("walkthrough")


@dataclass(frozen=True)
class Snapshot:
    """What the simulator said at one snapshot: its cameras as they were, and its licence usage."""

    ts: datetime
    cameras: tuple[SimCamera, ...]
    licences: dict[str, dict[str, int]]  # webapi/license key -> {"Used", "Total", "OnServer"}


@dataclass(frozen=True)
class Simulated:
    root: Path
    installation: Installation
    reported: tuple[SimCamera, ...]  # the cameras while the report history was fetched
    snapshots: tuple[Snapshot, ...]


@cache
def simulated(base: Path) -> Simulated:
    """The Parquet root of one simulated run, made once per test session (tests/test_parquet_readers.py
    reads it too)."""
    root = base / "analysis-parquet"
    snapshots: list[Snapshot] = []

    def on_snapshot(moment: datetime, installation: Installation) -> None:
        main = installation.main_server.id
        snapshots.append(
            Snapshot(
                moment,
                tuple(dataclasses.replace(camera) for camera in installation.cameras),
                {key: installation.licence_usage(key, main) for key in USAGE_KEYS},
            )
        )

    simulate = load_example("simulate").simulate
    installation = asyncio.run(
        simulate(
            root,
            first_day=FIRST_DAY,
            days=DAYS,
            report_interval="30m",
            snapshot_every="30m",
            snapshots_from=SNAPSHOTS_FROM,
            snapshots_until=SNAPSHOTS_UNTIL,
            grow=ADDED_CAMERAS,
            cameras=CAMERAS,
            seed=SEED,
            timezone=TIMEZONE,
            target="eoc",
            on_snapshot=on_snapshot,
        )
    )
    store = ParquetStore(ParquetConfig(root=str(root)))
    for dataset in DATASETS:
        assert compact_day(store, dataset, COMPACTED_DAY), dataset
    # Cameras are only added after the backfill: those of the first CAMERAS indexes were there for it.
    reported = tuple(camera for camera in installation.cameras if camera.index < CAMERAS)
    return Simulated(root, installation, reported, tuple(snapshots))


@pytest.fixture(scope="session")
def sim_run(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    return simulated(tmp_path_factory.getbasetemp())


# ---- the truth, from the simulator's model ------------------------------------------------------


def local_hours() -> list[datetime]:
    """The report period's local hours, as naive local wall-clock times (as the report takes them)."""
    first = datetime.combine(FIRST_DAY, time(0))
    return [first + timedelta(hours=n) for n in range(HOURS)]


@pytest.fixture(scope="module")
def hourly_crossings(sim_run: Simulated) -> dict[tuple[str, str, str], dict[datetime, int]]:
    """(camera, line, class) -> crossings per local hour, each from the simulator's report of that hour."""
    crossings: dict[tuple[str, str, str], dict[datetime, int]] = defaultdict(dict)
    for camera in sim_run.reported:
        if camera.disabled or not camera.has_object_counting:
            continue
        for hour in local_hours():
            report = sim_run.installation.object_report(camera.id, hour, hour + timedelta(hours=1))
            for zone in report["Zones"]:
                for object_class, count in zone["TotalCounts"].items():
                    crossings[(camera.id, zone["Id"], object_class)][hour] = count
    return crossings


def module_of(key: str) -> str:
    """A webapi/license key as the `module` column names it: FaceDetectorChannels -> face_detector."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()
    return words.removesuffix("_channels")


def status_truth(seed: int, camera: SimCamera, instant: datetime) -> tuple[float, float]:
    """(received main, written) Mbps of an enabled camera: the seeded status of the 10-minute slot (no
    main video in ErrorMain and Wait), the wandering bitrate, and whether its archiving mode records
    at that minute (recording writes the main stream)."""
    key = (seed, camera.id)
    status = scheduled_status(key, instant, camera.alt_enabled, camera.sound)
    main = (
        0
        if status in ("ErrorMain", "Wait")
        else byte_rate(camera.main_bytes_per_second, (*key, "main"), instant)
    )
    written = main if is_recording(camera.archiving_mode, key, instant) else 0
    return main / MBPS, written / MBPS


# ---- the questions ------------------------------------------------------------------------------


def test_footfall_per_hour_and_weekday_is_the_simulators(sim_run: Simulated, hourly_crossings) -> None:
    frame = walkthrough.footfall_by_hour_and_weekday(sim_run.root, TIMEZONE)
    expected: dict[tuple[str, int, int], int] = defaultdict(int)
    for (camera_id, _, object_class), hours in hourly_crossings.items():
        if object_class == "Person":
            for hour, count in hours.items():
                expected[(camera_id, hour.isoweekday(), hour.hour)] += count
    got = {(row.camera_id, row.weekday, row.hour): row.people for row in frame.itertuples(index=False)}
    assert got == dict(expected)
    assert len({weekday for _, weekday, _ in got}) == DAYS  # Tuesday and Wednesday, each once
    assert set(frame["days"]) == {1}
    assert (frame["people_per_day"] == frame["people"]).all()
    assert set(frame["weekday_name"]) == {"Tue", "Wed"}
    names = {camera.id: camera.name for camera in sim_run.reported}
    assert all(names[row.camera_id] == row.camera for row in frame.itertuples(index=False))


def test_peak_hour_per_zone_is_the_simulators(sim_run: Simulated, hourly_crossings) -> None:
    frame = walkthrough.peak_hour_per_zone(sim_run.root, TIMEZONE)
    assert len(frame) == len(hourly_crossings)
    for row in frame.itertuples(index=False):
        hours = hourly_crossings[(row.camera_id, row.zone_id, row.object_class)]
        peak = max(hours.values())
        first_peak = min(hour for hour, count in hours.items() if count == peak)
        assert (row.peak_crossings, row.peak_hour.to_pydatetime()) == (peak, first_peak), row
        assert row.hours == HOURS
        assert row.mean_per_hour == pytest.approx(sum(hours.values()) / HOURS)
    zones = {zone.id: zone.name for camera in sim_run.reported for zone in camera.zones}
    assert all(zones[row.zone_id] == row.zone for row in frame.itertuples(index=False))
    # The busiest people counter comes first among the Person rows, as the chart shows them.
    people = frame[frame["object_class"] == "Person"]
    assert people["peak_crossings"].is_monotonic_decreasing


def test_visitors_by_age_and_gender_per_day_are_the_simulators(sim_run: Simulated) -> None:
    frame = walkthrough.visitors_by_age_and_gender(sim_run.root, TIMEZONE).set_index("day")
    visitors = [c for c in sim_run.reported if c.has_visitor_module and not c.disabled]
    columns = {
        "total_visitors": ("TotalVisitors", None),
        "gender_female": ("GenderDistribution", "Female"),
        "gender_male": ("GenderDistribution", "Male"),
        "age_young": ("AgeDistribution", "Young"),
        "age_adult": ("AgeDistribution", "Adult"),
        "age_middle_aged": ("AgeDistribution", "MiddleAged"),
        "age_senior": ("AgeDistribution", "Senior"),
    }
    days = [FIRST_DAY + timedelta(days=n) for n in range(DAYS)]
    assert list(frame.index) == days
    for day in days:
        start = datetime.combine(day, time(0), tzinfo=LOCAL).astimezone(UTC)
        reports = [
            sim_run.installation.visitor_report(camera.id, start, start + timedelta(days=1))
            for camera in visitors
        ]
        for column, (field, key) in columns.items():
            expected = sum(report[field] if key is None else report[field][key] for report in reports)
            assert frame.loc[day, column] == expected, (day, column)
        assert frame.loc[day, "cameras"] == len(visitors)


def test_cameras_recording_below_their_receive_rate_are_the_simulators(sim_run: Simulated) -> None:
    frame = walkthrough.recording_below_receive(sim_run.root).set_index("camera_id")
    seed = sim_run.installation.seed
    rates: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for snapshot in sim_run.snapshots:
        for camera in snapshot.cameras:
            if not camera.disabled:
                rates[camera.id].append(status_truth(seed, camera, snapshot.ts))
    below = {
        camera_id: sum(written < received for received, written in pairs)
        for camera_id, pairs in rates.items()
    }
    assert set(frame.index) == {camera_id for camera_id, count in below.items() if count}
    for camera_id, row in frame.iterrows():
        pairs = rates[camera_id]
        assert (row["snapshots"], row["below"]) == (len(pairs), below[camera_id]), camera_id
        assert row["share_below"] == pytest.approx(below[camera_id] / len(pairs))
        assert row["receive_mbps"] == pytest.approx(sum(r for r, _ in pairs) / len(pairs), rel=1e-9)
        assert row["write_mbps"] == pytest.approx(sum(w for _, w in pairs) / len(pairs), rel=1e-9)
    # Both kinds occur: cameras that never record (every snapshot below) and motion-triggered ones.
    assert (frame["share_below"] == 1).any() and (frame["share_below"] < 1).any()
    # Cameras added while the snapshots were taken count only the snapshots they were in.
    added = [camera_id for camera_id in rates if sim_run.installation.camera(camera_id).index >= CAMERAS]
    assert len(added) == ADDED_CAMERAS
    assert all(0 < len(rates[camera_id]) < len(sim_run.snapshots) for camera_id in added)
    # The most affected first, as the chart shows them.
    assert sorted(frame["share_below"], reverse=True) == list(frame["share_below"])


def test_licence_headroom_over_time_is_the_simulators(sim_run: Simulated) -> None:
    frame = walkthrough.licence_headroom(sim_run.root)
    got = {
        (row.ts.to_pydatetime(), row.module): (row.used, row.limit, row.headroom)
        for row in frame.itertuples(index=False)
    }
    expected = {
        (snapshot.ts.astimezone(UTC), module_of(key)): (
            usage["Used"],
            usage["Total"],
            usage["Total"] - usage["Used"],
        )
        for snapshot in sim_run.snapshots
        for key, usage in snapshot.licences.items()
        if usage["Total"] > 0 or usage["Used"] > 0
    }
    assert got == expected
    assert set(frame["target"]) == {"eoc"}
    # The cameras added while the snapshots were taken use channels: the headroom moves.
    channels = frame[frame["module"] == "non_registrator"]["headroom"].tolist()
    assert len(channels) == len(sim_run.snapshots)
    assert channels[0] - channels[-1] == ADDED_CAMERAS


# ---- the script and its pictures ----------------------------------------------------------------

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHARTS = [question.chart for question in walkthrough.QUESTIONS]


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE), path
    assert data[12:16] == b"IHDR", path
    return struct.unpack(">II", data[16:24])


def test_the_script_runs_and_renders_every_chart(sim_run: Simulated, tmp_path: Path) -> None:
    out = tmp_path / "charts"
    finished = subprocess.run(
        [sys.executable, str(EXAMPLES / "walkthrough.py"), "--root", str(sim_run.root), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    for question in walkthrough.QUESTIONS:
        assert f"== {question.title} ({question.dataset})" in finished.stdout
    assert sorted(path.name for path in out.iterdir()) == sorted(CHARTS)
    for name in CHARTS:
        path = out / name
        width, height = png_size(path)
        assert 400 <= width <= 1200 and 250 <= height <= 800, (name, width, height)
        assert 5_000 < path.stat().st_size < 100_000, name


def test_the_script_skips_a_dataset_without_files(sim_run: Simulated, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "license_usage" / "date=2026-11-25").mkdir(parents=True)  # a partition without files yet
    (root / "visitor_reports").symlink_to(sim_run.root / "visitor_reports")
    assert walkthrough.main(["--root", str(root), "--out", str(tmp_path / "charts")]) == 0
    assert sorted(path.name for path in (tmp_path / "charts").iterdir()) == ["visitors_by_day.png"]


def test_docs_show_every_chart() -> None:
    text = (DOCS / "analysis.md").read_text(encoding="utf-8")
    for name in CHARTS:
        assert f"](images/analysis/{name})" in text, name
        path = DOCS / "images" / "analysis" / name
        png_size(path)
        assert path.stat().st_size < 100_000, name
    for question in walkthrough.QUESTIONS:
        assert f"`{question.ask.__name__}(" in text, question.ask.__name__
