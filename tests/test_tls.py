"""TLS towards Eocortex: verified by default, against a CA bundle if given, or explicitly not at all."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path

import pytest
import trustme
from conftest import sim_config
from helpers import parse_samples, value

from eocexporter.config import load_settings
from eocexporter.exporter import Exporter
from eocexporter.simulator import running_simulator


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
async def tls_sim(clock, authority):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    async with running_simulator(sim_config(clock, ssl_context=context)) as sim:
        yield sim


async def collect(url: str, clock, **tls) -> tuple[bool, Exporter]:
    settings = load_settings(
        None,
        targets=[
            {
                "name": "eoc",
                "url": url,
                "timezone": "Europe/Moscow",
                "retries": 0,
                "request_timeout": 2,
                "tls": tls,
            }
        ],
    )
    exporter = Exporter(settings, now=clock.now)
    try:
        return await exporter.collect_once(), exporter
    finally:
        await exporter.stop()


async def test_an_unknown_certificate_is_refused_by_default(tls_sim, clock, caplog) -> None:
    caplog.set_level(logging.WARNING)
    assert tls_sim.main_url.startswith("https://")
    ok, exporter = await collect(tls_sim.main_url, clock)
    assert not ok
    assert value(parse_samples(exporter.exposition.body), "eocortex_up") == 0
    assert "TLS error: certificate verify failed" in exporter.runtimes[0].last_error
    assert (
        value(parse_samples(exporter.exposition.body), "eocortex_api_requests_total", code="tls_error") == 1
    )


async def test_a_ca_bundle_makes_the_certificate_trusted(tls_sim, clock, authority, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    ok, exporter = await collect(tls_sim.main_url, clock, ca_file=str(bundle))
    assert ok
    samples = parse_samples(exporter.exposition.body)
    assert value(samples, "eocortex_up") == 1
    # Every server was reached over HTTPS: discovery kept the target's scheme.
    for server in tls_sim.installation.servers:
        assert value(samples, "eocortex_server_up", server_id=server.id) == 1


async def test_verification_can_be_switched_off_explicitly(tls_sim, clock) -> None:
    ok, exporter = await collect(tls_sim.main_url, clock, insecure_skip_verify=True)
    assert ok
    assert value(parse_samples(exporter.exposition.body), "eocortex_up") == 1
