"""The exporter as users run it, measured in its steady state against the simulator (benchmarks/run.py).

One measurement = one simulator process (``--servers S --cameras N``, the cameras round robin over the
servers) and one exporter process (``eocexporter run``) with a configuration *profile*:

- ``defaults``: nothing but the target: every collector on, at its default interval (cameras and object
  counting every 15 s, visitors every 60 s, the rest every 5 to 60 minutes), default politeness;
- ``cameras-only``: discovery and the cameras collector alone (the case the first benchmarks measured);
- ``limited``: the defaults with ``politeness.server_requests_per_second`` set, to see a cycle under it.

Phases, each bounded in time:

1. **first runs**: from the start until /ready (every collector has run once). The self-metrics read at
   that moment give each infrequent collector's requests and parse CPU per run.
2. **quiet window** (``WINDOW`` seconds from a camera cycle's end, only this runner's light gzip polls):
   exporter CPU from /proc/<pid>/stat, split by the exporter's own counters into parsing
   (``eocortex_api_parse_cpu_seconds_total``), encoding and gzip (``eocortex_exporter_render_cpu_seconds_total``)
   and the rest (requests, the event loop, the snapshot); requests per endpoint; camera cycle durations;
   the exporter's CPU in each whole 15 s; the simulator's CPU per request, a gauge of the machine's speed.
   CPU per camera per 15 s = window CPU / (WINDOW / 15) / cameras, plus the collectors slower than the window
   amortised over their intervals (their requests at the window's cost per request, plus their parse CPU).
3. **scrapers**: ``SCRAPERS`` concurrent plain scrapers, then as many gzip ones, each scraping back to back
   with ``SCRAPE_PAUSE`` between its scrapes, while collections run; latency to the last byte. Twice:
   aiohttp clients in this process (whose own reading of 35 MiB on a shared core is part of what they
   measure), and, when wrk is installed, wrk's connections (C, as cheap per byte as Prometheus' Go
   client): what the exporter itself takes to serve.
4. **wrk beside the exporter**: wrk sends the cycle's status requests (every enabled camera's
   ``api/channels/{id}/status``, round robin) to the same simulator at the exporter's concurrency per
   server while the exporter keeps collecting; each camera cycle that ran meanwhile is compared with
   wrk's time for as many requests at the rate wrk had during that cycle (beside_wrk.py), and, as the
   first version did, at its rate over its whole run.
5. **peak RSS** (VmHWM) at the end; then, with the exporter stopped, a bare aiohttp loop's CPU per status
   request, and its one cycle of the same requests beside wrk, measured as in 4;
6. with wrk, **the floor of a plain scrape of that size**: the last plain exposition served by a minimal
   aiohttp server (static_server.py, the exporter's slices, nothing else running) to the same wrk scrapers.

Every loop is bounded in count and time; all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import bare_loop
import beside_wrk
import processes

from eocexporter.client import endpoints
from eocexporter.options import PolitenessConfig
from eocexporter.registry import COLLECTORS

WINDOW = 90.0  # seconds of the quiet window: six camera cycles, one and a half visitor cycles
SCRAPE_SECONDS = 20.0  # per kind (plain, gzip)
SCRAPERS = 10
# The simulator's CPU per status request answered when this machine ran at its quiet speed (117-127 µs in
# whole 15 s buckets, 2026-12-03): the reference its gauge scales CPU figures to.
QUIET_SIMULATOR_US_PER_REQUEST = 120.0
SCRAPE_PAUSE = 0.5  # seconds each scraper waits between its scrapes
WRK_SECONDS = 35  # at least two camera cycles start while wrk runs
CAMERA_INTERVAL = 15.0
BARE_CYCLE_CAMERAS = 20_000  # the bare loop's cycle beside wrk, up to this size (50,000: a minute more)
READ_SIZE = 1 << 20

# The endpoints of the collectors that run within the window; requests to every other endpoint come
# from collectors that run every 5 minutes or slower, and are amortised over their intervals.
FREQUENT = {
    endpoints.API_CHANNELS,
    endpoints.API_CHANNEL_STATUS,
    endpoints.CONFIGURE_SERVERS,
    endpoints.UNIQUE_VISITOR_REPORT,
    *endpoints.OBJECT_COUNTERS,
    *endpoints.OBJECT_REPORT,
    "api/",
}
# Which collector asks each of the others (for its interval). configure/channels is asked by bindings
# and archiving alike; it is counted at the shorter interval of the two.
INFREQUENT_BY_COLLECTOR = {
    "licenses": (endpoints.WEBAPI_LICENSE,),
    "archiving": (endpoints.CONFIGURE_CHANNEL,),
    "bindings": (endpoints.CONFIGURE_CHANNELS,),
    "archive_depth": (endpoints.ARCHIVE_DAYS,),
    "analytics_plugins": (endpoints.CAMERA_ANALYTICS,),
    "archive_export": (endpoints.ARCHIVE_EXPORT_TASKS,),
    "databases": (
        endpoints.FACE_CONFIG,
        endpoints.CAR_CONFIG,
        *(path for _, *paths in endpoints.FACE_TABLES + endpoints.CAR_TABLES for path in paths),
    ),
}
DEFAULT_INTERVALS = {entry.name: entry.config().interval for entry in COLLECTORS}

_SAMPLE = re.compile(rb"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(rb'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
_WANTED = (
    b"eocortex_api_requests_total",
    b"eocortex_api_parse_cpu_seconds_total",
    b"eocortex_exporter_render_cpu_seconds_total",
    b"eocortex_collector_duration_seconds",
    b"eocortex_collector_last_success_timestamp_seconds",
    b"eocortex_api_server_concurrency_limit",
)


@dataclass
class SelfMetrics:
    """The exporter's own counters at one moment."""

    requests: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # endpoint -> count
    parse_cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # endpoint -> s
    render_cpu: dict[str, float] = field(default_factory=dict)  # stage -> s
    durations: dict[str, float] = field(default_factory=dict)  # collector -> s of its last run
    last_success: dict[str, float] = field(default_factory=dict)  # collector -> unix time
    concurrency_limits: list[float] = field(default_factory=list)


def self_metrics(text: bytes) -> SelfMetrics:
    found = SelfMetrics()
    for line in text.split(b"\n"):
        if not line.startswith(_WANTED):
            continue
        match = _SAMPLE.match(line)
        if match is None:
            continue
        name, labels, value = (
            match.group(1),
            dict(_LABEL.findall(match.group(2) or b"")),
            float(match.group(3)),
        )
        if name == b"eocortex_api_requests_total":
            found.requests[labels[b"endpoint"].decode()] += value
        elif name == b"eocortex_api_parse_cpu_seconds_total":
            found.parse_cpu[labels[b"endpoint"].decode()] += value
        elif name == b"eocortex_exporter_render_cpu_seconds_total":
            found.render_cpu[labels[b"stage"].decode()] = value
        elif name == b"eocortex_collector_duration_seconds":
            found.durations[labels[b"collector"].decode()] = value
        elif name == b"eocortex_collector_last_success_timestamp_seconds":
            found.last_success[labels[b"collector"].decode()] = value
        else:
            found.concurrency_limits.append(value)
    return found


@dataclass
class SteadyResult:
    profile: str
    cameras: int
    servers: int
    ready_seconds: float = 0.0
    series: int = 0
    size_plain: int = 0
    size_gzip: int = 0
    window_seconds: float = 0.0
    window_cpu: float = 0.0
    cpu_user: float = 0.0
    cpu_system: float = 0.0
    parse_cpu: float = 0.0
    encode_cpu: float = 0.0
    gzip_cpu: float = 0.0
    window_requests: dict[str, float] = field(default_factory=dict)
    window_parse: dict[str, float] = field(default_factory=dict)  # endpoint -> parse CPU s in the window
    first_runs: SelfMetrics = field(default_factory=SelfMetrics)
    amortised_cpu_per_15s: float = 0.0  # CPU of the slower collectors' runs, per 15 s
    camera_cycles: list[float] = field(default_factory=list)
    durations: dict[str, float] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"plain": [], "gzip": []})
    wrk_scrapes: dict[str, WrkScrapes] = field(default_factory=dict)  # kind -> wrk's scrapers
    # wrk's plain scrapers of the same bytes from a minimal server (benchmarks/static_server.py), alone.
    static_scrapes: WrkScrapes | None = None
    wrk_rate: float = 0.0
    wrk_requests: int = 0
    cycles_beside_wrk: list[float] = field(default_factory=list)
    # wrk's answers during each of those cycles over the cycle's requests (benchmarks/beside_wrk.py).
    wrk_ratios_during: list[float] = field(default_factory=list)
    # A bare aiohttp loop's one cycle beside wrk, measured the same way: (seconds, ratio).
    bare_beside_wrk: tuple[float, float] | None = None
    rss_mb: float = 0.0
    enabled_cameras: int = 0
    floor_us_per_request: float = 0.0  # a bare aiohttp loop's CPU per status request
    # The simulator's CPU in the window: the same work per request in every run, so its cost per request
    # is a gauge of the machine's speed at the time (this VM's drifts by up to half within minutes).
    simulator_cpu: float = 0.0
    # The exporter's CPU in each whole 15 s of the window (from its polls, 5 s apart).
    cpu_per_15s_buckets: list[float] = field(default_factory=list)

    @property
    def cpu_us_per_camera(self) -> float:
        """Exporter CPU per camera per 15 s, every collector amortised over its interval."""
        per_15s = self.window_cpu / (self.window_seconds / CAMERA_INTERVAL) + self.amortised_cpu_per_15s
        return per_15s / self.cameras * 1e6

    @property
    def simulator_us_per_request(self) -> float:
        return self.simulator_cpu / max(1.0, sum(self.window_requests.values())) * 1e6

    @property
    def cpu_us_per_camera_at_quiet_speed(self) -> float:
        """:attr:`cpu_us_per_camera` scaled by the simulator's gauge to the machine's quiet speed: both are
        Python on the same two cores, and measured side by side they slowed down together (docs). Only for
        the defaults, the mix of requests the quiet reference was measured with (a counters document or a
        visitor report costs the simulator more than a status); 0 otherwise."""
        if not self.simulator_us_per_request or self.profile != "defaults":
            return 0.0
        return self.cpu_us_per_camera * QUIET_SIMULATOR_US_PER_REQUEST / self.simulator_us_per_request

    @property
    def requests_cpu(self) -> float:
        """Window CPU that is neither parsing nor rendering: requests, the event loop, the snapshot."""
        return self.window_cpu - self.parse_cpu - self.encode_cpu - self.gzip_cpu

    @property
    def window_cycles(self) -> float:
        return self.window_seconds / CAMERA_INTERVAL

    @property
    def requests_per_15s(self) -> float:
        return sum(self.window_requests.values()) / self.window_cycles

    @property
    def wrk_seconds(self) -> float:
        return self.wrk_requests / self.wrk_rate if self.wrk_rate else 0.0


@dataclass
class WrkScrapes:
    """wrk's scrapers: how many scrapes completed, their latency percentiles, and the failed ones."""

    scrapes: int
    p50_ms: float
    p99_ms: float
    errors: int


def per_15s_buckets(samples: list[tuple[float, float]]) -> list[float]:
    """CPU per 15 s over consecutive spans of at least 15 s, from (monotonic time, CPU seconds) samples."""
    buckets = []
    start = samples[0]
    for sample in samples[1:]:
        if sample[0] - start[0] >= CAMERA_INTERVAL - 0.5:
            buckets.append((sample[1] - start[1]) / (sample[0] - start[0]) * CAMERA_INTERVAL)
            start = sample
    return buckets


def cpu_times(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / ticks, int(fields[12]) / ticks  # utime, stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def profile_config(profile: str, exporter_port: int, sim_port: int, rate: float) -> str:
    target = f'name: bench, url: "http://127.0.0.1:{sim_port}", timezone: Europe/Moscow'
    if profile == "limited":
        target += f", politeness: {{server_requests_per_second: {rate:g}}}"
    text = f"listen: 127.0.0.1:{exporter_port}\nlog_level: warning\ntargets:\n  - {{{target}}}\n"
    if profile == "cameras-only":
        others = [entry.name for entry in COLLECTORS if entry.name != "cameras"]
        text += "collectors:\n" + "".join(f"  {name}: {{enabled: false}}\n" for name in others)
    return text


async def fetch(http: aiohttp.ClientSession, url: str, *, zipped: bool = True) -> bytes:
    headers = {"Accept-Encoding": "gzip" if zipped else "identity"}
    async with http.get(url, headers=headers) as response:
        body = await response.read()
    return gzip.decompress(body) if zipped else body


async def next_camera_cycle(
    http: aiohttp.ClientSession, url: str, after: float, timeout: float
) -> SelfMetrics:
    """Self-metrics once the cameras collector's last success is newer than ``after``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = self_metrics(await fetch(http, url))
        if metrics.last_success.get("cameras", 0.0) > after:
            return metrics
        await asyncio.sleep(1.0)
    raise RuntimeError("no camera cycle ended in time")


async def scraper(url: str, kind: str, until: float, into: list[float]) -> None:
    """Scrape back to back (SCRAPE_PAUSE apart) until ``until``, reading every byte; bounded to 1,000."""
    headers = {"Accept-Encoding": "gzip" if kind == "gzip" else "identity"}
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(auto_decompress=False, timeout=timeout) as http:
        for _ in range(1000):
            if time.monotonic() >= until:
                return
            started = time.perf_counter()
            async with http.get(url, headers=headers) as response:
                while await response.content.read(READ_SIZE):
                    pass
            into.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(SCRAPE_PAUSE)


WRK_SCRAPER = """
wrk.headers["Accept-Encoding"] = "{encoding}"
function delay() return {pause_ms} end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SCRAPES %d %d %d %d\\n", summary.requests, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
"""


async def wrk_scrapers(workdir: Path, url: str, kind: str, seconds: float) -> WrkScrapes:
    """SCRAPERS wrk connections scraping back to back, SCRAPE_PAUSE apart, for ``seconds``."""
    script = workdir / f"scrape-{kind}.lua"
    encoding = "gzip" if kind == "gzip" else "identity"
    script.write_text(WRK_SCRAPER.format(encoding=encoding, pause_ms=int(SCRAPE_PAUSE * 1000)))
    process = await asyncio.create_subprocess_exec(
        *("wrk", "-t", "1", "-c", str(SCRAPERS), "-d", f"{seconds:.0f}s", "--timeout", "10s"),
        *("-s", str(script), url),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    output, _ = await asyncio.wait_for(process.communicate(), seconds + 60)
    for line in output.decode().splitlines():
        if line.startswith("SCRAPES "):
            scrapes, p50_us, p99_us, errors = (int(word) for word in line.split()[1:])
            return WrkScrapes(scrapes, p50_us / 1000, p99_us / 1000, errors)
    raise RuntimeError(f"unexpected wrk output:\n{output.decode()}")


async def cycles_during(http: aiohttp.ClientSession, url: str, seconds: float) -> dict[float, float]:
    """The camera cycles that end within the next ``seconds`` and started after now: last-success stamp ->
    duration."""
    started_at = time.time()
    deadline = time.monotonic() + seconds
    seen: dict[float, float] = {}
    while time.monotonic() < deadline:
        metrics = self_metrics(await fetch(http, url))
        stamp = metrics.last_success.get("cameras", 0.0)
        duration = metrics.durations.get("cameras", 0.0)
        if stamp - duration >= started_at:  # the run started after wrk did
            seen[stamp] = duration
        await asyncio.sleep(2.0)
    return seen


def wrk_paths(workdir: Path, camera_ids: list[str]) -> Path:
    paths = workdir / "paths.lua"
    paths.write_text(
        "paths = {" + ",".join(f'"/api/channels/{camera}/status"' for camera in camera_ids) + "}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter % #paths) + 1], "
        "{['Authorization'] = 'Basic cm9vdDo=', ['Accept'] = 'application/json'})\n"
        "end\n"
    )
    return paths


async def run_wrk(port: int, script: Path, concurrency: int, seconds: int) -> float:
    process = await asyncio.create_subprocess_exec(
        *("wrk", "-t", "1", "-c", str(concurrency), "-d", f"{seconds}s", "-s", str(script)),
        f"http://127.0.0.1:{port}",
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    output, _ = await asyncio.wait_for(process.communicate(), seconds + 60)
    for line in output.decode().splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(f"unexpected wrk output:\n{output.decode()}")


async def aiohttp_floor(port: int, camera_ids: list[str], concurrency: int, requests: int = 5000) -> float:
    """CPU seconds per request of a bare aiohttp loop (this process) for the same status requests at the
    same concurrency: what any aiohttp client pays before it does anything with an answer."""
    async with bare_loop.status_requests(port, camera_ids, concurrency) as make:
        started = time.process_time()
        await make(requests)
        return (time.process_time() - started) / requests


def window_counts(result: SteadyResult, m0: SelfMetrics, m1: SelfMetrics) -> None:
    """The window's requests, parse, encode and gzip CPU, from the self-metrics at its start and end."""
    result.window_parse = {
        endpoint: m1.parse_cpu[endpoint] - m0.parse_cpu.get(endpoint, 0.0) for endpoint in m1.parse_cpu
    }
    result.parse_cpu = sum(result.window_parse.values())
    result.encode_cpu = m1.render_cpu.get("encode", 0.0) - m0.render_cpu.get("encode", 0.0)
    result.gzip_cpu = m1.render_cpu.get("gzip", 0.0) - m0.render_cpu.get("gzip", 0.0)
    result.window_requests = {
        endpoint: m1.requests[endpoint] - m0.requests.get(endpoint, 0.0) for endpoint in m1.requests
    }


def amortised_per_15s(first: SelfMetrics, window: SteadyResult) -> float:
    """CPU per 15 s of the collectors slower than the window, from what their first runs asked: their
    requests at the window's CPU per request (everything but parsing and rendering, over its requests),
    plus their parse CPU."""
    requests = sum(window.window_requests.values())
    if not requests:
        return 0.0
    per_request = window.requests_cpu / requests
    total = 0.0
    for collector, asked in INFREQUENT_BY_COLLECTOR.items():
        interval = DEFAULT_INTERVALS[collector]
        cost = sum(first.requests.get(e, 0.0) * per_request + first.parse_cpu.get(e, 0.0) for e in asked)
        total += cost * CAMERA_INTERVAL / interval
    return total


async def measure_steady(
    profile: str,
    cameras: int,
    servers: int,
    workdir: Path,
    *,
    rate: float = 0.0,
    wrk: bool = True,
) -> SteadyResult:
    result = SteadyResult(profile, cameras, servers)

    def config(exporter_port: int, sim_port: int) -> str:
        return profile_config(profile, exporter_port, sim_port, rate)

    async with processes.simulator_and_exporter(cameras, servers, config, workdir) as running:
        sim_port, exporter = running.sim_port, running.exporter
        metrics_url = f"{running.base}/metrics"
        result.ready_seconds = running.ready_seconds
        timeout = aiohttp.ClientTimeout(total=120)
        async with aiohttp.ClientSession(auto_decompress=False, timeout=timeout) as http:
            first = self_metrics(await fetch(http, metrics_url))
            result.first_runs = first
            # The quiet window, from a camera cycle's end.
            m0 = await next_camera_cycle(http, metrics_url, first.last_success.get("cameras", 0.0), 180)
            user0, system0 = cpu_times(exporter.pid)
            simulator0 = sum(cpu_times(running.simulator.pid))
            t0 = time.monotonic()
            seen = {m0.last_success["cameras"]: m0.durations["cameras"]}
            m1 = m0
            samples = [(t0, user0 + system0)]
            while time.monotonic() - t0 < WINDOW:
                await asyncio.sleep(min(5.0, max(0.1, WINDOW - (time.monotonic() - t0))))
                m1 = self_metrics(await fetch(http, metrics_url))
                seen[m1.last_success.get("cameras", 0.0)] = m1.durations.get("cameras", 0.0)
                samples.append((time.monotonic(), sum(cpu_times(exporter.pid))))
            user1, system1 = cpu_times(exporter.pid)
            result.simulator_cpu = sum(cpu_times(running.simulator.pid)) - simulator0
            result.cpu_per_15s_buckets = per_15s_buckets(samples)
            result.window_seconds = time.monotonic() - t0
            result.cpu_user, result.cpu_system = user1 - user0, system1 - system0
            result.window_cpu = result.cpu_user + result.cpu_system
            window_counts(result, m0, m1)
            result.camera_cycles = [duration for stamp, duration in seen.items() if stamp > 0][1:]
            result.amortised_cpu_per_15s = amortised_per_15s(first, result)
            # Scrapers while collections run.
            for kind in ("plain", "gzip"):
                until = time.monotonic() + SCRAPE_SECONDS
                await asyncio.gather(
                    *(scraper(metrics_url, kind, until, result.latencies[kind]) for _ in range(SCRAPERS))
                )
            if wrk:
                for kind in ("plain", "gzip"):
                    result.wrk_scrapes[kind] = await wrk_scrapers(workdir, metrics_url, kind, SCRAPE_SECONDS)
            text = await fetch(http, metrics_url, zipped=False)
            result.size_plain = len(text)
            async with http.get(metrics_url, headers={"Accept-Encoding": "gzip"}) as response:
                result.size_gzip = len(await response.read())
            result.series = sum(1 for line in text.split(b"\n") if line and not line.startswith(b"#"))
            result.durations = self_metrics(text).durations
            camera_ids = [
                line.split(b'camera_id="')[1].split(b'"')[0].decode()
                for line in text.split(b"\n")
                if line.startswith(b"eocortex_camera_info{") and b'disabled="false"' in line
            ]
            result.enabled_cameras = len(camera_ids)
            if wrk and camera_ids:
                # wrk beside the exporter: at its concurrency towards one server, the same requests.
                script = wrk_paths(workdir, camera_ids)
                concurrency = PolitenessConfig().server_concurrency * servers
                rate_task = asyncio.create_task(run_wrk(sim_port, script, concurrency, WRK_SECONDS))
                samples_task = asyncio.create_task(beside_wrk.sample_answered(http, sim_port, WRK_SECONDS))
                cycles = await cycles_during(http, metrics_url, WRK_SECONDS)
                result.wrk_rate = await rate_task
                result.cycles_beside_wrk = list(cycles.values())
                result.wrk_requests = len(camera_ids)
                # The cycle's requests: every enabled camera's status and each server's camera list.
                cycle_requests = len(camera_ids) + servers
                result.wrk_ratios_during = beside_wrk.wrk_ratios(await samples_task, cycles, cycle_requests)
        result.rss_mb = peak_rss_mb(exporter.pid)
        processes.stop(exporter)  # the simulator stays, for the bare aiohttp loop
        if camera_ids:
            concurrency = PolitenessConfig().server_concurrency
            result.floor_us_per_request = await aiohttp_floor(sim_port, camera_ids, concurrency) * 1e6
            if wrk and len(camera_ids) <= BARE_CYCLE_CAMERAS:
                result.bare_beside_wrk = await beside_wrk.bare_cycle_ratio(
                    sim_port,
                    camera_ids,
                    concurrency * servers,
                    lambda seconds: run_wrk(sim_port, script, concurrency * servers, round(seconds)),
                )
    if wrk:
        result.static_scrapes = await static_floor(workdir, text)
    return result


async def static_floor(workdir: Path, text: bytes) -> WrkScrapes:
    """wrk's plain scrapers of ``text`` served by a minimal aiohttp server with nothing else running."""
    body = workdir / "exposition.txt"
    body.write_bytes(text)
    port = processes.free_port()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("static_server.py")), str(port), str(body)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        await processes.wait_http(url)
        return await wrk_scrapers(workdir, url, "plain", SCRAPE_SECONDS)
    finally:
        processes.stop(server)


def steady_report(results: list[SteadyResult]) -> str:
    lines = [
        "| figure | "
        + " | ".join(f"{r.profile}, {r.cameras:,} cameras / {r.servers} server(s)" for r in results)
        + " |",
        "|---|" + "---|" * len(results),
    ]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    row("first runs until /ready", [f"{r.ready_seconds:.0f} s" for r in results])
    row(
        "series / exposition plain / gzip",
        [sizes_text(r) for r in results],
    )
    row(
        "**exporter CPU per camera per 15 s** (all collectors amortised)",
        [f"**{r.cpu_us_per_camera:.0f} µs**" for r in results],
    )
    row(
        "window CPU per 15 s: total (user + system)",
        [
            f"{r.window_cpu / r.window_cycles:.2f} s ({r.cpu_user / r.window_cycles:.2f} + "
            f"{r.cpu_system / r.window_cycles:.2f})"
            for r in results
        ],
    )

    def buckets(r: SteadyResult) -> str:
        ordered = sorted(r.cpu_per_15s_buckets)
        if not ordered:
            return "-"
        return f"{ordered[0]:.2f} / {ordered[len(ordered) // 2]:.2f} / {ordered[-1]:.2f} s"

    row("… window CPU by whole 15 s: best / median / worst", [buckets(r) for r in results])
    row(
        "simulator CPU per request answered in the window (the machine's speed: same work every run)",
        [f"{r.simulator_us_per_request:.0f} µs" for r in results],
    )
    row(
        f"… exporter CPU per camera per 15 s scaled to the quiet speed ({QUIET_SIMULATOR_US_PER_REQUEST:.0f} µs "
        "per simulator request)",
        [
            f"{r.cpu_us_per_camera_at_quiet_speed:.0f} µs" if r.cpu_us_per_camera_at_quiet_speed else "-"
            for r in results
        ],
    )

    def split(r: SteadyResult) -> str:
        per = r.window_cycles
        return (
            f"{r.requests_cpu / per:.2f} / {r.parse_cpu / per:.2f} / {r.encode_cpu / per:.2f} / "
            f"{r.gzip_cpu / per:.2f} s"
        )

    row("… split per 15 s: requests and loop / parsing / encoding / gzip", [split(r) for r in results])

    def top_parsing(r: SteadyResult) -> str:
        top = sorted(r.window_parse.items(), key=lambda item: -item[1])[:3]
        return "; ".join(
            f"{endpoint} {seconds / r.window_cycles * 1000:.0f} ms "
            f"({seconds / max(1.0, r.window_requests.get(endpoint, 0.0)) * 1e6:.0f} µs/answer)"
            for endpoint, seconds in top
        )

    row("… parsing per 15 s, largest", [top_parsing(r) for r in results])
    row("… slower collectors amortised, per 15 s", [f"{r.amortised_cpu_per_15s:.3f} s" for r in results])

    def per_request(r: SteadyResult) -> str:
        requests = max(1.0, sum(r.window_requests.values()))
        ours = r.requests_cpu / requests * 1e6
        return f"{ours:.0f} / {r.floor_us_per_request:.0f} µs"

    row(
        "… requests and loop per request / a bare aiohttp loop's CPU per request",
        [per_request(r) for r in results],
    )
    row(
        "requests per 15 s in the window",
        [f"{r.requests_per_15s:,.0f}" for r in results],
    )
    row(
        "requests of the first runs (every collector once)",
        [f"{sum(r.first_runs.requests.values()):,.0f}" for r in results],
    )
    row(
        "camera cycle, median (max) in the window",
        [cycles_text(r) for r in results],
    )
    for collector in (
        "object_counting",
        "visitors",
        "licenses",
        "archiving",
        "bindings",
        "archive_depth",
        "analytics_plugins",
        "databases",
        "archive_export",
    ):
        if any(collector in r.durations for r in results):
            row(
                f"{collector} run (last)",
                [f"{r.durations[collector]:.2f} s" if collector in r.durations else "off" for r in results],
            )
    row(
        "wrk beside the exporter: time for the cycle's status requests",
        [f"{r.wrk_seconds:.2f} s ({r.wrk_rate:,.0f} req/s)" if r.wrk_rate else "-" for r in results],
    )
    row(
        "**camera cycle beside wrk, median / ratio to wrk's time for as many requests during the cycle**",
        [
            f"**{statistics.median(r.cycles_beside_wrk):.2f} s / {statistics.median(r.wrk_ratios_during):.2f}x**"
            + f" ({', '.join(f'{ratio:.2f}' for ratio in r.wrk_ratios_during)})"
            if r.cycles_beside_wrk and r.wrk_ratios_during
            else "-"
            for r in results
        ],
    )
    row(
        "… ratio to wrk's time at its rate over its whole run (mostly between the exporter's cycles)",
        [
            f"{statistics.median(r.cycles_beside_wrk) / r.wrk_seconds:.2f}x"
            if r.cycles_beside_wrk and r.wrk_seconds
            else "-"
            for r in results
        ],
    )
    row(
        "… a bare aiohttp loop's cycle of the same requests beside wrk / ratio during it",
        [
            f"{r.bare_beside_wrk[0]:.2f} s / {r.bare_beside_wrk[1]:.2f}x" if r.bare_beside_wrk else "-"
            for r in results
        ],
    )
    for kind in ("plain", "gzip"):
        row(
            f"/metrics {kind}, {SCRAPERS} scrapers: p50 / p99 (scrapes)",
            [
                f"{percentile(r.latencies[kind], 0.5):.0f} / {percentile(r.latencies[kind], 0.99):.0f} ms "
                f"({len(r.latencies[kind])})"
                for r in results
            ],
        )
    for kind in ("plain", "gzip"):
        row(
            f"/metrics {kind}, {SCRAPERS} wrk scrapers: p50 / p99 (scrapes, failed)",
            [wrk_scrapes_text(r.wrk_scrapes.get(kind)) for r in results],
        )
    row(
        f"… the same plain bytes from a minimal aiohttp server alone, {SCRAPERS} wrk scrapers",
        [wrk_scrapes_text(r.static_scrapes) for r in results],
    )
    row("exporter peak RSS", [f"{r.rss_mb:.0f} MB" for r in results])
    return "\n".join(lines) + "\n"


def sizes_text(r: SteadyResult) -> str:
    return f"{r.series:,} / {r.size_plain / 2**20:.1f} MiB / {r.size_gzip / 2**20:.2f} MiB"


def cycles_text(r: SteadyResult) -> str:
    """The camera cycles' median (max), or "-" when none ended."""
    if not r.camera_cycles:
        return "-"
    return f"{statistics.median(r.camera_cycles):.2f} s ({max(r.camera_cycles):.2f} s)"


def wrk_scrapes_text(scrapes: WrkScrapes | None) -> str:
    if scrapes is None:
        return "-"
    return f"{scrapes.p50_ms:.0f} / {scrapes.p99_ms:.0f} ms ({scrapes.scrapes}, {scrapes.errors})"
