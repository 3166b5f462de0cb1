"""configure/channels (bindings, channel_list_settings), AnalyzeSettings, webapi/cameras/analytics and the
licence's client limit, over real HTTP."""

from __future__ import annotations

import uuid

import pytest

from eocexporter.simulator import Variants, running_simulator
from eocexporter.simulator.topology import PLUGINS

from .helpers import fetch, make_config

ZERO = "00000000-0000-0000-0000-000000000000"
BRIEF_KEYS = ["Id", "Name", "Disabled", "ServerBindingsSettings", "ParentSecObjectId", "MapSettings"]


@pytest.fixture
async def sim50():
    async with running_simulator(make_config(cameras=50)) as simulator:
        yield simulator


async def test_channel_list_bindings_and_map(sim50, http):
    inst = sim50.installation
    _, listed = await fetch(http, f"{sim50.main_url}/configure/channels")
    assert [item["Id"] for item in listed] == [c.id for c in inst.cameras]
    replicated, analysed, on_map, with_coordinates = 0, 0, 0, 0
    server_ids = {s.id for s in inst.servers}
    for item, camera in zip(listed, inst.cameras, strict=True):
        assert list(item) == BRIEF_KEYS
        bindings = item["ServerBindingsSettings"]
        assert list(bindings) == [
            "OwnerServerId",
            "ReservedServerId",
            "ReplicationServerId",
            "VideoAnalyticsServerId",
        ]
        for key in ("ReplicationServerId", "VideoAnalyticsServerId"):
            assert bindings[key] == ZERO or bindings[key] in server_ids - {camera.server_id}
        replicated += bindings["ReplicationServerId"] != ZERO
        analysed += bindings["VideoAnalyticsServerId"] != ZERO
        on_map += item["MapSettings"]["IsOnMap"]
        with_coordinates += item["MapSettings"]["Latitude"] is not None
        # The same binding everywhere the camera appears.
        _, detail = await fetch(http, f"{sim50.main_url}/configure/channels/{camera.id}")
        assert detail["ServerBindingsSettings"] == bindings
        assert detail["AnalyzeSettings"]["IsUseRemoteVideoAnalyticsServer"] == (
            bindings["VideoAnalyticsServerId"] != ZERO
        )
        _, api = await fetch(http, f"{sim50.server_urls[camera.server_id]}/api/channels/{camera.id}")
        assert api["ServerBindingsSettings"] == {
            k: v for k, v in bindings.items() if k != "VideoAnalyticsServerId"
        }
    # Mostly the zero GUID, some another server.
    assert 0 < replicated < 15 and 0 < analysed < 15
    assert 0.4 < on_map / 50 < 0.8 and 0.6 < with_coordinates / 50 < 0.9


async def test_a_lone_server_binds_nothing_else(http):
    async with running_simulator(make_config(servers=1)) as sim:
        _, listed = await fetch(http, f"{sim.main_url}/configure/channels")
        for item in listed:
            bindings = item["ServerBindingsSettings"]
            assert bindings["ReplicationServerId"] == bindings["VideoAnalyticsServerId"] == ZERO


async def test_channel_list_settings_carries_the_detail_settings(sim50, http):
    inst = sim50.installation
    _, plain = await fetch(http, f"{sim50.main_url}/configure/channels")
    inst.set_variants(channel_list_settings=True)
    _, full = await fetch(http, f"{sim50.main_url}/configure/channels")
    for before, item in zip(plain, full, strict=True):
        assert list(item) == [*BRIEF_KEYS[:-1], "ArchiveSettings", "AnalyzeSettings", "MapSettings"]
        _, detail = await fetch(http, f"{sim50.main_url}/configure/channels/{item['Id']}")
        assert item["ArchiveSettings"] == detail["ArchiveSettings"]
        assert item["AnalyzeSettings"] == detail["AnalyzeSettings"]
        assert {k: v for k, v in item.items() if k in BRIEF_KEYS} == before
    inst.set_variants(channel_list_settings=False)
    assert (await fetch(http, f"{sim50.main_url}/configure/channels"))[1] == plain


async def test_analyze_settings_vary_per_camera(sim50, http):
    inst = sim50.installation
    counts = {"motion": 0, "face": 0, "face_other": 0, "search": 0}
    for camera in inst.cameras:
        _, detail = await fetch(http, f"{sim50.main_url}/configure/channels/{camera.id}")
        analyze = detail["AnalyzeSettings"]
        assert list(analyze) == [
            "MotionDetectorEnabled",
            "AnalyzeStreamType",
            "FaceDetectorEnabled",
            "FaceDetectorMode",
            "InteractiveSearchEnabled",
            "IsUseRemoteVideoAnalyticsServer",
        ]
        if camera.has_visitor_module:
            assert analyze["FaceDetectorEnabled"] and analyze["FaceDetectorMode"] == "OptimizedQuality"
        if camera.has_object_counting or camera.archiving_mode == "MDandManual":
            assert analyze["MotionDetectorEnabled"]
        assert analyze["InteractiveSearchEnabled"] == camera.interactive_search
        counts["motion"] += analyze["MotionDetectorEnabled"]
        counts["face"] += analyze["FaceDetectorEnabled"]
        counts["face_other"] += analyze["FaceDetectorEnabled"] and not camera.has_visitor_module
        counts["search"] += analyze["InteractiveSearchEnabled"]
    assert counts["motion"] > 25  # most
    assert 1 <= counts["face_other"] <= 10  # the visitor cameras plus a few others
    assert 1 <= counts["search"] < 25  # some


async def test_analytics_lists_plugins_of_the_cameras_served(sim50, http):
    inst = sim50.installation
    plugin_ids = inst.plugin_ids()
    assert list(plugin_ids) == list(PLUGINS) and len(set(plugin_ids.values())) == len(PLUGINS)
    sizes = set()
    for server in inst.servers:
        url = f"{sim50.server_urls[server.id]}/webapi/cameras/analytics"
        status, rows = await fetch(http, url)
        assert status == 200
        assert rows == inst.analytics(server.id)
        assert [row["ChannelId"] for row in rows] == [c.id for c in inst.cameras_on(server.id)]
        for row, camera in zip(rows, inst.cameras_on(server.id), strict=True):
            assert list(row) == ["ChannelId", "ChannelName", "PluginIds"]
            assert row["ChannelName"] == camera.name
            assert row["PluginIds"] == [plugin_ids[name] for name in camera.plugins]
            assert set(row["PluginIds"]) <= set(plugin_ids.values())
            assert (plugin_ids["object-counting"] in row["PluginIds"]) == camera.has_object_counting
            sizes.add(len(row["PluginIds"]))
    assert sizes == {0, 1, 2, 3}


async def test_analytics_channel_ids_repeated_and_comma_separated(sim50, http):
    inst = sim50.installation
    server = inst.servers[0]
    own = [c.id for c in inst.cameras_on(server.id)]
    other = inst.cameras_on(inst.servers[1].id)[0].id
    url = f"{sim50.server_urls[server.id]}/webapi/cameras/analytics"
    unknown = str(uuid.UUID(int=7))
    for query in (
        f"channelIds={own[2]}&channelIds={own[0]}",
        f"channelIds={own[2]},{own[0]}",
        f"ChannelIds={own[2]}&channelids={own[0]},{other}&channelIds={unknown}&channelIds={own[2].upper()}",
    ):
        status, rows = await fetch(http, f"{url}?{query}")
        assert status == 200, query
        assert [row["ChannelId"] for row in rows] == [own[2], own[0]], query
    status, rows = await fetch(http, f"{url}?channelIds={other}")
    assert (status, rows) == (200, [])
    assert (await fetch(http, f"{url}?channelIds=nope"))[0] == 400
    # Legacy servers have no webapi.
    inst.set_legacy(server.id)
    assert (await fetch(http, url))[0] == 404


async def test_analytics_nulls():
    async with running_simulator(make_config(cameras=50, variants=Variants(nulls=True))) as sim:
        inst = sim.installation
        rows = [row for server in inst.servers for row in inst.analytics(server.id)]
        by_id = {row["ChannelId"]: row for row in rows}
        for camera in inst.cameras:
            row = by_id[camera.id]
            assert (row["ChannelName"] is None) == (camera.index == 8)
            assert (row["PluginIds"] is None) == (not camera.plugins)


async def test_one_server_of_several_does_not_limit_clients(sim, http):
    inst = sim.installation
    for server in inst.servers:
        _, licence = await fetch(http, f"{sim.server_urls[server.id]}/webapi/license")
        if server.is_main:
            assert (licence["IsMaxClientsLimited"], licence["MaxClients"]) == (False, 0)
        else:
            assert licence["IsMaxClientsLimited"] is True and 10 <= licence["MaxClients"] <= 100
    async with running_simulator(make_config(servers=1)) as lone:
        _, licence = await fetch(http, f"{lone.main_url}/webapi/license")
        assert licence["IsMaxClientsLimited"] is True and 10 <= licence["MaxClients"] <= 100
