"""The benchmarks' processes: a simulator and an exporter on 127.0.0.1, started, waited for, stopped."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp


def free_port(span: int = 1) -> int:
    """A port with `span` free ports from it (the simulator's servers take consecutive ports)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + span < 65000 and all(_free(port + i) for i in range(span)):
            return port
    raise RuntimeError("no free port range")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


async def wait_http(url: str, attempts: int = 300) -> None:
    """Until ``url`` answers 200, at most ``attempts`` tries 0.2 s apart."""
    async with aiohttp.ClientSession() as http:
        for _ in range(attempts):
            try:
                async with http.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} never answered 200")


def start_simulator(cameras: int, port: int, *variants: str, servers: int = 1) -> subprocess.Popen[bytes]:
    """``eocexporter simulate``: ``servers`` servers (ports from ``port`` on) sharing ``cameras`` round robin,
    on 127.0.0.1; ``variants`` are ``NAME=VALUE`` readings of the reference (docs/simulator.md)."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "eocexporter", "simulate", "--listen", f"127.0.0.1:{port}"),
            *("--servers", str(servers), "--cameras", str(cameras), "--seed", "1"),
            *("--timezone", "Europe/Moscow"),
            *(argument for variant in variants for argument in ("--variant", variant)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(*processes: subprocess.Popen[bytes] | None) -> None:
    """Terminate the processes still running (a process already stopped is left as it is)."""
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(30)


@dataclass
class Running:
    """A simulator and an exporter scraping it, both up; the exporter has run every collector once."""

    sim_port: int
    exporter: subprocess.Popen[bytes]
    simulator: subprocess.Popen[bytes]
    base: str  # the exporter's http://127.0.0.1:PORT
    ready_seconds: float  # from the exporter's start until /ready


@asynccontextmanager
async def simulator_and_exporter(
    cameras: int,
    servers: int,
    config: Callable[[int, int], str],
    workdir: Path,
    *variants: str,
) -> AsyncIterator[Running]:
    """Start the simulator, then the exporter with ``config(exporter_port, sim_port)`` (YAML), and wait for
    /ready (every collector has run once), bounded by the size; both are stopped on leaving."""
    async with simulator_and_exporters(cameras, servers, config, workdir, *variants) as running:
        yield running[0]


@asynccontextmanager
async def simulator_and_exporters(
    cameras: int,
    servers: int,
    config: Callable[[int, int], str],
    workdir: Path,
    *variants: str,
    replicas: list[list[str]] | None = None,
) -> AsyncIterator[list[Running]]:
    """:func:`simulator_and_exporter` with one exporter per item of ``replicas`` (its extra command-line
    arguments, e.g. ``--shard-index``), all started before any is waited for, as replicas start."""
    sim_port = free_port(servers)
    simulator = start_simulator(cameras, sim_port, *variants, servers=servers)
    exporters: list[tuple[subprocess.Popen[bytes], str, float]] = []
    try:
        await wait_http(f"http://127.0.0.1:{sim_port}/_simulator/state")
        for arguments in replicas or [[]]:
            exporter_port = free_port()
            path = workdir / f"exporter-{exporter_port}.yml"
            path.write_text(config(exporter_port, sim_port))
            started = time.monotonic()
            process = subprocess.Popen(
                [sys.executable, "-m", "eocexporter", "run", "--config", str(path), *arguments],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            exporters.append((process, f"http://127.0.0.1:{exporter_port}", started))
            await wait_http(f"{exporters[-1][1]}/healthz")  # listening: the next free port is another

        async def ready(process: subprocess.Popen[bytes], base: str, started: float) -> Running:
            await wait_http(f"{base}/ready", attempts=int((120 + cameras / 50) / 0.2))
            return Running(sim_port, process, simulator, base, time.monotonic() - started)

        yield list(await asyncio.gather(*(ready(*exporter) for exporter in exporters)))
    finally:
        stop(*(process for process, _, _ in exporters), simulator)
