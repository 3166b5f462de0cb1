"""The real-world profile: the reference's allowances all switched on at once."""

from __future__ import annotations

import argparse
import re

import pytest

from eocexporter.simulator import SimulatorConfig, Variants, running_simulator
from eocexporter.simulator.cli import _config_from, add_simulate_arguments, run_simulate

from .helpers import fetch, make_config

VISITORS = {"starttimeutc": "24.11.2026", "endtimeutc": "25.11.2026 12:00:00"}
REAL_WORLD = {
    "listed_addresses": "lan",
    "nulls": True,
    "unknown_values": True,
    "time_limit_style": "dotnet_text",
    "empty_object_bodies": True,
}


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="eocexporter simulate")
    add_simulate_arguments(parser)
    return parser.parse_args(argv)


async def test_reference_profile_is_the_default(sim, http):
    _, state = await fetch(http, f"{sim.main_url}/_simulator/state", headers={})
    assert state["profile"] == "reference"
    assert not any(server["legacy"] or server["failed_over"] for server in state["servers"])
    assert sim.installation.variants == Variants() and sim.installation.visitor_refused == set()


async def test_real_world_switches_everything_on_but_failover(http):
    async with running_simulator(make_config(servers=3, cameras=50, profile="real-world")) as sim:
        inst = sim.installation
        _, state = await fetch(http, f"{sim.main_url}/_simulator/state", headers={})
        assert state["profile"] == "real-world"
        assert {name: state["variants"][name] for name in REAL_WORLD} == REAL_WORLD
        assert [server["legacy"] for server in state["servers"]] == [False, False, True]
        assert state["faults"]["failover"] == [] and state["faults"]["down"] == {}
        _, servers = await fetch(http, f"{sim.main_url}/configure/servers")
        assert servers[0]["Hostname"] == "eocortex-main.lan"
        last = inst.servers[-1].id
        assert (await fetch(http, f"{sim.server_urls[last]}/webapi/license"))[0] == 404
        status, licence = await fetch(http, f"{sim.main_url}/webapi/license")
        assert status == 200 and licence["IsTimeLimited"] is None
        # One refused camera per server: its third enabled visitor camera (its last, with fewer).
        refused = set()
        for server in inst.servers:
            visitors = inst.visitor_cameras(server.id)
            refused.add(visitors[min(2, len(visitors) - 1)].id)
        assert inst.visitor_refused == refused
        main = inst.main_server.id
        [camera] = [c for c in inst.visitor_cameras(main) if c.id in refused]
        status, body = await fetch(
            http, f"{sim.main_url}/api/unique_visitor/report", params={**VISITORS, "channel": camera.id}
        )
        assert status == 400 and body["ErrorMessage"] == f"Module is not licensed for channel {camera.id}"
        _, body = await fetch(http, f"{sim.main_url}/api/unique_visitor/report", params=VISITORS)
        assert camera.id not in {row["ChannelId"] for row in body["Report"]}


async def test_a_lone_real_world_server_is_not_legacy(http):
    async with running_simulator(make_config(servers=1, profile="real-world")) as sim:
        assert not sim.installation.main_server.legacy
        assert (await fetch(http, f"{sim.main_url}/webapi/license"))[0] == 200


async def test_explicit_variants_win_over_the_profile(http):
    config = make_config(profile="real-world", variants=Variants(time_limit_style="iso_offset"))
    async with running_simulator(config) as sim:
        assert sim.installation.variants.time_limit_style == "iso_offset"
        assert sim.installation.variants.nulls is True


def test_an_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="profile"):
        SimulatorConfig(profile="realistic")
    with pytest.raises(ValueError, match="profile"):
        make_config(profile="Real-World")


def test_the_profile_flag_rejects_unknown_names(capsys):
    assert run_simulate(parse("--profile", "harsh")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and re.match(r"eocexporter simulate: error: profile must be one of", err)


async def test_the_profile_flag_and_a_variant_that_names_a_default(http):
    config, setup = _config_from(
        parse(
            "--listen", "127.0.0.1:0", "--servers", "2", "--profile", "real-world", "--variant", "nulls=false"
        )
    )
    assert config.profile == "real-world"
    async with running_simulator(config) as sim:
        await setup(sim)
        variants = sim.installation.variants
        assert variants.nulls is False and variants.listed_addresses == "lan"
        _, state = await fetch(http, f"{sim.main_url}/_simulator/state", headers={})
        assert state["profile"] == "real-world" and state["variants"]["nulls"] is False
