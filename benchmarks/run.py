"""The benchmark suite: the exporter against the simulator, separate processes, 127.0.0.1 only.

    .venv/bin/python benchmarks/run.py [--cameras 1000 10000] [--concurrency 32] [--cycles 4] [--out FILE]

For each size it starts the simulator (`eocexporter simulate`, one server holding every camera) and the
exporter (`eocexporter run`, only discovery and the cameras collector), and measures:

- the camera-status cycle's wall time (eocortex_collector_duration_seconds{collector="cameras"}), next to
  the time wrk takes for the same number of status requests at the same concurrency against the same
  simulator (wrk's rate is the limit of the simulator and the loopback);
- the exporter's CPU seconds per cycle and per camera, from /proc/<pid>/stat between cycle ends;
- /metrics latency p50/p99 (plain and gzip) while cycles run, and the exposition's size;
- the exporter's peak RSS (VmHWM);
- the same exposition the naive way — prometheus-client labelled metrics, rendered on each scrape —
  as a reference: its render time per scrape and the memory its metric objects take.

With ``--encoder`` it measures, instead, the exporter's hand-written text encoder against
prometheus-client's own classes and ``generate_latest`` over the same series: the exporter runs with its
default configuration (every collector on) until /ready, and its exposition is read back into the
exporter's series types; both encoders then render it, and must give the same bytes.

With ``--archiving`` it counts, instead, the requests one archiving cycle makes (the exporter with its
default configuration, every collector on), with the ``configure/channels`` list as the reference prints it
(brief items: one ``configure/channels/{id}`` request per camera) and as a server may send it (full channel
objects, the simulator's ``channel_list_settings`` variant: the list alone), and the cycle's duration.

Results are printed as Markdown (and written to --out); docs/benchmarks.md keeps one run. Every loop is
bounded in count and time, and all traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from eocexporter.exposition.encoder import encode, reference_encode
from eocexporter.exposition.family import Family, SeriesSet

HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")
CYCLE_INTERVAL = 30.0  # seconds between camera cycles: long enough for 10,000 cameras with room to spare
TARGETS = {
    "cycle_ratio": 1.5,
    "cpu_us_per_camera": 150.0,
    "p50_ms": 20.0,
    "p99_ms": 100.0,
    "rss_mb": 250.0,
    "growth": 1.2,
}


@dataclass
class Result:
    cameras: int
    concurrency: int
    cycle_seconds: list[float] = field(default_factory=list)
    wrk_seconds: float = 0.0
    wrk_rate: float = 0.0
    cpu_per_cycle: list[float] = field(default_factory=list)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"plain": [], "gzip": []})
    size_plain: int = 0
    size_gzip: int = 0
    rss_mb: float = 0.0
    naive_render_ms: list[float] = field(default_factory=list)
    naive_memory_mb: float = 0.0
    series: int = 0

    @property
    def cycle(self) -> float:
        return statistics.median(self.cycle_seconds)

    @property
    def cpu_us_per_camera(self) -> float:
        return statistics.median(self.cpu_per_cycle) / self.cameras * 1e6


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


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def wait_http(url: str, attempts: int = 300) -> None:
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


async def cycle_end(
    http: aiohttp.ClientSession, url: str, after: float, timeout: float
) -> tuple[float, float]:
    """Poll /metrics until the cameras collector's last success is newer than `after`: (timestamp, duration)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # gzip keeps this poll's own cost to the exporter small next to a cycle's.
        async with http.get(url, headers={"Accept-Encoding": "gzip"}) as response:
            text = (await response.read()).decode()
        stamp = duration = None
        for line in text.splitlines():
            if line.startswith('eocortex_collector_last_success_timestamp_seconds{collector="cameras"'):
                stamp = float(line.rsplit(" ", 1)[1])
            elif line.startswith('eocortex_collector_duration_seconds{collector="cameras"'):
                duration = float(line.rsplit(" ", 1)[1])
        if stamp is not None and duration is not None and stamp > after:
            return stamp, duration
        await asyncio.sleep(1.0)
    raise RuntimeError("no camera cycle ended in time")


async def scrape_loop(url: str, result: Result, stop: asyncio.Event) -> None:
    """Scrape /metrics back to back (alternating plain and gzip) until told to stop; bounded to 20,000."""
    async with aiohttp.ClientSession(auto_decompress=False) as http:
        for count in range(20_000):
            if stop.is_set():
                return
            kind = "gzip" if count % 2 else "plain"
            headers = {"Accept-Encoding": "gzip" if kind == "gzip" else "identity"}
            started = time.perf_counter()
            async with http.get(url, headers=headers) as response:
                body = await response.read()
            result.latencies[kind].append((time.perf_counter() - started) * 1000)
            if kind == "gzip":
                result.size_gzip = len(body)
            else:
                result.size_plain = len(body)
            await asyncio.sleep(0.02)  # a busy Prometheus fleet, not a denial of service


def run_wrk(port: int, camera_ids: list[str], concurrency: int, seconds: int, workdir: Path) -> float:
    """wrk's request rate for the status endpoint of every camera, round robin, at `concurrency`."""
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
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "2",
            "-c",
            str(concurrency),
            "-d",
            f"{seconds}s",
            "-s",
            str(paths),
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    for line in output.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise RuntimeError(f"unexpected wrk output:\n{output}")


def naive_reference(exposition: bytes, result: Result, renders: int = 5) -> None:
    """The same series as labelled prometheus-client metrics, rendered per scrape (the usual way)."""
    gc.collect()
    tracemalloc.start()
    registry = CollectorRegistry()
    for family in text_string_to_metric_families(exposition.decode()):
        if family.type not in ("gauge", "counter") or not family.samples:
            continue
        labels = sorted(family.samples[0].labels)
        kind = Counter if family.type == "counter" else Gauge
        metric = kind(family.name, family.documentation or family.name, labels, registry=registry)
        for sample in family.samples:
            child = metric.labels(*(sample.labels[name] for name in labels))
            if kind is Counter:
                child.inc(sample.value)
            else:
                child.set(sample.value)
    result.naive_memory_mb = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.stop()
    for _ in range(renders):
        started = time.perf_counter()
        generate_latest(registry)
        result.naive_render_ms.append((time.perf_counter() - started) * 1000)


def start_simulator(cameras: int, port: int, *variants: str) -> subprocess.Popen[bytes]:
    """``eocexporter simulate``: one server holding every camera, on 127.0.0.1:``port``; ``variants`` are
    ``NAME=VALUE`` readings of the reference (docs/simulator.md)."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "eocexporter", "simulate", "--listen", f"127.0.0.1:{port}"),
            *("--servers", "1", "--cameras", str(cameras), "--seed", "1", "--timezone", "Europe/Moscow"),
            *(argument for variant in variants for argument in ("--variant", variant)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def start_exporter(config: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "eocexporter", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop(*processes: subprocess.Popen[bytes] | None) -> None:
    for process in processes:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(30)


@dataclass
class EncoderResult:
    cameras: int
    series: int = 0
    size: int = 0
    encoder_ms: list[float] = field(default_factory=list)
    reference_ms: list[float] = field(default_factory=list)


def series_of(exposition: bytes) -> SeriesSet:
    """The gauges and counters of an exposition as the exporter's own series (histograms, a handful of
    series that both encoders write with generate_latest, are left out)."""
    declared: list[tuple[Family, list[tuple[tuple[str, ...], float]]]] = []
    for parsed in text_string_to_metric_families(exposition.decode()):
        if parsed.type not in ("gauge", "counter") or not parsed.samples:
            continue
        labels = tuple(parsed.samples[0].labels)
        family = Family(parsed.name, parsed.type, parsed.documentation, labels)
        rows = [(tuple(sample.labels[name] for name in labels), sample.value) for sample in parsed.samples]
        declared.append((family, rows))
    series = SeriesSet(family for family, _ in declared)
    for family, rows in declared:
        for values, value in rows:
            series.add(family, values, value)
    return series


def compare_encoders(exposition: bytes, result: EncoderResult, renders: int = 5) -> None:
    series = series_of(exposition)
    result.series = sum(len(by_labels) for _, by_labels in series.items())
    ours = encode(series)
    if ours != reference_encode(series.items()):
        raise AssertionError("the hand-written encoder and generate_latest disagree")
    result.size = len(ours)
    for _ in range(renders):
        gc.collect()
        started = time.perf_counter()
        encode(series)
        result.encoder_ms.append((time.perf_counter() - started) * 1000)
        gc.collect()
        started = time.perf_counter()
        reference_encode(series.items())
        result.reference_ms.append((time.perf_counter() - started) * 1000)


async def first_exposition(cameras: int, workdir: Path, *variants: str) -> bytes:
    """The exporter with its default configuration (every collector on) against one simulated server: its
    exposition once every collector has run (/ready)."""
    sim_port, exporter_port = free_port(), free_port()
    simulator = start_simulator(cameras, sim_port, *variants)
    exporter = None
    try:
        await wait_http(f"http://127.0.0.1:{sim_port}/_simulator/state")
        config = workdir / f"exporter-defaults-{cameras}.yml"
        config.write_text(
            f"""
listen: 127.0.0.1:{exporter_port}
log_level: warning
targets:
  - {{name: bench, url: "http://127.0.0.1:{sim_port}", timezone: Europe/Moscow}}
"""
        )
        exporter = start_exporter(config)
        base = f"http://127.0.0.1:{exporter_port}"
        await wait_http(f"{base}/healthz")
        async with aiohttp.ClientSession() as http:
            for _ in range(1200):  # bounded: 1200 looks, 0.5 s apart
                async with http.get(f"{base}/ready") as response:
                    if response.status == 200:
                        break
                await asyncio.sleep(0.5)
            else:
                raise RuntimeError("the exporter never became ready")
            async with http.get(f"{base}/metrics") as response:
                return await response.read()
    finally:
        stop(exporter, simulator)


async def measure_encoder(cameras: int, workdir: Path) -> EncoderResult:
    """The default exporter's first complete exposition, through both encoders."""
    result = EncoderResult(cameras)
    compare_encoders(await first_exposition(cameras, workdir), result)
    return result


@dataclass
class ArchivingResult:
    cameras: int
    list_shape: str  # "brief" (as the reference prints it) or "full" (channel objects)
    per_camera: float = 0.0  # configure/channels/{id} requests of the cycle
    lists: float = 0.0  # configure/channels requests (the bindings collector's and the archiving one's)
    cycle_seconds: float = 0.0
    settings: int = 0  # cameras whose archiving settings were exported


LIST_SHAPES = {"brief": (), "full": ("channel_list_settings=true",)}


def samples_of(exposition: bytes, name: str, **labels: str) -> list[float]:
    return [
        sample.value
        for family in text_string_to_metric_families(exposition.decode())
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(key) == value for key, value in labels.items())
    ]


async def measure_archiving(cameras: int, shape: str, workdir: Path) -> ArchivingResult:
    """The requests of the first archiving cycle (every collector runs once before /ready)."""
    exposition = await first_exposition(cameras, workdir, *LIST_SHAPES[shape])
    requests = "eocortex_api_requests_total"
    return ArchivingResult(
        cameras,
        shape,
        per_camera=sum(samples_of(exposition, requests, endpoint="configure/channels/{id}")),
        lists=sum(samples_of(exposition, requests, endpoint="configure/channels")),
        cycle_seconds=sum(
            samples_of(exposition, "eocortex_collector_duration_seconds", collector="archiving")
        ),
        settings=len(samples_of(exposition, "eocortex_camera_archive_min_depth_seconds")),
    )


def archiving_report(results: list[ArchivingResult]) -> str:
    lines = [
        "| cameras | configure/channels list | configure/channels/{id} requests | configure/channels requests "
        "| archiving cycle | cameras with settings |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        shape = (
            "brief items (as the reference prints it)" if r.list_shape == "brief" else "full channel objects"
        )
        lines.append(
            f"| {r.cameras:,} | {shape} | {r.per_camera:,.0f} | {r.lists:,.0f} | {r.cycle_seconds:.2f} s "
            f"| {r.settings:,.0f} |"
        )
    return "\n".join(lines) + "\n"


def encoder_report(results: list[EncoderResult]) -> str:
    lines = [
        "| figure | " + " | ".join(f"{r.cameras:,} cameras" for r in results) + " |",
        "|---|" + "---|" * len(results),
        "| gauge and counter series | " + " | ".join(f"{r.series:,}" for r in results) + " |",
        "| their text | " + " | ".join(f"{r.size / 2**20:.1f} MiB" for r in results) + " |",
        "| hand-written encoder (median of 5) | "
        + " | ".join(f"{statistics.median(r.encoder_ms):.0f} ms" for r in results)
        + " |",
        "| prometheus-client families + generate_latest (median of 5) | "
        + " | ".join(f"{statistics.median(r.reference_ms):.0f} ms" for r in results)
        + " |",
        "| speed-up, same bytes | "
        + " | ".join(
            f"{statistics.median(r.reference_ms) / statistics.median(r.encoder_ms):.1f}x" for r in results
        )
        + " |",
    ]
    return "\n".join(lines) + "\n"


async def measure(cameras: int, concurrency: int, cycles: int, workdir: Path) -> Result:
    result = Result(cameras, concurrency)
    sim_port, exporter_port = free_port(), free_port()
    simulator = start_simulator(cameras, sim_port)
    exporter = None
    try:
        await wait_http(f"http://127.0.0.1:{sim_port}/_simulator/state")
        config = workdir / f"exporter-{cameras}.yml"
        config.write_text(
            f"""
listen: 127.0.0.1:{exporter_port}
log_level: warning
targets:
  - {{name: bench, url: "http://127.0.0.1:{sim_port}", max_concurrency: {concurrency}, request_timeout: 30s}}
collectors:
  discovery: {{interval: 60s}}
  cameras: {{interval: {CYCLE_INTERVAL}s, timeout: {CYCLE_INTERVAL}s}}
  object_counting: {{enabled: false, interval: 60s}}
  visitors: {{enabled: false, interval: 60s}}
  licenses: {{enabled: false, interval: 300s}}
  archiving: {{enabled: false, interval: 600s}}
"""
        )
        exporter = start_exporter(config)
        metrics = f"http://127.0.0.1:{exporter_port}/metrics"
        await wait_http(f"http://127.0.0.1:{exporter_port}/healthz")
        async with aiohttp.ClientSession() as http:
            stamp, _ = await cycle_end(http, metrics, 0, 120)  # the first cycle warms up
            # Cycles with nothing else going on: the CPU one cycle costs (polling, parsing, rendering),
            # read between cycle ends. Only this loop's own light polling of /metrics adds to it.
            cpu = cpu_seconds(exporter.pid)
            for _ in range(cycles):
                stamp, duration = await cycle_end(http, metrics, stamp, CYCLE_INTERVAL + 120)
                now_cpu = cpu_seconds(exporter.pid)
                result.cycle_seconds.append(duration)
                result.cpu_per_cycle.append(now_cpu - cpu)
                cpu = now_cpu
            # Then cycles under a scraping load, for /metrics latency while collections run.
            stop = asyncio.Event()
            scraper = asyncio.create_task(scrape_loop(metrics, result, stop))
            for _ in range(2):
                stamp, _ = await cycle_end(http, metrics, stamp, CYCLE_INTERVAL + 120)
            stop.set()
            await scraper
            async with http.get(metrics) as response:
                exposition = await response.read()
        result.rss_mb = peak_rss_mb(exporter.pid)
        result.series = sum(1 for line in exposition.splitlines() if line and not line.startswith(b"#"))
        exporter.send_signal(signal.SIGTERM)
        exporter.wait(30)
        exporter = None
        # wrk on its own, after the exporter stopped: the same simulator, the same requests.
        camera_ids = [
            line.split(b'camera_id="')[1].split(b'"')[0].decode()
            for line in exposition.splitlines()
            if line.startswith(b"eocortex_camera_info{") and b'disabled="false"' in line
        ]
        result.wrk_rate = run_wrk(sim_port, camera_ids, concurrency, 10, workdir)
        result.wrk_seconds = len(camera_ids) / result.wrk_rate
        naive_reference(exposition, result)
        return result
    finally:
        stop(exporter, simulator)


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


def report(results: list[Result]) -> str:
    lines = [
        "| figure | " + " | ".join(f"{r.cameras:,} cameras" for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    row("series in the exposition", [f"{r.series:,}" for r in results])
    row("camera cycle, wall (median)", [f"{r.cycle:.2f} s" for r in results])
    row(
        "wrk, same requests, same concurrency",
        [f"{r.wrk_seconds:.2f} s ({r.wrk_rate:,.0f} req/s)" for r in results],
    )
    row("ratio exporter / wrk", [f"{r.cycle / r.wrk_seconds:.2f}" for r in results])
    row("exporter CPU per cycle (median)", [f"{statistics.median(r.cpu_per_cycle):.2f} s" for r in results])
    row("exporter CPU per camera per cycle", [f"{r.cpu_us_per_camera:.0f} µs" for r in results])
    for kind in ("plain", "gzip"):
        row(
            f"/metrics {kind} p50 / p99 ({len(results[0].latencies[kind])}+ scrapes)",
            [
                f"{percentile(r.latencies[kind], 0.5):.1f} / {percentile(r.latencies[kind], 0.99):.1f} ms"
                for r in results
            ],
        )
    row(
        "exposition size plain / gzip",
        [f"{r.size_plain / 2**20:.1f} MiB / {r.size_gzip / 2**20:.2f} MiB" for r in results],
    )
    row("exporter peak RSS", [f"{r.rss_mb:.0f} MB" for r in results])
    row(
        "naive: render per scrape (median)",
        [f"{statistics.median(r.naive_render_ms):.0f} ms" for r in results],
    )
    row("naive: memory of its metric objects", [f"{r.naive_memory_mb:.0f} MB" for r in results])
    largest = max(results, key=lambda r: r.cameras)
    smallest = min(results, key=lambda r: r.cameras)
    growth = largest.cpu_us_per_camera / smallest.cpu_us_per_camera
    all_latency = largest.latencies["plain"] + largest.latencies["gzip"]
    p50, p99 = percentile(all_latency, 0.5), percentile(all_latency, 0.99)
    checks = [
        (
            "status cycle within 1.5x of wrk",
            f"{largest.cycle / largest.wrk_seconds:.2f}x",
            largest.cycle / largest.wrk_seconds <= TARGETS["cycle_ratio"],
        ),
        (
            "<= 150 µs exporter CPU per camera per cycle",
            f"{largest.cpu_us_per_camera:.0f} µs",
            largest.cpu_us_per_camera <= TARGETS["cpu_us_per_camera"],
        ),
        ("/metrics p50 < 20 ms during collection", f"{p50:.1f} ms", p50 < TARGETS["p50_ms"]),
        ("/metrics p99 < 100 ms during collection", f"{p99:.1f} ms", p99 < TARGETS["p99_ms"]),
        ("peak RSS < 250 MB", f"{largest.rss_mb:.0f} MB", largest.rss_mb < TARGETS["rss_mb"]),
        (
            f"cost per camera at {largest.cameras:,} <= 1.2x that at {smallest.cameras:,}",
            f"{growth:.2f}x",
            growth <= TARGETS["growth"],
        ),
    ]
    lines += ["", f"Targets at {largest.cameras:,} cameras:", "", "| target | measured | |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {verdict(ok)} |" for name, value, ok in checks]
    return "\n".join(lines) + "\n"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--cycles", type=int, default=4)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--encoder", action="store_true", help="compare the encoders only (see above)")
    parser.add_argument("--archiving", action="store_true", help="count an archiving cycle's requests")
    args = parser.parse_args()
    if args.archiving:
        with tempfile.TemporaryDirectory() as workdir:
            archiving_results = []
            for cameras in args.cameras:
                for shape in LIST_SHAPES:
                    print(
                        f"archiving cycle at {cameras:,} cameras, {shape} list...",
                        file=sys.stderr,
                        flush=True,
                    )
                    archiving_results.append(await measure_archiving(cameras, shape, Path(workdir)))
        text = archiving_report(archiving_results)
        print(text)
        if args.out:
            args.out.write_text(text)
        return
    if args.encoder:
        with tempfile.TemporaryDirectory() as workdir:
            encoder_results = []
            for cameras in args.cameras:
                print(f"encoders at {cameras:,} cameras...", file=sys.stderr, flush=True)
                encoder_results.append(await measure_encoder(cameras, Path(workdir)))
        text = encoder_report(encoder_results)
        print(text)
        if args.out:
            args.out.write_text(text)
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (Debian package)")
    results = []
    with tempfile.TemporaryDirectory() as workdir:
        for cameras in args.cameras:
            print(f"measuring {cameras:,} cameras...", file=sys.stderr, flush=True)
            results.append(await measure(cameras, args.concurrency, args.cycles, Path(workdir)))
    text = report(results)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    asyncio.run(main())
