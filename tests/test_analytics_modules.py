"""Analytics per camera end to end: AnalyzeSettings flags (configure/channels) and analytics plugins
(webapi/cameras/analytics), compared with what the simulator serves, over HTTP on 127.0.0.1."""

from __future__ import annotations

import re

import pytest
from conftest import make_settings, sim_config
from helpers import collect, series, value

from eocexporter.simulator import Variants, running_simulator

ENABLED = "eocortex_camera_analytics_enabled"
PLUGIN = "eocortex_camera_analytics_plugin_info"
PLUGINS_ENDPOINT = "webapi/cameras/analytics"


def module_name(key: str) -> str:
    """``MotionDetectorEnabled`` -> ``motion_detector``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", key.removesuffix("Enabled")).lower()


def plugins_served(sim) -> dict[str, set[str]]:
    """Camera id -> plugin ids, from webapi/cameras/analytics as every server serves it now."""
    found: dict[str, set[str]] = {}
    for server in sim.installation.servers:
        for row in sim.installation.analytics(server.id):
            found[row["ChannelId"]] = set(row["PluginIds"] or ())
    return found


def exported_plugins(samples: dict) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for labels, got in series(samples, PLUGIN).items():
        assert got == 1
        labels = dict(labels)
        found.setdefault(labels["camera_id"], set()).add(labels["plugin_id"])
    return found


@pytest.mark.parametrize("full_list", [False, True], ids=["per-camera", "full-list"])
async def test_analytics_flags_equal_analyze_settings(small, exporter_factory, full_list) -> None:
    small.installation.set_variants(channel_list_settings=full_list)
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="archiving") == 1
    seen: dict[str, set[bool]] = {}
    for camera in small.installation.cameras:
        got = {
            dict(labels)["module"]: found
            for labels, found in series(samples, ENABLED, camera_id=camera.id).items()
        }
        if camera.disabled:
            assert got == {}, camera.id
            continue
        analyze = small.installation.configure_channel(camera)["AnalyzeSettings"]
        flags = {
            module_name(key): float(flag)
            for key, flag in analyze.items()
            if key.endswith("Enabled") and key != "Enabled" and isinstance(flag, bool)
        }
        assert got == flags, camera.id
        for module, flag in flags.items():
            seen.setdefault(module, set()).add(bool(flag))
    # Each module is on for some camera and off for another.
    assert seen == {
        module: {False, True} for module in ("motion_detector", "face_detector", "interactive_search")
    }


async def test_plugins_equal_webapi_cameras_analytics(small, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="analytics_plugins") == 1
    served = plugins_served(small)
    assert set(served) == {camera.id for camera in small.installation.cameras}
    assert exported_plugins(samples) == {camera_id: ids for camera_id, ids in served.items() if ids}
    # The ids are the simulator's plugins, as the cameras' configuration names them.
    ids = small.installation.plugin_ids()
    for camera in small.installation.cameras:
        assert served[camera.id] == {ids[name] for name in camera.plugins}
    assert any(not plugins for plugins in served.values()) and any(len(p) >= 2 for p in served.values())
    # One request per server, to that server.
    asked = [entry for entry in small.request_log if entry.template == PLUGINS_ENDPOINT]
    assert sorted(entry.server_id for entry in asked) == sorted(
        server.id for server in small.installation.servers
    )


async def test_null_plugin_lists_give_no_series_and_no_failure(clock, exporter_factory) -> None:
    async with running_simulator(sim_config(clock, cameras=20, variants=Variants(nulls=True))) as sim:
        served = {
            row["ChannelId"]: row["PluginIds"]
            for server in sim.installation.servers
            for row in sim.installation.analytics(server.id)
        }
        ok, samples = await collect(exporter_factory(make_settings(sim.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="analytics_plugins") == 1
    without = [camera_id for camera_id, plugins in served.items() if plugins is None]
    assert without, "nulls serves PluginIds: null for cameras without plugins"
    for camera_id in without:
        assert series(samples, PLUGIN, camera_id=camera_id) == {}
    assert exported_plugins(samples) == {
        camera_id: set(plugins) for camera_id, plugins in served.items() if plugins is not None
    }
    assert series(samples, "eocortex_api_parse_errors_total", endpoint=PLUGINS_ENDPOINT) == {}


async def test_a_legacy_server_gives_no_plugins_and_is_not_a_failure(small, exporter_factory) -> None:
    installation = small.installation
    other = next(server.id for server in installation.servers if not server.is_main)
    installation.set_legacy(other)
    served = plugins_served(small)
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="analytics_plugins") == 1
    assert value(samples, "eocortex_endpoint_supported", server_id=other, endpoint=PLUGINS_ENDPOINT) == 0
    on_main = {camera.id for camera in installation.cameras_served_by(installation.main_server.id)}
    assert exported_plugins(samples) == {
        camera_id: ids for camera_id, ids in served.items() if ids and camera_id in on_main
    }
