"""The simulate command's runner."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import time

import pytest

from eocexporter.simulator import running_simulator
from eocexporter.simulator.cli import _config_from, add_simulate_arguments, run_simulate, serve_forever

from .helpers import fetch, make_config


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="eocexporter simulate")
    add_simulate_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    "argv",
    [
        ("--listen", "nowhere"),
        ("--timezone", "Mars/Olympus"),
        ("--servers", "0"),
        ("--servers", "101"),
        ("--cameras", "100000000"),
        ("--error-rate", "api/nothing=1"),
        ("--error-rate", "webapi/license=2"),
        ("--variant", "status_ok=Okay"),
        ("--start-time", "tomorrow"),
        ("--capacity", "0"),
        ("--capacity", "many"),
        ("--capacity", "4:-1"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(argv, capsys):
    assert run_simulate(parse(*argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("eocexporter simulate: error:")


async def test_capacity_flag_sets_every_servers_capacity():
    config, setup = _config_from(parse("--listen", "127.0.0.1:0", "--servers", "2", "--capacity", "4:0.05"))
    async with running_simulator(config) as simulator:
        await setup(simulator)
        capacity = simulator.faults.state()["capacity"]
    assert capacity == {"global": {"requests": 4, "seconds_per_request": 0.05}, "servers": {}}


def test_unparseable_flag_exits_2():
    with pytest.raises(SystemExit) as exited:
        parse("--cameras", "many")
    assert exited.value.code == 2


async def test_serve_forever_announces_and_stops(http, capsys):
    stop = asyncio.Event()
    ready: asyncio.Future = asyncio.get_running_loop().create_future()

    async def setup(simulator):
        simulator.faults.set_error_rate("webapi/license", 1.0, 500)
        ready.set_result(simulator)

    task = asyncio.create_task(serve_forever(make_config(), setup=setup, stop=stop))
    simulator = await asyncio.wait_for(ready, 5)
    assert (await fetch(http, f"{simulator.main_url}/webapi/license"))[0] == 500
    stop.set()
    await asyncio.wait_for(task, 5)
    out = capsys.readouterr().out
    assert simulator.main_url in out and "login: root" in out
    # Logins only: the AD user's password is the word "password".
    assert "password" not in out


async def test_a_sigterm_during_the_largest_build_stops_it_within_seconds(tmp_path):
    """The largest installation allowed builds in seconds, and a SIGTERM while it builds ends the process
    cleanly right after (the build is not interruptible; the bound on cameras is what keeps it short)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eocexporter",
        "simulate",
        "--cameras",
        "100000",
        "--listen",
        "127.0.0.1:0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    # The command says when it starts building, with its signal handlers in place.
    line = await asyncio.wait_for(process.stderr.readline(), 30)
    assert line.startswith(b"building 100,000 camera(s)")
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)
    assert time.monotonic() - started < 15
    assert process.returncode == 0
