"""Command line: ``eocexporter run | once | check-config | simulate | demo``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from eocexporter import __version__
from eocexporter.backfill import BackfillError, backfill
from eocexporter.config import DEFAULT_PORT, ConfigError, Settings, load_settings, split_listen
from eocexporter.exporter import Exporter
from eocexporter.parquet.compaction import compact_day
from eocexporter.parquet.schemas import DATASETS, REPORT_DATASETS
from eocexporter.parquet.storage import ParquetStore, StoreError
from eocexporter.registry import enabled_jobs
from eocexporter.server import create_app, start_site

log = logging.getLogger("eocexporter")

EXIT_CONFIG = 2

DEMO_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_CONFIG
    return int(args.handler(args))


def _parser() -> argparse.ArgumentParser:
    from eocexporter.simulator.cli import add_simulate_arguments, run_simulate
    from eocexporter.simulator.variants import PROFILES

    parser = argparse.ArgumentParser(prog="eocexporter", description="Prometheus exporter for Eocortex.")
    parser.add_argument("--version", action="version", version=f"eocexporter {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser("run", help="run the exporter")
    _config_argument(run)
    run.add_argument(
        "--listen", metavar="HOST:PORT", help=f"where to serve /metrics (default 0.0.0.0:{DEFAULT_PORT})"
    )
    _shard_arguments(run)
    run.set_defaults(handler=_run)

    once = commands.add_parser("once", help="collect once from every target, print the exposition, exit")
    _config_argument(once)
    _shard_arguments(once)
    once.set_defaults(handler=_once)

    check = commands.add_parser("check-config", help="validate the configuration and exit")
    _config_argument(check)
    check.set_defaults(handler=_check_config)

    backfill = commands.add_parser("backfill", help="fetch report history into the Parquet layout")
    _config_argument(backfill)
    backfill.add_argument(
        "--from",
        dest="start",
        required=True,
        type=_instant,
        metavar="TIME",
        help="ISO 8601, e.g. 2026-11-01T00:00+03:00 (without an offset: UTC)",
    )
    backfill.add_argument("--to", dest="end", required=True, type=_instant, metavar="TIME")
    backfill.add_argument(
        "--dataset", action="append", choices=REPORT_DATASETS, help="repeatable; default all"
    )
    backfill.add_argument("--target", action="append", metavar="NAME", help="repeatable; default all")
    backfill.set_defaults(handler=_backfill)

    compact = commands.add_parser(
        "compact", help="merge a day's Parquet files into one per dataset and target"
    )
    _config_argument(compact)
    compact.add_argument(
        "--date",
        required=True,
        type=date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="the (UTC) date partition to compact",
    )
    compact.add_argument("--dataset", action="append", choices=DATASETS, help="repeatable; default all")
    compact.set_defaults(handler=_compact)

    simulate = commands.add_parser("simulate", help="run the built-in Eocortex simulator")
    add_simulate_arguments(simulate)
    simulate.set_defaults(handler=run_simulate)

    demo = commands.add_parser("demo", help="run the simulator and the exporter together, ready to scrape")
    demo.add_argument("--listen", metavar="HOST:PORT", default=DEMO_LISTEN, help=f"default {DEMO_LISTEN}")
    demo.add_argument("--servers", type=_positive, default=2, help="simulated servers (default 2)")
    demo.add_argument("--cameras", type=_positive, default=50, help="simulated cameras (default 50)")
    demo.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    demo.add_argument("--timezone", default="Europe/Moscow", help="simulated servers' time zone")
    demo.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="reference",
        help="reference: the simulator answers as the reference prints; real-world: as installations do "
        "(other addresses, nulls, unknown values, an older server, refused cameras; docs/simulator.md)",
    )
    demo.set_defaults(handler=_demo)
    return parser


def _shard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard-index", metavar="N", help="this replica's shard, 0-based, or a pod name ending in -N"
    )
    parser.add_argument("--shard-count", type=int, metavar="N", help="how many replicas share the work")


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="YAML configuration file")


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("expected an ISO 8601 time such as 2026-11-01T00:00+03:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _load(args: argparse.Namespace, **overrides: object) -> Settings | None:
    try:
        return load_settings(args.config, **overrides)
    except ConfigError as exc:
        print(f"eocexporter: config error: {exc}", file=sys.stderr)
        return None


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    # aiohttp's access log would print every scrape; its client never logs URLs at these levels.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


def _check_config(args: argparse.Namespace) -> int:
    settings = _load(args)
    if settings is None:
        return EXIT_CONFIG
    enabled = [job.name for job in enabled_jobs(settings.collectors)]
    names = ", ".join(target.name for target in settings.targets) or "none"
    print(
        f"config OK: {len(settings.targets)} target(s) ({names}); collectors: {', '.join(enabled)}; "
        f"listen {settings.listen}"
    )
    if not settings.targets:
        print(
            "warning: no targets configured; the exporter would serve only its own metrics", file=sys.stderr
        )
    return 0


def _once(args: argparse.Namespace) -> int:
    settings = _load(args)
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level)

    async def collect() -> tuple[bool, bytes]:
        exporter = Exporter(settings)
        try:
            ok = await exporter.collect_once()
            return ok, exporter.exposition.body
        finally:
            await exporter.stop()

    ok, body = asyncio.run(collect())
    sys.stdout.buffer.write(body)
    sys.stdout.flush()
    return 0 if ok else 1


def _backfill(args: argparse.Namespace) -> int:
    settings = _load(args)
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level)
    if args.start >= args.end:
        print("eocexporter: backfill: --from must be earlier than --to", file=sys.stderr)
        return EXIT_CONFIG
    try:
        result = asyncio.run(backfill(settings, args.start, args.end, args.dataset, args.target))
    except BackfillError as exc:
        print(f"eocexporter: backfill: {exc}", file=sys.stderr)
        return 1
    print(
        f"backfill: {result.written} interval(s) written, {result.skipped} already present, "
        f"{result.unanswerable} the API cannot be asked about, {result.failed} failed",
        file=sys.stderr,
    )
    return 0 if not result.failed else 1


def _compact(args: argparse.Namespace) -> int:
    settings = _load(args)
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level)
    if not settings.parquet.enabled:
        print("eocexporter: compact: parquet.root is not set", file=sys.stderr)
        return EXIT_CONFIG
    store = ParquetStore(settings.parquet)
    try:
        for dataset in args.dataset or DATASETS:
            for result in compact_day(store, dataset, args.date):
                print(
                    f"compact: {dataset} {result.target} {args.date}: {result.files_before} file(s) -> 1, "
                    f"{result.rows} rows",
                    file=sys.stderr,
                )
    except StoreError as exc:
        print(f"eocexporter: compact: {exc}", file=sys.stderr)
        return 1
    return 0


def _run(args: argparse.Namespace) -> int:
    settings = _load(args, listen=args.listen, shard_index=args.shard_index, shard_count=args.shard_count)
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level)
    host, port = split_listen(settings.listen)
    if not settings.targets:
        log.warning("no targets configured; serving only the exporter's own metrics")
    return asyncio.run(_serve(Exporter(settings), host, port))


async def _serve(exporter: Exporter, host: str, port: int) -> int:
    try:
        runner, bound = await start_site(create_app(exporter), host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc.strerror or exc)
        await exporter.stop()
        return 1
    log.info(
        "eocexporter %s serving http://%s:%s/metrics for %d target(s)",
        __version__,
        _display_host(host),
        bound,
        len(exporter.runtimes),
    )
    exporter.start()
    try:
        await _until_signalled()
    finally:
        log.info("shutting down")
        await exporter.stop()
        await runner.cleanup()
    return 0


def _display_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def _demo(args: argparse.Namespace) -> int:
    from eocexporter.simulator import SimulatorConfig, running_simulator

    try:
        host, port = split_listen(args.listen)
    except ValueError as exc:
        print(f"eocexporter: --listen: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging("info")

    async def demo() -> int:
        simulation = SimulatorConfig(
            servers=args.servers,
            cameras=args.cameras,
            seed=args.seed,
            timezone=args.timezone,
            host="127.0.0.1",
            port=0,
            profile=args.profile,
        )
        async with running_simulator(simulation) as sim:
            log.info(
                "simulator: main server %s, %d server(s), %d camera(s), profile %s",
                sim.main_url,
                args.servers,
                args.cameras,
                args.profile,
            )
            settings = load_settings(
                None,
                listen=args.listen,
                targets=[
                    {
                        "name": "demo",
                        "url": sim.main_url,
                        "username": "root",
                        "password": "",
                        "timezone": args.timezone,
                    }
                ],
            )
            return await _serve(Exporter(settings), host, port)

    return asyncio.run(demo())


if __name__ == "__main__":
    sys.exit(main())
