"""Every metric's value traced back to the simulator's state, over real HTTP on 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from conftest import TIMEZONE, make_settings
from helpers import parse_samples, series, value

from eocexporter.exposition import module_label
from eocexporter.model import KNOWN_CAMERA_STATES
from eocexporter.registry import COLLECTORS

MBPS = 131072  # bytes per second in one of the server's "Mbps" (docs/metrics.md)


async def collect(sim, exporter_factory, **settings):
    exporter = exporter_factory(make_settings(sim.main_url, **settings))
    ok = await exporter.collect_once()
    return ok, parse_samples(exporter.exposition.body)


async def test_discovery_finds_every_server_on_its_own_port(sim, exporter_factory) -> None:
    ok, samples = await collect(sim, exporter_factory)
    assert ok
    servers = sim.installation.servers
    assert len(servers) == 2
    assert value(samples, "eocortex_up", target="eoc") == 1
    assert value(samples, "eocortex_configure_access", target="eoc") == 1
    for server in servers:
        assert value(samples, "eocortex_server_up", server_id=server.id) == 1
        info = series(samples, "eocortex_server_info", server_id=server.id)
        [labels] = info
        assert dict(labels) == {
            "target": "eoc",
            "server_id": server.id,
            "server": server.name,
            "hostname": "127.0.0.1",
            "port": str(server.port),
        }
    # Each server's cameras were asked of that server: the request log shows api/ on both ports.
    asked = {entry.server_id for entry in sim.request_log if entry.template == "api/channels"}
    assert asked == {server.id for server in servers}


async def test_camera_metrics_equal_the_simulator_status(sim, exporter_factory) -> None:
    ok, samples = await collect(sim, exporter_factory)
    assert ok
    cameras = sim.installation.cameras
    assert any(camera.disabled for camera in cameras)
    for camera in cameras:
        labels = {"target": "eoc", "camera_id": camera.id}
        [info] = series(samples, "eocortex_camera_info", **labels)
        assert dict(info)["camera"] == camera.name
        assert dict(info)["server_id"] == camera.server_id
        assert dict(info)["disabled"] == ("true" if camera.disabled else "false")
        if camera.disabled:
            assert series(samples, "eocortex_camera_status", **labels) == {}
            continue
        status = sim.installation.camera_status(camera.id)
        expected_state = (
            status["Status"].capitalize() if status["Status"].upper() == "OK" else status["Status"]
        )
        states = {
            dict(k)["status"]: v for k, v in series(samples, "eocortex_camera_status", **labels).items()
        }
        assert set(KNOWN_CAMERA_STATES) <= set(states)
        assert states[expected_state] == 1
        assert sum(states.values()) == 1
        main = value(samples, "eocortex_camera_receive_bytes_per_second", stream="main", **labels)
        alt = value(samples, "eocortex_camera_receive_bytes_per_second", stream="alt", **labels)
        write = value(samples, "eocortex_camera_write_bytes_per_second", **labels)
        assert main == status["ReceiveVideoMbps"] * MBPS
        assert alt == status["ReceiveAltVideoMbps"] * MBPS
        assert write == status["WriteVideoMbps"] * MBPS
        assert main == round(main), "the server's Mbps are whole bytes per second / 131072"
        assert value(samples, "eocortex_camera_alt_stream_enabled", **labels) == float(status["AltEnabled"])


async def test_licence_metrics_equal_webapi_license_and_configure_servers(sim, exporter_factory) -> None:
    ok, samples = await collect(sim, exporter_factory)
    assert ok
    for server in sim.installation.servers:
        where = {"target": "eoc", "server_id": server.id}
        license_ = sim.installation.license(server.id)
        modules = {
            key: usage for key, usage in license_.items() if isinstance(usage, dict) and "Total" in usage
        }
        assert len(modules) == 31
        for key, usage in modules.items():
            module = module_label(key)
            assert value(samples, "eocortex_license_channels_limit", module=module, **where) == usage["Total"]
            assert value(samples, "eocortex_license_channels_used", module=module, **where) == usage["Used"]
            assert (
                value(samples, "eocortex_license_channels_used_on_server", module=module, **where)
                == usage["OnServer"]
            )
        assert (
            value(samples, "eocortex_license_channels_limit", module="face_detector", **where)
            == (license_["FaceDetectorChannels"]["Total"])
        )
        assert value(samples, "eocortex_license_feature_enabled", feature="video_wall", **where) == float(
            license_["IsVideoWallEnabled"] in (True, "true")
        )
        assert value(samples, "eocortex_license_info", product_type=license_["ProductType"], **where) == 1
        expiry = series(samples, "eocortex_license_expiry_timestamp_seconds", **where)
        if license_["IsTimeLimited"] in (True, "true"):
            limit = datetime.fromisoformat(license_["TimeLimit"].replace("Z", "+00:00")[:23] + "+00:00")
            assert abs(next(iter(expiry.values())) - limit.timestamp()) < 0.001
        else:
            assert expiry == {}
        configured = sim.installation.server_info(server.id)
        for kind, total in configured["TotalLicParams"].items():
            label = module_label(kind)
            assert value(samples, "eocortex_server_license_channels_limit", kind=label, **where) == total
            used = configured["UsedLicParams"][kind]
            assert value(samples, "eocortex_server_license_channels_used", kind=label, **where) == used


async def test_object_counting_equals_current_counters(sim, exporter_factory) -> None:
    ok, samples = await collect(sim, exporter_factory)
    assert ok
    lines = areas = 0
    for camera in sim.installation.cameras:
        if not camera.zones or camera.disabled:
            assert series(samples, "eocortex_object_counting_line_crossings_total", camera_id=camera.id) == {}
            assert series(samples, "eocortex_object_counting_zone_objects", camera_id=camera.id) == {}
            continue
        counters = sim.installation.current_counters(camera.id)
        for zone in counters["Zones"]:
            name = (
                "eocortex_object_counting_line_crossings_total"
                if zone["Type"] == "LineSection"
                else "eocortex_object_counting_zone_objects"
            )
            lines += zone["Type"] == "LineSection"
            areas += zone["Type"] == "Zone"
            got = {
                dict(k)["object_class"]: v
                for k, v in series(samples, name, camera_id=camera.id, zone_id=zone["Id"]).items()
            }
            assert got == {cls: float(count) for cls, count in zone["CurrentCounts"].items()}
            for labels in series(samples, name, camera_id=camera.id, zone_id=zone["Id"]):
                assert dict(labels)["zone"] == zone["Name"]
    assert lines and areas, "the simulated installation should have both lines and areas"


async def test_visitors_equal_the_report_since_local_midnight(sim, exporter_factory, clock) -> None:
    ok, samples = await collect(sim, exporter_factory)
    assert ok
    local_now = clock.now().astimezone(ZoneInfo(TIMEZONE))
    midnight = datetime.combine(local_now.date(), time(0), tzinfo=local_now.tzinfo).astimezone(UTC)
    with_module = [
        camera for camera in sim.installation.cameras if camera.has_visitor_module and not camera.disabled
    ]
    assert with_module
    for camera in sim.installation.cameras:
        labels = {"target": "eoc", "camera_id": camera.id}
        if camera not in with_module:
            assert series(samples, "eocortex_visitors_total", **labels) == {}
            continue
        row = sim.installation.visitor_report(camera.id, midnight, clock.now())
        assert value(samples, "eocortex_visitors_total", **labels) == row["TotalVisitors"]
        assert value(samples, "eocortex_unique_visitors_total", **labels) == row["UniqueVisitors"]
        for family, key, label in (
            ("eocortex_visitors_by_gender_total", "GenderDistribution", "gender"),
            ("eocortex_visitors_by_age_total", "AgeDistribution", "age_group"),
            ("eocortex_visitors_by_emotion_total", "EmotionDistribution", "emotion"),
        ):
            got = {dict(k)[label]: v for k, v in series(samples, family, **labels).items()}
            assert got == {name: float(count) for name, count in row[key].items()}


async def test_visitor_counters_restart_at_local_midnight(sim, exporter_factory, clock) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    camera = next(c for c in sim.installation.cameras if c.has_visitor_module and not c.disabled)
    local_zone = ZoneInfo(TIMEZONE)
    clock.set(datetime(2026, 11, 25, 23, 50, tzinfo=local_zone))
    await exporter.collect_once()
    before = value(parse_samples(exporter.exposition.body), "eocortex_visitors_total", camera_id=camera.id)
    clock.set(datetime(2026, 11, 26, 0, 5, tzinfo=local_zone))
    await exporter.collect_once()
    after = value(parse_samples(exporter.exposition.body), "eocortex_visitors_total", camera_id=camera.id)
    midnight = datetime(2026, 11, 26, tzinfo=local_zone)
    assert after == sim.installation.visitor_report(camera.id, midnight, clock.now())["TotalVisitors"]
    assert after < before


async def test_exporter_self_metrics(sim, exporter_factory) -> None:
    ok, samples = await collect(sim, exporter_factory)
    assert ok
    for collector in ("discovery", *(entry.name for entry in COLLECTORS)):
        assert value(samples, "eocortex_collector_success", collector=collector) == 1
        assert value(samples, "eocortex_collector_duration_seconds", collector=collector) > 0
        assert (
            value(samples, "eocortex_collector_last_success_timestamp_seconds", collector=collector) > 1.7e9
        )
    enabled = [c for c in sim.installation.cameras if not c.disabled]
    assert value(
        samples, "eocortex_api_requests_total", endpoint="api/channels/{id}/status", code="200"
    ) == len(enabled)
    assert value(
        samples, "eocortex_api_request_duration_seconds_count", endpoint="api/channels/{id}/status"
    ) == len(enabled)
    assert value(samples, "eocortex_api_requests_total", endpoint="configure/servers", code="200") == 1
    # No raw URL, camera id or password ever becomes an endpoint label.
    endpoints = {dict(k)["endpoint"] for k in series(samples, "eocortex_api_requests_total")}
    assert endpoints == {
        "configure/servers",
        "api/channels",
        "api/channels/{id}/status",
        "webapi/license",
        "api/objects_counting/current_counters",
        "api/unique_visitor/report",
        "configure/channels/{id}",
        "configure/channels",
        "webapi/cameras/{id}/archive_days",
        "webapi/cameras/analytics",
        "webapi/archive_export/tasks",
        "api/faceconfig",
        "api/carconfig",
        "api/faces",
        "api/faces-groups",
        "api/cars",
        "api/cars-groups",
    }
    [build] = series(samples, "eocortex_exporter_build_info")
    assert dict(build)["version"]


async def test_archiving_settings_equal_configure_channels(sim, exporter_factory) -> None:
    ok, samples = await collect(sim, exporter_factory)
    assert ok
    modes = set()
    for camera in sim.installation.cameras:
        labels = {"target": "eoc", "camera_id": camera.id}
        if camera.disabled:
            assert series(samples, "eocortex_camera_archiving_info", **labels) == {}
            continue
        settings = sim.installation.configure_channel(camera)["ArchiveSettings"]
        [info] = series(samples, "eocortex_camera_archiving_info", **labels)
        assert dict(info)["mode"] == settings["ArchivingMode"]
        modes.add(settings["ArchivingMode"])
        enabled = value(samples, "eocortex_camera_archiving_enabled", **labels)
        assert enabled == float(not settings["ArchivingDisabled"])
    assert {"AlwaysOn", "MDandManual"} <= modes
