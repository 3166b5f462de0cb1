"""Configuration and api resources: shapes, placement, errors, determinism."""

from __future__ import annotations

import json

from eocexporter.simulator import running_simulator

from .helpers import fetch, fetch_text, make_config

ZERO = "00000000-0000-0000-0000-000000000000"


def other_server(sim):
    return next(server for server in sim.installation.servers if not server.is_main)


async def test_unknown_resource_gets_the_reference_error_body(sim, http):
    assert await fetch(http, f"{sim.main_url}/configure/channel") == (
        404,
        {"ErrorMessage": "Resource is not found (/configure/channel | GET)"},
    )
    async with http.post(
        f"{sim.main_url}/api/channels", headers={"Authorization": "Basic cm9vdDo="}
    ) as response:
        assert response.status == 404
        assert await response.json() == {"ErrorMessage": "Resource is not found (/api/channels | POST)"}
    assert [record.template for record in sim.request_log] == [None, "api/channels"]


async def test_configure_is_answered_only_by_the_main_server(sim, http):
    other = other_server(sim)
    for path in ("configure/servers", "configure/channels", f"configure/servers/{other.id}"):
        status, body = await fetch(http, f"{sim.server_urls[other.id]}/{path}")
        assert status == 404
        assert body == {"ErrorMessage": f"Resource is not found (/{path} | GET)"}
        assert (await fetch(http, f"{sim.main_url}/{path}"))[0] == 200


async def test_configure_servers_leads_to_every_server(sim, http):
    status, servers = await fetch(http, f"{sim.main_url}/configure/servers")
    assert status == 200
    assert {server["Id"] for server in servers} == set(sim.server_urls)
    all_ids = set()
    for server in servers:
        assert server["Hostname"] == "127.0.0.1"
        assert (
            set(server["TotalLicParams"])
            == set(server["UsedLicParams"])
            == {
                "Channels",
                "SoundChannels",
                "PtzChannels",
                "FaceRecognitionChannels",
                "PlateRecognCompleteChannels",
                "PlateRecognLightChannels",
                "PeopleCounterChannels",
                "ReservedChannels",
            }
        )
        status, channels = await fetch(http, f"http://{server['Hostname']}:{server['Port']}/api/channels")
        assert status == 200
        assert {c["ServerBindingsSettings"]["OwnerServerId"] for c in channels} == {server["Id"]}
        enabled = sum(1 for c in channels if not c["Disabled"])
        assert server["UsedLicParams"]["Channels"] == enabled
        all_ids |= {c["Id"] for c in channels}
    status, everything = await fetch(http, f"{sim.main_url}/configure/channels")
    assert {c["Id"] for c in everything} == all_ids == {c.id for c in sim.installation.cameras}


async def test_channel_shapes(sim, http):
    _, configure = await fetch(http, f"{sim.main_url}/configure/channels")
    assert set(configure[0]) == {
        "Id",
        "Name",
        "Disabled",
        "ServerBindingsSettings",
        "ParentSecObjectId",
        "MapSettings",
    }
    assert configure[0]["ServerBindingsSettings"]["VideoAnalyticsServerId"] == ZERO
    assert set(configure[0]["MapSettings"]) == {"Latitude", "Longitude", "IsOnMap"}
    _, api = await fetch(http, f"{sim.main_url}/api/channels")
    assert set(api[0]) == {"Id", "Name", "Disabled", "ServerBindingsSettings", "ParentSecObjectId"}
    assert set(api[0]["ServerBindingsSettings"]) == {
        "OwnerServerId",
        "ReservedServerId",
        "ReplicationServerId",
    }
    status, detail = await fetch(http, f"{sim.main_url}/configure/channels/{api[0]['Id'].upper()}")
    assert status == 200
    assert detail["Id"] == api[0]["Id"]
    assert detail["ConnectionSettings"]["Login"] is None and detail["ConnectionSettings"]["Password"] is None
    server_id = sim.installation.main_server.id
    _, by_server = await fetch(http, f"{sim.main_url}/configure/servers/{server_id}/channels")
    assert by_server == api


async def test_nothing_points_at_the_reference_example_networks(sim, http):
    for path in (
        "configure/servers",
        "configure/channels",
        f"configure/channels/{sim.installation.cameras[0].id}",
    ):
        _, text = await fetch_text(http, f"{sim.main_url}/{path}")
        assert "192.168." not in text and '"10.' not in text


async def test_api_answers_only_about_its_own_cameras(sim, http):
    other = other_server(sim)
    foreign = next(c for c in sim.installation.cameras if c.server_id == other.id)
    for suffix in ("", "/status"):
        assert (await fetch(http, f"{sim.main_url}/api/channels/{foreign.id}{suffix}"))[0] == 404
        status, body = await fetch(http, f"{sim.server_urls[other.id]}/api/channels/{foreign.id}{suffix}")
        assert status == 200 and body["Id"] == foreign.id
    assert (await fetch(http, f"{sim.main_url}/api/channels/not-a-guid"))[0] == 400


async def test_status_shape_and_forced_trouble(sim, http):
    camera = next(c for c in sim.installation.cameras_on(sim.installation.main_server.id) if not c.disabled)
    status, body = await fetch(http, f"{sim.main_url}/api/channels/{camera.id}/status")
    assert status == 200
    assert list(body) == [
        "Id",
        "Name",
        "AltEnabled",
        "ReceiveVideoMbps",
        "ReceiveAltVideoMbps",
        "WriteVideoMbps",
        "Status",
    ]
    assert body == sim.installation.camera_status(camera.id)
    # The reference's 0.8812103271484375 = 115502/131072: an integer byte rate in Mbps.
    assert (body["ReceiveVideoMbps"] * 131072).is_integer()
    sim.installation.force_status(camera.id, "ErrorMain")
    _, body = await fetch(http, f"{sim.main_url}/api/channels/{camera.id}/status")
    assert (body["Status"], body["ReceiveVideoMbps"], body["WriteVideoMbps"]) == ("ErrorMain", 0, 0)
    sim.installation.force_status(camera.id, None)
    assert sim.installation.camera_status(camera.id)["ReceiveVideoMbps"] > 0


async def test_disabled_camera_waits_with_zero_bitrates(sim, http):
    camera = next(c for c in sim.installation.cameras if c.disabled)
    status, body = await fetch(http, f"{sim.server_urls[camera.server_id]}/api/channels/{camera.id}/status")
    assert status == 200
    assert (
        body["Status"],
        body["ReceiveVideoMbps"],
        body["ReceiveAltVideoMbps"],
        body["WriteVideoMbps"],
    ) == (
        "Wait",
        0,
        0,
        0,
    )


async def test_statuses_move_over_slots(sim):
    """Trouble comes and goes per 10-minute slot; over two days some camera is in each state."""
    seen = set()
    for _ in range(288):
        for camera in sim.installation.cameras:
            if not camera.disabled:
                seen.add(sim.installation.camera_status(camera.id)["Status"])
        sim.clock.advance(600)
    assert {"Ok", "ErrorMain", "Wait"} <= seen


async def test_tricky_names_survive_json(sim, http):
    _, channels = await fetch(http, f"{sim.main_url}/configure/channels")
    names = {c["Name"] for c in channels}
    assert 'Вход "Главный" \\ 1' in names
    assert "Parking\nLevel -1" in names
    assert names == {c.name for c in sim.installation.cameras}
    zone_names = {z.name for c in sim.installation.cameras for z in c.zones}
    assert 'Линия "вход" \\ A' in zone_names and "Zone\nnorth" in zone_names


async def test_licence_is_consistent_with_the_cameras(sim, http):
    cameras = [c for c in sim.installation.cameras if not c.disabled]
    licences = {}
    for server_id, url in sim.server_urls.items():
        status, licences[server_id] = await fetch(http, f"{url}/webapi/license")
        assert status == 200
    for key, wants in (
        ("NonRegistratorChannels", lambda c: True),
        ("ObjectCounterModuleChannels", lambda c: c.has_object_counting),
        ("CompleteFaceRecognitionChannels", lambda c: c.has_visitor_module),
        ("VisitorStatisticsFaceRecognitionChannels", lambda c: c.has_visitor_module),
    ):
        used = sum(1 for c in cameras if wants(c))
        assert used > 0
        for server_id, licence in licences.items():
            assert licence[key]["Used"] == used <= licence[key]["Total"]
            assert licence[key]["OnServer"] == sum(
                1 for c in cameras if wants(c) and c.server_id == server_id
            )
    some = next(iter(licences.values()))
    usage = [k for k, v in some.items() if isinstance(v, dict)]
    assert len(usage) == 31 and all(set(some[k]) == {"OnServer", "Used", "Total"} for k in usage)
    assert some["ProductType"] == "Ultra"
    limits = sorted(str(licence["TimeLimit"]) for licence in licences.values())
    assert limits[0] == "0001-01-01T00:00:00" and limits[1].endswith("Z")


async def test_module_lists(sim, http):
    _, faces = await fetch(http, f"{sim.main_url}/api/faceconfig")
    assert {"name": "complete", "enabled": True} in faces["faces_modules"]
    _, cars = await fetch(http, f"{sim.main_url}/api/carconfig")
    assert [module["name"] for module in cars["auto_modules"]] == ["complete", "light"]


async def test_paths_tolerate_trailing_slash_case_and_v1(sim, http):
    for path in ("configure/channels/", "Configure/Channels", "api/v1/channels"):
        assert (await fetch(http, f"{sim.main_url}/{path}"))[0] == 200


async def test_changes_show_up_at_once(sim, http):
    inst = sim.installation
    camera = inst.cameras_on(inst.main_server.id)[0]
    url = f"{sim.main_url}/api/channels"
    await fetch(http, url)  # fill the cache
    inst.rename_camera(camera.id, 'Renamed "x"')
    added = inst.add_camera(object_counting=True, name="New one")
    _, channels = await fetch(http, url)
    assert {c["Id"]: c["Name"] for c in channels}[camera.id] == 'Renamed "x"'
    assert added.id in {c["Id"] for c in channels}
    inst.remove_camera(camera.id)
    assert (await fetch(http, f"{url}/{camera.id}"))[0] == 404
    assert camera.id not in {c["Id"] for c in (await fetch(http, url))[1]}
    inst.disable_camera(added.id)
    assert {c["Id"]: c["Disabled"] for c in (await fetch(http, url))[1]}[added.id] is True


async def test_same_seed_and_clock_give_identical_answers(http):
    async with running_simulator(make_config()) as first, running_simulator(make_config()) as second:
        assert [s.id for s in first.installation.servers] == [s.id for s in second.installation.servers]
        camera = first.installation.cameras[0].id
        paths = [
            "api/channels",
            "configure/channels",
            f"api/channels/{camera}/status",
            "webapi/license",
            "api/objects_counting/current_counters",
            "api/objects_counting/report?startTime=20.11.2026 00:00:00&endTime=25.11.2026 10:00:00",
            "api/unique_visitor/report?starttimeutc=20.11.2026&endtimeutc=25.11.2026 12:00:00",
        ]
        for path in paths:
            a = await fetch_text(http, f"{first.main_url}/{path}")
            b = await fetch_text(http, f"{second.main_url}/{path}")
            assert a == b and a[0] == 200 and json.loads(a[1])


async def test_another_seed_gives_another_installation():
    async with running_simulator(make_config(seed=3)) as other, running_simulator(make_config()) as base:
        assert {c.id for c in other.installation.cameras}.isdisjoint(
            {c.id for c in base.installation.cameras}
        )
