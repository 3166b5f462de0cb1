"""How long the exporter's event loop is held: the stalls every scrape and request in flight waits out.

The exporter (default configuration, every collector on, the ``run`` command's GIL switch interval) runs in
this process against a simulator process. Once it has run for ``WARM_UP`` seconds, a 5 ms timer on its
loop measures, for ``WINDOW`` seconds, how late each wake-up is, and the garbage collector's callbacks time
its collections. Three cases, one after another against one simulator:

- **as run**: what ``eocexporter run`` does: large answers parsed in a worker thread, the heap frozen
  after each publish (eocexporter.heap);
- **heap not frozen**: the same without the freezer: CPython's own full collections;
- **neither**: also every answer decoded and parsed on the loop (what the exporter did before both).
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import processes
from steady import percentile

from eocexporter.cli import GIL_SWITCH_INTERVAL
from eocexporter.client import reading
from eocexporter.config import load_settings
from eocexporter.exporter import Exporter
from eocexporter.heap import HeapFreezer

WARM_UP = 40.0  # seconds: every 15 s collector has run twice, the slower ones once
WINDOW = 60.0  # seconds measured
TICK = 0.005  # the timer's period
CASES = ("as run", "heap not frozen", "neither")


@dataclass
class StallResult:
    cameras: int
    case: str
    lateness_ms: list[float] = field(default_factory=list)  # each wake-up's lateness
    collections_ms: dict[int, list[float]] = field(default_factory=dict)  # generation -> pauses


class _CollectionTimer:
    """Times each garbage collection through gc.callbacks while installed."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append((time.perf_counter() - self._started) * 1000)


async def _lateness(seconds: float) -> list[float]:
    late = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        await asyncio.sleep(TICK)
        late.append((time.perf_counter() - started - TICK) * 1000)
    return late


async def measure_case(cameras: int, url: str, case: str) -> StallResult:
    result = StallResult(cameras, case)
    settings = load_settings(None, targets=[{"name": "bench", "url": url, "timezone": "Europe/Moscow"}])
    after_publish: Callable[[], None] | None = HeapFreezer().after_publish if case == "as run" else None
    threshold = reading.OFF_LOOP_BYTES
    if case == "neither":
        reading.OFF_LOOP_BYTES = sys.maxsize
    exporter = Exporter(settings, after_publish=after_publish)
    timer = _CollectionTimer()
    try:
        exporter.start()
        await asyncio.sleep(WARM_UP)
        gc.callbacks.append(timer)
        try:
            result.lateness_ms = await _lateness(WINDOW)
        finally:
            gc.callbacks.remove(timer)
        result.collections_ms = timer.pauses
    finally:
        await exporter.stop()
        reading.OFF_LOOP_BYTES = threshold
        gc.unfreeze()
        gc.collect()
    return result


async def measure_stalls(cameras: int, servers: int) -> list[StallResult]:
    port = processes.free_port(servers)
    simulator = processes.start_simulator(cameras, port, servers=servers)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    try:
        await processes.wait_http(f"http://127.0.0.1:{port}/_simulator/state")
        return [await measure_case(cameras, f"http://127.0.0.1:{port}", case) for case in CASES]
    finally:
        sys.setswitchinterval(switch_interval)
        processes.stop(simulator)


def stalls_report(results: list[StallResult]) -> str:
    lines = [
        f"| figure ({WINDOW:.0f} s after {WARM_UP:.0f} s, a {TICK * 1000:.0f} ms timer) | "
        + " | ".join(f"{r.case}, {r.cameras:,} cameras" for r in results)
        + " |",
        "|---|" + "---|" * len(results),
    ]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    row(
        "loop wake-up lateness p50 / p99 / max",
        [
            f"{percentile(r.lateness_ms, 0.5):.1f} / {percentile(r.lateness_ms, 0.99):.1f} / "
            f"{max(r.lateness_ms, default=0):.0f} ms"
            for r in results
        ],
    )
    row(
        "wake-ups later than 20 ms / 50 ms",
        [
            f"{sum(late > 20 for late in r.lateness_ms)} / {sum(late > 50 for late in r.lateness_ms)}"
            for r in results
        ],
    )
    row(
        "full collections (generation 2): count, longest",
        [
            f"{len(r.collections_ms.get(2, []))}, {max(r.collections_ms.get(2, []), default=0):.0f} ms"
            for r in results
        ],
    )
    row(
        "all collections' time in the window",
        [f"{sum(sum(pauses) for pauses in r.collections_ms.values()):.0f} ms" for r in results],
    )
    return "\n".join(lines) + "\n"
