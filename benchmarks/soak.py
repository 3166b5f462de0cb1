"""The fault probes of tests/faults/, run longer: a storm, SIGKILLs, a full and a read-only disk, hostile
bodies against the served process, secrets in every output. Separate processes, 127.0.0.1 only.

    .venv/bin/python benchmarks/soak.py [--seconds 60] [--kills 50] [--only storm kill ...] [--out FILE]

- storm: `eocexporter run` writing one-minute report intervals while 409, 500, 503 and timeouts rain on
  every endpoint for --seconds; every row then compared with a `backfill` of the same window;
- kill: --kills SIGKILLs at random moments while it writes, then every row against a backfill;
- disk: the Parquet root on a tmpfs filled to the last byte, then read-only, each for --seconds / 5
  sink passes (needs root to mount);
- hostile: every kind of hostile body on every polled endpoint, --seconds / 20 rounds (at least one);
- secrets: every command, every credential form, every output searched (as the test does).

Each prints one Markdown table row with its figures and verdict (docs/reliability.md keeps the last run);
the exit code is 1 when any figure is off. Every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "faults")]

from fault_probes import (  # noqa: E402  (the probes live with the tests they back)
    disk_probe,
    hostile_process_probe,
    kill_probe,
    storm_probe,
)
from fault_secrets import secrets_probe  # noqa: E402

PROBES = ("storm", "kill", "disk", "hostile", "secrets")
Row = tuple[str, str, str, bool]  # fault, how, figures, holds


def _rows_figures(sink) -> tuple[str, bool]:
    text = (
        f"{sink.rows_checked:,} rows checked: lost {sink.lost}, duplicates {sink.duplicates}, "
        f"unlike the backfill's {sink.unexpected}; unreadable files {len(sink.files.unreadable)} of "
        f"{sink.files.files:,}, temporary files left {len(sink.files.temporary)}; /metrics "
        f"{sink.availability.answered:,}/{sink.availability.scrapes:,} answered 200 "
        f"({sink.availability.percent:.2f} %); exit code {sink.exit_code}"
    )
    holds = (
        sink.lost == sink.duplicates == sink.unexpected == 0
        and not sink.files.unreadable
        and not sink.files.temporary
        and sink.availability.scrapes > 0
        and sink.availability.percent == 100.0
        and sink.exit_code == 0
    )
    return text, holds


async def storm(workdir: Path, args) -> Row:
    sink = await storm_probe(workdir, seconds=args.seconds)
    text, holds = _rows_figures(sink)
    injected = ", ".join(f"{code}: {count:,}" for code, count in sink.injected.items())
    how = (
        f"`eocexporter run`, 2 servers, 30 cameras, 1-min intervals, 2 h catch-up; {args.seconds:g} s of "
        "500/503 (50 %), 409 bursts, latency past the 1 s timeout, mixed; then `backfill` of the window"
    )
    figures = f"failed requests {injected}; report fetches failed {sink.fetch_errors}; {text}"
    return "API storm", how, figures, holds and sink.fetch_errors > 0


async def kill(workdir: Path, args) -> Row:
    figures = await kill_probe(workdir, kills=args.kills)
    text, holds = _rows_figures(figures.sink)
    how = (
        f"`eocexporter run` SIGKILLed {args.kills} times, each 0-0.3 s after a new file appeared, "
        f"{max(60, 12 * args.kills)} min catch-up; the last run caught up; then `backfill` of the window"
    )
    figures_text = (
        f"{figures.kills} kills; temporary files the kills left (removed at the next start) "
        f"{figures.leftovers_seen}; {text}"
    )
    return "SIGKILL while writing", how, figures_text, holds and figures.kills == args.kills


async def disk(workdir: Path, args) -> Row:
    passes = max(3, int(args.seconds // 5))
    figures = await disk_probe(workdir, failing_passes=passes)
    how = (
        f"root on a 64 MB tmpfs: filled to the last byte, then remounted read-only, each for {passes} "
        "failing passes of every report dataset; then space and write access back; then `backfill`"
    )
    if isinstance(figures, str):
        return "full, then read-only disk", how, f"not run: {figures}", True
    text, holds = _rows_figures(figures.sink)
    summary = (
        f"write errors while full {figures.errors_while_full}, while read-only "
        f"{figures.errors_while_read_only}; logged {figures.logged}; {text}"
    )
    return "full, then read-only disk", how, summary, holds and all(figures.logged.values())


async def hostile(workdir: Path, args) -> Row:
    rounds = max(1, int(args.seconds // 20))
    figures = await hostile_process_probe(workdir, rounds=rounds)
    how = (
        f"`eocexporter run` behind a mutating proxy: 8 kinds of hostile body (null, {{}}, string, number, "
        f"wrong type inside, lone surrogate, 20 MB, repeated list) on every polled endpoint, {rounds} round(s)"
    )
    summary = (
        f"{sum(figures.served.values()):,} hostile answers served; /metrics "
        f"{figures.availability.answered:,}/{figures.availability.scrapes:,} answered 200 with a valid "
        f"exposition ({figures.availability.percent:.2f} %); alive {figures.alive}; recovered "
        f"{figures.recovered}; exit code {figures.exit_code}"
    )
    holds = (
        figures.alive
        and figures.recovered
        and figures.exit_code == 0
        and figures.availability.percent == 100.0
    )
    return "hostile bodies, served process", how, summary, holds


async def secrets(workdir: Path, args) -> Row:
    figures = await secrets_probe(workdir)
    how = (
        f"{sum(figures.commands.values())} runs of {', '.join(sorted(figures.commands))} at log_level debug; "
        f"credentials plain, MD5, in files, AD, Basic and query, S3 key ({'moto' if figures.s3 else 'no S3'}); "
        "servers accepting, refusing, failing, absent, quoting requests"
    )
    summary = (
        f"{figures.forms} forms ({figures.form_kinds} kinds) searched in {figures.outputs} outputs, "
        f"{figures.bytes_searched:,} bytes: hits {len(figures.other_hits)}; with a server quoting requests "
        f"{len(figures.echo_hits)}; probe controls failing {len(figures.controls)}"
    )
    holds = not figures.hits and not figures.controls
    return "secrets in outputs", how, summary, holds


RUNNERS: dict[str, Callable[[Path, argparse.Namespace], Awaitable[Row]]] = {
    "storm": storm,
    "kill": kill,
    "disk": disk,
    "hostile": hostile,
    "secrets": secrets,
}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="storm length; scales disk and hostile")
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--only", nargs="+", choices=PROBES, default=list(PROBES))
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    args = parser.parse_args()
    if args.seconds <= 0 or args.kills < 1:
        parser.error("--seconds and --kills must be positive")
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: `benchmarks/soak.py --seconds {args.seconds:g} "
        f"--kills {args.kills}`; {os.cpu_count()} CPUs, Python {platform.python_version()}.",
        "",
        "| fault | how | figures | holds | time |",
        "|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    failed = []
    for name in args.only:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix=f"soak-{name}-") as workdir:
            try:
                fault, how, figures, holds = await RUNNERS[name](Path(workdir), args)
            except AssertionError as exc:  # a probe that could not finish (bounded waits)
                fault, how, figures, holds = name, "see the probe", f"did not finish: {exc}", False
        row = f"| {fault} | {how} | {figures} | {'yes' if holds else '**no**'} | {time.monotonic() - started:.0f} s |"
        lines.append(row)
        print(row, flush=True)
        if not holds:
            failed.append(fault)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if failed:
        print(f"\nfigures off: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
