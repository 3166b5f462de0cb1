"""What configure/servers lists as each server's address (variant `listed_addresses`)."""

from __future__ import annotations

import asyncio
import errno
import socket

import pytest

from eocexporter.simulator import Variants, running_simulator

from .helpers import fetch, make_config


def listed(servers: list[dict]) -> dict[str, tuple[str, int]]:
    return {server["Id"]: (server["Hostname"], server["Port"]) for server in servers}


async def test_actual_lists_where_each_server_listens(sim, http):
    _, servers = await fetch(http, f"{sim.main_url}/configure/servers")
    ports = {s.id: s.port for s in sim.installation.servers}
    assert listed(servers) == {server_id: ("127.0.0.1", port) for server_id, port in ports.items()}


async def test_lan_lists_the_main_server_at_a_lan_name_and_the_others_as_localhost(http):
    async with running_simulator(make_config(servers=3, variants=Variants(listed_addresses="lan"))) as sim:
        inst = sim.installation
        _, servers = await fetch(http, f"{sim.main_url}/configure/servers")
        expected = {
            s.id: ("eocortex-main.lan", 8080) if s.is_main else ("localhost", s.port) for s in inst.servers
        }
        assert listed(servers) == expected
        assert servers == [inst.server_info(s.id) for s in inst.servers]
        assert all(server["Hostname"] != "127.0.0.1" for server in servers)
        for server in inst.servers:
            _, detail = await fetch(http, f"{sim.main_url}/configure/servers/{server.id}")
            assert (detail["Hostname"], detail["Port"]) == expected[server.id]
            if not server.is_main:
                # The same server through another spelling of its address.
                status, channels = await fetch(http, f"http://localhost:{server.port}/api/channels")
                assert status == 200
                assert {c["Id"] for c in channels} == {c.id for c in inst.cameras_on(server.id)}


async def test_unreachable_lists_ports_that_refuse_connections(http):
    config = make_config(servers=3, variants=Variants(listed_addresses="unreachable"))
    async with running_simulator(config) as sim:
        inst = sim.installation
        _, servers = await fetch(http, f"{sim.main_url}/configure/servers")
        addresses = listed(servers)
        assert addresses[inst.main_server.id] == ("eocortex-main.lan", 8080)
        others = [s for s in inst.servers if not s.is_main]
        for server in others:
            host, port = addresses[server.id]
            assert host == "127.0.0.1" and port == server.unreachable_port
            assert port not in {s.port for s in inst.servers}
            for _ in range(2):  # refused every time, not just once
                with pytest.raises(ConnectionRefusedError):
                    await asyncio.wait_for(asyncio.open_connection(host, port), 5)
            # Held by the simulator: nothing else can take the port while it runs.
            with socket.socket() as intruder, pytest.raises(OSError) as taken:
                intruder.bind(("127.0.0.1", port))
            assert taken.value.errno == errno.EADDRINUSE
        reserved = [server.unreachable_port for server in others]
    for port in reserved:  # released on stop
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


async def test_addresses_switch_while_running(sim, http):
    other = next(s for s in sim.installation.servers if not s.is_main)
    url = f"{sim.main_url}/configure/servers"
    async with http.post(
        f"{sim.main_url}/_simulator/variants", json={"listed_addresses": "unreachable"}
    ) as response:
        assert response.status == 200
    assert listed((await fetch(http, url))[1])[other.id] == ("127.0.0.1", other.unreachable_port)
    sim.installation.set_variants(listed_addresses="actual")
    assert listed((await fetch(http, url))[1])[other.id] == ("127.0.0.1", other.port)
    async with http.post(f"{sim.main_url}/_simulator/variants", json={"listed_addresses": "wan"}) as response:
        assert response.status == 400


async def test_an_unlisted_server_leaves_configure_servers_and_still_answers(sim, http):
    other = next(server for server in sim.installation.servers if not server.is_main)
    async with http.post(
        f"{sim.main_url}/_simulator/model",
        json={"action": "set_listed", "server_id": other.id, "listed": False},
    ) as response:
        assert response.status == 200
        assert not next(s for s in (await response.json())["servers"] if s["id"] == other.id)["listed"]
    _, listed = await fetch(http, f"{sim.main_url}/configure/servers")
    assert [server["Id"] for server in listed] == [sim.installation.main_server.id]
    status, _ = await fetch(http, f"{sim.server_urls[other.id]}/api/channels")
    assert status == 200
    async with http.post(
        f"{sim.main_url}/_simulator/model",
        json={"action": "set_listed", "server_id": sim.installation.main_server.id, "listed": False},
    ) as response:
        assert response.status == 400
    sim.installation.set_listed(other.id)
    _, listed = await fetch(http, f"{sim.main_url}/configure/servers")
    assert {server["Id"] for server in listed} == {server.id for server in sim.installation.servers}
