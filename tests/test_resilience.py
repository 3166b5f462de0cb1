"""Faults: retried when the reference says to, never fatal, contained to the collector they hit."""

from __future__ import annotations

import logging

import pytest
from conftest import make_settings
from helpers import parse_samples, series, value

STATUS = "api/channels/{id}/status"
OTHER_COLLECTORS = ("discovery", "object_counting", "visitors", "licenses")


def requests_to(sim, template: str) -> list[int]:
    return [entry.status for entry in sim.request_log if entry.template == template]


async def collect_once(sim, exporter_factory, **settings):
    exporter = exporter_factory(make_settings(sim.main_url, **settings))
    ok = await exporter.collect_once()
    return ok, exporter, parse_samples(exporter.exposition.body)


async def test_a_409_burst_is_retried_and_the_run_succeeds(sim, exporter_factory) -> None:
    # The reference: 409 = configuration changed during the request, "repeat request later" (L363-365).
    sim.faults.conflict_burst(2, endpoint="configure/servers")
    ok, _, samples = await collect_once(sim, exporter_factory)
    assert ok
    assert requests_to(sim, "configure/servers") == [409, 409, 200]
    assert value(samples, "eocortex_api_requests_total", endpoint="configure/servers", code="409") == 2
    assert value(samples, "eocortex_collector_success", collector="discovery") == 1


@pytest.mark.parametrize("status", [409, 500, 503])
async def test_persistent_retryable_errors_fail_only_their_collector(
    sim, exporter_factory, status: int
) -> None:
    sim.faults.set_error_rate(STATUS, 1.0, status=status)
    ok, _, samples = await collect_once(sim, exporter_factory)
    assert not ok
    assert value(samples, "eocortex_collector_success", collector="cameras") == 0
    for collector in OTHER_COLLECTORS:
        assert value(samples, "eocortex_collector_success", collector=collector) == 1
    # The first status request to fail was tried 1 + retries (2) times before its server's section gave
    # up; the requests still in flight then were cancelled.
    attempts = value(samples, "eocortex_api_requests_total", endpoint=STATUS, code=str(status))
    assert 3 <= attempts <= requests_to(sim, STATUS).count(status)
    assert series(samples, "eocortex_camera_status") == {}
    assert series(samples, "eocortex_license_channels_limit")


async def test_timeouts_are_retried_then_fail_the_collector(sim, exporter_factory) -> None:
    # request_timeout is 1 s in the tests; licences take 1.5 s to answer.
    sim.faults.set_latency(1.5, endpoint="webapi/license")
    ok, _, samples = await collect_once(sim, exporter_factory)
    assert not ok
    assert value(samples, "eocortex_collector_success", collector="licenses") == 0
    assert value(samples, "eocortex_api_requests_total", endpoint="webapi/license", code="timeout") == 2 * 3
    for collector in ("discovery", "cameras", "object_counting", "visitors"):
        assert value(samples, "eocortex_collector_success", collector=collector) == 1


@pytest.mark.parametrize(
    ("status", "template"),
    [(400, STATUS), (401, "webapi/license"), (403, "webapi/license"), (404, "api/channels")],
)
async def test_client_errors_are_never_retried(sim, exporter_factory, status: int, template: str) -> None:
    sim.faults.set_error_rate(template, 1.0, status=status)
    # One request at a time, so the first failure of a server ends its run before anything else is asked.
    ok, _, samples = await collect_once(sim, exporter_factory, target={"max_concurrency": 1})
    assert not ok
    servers = len(sim.installation.servers)
    # One request per server, never a second attempt (the visitors, archiving and archive_depth collectors
    # list cameras too).
    asked = 4 * servers if template == "api/channels" else servers
    assert requests_to(sim, template) == [status] * asked
    assert value(samples, "eocortex_api_requests_total", endpoint=template, code=str(status)) == asked
    if template == "api/channels":
        # 404 on the listing fails the run; no camera data is invented.
        assert value(samples, "eocortex_collector_success", collector="cameras") == 0
        assert series(samples, "eocortex_camera_info") == {}


async def test_malformed_json_is_counted_and_contained(sim, exporter_factory, caplog) -> None:
    caplog.set_level(logging.WARNING)
    sim.faults.set_malformed("webapi/license")
    ok, _, samples = await collect_once(sim, exporter_factory)
    assert not ok
    servers = len(sim.installation.servers)
    assert value(samples, "eocortex_api_parse_errors_total", endpoint="webapi/license") == servers
    assert value(samples, "eocortex_collector_success", collector="licenses") == 0
    assert value(samples, "eocortex_collector_success", collector="cameras") == 1
    assert "webapi/license: response is not valid JSON" in caplog.text


async def test_a_document_of_the_wrong_shape_is_a_parse_error(sim, exporter_factory, caplog) -> None:
    caplog.set_level(logging.WARNING)
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    before = series(parse_samples(exporter.exposition.body), "eocortex_license_channels_limit")
    # Valid JSON, but not what the endpoint returns: the run fails, the last good data is kept.
    sim.faults.set_body("webapi/license", "[1, 2]")
    assert not await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    servers = len(sim.installation.servers)
    assert value(samples, "eocortex_api_parse_errors_total", endpoint="webapi/license") == servers
    assert "cannot parse webapi/license: expected an object, got a list" in caplog.text
    # The last complete licence data stays published (recent), marked by success 0.
    assert value(samples, "eocortex_collector_success", collector="licenses") == 0
    assert series(samples, "eocortex_license_channels_limit") == before


async def test_a_field_of_the_wrong_type_costs_that_field_only(sim, exporter_factory, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    before = series(parse_samples(exporter.exposition.body), "eocortex_license_channels_limit")
    # A licence whose module object has a non-numeric count: that count has no series, the rest stays.
    sim.installation.set_licence_usage("FaceDetectorChannels", used="many")
    assert await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    servers = len(sim.installation.servers)
    assert value(samples, "eocortex_api_parse_errors_total", endpoint="webapi/license") == servers
    assert "webapi/license: FaceDetectorChannels.Used: expected a number, got text 'many'" in caplog.text
    assert value(samples, "eocortex_collector_success", collector="licenses") == 1
    assert series(samples, "eocortex_license_channels_used", module="face_detector") == {}
    assert series(samples, "eocortex_license_channels_limit") == before
    assert len(series(samples, "eocortex_license_channels_used")) > 0


async def test_a_server_that_stops_answering_is_down_and_the_other_keeps_its_data(
    sim, exporter_factory
) -> None:
    other = next(server for server in sim.installation.servers if not server.is_main)
    main = next(server for server in sim.installation.servers if server.is_main)
    await sim.faults.server_down(other.id, mode="refuse")
    ok, _, samples = await collect_once(sim, exporter_factory)
    assert not ok
    assert value(samples, "eocortex_up") == 1
    assert value(samples, "eocortex_server_up", server_id=main.id) == 1
    assert value(samples, "eocortex_server_up", server_id=other.id) == 0
    assert series(samples, "eocortex_camera_info", server_id=main.id)
    assert series(samples, "eocortex_camera_info", server_id=other.id) == {}
    # The cameras, visitors, archiving and archive_depth collectors each listed that server's cameras,
    # 1 + 2 retries each.
    assert (
        value(samples, "eocortex_api_requests_total", endpoint="api/channels", code="connection_error") == 12
    )


async def test_a_hanging_server_is_bounded_by_the_request_timeout(sim, exporter_factory) -> None:
    other = next(server for server in sim.installation.servers if not server.is_main)
    await sim.faults.server_down(other.id, mode="hang")
    exporter = exporter_factory(make_settings(sim.main_url, target={"retries": 0}))
    ok = await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    assert not ok
    assert value(samples, "eocortex_server_up", server_id=other.id) == 0
    duration = value(samples, "eocortex_collector_duration_seconds", collector="cameras")
    assert 1.0 <= duration < 3.0
    await sim.faults.server_up(other.id)
    assert await exporter.collect_once()


async def test_main_server_down_means_target_down(sim, exporter_factory) -> None:
    main = next(server for server in sim.installation.servers if server.is_main)
    await sim.faults.server_down(main.id, mode="refuse")
    ok, exporter, samples = await collect_once(sim, exporter_factory)
    assert not ok
    assert value(samples, "eocortex_up") == 0
    for collector in ("discovery", "cameras", "object_counting", "visitors", "licenses"):
        assert value(samples, "eocortex_collector_success", collector=collector) == 0
    assert "cannot connect" in exporter.runtimes[0].last_error
