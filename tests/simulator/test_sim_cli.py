"""The simulate command's runner."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from eocexporter.simulator.cli import add_simulate_arguments, run_simulate, serve_forever

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
        ("--error-rate", "api/nothing=1"),
        ("--error-rate", "webapi/license=2"),
        ("--variant", "status_ok=Okay"),
        ("--start-time", "tomorrow"),
    ],
)
def test_bad_flags_give_one_line_and_exit_2(argv, capsys):
    assert run_simulate(parse(*argv)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("eocexporter simulate: error:")


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
