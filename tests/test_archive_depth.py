"""Archive depth end to end (webapi/cameras/{id}/archive_days and ArchiveSettings): every exported value is
traced back to the simulator's archive profile or to the raw answer it serves, over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import TIMEZONE, make_settings, sim_config
from helpers import collect, parse_samples, series, value

from eocexporter.simulator import running_simulator

ENDPOINT = "webapi/cameras/{id}/archive_days"
OLDEST = "eocortex_camera_archive_oldest_day_timestamp_seconds"
DATES = "eocortex_camera_archive_dates"
MISSING = "eocortex_camera_archive_missing_dates"
MIN_DEPTH = "eocortex_camera_archive_min_depth_seconds"
MAX_DEPTH = "eocortex_camera_archive_max_depth_seconds"
DEPTH_FAMILIES = (OLDEST, DATES, MISSING)
MINUTE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
DAY = 86400


def midnight(day: date, zone: str = TIMEZONE) -> float:
    """Unix time of the local midnight that starts ``day`` in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).timestamp()


def missing_between(days: list[date] | tuple[date, ...]) -> int:
    held = set(days)
    first, last = min(held), max(held)
    return sum(1 for offset in range((last - first).days + 1) if first + timedelta(days=offset) not in held)


def exported(samples: dict, camera_id: str) -> dict[str, float]:
    """The camera's depth series by family; a family without a series is left out."""
    found = {}
    for name in DEPTH_FAMILIES:
        matched = series(samples, name, camera_id=camera_id)
        assert len(matched) <= 1, (name, camera_id, matched)
        if matched:
            found[name] = next(iter(matched.values()))
    return found


def expected_from_days(days, zone: str = TIMEZONE) -> dict[str, float]:
    if not days:
        return {DATES: 0}
    return {OLDEST: midnight(min(days), zone), DATES: len(set(days)), MISSING: missing_between(days)}


def local_days(elements: list[str], zone: str = TIMEZONE) -> list[date]:
    """The local days an ArchiveDays answer names (its elements are UTC instants with ``Z``)."""
    return [
        datetime.fromisoformat(element.replace("Z", "+00:00")).astimezone(ZoneInfo(zone)).date()
        for element in elements
    ]


# ---- the values -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [TIMEZONE, "Europe/Berlin"])
async def test_every_cameras_depth_equals_its_archive_profile(clock, exporter_factory, zone) -> None:
    async with running_simulator(sim_config(clock, cameras=20, timezone=zone)) as sim:
        exporter = exporter_factory(make_settings(sim.main_url, target={"timezone": zone}))
        ok, samples = await collect(exporter)
        profiles = {
            camera.id: sim.installation.archive_profile(camera.id) for camera in sim.installation.cameras
        }
    assert ok
    assert value(samples, "eocortex_collector_success", collector="archive_depth") == 1
    for camera_id, profile in profiles.items():
        expected = expected_from_days(profile.days, zone)
        assert exported(samples, camera_id) == expected, (camera_id, profile.kind)
        if profile.days:
            # The gaps counted are the simulator's gap days between the oldest and newest day held.
            inside = [day for day in profile.gap_days if profile.days[0] <= day <= profile.days[-1]]
            assert expected[MISSING] == len(inside), camera_id
    kinds = {profile.kind for profile in profiles.values()}
    assert {"normal", "shallow", "gaps", "recent"} <= kinds
    assert any(found > 0 for found in series(samples, MISSING).values()), "no camera with gaps"
    assert any(profile.stopped for profile in profiles.values()), "no camera that stopped recording"
    if zone == "Europe/Berlin":
        # Some oldest day lies in summer time while the clock is in winter time: a midnight computed with
        # today's UTC offset would be an hour off there.
        now_offset = clock.now().astimezone(ZoneInfo(zone)).utcoffset()
        offsets = {
            datetime.combine(profile.days[0], time(0), tzinfo=ZoneInfo(zone)).utcoffset()
            for profile in profiles.values()
            if profile.days
        }
        assert offsets - {now_offset}, "no oldest day in the other half of the DST year"


async def test_configured_depths_are_archive_settings_in_seconds(small, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    enabled = [camera for camera in small.installation.cameras if not camera.disabled]
    for camera in enabled:
        settings = small.installation.configure_channel(camera)["ArchiveSettings"]
        minimum = settings["ArchivingMinDeepnessInDays"]
        maximum = settings["ArchivingMaxDeepnessInDays"]
        assert value(samples, MIN_DEPTH, camera_id=camera.id) == minimum * DAY
        assert value(samples, MAX_DEPTH, camera_id=camera.id) == maximum * DAY
    assert len(series(samples, MIN_DEPTH)) == len(series(samples, MAX_DEPTH)) == len(enabled)
    # A shallow camera keeps less than its configured minimum: the alert's comparison sees it.
    shallow = [c for c in enabled if small.installation.archive_profile(c.id).kind == "shallow"]
    assert shallow
    for camera in shallow:
        depth = small.clock.now().timestamp() - value(samples, OLDEST, camera_id=camera.id)
        assert depth < value(samples, MIN_DEPTH, camera_id=camera.id)


# ---- what is asked ------------------------------------------------------------------------------------


async def test_the_window_is_the_lookback_in_utc_minutes(small, exporter_factory, clock) -> None:
    clock.set(datetime(2026, 11, 25, 9, 30, 47, 123000, tzinfo=UTC))  # seconds the request must drop
    settings = make_settings(small.main_url, collectors={"archive_depth": {"lookback": "10d"}})
    ok, samples = await collect(exporter_factory(settings))
    assert ok
    asked = [entry for entry in small.request_log if entry.template == ENDPOINT]
    # One request per camera, each to the server that serves it.
    cameras = small.installation.cameras
    assert len(asked) == len(cameras)
    per_server = {server.id: 0 for server in small.installation.servers}
    for entry in asked:
        per_server[entry.server_id] += 1
    assert per_server == {
        server.id: len(small.installation.cameras_served_by(server.id))
        for server in small.installation.servers
    }
    now = clock.now()
    start_text = (now - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    end_text = now.strftime("%Y-%m-%dT%H:%M")
    assert end_text == "2026-11-25T09:30"
    for entry in asked:
        assert entry.method == "GET" and entry.status == 200
        params = dict(entry.params)
        assert set(params) == {"starttimeutc", "endtimeutc"}
        assert MINUTE.fullmatch(params["starttimeutc"]) and MINUTE.fullmatch(params["endtimeutc"])
        assert (params["starttimeutc"], params["endtimeutc"]) == (start_text, end_text)
    # The values are those of the window: the raw answer for [now - 10 days, now], read as local days.
    start = datetime.strptime(start_text, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    end = datetime.strptime(end_text, "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
    window_first = start.astimezone(ZoneInfo(TIMEZONE)).date()
    deep = 0
    for camera in cameras:
        answered = local_days(small.installation.archive_days(camera.id, start, end))
        assert exported(samples, camera.id) == expected_from_days(answered), camera.id
        profile = small.installation.archive_profile(camera.id)
        if profile.days and profile.days[0] < window_first <= profile.days[-1]:
            deep += 1
            assert answered and min(answered) >= window_first
            assert value(samples, OLDEST, camera_id=camera.id) >= midnight(window_first)
    assert deep, "no camera whose archive is deeper than the look-back"


async def test_the_default_window_reaches_back_four_hundred_days(small, exporter_factory, clock) -> None:
    ok, _ = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    now = clock.now()
    for entry in small.request_log:
        if entry.template == ENDPOINT:
            params = dict(entry.params)
            assert params["starttimeutc"] == (now - timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
            assert params["endtimeutc"] == now.strftime("%Y-%m-%dT%H:%M")


# ---- as the clock moves, and as the archive changes ---------------------------------------------------------


async def test_a_day_later_a_rotating_archive_moves_and_a_recent_one_stays(
    small, exporter_factory, clock
) -> None:
    installation = small.installation
    exporter = exporter_factory(make_settings(small.main_url))
    ok, before = await collect(exporter)
    assert ok
    today = clock.now().astimezone(ZoneInfo(TIMEZONE)).date()
    profiles = {camera.id: installation.archive_profile(camera.id) for camera in installation.cameras}
    rotating = [
        camera_id
        for camera_id, profile in profiles.items()
        if not profile.stopped
        and profile.kind in ("normal", "shallow", "gaps")
        and profile.oldest_day == today - timedelta(days=profile.kept_depth)
        and profile.days
        and profile.days[0] == profile.oldest_day
    ]
    recent = [camera_id for camera_id, profile in profiles.items() if profile.kind == "recent"]
    assert rotating and recent
    clock.advance(DAY)
    after_profiles = {camera_id: installation.archive_profile(camera_id) for camera_id in profiles}
    ok, after = await collect(exporter)
    assert ok
    for camera_id in profiles:
        assert exported(after, camera_id) == expected_from_days(after_profiles[camera_id].days), camera_id
    moved = 0
    for camera_id in rotating:
        # Retention drops the oldest day: it moves forward by one local day (Moscow has no DST).
        if after_profiles[camera_id].days[0] == profiles[camera_id].days[0] + timedelta(days=1):
            moved += 1
            assert (
                value(after, OLDEST, camera_id=camera_id) == value(before, OLDEST, camera_id=camera_id) + DAY
            )
    assert moved, "no rotating archive moved its oldest day"
    for camera_id in recent:
        # A recent camera started days ago: the same oldest day, one day more.
        assert after_profiles[camera_id].recording_start == profiles[camera_id].recording_start
        assert value(after, OLDEST, camera_id=camera_id) == value(before, OLDEST, camera_id=camera_id)
        assert value(after, DATES, camera_id=camera_id) == value(before, DATES, camera_id=camera_id) + 1


async def test_set_archive_gaps_and_oldest_day_show_up(small, exporter_factory, clock) -> None:
    installation = small.installation
    today = clock.now().astimezone(ZoneInfo(TIMEZONE)).date()
    camera = next(
        c
        for c in installation.cameras
        if not c.disabled
        and c.archiving_mode == "AlwaysOn"
        and installation.archive_profile(c.id).kind == "normal"
        and installation.archive_profile(c.id).kept_depth > 12
    )
    exporter = exporter_factory(make_settings(small.main_url))
    ok, before = await collect(exporter)
    assert ok and value(before, MISSING, camera_id=camera.id) == 0
    gaps = [today - timedelta(days=n) for n in (3, 5, 6)]
    installation.set_archive(camera.id, gaps=gaps)
    ok, samples = await collect(exporter)
    assert ok
    profile = installation.archive_profile(camera.id)
    assert set(gaps) <= set(profile.gap_days) and not set(gaps) & set(profile.days)
    assert value(samples, MISSING, camera_id=camera.id) == 3
    assert value(samples, DATES, camera_id=camera.id) == value(before, DATES, camera_id=camera.id) - 3
    assert value(samples, OLDEST, camera_id=camera.id) == value(before, OLDEST, camera_id=camera.id)
    installation.set_archive(camera.id, oldest=(today - timedelta(days=10)).isoformat())
    ok, samples = await collect(exporter)
    assert ok
    assert value(samples, OLDEST, camera_id=camera.id) == midnight(today - timedelta(days=10))
    assert value(samples, DATES, camera_id=camera.id) == 11 - 3
    assert value(samples, MISSING, camera_id=camera.id) == 3
    assert exported(samples, camera.id) == expected_from_days(installation.archive_profile(camera.id).days)
    # An archive that holds nothing yet: 0 days, and no oldest day or gaps (absent, not 0).
    installation.set_archive(camera.id, oldest=today + timedelta(days=1), gaps=[])
    assert installation.archive_profile(camera.id).days == ()
    ok, samples = await collect(exporter)
    assert ok
    assert exported(samples, camera.id) == {DATES: 0}
    installation.set_archive(camera.id, reset=True)
    ok, samples = await collect(exporter)
    assert ok
    assert exported(samples, camera.id) == exported(before, camera.id)


async def test_after_a_failover_the_reserve_reports_each_camera_once(small, exporter_factory) -> None:
    installation = small.installation
    failed = next(server.id for server in installation.servers if not server.is_main)
    reserve = installation.reserve_of(failed)
    exporter = exporter_factory(make_settings(small.main_url))
    assert await exporter.collect_once()
    await small.failover(failed)
    small.request_log.clear()
    await exporter.collect_once()  # the failed server's cycle fails; its reserve serves its cameras
    samples = parse_samples(exporter.exposition.body)
    asked = [entry for entry in small.request_log if entry.template == ENDPOINT]
    assert {entry.server_id for entry in asked} == {reserve}
    assert len(asked) == len(installation.cameras_served_by(reserve)) == len(installation.cameras)
    for camera in installation.cameras:
        expected = expected_from_days(installation.archive_profile(camera.id).days)
        assert exported(samples, camera.id) == expected, camera.id
    await small.failback(failed)
    ok, samples = await collect(exporter)
    assert ok
    for camera in installation.cameras:
        expected = expected_from_days(installation.archive_profile(camera.id).days)
        assert exported(samples, camera.id) == expected, camera.id


# ---- servers and answers that do not give the days -------------------------------------------------------


async def test_a_legacy_server_gives_no_depth_and_is_not_a_failure(small, exporter_factory) -> None:
    installation = small.installation
    main = installation.main_server.id
    other = next(server.id for server in installation.servers if not server.is_main)
    installation.set_legacy(other)
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="archive_depth") == 1
    assert value(samples, "eocortex_endpoint_supported", server_id=other, endpoint=ENDPOINT) == 0
    assert value(samples, "eocortex_endpoint_supported", server_id=main, endpoint=ENDPOINT) == 1
    for camera in installation.cameras_served_by(other):
        assert exported(samples, camera.id) == {}, camera.id
    for camera in installation.cameras_served_by(main):
        expected = expected_from_days(installation.archive_profile(camera.id).days)
        assert exported(samples, camera.id) == expected, camera.id
    legacy_asked = [
        entry for entry in small.request_log if entry.template == ENDPOINT and entry.server_id == other
    ]
    assert legacy_asked and all(entry.status == 404 for entry in legacy_asked)


async def test_an_unreadable_day_costs_that_day_only(small, exporter_factory, clock) -> None:
    installation = small.installation
    camera = next(c for c in installation.cameras if not c.disabled)
    now = clock.now()
    good = installation.archive_days(camera.id, now - timedelta(days=3), now)
    assert len(good) >= 3
    body = {
        "ChannelId": camera.id,
        "ChannelName": camera.name,
        "ArchiveDays": [good[0], "31.02.2026", *good[1:]],
    }
    # Every camera now answers this body: each loses the unreadable element, keeps the others.
    cameras = installation.cameras
    small.faults.set_body(ENDPOINT, json.dumps(body))
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="archive_depth") == 1
    expected = expected_from_days(local_days(good))
    for each in cameras:
        assert exported(samples, each.id) == expected, each.id
    assert value(samples, "eocortex_api_parse_errors_total", endpoint=ENDPOINT) == len(cameras)


async def test_an_answer_that_is_not_the_document_costs_that_camera_only(small, exporter_factory) -> None:
    small.faults.set_body(ENDPOINT, "[]")
    exporter = exporter_factory(make_settings(small.main_url))
    ok, samples = await collect(exporter)
    cameras = small.installation.cameras
    assert ok
    assert value(samples, "eocortex_collector_success", collector="archive_depth") == 1
    for name in DEPTH_FAMILIES:
        assert series(samples, name) == {}
    assert value(samples, "eocortex_api_parse_errors_total", endpoint=ENDPOINT) == len(cameras)
    # The other collectors are untouched.
    assert len(series(samples, "eocortex_camera_info")) == len(cameras)


async def test_cameras_the_server_refuses_cost_only_their_own_depth(small, exporter_factory) -> None:
    installation = small.installation
    small.faults.set_error_rate(ENDPOINT, 0.4, status=403)  # seeded: the same cameras on every run
    exporter = exporter_factory(make_settings(small.main_url))
    ok, samples = await collect(exporter)
    assert ok
    assert value(samples, "eocortex_collector_success", collector="archive_depth") == 1
    refused_by_server = {server.id: 0 for server in installation.servers}
    for entry in small.request_log:
        if entry.template == ENDPOINT and entry.status == 403:
            refused_by_server[entry.server_id] += 1
    refused = sum(refused_by_server.values())
    assert 0 < refused < len(installation.cameras)
    without = 0
    for camera in installation.cameras:
        found = exported(samples, camera.id)
        if not found:
            without += 1
            continue
        assert found == expected_from_days(installation.archive_profile(camera.id).days), camera.id
    assert without == refused
    for server_id, count in refused_by_server.items():
        found = series(samples, "eocortex_endpoint_refused_cameras", server_id=server_id, endpoint=ENDPOINT)
        assert sum(found.values()) == count
        assert value(samples, "eocortex_endpoint_supported", server_id=server_id, endpoint=ENDPOINT) == 1
    # Refused cameras are not asked again within the hour; the others are.
    small.faults.set_error_rate(ENDPOINT, 0)
    small.request_log.clear()
    ok, samples = await collect(exporter)
    assert ok
    asked = [entry for entry in small.request_log if entry.template == ENDPOINT]
    assert len(asked) == len(installation.cameras) - refused
    assert sum(1 for camera in installation.cameras if exported(samples, camera.id)) == len(asked)


async def test_real_world_nulls_are_absent_not_zero(clock, exporter_factory) -> None:
    config = sim_config(clock, cameras=20, profile="real-world")
    async with running_simulator(config) as sim:
        installation = sim.installation
        ok, samples = await collect(exporter_factory(make_settings(sim.main_url)))
        legacy = {server.id for server in installation.servers if server.legacy}
        settings = {
            camera.id: installation.configure_channel(camera)["ArchiveSettings"]
            for camera in installation.cameras
            if not camera.disabled
        }
        served = {camera.id: installation.serving_server(camera.id) for camera in installation.cameras}
        profiles = {camera.id: installation.archive_profile(camera.id) for camera in installation.cameras}
    assert ok
    assert legacy, "the real-world profile makes a server legacy"
    null_min = [camera_id for camera_id, s in settings.items() if s["ArchivingMinDeepnessInDays"] is None]
    assert null_min
    for camera_id, archive in settings.items():
        minimum = series(samples, MIN_DEPTH, camera_id=camera_id)
        if archive["ArchivingMinDeepnessInDays"] is None:
            assert minimum == {}, camera_id  # absent, not 0
        else:
            assert list(minimum.values()) == [archive["ArchivingMinDeepnessInDays"] * DAY]
        assert value(samples, MAX_DEPTH, camera_id=camera_id) == archive["ArchivingMaxDeepnessInDays"] * DAY
    for camera_id, server_id in served.items():
        if server_id in legacy:
            assert exported(samples, camera_id) == {}
        else:
            assert exported(samples, camera_id) == expected_from_days(profiles[camera_id].days)
    # A null ChannelName is documented, not an error.
    assert series(samples, "eocortex_api_parse_errors_total", endpoint=ENDPOINT) == {}
    assert series(samples, "eocortex_api_parse_errors_total", endpoint="configure/channels/{id}") == {}
