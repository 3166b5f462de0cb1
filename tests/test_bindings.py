"""Camera bindings, map positions and reserve service end to end (configure/channels, api/channels), and
what the configure/channels list costs the archiving collector, over HTTP on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from conftest import OPERATOR, make_settings, sim_config
from helpers import collect, parse_samples, series, value

from eocexporter.simulator import running_simulator

LIST = "configure/channels"
ONE = "configure/channels/{id}"
ZERO_GUID = "00000000-0000-0000-0000-000000000000"
ROLE_KEYS = {
    "owner": "OwnerServerId",
    "reserve": "ReservedServerId",
    "replication": "ReplicationServerId",
    "video_analytics": "VideoAnalyticsServerId",
}
BINDING = "eocortex_camera_server_binding"
ON_MAP = "eocortex_camera_on_map"
LATITUDE = "eocortex_camera_latitude_degrees"
LONGITUDE = "eocortex_camera_longitude_degrees"
ON_RESERVE = "eocortex_camera_on_reserve"
BINDING_FAMILIES = (BINDING, ON_MAP, LATITUDE, LONGITUDE)
SETTINGS_FAMILIES = (
    "eocortex_camera_archiving_info",
    "eocortex_camera_archiving_enabled",
    "eocortex_camera_archive_min_depth_seconds",
    "eocortex_camera_archive_max_depth_seconds",
    "eocortex_camera_analytics_enabled",
)
# Series about the exporter's own work: every replica has its own.
SELF = ("eocortex_api_", "eocortex_collector_", "eocortex_exporter_")


def listed(sim) -> list[dict]:
    """configure/channels as the simulator serves it now."""
    return [sim.installation.configure_channel_brief(camera) for camera in sim.installation.cameras]


def bindings_of(samples: dict) -> set[tuple[str, str, str]]:
    return {
        (labels["camera_id"], labels["role"], labels["server_id"])
        for labels in (dict(key) for key in series(samples, BINDING))
    }


def family_samples(samples: dict, names) -> dict:
    return {key: found for key, found in samples.items() if key[0] in names}


def requests(sim, template: str) -> list:
    return [entry for entry in sim.request_log if entry.template == template]


# ---- bindings and the map -----------------------------------------------------------------------------------


async def test_bindings_equal_the_configure_channels_list(small, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    assert value(samples, "eocortex_collector_success", collector="bindings") == 1
    expected = set()
    unset = set()
    for item in listed(small):
        for role, key in ROLE_KEYS.items():
            server_id = item["ServerBindingsSettings"][key]
            if server_id in (None, "", ZERO_GUID):
                unset.add(role)
            else:
                expected.add((item["Id"], role, server_id))
    assert bindings_of(samples) == expected
    assert all(found == 1 for found in series(samples, BINDING).values())
    # Every role occurs, and the optional ones are unset on some camera (no series for the zero GUID).
    assert {role for _, role, _ in expected} == set(ROLE_KEYS)
    assert {"replication", "video_analytics"} <= unset
    assert not [labels for labels in series(samples, BINDING) if dict(labels)["server_id"] == ZERO_GUID]


async def test_one_list_request_per_run_to_the_main_server(small, exporter_factory) -> None:
    main = small.installation.main_server.id
    for variant in (False, True):
        small.installation.set_variants(channel_list_settings=variant)
        exporter = exporter_factory(make_settings(small.main_url))
        for _ in range(2):
            small.request_log.clear()
            ok, samples = await collect(exporter)
            assert ok
            asked = requests(small, LIST)
            assert [(entry.server_id, entry.method, entry.status) for entry in asked] == [
                (main, "GET", 200)
            ], variant
            assert len(bindings_of(samples)) > len(small.installation.cameras)


async def test_map_positions_only_for_cameras_on_the_map(small, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    kinds = set()
    for item in listed(small):
        camera_id, position = item["Id"], item["MapSettings"]
        assert value(samples, ON_MAP, camera_id=camera_id) == float(position["IsOnMap"])
        latitude = series(samples, LATITUDE, camera_id=camera_id)
        longitude = series(samples, LONGITUDE, camera_id=camera_id)
        placed = position["Latitude"] is not None and position["Longitude"] is not None
        if position["IsOnMap"] and placed:
            kinds.add("on the map")
            assert list(latitude.values()) == [position["Latitude"]]
            assert list(longitude.values()) == [position["Longitude"]]
        else:
            kinds.add("off the map, with coordinates" if placed else "without coordinates")
            assert latitude == {} and longitude == {}, camera_id
    assert kinds == {"on the map", "off the map, with coordinates", "without coordinates"}


# ---- reserve service ---------------------------------------------------------------------------------------


async def test_failover_puts_the_cameras_on_reserve_and_failback_takes_them_off(
    small, exporter_factory
) -> None:
    installation = small.installation
    failed = next(server.id for server in installation.servers if not server.is_main)
    reserve = installation.reserve_of(failed)
    moved = {camera.id for camera in installation.cameras_on(failed)}
    assert moved
    exporter = exporter_factory(make_settings(small.main_url))
    ok, samples = await collect(exporter)
    assert ok
    for camera in installation.cameras:
        assert value(samples, ON_RESERVE, camera_id=camera.id, owner_server_id=camera.server_id) == 0
    await small.failover(failed)
    await exporter.collect_once()  # the failed server's own cycle fails; its reserve lists its cameras
    samples = parse_samples(exporter.exposition.body)
    assert {camera.id for camera in installation.cameras_served_by(reserve)} >= moved
    for camera in installation.cameras:
        found = series(samples, ON_RESERVE, camera_id=camera.id)
        assert list(found) == [
            (("camera_id", camera.id), ("owner_server_id", camera.server_id), ("target", "eoc"))
        ]
        assert list(found.values()) == [1.0 if camera.id in moved else 0.0], camera.id
    # The binding itself does not change: configure/ keeps the owner.
    assert {(c, s) for c, role, s in bindings_of(samples) if role == "owner"} == {
        (camera.id, camera.server_id) for camera in installation.cameras
    }
    await small.failback(failed)
    ok, samples = await collect(exporter)
    assert ok
    for camera in installation.cameras:
        assert value(samples, ON_RESERVE, camera_id=camera.id, owner_server_id=camera.server_id) == 0


# ---- what the list saves the archiving collector ----------------------------------------------------------


async def test_full_list_items_save_the_per_camera_requests(small, exporter_factory) -> None:
    installation = small.installation
    enabled = [camera for camera in installation.cameras if not camera.disabled]
    assert len(enabled) < len(installation.cameras)
    brief = exporter_factory(make_settings(small.main_url))
    ok, brief_samples = await collect(brief)
    assert ok
    per_camera = requests(small, ONE)
    assert len(per_camera) == len(enabled)
    assert {entry.server_id for entry in per_camera} == {installation.main_server.id}
    assert all(entry.status == 200 for entry in per_camera)
    small.request_log.clear()
    ok, _ = await collect(brief)
    assert ok and len(requests(small, ONE)) == len(enabled)

    installation.set_variants(channel_list_settings=True)
    assert "ArchiveSettings" in listed(small)[0]
    full = exporter_factory(make_settings(small.main_url))
    for _ in range(2):
        small.request_log.clear()
        ok, full_samples = await collect(full)
        assert ok
        assert requests(small, ONE) == []
        assert len(requests(small, LIST)) == 1
        assert family_samples(full_samples, SETTINGS_FAMILIES) == family_samples(
            brief_samples, SETTINGS_FAMILIES
        )
    assert len(series(full_samples, "eocortex_camera_archiving_info")) == len(enabled)


async def test_a_list_with_settings_for_some_cameras_costs_requests_for_the_others(
    small, exporter_factory
) -> None:
    installation = small.installation
    brief = exporter_factory(make_settings(small.main_url))
    ok, brief_samples = await collect(brief)
    assert ok
    installation.set_variants(channel_list_settings=True)
    items = listed(small)
    enabled = [camera.id for camera in installation.cameras if not camera.disabled]
    lacking = set(enabled[:3])
    for item in items:
        if item["Id"] in lacking:
            del item["ArchiveSettings"], item["AnalyzeSettings"]
    small.faults.set_body(LIST, json.dumps(items))
    mixed = exporter_factory(make_settings(small.main_url))
    small.request_log.clear()
    ok, samples = await collect(mixed)
    assert ok
    per_camera = requests(small, ONE)
    assert len(per_camera) == len(lacking)
    assert family_samples(samples, SETTINGS_FAMILIES) == family_samples(brief_samples, SETTINGS_FAMILIES)
    assert bindings_of(samples) == bindings_of(brief_samples)


async def test_a_server_without_the_list_keeps_its_settings_through_per_camera_requests(
    small, exporter_factory
) -> None:
    installation = small.installation
    enabled = [camera for camera in installation.cameras if not camera.disabled]
    reference = exporter_factory(make_settings(small.main_url))
    ok, expected = await collect(reference)
    assert ok
    small.faults.set_error_rate(LIST, 1.0, status=404)
    small.request_log.clear()
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    for name in ("bindings", "archiving"):
        assert value(samples, "eocortex_collector_success", collector=name) == 1
    assert (
        value(samples, "eocortex_endpoint_supported", server_id=installation.main_server.id, endpoint=LIST)
        == 0
    )
    for name in BINDING_FAMILIES:
        assert series(samples, name) == {}, name
    assert len(requests(small, ONE)) == len(enabled)
    assert family_samples(samples, SETTINGS_FAMILIES) == family_samples(expected, SETTINGS_FAMILIES)


@pytest.mark.parametrize("full_list", [False, True], ids=["brief", "full"])
async def test_a_failing_list_costs_the_bindings_but_not_the_settings(
    small, exporter_factory, full_list
) -> None:
    installation = small.installation
    installation.set_variants(channel_list_settings=full_list)
    enabled = [camera for camera in installation.cameras if not camera.disabled]
    ok, expected = await collect(exporter_factory(make_settings(small.main_url)))
    assert ok
    small.faults.set_error_rate(LIST, 1.0, status=500)
    small.request_log.clear()
    ok, samples = await collect(exporter_factory(make_settings(small.main_url)))
    assert not ok
    assert value(samples, "eocortex_collector_success", collector="bindings") == 0
    # The list only saves requests for the settings: without it, each camera is asked.
    assert value(samples, "eocortex_collector_success", collector="archiving") == 1
    assert len(requests(small, ONE)) == len(enabled)
    assert family_samples(samples, SETTINGS_FAMILIES) == family_samples(expected, SETTINGS_FAMILIES)


# ---- replicas, rights -----------------------------------------------------------------------------------------


async def test_two_shards_split_the_bindings_without_doubling_them(clock, exporter_factory) -> None:
    async with running_simulator(sim_config(clock, servers=3, cameras=15)) as sim:

        async def exposition(**shard) -> dict:
            exporter = exporter_factory(make_settings(sim.main_url, **shard))
            await exporter.collect_once()
            return parse_samples(exporter.exposition.body)

        alone = await exposition()
        first = await exposition(shard_index=0, shard_count=2)
        second = await exposition(shard_index=1, shard_count=2)
    one, two, whole = (set(family_samples(found, BINDING_FAMILIES)) for found in (first, second, alone))
    assert whole and one | two == whole
    assert not one & two, "a binding series exposed by both shards"
    # The replica that polls the main server reports every camera; the other none.
    assert sorted((len(one), len(two))) == [0, len(whole)]
    for shard in (first, second):
        assert value(shard, "eocortex_collector_success", collector="bindings") == 1
    data = {key for key in set(first) | set(second) if not key[0].startswith(SELF)}
    assert {key for key in alone if key[0].startswith("eocortex_camera_")} <= data


async def test_a_user_without_configuration_rights_gets_no_bindings_and_no_failure(
    small, exporter_factory
) -> None:
    settings = make_settings(
        small.main_url, target={"username": OPERATOR.login, "password": OPERATOR.password}
    )
    exporter = exporter_factory(settings)
    for _ in range(2):
        ok, samples = await collect(exporter)
        assert ok
        assert value(samples, "eocortex_collector_success", collector="bindings") == 1
        assert value(samples, "eocortex_collector_success", collector="archiving") == 1
        for name in BINDING_FAMILIES:
            assert series(samples, name) == {}, name
        assert series(samples, "eocortex_camera_info")  # the cameras are still there
    main = small.installation.main_server.id
    assert value(samples, "eocortex_endpoint_supported", server_id=main, endpoint=LIST) == 0
    refused = requests(small, LIST)
    assert refused and all(entry.status == 403 for entry in refused)
    assert len(refused) == 1, "asked again within the hour"
