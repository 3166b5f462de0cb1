"""Bodies that are valid JSON but hostile: lone surrogates, null or the wrong type where a list is expected.
None may freeze the exporter or empty an installation silently."""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess

import pandas as pd
from conftest import make_settings, sim_config
from helpers import parse_samples, promtool_path, series, value

from eocexporter.model import CamerasSection
from eocexporter.simulator import running_simulator


async def test_a_lone_surrogate_in_a_name_is_repaired_once_and_counted(
    clock, exporter_factory, tmp_path
) -> None:
    async with running_simulator(sim_config(clock, servers=1, cameras=5)) as sim:
        server = sim.installation.main_server.id
        channels = sim.installation.channels(server)
        channels[0] = {**channels[0], "Name": "Вход \ud800 1"}
        # ensure_ascii: the surrogate travels as the JSON escape \ud800, valid JSON that Python decodes
        # into a string no UTF-8 encoder accepts.
        sim.faults.set_body("api/channels", json.dumps(channels, ensure_ascii=True))
        exporter = exporter_factory(make_settings(sim.main_url, parquet={"root": str(tmp_path)}))
        assert await exporter.collect_once()
        samples = parse_samples(exporter.exposition.body)
        [labels] = series(samples, "eocortex_camera_info", camera_id=channels[0]["Id"])
        assert dict(labels)["camera"] == "Вход \ufffd 1"
        assert len(series(samples, "eocortex_camera_info")) == 5
        assert value(samples, "eocortex_api_parse_errors_total", endpoint="api/channels") >= 1
        assert not exporter.render_failures
        result = subprocess.run(
            [promtool_path(), "check", "metrics"],
            input=exporter.exposition.body,
            capture_output=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr.decode()
        # The Parquet sink writes it too.
        await exporter.write_parquet_once()
        frame = pd.read_parquet(tmp_path / "camera_status")
        assert "Вход \ufffd 1" in set(frame["camera"])


async def test_null_where_servers_are_expected_fails_discovery_and_keeps_the_installation(
    sim, exporter_factory
) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    cameras = len(series(parse_samples(exporter.exposition.body), "eocortex_camera_info"))
    sim.faults.set_body("configure/servers", "null")
    assert not await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    assert value(samples, "eocortex_collector_success", collector="discovery") == 0
    assert value(samples, "eocortex_api_parse_errors_total", endpoint="configure/servers") == 1
    assert value(samples, "eocortex_up") == 1  # reached and authenticated; its answer was unusable
    # Not "no servers": the installation as last discovered stays, and so do its cameras.
    assert len(series(samples, "eocortex_server_info")) == len(sim.installation.servers)
    assert len(series(samples, "eocortex_camera_info")) == cameras


async def test_null_where_cameras_are_expected_is_a_failed_run_not_an_empty_server(
    sim, exporter_factory
) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    before = series(parse_samples(exporter.exposition.body), "eocortex_camera_status")
    sim.faults.set_body("api/channels", "null")
    assert not await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    assert value(samples, "eocortex_collector_success", collector="cameras") == 0
    assert value(samples, "eocortex_api_parse_errors_total", endpoint="api/channels") >= len(
        sim.installation.servers
    )
    assert series(samples, "eocortex_camera_status") == before  # kept, marked stale by success 0


async def test_a_string_where_a_licence_is_expected_is_a_failed_run(sim, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    before = series(parse_samples(exporter.exposition.body), "eocortex_license_channels_limit")
    sim.faults.set_body("webapi/license", '"licensed"')
    assert not await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    assert value(samples, "eocortex_collector_success", collector="licenses") == 0
    assert series(samples, "eocortex_license_channels_limit") == before


async def test_a_part_that_cannot_be_rendered_is_left_out_counted_and_logged_once(
    sim, exporter_factory, caplog
) -> None:
    caplog.set_level(logging.ERROR)
    exporter = exporter_factory(make_settings(sim.main_url))
    assert await exporter.collect_once()
    # A section no parser would produce (a status that is None): rendering the cameras raises.
    runtime = exporter.runtimes[0]
    kept = runtime.sections[CamerasSection]
    server_id, section = next(iter(kept.items()))
    kept[server_id] = dataclasses.replace(
        section, section=dataclasses.replace(section.section, statuses=(None,))
    )
    for _ in range(3):
        await exporter.publish_now()
    samples = parse_samples(exporter.exposition.body)
    assert series(samples, "eocortex_camera_info") == {}
    assert series(samples, "eocortex_license_info")  # the rest is served, and fresh
    assert value(samples, "eocortex_exporter_render_failures_total", target="eoc", part="cameras") >= 2
    assert caplog.text.count("rendering cameras of target eoc failed") == 1
    # Repaired: the part is back, and the recovery is logged.
    kept[server_id] = section
    caplog.set_level(logging.INFO)
    await exporter.publish_now()
    assert series(parse_samples(exporter.exposition.body), "eocortex_camera_info")
    assert "rendering cameras of target eoc works again" in caplog.text
