"""The sharded alternative, measured per replica (``benchmarks/run.py --shards N``).

One simulator (``--servers S --cameras C``) and N exporter replicas with the defaults and
``--shard-index i --shard-count N``, started together as a StatefulSet's pods are, all on 127.0.0.1 with
the simulator. Each replica is measured as steady.py measures one exporter, over one window shared by all
of them (``steady.WINDOW`` seconds, polled every 5 s: periodic work in six whole intervals is six cycles'
worth whatever the phase):

- its servers and cameras, first runs until /ready, series and exposition sizes;
- its CPU per camera per 15 s (its own cameras; the slower collectors amortised as steady.py does), the
  simulator's CPU per request answered to all replicas as the machine's speed gauge, and the CPU scaled
  by it to the quiet speed;
- its camera cycles in the window, its requests per 15 s;
- ``steady.SCRAPERS`` wrk scrapers, plain then gzip, on each replica in turn while all keep collecting;
- its peak RSS.

On this machine the replicas share two cores with the simulator and with each other, which a deployment
of replicas on their own nodes does not: the per-replica CPU is what a replica costs, its cycle and
scrape latencies are upper bounds.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import processes
import steady
from steady import SteadyResult

POLL = 5.0  # seconds between the window's polls of every replica


async def measure_shards(cameras: int, servers: int, shards: int, workdir: Path) -> list[SteadyResult]:
    def config(exporter_port: int, sim_port: int) -> str:
        return steady.profile_config("defaults", exporter_port, sim_port, 0.0)

    replicas = [["--shard-index", str(index), "--shard-count", str(shards)] for index in range(shards)]
    results = [SteadyResult("defaults", cameras, servers) for _ in range(shards)]
    async with processes.simulator_and_exporters(
        cameras, servers, config, workdir, replicas=replicas
    ) as running:
        urls = [f"{replica.base}/metrics" for replica in running]
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(auto_decompress=False, timeout=timeout) as http:
            for result, replica, url in zip(results, running, urls, strict=True):
                result.ready_seconds = replica.ready_seconds
                result.first_runs = steady.self_metrics(await steady.fetch(http, url))
            await _window(http, running, urls, results)
            for result, url in zip(results, urls, strict=True):
                await _exposition(http, url, result)
            for result, url in zip(results, urls, strict=True):
                for kind in ("plain", "gzip"):
                    result.wrk_scrapes[kind] = await steady.wrk_scrapers(
                        workdir, url, kind, steady.SCRAPE_SECONDS
                    )
        for result, replica in zip(results, running, strict=True):
            result.rss_mb = steady.peak_rss_mb(replica.exporter.pid)
    return results


async def _window(
    http: aiohttp.ClientSession,
    running: list[processes.Running],
    urls: list[str],
    results: list[SteadyResult],
) -> None:
    """Every replica's CPU, counters and camera cycles over one shared window."""

    async def poll() -> list[steady.SelfMetrics]:
        return [steady.self_metrics(await steady.fetch(http, url)) for url in urls]

    pids = [replica.exporter.pid for replica in running]
    simulator = running[0].simulator.pid
    starts = await poll()
    cpu0 = [steady.cpu_times(pid) for pid in pids]
    simulator0 = sum(steady.cpu_times(simulator))
    t0 = time.monotonic()
    samples: list[list[tuple[float, float]]] = [[(t0, sum(cpu))] for cpu in cpu0]
    seen: list[dict[float, float]] = [{} for _ in pids]
    ends = starts
    for _ in range(int(steady.WINDOW / POLL) + 1):  # bounded; ends at the window's length
        remaining = steady.WINDOW - (time.monotonic() - t0)
        if remaining <= 0:
            break
        await asyncio.sleep(min(POLL, remaining))
        ends = await poll()
        now = time.monotonic()
        for index, (metrics, pid) in enumerate(zip(ends, pids, strict=True)):
            seen[index][metrics.last_success.get("cameras", 0.0)] = metrics.durations.get("cameras", 0.0)
            samples[index].append((now, sum(steady.cpu_times(pid))))
    window_seconds = time.monotonic() - t0
    simulator_cpu = sum(steady.cpu_times(simulator)) - simulator0
    for index, result in enumerate(results):
        user1, system1 = steady.cpu_times(pids[index])
        result.window_seconds = window_seconds
        result.cpu_user, result.cpu_system = user1 - cpu0[index][0], system1 - cpu0[index][1]
        result.window_cpu = result.cpu_user + result.cpu_system
        result.cpu_per_15s_buckets = steady.per_15s_buckets(samples[index])
        steady.window_counts(result, starts[index], ends[index])
        # The camera cycles that ended in the window.
        started = starts[index].last_success.get("cameras", 0.0)
        result.camera_cycles = [duration for stamp, duration in seen[index].items() if stamp > started]
    # The simulator answered every replica: its CPU per request is over all of them, and each replica's
    # share of it is its share of the requests (so each reports the same gauge).
    everything = sum(sum(result.window_requests.values()) for result in results) or 1.0
    for result in results:
        result.simulator_cpu = simulator_cpu * sum(result.window_requests.values()) / everything
        result.amortised_cpu_per_15s = steady.amortised_per_15s(result.first_runs, result)


async def _exposition(http: aiohttp.ClientSession, url: str, result: SteadyResult) -> None:
    """The replica's share (servers, cameras) and the size of what it exposes."""
    text = await steady.fetch(http, url, zipped=False)
    async with http.get(url, headers={"Accept-Encoding": "gzip"}) as response:
        result.size_gzip = len(await response.read())
    lines = text.split(b"\n")
    result.size_plain = len(text)
    result.series = sum(1 for line in lines if line and not line.startswith(b"#"))
    result.servers = sum(1 for line in lines if line.startswith(b"eocortex_server_up{"))
    result.cameras = sum(1 for line in lines if line.startswith(b"eocortex_camera_info{"))
    result.durations = steady.self_metrics(text).durations


def shards_report(results: list[SteadyResult]) -> str:
    """One column per replica, and their sum where a sum means something."""
    count = len(results)
    lines = [
        "| figure | " + " | ".join(f"replica {index} of {count}" for index in range(count)) + " | all |",
        "|---|" + "---|" * (count + 1),
    ]

    def row(label: str, values: list[str], total: str = "") -> None:
        lines.append(f"| {label} | " + " | ".join(values) + f" | {total} |")

    row(
        "servers / cameras polled",
        [f"{r.servers} / {r.cameras:,}" for r in results],
        f"{sum(r.servers for r in results)} / {sum(r.cameras for r in results):,}",
    )
    row("first runs until /ready", [f"{r.ready_seconds:.0f} s" for r in results])
    row(
        "series / exposition plain / gzip",
        [steady.sizes_text(r) for r in results],
        f"{sum(r.series for r in results):,} / {sum(r.size_plain for r in results) / 2**20:.1f} MiB",
    )
    row(
        "**exporter CPU per camera per 15 s** (all collectors amortised)",
        [f"**{r.cpu_us_per_camera:.0f} µs**" if r.cameras else "-" for r in results],
    )
    row(
        f"… scaled to the quiet speed ({steady.QUIET_SIMULATOR_US_PER_REQUEST:.0f} µs per simulator request)",
        [f"{r.cpu_us_per_camera_at_quiet_speed:.0f} µs" if r.cameras else "-" for r in results],
    )
    row(
        "window CPU per 15 s",
        [f"{r.window_cpu / r.window_cycles:.2f} s" for r in results],
        f"{sum(r.window_cpu / r.window_cycles for r in results):.2f} s",
    )
    row(
        "simulator CPU per request answered (all replicas' requests)",
        [f"{r.simulator_us_per_request:.0f} µs" for r in results],
    )
    row(
        "requests per 15 s in the window",
        [f"{r.requests_per_15s:,.0f}" for r in results],
        f"{sum(r.requests_per_15s for r in results):,.0f}",
    )
    row("camera cycle, median (max) in the window", [steady.cycles_text(r) for r in results])
    for kind in ("plain", "gzip"):
        row(
            f"/metrics {kind}, {steady.SCRAPERS} wrk scrapers: p50 / p99 (scrapes, failed)",
            [steady.wrk_scrapes_text(r.wrk_scrapes.get(kind)) for r in results],
        )
    row(
        "peak RSS",
        [f"{r.rss_mb:.0f} MB" for r in results],
        f"{sum(r.rss_mb for r in results):.0f} MB",
    )
    return "\n".join(lines) + "\n"
