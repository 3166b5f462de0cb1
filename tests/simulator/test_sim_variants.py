"""Each reading of the ambiguous reference can be reproduced."""

from __future__ import annotations

import re

from eocexporter.simulator import Variants, running_simulator

from .helpers import fetch, fetch_text, make_config


def main_camera(sim, *, counting: bool = False):
    cameras = sim.installation.counting_cameras(sim.installation.main_server.id)
    return (
        cameras[0]
        if counting
        else next(c for c in sim.installation.cameras_on(cameras[0].server_id) if not c.disabled)
    )


def limited_server(sim, limited: bool) -> str:
    return next(s.id for s in sim.installation.servers if s.time_limited == limited)


async def test_status_ok_spelling(sim, http):
    camera = main_camera(sim)
    sim.installation.force_status(camera.id, "Ok")
    url = f"{sim.main_url}/api/channels/{camera.id}/status"
    assert (await fetch(http, url))[1]["Status"] == "Ok"
    sim.installation.set_variants(status_ok="OK")
    assert (await fetch(http, url))[1]["Status"] == "OK"


async def test_booleans_as_strings(sim, http):
    sim.installation.set_variants(booleans_as_strings=True)
    camera = main_camera(sim)
    _, channels = await fetch(http, f"{sim.main_url}/api/channels")
    assert {c["Disabled"] for c in channels} <= {"true", "false"}
    _, status = await fetch(http, f"{sim.main_url}/api/channels/{camera.id}/status")
    assert status["AltEnabled"] in ("true", "false")
    _, licence = await fetch(http, f"{sim.main_url}/webapi/license")
    assert licence["IsTimeLimited"] in ("true", "false") and licence["IsRestConfigurationEnabled"] == "true"


async def test_single_counting_camera_as_object(http):
    config = make_config(servers=1, cameras=1, variants=Variants(single_counting_camera_as_object=True))
    async with running_simulator(config) as sim:
        url = f"{sim.main_url}/api/objects_counting/current_counters"
        status, body = await fetch(http, url)
        assert status == 200 and isinstance(body, dict) and body["Id"] == sim.installation.cameras[0].id
        sim.installation.add_camera(object_counting=True)
        status, body = await fetch(http, url)
        assert isinstance(body, list) and len(body) == 2


async def test_whole_numbers_as_int_or_float(sim, http):
    camera = main_camera(sim)
    sim.installation.force_status(camera.id, "ErrorMain")
    url = f"{sim.main_url}/api/channels/{camera.id}/status"
    assert '"ReceiveVideoMbps":0,' in (await fetch_text(http, url))[1]
    sim.installation.set_variants(whole_numbers_as_int=False)
    assert '"ReceiveVideoMbps":0.0,' in (await fetch_text(http, url))[1]


async def test_visitor_channel_id_null(sim, http):
    camera = sim.installation.visitor_cameras(sim.installation.main_server.id)[0]
    sim.installation.set_variants(visitor_channel_id_null=True)
    params = {
        "starttimeutc": "24.11.2026",
        "endtimeutc": "25.11.2026",
        "channel": camera.id,
        "aggregate": "false",
    }
    _, body = await fetch(http, f"{sim.main_url}/api/unique_visitor/report", params=params)
    assert [row["ChannelId"] for row in body["Report"]] == [None]


async def test_visitor_distribution_basis(sim, http):
    camera = sim.installation.visitor_cameras(sim.installation.main_server.id)[0]
    sim.installation.set_variants(visitor_distribution_basis="documented")
    url = f"{sim.main_url}/api/unique_visitor/report"
    for unique_only, basis in (("false", "TotalVisitors"), ("true", "UniqueVisitors")):
        params = {
            "starttimeutc": "24.11.2026",
            "endtimeutc": "25.11.2026",
            "channel": camera.id,
            "uniqueonly": unique_only,
        }
        row = (await fetch(http, url, params=params))[1]["Report"][0]
        assert sum(row["GenderDistribution"].values()) == row[basis]


async def test_carconfig_as_object(sim, http):
    sim.installation.set_variants(carconfig_as_object=True)
    _, body = await fetch(http, f"{sim.main_url}/api/carconfig")
    assert body == {"auto_modules": {"name": "complete", "enabled": True}}


async def test_time_limit_formats(sim, http):
    limited, unlimited = limited_server(sim, True), limited_server(sim, False)
    url_limited, url_unlimited = (f"{sim.server_urls[s]}/webapi/license" for s in (limited, unlimited))
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", (await fetch(http, url_limited))[1]["TimeLimit"]
    )
    assert (await fetch(http, url_unlimited))[1]["TimeLimit"] == "0001-01-01T00:00:00"
    sim.installation.set_variants(time_limit_fraction_digits=3, unlimited_time_limit="null")
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", (await fetch(http, url_limited))[1]["TimeLimit"]
    )
    assert (await fetch(http, url_unlimited))[1]["TimeLimit"] is None


async def test_licence_helpers(sim, http):
    unlimited = limited_server(sim, False)
    sim.installation.expire_licence_soon(120, server_id=unlimited)
    _, licence = await fetch(http, f"{sim.server_urls[unlimited]}/webapi/license")
    assert licence["IsTimeLimited"] is True and licence["TimeLimit"].startswith("2026-11-25T12:02:00.")
    sim.installation.set_licence_usage("ObjectCounterModuleChannels", used=9, total=10)
    _, licence = await fetch(http, f"{sim.main_url}/webapi/license")
    assert (
        licence["ObjectCounterModuleChannels"]["Used"] == 9
        and licence["ObjectCounterModuleChannels"]["Total"] == 10
    )


async def test_extra_fields(sim, http):
    sim.installation.set_variants(extra_fields=True)
    camera = main_camera(sim)
    _, status = await fetch(http, f"{sim.main_url}/api/channels/{camera.id}/status")
    assert status["StreamsStatuses"] == [] and list(status)[-1] == "Status"
    _, licence = await fetch(http, f"{sim.main_url}/webapi/license")
    assert "IsCloudArchiveEnabled" in licence


async def test_server_detail_without_people_counter(sim, http):
    server_id = sim.installation.main_server.id
    url = f"{sim.main_url}/configure/servers/{server_id}"
    assert "PeopleCounterChannels" in (await fetch(http, url))[1]["TotalLicParams"]
    sim.installation.set_variants(server_detail_without_people_counter=True)
    body = (await fetch(http, url))[1]
    assert (
        "PeopleCounterChannels" not in body["TotalLicParams"]
        and "PeopleCounterChannels" not in body["UsedLicParams"]
    )


async def test_variants_through_the_control_endpoint(sim, http):
    async with http.post(f"{sim.main_url}/_simulator/variants", json={"status_ok": "OK"}) as response:
        assert response.status == 200 and (await response.json())["variants"]["status_ok"] == "OK"
    async with http.post(f"{sim.main_url}/_simulator/variants", json={"status_ok": "okay"}) as response:
        assert response.status == 400
    async with http.post(f"{sim.main_url}/_simulator/variants", json={"no_such": True}) as response:
        assert response.status == 400
    assert sim.installation.variants.status_ok == "OK"
