"""What real installations send, end to end (simulator -> exporter -> exposition): other addresses,
nulls, missing fields, unknown values, servers without an endpoint, refused cameras, other time formats,
``{}`` bodies and reserve failover. None of it may cost a server more than the value it concerns."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import TIMEZONE, make_settings, sim_config
from helpers import collect, parse_samples, series, value

from eocexporter.client import support
from eocexporter.exposition.cameras import BYTES_PER_SECOND_PER_MBPS
from eocexporter.simulator import Variants, running_simulator

COLLECTORS = ("discovery", "cameras", "object_counting", "visitors", "licenses", "archiving")
VISITORS = "api/unique_visitor/report"


def all_succeeded(samples: dict) -> bool:
    return all(value(samples, "eocortex_collector_success", collector=name) == 1 for name in COLLECTORS)


# ---- addresses ------------------------------------------------------------------------------------------


async def test_a_main_server_listed_at_another_address_is_recognised_by_its_cameras(
    clock, exporter_factory, caplog
) -> None:
    caplog.set_level(logging.INFO)
    async with running_simulator(sim_config(clock, variants=Variants(listed_addresses="lan"))) as sim:
        main = sim.installation.main_server
        assert sim.installation.listed_address(main.id) == ("eocortex-main.lan", 8080)
        ok, samples = await collect(exporter_factory(make_settings(sim.main_url)))
    assert ok and all_succeeded(samples)
    assert value(samples, "eocortex_server_main", server_id=main.id) == 1
    assert sum(series(samples, "eocortex_server_main").values()) == 1
    assert len(series(samples, "eocortex_camera_info")) == len(sim.installation.cameras)
    [info] = series(samples, "eocortex_server_info", server_id=main.id)
    assert dict(info)["hostname"] == "eocortex-main.lan"
    # Every server answered where the exporter asked it: the main one at the target URL, the others at
    # "localhost", the name configure/servers gives them.
    assert all(up == 1 for up in series(samples, "eocortex_server_up").values())
    assert "recognised by its cameras" in caplog.text


async def test_an_unreachable_server_costs_only_its_own_data_until_it_is_given_an_address(
    clock, exporter_factory
) -> None:
    async with running_simulator(sim_config(clock, variants=Variants(listed_addresses="unreachable"))) as sim:
        main = sim.installation.main_server
        other = next(server for server in sim.installation.servers if not server.is_main)
        ok, samples = await collect(exporter_factory(make_settings(sim.main_url)))
        assert not ok
        assert value(samples, "eocortex_server_main", server_id=main.id) == 1
        assert value(samples, "eocortex_server_up", server_id=main.id) == 1
        assert value(samples, "eocortex_server_up", server_id=other.id) == 0
        mains = {camera.id for camera in sim.installation.cameras_on(main.id)}
        listed = {dict(labels)["camera_id"] for labels in series(samples, "eocortex_camera_info")}
        assert listed == mains
        overridden = make_settings(
            sim.main_url, target={"server_addresses": {other.id: sim.server_urls[other.id]}}
        )
        ok, samples = await collect(exporter_factory(overridden))
    assert ok and all_succeeded(samples)
    assert len(series(samples, "eocortex_camera_info")) == len(sim.installation.cameras)


async def test_without_evidence_the_log_says_how_to_name_the_main_server(
    clock, exporter_factory, caplog
) -> None:
    # No camera anywhere: nothing on the main server names its server.
    config = sim_config(clock, cameras=0, variants=Variants(listed_addresses="lan"))
    async with running_simulator(config) as sim:
        main = sim.installation.main_server
        exporter = exporter_factory(make_settings(sim.main_url))
        await exporter.collect_once()
        await exporter.collect_once()
        samples = parse_samples(exporter.exposition.body)
        assert sum(series(samples, "eocortex_server_main").values()) == 0
        hints = [
            record.message
            for record in caplog.records
            if "cannot tell which server is the main" in record.message
        ]
        assert len(hints) == 1  # once, not once per discovery
        assert f"server_addresses: {{<its id>: {sim.main_url}}}" in hints[0] and main.id in hints[0]
        named = make_settings(sim.main_url, target={"server_addresses": {main.id: sim.main_url}})
        ok, samples = await collect(exporter_factory(named))
    assert ok
    assert value(samples, "eocortex_server_main", server_id=main.id) == 1


# ---- nulls, missing fields, unknown values ----------------------------------------------------------------


@pytest.fixture
async def nulls(clock):
    config = sim_config(clock, variants=Variants(nulls=True, unknown_values=True))
    async with running_simulator(config) as sim:
        yield sim


def _labels(samples: dict, name: str, **match: str) -> list[dict[str, str]]:
    return [dict(labels) for labels in series(samples, name, **match)]


async def test_a_null_or_missing_status_field_costs_only_its_series(nulls, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(nulls.main_url)))
    assert ok and all_succeeded(samples)
    assert not series(samples, "eocortex_api_parse_errors_total")  # nulls are documented, not errors
    checked = set()
    for camera in nulls.installation.cameras:
        if camera.disabled:
            continue
        status = nulls.installation.camera_status(camera.id)
        fields = {
            "AltEnabled": series(samples, "eocortex_camera_alt_stream_enabled", camera_id=camera.id),
            "ReceiveVideoMbps": series(
                samples, "eocortex_camera_receive_bytes_per_second", camera_id=camera.id, stream="main"
            ),
            "ReceiveAltVideoMbps": series(
                samples, "eocortex_camera_receive_bytes_per_second", camera_id=camera.id, stream="alt"
            ),
            "WriteVideoMbps": series(samples, "eocortex_camera_write_bytes_per_second", camera_id=camera.id),
            "Status": series(samples, "eocortex_camera_status", camera_id=camera.id),
        }
        for field, found in fields.items():
            if status.get(field) is None:
                assert found == {}, (camera.id, field)
                checked.add(field)
            else:
                assert found, (camera.id, field)
        if status.get("WriteVideoMbps") is not None:
            write = value(samples, "eocortex_camera_write_bytes_per_second", camera_id=camera.id)
            assert write == status["WriteVideoMbps"] * BYTES_PER_SECOND_PER_MBPS
        assert _labels(samples, "eocortex_camera_info", camera_id=camera.id)  # every camera keeps its info
    assert checked == {"AltEnabled", "ReceiveAltVideoMbps", "WriteVideoMbps", "Status"}


async def test_null_channel_fields_keep_the_camera(nulls, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(nulls.main_url)))
    assert ok
    listed = [
        camera for server in nulls.installation.servers for camera in nulls.installation.channels(server.id)
    ]
    unknown_disabled = [camera["Id"] for camera in listed if camera.get("Disabled") is None]
    unnamed = [camera["Id"] for camera in listed if camera.get("Name") is None]
    assert unknown_disabled and unnamed
    for camera_id in unknown_disabled:
        [labels] = _labels(samples, "eocortex_camera_info", camera_id=camera_id)
        assert labels["disabled"] == ""
        assert series(samples, "eocortex_camera_status", camera_id=camera_id)  # polled as enabled
    for camera_id in unnamed:
        [labels] = _labels(samples, "eocortex_camera_info", camera_id=camera_id)
        assert labels["camera"] == ""


async def test_null_licence_counts_and_flags_cost_only_their_series(nulls, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(nulls.main_url)))
    assert ok
    seen = set()
    for server in nulls.installation.servers:
        licence = nulls.installation.license(server.id)
        for key, usage in licence.items():
            if not isinstance(usage, dict):
                continue
            module = key.removesuffix("Channels")
            for field, name in (
                ("Used", "eocortex_license_channels_used"),
                ("OnServer", "eocortex_license_channels_used_on_server"),
                ("Total", "eocortex_license_channels_limit"),
            ):
                found = [
                    labels
                    for labels in _labels(samples, name, server_id=server.id)
                    if labels["module"].replace("_", "") == module.lower()
                ]
                if usage.get(field) is None:
                    assert found == [], (server.id, key, field)
                    seen.add(field)
                else:
                    assert len(found) == 1, (server.id, key, field)
        if licence.get("IsTimeLimited") is None:
            assert series(samples, "eocortex_license_expiry_timestamp_seconds", server_id=server.id) == {}
            seen.add("IsTimeLimited")
    assert seen == {"Used", "OnServer", "IsTimeLimited"}
    assert _labels(samples, "eocortex_license_channels_limit", module="future_module")  # a new module appears


async def test_null_visitor_and_counting_values_cost_only_their_series(
    nulls, exporter_factory, caplog
) -> None:
    caplog.set_level(logging.WARNING)
    exporter = exporter_factory(make_settings(nulls.main_url))
    ok, samples = await collect(exporter)
    assert ok and all_succeeded(samples)
    now = nulls.clock.now()
    midnight = datetime.combine(
        now.astimezone(ZoneInfo(TIMEZONE)).date(), datetime.min.time(), ZoneInfo(TIMEZONE)
    )
    null_unique = null_female = 0
    for camera in nulls.installation.cameras:
        if not camera.has_visitor_module or camera.disabled:
            continue
        row = nulls.installation.visitor_report(camera.id, midnight.astimezone(UTC), now)
        unique = series(samples, "eocortex_unique_visitors_total", camera_id=camera.id)
        assert (unique == {}) == (row["UniqueVisitors"] is None)
        assert value(samples, "eocortex_visitors_total", camera_id=camera.id) == row["TotalVisitors"]
        female = series(samples, "eocortex_visitors_by_gender_total", camera_id=camera.id, gender="Female")
        assert (female == {}) == (row["GenderDistribution"]["Female"] is None)
        null_unique += row["UniqueVisitors"] is None
        null_female += row["GenderDistribution"]["Female"] is None
    assert null_unique and null_female
    null_counts = unknown = 0
    for server in nulls.installation.servers:
        for camera in nulls.installation.counting_cameras(server.id):
            for zone in nulls.installation.current_counters(camera.id)["Zones"]:
                if zone["Type"] not in ("LineSection", "Zone"):
                    unknown += 1
                    assert not series(samples, "eocortex_object_counting_zone_objects", zone_id=zone["Id"])
                    assert not series(
                        samples, "eocortex_object_counting_line_crossings_total", zone_id=zone["Id"]
                    )
                    continue
                name = (
                    "eocortex_object_counting_line_crossings_total"
                    if zone["Type"] == "LineSection"
                    else "eocortex_object_counting_zone_objects"
                )
                for cls, count in zone["CurrentCounts"].items():
                    found = series(samples, name, zone_id=zone["Id"], object_class=cls)
                    assert (found == {}) == (count is None)
                    null_counts += count is None
    assert null_counts and unknown
    # The unknown zone type: counted on every run, logged once.
    await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    assert value(samples, "eocortex_api_unknown_values_total", field="Type") == 2 * unknown
    assert caplog.text.count("which the reference does not document") == unknown
    # A status the reference does not list is a state of its own.
    reconnecting = [
        labels
        for labels, v in series(samples, "eocortex_camera_status", status="Reconnecting").items()
        if v == 1
    ]
    assert len(reconnecting) == len(nulls.installation.servers)


async def test_a_server_without_replication_flag_has_no_replication_series(nulls, exporter_factory) -> None:
    ok, samples = await collect(exporter_factory(make_settings(nulls.main_url)))
    assert ok
    for server in nulls.installation.servers:
        listed = nulls.installation.server_info(server.id)
        found = series(samples, "eocortex_server_replication", server_id=server.id)
        assert (found == {}) == (listed.get("IsReplicationServer") is None)
    assert len(series(samples, "eocortex_server_replication")) == len(nulls.installation.servers) - 1


# ---- time formats, {} bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["iso_z", "iso_no_zone", "iso_offset", "dotnet_text"])
async def test_every_time_limit_format_gives_the_same_expiry(clock, exporter_factory, style) -> None:
    async with running_simulator(sim_config(clock, variants=Variants(time_limit_style=style))) as sim:
        sim.installation.expire_licence_soon(86400 * 10)
        ok, samples = await collect(exporter_factory(make_settings(sim.main_url)))
    assert ok
    expiry = value(
        samples, "eocortex_license_expiry_timestamp_seconds", server_id=sim.installation.main_server.id
    )
    assert expiry == pytest.approx(clock.now().timestamp() + 86400 * 10, abs=1)


async def test_an_unreadable_time_limit_costs_only_the_expiry(sim, exporter_factory, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    main = sim.installation.main_server.id
    licence = {**sim.installation.license(main), "IsTimeLimited": True, "TimeLimit": "бессрочно"}
    sim.faults.set_body("webapi/license", __import__("json").dumps(licence))
    ok, samples = await collect(exporter_factory(make_settings(sim.main_url)))
    assert ok
    assert series(samples, "eocortex_license_expiry_timestamp_seconds") == {}
    assert series(samples, "eocortex_license_channels_limit", server_id=main)
    assert value(samples, "eocortex_api_parse_errors_total", endpoint="webapi/license") == len(
        sim.installation.servers
    )
    assert "TimeLimit: not a time the API uses" in caplog.text


async def test_an_empty_object_where_a_list_is_expected_is_an_empty_list(clock, exporter_factory) -> None:
    # Two servers, one camera: the second server has nothing to count and answers {}.
    config = sim_config(clock, cameras=1, variants=Variants(empty_object_bodies=True))
    async with running_simulator(config) as sim:
        ok, samples = await collect(exporter_factory(make_settings(sim.main_url)))
    assert ok and all_succeeded(samples)
    assert not series(samples, "eocortex_api_parse_errors_total")


# ---- unsupported is not failed ----------------------------------------------------------------------------


async def test_an_older_server_without_webapi_is_not_a_failure(sim, exporter_factory, monkeypatch) -> None:
    other = next(server.id for server in sim.installation.servers if not server.is_main)
    sim.installation.set_legacy(other)
    exporter = exporter_factory(make_settings(sim.main_url))
    ok, samples = await collect(exporter)
    assert ok and all_succeeded(samples)
    assert value(samples, "eocortex_endpoint_supported", server_id=other, endpoint="webapi/license") == 0
    assert value(samples, "eocortex_endpoint_supported", server_id=other, endpoint=VISITORS) == 0
    assert (
        value(
            samples,
            "eocortex_endpoint_supported",
            server_id=sim.installation.main_server.id,
            endpoint="webapi/license",
        )
        == 1
    )
    assert series(samples, "eocortex_license_info", server_id=other) == {}
    assert series(samples, "eocortex_license_info", server_id=sim.installation.main_server.id)
    # Not asked again within the hour...
    sim.request_log.clear()
    await exporter.collect_once()
    asked = [(entry.server_id, entry.template) for entry in sim.request_log]
    assert (other, "webapi/license") not in asked and (other, VISITORS) not in asked
    # ...and once due again, an upgrade shows.
    monkeypatch.setattr(support, "RECHECK_SECONDS", 0.0)
    sim.installation.set_legacy(other, False)
    ok, samples = await collect(exporter)
    assert ok
    assert value(samples, "eocortex_endpoint_supported", server_id=other, endpoint="webapi/license") == 1
    assert series(samples, "eocortex_license_info", server_id=other)


async def test_a_camera_refused_for_visitor_reports_costs_only_its_counts(sim, exporter_factory) -> None:
    main = sim.installation.main_server.id
    refused, *others = [camera.id for camera in sim.installation.visitor_cameras(main)]
    sim.installation.set_visitor_licensed(refused, False)
    exporter = exporter_factory(make_settings(sim.main_url))
    ok, samples = await collect(exporter)
    assert ok and all_succeeded(samples)
    assert series(samples, "eocortex_visitors_total", camera_id=refused) == {}
    for camera_id in others:
        assert series(samples, "eocortex_visitors_total", camera_id=camera_id)
    assert value(samples, "eocortex_endpoint_refused_cameras", server_id=main, endpoint=VISITORS) == 1
    assert value(samples, "eocortex_endpoint_supported", server_id=main, endpoint=VISITORS) == 1
    # The next run does not ask about it, and asks about the others in whole chunks again.
    sim.request_log.clear()
    assert await exporter.collect_once()
    chunks = [
        dict(entry.params)["channel"].split(",")
        for entry in sim.request_log
        if entry.template == VISITORS and entry.server_id == main
    ]
    assert chunks and all(refused not in chunk for chunk in chunks)
    assert all(entry.status == 200 for entry in sim.request_log if entry.template == VISITORS)


async def test_a_server_refusing_every_camera_is_asked_once_an_hour(
    sim, exporter_factory, monkeypatch
) -> None:
    sim.faults.set_error_rate(VISITORS, 1.0, status=400)  # "not licensed", whatever is asked
    exporter = exporter_factory(make_settings(sim.main_url))
    ok, samples = await collect(exporter)
    assert ok and all_succeeded(samples)
    for server in sim.installation.servers:
        assert value(samples, "eocortex_endpoint_supported", server_id=server.id, endpoint=VISITORS) == 0
    assert series(samples, "eocortex_visitors_total") == {}
    # Within the hour: not asked at all.
    sim.request_log.clear()
    assert await exporter.collect_once()
    assert not [entry for entry in sim.request_log if entry.template == VISITORS]
    # Due again: one request per server tells it is still refused (no search for the culprit)...
    monkeypatch.setattr(support, "RECHECK_SECONDS", 0.0)
    assert await exporter.collect_once()
    asked = [entry.server_id for entry in sim.request_log if entry.template == VISITORS]
    assert sorted(asked) == sorted(server.id for server in sim.installation.servers)
    # ...and when the licence arrives, the counts do.
    sim.faults.set_error_rate(VISITORS, 0)
    ok, samples = await collect(exporter)
    assert ok
    assert series(samples, "eocortex_visitors_total")
    assert (
        value(
            samples,
            "eocortex_endpoint_supported",
            server_id=sim.installation.main_server.id,
            endpoint=VISITORS,
        )
        == 1
    )


# ---- reserve failover -------------------------------------------------------------------------------------


async def test_a_camera_served_by_its_reserve_is_reported_once_there(sim, exporter_factory, tmp_path) -> None:
    # Fail over the server whose id sorts first, so that its stale listing would win a sort by id.
    failed = min(server.id for server in sim.installation.servers)
    reserve = sim.installation.reserve_of(failed)
    moved = {camera.id for camera in sim.installation.cameras_on(failed)}
    settings = make_settings(sim.main_url, parquet={"root": str(tmp_path), "grace": "1m"})
    exporter = exporter_factory(settings)
    assert await exporter.collect_once()
    await sim.failover(failed)
    await exporter.collect_once()  # the failed server's sections are kept (stale); its reserve lists them
    samples = parse_samples(exporter.exposition.body)
    info = _labels(samples, "eocortex_camera_info")
    assert len(info) == len({labels["camera_id"] for labels in info}) == len(sim.installation.cameras)
    for labels in info:
        if labels["camera_id"] in moved:
            assert labels["server_id"] == reserve
    for camera_id in moved:
        if not sim.installation.camera(camera_id).disabled:
            states = series(samples, "eocortex_camera_status", camera_id=camera_id)
            current = sim.installation.camera_status(camera_id)["Status"]
            assert {dict(labels)["status"] for labels, v in states.items() if v == 1} == {current}
    # The camera-status snapshot has each camera once, from the server that served it.
    await exporter.write_parquet_once()
    import pandas as pd

    frame = pd.read_parquet(tmp_path / "camera_status")
    assert frame["camera_id"].is_unique
    assert set(frame.loc[frame["camera_id"].isin(moved), "server_id"]) == {reserve}
    await sim.failback(failed)
    ok, samples = await collect(exporter)
    assert ok
    for labels in _labels(samples, "eocortex_camera_info"):
        if labels["camera_id"] in moved:
            assert labels["server_id"] == failed


async def test_a_malformed_camera_status_costs_that_status_only(sim, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    sim.faults.set_body("api/channels/{id}/status", "[]")  # JSON, but not a status
    ok, samples = await collect(exporter)
    polled = [camera for camera in sim.installation.cameras if not camera.disabled]
    assert ok and all_succeeded(samples)
    assert series(samples, "eocortex_camera_status") == {}
    assert len(series(samples, "eocortex_camera_info")) == len(sim.installation.cameras)
    assert value(samples, "eocortex_api_parse_errors_total", endpoint="api/channels/{id}/status") == len(
        polled
    )
    # A body that is not JSON at all is a failure, as before: the last complete section stays.
    sim.faults.set_body("api/channels/{id}/status", None)
    assert await exporter.collect_once()
    sim.faults.set_malformed("api/channels/{id}/status")
    ok, samples = await collect(exporter)
    assert not ok
    assert value(samples, "eocortex_collector_success", collector="cameras") == 0
    assert len(series(samples, "eocortex_camera_status")) >= len(polled)
