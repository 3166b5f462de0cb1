"""Where each server is reached: configure/servers' addresses, overrides, and odd addresses."""

from __future__ import annotations

import hashlib
import logging
import socket

from conftest import make_settings
from helpers import parse_samples, series, value


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_server_address_override_by_id_is_used(sim, exporter_factory) -> None:
    other = next(server for server in sim.installation.servers if not server.is_main)
    # Pointing the other server somewhere closed proves the override is what the exporter dials.
    overrides = {other.id: f"http://127.0.0.1:{closed_port()}"}
    exporter = exporter_factory(make_settings(sim.main_url, target={"server_addresses": overrides}))
    assert not await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    assert value(samples, "eocortex_server_up", server_id=other.id) == 0
    assert not [e for e in sim.request_log if e.server_id == other.id]


async def test_server_address_override_by_reported_host_and_port(sim, exporter_factory) -> None:
    other = next(server for server in sim.installation.servers if not server.is_main)
    overrides = {f"127.0.0.1:{other.port}": f"http://localhost:{other.port}"}
    exporter = exporter_factory(make_settings(sim.main_url, target={"server_addresses": overrides}))
    assert await exporter.collect_once()
    assert exporter.runtimes[0].urls[other.id] == f"http://localhost:{other.port}"
    samples = parse_samples(exporter.exposition.body)
    assert series(samples, "eocortex_camera_info", server_id=other.id)


async def test_main_server_is_recognised_and_polled_at_the_target_url(sim, exporter_factory) -> None:
    main = next(server for server in sim.installation.servers if server.is_main)
    url = sim.main_url.replace("127.0.0.1", "localhost")
    # Reached by another name than configure/servers reports: an override of the main server keeps it one.
    exporter = exporter_factory(make_settings(url, target={"server_addresses": {main.id: url}}))
    assert await exporter.collect_once()
    runtime = exporter.runtimes[0]
    assert runtime.topology.main_server_id == main.id
    assert runtime.urls[main.id] == url
    assert value(parse_samples(exporter.exposition.body), "eocortex_server_main", server_id=main.id) == 1


async def test_query_authentication_keeps_the_password_hash_out_of_logs(
    sim, exporter_factory, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    other = next(server for server in sim.installation.servers if not server.is_main)
    await sim.faults.server_down(other.id, mode="refuse")
    sim.faults.set_error_rate("webapi/license", 1.0, status=500)
    exporter = exporter_factory(
        make_settings(
            sim.main_url, target={"username": "monitor", "password": "s3cret-Пароль", "auth": "query"}
        )
    )
    assert not await exporter.collect_once()
    digest = hashlib.md5("s3cret-Пароль".encode()).hexdigest()
    assert "cannot connect" in caplog.text and "HTTP 500" in caplog.text
    for secret in (digest, "s3cret", "password="):
        assert secret not in caplog.text
        assert secret not in exporter.exposition.body.decode()
        assert secret not in (exporter.runtimes[0].last_error or "")
