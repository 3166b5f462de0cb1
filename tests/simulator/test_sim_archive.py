"""webapi/cameras/{id}/archive_days and the archive depths of configure/channels/{id}, over real HTTP."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from eocexporter.simulator import Variants, running_simulator

from .helpers import T0, fetch, fetch_text, make_config

MOSCOW = ZoneInfo("Europe/Moscow")
TODAY = T0.astimezone(MOSCOW).date()  # 2026-11-25
WINDOW = {"startTimeUtc": "2025-11-01T00:00", "endTimeUtc": "2026-12-31T00:00Z"}


def url_of(sim, camera, path="archive_days"):
    return f"{sim.server_urls[camera.server_id]}/webapi/cameras/{camera.id}/{path}"


def local_day(served: str) -> date:
    return datetime.fromisoformat(served).astimezone(MOSCOW).date()


@pytest.fixture
async def sim50():
    async with running_simulator(make_config(cameras=50)) as simulator:
        yield simulator


async def test_archive_days_shape_and_time_forms(sim, http):
    inst = sim.installation
    camera = inst.cameras[0]
    status, body = await fetch(http, url_of(sim, camera), params=WINDOW)
    assert status == 200
    assert list(body) == ["ChannelId", "ChannelName", "ArchiveDays"]
    assert body["ChannelId"] == camera.id and body["ChannelName"] == camera.name
    assert body["ArchiveDays"] == inst.archive_days(camera.id, datetime(2025, 11, 1), datetime(2026, 12, 31))
    for served in body["ArchiveDays"]:
        assert served.endswith("Z") and len(served) == len("2024-08-20T08:51:12.732Z")
    # The reference's own request: minutes only, colons URL-encoded (L642-643, Q34).
    status, text = await fetch_text(
        http,
        f"{url_of(sim, camera)}?startTimeUtc=2026-11-24T08%3A20&endTimeUtc=2026-11-25T08%3A46",
    )
    assert status == 200
    assert [local_day(d) for d in json.loads(text)["ArchiveDays"]] == [
        date(2026, 11, 24),
        date(2026, 11, 25),
    ]
    forms = [
        ("2026-11-24T08:20:00", "2026-11-25T08:46:30"),
        ("2026-11-24T08:20:00Z", "2026-11-25T08:46:30.5Z"),
        ("2026-11-24T11:20+03:00", "2026-11-25T11:46+03:00"),
        ("2026-11-24", "2026-11-25T08:46"),
    ]
    for start, end in forms:
        status, body = await fetch(
            http, url_of(sim, camera), params={"starttimeutc": start, "EndTimeUtc": end}
        )
        assert status == 200, (start, end)
        assert [local_day(d) for d in body["ArchiveDays"]] == [date(2026, 11, 24), date(2026, 11, 25)]


async def test_archive_days_refusals(sim, http):
    inst = sim.installation
    camera = inst.cameras[0]
    url = url_of(sim, camera)
    for params in (
        {"endTimeUtc": "2026-11-25T08:46"},
        {"startTimeUtc": "2026-11-24T08:20"},
        {"startTimeUtc": "yesterday", "endTimeUtc": "2026-11-25T08:46"},
        {"startTimeUtc": "2026-11-25T08:47", "endTimeUtc": "2026-11-25T08:46"},
    ):
        status, body = await fetch(http, url, params=params)
        assert status == 400 and body["ErrorMessage"], params
    other = next(c for c in inst.cameras if c.server_id != camera.server_id)
    status, body = await fetch(
        http, f"{sim.server_urls[camera.server_id]}/webapi/cameras/{other.id}/archive_days"
    )
    assert status == 404 and body["ErrorMessage"].startswith("Resource is not found")
    unknown = "00000000-0000-4000-8000-000000000001"
    assert (await fetch(http, url.replace(camera.id, unknown), params=WINDOW))[0] == 404
    assert (await fetch(http, url.replace(camera.id, "not-a-guid"), params=WINDOW))[0] == 400


async def test_every_archive_kind_occurs_in_two_servers_fifty_cameras(sim50, http):
    inst = sim50.installation
    today = TODAY
    seen = set()
    for camera in inst.cameras:
        profile = inst.archive_profile(camera.id)
        status, body = await fetch(http, url_of(sim50, camera), params=WINDOW)
        assert status == 200
        assert body["ArchiveDays"] == [_served(moment) for moment in profile.first_recordings]
        assert [local_day(d) for d in body["ArchiveDays"]] == list(profile.days)
        assert profile.min_depth <= profile.max_depth
        if profile.stopped:
            assert camera.disabled or camera.archiving_off
            assert profile.newest_day < today and profile.days[-1] <= profile.newest_day
            seen.add("stopped")
            continue
        seen.add(profile.kind)
        # Today is held, unless it is one of a gaps camera's outage days.
        newest = max(day for day in _span(profile.days[0], today) if day not in profile.gap_days)
        assert profile.days[-1] == newest
        if profile.kind == "shallow":
            # A disk too small: fewer days than the configured minimum.
            assert len(profile.days) < profile.min_depth
            assert profile.days[0] == today - timedelta(days=profile.kept_depth)
        elif profile.kind == "recent":
            age = T0 - profile.recording_start
            assert timedelta(days=2) <= age < timedelta(days=9)
            # The first recording: the start itself, or the first motion after it.
            first = profile.first_recordings[0]
            assert first == profile.recording_start or camera.archiving_mode == "MDandManual"
            assert first >= profile.recording_start
            assert profile.days[0] == profile.recording_start.astimezone(MOSCOW).date()
        else:
            assert profile.kept_depth == profile.max_depth
            assert profile.days[0] == today - timedelta(days=profile.max_depth)
        if profile.kind == "gaps":
            assert profile.gap_days and not set(profile.gap_days) & set(profile.days)
            assert len(profile.days) + len(profile.gap_days) == (today - profile.days[0]).days + 1
        else:
            assert profile.gap_days == ()
            assert len(profile.days) == (today - profile.days[0]).days + 1
    assert seen == {"normal", "shallow", "gaps", "recent", "stopped"}


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _served(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


async def test_an_element_is_the_first_recording_of_its_local_day(sim50, http):
    inst = sim50.installation
    continuous = next(
        c
        for c in inst.cameras
        if c.archiving_mode == "AlwaysOn" and not c.disabled and inst.archive_profile(c.id).kind == "normal"
    )
    _, body = await fetch(http, url_of(sim50, continuous), params=WINDOW)
    for served in body["ArchiveDays"]:
        local = datetime.fromisoformat(served).astimezone(MOSCOW)
        # Continuous recording: the first frame after local midnight (21:00 UTC in Moscow).
        assert (local.hour, local.minute, local.second) == (0, 0, 0)
    motion = next(c for c in inst.cameras if c.archiving_mode == "MDandManual" and not c.disabled)
    _, body = await fetch(http, url_of(sim50, motion), params=WINDOW)
    moments = [datetime.fromisoformat(d) for d in body["ArchiveDays"]]
    assert moments and all(m <= T0 for m in moments)
    assert len({m.astimezone(MOSCOW).date() for m in moments}) == len(moments)
    assert any(m.astimezone(MOSCOW).time() != datetime.min.time() for m in moments)


async def test_the_window_selects_the_days_it_overlaps(sim50, http):
    inst = sim50.installation
    camera = next(c for c in inst.cameras if inst.archive_profile(c.id).kind == "normal" and not c.disabled)
    # 20:59 UTC on the 23rd is the 23rd in Moscow; 21:00 is the 24th.
    for start, end, days in (
        ("2026-11-23T20:59", "2026-11-23T20:59", [date(2026, 11, 23)]),
        ("2026-11-23T21:00", "2026-11-23T21:00", [date(2026, 11, 24)]),
        (
            "2026-11-23T20:59",
            "2026-11-24T21:00",
            [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25)],
        ),
        ("2026-11-26T00:00", "2026-12-31T00:00", []),
        ("2001-01-01T00:00", "2001-02-01T00:00", []),
    ):
        _, body = await fetch(http, url_of(sim50, camera), params={"startTimeUtc": start, "endTimeUtc": end})
        assert [local_day(d) for d in body["ArchiveDays"]] == days, (start, end)


async def test_days_move_with_the_clock(sim50, http):
    inst = sim50.installation
    kinds = {}
    for camera in inst.cameras:
        kinds.setdefault(
            "stopped" if inst.archive_profile(camera.id).stopped else camera.archive_kind, camera
        )
    before = {kind: inst.archive_profile(camera.id) for kind, camera in kinds.items()}
    sim50.clock.advance(86400)
    after = {kind: inst.archive_profile(camera.id) for kind, camera in kinds.items()}
    tomorrow = TODAY + timedelta(days=1)
    # Retention moves the oldest day forward every day; a recording camera gains the new day.
    for kind in ("normal", "shallow"):
        assert after[kind].days[0] == before[kind].days[0] + timedelta(days=1)
        assert after[kind].days[-1] == tomorrow
    assert after["recent"].days[-1] == tomorrow
    # A camera that does not record gains no day.
    assert after["stopped"].days[-1] == before["stopped"].days[-1]
    # Gaps are dates: they stay where they were, and no held day turns into one.
    assert set(before["gaps"].gap_days[1:]) <= set(after["gaps"].gap_days)
    assert set(before["gaps"].days[1:]) <= set(after["gaps"].days)
    _, body = await fetch(http, url_of(sim50, kinds["normal"]), params=WINDOW)
    assert local_day(body["ArchiveDays"][-1]) == tomorrow


async def test_set_archive_and_disable_through_python_and_control(sim50, http):
    inst = sim50.installation
    camera = next(c for c in inst.cameras if inst.archive_profile(c.id).kind == "normal" and not c.disabled)
    inst.set_archive(camera.id, oldest=date(2026, 11, 20), gaps=[date(2026, 11, 22), "2026-11-23"])
    profile = inst.archive_profile(camera.id)
    assert profile.days == (date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 24), TODAY)
    assert profile.gap_days == (date(2026, 11, 22), date(2026, 11, 23))
    sim50.clock.advance(86400 * 2)
    assert inst.archive_profile(camera.id).days[0] == date(2026, 11, 20)
    async with http.post(
        f"{sim50.main_url}/_simulator/model",
        json={"action": "set_archive", "camera_id": camera.id, "reset": True, "oldest": "2026-11-26"},
    ) as response:
        assert response.status == 200
    assert inst.archive_profile(camera.id).days == (date(2026, 11, 26), date(2026, 11, 27))
    async with http.post(
        f"{sim50.main_url}/_simulator/model",
        json={"action": "set_archive", "camera_id": camera.id, "oldest": "someday"},
    ) as response:
        assert response.status == 400
    inst.set_archive(camera.id, reset=True)
    # Disabling stops the archive now; enabling two days later resumes it, the missed day a gap.
    inst.disable_camera(camera.id)
    stopped = inst.archive_profile(camera.id)
    assert stopped.recording_stop == sim50.clock.now() and stopped.days[-1] == date(2026, 11, 27)
    sim50.clock.advance(86400 * 2)
    assert inst.archive_profile(camera.id).days[-1] == date(2026, 11, 27)
    inst.disable_camera(camera.id, False)
    resumed = inst.archive_profile(camera.id)
    assert date(2026, 11, 28) in resumed.gap_days
    assert resumed.days[-2:] == (date(2026, 11, 27), date(2026, 11, 29))
    assert resumed.first_recordings[-1] == sim50.clock.now()


async def test_configured_depths_vary_and_are_served_as_floats(sim50, http):
    inst = sim50.installation
    pairs = set()
    for camera in inst.cameras:
        _, text = await fetch_text(http, f"{sim50.main_url}/configure/channels/{camera.id}")
        settings = json.loads(text)["ArchiveSettings"]
        assert camera.min_depth in (3, 7, 14, 30) and camera.max_depth in (30, 60, 90, 365)
        assert settings["ArchivingMinDeepnessInDays"] == camera.min_depth
        assert settings["ArchivingMaxDeepnessInDays"] == camera.max_depth
        assert f'"ArchivingMinDeepnessInDays":{camera.min_depth}.0' in text
        assert settings["ArchivingDisabled"] == camera.archiving_off
        pairs.add((camera.min_depth, camera.max_depth))
    assert len(pairs) > 4


async def test_archive_days_on_legacy_failover_and_faults(sim, http):
    inst = sim.installation
    other = next(s for s in inst.servers if not s.is_main)
    camera = inst.cameras_on(other.id)[0]
    inst.set_legacy(other.id)
    status, body = await fetch(http, url_of(sim, camera), params=WINDOW)
    assert status == 404 and body == {
        "ErrorMessage": f"Resource is not found (/webapi/cameras/{camera.id}/archive_days | GET)"
    }
    inst.set_legacy(other.id, False)
    await sim.failover(other.id)
    reserve = inst.reserve_of(other.id)
    status, body = await fetch(
        http, f"{sim.server_urls[reserve]}/webapi/cameras/{camera.id}/archive_days", params=WINDOW
    )
    assert status == 200 and body["ChannelId"] == camera.id
    await sim.failback(other.id)
    template = "webapi/cameras/{id}/archive_days"
    sim.faults.set_error_rate(template, 1.0, 503)
    assert (await fetch(http, url_of(sim, camera), params=WINDOW))[0] == 503
    assert sim.request_log[-1].template == template


async def test_nulls_reach_archive_settings_and_names():
    async with running_simulator(make_config(cameras=50, variants=Variants(nulls=True))) as sim:
        inst = sim.installation
        for camera in inst.cameras:
            settings = inst.configure_channel(camera)["ArchiveSettings"]
            if camera.index == 5:
                assert settings["ArchivingMinDeepnessInDays"] is None
            else:
                assert settings["ArchivingMinDeepnessInDays"] == camera.min_depth
            start, end = datetime(2026, 11, 1, tzinfo=UTC), T0
            body = inst.archive_days_body(camera.id, start, end)
            assert (body["ChannelName"] is None) == (camera.index == 8)
