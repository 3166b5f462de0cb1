"""Nulls, missing fields, unknown values, other time forms and `{}` bodies, each on its own switch."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from eocexporter.simulator import Variants, running_simulator

from .helpers import T0, fetch, make_config

MOSCOW = ZoneInfo("Europe/Moscow")
REPORT = {"startTime": "24.11.2026 00:00:00", "endTime": "25.11.2026 14:00:00"}
VISITORS = {"starttimeutc": "24.11.2026", "endtimeutc": "25.11.2026 12:00:00"}
STATUS_KEYS = [
    "Id",
    "Name",
    "AltEnabled",
    "ReceiveVideoMbps",
    "ReceiveAltVideoMbps",
    "WriteVideoMbps",
    "Status",
]


async def served(sim, http) -> dict[str, Any]:
    """Everything the nulls touch, per server, as served over HTTP."""
    inst = sim.installation
    _, servers = await fetch(http, f"{sim.main_url}/configure/servers")
    out: dict[str, Any] = {"servers": servers, "by_server": {}}
    for server in inst.servers:
        url = sim.server_urls[server.id]
        _, channels = await fetch(http, f"{url}/api/channels")
        statuses = [(await fetch(http, f"{url}/api/channels/{c['Id']}/status"))[1] for c in channels]
        out["by_server"][server.id] = {
            "channels": channels,
            "statuses": statuses,
            "licence": (await fetch(http, f"{url}/webapi/license"))[1],
            "counters": (await fetch(http, f"{url}/api/objects_counting/current_counters"))[1],
            "report": (await fetch(http, f"{url}/api/objects_counting/report", params=REPORT))[1],
            "visitors": (await fetch(http, f"{url}/api/unique_visitor/report", params=VISITORS))[1]["Report"],
        }
    return out


def nulls_in(node: Any) -> int:
    if node is None:
        return 1
    if isinstance(node, dict):
        return sum(nulls_in(value) for value in node.values())
    if isinstance(node, list):
        return sum(nulls_in(value) for value in node)
    return 0


def every(body: dict[str, Any], key: str) -> list[Any]:
    return [item for per_server in body["by_server"].values() for item in per_server[key]]


async def test_by_default_nothing_is_null_or_missing(sim, http):
    body = await served(sim, http)
    assert nulls_in(body) == 0
    assert all(list(status) == STATUS_KEYS for status in every(body, "statuses"))
    assert all("IsReplicationServer" in server for server in body["servers"])
    for per_server in body["by_server"].values():
        usage = [value for value in per_server["licence"].values() if isinstance(value, dict)]
        assert len(usage) == 31 and all(set(u) == {"OnServer", "Used", "Total"} for u in usage)
        assert "IsFutureFeatureEnabled" not in per_server["licence"]
    assert {s["Status"] for s in every(body, "statuses")} <= {
        "Ok",
        "ErrorMain",
        "ErrorAlt",
        "ErrorSound",
        "Wait",
    }
    zones = [zone for entry in every(body, "counters") for zone in entry["Zones"]]
    assert {zone["Type"] for zone in zones} <= {"LineSection", "Zone"}


async def test_nulls_every_kind_in_two_servers_and_fifty_cameras(http):
    async with running_simulator(make_config(cameras=50, variants=Variants(nulls=True))) as sim:
        inst = sim.installation
        body = await served(sim, http)
        statuses = every(body, "statuses")
        assert sum(s.get("AltEnabled", 0) is None for s in statuses) >= 2
        assert sum("WriteVideoMbps" not in s for s in statuses) >= 2
        assert sum(s.get("ReceiveAltVideoMbps", 0) is None for s in statuses) >= 2
        assert sum(s["Status"] is None for s in statuses) == 1
        channels = every(body, "channels")
        assert sum(c["Disabled"] is None for c in channels) == 1
        assert sum(c["Name"] is None for c in channels) == 1
        licences = [per_server["licence"] for per_server in body["by_server"].values()]
        assert sum(licence["IsTimeLimited"] is None for licence in licences) == 1
        for licence in licences:
            usage = {k: v for k, v in licence.items() if isinstance(v, dict)}
            assert 1 <= sum("OnServer" not in u for u in usage.values()) < len(usage)
            assert [k for k, u in usage.items() if u["Used"] is None] == ["NonRegistratorChannels"]
        rows = every(body, "visitors")
        assert 1 <= sum(row["UniqueVisitors"] is None for row in rows) < len(rows)
        assert sum(row["GenderDistribution"]["Female"] is None for row in rows) == 1
        zones = [zone for entry in every(body, "counters") for zone in entry["Zones"]]
        assert sum(nulls_in(zone["CurrentCounts"]) for zone in zones) == 1
        assert sum(zone["Name"] is None for zone in zones) == 1
        lines = [zone for entry in every(body, "report") for zone in entry["Zones"]]
        assert sum(nulls_in(zone["TotalCounts"]) for zone in lines) == 1
        assert nulls_in([zone["StartCounts"] for zone in lines]) == 0
        assert sum("IsReplicationServer" not in server for server in body["servers"]) == 1
        # The helpers return the served form, so tests can derive expectations from them.
        assert body["servers"] == [inst.server_info(s.id) for s in inst.servers]
        for server in inst.servers:
            per_server = body["by_server"][server.id]
            assert per_server["channels"] == inst.channels(server.id)
            assert per_server["statuses"] == [inst.camera_status(c["Id"]) for c in per_server["channels"]]
            assert per_server["licence"] == inst.license(server.id)
            counting = [c.id for c in inst.counting_cameras(server.id)]
            assert per_server["counters"] == [inst.current_counters(i) for i in counting]
            start, end = (datetime.strptime(REPORT[k], "%d.%m.%Y %H:%M:%S") for k in ("startTime", "endTime"))
            assert per_server["report"] == [inst.object_report(i, start, end) for i in counting]
            visitors = [c.id for c in inst.visitor_cameras(server.id)]
            rows = inst.visitor_rows(visitors, datetime(2026, 11, 24), datetime(2026, 11, 25, 12))
            assert per_server["visitors"] == rows


async def test_nulls_follow_the_documented_rules(http):
    async with running_simulator(make_config(cameras=50, variants=Variants(nulls=True))) as sim:
        inst = sim.installation
        for camera in inst.cameras:
            status = inst.camera_status(camera.id)
            assert (status["AltEnabled"] is None) == (camera.index % 7 == 3)
            assert ("WriteVideoMbps" not in status) == (camera.index % 7 == 5)
            assert (status["ReceiveAltVideoMbps"] is None) == (camera.index % 7 == 6)
            assert (status["Status"] is None) == (camera.index == 4)
            channel = inst.api_channel(camera)
            assert (channel["Disabled"] is None, channel["Name"] is None) == (
                camera.index == 6,
                camera.index == 8,
            )
        assert inst.license(inst.main_server.id)["IsTimeLimited"] is None
        assert "IsReplicationServer" not in inst.server_info(inst.servers[-1].id)
        first_counting = next(c for c in inst.cameras if c.has_object_counting and not c.disabled)
        assert inst.current_counters(first_counting.id)["Zones"][0]["CurrentCounts"]["Person"] is None
        last = inst.servers[-1].id
        on_last = next(
            c for c in inst.cameras if c.has_object_counting and not c.disabled and c.server_id == last
        )
        assert inst.current_counters(on_last.id)["Zones"][0]["Name"] is None
        report = inst.object_report(on_last.id, datetime(2026, 11, 25), datetime(2026, 11, 25, 14))
        assert report["Zones"][0]["TotalCounts"]["Person"] is None
        visitors = [c for c in inst.cameras if c.has_visitor_module and not c.disabled]
        for camera in visitors:
            row = inst.visitor_report(camera.id, datetime(2026, 11, 25), T0)
            assert (row["UniqueVisitors"] is None) == (camera.index % 2 == 1)
            assert (row["GenderDistribution"]["Female"] is None) == (camera is visitors[0])
        # The aggregate of cameras one of which has a null is null.
        [total] = inst.visitor_rows([c.id for c in visitors], datetime(2026, 11, 25), T0, aggregate=True)
        assert total["UniqueVisitors"] is None and total["GenderDistribution"]["Female"] is None


async def test_unknown_values(http):
    async with running_simulator(make_config(cameras=50)) as sim:
        inst = sim.installation
        before = await served(sim, http)
        inst.set_variants(unknown_values=True)
        after = await served(sim, http)
        for server in inst.servers:
            changed = [
                (was["Id"], was["Status"], now["Status"])
                for was, now in zip(
                    before["by_server"][server.id]["statuses"],
                    after["by_server"][server.id]["statuses"],
                    strict=True,
                )
                if was != now
            ]
            first_enabled = next(c for c in inst.cameras_on(server.id) if not c.disabled)
            assert changed == [(first_enabled.id, "Ok", "Reconnecting")]
            licence = after["by_server"][server.id]["licence"]
            assert licence["FutureModuleChannels"] == {"OnServer": 1, "Used": 1, "Total": 2}
            assert licence["IsFutureFeatureEnabled"] is True
            assert licence == inst.license(server.id)
        zones = [zone for entry in every(after, "counters") for zone in entry["Zones"]]
        assert [zone["Type"] for zone in zones].count("Polygon") == 1
        # A pinned status stays what it was pinned to.
        camera = next(c for c in inst.cameras_on(inst.main_server.id) if not c.disabled)
        inst.force_status(camera.id, "Ok")
        assert (await fetch(http, f"{sim.main_url}/api/channels/{camera.id}/status"))[1]["Status"] == "Ok"


@pytest.mark.parametrize(
    ("style", "pattern"),
    [
        ("iso_z", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z"),
        ("iso_no_zone", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}"),
        ("iso_offset", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+03:00"),
        ("dotnet_text", r"\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d"),
    ],
)
async def test_time_limit_styles_name_the_same_instant(sim, http, style, pattern):
    inst = sim.installation
    limited = next(s.id for s in inst.servers if s.time_limited)
    unlimited = next(s.id for s in inst.servers if not s.time_limited)
    url = f"{sim.server_urls[limited]}/webapi/license"
    reference = datetime.fromisoformat((await fetch(http, url))[1]["TimeLimit"][:26] + "+00:00")
    inst.set_variants(time_limit_style=style)
    text = (await fetch(http, url))[1]["TimeLimit"]
    assert re.fullmatch(pattern, text)
    if style == "dotnet_text":
        instant = datetime.strptime(text, "%d.%m.%Y %H:%M:%S").replace(tzinfo=MOSCOW)
        assert instant == reference.replace(microsecond=0)
    else:
        instant = datetime.fromisoformat(text[:26] + text[27:] if style == "iso_offset" else text[:26])
        assert instant.replace(tzinfo=instant.tzinfo or UTC) == reference
    # An unlimited licence keeps the unlimited_time_limit form.
    assert (await fetch(http, f"{sim.server_urls[unlimited]}/webapi/license"))[1]["TimeLimit"] == (
        "0001-01-01T00:00:00"
    )


async def test_time_limit_fraction_digits_apply_to_the_iso_styles(sim, http):
    limited = next(s.id for s in sim.installation.servers if s.time_limited)
    sim.installation.set_variants(time_limit_style="iso_no_zone", time_limit_fraction_digits=3)
    text = (await fetch(http, f"{sim.server_urls[limited]}/webapi/license"))[1]["TimeLimit"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", text)


COUNTING_PATHS = (
    "api/objects_counting/current_counters",
    "api/object_counting/current_counters",
    "api/objects_counting/report",
    "api/object_counting/report",
)


async def test_empty_object_bodies_for_a_server_without_counting_cameras(http):
    # Two servers, one camera: the second server has no camera at all.
    async with running_simulator(make_config(cameras=1)) as sim:
        inst = sim.installation
        bare = inst.servers[1].id
        camera = inst.cameras[0]

        async def bodies(server_id: str, **extra: str) -> list[Any]:
            url = sim.server_urls[server_id]
            out = []
            for path in COUNTING_PATHS:
                status, body = await fetch(http, f"{url}/{path}", params={**REPORT, **extra})
                assert status == 200
                out.append(body)
            return out

        assert await bodies(bare) == [[]] * 4
        inst.set_variants(empty_object_bodies=True)
        assert await bodies(bare) == [{}] * 4
        # A server with a counting camera still answers a list; channelId still answers the object.
        assert all(isinstance(body, list) and body for body in await bodies(camera.server_id))
        one = await bodies(camera.server_id, channelId=camera.id)
        assert [body["Id"] for body in one] == [camera.id] * 4
