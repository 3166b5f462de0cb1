"""The commands as a user runs them: separate processes, real ports on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from conftest import sim_config
from helpers import parse_samples, sample_names, series, value

from eocexporter.exposition import health, licenses
from eocexporter.registry import catalogue
from eocexporter.simulator import running_simulator


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def run_cli(*args: str, timeout: float = 60) -> tuple[int, bytes, bytes]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eocexporter",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout)
    return process.returncode, stdout, stderr


@pytest.mark.parametrize("profile", ["reference", "real-world"])
async def test_once_prints_one_exposition(clock, tmp_path: Path, profile: str) -> None:
    async with running_simulator(sim_config(clock, profile=profile)) as sim:
        config = tmp_path / "config.yml"
        config.write_text(
            f"targets:\n- {{name: shop, url: '{sim.main_url}', username: monitor, password: 's3cret-Пароль',"
            " timezone: Europe/Moscow}\n",
            encoding="utf-8",
        )
        code, stdout, stderr = await run_cli("once", "--config", str(config))
    assert code == 0, stderr.decode()
    samples = parse_samples(stdout)
    assert value(samples, "eocortex_up", target="shop") == 1
    assert len(series(samples, "eocortex_camera_info")) == 50
    assert "s3cret" not in stderr.decode()


async def test_once_exits_1_when_the_target_is_down(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text(
        f"targets:\n- {{name: gone, url: 'http://127.0.0.1:{free_port()}', request_timeout: 1s,"
        " retries: 0}\n"
    )
    code, stdout, stderr = await run_cli("once", "--config", str(config))
    assert code == 1
    assert value(parse_samples(stdout), "eocortex_up", target="gone") == 0
    assert "discovery failed: configure/servers: cannot connect" in stderr.decode()


@pytest.mark.parametrize("profile", ["reference", "real-world"])
async def test_demo_serves_every_family_it_can(profile: str, tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eocexporter",
        "demo",
        "--listen",
        f"127.0.0.1:{port}",
        "--profile",
        profile,
        "--parquet-root",
        str(tmp_path / "parquet"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ},
    )
    try:
        body = await _first_ready_metrics(port, process)
    finally:
        process.terminate()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()
    samples = parse_samples(body)
    names = {name for name, _ in samples}
    # What counts problems appears once there is one: with the real-world profile, an unknown zone type
    # and a refused camera (its nulls are not parse errors). There, the main server's IsTimeLimited is
    # null and its licence does not limit clients, and the other server has no webapi: no expiry or
    # client limit to report. The demo writes Parquet: its figures are there from the first pass.
    absent = {health.API_PARSE_ERRORS, health.RENDER_FAILURES}
    if profile == "reference":
        absent |= {health.API_UNKNOWN_VALUES, health.ENDPOINT_REFUSED_CAMERAS}
    else:
        absent |= {licenses.LICENSE_EXPIRY, licenses.LICENSE_MAX_CLIENTS}
    expected = {name for family in catalogue() if family not in absent for name in sample_names(family)}
    assert expected <= names, expected - names
    assert len(series(samples, "eocortex_camera_info")) == 50
    assert len(series(samples, "eocortex_server_info")) == 2


async def _first_ready_metrics(port: int, process) -> bytes:
    """Poll /ready, then /metrics (bounded: 240 tries over at most 60 s) until the demo has collected once
    and its Parquet sink has made its first pass (which /ready does not wait for)."""
    async with aiohttp.ClientSession() as http, asyncio.timeout(60):
        for _ in range(240):
            if process.returncode is not None:
                raise AssertionError("demo exited early")
            try:
                async with http.get(f"http://127.0.0.1:{port}/ready") as response:
                    if response.status == 200:
                        async with http.get(f"http://127.0.0.1:{port}/metrics") as metrics:
                            body = await metrics.read()
                        if b"eocortex_parquet_files_written_total{" in body:
                            return body
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.25)  # polling a separate process: there is nothing to wait on
    raise AssertionError("demo never became ready with its Parquet figures")
