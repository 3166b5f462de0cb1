"""The exporter process killed with SIGKILL while writing, many times: nothing half-written, lost or doubled.

The exporter runs as a separate process (`eocexporter run`) against the simulator on the system clock,
with one-minute report intervals and enough catch-up on its first start (20 minutes per kill, plus 20) that
it is writing files the whole time it lives. Each run is killed at a random moment; the last one is left to
finish. Each kill costs a process start and its first file (~3 s on the 2-core machine): `make test` kills
3 times, `make soak` 8 (PARQUET_CRASH_KILLS=8).
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import pyarrow.parquet as pq
from conftest import TIMEZONE
from helpers import parse_samples, series
from test_cli import free_port
from test_parquet import assert_exactly_once, duck

from eocexporter.simulator import SimulatorConfig, SystemClock, running_simulator

KILLS = int(os.environ.get("PARQUET_CRASH_KILLS", "3"))
CATCH_UP_MINUTES = 20 * KILLS + 20  # 180 for 8 kills


def write_config(path: Path, main_url: str, root: Path, port: int) -> None:
    path.write_text(
        f"""
listen: 127.0.0.1:{port}
log_level: warning
targets:
  - {{name: eoc, url: "{main_url}", timezone: {TIMEZONE}, request_timeout: 2s}}
collectors:
  cameras: {{interval: 2s}}
  object_counting: {{interval: 2s}}
  visitors: {{interval: 2s}}
  licenses: {{interval: 2s}}
parquet:
  root: {root}
  report_interval: 1m
  grace: 5s
  initial_catch_up: {CATCH_UP_MINUTES}m
  check_every: 1s
""",
        encoding="utf-8",
    )


async def start_exporter(config: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eocexporter",
        "run",
        "--config",
        str(config),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


def count_files(root: Path) -> int:
    return sum(1 for _ in root.glob("*/date=*/*.parquet"))


async def wait_for_more_files(root: Path, than: int, process) -> None:
    """Poll the directory (a separate process writes it; bounded: 400 looks, 40 s)."""
    for _ in range(400):
        if count_files(root) > than or process.returncode is not None:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the exporter wrote nothing new within 40 s")


async def wait_until_caught_up(port: int, process) -> None:
    """Poll /metrics (bounded: 600 looks, 120 s) until every report backlog is 0."""
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if process.returncode is not None:
                raise AssertionError("the exporter exited")
            try:
                async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                    samples = parse_samples(await response.read())
                backlog = series(samples, "eocortex_parquet_backlog_intervals")
                if len(backlog) == 4 and not any(backlog.values()):
                    return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    raise AssertionError("the backlog never reached 0 within 120 s")


async def test_sigkill_while_writing_loses_and_doubles_nothing(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    root = tmp_path / "parquet"
    config = tmp_path / "config.yml"
    simulation = SimulatorConfig(
        servers=2, cameras=30, seed=11, timezone=TIMEZONE, port=0, clock=SystemClock()
    )
    async with running_simulator(simulation) as sim:
        port = free_port()
        write_config(config, sim.main_url, root, port)
        for _ in range(KILLS):
            before = count_files(root)
            process = await start_exporter(config)
            await wait_for_more_files(root, before, process)
            # Somewhere in the middle of the next writes.
            await asyncio.sleep(rng.uniform(0, 0.3))
            if process.returncode is None:
                process.send_signal(signal.SIGKILL)
            await asyncio.wait_for(process.wait(), 30)
        # Every kill came while there was more to write: the catch-up (2 datasets x 2 servers a minute)
        # was not done yet.
        assert count_files(root) < 4 * CATCH_UP_MINUTES, "the kills came after the catch-up was written"
        process = await start_exporter(config)
        try:
            await wait_until_caught_up(port, process)
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
        assert process.returncode == 0

    # Every visible file is whole, and no temporary file is left (the last start removed the leftovers).
    for path in root.glob("*/date=*/*.parquet"):
        pq.read_table(path)
    assert not [p for p in root.rglob("*.tmp")]
    for dataset in ("object_counts", "visitor_reports"):
        assert_exactly_once(root, dataset)
        con = duck(root, dataset)
        for server_id, first, last, distinct in con.execute(
            f"SELECT server_id, min(interval_start), max(interval_start), count(DISTINCT interval_start) "
            f"FROM {dataset} GROUP BY server_id"
        ).fetchall():
            minutes = int((last - first) / timedelta(minutes=1)) + 1
            assert distinct == minutes, f"{dataset} {server_id}: a gap between {first} and {last}"
            assert minutes >= CATCH_UP_MINUTES
    assert os.path.isdir(root / "_checkpoints" / "eoc")
