"""Command line: ``eocexporter run | once | check-config | simulate | demo``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from eocexporter import __version__
from eocexporter.config import DEFAULT_PORT, ConfigError, Settings, load_settings, split_listen
from eocexporter.exporter import Exporter
from eocexporter.parquet.datasets import DATASETS, REPORT_DATASETS
from eocexporter.registry import enabled_jobs
from eocexporter.server import create_app, start_site
from eocexporter.web import WebConfigError, WebGuard, load_web_config

log = logging.getLogger("eocexporter")

EXIT_CONFIG = 2

DEMO_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"

GIL_SWITCH_INTERVAL = 0.001  # seconds; see _run


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
    _web_config_argument(run)
    run.set_defaults(handler=_run)

    once = commands.add_parser("once", help="collect once from every target, print the exposition, exit")
    _config_argument(once)
    _shard_arguments(once)
    once.set_defaults(handler=_once)

    check = commands.add_parser("check-config", help="validate the configuration and exit")
    _config_argument(check)
    _web_config_argument(check)
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
    _web_config_argument(demo)
    demo.set_defaults(handler=_demo)
    return parser


def _shard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard-index", metavar="N", help="this replica's shard, 0-based, or a pod name ending in -N"
    )
    parser.add_argument("--shard-count", type=int, metavar="N", help="how many replicas share the work")


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="FILE", help="YAML configuration file")


def _web_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--web.config.file",
        dest="web_config_file",
        type=Path,
        metavar="FILE",
        default=os.environ.get("EOCEXPORTER_WEB_CONFIG_FILE") or None,
        help="web configuration file (Prometheus exporter-toolkit format): TLS, basic auth, security "
        "headers; default $EOCEXPORTER_WEB_CONFIG_FILE; without it plain HTTP, no authentication "
        "(docs/security.md)",
    )


def _web_guard(args: argparse.Namespace) -> WebGuard | None:
    """The web config of ``--web.config.file``, or None; raises WebConfigError."""
    return WebGuard(args.web_config_file) if args.web_config_file is not None else None


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
    try:
        web = load_web_config(args.web_config_file) if args.web_config_file is not None else None
    except WebConfigError as exc:
        print(f"eocexporter: {exc}", file=sys.stderr)
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
    if web is not None:
        print(f"web config OK: {web.summary()}")
        for warning in web.warnings:
            print(f"warning: web config: {warning}", file=sys.stderr)
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
    from eocexporter.backfill import BackfillError, backfill  # pyarrow only where Parquet is written

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
    from eocexporter.parquet.compaction import compact_day  # pyarrow only where Parquet is written
    from eocexporter.parquet.storage import ParquetStore, StoreError

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
    flags = {"listen": args.listen, "shard_index": args.shard_index, "shard_count": args.shard_count}
    settings = _load(args, **flags)
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level)
    try:
        web = _web_guard(args)
    except WebConfigError as exc:
        print(f"eocexporter: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    host, port = split_listen(settings.listen)
    if not settings.targets:
        log.warning("no targets configured; serving only the exporter's own metrics")

    def reloaded() -> Settings:
        # The same sources as at start: the file (read again), the environment, the flags.
        settings = load_settings(args.config, **flags)
        logging.getLogger().setLevel(settings.log_level.upper())
        return settings

    # Renders run in a worker thread and hold the GIL while they encode; the event loop then waits up to
    # the switch interval each time it needs the GIL back, and a scrape needs it once per slice it sends.
    # 1 ms instead of Python's 5 ms bounds that wait where scrapes feel it, for a few more switches.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    return asyncio.run(_serve(Exporter(settings, load=reloaded), host, port, web))


async def _serve(exporter: Exporter, host: str, port: int, web: WebGuard | None = None) -> int:
    app = create_app(
        exporter, middlewares=[web.middleware] if web else [], on_prepare=[web.add_headers] if web else []
    )
    if web is not None:

        async def close_web(_: object) -> None:
            web.close()

        app.on_cleanup.append(close_web)
    try:
        runner, bound = await start_site(app, host, port, web.ssl_context if web else None)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc.strerror or exc)
        await exporter.stop()
        return 1
    log.info(
        "eocexporter %s serving %s://%s:%s/metrics for %d target(s) (%s)",
        __version__,
        web.scheme if web else "http",
        _display_host(host),
        bound,
        len(exporter.runtimes),
        web.config.summary() if web else "no web config: no TLS, no authentication",
    )
    exporter.start()
    try:
        await _until_signalled(exporter)
    finally:
        log.info("shutting down")
        await exporter.stop()
        await runner.cleanup()
    return 0


def _display_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def _until_signalled(exporter: Exporter) -> None:
    """Until SIGINT or SIGTERM; SIGHUP reloads the configuration, as Prometheus does."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    reloads: set[asyncio.Task[str | None]] = set()

    def reload() -> None:
        log.info("SIGHUP: reloading the configuration")
        task = asyncio.create_task(exporter.reload())
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    for signum, handler in ((signal.SIGINT, stop.set), (signal.SIGTERM, stop.set), (signal.SIGHUP, reload)):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, handler)
    await stop.wait()


def _demo(args: argparse.Namespace) -> int:
    from eocexporter.simulator import SimulatorConfig, running_simulator

    try:
        host, port = split_listen(args.listen)
    except ValueError as exc:
        print(f"eocexporter: --listen: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging("info")
    try:
        web = _web_guard(args)
    except WebConfigError as exc:
        print(f"eocexporter: {exc}", file=sys.stderr)
        return EXIT_CONFIG

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
            return await _serve(Exporter(settings), host, port, web)

    return asyncio.run(demo())


if __name__ == "__main__":
    sys.exit(main())
