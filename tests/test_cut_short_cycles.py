"""A camera run stopped by its deadline keeps the statuses it got, and the next run goes on from there.

An exporter short of time (a server that answers slowly, a process that polls more cameras than its CPU
serves in an interval) used to lose every status of a run that reached its deadline, and after
``stale_after_intervals`` the cameras' part of the exposition went. Now each status is kept for as long
as a whole section would be, and the runs take turns over the cameras.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pytest
from conftest import make_settings
from helpers import collect, series, value

from eocexporter.model import Camera, CamerasSection, CameraStatus
from eocexporter.options import CollectorConfig
from eocexporter.registry import COLLECTORS
from eocexporter.runtime import KeptSection, TargetRuntime, _cut_short

STATUS = "api/channels/{id}/status"
# Only discovery and the cameras collector: every run is the one under test.
OTHERS_OFF = {entry.name: {"enabled": False} for entry in COLLECTORS if entry.name != "cameras"}


def statuses_by_server(exporter) -> dict[str, CamerasSection]:
    return dict(exporter.runtimes[0].snapshot().sections.of(CamerasSection))


def fresh(section: CamerasSection) -> set[str]:
    return {status.camera_id for status in section.statuses} - set(section.carried)


async def test_a_run_stopped_by_its_deadline_keeps_its_statuses_and_the_next_goes_on(
    small, exporter_factory
) -> None:
    # One request at a time, 0.15 s each: ~12 statuses in the 2 s run's time, of the 18 enabled cameras.
    small.faults.set_latency(0.15, endpoint=STATUS)
    settings = make_settings(
        small.main_url,
        target={"max_concurrency": 1},
        collectors={"cameras": {"interval": 2}, **OTHERS_OFF},
    )
    exporter = exporter_factory(settings)

    ok, samples = await collect(exporter)
    first = statuses_by_server(exporter)
    enabled = {
        server_id: {camera.camera_id for camera in section.cameras if not camera.disabled}
        for server_id, section in first.items()
    }
    polled_first = set().union(*(fresh(section) for section in first.values()))
    all_enabled = set().union(*enabled.values())
    assert not ok
    assert value(samples, "eocortex_collector_success", collector="cameras") == 0
    assert 0 < len(polled_first) < len(all_enabled)
    for server_id, section in first.items():
        assert section.unreached == enabled[server_id] - fresh(section)
        assert not section.carried  # nothing before it
    # What the run got is exposed; a camera it did not reach has no status series at all, not a 0.
    with_status = {dict(labels)["camera_id"] for labels in series(samples, "eocortex_camera_status")}
    assert with_status == polled_first
    error = exporter.runtimes[0].runs["cameras"].error or ""
    assert "deadline" in error and "cameras not reached" in error

    ok, samples = await collect(exporter)
    second = statuses_by_server(exporter)
    assert not ok
    for server_id, section in second.items():
        # The cameras the first run did not reach went first, and the rest of the statuses are the first
        # run's, carried over.
        assert first[server_id].unreached <= fresh(section)
        assert set(section.carried) <= fresh(first[server_id])
        assert {status.camera_id for status in section.statuses} == enabled[server_id]
    with_status = {dict(labels)["camera_id"] for labels in series(samples, "eocortex_camera_status")}
    assert with_status == all_enabled

    small.faults.set_latency(0.0, endpoint=STATUS)
    ok, samples = await collect(exporter)
    assert ok
    assert value(samples, "eocortex_collector_success", collector="cameras") == 1
    for server_id, section in statuses_by_server(exporter).items():
        assert not section.unreached and not section.carried
        assert fresh(section) == enabled[server_id]


def status(camera_id: str) -> CameraStatus:
    return CameraStatus(camera_id, "Ok", False, 1.0, 0.0, 1.0)


CAMERAS = tuple(Camera(camera_id, camera_id, False, "s") for camera_id in "abcd")
CONFIG = CollectorConfig(interval=15)


def test_a_status_is_carried_while_it_is_no_older_than_a_kept_section_may_be() -> None:
    # The section before: a and b polled at 100; c carried from a run at 60; d never polled.
    before = CamerasSection(
        CAMERAS, (status("a"), status("b"), status("c")), frozenset({"c", "d"}), {"c": 60.0}
    )
    cut = CamerasSection(CAMERAS, (status("a"),), frozenset({"b", "c", "d"}))
    kept, why = _cut_short(cut, KeptSection(before, 100.0), keep_for=45.0, config=CONFIG)
    section = kept.section
    assert isinstance(section, CamerasSection)
    # Now is time.monotonic(), long after 100 + 45: nothing of the section before is young enough.
    assert [s.camera_id for s in section.statuses] == ["a"] and not section.carried
    assert not kept.current
    assert "1 statuses polled and 3 cameras not reached (0 of them kept" in why

    now = kept.succeeded_at
    kept, _ = _cut_short(cut, KeptSection(before, now - 10), keep_for=45.0, config=CONFIG)
    section = kept.section
    assert isinstance(section, CamerasSection)
    # b is the run before's own (10 s old): carried; c was carried there from a run 40 s before that,
    # beyond the 45 s; d has no status anywhere.
    assert [s.camera_id for s in section.statuses] == ["a", "b"]
    assert section.carried == {"b": now - 10}


def test_a_run_that_polled_nothing_does_not_make_the_section_before_it_younger() -> None:
    before = CamerasSection(CAMERAS, tuple(status(c) for c in "abcd"))
    cut = CamerasSection(CAMERAS, (), frozenset("abcd"))
    probe, _ = _cut_short(cut, None, keep_for=45.0, config=CONFIG)
    previous = KeptSection(before, probe.succeeded_at - 20)
    kept, why = _cut_short(cut, previous, keep_for=45.0, config=CONFIG)
    assert kept.succeeded_at == previous.succeeded_at
    assert isinstance(kept.section, CamerasSection)
    assert kept.section.statuses == before.statuses
    assert "0 statuses polled and 4 cameras not reached (4 of them kept" in why
    # Carried over once more, each status keeps the age of the run that polled it.
    again, _ = _cut_short(cut, replace(kept), keep_for=45.0, config=CONFIG)
    assert isinstance(again.section, CamerasSection)
    assert set(again.section.carried.values()) == {previous.succeeded_at}


async def test_a_run_stopped_by_its_deadline_lets_its_next_tick_pass(
    small, exporter_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Taking its whole interval every time, the camera cycle would leave the other collectors no slot
    (the run due first goes first); as a run abandoned at its deadline, it lets its next tick pass."""
    starts: list[float] = []
    original = TargetRuntime.run_collector

    async def observed(self, job):
        if job.name == "cameras":
            starts.append(time.monotonic())
        return await original(self, job)

    monkeypatch.setattr(TargetRuntime, "run_collector", observed)
    small.faults.set_latency(0.3, endpoint=STATUS)  # 18 cameras one at a time: ~6 s for a 1 s interval
    settings = make_settings(
        small.main_url,
        target={"max_concurrency": 1, "request_timeout": 0.9},
        collectors={"discovery": {"interval": 1}, "cameras": {"interval": 1}, **OTHERS_OFF},
    )
    exporter = exporter_factory(settings)
    exporter.start()
    async with asyncio.timeout(20):
        version = exporter.version
        while len(starts) < 3:
            version = await exporter.wait_for_version(version, 20)
    await exporter.stop()
    assert "stopped at its 1s deadline" in (exporter.runtimes[0].runs["cameras"].error or "")
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap >= 1.9 for gap in gaps), gaps  # every other tick of the 1 s period


async def test_a_run_stopped_by_its_deadline_writes_the_statuses_it_got_to_parquet(
    small, clock, exporter_factory, tmp_path
) -> None:
    # The camera_status snapshot of a slot whose camera run was cut short holds that run's statuses; a
    # camera it did not reach has a row with no status, not the status of a run before.
    small.faults.set_latency(0.15, endpoint=STATUS)
    others = ("object_counts", "visitor_reports", "license_usage", "archive_depth")
    settings = make_settings(
        small.main_url,
        target={"max_concurrency": 1},
        collectors={"cameras": {"interval": 2}, **OTHERS_OFF},
        parquet={
            "root": str(tmp_path),
            "datasets": {
                "camera_status": {"interval": "5m"},
                **{name: {"enabled": False} for name in others},
            },
        },
    )
    exporter = exporter_factory(settings)
    runs = []
    for _ in range(2):
        ok, _ = await collect(exporter)
        assert not ok
        runs.append(statuses_by_server(exporter))
        await exporter.write_parquet_once()
        clock.set(clock.now() + timedelta(minutes=5))  # the next snapshot slot

    frame = pd.read_parquet(tmp_path / "camera_status")
    assert frame["ts"].nunique() == 2
    for sections, (_, rows) in zip(runs, sorted(frame.groupby("ts")), strict=True):
        with_status = set(rows.loc[rows["status"].notna(), "camera_id"])
        polled = set().union(*(fresh(section) for section in sections.values()))
        assert with_status == polled
        listed = {camera.camera_id for section in sections.values() for camera in section.cameras}
        assert set(rows["camera_id"]) == listed
    # The second run carried the first's statuses of the cameras it did not reach; they are not its own.
    assert any(section.carried for section in runs[1].values())
