"""Large answers are decoded and parsed in a worker thread (eocexporter.client.reading.read_body), small
ones on the event loop, and either way every problem is counted and reported the same."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest
from conftest import make_settings
from helpers import parse_samples, series, value

from eocexporter.client import reading
from eocexporter.client.errors import ApiParseError, ApiShapeError
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import Parsed, PayloadError
from eocexporter.client.reading import OFF_LOOP_BYTES, read_body

ENDPOINT = "api/objects_counting/current_counters"
SMALL = json.dumps({"Zones": [1, 2, 3]}).encode()
# Padding inside a string, so the document is the same whatever its size.
LARGE = json.dumps({"Zones": [1, 2, 3], "Padding": "x" * OFF_LOOP_BYTES}).encode()
BODIES = pytest.mark.parametrize("body", [SMALL, LARGE], ids=["small", "large"])


def client() -> EocortexClient:
    return EocortexClient(make_settings("http://127.0.0.1:9").targets[0])


def recording(threads: list[int], outcome: Callable[[Any], Parsed[Any]]) -> Callable[..., Parsed[Any]]:
    def parse(document: Any, *args: Any) -> Parsed[Any]:
        threads.append(threading.get_ident())
        return outcome((document, args))

    return parse


def zones(read: tuple[Any, tuple[Any, ...]]) -> Parsed[Any]:
    document, args = read
    return Parsed((document["Zones"], args), problems=("zone 2: Count dropped", "zone 3: Type dropped"))


def unreadable(read: tuple[Any, tuple[Any, ...]]) -> Parsed[Any]:
    raise PayloadError("a list of zones, found an object")


async def test_a_large_answer_is_parsed_off_the_loop_and_a_small_one_on_it() -> None:
    threads: list[int] = []
    parse = recording(threads, zones)
    small = await read_body(client(), ENDPOINT, "s1", parse, SMALL, "arg")
    large = await read_body(client(), ENDPOINT, "s1", parse, LARGE, "arg")
    assert small == large == ([1, 2, 3], ("arg",))
    assert threads[0] == threading.get_ident()
    assert threads[1] != threading.get_ident()


@BODIES
async def test_problems_are_counted_and_the_cpu_recorded(body: bytes) -> None:
    reader = client()
    assert await read_body(reader, ENDPOINT, "s1", recording([], zones), body) == ([1, 2, 3], ())
    stats = reader.stats.snapshot()
    assert stats.parse_errors == {ENDPOINT: 2}
    assert stats.parse_seconds[ENDPOINT] > 0


@BODIES
async def test_a_body_that_is_not_json_is_a_parse_error(body: bytes) -> None:
    reader = client()
    broken = body[:-1]
    with pytest.raises(ApiParseError, match=f"response is not valid JSON \\({len(broken)} bytes\\)"):
        await read_body(reader, ENDPOINT, "s1", recording([], zones), broken)
    assert reader.stats.snapshot().parse_errors == {ENDPOINT: 1}


@BODIES
async def test_a_document_the_parser_cannot_read_is_a_shape_error_and_logged(
    body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    reader = client()
    with caplog.at_level(logging.WARNING), pytest.raises(ApiShapeError, match="a list of zones"):
        await read_body(reader, ENDPOINT, "s1", recording([], unreadable), body)
    assert reader.stats.snapshot().parse_errors == {ENDPOINT: 1}
    assert f"server s1: cannot parse {ENDPOINT}: a list of zones, found an object" in caplog.text


@BODIES
async def test_a_lone_surrogate_is_repaired_and_counted(body: bytes) -> None:
    reader = client()
    hostile = body.replace(b'"Zones"', b'"Name": "\\ud800", "Zones"', 1)
    documents: list[Any] = []

    def keep(read: tuple[Any, tuple[Any, ...]]) -> Parsed[Any]:
        documents.append(read[0])
        return Parsed(None)

    await read_body(reader, ENDPOINT, "s1", recording([], keep), hostile)
    assert documents[0]["Name"] == "\ufffd"
    assert reader.stats.snapshot().parse_errors == {ENDPOINT: 1}


async def test_the_exporter_reads_the_same_with_every_answer_off_the_loop(
    sim: Any, exporter_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every collector through the worker thread (the threshold at 0 bytes): the same series as on the loop,
    and a broken list still fails its run and is counted."""
    on_loop = exporter_factory(make_settings(sim.main_url))
    assert await on_loop.collect_once()
    monkeypatch.setattr(reading, "OFF_LOOP_BYTES", 0)
    read = reading._read
    loop_thread = threading.get_ident()
    parsers: set[str] = set()  # those that ran in another thread

    def recorded(body: bytes, parse: Any, args: Any) -> Any:
        if threading.get_ident() != loop_thread:
            parsers.add(parse.__name__)
        return read(body, parse, args)

    monkeypatch.setattr(reading, "_read", recorded)
    off_loop = exporter_factory(make_settings(sim.main_url))
    assert await off_loop.collect_once()
    assert {"parse_channels", "parse_counters", "parse_plugins", "parse_channel_list"} <= parsers
    before, after = parse_samples(on_loop.exposition.body), parse_samples(off_loop.exposition.body)
    for name in (
        "eocortex_camera_info",
        "eocortex_object_counting_line_crossings_total",
        "eocortex_camera_analytics_plugin_info",
        "eocortex_camera_server_binding",
    ):
        assert series(after, name) == series(before, name), name
        assert series(after, name), name
    sim.faults.set_body("api/channels", "{")
    assert not await off_loop.collect_once()
    samples = parse_samples(off_loop.exposition.body)
    assert value(samples, "eocortex_collector_success", collector="cameras") == 0
    assert value(samples, "eocortex_api_parse_errors_total", endpoint="api/channels") >= 1
