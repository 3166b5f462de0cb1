"""A large answer that did not change (a server's camera list) is not decoded and parsed again."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import make_settings, sim_config
from helpers import parse_samples, series, value

from eocexporter.client import reading
from eocexporter.client.payloads import parse_channels
from eocexporter.simulator import running_simulator


async def test_an_unchanged_camera_list_is_decoded_once_and_its_problems_counted_each_time(
    clock, exporter_factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_simulator(sim_config(clock, servers=1, cameras=5)) as sim:
        server = sim.installation.main_server.id
        channels = sim.installation.channels(server)
        # An item without its Id: skipped, and a parse error, every time the list is read.
        sim.faults.set_body("api/channels", json.dumps([*channels, {"Name": "no id"}]))
        exporter = exporter_factory(make_settings(sim.main_url))
        decoded: list[str] = []
        read = reading._read  # decodes and parses a body (the one place that does)

        def counting_read(body: bytes, parse: Any, args: Any) -> Any:
            if parse is parse_channels:
                decoded.append("api/channels")
            return read(body, parse, args)

        monkeypatch.setattr(reading, "_read", counting_read)
        assert await exporter.collect_once()
        lists_read = value(
            parse_samples(exporter.exposition.body),
            "eocortex_api_requests_total",
            endpoint="api/channels",
            code="200",
        )
        errors = value(
            parse_samples(exporter.exposition.body),
            "eocortex_api_parse_errors_total",
            endpoint="api/channels",
        )
        # Discovery and the collectors read the list several times; it was decoded once per server.
        assert lists_read > 1
        assert decoded.count("api/channels") == 1
        assert errors == lists_read
        # The same answer again: still not decoded, its problem counted again with each reading.
        assert await exporter.collect_once()
        samples = parse_samples(exporter.exposition.body)
        read_now = value(samples, "eocortex_api_requests_total", endpoint="api/channels", code="200")
        assert decoded.count("api/channels") == 1
        assert value(samples, "eocortex_api_parse_errors_total", endpoint="api/channels") == read_now
        # A changed list is read anew: a camera renamed shows at once.
        renamed = [{**channels[0], "Name": "Renamed"}, *channels[1:]]
        sim.faults.set_body("api/channels", json.dumps(renamed))
        assert await exporter.collect_once()
        samples = parse_samples(exporter.exposition.body)
        assert decoded.count("api/channels") == 2
        [labels] = series(samples, "eocortex_camera_info", camera_id=channels[0]["Id"])
        assert dict(labels)["camera"] == "Renamed"
        assert len(series(samples, "eocortex_camera_info")) == 5
