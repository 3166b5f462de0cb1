"""Days of Parquet history in seconds, from the built-in simulator, for trying the walk-through.

    python examples/analysis/simulate.py --root week-parquet --days 7
    python examples/analysis/walkthrough.py --root week-parquet --out charts

`eocexporter demo` writes half an hour of history and then a minute at a time; a question per weekday
needs days. This runs the demo's installation (2 servers, 50 cameras, seed 1, Europe/Moscow, target
"demo") on a clock it sets itself: `backfill` fetches the report datasets (object_counts,
visitor_reports) for the whole days, then the exporter takes a camera-status and licence snapshot at
every step (`--snapshot-every`) over the same days, as the live sink would have. With `--grow N` the
installation gains N cameras (with object counting and visitors) spread over the snapshots, so licence
headroom moves; the report datasets, fetched first, do not include them.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from eocexporter.backfill import backfill
from eocexporter.config import load_settings
from eocexporter.exporter import Exporter
from eocexporter.options import parse_duration
from eocexporter.simulator import Installation, SettableClock, SimulatorConfig, running_simulator

# Called at each snapshot after the exporter has collected and before it writes: (instant, installation).
OnSnapshot = Callable[[datetime, Installation], None]


async def simulate(
    root: str | Path,
    *,
    first_day: date,
    days: int,
    report_interval: str = "15m",
    snapshot_every: str = "1h",
    snapshots_from: datetime | None = None,
    snapshots_until: datetime | None = None,
    grow: int = 0,
    servers: int = 2,
    cameras: int = 50,
    seed: int = 1,
    timezone: str = "Europe/Moscow",
    target: str = "demo",
    on_snapshot: OnSnapshot | None = None,
    progress: TextIO | None = None,
) -> Installation:
    """Write `days` local days from `first_day` of report history under `root`, and snapshots every
    `snapshot_every` from `snapshots_from` (default: the first day's midnight) until `snapshots_until`
    (default: the last day's end), exclusive. Returns the simulated installation (its clock stands at
    the last snapshot)."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(first_day, time(0), tzinfo=zone)
    end = datetime.combine(first_day + timedelta(days=days), time(0), tzinfo=zone)
    snapshots_from = snapshots_from or start
    snapshots_until = snapshots_until or end
    step = timedelta(seconds=parse_duration(snapshot_every))
    clock = SettableClock(max(end, snapshots_until))
    config = SimulatorConfig(
        servers=servers, cameras=cameras, seed=seed, timezone=timezone, port=0, clock=clock
    )
    async with running_simulator(config) as sim:

        def settings(**parquet: Any):
            options = {"name": target, "url": sim.main_url, "username": "root", "password": ""}
            options.update(timezone=timezone, politeness={"first_run_spread": 0})
            return load_settings(None, targets=[options], parquet={"root": str(root), **parquet})

        # The report datasets: every interval of the days, fetched as `eocexporter backfill` does.
        result = await backfill(
            settings(report_interval=report_interval),
            start,
            end,
            now=clock.now,
            progress_stream=progress or io.StringIO(),
        )
        if result.failed or result.unanswerable:
            raise RuntimeError(f"backfill: {result}")
        # The snapshot datasets have no history in the API: take them as the live sink would have.
        snapshots = settings(
            datasets={
                "object_counts": {"enabled": False},
                "visitor_reports": {"enabled": False},
                "camera_status": {"interval": snapshot_every},
                "license_usage": {"interval": snapshot_every},
            }
        )
        exporter = Exporter(snapshots, now=clock.now)
        moments = []
        moment = snapshots_from.astimezone(UTC)  # steps of elapsed time, whatever daylight saving does
        while moment < snapshots_until:
            moments.append(moment)
            moment += step
        # Each added camera joins the next server in turn, at evenly spread snapshots.
        growth = [moments[len(moments) * (n + 1) // (grow + 1)] for n in range(grow)] if moments else []
        try:
            for moment in moments:
                clock.set(moment)
                for _ in range(growth.count(moment)):
                    added = len(sim.installation.cameras) - cameras
                    server = sim.installation.servers[added % servers]
                    sim.installation.add_camera(server.id, object_counting=True, visitors=True)
                if not await exporter.collect_once():
                    raise RuntimeError(f"a collector failed at {moment.isoformat()}")
                if on_snapshot is not None:
                    on_snapshot(moment, sim.installation)
                await exporter.write_parquet_once()
        finally:
            await exporter.stop()
        return sim.installation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default="simulated-parquet", help="the Parquet root to write")
    parser.add_argument("--days", type=int, default=7, help="whole local days of history")
    parser.add_argument(
        "--first-day",
        type=date.fromisoformat,
        help="the first local day (YYYY-MM-DD); default: the days ending at today's midnight",
    )
    parser.add_argument("--report-interval", default="15m", help="parquet.report_interval")
    parser.add_argument("--snapshot-every", default="1h", help="camera-status and licence snapshots")
    parser.add_argument("--grow", type=int, default=0, help="cameras added while the snapshots are taken")
    parser.add_argument("--cameras", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timezone", default="Europe/Moscow")
    args = parser.parse_args(argv)
    first_day = args.first_day or datetime.now(ZoneInfo(args.timezone)).date() - timedelta(days=args.days)
    asyncio.run(
        simulate(
            args.root,
            first_day=first_day,
            days=args.days,
            report_interval=args.report_interval,
            snapshot_every=args.snapshot_every,
            grow=args.grow,
            cameras=args.cameras,
            seed=args.seed,
            timezone=args.timezone,
            progress=sys.stderr,
        )
    )
    print(f"{args.root}: {args.days} day(s) from {first_day.isoformat()} ({args.timezone})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
