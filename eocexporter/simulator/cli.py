"""The `simulate` command: run a simulated installation until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import ssl
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from .app import Simulator, running_simulator
from .clock import SettableClock
from .config import DEFAULT_PORT, SimulatorConfig, SimUser
from .faults import SECONDS_PER_REQUEST
from .routes import ENDPOINTS
from .variants import Variants

Setup = Callable[[Simulator], Awaitable[None]]


def add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--listen",
        default=f"127.0.0.1:{DEFAULT_PORT}",
        metavar="HOST:PORT",
        help="main server address; further servers use the following ports (port 0: free ports)",
    )
    parser.add_argument("--servers", type=int, default=1, metavar="N", help="servers of the installation")
    parser.add_argument(
        "--cameras", type=int, default=20, metavar="N", help="cameras, dealt round robin over the servers"
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="seed of every simulated value (same seed, same run)"
    )
    parser.add_argument(
        "--timezone",
        default="UTC",
        metavar="TZ",
        help="the servers' time zone, an IANA name such as Europe/Moscow",
    )
    parser.add_argument("--username", default="root", metavar="U", help="the user the API accepts")
    parser.add_argument(
        "--password", default="", metavar="P", help="that user's plain password (default: empty)"
    )
    parser.add_argument(
        "--counter-reset-hours",
        type=int,
        default=24,
        metavar="N",
        help="line counters reset every N hours from local midnight (0: never)",
    )
    parser.add_argument(
        "--start-time",
        metavar="ISO",
        help="run on a settable clock starting at this ISO 8601 instant, e.g. 2026-11-01T08:00+03:00 "
        "(moved via /_simulator/clock; default: the real clock)",
    )
    parser.add_argument(
        "--tls-cert",
        metavar="FILE",
        help="serve HTTPS with this PEM certificate (chain) (default: plain HTTP)",
    )
    parser.add_argument("--tls-key", metavar="FILE", help="the certificate's PEM private key")
    parser.add_argument("--latency", type=float, default=0.0, metavar="SECONDS", help="added to every answer")
    parser.add_argument(
        "--capacity",
        metavar="N[:SECONDS]",
        help=f"each server works on N requests at once, each for SECONDS (default {SECONDS_PER_REQUEST:g});"
        " the others wait their turn, see docs/simulator.md (default: no limit)",
    )
    parser.add_argument(
        "--error-rate",
        action="append",
        default=[],
        metavar="ENDPOINT=RATE[:STATUS]",
        help="fail this share of requests to a route template (repeatable; default: none)",
    )
    parser.add_argument(
        "--profile",
        default="reference",
        metavar="NAME",
        help="reference (the reference as printed) or real-world (its quirks on top), see docs/simulator.md",
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a reading of the reference, see docs/simulator.md (repeatable; default: none)",
    )


def run_simulate(args: argparse.Namespace) -> int:
    try:
        config, setup = _config_from(args)
    except ValueError as exc:
        print(f"eocexporter simulate: error: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve_forever(config, setup=setup))
    except OSError as exc:
        print(f"eocexporter simulate: error: cannot listen: {exc}", file=sys.stderr)
        return 1
    return 0


async def serve_forever(
    config: SimulatorConfig, *, setup: Setup | None = None, stop: asyncio.Event | None = None
) -> None:
    """Serve until `stop` is set or SIGINT/SIGTERM arrives."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, stop.set)
            handled.append(signum)
        except (NotImplementedError, RuntimeError):
            pass  # not the main thread, or not supported here: rely on `stop`
    # Said once the signal handlers are in place: a SIGTERM from now on ends the process cleanly, at the
    # latest when the build (seconds at the largest size allowed) is done.
    print(f"building {config.cameras:,} camera(s) on {config.servers} server(s)", file=sys.stderr, flush=True)
    try:
        async with running_simulator(config) as simulator:
            if setup is not None:
                await setup(simulator)
            _announce(simulator)
            await stop.wait()
    finally:
        for signum in handled:
            loop.remove_signal_handler(signum)


def _announce(simulator: Simulator) -> None:
    for server in simulator.installation.servers:
        role = "main" if server.is_main else "server"
        print(f"{role:6} {server.name}: {simulator.url(server.id)}  ({server.id})", flush=True)
    logins = ", ".join(user.login for user in simulator.config.users)
    profile = simulator.config.profile
    profile_note = f"; profile: {profile}" if profile != "reference" else ""
    print(
        f"login: {logins}{profile_note}; control endpoint: {simulator.main_url}/_simulator/state",
        flush=True,
    )


def _ssl_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    if cert is None and key is None:
        return None
    if cert is None:
        raise ValueError("--tls-key needs --tls-cert")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"--tls-cert/--tls-key: {getattr(exc, 'strerror', None) or exc}") from None
    return context


def _config_from(args: argparse.Namespace) -> tuple[SimulatorConfig, Setup]:
    host, _, port_text = args.listen.rpartition(":")
    if not host or not port_text.isdigit():
        raise ValueError(f"--listen must be HOST:PORT, not {args.listen!r}")
    clock = None
    if args.start_time:
        try:
            clock = SettableClock(datetime.fromisoformat(args.start_time))
        except ValueError as exc:
            raise ValueError(f"--start-time: {exc}") from None
    chosen = dict(_pair(item, "--variant", _json_or_text) for item in args.variant)
    variants = Variants().updated(chosen)
    error_rates = [_error_rate(item) for item in args.error_rate]
    if args.latency < 0:
        raise ValueError("--latency must not be negative")
    capacity = _capacity(args.capacity) if args.capacity else None
    config = SimulatorConfig(
        ssl_context=_ssl_context(args.tls_cert, args.tls_key),
        servers=args.servers,
        cameras=args.cameras,
        seed=args.seed,
        timezone=args.timezone,
        host=host.strip("[]"),
        port=int(port_text),
        users=(SimUser(args.username, args.password),),
        clock=clock,
        variants=variants,
        counter_reset_hours=args.counter_reset_hours,
        profile=args.profile,
    )

    async def setup(simulator: Simulator) -> None:
        if chosen and config.profile != "reference":
            # A --variant wins over the profile even when it names the default (nulls=false).
            simulator.installation.set_variants(**chosen)
        simulator.faults.set_latency(args.latency)
        if capacity is not None:
            simulator.faults.set_capacity(capacity[0], seconds_per_request=capacity[1])
        for endpoint, rate, status in error_rates:
            simulator.faults.set_error_rate(endpoint, rate, status)

    return config, setup


def _pair(item: str, flag: str, convert: Callable[[str], Any]) -> tuple[str, Any]:
    name, sep, value = item.partition("=")
    if not sep or not name:
        raise ValueError(f"{flag} takes NAME=VALUE, not {item!r}")
    return name.strip(), convert(value.strip())


def _json_or_text(value: str) -> Any:
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def _error_rate(item: str) -> tuple[str, float, int]:
    endpoint, spec = _pair(item, "--error-rate", str)
    if endpoint.strip("/") not in ENDPOINTS:
        raise ValueError(f"--error-rate: unknown endpoint {endpoint!r}; known: {', '.join(ENDPOINTS)}")
    rate_text, _, status_text = spec.partition(":")
    try:
        rate, status = float(rate_text), int(status_text or 500)
    except ValueError:
        raise ValueError(f"--error-rate takes ENDPOINT=RATE[:STATUS], not {item!r}") from None
    if not 0 <= rate <= 1 or not 400 <= status <= 599:
        raise ValueError(f"--error-rate: rate must be within 0..1 and status 400..599 in {item!r}")
    return endpoint.strip("/"), rate, status


def _capacity(spec: str) -> tuple[int, float]:
    requests_text, _, seconds_text = spec.partition(":")
    try:
        requests = int(requests_text)
        seconds = float(seconds_text) if seconds_text else SECONDS_PER_REQUEST
    except ValueError:
        raise ValueError(f"--capacity takes N[:SECONDS], not {spec!r}") from None
    if requests < 1 or not 0 <= seconds < float("inf"):
        raise ValueError(f"--capacity: N must be at least 1 and SECONDS not negative in {spec!r}")
    return requests, seconds
