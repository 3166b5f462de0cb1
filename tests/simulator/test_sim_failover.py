"""Reserve servers: every camera names one, and a failed-over server's cameras are served there."""

from __future__ import annotations

import aiohttp
import pytest

from eocexporter.simulator import running_simulator

from .helpers import fetch, make_config

ZERO = "00000000-0000-0000-0000-000000000000"
VISITORS = {"starttimeutc": "24.11.2026", "endtimeutc": "25.11.2026 12:00:00"}


def bindings(channel: dict) -> tuple[str, str]:
    settings = channel["ServerBindingsSettings"]
    return settings["OwnerServerId"], settings["ReservedServerId"]


async def test_reserve_is_the_next_server_round_the_ring(http):
    async with running_simulator(make_config(servers=3)) as sim:
        ids = [s.id for s in sim.installation.servers]
        reserve = {ids[i]: ids[(i + 1) % 3] for i in range(3)}
        _, everything = await fetch(http, f"{sim.main_url}/configure/channels")
        assert {bindings(c) for c in everything} == set(reserve.items())
        for server_id, url in sim.server_urls.items():
            _, channels = await fetch(http, f"{url}/api/channels")
            assert {bindings(c) for c in channels} == {(server_id, reserve[server_id])}
        camera = everything[0]
        _, detail = await fetch(http, f"{sim.main_url}/configure/channels/{camera['Id']}")
        assert bindings(detail) == bindings(camera)
        assert sim.installation.reserve_of(ids[2]) == ids[0]


async def test_a_lone_server_has_no_reserve(http):
    async with running_simulator(make_config(servers=1)) as sim:
        _, channels = await fetch(http, f"{sim.main_url}/api/channels")
        assert {c["ServerBindingsSettings"]["ReservedServerId"] for c in channels} == {ZERO}
        assert sim.installation.reserve_of(sim.installation.main_server.id) is None


async def test_failover_moves_the_cameras_to_the_reserve_and_failback_restores(sim, http):
    inst = sim.installation
    main, other = inst.servers[0].id, inst.servers[1].id
    own, moved = inst.cameras_on(main), inst.cameras_on(other)
    main_url, other_url = sim.server_urls[main], sim.server_urls[other]
    camera = next(c for c in moved if not c.disabled)
    counting = inst.counting_cameras(other)[0]
    visitor = inst.visitor_cameras(other)[0]
    assert (await fetch(http, f"{main_url}/api/channels/{camera.id}/status"))[0] == 404

    await sim.failover(other)
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(http, f"{other_url}/api/channels")
    status, channels = await fetch(http, f"{main_url}/api/channels")
    assert status == 200 and [c["Id"] for c in channels] == [c.id for c in inst.cameras if c in own + moved]
    assert {bindings(c) for c in channels if c["Id"] in {m.id for m in moved}} == {(other, main)}
    assert channels == inst.channels(main)
    status, body = await fetch(http, f"{main_url}/api/channels/{camera.id}/status")
    assert status == 200 and body == inst.camera_status(camera.id)
    _, counters = await fetch(http, f"{main_url}/api/objects_counting/current_counters")
    assert counting.id in {entry["Id"] for entry in counters}
    status, body = await fetch(
        http, f"{main_url}/api/objects_counting/current_counters", params={"channelId": counting.id}
    )
    assert status == 200 and body == inst.current_counters(counting.id)
    status, body = await fetch(
        http, f"{main_url}/api/unique_visitor/report", params={**VISITORS, "channel": visitor.id}
    )
    assert status == 200 and [row["ChannelId"] for row in body["Report"]] == [visitor.id]
    assert inst.serving_server(camera.id) == main and inst.failed_over == {other}
    assert sim.faults.state()["failover"] == [other] and sim.faults.down == {other: "refuse"}

    await sim.failback(other)
    _, channels = await fetch(http, f"{other_url}/api/channels")
    assert [c["Id"] for c in channels] == [c.id for c in moved]
    _, channels = await fetch(http, f"{main_url}/api/channels")
    assert [c["Id"] for c in channels] == [c.id for c in own]
    assert (await fetch(http, f"{main_url}/api/channels/{camera.id}/status"))[0] == 404
    assert (await fetch(http, f"{other_url}/api/channels/{camera.id}/status"))[0] == 200
    assert sim.faults.state()["failover"] == [] and sim.faults.down == {}


async def test_failover_through_the_control_endpoint(sim, http):
    other = sim.installation.servers[1].id
    faults = f"{sim.main_url}/_simulator/faults"
    async with http.post(faults, json={"failover": {other: "yes"}}) as response:
        assert response.status == 400
    async with http.post(faults, json={"failover": {other: True}}) as response:
        assert response.status == 200
        state = await response.json()
    assert state["faults"]["failover"] == [other] and state["faults"]["down"] == {other: "refuse"}
    assert {s["id"]: s["failed_over"] for s in state["servers"]} == {
        sim.installation.main_server.id: False,
        other: True,
    }
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(http, f"{sim.server_urls[other]}/api/channels")
    async with http.post(faults, json={"failover": {other: False}}) as response:
        assert (await response.json())["faults"]["failover"] == []
    assert (await fetch(http, f"{sim.server_urls[other]}/api/channels"))[0] == 200
    # `clear` fails back too.
    async with http.post(faults, json={"failover": {other: True}}):
        pass
    async with http.post(faults, json={"clear": True}) as response:
        assert (await response.json())["faults"]["failover"] == []
    assert [c["Id"] for c in (await fetch(http, f"{sim.server_urls[other]}/api/channels"))[1]] == [
        c.id for c in sim.installation.cameras_on(other)
    ]


async def test_the_main_server_fails_over_too(sim, http):
    inst = sim.installation
    main, other = inst.servers[0].id, inst.servers[1].id
    await sim.failover(main)
    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch(http, f"{sim.main_url}/_simulator/state", headers={})
    _, channels = await fetch(http, f"{sim.server_urls[other]}/api/channels")
    assert {c["Id"] for c in channels} == {c.id for c in inst.cameras}
    await sim.failback(main)
    assert (await fetch(http, f"{sim.main_url}/_simulator/state", headers={}))[0] == 200


async def test_failing_the_main_server_over_through_its_own_control_endpoint(sim, http):
    main = sim.installation.main_server.id
    # The control endpoint goes down with the server: the request gets no answer, the failover happens.
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.post(
            f"{sim.main_url}/_simulator/faults",
            json={"failover": {main: True}},
            timeout=aiohttp.ClientTimeout(total=5),
        ) as response:
            await response.read()
    assert sim.installation.failed_over == {main} and sim.faults.down == {main: "refuse"}
    await sim.failback(main)
    assert (await fetch(http, f"{sim.main_url}/_simulator/state", headers={}))[0] == 200
