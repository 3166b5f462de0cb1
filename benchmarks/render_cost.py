"""What one render costs: from scratch, with nothing changed, and after 1% of the cameras changed.

The exporter (default configuration, every collector on) runs in this process against a simulator
process until every collector has run once; its snapshot is then rendered three ways with one
:class:`~eocexporter.exposition.RenderCache`, as the publisher renders: CPU time of the encode and gzip
stages, best of three.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field
from pathlib import Path

import processes

from eocexporter.config import load_settings
from eocexporter.exporter import Exporter
from eocexporter.exposition import RenderCache, build_exposition
from eocexporter.model import CamerasSection
from eocexporter.registry import COLLECTORS
from eocexporter.snapshot import ExporterSnapshot, Sections

# Long enough for a first run of every collector at 50,000 cameras on this machine.
SLOW = {"interval": 600}


@dataclass
class RenderResult:
    cameras: int
    series: int = 0
    size: int = 0
    stages: dict[str, dict[str, float]] = field(default_factory=dict)  # case -> stage -> CPU s


def best_of(render, times: int = 3) -> dict[str, float]:
    best: dict[str, float] | None = None
    for _ in range(times):
        exposition = render()
        stages = dict(exposition.cpu_seconds)
        if best is None or sum(stages.values()) < sum(best.values()):
            best = stages
    assert best is not None
    return best


def with_changed_cameras(snapshot: ExporterSnapshot, share: float, seed: int = 1) -> ExporterSnapshot:
    """The snapshot after a camera cycle in which ``share`` of the cameras changed status (new section
    objects, as a real cycle makes; the rest of the statuses equal)."""
    rng = random.Random(seed)
    targets = []
    for target in snapshot.targets:
        by_server = dict(target.sections.of(CamerasSection))
        for server_id, section in by_server.items():
            statuses = list(section.statuses)
            for index in rng.sample(range(len(statuses)), max(1, int(len(statuses) * share))):
                status = statuses[index]
                statuses[index] = dataclasses.replace(
                    status, status="ErrorMain" if status.status != "ErrorMain" else "OK"
                )
            by_server[server_id] = dataclasses.replace(section, statuses=tuple(statuses))
        by_type = {**target.sections.by_type, CamerasSection: by_server}
        targets.append(dataclasses.replace(target, sections=Sections(by_type, target.sections.stale)))
    return dataclasses.replace(snapshot, targets=tuple(targets))


async def measure_render(cameras: int, servers: int, workdir: Path) -> RenderResult:
    result = RenderResult(cameras)
    port = processes.free_port(servers)
    simulator = processes.start_simulator(cameras, port, servers=servers)
    try:
        await processes.wait_http(f"http://127.0.0.1:{port}/_simulator/state")
        settings = load_settings(
            None,
            targets=[{"name": "bench", "url": f"http://127.0.0.1:{port}", "timezone": "Europe/Moscow"}],
            collectors={entry.name: SLOW for entry in COLLECTORS} | {"discovery": SLOW},
        )
        exporter = Exporter(settings)
        try:
            await exporter.collect_once()
            snapshot = exporter.snapshot()
        finally:
            await exporter.stop()
    finally:
        processes.stop(simulator)
    full = build_exposition(snapshot, COLLECTORS)
    result.size = full.size
    result.series = sum(chunk.count(b"\n") - chunk.count(b"\n#") for chunk in full.chunks)
    result.stages["from scratch"] = best_of(lambda: build_exposition(snapshot, COLLECTORS))
    cache = RenderCache()
    build_exposition(snapshot, COLLECTORS, cache)
    result.stages["nothing changed"] = best_of(lambda: build_exposition(snapshot, COLLECTORS, cache))

    def one_percent():
        build_exposition(snapshot, COLLECTORS, cache)  # back to the cached state first
        exposition = build_exposition(changed, COLLECTORS, cache)
        assert exposition.body == fresh_body, "a cached render differs from one from scratch"
        return exposition

    changed = with_changed_cameras(snapshot, 0.01)
    fresh_body = build_exposition(changed, COLLECTORS).body

    result.stages["1% of cameras changed"] = best_of(one_percent)
    return result


def render_report(results: list[RenderResult]) -> str:
    cases = list(results[0].stages)
    lines = [
        "| render (CPU, best of 3) | " + " | ".join(f"{r.cameras:,} cameras" for r in results) + " |",
        "|---|" + "---|" * len(results),
        "| series / text | " + " | ".join(f"{r.series:,} / {r.size / 2**20:.1f} MiB" for r in results) + " |",
    ]
    for case in cases:
        lines.append(
            f"| {case}: encode + gzip | "
            + " | ".join(
                f"{r.stages[case]['encode'] * 1000:.0f} + {r.stages[case]['gzip'] * 1000:.0f} ms"
                for r in results
            )
            + " |"
        )
    return "\n".join(lines) + "\n"
