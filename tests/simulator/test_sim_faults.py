"""Faults switched on and off while the simulator runs, through Python and the control endpoint."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from eocexporter.simulator import running_simulator

from .helpers import ROOT, fetch, fetch_text, make_config


def second_server(sim) -> str:
    return next(server.id for server in sim.installation.servers if not server.is_main)


async def elapsed(http, url) -> float:
    started = time.perf_counter()
    assert (await fetch(http, url))[0] == 200
    return time.perf_counter() - started


async def test_latency_global_per_endpoint_and_per_server(sim, http):
    other = second_server(sim)
    sim.faults.set_latency(0.3, endpoint="webapi/license")
    assert await elapsed(http, f"{sim.main_url}/webapi/license") >= 0.3
    assert await elapsed(http, f"{sim.main_url}/api/channels") < 0.3
    sim.faults.set_latency(0.3, server=other)
    assert await elapsed(http, f"{sim.server_urls[other]}/api/channels") >= 0.3
    sim.faults.set_latency(0.2)
    assert await elapsed(http, f"{sim.main_url}/api/channels") >= 0.2
    await sim.faults.clear()
    assert await elapsed(http, f"{sim.main_url}/webapi/license") < 0.3


async def test_capacity_queues_requests_past_the_servers_workers(sim, http):
    other = second_server(sim)
    url = f"{sim.server_urls[other]}/api/channels"
    sim.faults.set_capacity(2, server=other, seconds_per_request=0.1)
    started = time.perf_counter()
    answers = await asyncio.gather(*(fetch(http, url) for _ in range(6)))
    # Two workers, six requests: three rounds of 100 ms.
    assert time.perf_counter() - started >= 0.3
    assert [status for status, _ in answers] == [200] * 6
    assert sim.load.peak_in_flight(other) == 6 and sim.load.request_count(other) == 6
    # One request alone takes one round; the main server has no capacity set and answers at once.
    assert 0.1 <= await elapsed(http, url) < 0.2
    assert await elapsed(http, f"{sim.main_url}/api/channels") < 0.1
    sim.faults.set_capacity(0, server=other)
    assert await elapsed(http, url) < 0.1


async def test_load_meter_counts_per_server_and_resets(sim, http):
    other = second_server(sim)
    await asyncio.gather(*(fetch(http, f"{sim.server_urls[other]}/api/channels") for _ in range(3)))
    await fetch(http, f"{sim.main_url}/api/channels")
    assert (sim.load.request_count(other), sim.load.request_count(sim.installation.main_server.id)) == (3, 1)
    assert len(sim.load.arrivals(other)) == 3
    sim.load.reset()
    assert sim.load.request_count(other) == 0 and sim.load.peak_in_flight(other) == 0
    assert sim.load.arrivals(other) == [] and sim.load.peak_in_flight() == 0


async def test_control_endpoint_sets_capacity_and_resets_the_load(sim, http):
    other = second_server(sim)
    spec = {"capacity": {"global": 4, "servers": {other: {"requests": 1, "seconds_per_request": 0.02}}}}
    async with http.post(f"{sim.main_url}/_simulator/faults", json=spec) as response:
        assert response.status == 200
        state = await response.json()
    assert state["faults"]["capacity"] == {
        "global": {"requests": 4, "seconds_per_request": 0.01},
        "servers": {other: {"requests": 1, "seconds_per_request": 0.02}},
    }
    assert state["load"] == {}  # the control endpoint's own requests are not the server's load
    for bad in ({"capacity": 1.5}, {"capacity": {"servers": {"nope": 1}}}, {"capacity": {"workers": 2}}):
        async with http.post(f"{sim.main_url}/_simulator/faults", json=bad) as response:
            assert response.status == 400
    await fetch(http, f"{sim.server_urls[other]}/api/channels")
    async with http.post(f"{sim.main_url}/_simulator/load/reset") as response:
        assert response.status == 200
        assert (await response.json())["load"][other]["requests"] == 0


async def test_error_rate_one_always_fails_with_the_chosen_status(sim, http):
    sim.faults.set_error_rate("api/channels/{id}/status", 1.0, status=503)
    camera = sim.installation.cameras_on(sim.installation.main_server.id)[0]
    for _ in range(5):
        status, body = await fetch(http, f"{sim.main_url}/api/channels/{camera.id}/status")
        assert status == 503 and "ErrorMessage" in body
    assert (await fetch(http, f"{sim.main_url}/api/channels"))[0] == 200
    sim.faults.set_error_rate("api/channels/{id}/status", 0)
    assert (await fetch(http, f"{sim.main_url}/api/channels/{camera.id}/status"))[0] == 200


async def test_partial_error_rate_is_reproducible(http):
    outcomes = []
    for _ in range(2):
        async with running_simulator(make_config()) as sim:
            sim.faults.set_error_rate("webapi/license", 0.5)
            outcomes.append([(await fetch(http, f"{sim.main_url}/webapi/license"))[0] for _ in range(20)])
    assert outcomes[0] == outcomes[1]
    assert {200, 500} == set(outcomes[0])


async def test_conflict_burst_of_exactly_n(sim, http):
    sim.faults.conflict_burst(3, endpoint="configure/channels")
    url = f"{sim.main_url}/configure/channels"
    assert (await fetch(http, f"{sim.main_url}/configure/servers"))[0] == 200
    statuses = [(await fetch(http, url))[0] for _ in range(5)]
    assert statuses == [409, 409, 409, 200, 200]
    sim.faults.conflict_burst(2)
    assert [(await fetch(http, f"{sim.main_url}/webapi/license"))[0] for _ in range(3)] == [409, 409, 200]
    assert [r.status for r in sim.request_log if r.status == 409] == [409] * 5


async def test_conflict_body(sim, http):
    sim.faults.conflict_burst(1)
    status, body = await fetch(http, f"{sim.main_url}/api/channels")
    assert status == 409 and body["ErrorMessage"].startswith("Configuration modification detected")


async def test_malformed_json(sim, http):
    sim.faults.set_malformed("api/objects_counting/current_counters")
    async with http.get(f"{sim.main_url}/api/objects_counting/current_counters", headers=ROOT) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        text = await response.text()
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    sim.faults.set_malformed("api/objects_counting/current_counters", False)
    status, text = await fetch_text(http, f"{sim.main_url}/api/objects_counting/current_counters")
    assert status == 200 and json.loads(text)


@pytest.mark.parametrize("body", ["null", "{}", '"text"', "[1, 2]", '{"Id": "\\ud800"}'])
async def test_a_body_of_any_text_replaces_the_resource(sim, http, body):
    sim.faults.set_body("api/channels", body)
    status, text = await fetch_text(http, f"{sim.main_url}/api/channels")
    assert (status, text) == (200, body)
    async with http.post(
        f"{sim.main_url}/_simulator/faults", json={"bodies": {"api/channels": None}}
    ) as response:
        assert response.status == 200
        assert (await response.json())["faults"]["bodies"] == {}
    status, text = await fetch_text(http, f"{sim.main_url}/api/channels")
    assert status == 200 and isinstance(json.loads(text), list)


async def test_a_body_set_through_the_control_endpoint_is_served(sim, http):
    async with http.post(
        f"{sim.main_url}/_simulator/faults", json={"bodies": {"webapi/license": "[]"}}
    ) as response:
        assert response.status == 200
        assert (await response.json())["faults"]["bodies"] == {"webapi/license": 2}
    assert await fetch_text(http, f"{sim.main_url}/webapi/license") == (200, "[]")
    async with http.post(
        f"{sim.main_url}/_simulator/faults", json={"bodies": {"webapi/license": 3}}
    ) as response:
        assert response.status == 400


async def test_hanging_server_never_answers_until_lifted(sim, http):
    other = second_server(sim)
    await sim.faults.server_down(other, "hang")
    with pytest.raises(asyncio.TimeoutError):
        await fetch(http, f"{sim.server_urls[other]}/api/channels", timeout=aiohttp.ClientTimeout(total=0.3))
    assert (await fetch(http, f"{sim.main_url}/api/channels"))[0] == 200
    await sim.faults.server_up(other)
    assert (await fetch(http, f"{sim.server_urls[other]}/api/channels"))[0] == 200


async def test_refusing_server_closes_its_listener_and_reopens_on_the_same_port(sim, http):
    other = second_server(sim)
    url = f"{sim.server_urls[other]}/api/channels"
    assert (await fetch(http, url))[0] == 200  # leaves a keep-alive connection in the pool
    await sim.faults.server_down(other, "refuse")
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(http, url)
    with pytest.raises(aiohttp.ClientConnectorError):
        await fetch(http, url)
    await sim.faults.server_up(other)
    assert sim.server_urls[other] in url
    assert (await fetch(http, url))[0] == 200


async def test_control_endpoint_sets_and_reports_faults(sim, http):
    other = second_server(sim)
    spec = {
        "latency": {"global": 0, "endpoints": {"webapi/license": 0.01}, "servers": {other: 0.02}},
        "error_rates": {"api/channels/{id}/status": {"rate": 1, "status": 502}},
        "conflicts": {"configure/servers": 2, "*": 1},
        "malformed": ["api/faceconfig"],
        "down": {other: "hang"},
    }
    async with http.post(f"{sim.main_url}/_simulator/faults", json=spec) as response:
        assert response.status == 200
        state = await response.json()
    assert state["faults"] == {
        "latency": {"global": 0.0, "endpoints": {"webapi/license": 0.01}, "servers": {other: 0.02}},
        "capacity": {"global": None, "servers": {}},
        "error_rates": {"api/channels/{id}/status": {"rate": 1.0, "status": 502}},
        "conflicts": {"configure/servers": 2, "*": 1},
        "malformed": ["api/faceconfig"],
        "bodies": {},
        "down": {other: "hang"},
        "failover": [],
    }
    async with http.post(
        f"{sim.main_url}/_simulator/faults", json={"clear": True, "down": {other: None}}
    ) as response:
        assert response.status == 200
    status, state = await fetch(http, f"{sim.main_url}/_simulator/state", headers={})
    assert status == 200 and state["faults"]["down"] == {} and state["faults"]["conflicts"] == {}
    assert (await fetch(http, f"{sim.server_urls[other]}/api/channels"))[0] == 200


async def test_control_endpoint_rejects_bad_specs_without_changing_anything(sim, http):
    for spec in (
        {"error_rates": {"api/nothing": 1}},
        {"conflicts": {"configure/servers": 2}, "error_rates": {"webapi/license": 2}},
        {"down": {"no-such-server": "hang"}},
        {"down": {second_server(sim): "sleep"}},
        {"bogus": 1},
    ):
        async with http.post(f"{sim.main_url}/_simulator/faults", json=spec) as response:
            assert response.status == 400
            assert "ErrorMessage" in await response.json()
    assert sim.faults.state()["conflicts"] == {}


async def test_control_endpoint_changes_the_model_and_clock(sim, http):
    camera = sim.installation.cameras_on(sim.installation.main_server.id)[0]
    base = f"{sim.main_url}/_simulator"
    async with http.post(
        f"{base}/model", json={"action": "force_status", "camera_id": camera.id, "status": "ErrorAlt"}
    ):
        pass
    assert sim.installation.camera_status(camera.id)["Status"] == "ErrorAlt"
    async with http.post(f"{base}/model", json={"action": "add_camera", "name": "Added"}) as response:
        added = (await response.json())["camera_id"]
    assert sim.installation.camera(added).name == "Added"
    async with http.post(f"{base}/clock", json={"advance": 60}) as response:
        assert (await response.json())["clock"] == "2026-11-25T12:01:00+00:00"
    async with http.post(f"{base}/model", json={"action": "explode"}) as response:
        assert response.status == 400


async def test_request_log_tells_what_was_answered(sim, http):
    await fetch(http, f"{sim.main_url}/api/channels", headers={})
    await fetch(http, f"{sim.main_url}/api/nothing")
    await fetch(http, f"{sim.main_url}/api/channels")
    main = sim.installation.main_server.id
    assert list(sim.request_log) == [
        (main, "GET", "api/channels", 401, ()),
        (main, "GET", None, 404, ()),
        (main, "GET", "api/channels", 200, ()),
    ]
