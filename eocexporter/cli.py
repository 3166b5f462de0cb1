"""Command line: ``eocexporter run | once | check-config | backfill | compact | simulate | demo``."""

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
from typing import Any

from eocexporter import __version__
from eocexporter.config import (
    DEFAULT_LISTEN,
    DEFAULT_PORT,
    ConfigError,
    Settings,
    load_settings,
    split_listen,
)
from eocexporter.exporter import Exporter
from eocexporter.heap import HeapFreezer
from eocexporter.logs import configure_logging, startup_summary_lines
from eocexporter.parquet.datasets import DATASETS, REPORT_DATASETS
from eocexporter.registry import enabled_jobs
from eocexporter.server import create_app, start_site
from eocexporter.web import WebConfigError, WebGuard, load_web_config

log = logging.getLogger("eocexporter")

# Exit codes (README, "Exit codes"): 0 success; 1 a runtime failure (a target that failed, a port taken, a
# write that failed); 2 a usage or configuration error, found before any work was done.
EXIT_RUNTIME = 1
EXIT_CONFIG = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped with Ctrl-C

DEMO_LISTEN = f"127.0.0.1:{DEFAULT_PORT}"
DEMO_SIMULATOR_LISTEN = "127.0.0.1:0"  # a free port: the demo's exporter is told where
DEMO_PARQUET_ROOT = "demo-parquet"  # under the current directory, where `make demo` runs
DEMO_CATCH_UP = "30m"

GIL_SWITCH_INTERVAL = 0.001  # seconds; see _run


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_CONFIG
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        # Ctrl-C in a command that is not a server (run and demo stop cleanly on SIGINT themselves):
        # one line, not a traceback. Whatever a command wrote before is whole (files are replaced
        # atomically), and backfill and compact pick up where they stopped when run again.
        print(f"eocexporter: {args.command}: interrupted; what was written is kept", file=sys.stderr)
        return EXIT_INTERRUPTED


def _parser() -> argparse.ArgumentParser:
    from eocexporter.simulator.cli import add_simulate_arguments, run_simulate
    from eocexporter.simulator.variants import PROFILES

    parser = argparse.ArgumentParser(prog="eocexporter", description="Prometheus exporter for Eocortex.")
    parser.add_argument("--version", action="version", version=f"eocexporter {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, formatter_class=_HelpWithDefaults)

    run = command("run", "run the exporter")
    _config_argument(run)
    run.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help=f"where to serve /metrics (default: the listen setting, {DEFAULT_LISTEN})",
    )
    _shard_arguments(run)
    _web_config_argument(run)
    _log_format_argument(run)
    run.set_defaults(handler=_run)

    once = command("once", "collect once from every target, print the exposition, exit")
    _config_argument(once)
    _shard_arguments(once)
    _log_format_argument(once)
    once.set_defaults(handler=_once)

    check = command("check-config", "validate the configuration (and that the Parquet root is writable)")
    _config_argument(check)
    _web_config_argument(check)
    check.set_defaults(handler=_check_config)

    backfill = command("backfill", "fetch report history into the Parquet layout")
    _config_argument(backfill)
    backfill.add_argument(
        "--from",
        dest="start",
        required=True,
        type=_instant,
        metavar="TIME",
        help=f"the first instant to fetch: {_INSTANT_FORMS}",
    )
    backfill.add_argument(
        "--to",
        dest="end",
        required=True,
        type=_instant,
        metavar="TIME",
        help=f"the instant to fetch up to (excluded), later than --from: {_INSTANT_FORMS}",
    )
    backfill.add_argument(
        "--dataset", action="append", choices=REPORT_DATASETS, help="repeatable (default: all)"
    )
    backfill.add_argument(
        "--target", action="append", metavar="NAME", help="a configured target; repeatable (default: all)"
    )
    _log_format_argument(backfill)
    backfill.set_defaults(handler=_backfill)

    compact = command("compact", "merge a day's Parquet files into one per dataset and target")
    _config_argument(compact)
    compact.add_argument(
        "--date",
        required=True,
        type=_day,
        metavar="YYYY-MM-DD",
        help="the (UTC) date partition to compact, before today",
    )
    compact.add_argument("--dataset", action="append", choices=DATASETS, help="repeatable (default: all)")
    compact.add_argument(
        "--force",
        action="store_true",
        help="compact today's (UTC) partition although the exporter is still writing it: its later files "
        "stay beside the compacted one until the next compaction",
    )
    _log_format_argument(compact)
    compact.set_defaults(handler=_compact)

    simulate = command("simulate", "run the built-in Eocortex simulator")
    add_simulate_arguments(simulate)
    simulate.set_defaults(handler=run_simulate)

    demo = command("demo", "run the simulator and the exporter together, ready to scrape")
    demo.add_argument("--listen", metavar="HOST:PORT", default=DEMO_LISTEN, help="where to serve /metrics")
    demo.add_argument(
        "--simulator-listen",
        metavar="HOST:PORT",
        default=DEMO_SIMULATOR_LISTEN,
        help="the simulator's main server (further servers on the following ports; port 0: free ports)",
    )
    demo.add_argument(
        "--parquet-root",
        metavar="DIR",
        default=DEMO_PARQUET_ROOT,
        help="where the demo writes Parquet, with 1-minute report intervals and the last "
        f"{DEMO_CATCH_UP} of history at start ('': none)",
    )
    demo.add_argument("--servers", type=_positive, default=2, help="simulated servers")
    demo.add_argument("--cameras", type=_positive, default=50, help="simulated cameras")
    demo.add_argument("--seed", type=int, default=1, help="simulation seed")
    demo.add_argument("--timezone", default="Europe/Moscow", help="simulated servers' time zone")
    demo.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="reference",
        help="reference: the simulator answers as the reference prints; real-world: as installations do "
        "(other addresses, nulls, unknown values, an older server, refused cameras; docs/simulator.md)",
    )
    _web_config_argument(demo)
    _log_format_argument(demo)
    demo.set_defaults(handler=_demo)
    return parser


class _HelpWithDefaults(argparse.HelpFormatter):
    """Every option's help ends with its default, unless it says it already or there is none to say."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if "default" in text or default is None or default is False or default is argparse.SUPPRESS:
            return text
        if default == [] or not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


def _log_format_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        type=str.lower,
        help="text, or json: one JSON object per line (default: the log_format setting, text; "
        "docs/logging.md)",
    )


def _shard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shard-index",
        metavar="N",
        help="this replica's shard, 0-based, or a pod name ending in -N (default: the shard_index setting, 0)",
    )
    parser.add_argument(
        "--shard-count",
        type=int,
        metavar="N",
        help="how many replicas share the work (default: the shard_count setting, 1)",
    )


def _config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="YAML configuration file (default: none; EOCEXPORTER_* variables and defaults only)",
    )


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


_INSTANT_FORMS = (
    "ISO 8601, YYYY-MM-DD[THH:MM[:SS]][+HH:MM], e.g. 2026-11-01 or 2026-11-01T08:00+03:00 (no offset: UTC)"
)


def _instant(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time; use {_INSTANT_FORMS}") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-11-29") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _load(args: argparse.Namespace, **overrides: Any) -> Settings | None:
    """The settings, with the command's flags over the environment and the file; None (and the error
    printed in one line) if they cannot be used."""
    if getattr(args, "log_format", None) is not None:
        overrides.setdefault("log_format", args.log_format)
    try:
        return load_settings(args.config, **overrides)
    except ConfigError as exc:
        print(f"eocexporter: config error: {exc}", file=sys.stderr)
        return None


def _parquet_problem(settings: Settings) -> str | None:
    """Why the Parquet root cannot be written (one line naming it), or None: off, or writable."""
    if not settings.parquet.enabled:
        return None
    from eocexporter.parquet.storage import ParquetStore, StoreError  # pyarrow only where Parquet is on

    try:
        ParquetStore(settings.parquet).check_writable()
    except StoreError as exc:
        return str(exc)
    return None


def _check_config(args: argparse.Namespace) -> int:
    settings = _load(args)
    if settings is None:
        return EXIT_CONFIG
    try:
        web = load_web_config(args.web_config_file) if args.web_config_file is not None else None
    except WebConfigError as exc:
        print(f"eocexporter: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    problem = _parquet_problem(settings)
    if problem is not None:
        print(f"eocexporter: config error: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    enabled = [job.name for job in enabled_jobs(settings.collectors)]
    names = ", ".join(target.name for target in settings.targets) or "none"
    parquet = f"writing to {settings.parquet.location}" if settings.parquet.enabled else "off"
    print(
        f"config OK: {len(settings.targets)} target(s) ({names}); collectors: {', '.join(enabled)}; "
        f"parquet: {parquet}; listen {settings.listen}"
    )
    for index, target in enumerate(settings.targets):
        if not target.secret():
            # Allowed (a fresh Eocortex's root has none), but seldom meant outside a lab.
            print(f"warning: targets.{index} ({target.name}): the password is empty", file=sys.stderr)
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
    # The shard flags as `run` takes them: `once` in a replica's container collects that replica's share.
    settings = _load(args, shard_index=args.shard_index, shard_count=args.shard_count)
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level, settings.log_format)

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
    return 0 if ok else EXIT_RUNTIME


def _backfill(args: argparse.Namespace) -> int:
    settings = _load(args)
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level, settings.log_format)
    if args.start >= args.end:
        print("eocexporter: backfill: --from must be earlier than --to", file=sys.stderr)
        return EXIT_CONFIG
    # pyarrow only where Parquet is written
    from eocexporter.backfill import BackfillError, BackfillUsageError, backfill

    # Under log_format json every line on stderr is a JSON object: progress, failures and the summary are
    # log records then (eocexporter.parquet.backfill), not text between them.
    as_records = settings.log_format == "json"

    def say(line: str, level: int) -> None:
        if as_records:
            logging.getLogger("eocexporter.backfill").log(level, "%s", line)
        else:
            print(line, file=sys.stderr)

    try:
        result = asyncio.run(
            backfill(
                settings,
                args.start,
                args.end,
                args.dataset,
                args.target,
                progress_stream=None if as_records else sys.stderr,
            )
        )
    except BackfillUsageError as exc:  # the request or the configuration: nothing was asked
        say(f"eocexporter: backfill: {exc}", logging.ERROR)
        return EXIT_CONFIG
    except BackfillError as exc:  # e.g. a target's discovery failed
        say(f"eocexporter: backfill: {exc}", logging.ERROR)
        return EXIT_RUNTIME
    first, *problems = result.summary()
    say(first, logging.INFO if result.complete else logging.WARNING)
    for line in problems:
        say(line, logging.WARNING)
    return 0 if result.complete else EXIT_RUNTIME


def _compact(args: argparse.Namespace) -> int:
    settings = _load(args)
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level, settings.log_format)
    if not settings.parquet.enabled:
        print("eocexporter: compact: parquet.root is not set", file=sys.stderr)
        return EXIT_CONFIG
    today = datetime.now(UTC).date()
    if args.date >= today and not args.force:
        print(
            f"eocexporter: compact: {args.date} is {'today' if args.date == today else 'in the future'} "
            "(UTC): the exporter is still writing that partition; compact it once the day is over, or "
            "pass --force",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    from eocexporter.parquet.compaction import compact_day  # pyarrow only where Parquet is written
    from eocexporter.parquet.storage import ParquetStore, StoreError

    store = ParquetStore(settings.parquet)
    if store.local and not Path(store.base).is_dir():
        print(f"eocexporter: compact: parquet.root {store.root} does not exist", file=sys.stderr)
        return EXIT_CONFIG
    datasets = args.dataset or DATASETS
    found = compacted = 0
    try:
        for dataset in datasets:
            found += len(store.list(dataset, args.date))
            for result in compact_day(store, dataset, args.date):
                compacted += 1
                print(
                    f"compact: {dataset} {result.target} {args.date}: {result.files_before} file(s) -> 1, "
                    f"{result.rows} rows",
                    file=sys.stderr,
                )
    except StoreError as exc:
        print(f"eocexporter: compact: {exc}", file=sys.stderr)
        return EXIT_RUNTIME
    if not found:
        # Not a failure (a day the exporter did not run), but never silence: a mistyped date looks alike.
        print(
            f"compact: no Parquet files for {args.date} under {store.root} ({', '.join(datasets)})",
            file=sys.stderr,
        )
    elif not compacted:
        print(f"compact: {args.date} is already compacted under {store.root}", file=sys.stderr)
    return 0


def _run(args: argparse.Namespace) -> int:
    flags = {
        "listen": args.listen,
        "shard_index": args.shard_index,
        "shard_count": args.shard_count,
        "log_format": args.log_format,
    }
    settings = _load(args, **flags)
    if settings is None:
        return EXIT_CONFIG
    configure_logging(settings.log_level, settings.log_format)
    try:
        web = _web_guard(args)
    except WebConfigError as exc:
        print(f"eocexporter: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    problem = _parquet_problem(settings)
    if problem is not None and not settings.parquet.on_s3:
        # A local root that cannot be written is a configuration error: say it now, not once per file.
        print(f"eocexporter: config error: {problem}", file=sys.stderr)
        return EXIT_CONFIG
    if problem is not None:
        # A store across the network may come back: the sink retries, and counts each failed write.
        log.warning("%s; the Parquet sink will retry", problem)
    host, port = split_listen(settings.listen)

    def reloaded() -> Settings:
        # The same sources as at start: the file (read again), the environment, the flags.
        settings = load_settings(args.config, **flags)
        logging.getLogger().setLevel(settings.log_level.upper())
        return settings

    # Renders run in a worker thread and hold the GIL while they encode; the event loop then waits up to
    # the switch interval each time it needs the GIL back, and a scrape needs it once per slice it sends.
    # 1 ms instead of Python's 5 ms bounds that wait where scrapes feel it, for a few more switches.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)
    # Full garbage collections would stall every scrape for ~100 ms at 10,000 cameras (eocexporter.heap).
    heap = HeapFreezer()
    return asyncio.run(
        _serve(Exporter(settings, load=reloaded, after_publish=heap.after_publish), host, port, web)
    )


async def _serve(exporter: Exporter, host: str, port: int, web: WebGuard | None = None) -> int:
    for line in startup_summary_lines(exporter.settings):
        log.info("%s", line)
    if not exporter.settings.targets:
        log.warning("no targets configured; serving only the exporter's own metrics")
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
        return EXIT_RUNTIME
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
    try:
        sim_host, sim_port = split_listen(args.simulator_listen)
    except ValueError as exc:
        print(f"eocexporter: --simulator-listen: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    configure_logging("info", args.log_format or "text")
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
            host=sim_host,
            port=sim_port,
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
                        # All at once: a demo is ready in seconds, and spares one simulator nothing.
                        "politeness": {"first_run_spread": 0},
                    }
                ],
                parquet=_demo_parquet(args.parquet_root),
            )
            return await _serve(Exporter(settings), host, port, web)

    return asyncio.run(demo())


def _demo_parquet(root: str) -> dict[str, Any] | None:
    """The demo's Parquet options: files within a minute or two, and half an hour of history at once, so an
    analyst has something to read before the first coffee (docs/parquet.md)."""
    if not root:
        return None
    return {
        "root": str(Path(root).absolute()),
        "report_interval": "1m",
        "grace": "10s",
        "check_every": "5s",
        "initial_catch_up": DEMO_CATCH_UP,
        "datasets": {"camera_status": {"interval": "1m"}, "license_usage": {"interval": "1m"}},
    }


if __name__ == "__main__":
    sys.exit(main())
