"""Object counting and unique visitors: counters that move with the clock and add up exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from eocexporter.simulator import running_simulator

from .helpers import fetch, make_config

MOSCOW = ZoneInfo("Europe/Moscow")
DISTRIBUTIONS = ("GenderDistribution", "AgeDistribution", "EmotionDistribution")


def dotted(moment: datetime) -> str:
    return moment.strftime("%d.%m.%Y %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def counting_camera(sim):
    return sim.installation.counting_cameras(sim.installation.main_server.id)[0]


def visitor_camera(sim):
    return sim.installation.visitor_cameras(sim.installation.main_server.id)[0]


def local_now(sim) -> datetime:
    return sim.clock.now().astimezone(MOSCOW).replace(tzinfo=None)


async def report(http, sim, camera_id, start, end, spelling="objects_counting"):
    params = {"channelId": camera_id, "startTime": dotted(start), "endTime": dotted(end)}
    status, body = await fetch(http, f"{sim.main_url}/api/{spelling}/report", params=params)
    assert status == 200, body
    return body


async def test_current_counters_list_every_running_camera(sim, http):
    for server_id, url in sim.server_urls.items():
        status, body = await fetch(http, f"{url}/api/objects_counting/current_counters")
        assert status == 200 and isinstance(body, list)
        assert [entry["Id"] for entry in body] == [c.id for c in sim.installation.counting_cameras(server_id)]
        for entry in body:
            assert set(entry) == {"Id", "ChannelName", "Zones"}
            for zone in entry["Zones"]:
                assert zone["Type"] in ("LineSection", "Zone")
                assert all(isinstance(n, int) and n >= 0 for n in zone["CurrentCounts"].values())


async def test_channel_id_selects_one_camera_in_any_case(sim, http):
    camera = counting_camera(sim)
    for name in ("channelId", "ChannelId", "CHANNELID"):
        status, body = await fetch(
            http, f"{sim.main_url}/api/object_counting/current_counters", params={name: camera.id}
        )
        assert status == 200
        assert body == sim.installation.current_counters(camera.id)
    silent = next(c for c in sim.installation.cameras_on(camera.server_id) if not c.has_object_counting)
    status, body = await fetch(
        http, f"{sim.main_url}/api/objects_counting/current_counters?channelId={silent.id}"
    )
    assert status == 404 and "ErrorMessage" in body


async def test_report_intervals_add_up(sim, http):
    camera = counting_camera(sim)
    c = local_now(sim)
    a, b = c - timedelta(days=2, hours=5), c - timedelta(hours=7, minutes=13)
    ab, bc, ac = [await report(http, sim, camera.id, x, y) for x, y in ((a, b), (b, c), (a, c))]
    for zone_ab, zone_bc, zone_ac in zip(ab["Zones"], bc["Zones"], ac["Zones"], strict=True):
        for cls, total in zone_ac["TotalCounts"].items():
            assert zone_ab["TotalCounts"][cls] + zone_bc["TotalCounts"][cls] == total
        assert zone_ab["StartCounts"] == zone_ac["StartCounts"]
    assert sum(sum(z["TotalCounts"].values()) for z in ac["Zones"]) > 0


async def test_report_covers_lines_only(sim, http):
    camera = next(
        c for c in sim.installation.cameras if any(not z.is_line for z in c.zones) and not c.disabled
    )
    body = sim.installation.object_report(camera.id, local_now(sim) - timedelta(hours=1), local_now(sim))
    assert [z["Id"] for z in body["Zones"]] == [z.id for z in camera.zones if z.is_line]
    assert all(set(z) == {"Id", "Name", "StartCounts", "TotalCounts"} for z in body["Zones"])


async def test_report_since_last_reset_equals_current_counters(sim, http):
    camera = counting_camera(sim)
    midnight = local_now(sim).replace(hour=0, minute=0, second=0, microsecond=0)
    body = await report(http, sim, camera.id, midnight, local_now(sim))
    current = sim.installation.current_counters(camera.id)
    lines = [z for z in current["Zones"] if z["Type"] == "LineSection"]
    for zone, line in zip(body["Zones"], lines, strict=True):
        assert zone["TotalCounts"] == line["CurrentCounts"]
        assert set(zone["StartCounts"].values()) == {0}


async def test_start_counts_count_from_the_last_reset(sim, http):
    camera = counting_camera(sim)
    now = local_now(sim)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    noon = midnight + timedelta(hours=12)
    body = await report(http, sim, camera.id, noon, now)
    morning = await report(http, sim, camera.id, midnight, noon)
    for zone, early in zip(body["Zones"], morning["Zones"], strict=True):
        assert zone["StartCounts"] == early["TotalCounts"]


async def test_counters_grow_through_the_day_and_reset_at_local_midnight(sim):
    camera = counting_camera(sim)
    inst = sim.installation

    def person_total() -> int:
        return sum(
            z["CurrentCounts"].get("Person", 0)
            for z in inst.current_counters(camera.id)["Zones"]
            if z["Type"] == "LineSection"
        )

    # 21:00 UTC is local midnight in Moscow (UTC+3).
    sim.clock.set(datetime(2026, 11, 25, 20, 59, 59, tzinfo=UTC))
    seen = []
    for _ in range(24):
        seen.append(person_total())
        sim.clock.advance(-3600)
    assert seen == sorted(seen, reverse=True) and seen[0] > seen[-1]
    sim.clock.set(datetime(2026, 11, 25, 21, 0, tzinfo=UTC))
    assert person_total() == 0
    sim.clock.advance(3600)
    assert 0 < person_total() < seen[0]


async def test_reset_schedule_is_configurable():
    async with running_simulator(make_config(counter_reset_hours=12)) as sim:
        camera = counting_camera(sim)
        # 09:00 UTC = 12:00 Moscow: a reset with a 12-hour schedule.
        sim.clock.set(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
        lines = [
            z for z in sim.installation.current_counters(camera.id)["Zones"] if z["Type"] == "LineSection"
        ]
        assert all(set(z["CurrentCounts"].values()) == {0} for z in lines)


async def test_history_days_back_answers(sim, http):
    camera = counting_camera(sim)
    start = local_now(sim) - timedelta(days=45)
    week = [
        await report(http, sim, camera.id, start + timedelta(days=d), start + timedelta(days=d + 1))
        for d in range(7)
    ]
    whole = await report(http, sim, camera.id, start, start + timedelta(days=7))
    for index, zone in enumerate(whole["Zones"]):
        for cls, total in zone["TotalCounts"].items():
            assert sum(day["Zones"][index]["TotalCounts"][cls] for day in week) == total


async def test_report_time_formats(sim, http):
    camera = counting_camera(sim)
    url = f"{sim.main_url}/api/objects_counting/report"
    expected = await report(http, sim, camera.id, datetime(2026, 11, 24, 18), datetime(2026, 11, 24, 18, 15))
    for start, end in (
        ('"2026.11.24 18:00:00"', '"2026.11.24 18:15:00"'),
        ("24.11.2026 18:00:00", "24.11.2026 18:15:00"),
        ("2026-11-24T18:00:00", "2026-11-24T18:15:00"),
        ("2026-11-24T15:00:00Z", "2026-11-24T15:15:00+00:00"),
    ):
        status, body = await fetch(
            http, url, params={"channelid": camera.id, "starttime": start, "endtime": end}
        )
        assert (status, body) == (200, expected)


@pytest.mark.parametrize(
    "params",
    [
        {"startTime": "yesterday", "endTime": "25.11.2026 10:00:00"},
        {"startTime": "25.11.2026 10:00:00"},
        {"startTime": "25.11.2026 10:00:00", "endTime": "24.11.2026 10:00:00"},
    ],
)
async def test_bad_report_times_get_400(sim, http, params):
    status, body = await fetch(http, f"{sim.main_url}/api/objects_counting/report", params=params)
    assert status == 400 and body["ErrorMessage"]


async def test_areas_follow_the_time_of_day(sim):
    camera = next(
        c for c in sim.installation.cameras if any(not z.is_line for z in c.zones) and not c.disabled
    )

    # Local 03:00 vs 13:00 averaged over a week of minutes sampled hourly.
    def occupancy(hour_utc: int) -> int:
        total = 0
        for day in range(7):
            sim.clock.set(datetime(2026, 11, 10 + day, hour_utc, tzinfo=UTC))
            zones = sim.installation.current_counters(camera.id)["Zones"]
            total += sum(sum(z["CurrentCounts"].values()) for z in zones if z["Type"] == "Zone")
        return total

    assert occupancy(10) > occupancy(0)


# --- unique visitors -------------------------------------------------------------------------------


async def visitors(http, sim, start, end, **params):
    query = {"starttimeutc": start, "endtimeutc": end, **params}
    status, body = await fetch(http, f"{sim.main_url}/api/unique_visitor/report", params=query)
    assert status == 200, body
    return body["Report"]


def flatten(row):
    values = {"TotalVisitors": row["TotalVisitors"], "UniqueVisitors": row["UniqueVisitors"]}
    for name in DISTRIBUTIONS:
        values |= {f"{name}.{k}": v for k, v in row[name].items()}
    return values


async def test_visitor_reports_add_up_in_every_field(sim, http):
    camera = visitor_camera(sim)
    a, b, c = "20.11.2026 06:30:00", "23.11.2026", "2026-11-25T11:59:00Z"
    ab, bc, ac = [await visitors(http, sim, x, y, channel=camera.id) for x, y in ((a, b), (b, c), (a, c))]
    first, second, whole = flatten(ab[0]), flatten(bc[0]), flatten(ac[0])
    assert {k: first[k] + second[k] for k in whole} == whole
    row = ac[0]
    assert row["ChannelId"] == camera.id
    assert 0 < row["UniqueVisitors"] <= row["TotalVisitors"]
    for name in DISTRIBUTIONS:
        assert sum(row[name].values()) == row["UniqueVisitors"]


async def test_visitors_accumulate_over_the_local_day_and_restart_at_midnight(sim):
    camera = visitor_camera(sim)
    inst = sim.installation

    def today_so_far() -> int:
        now = sim.clock.now()
        midnight_local = now.astimezone(MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
        return inst.visitor_report(camera.id, midnight_local.astimezone(UTC), now)["TotalVisitors"]

    sim.clock.set(datetime(2026, 11, 25, 20, 59, tzinfo=UTC))  # 23:59 Moscow
    late = today_so_far()
    sim.clock.set(datetime(2026, 11, 25, 21, 1, tzinfo=UTC))  # 00:01 Moscow, next day
    assert today_so_far() < late / 10


async def test_visitor_rows_only_for_own_running_cameras(sim, http):
    inst = sim.installation
    main = inst.main_server.id
    foreign = next(c for c in inst.cameras if c.has_visitor_module and c.server_id != main)
    own = inst.visitor_cameras(main)
    asked = ",".join([*(c.id for c in own), foreign.id])
    rows = await visitors(http, sim, "24.11.2026", "25.11.2026", channel=asked)
    assert [row["ChannelId"] for row in rows] == [c.id for c in own]
    rows_all = await visitors(http, sim, "24.11.2026", "25.11.2026")
    assert rows_all == rows


async def test_visitor_aggregate_is_one_row_with_null_channel(sim, http):
    rows = await visitors(http, sim, "24.11.2026", "25.11.2026")
    total = await visitors(http, sim, "24.11.2026", "25.11.2026", aggregate="true", uniqueonly="true")
    assert len(total) == 1 and total[0]["ChannelId"] is None
    summed = {k: sum(flatten(row)[k] for row in rows) for k in flatten(rows[0])}
    assert flatten(total[0]) == summed


async def test_visitor_parameter_errors(sim, http):
    url = f"{sim.main_url}/api/unique_visitor/report"
    for params in (
        {"starttimeutc": "soon", "endtimeutc": "25.11.2026"},
        {"endtimeutc": "25.11.2026"},
        {"starttimeutc": "24.11.2026", "endtimeutc": "25.11.2026", "aggregate": "maybe"},
        {"starttimeutc": "24.11.2026", "endtimeutc": "25.11.2026", "channel": "x"},
    ):
        status, body = await fetch(http, url, params=params)
        assert status == 400 and body["ErrorMessage"]
