"""The live state of one target, and one run of discovery or of a collector on it.

Every collector polls each server separately, so one server's failure never hides another's data.
Per server the runtime keeps the latest *complete* section. When a run fails for a server, its previous
section stays published for ``stale_after_intervals`` of the collector's intervals (marked by
``eocortex_collector_success 0``), so a short blip neither makes series vanish nor resets alerts'
``for:`` clocks; after that the server's data is dropped rather than shown as if current.

The exception is a run stopped by its deadline that returns what it got (a ``PartialSection``: the
cameras'; :func:`_cut_short`): it is kept completed with the previous section's part it did not reach, each
item while no older than a kept section may be.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields, is_dataclass, replace
from datetime import UTC, datetime

from eocexporter.cancelling import cancel_until_done
from eocexporter.client import endpoints
from eocexporter.client.errors import ApiAuthError, ApiError, ApiForbidden, ApiParseError, ApiUnavailable
from eocexporter.client.http import EocortexClient
from eocexporter.client.politeness import requests_due
from eocexporter.collectors.base import CollectContext, ServerTarget
from eocexporter.collectors.reports import ReportReader
from eocexporter.config import Settings
from eocexporter.discovery import discover, server_urls
from eocexporter.model import PartialSection, Server, Topology
from eocexporter.ongoing import OngoingFailures
from eocexporter.options import CollectorConfig, TargetConfig
from eocexporter.registry import VISITORS, CollectorJob
from eocexporter.sharding import Shard
from eocexporter.snapshot import ApiStats, CollectorRun, Sections, TargetSnapshot

log = logging.getLogger(__name__)

DISCOVERY = "discovery"
# A run that can keep part of its work (the cameras collector) stops this much before its deadline, so that
# it has returned when the runtime abandons what is still running: at most STOP_MARGIN seconds, and at most
# STOP_MARGIN_SHARE of the deadline (0.75 s of a 15 s one).
STOP_MARGIN = 1.0
STOP_MARGIN_SHARE = 0.05


def system_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class KeptSection:
    section: object  # of the collector's section type; Sections.of() gives it back typed
    succeeded_at: float  # time.monotonic()
    current: bool = True  # from the latest run; False while kept after a failed one
    # From the latest run, which its deadline stopped: a PartialSection, current in the part it polled.
    partial: bool = False


class TargetRuntime:
    def __init__(
        self,
        target: TargetConfig,
        settings: Settings,
        now: Callable[[], datetime] = system_now,
        client: EocortexClient | None = None,
    ) -> None:
        self.target = target
        self.settings = settings
        self.shard = Shard(settings.shard_index, settings.shard_count)
        self.now = now
        self.client = client or EocortexClient(target)
        self.topology: Topology | None = None
        self.urls: dict[str, str | None] = {}
        self.up = False
        self.runs: dict[str, CollectorRun] = {}
        # Collectors whose last run was stopped a little before its deadline on some server, keeping what it
        # got (a camera run): the scheduler may let their next tick pass (eocexporter.exporter).
        self.out_of_time: set[str] = set()
        # section type -> server_id -> the latest complete section (see the module's docstring)
        self.sections: dict[type, dict[str, KeptSection]] = {}
        self.reports = ReportReader(self.client, VISITORS.options(settings.collectors), self.warn_once)
        self.server_answered: dict[str, bool] = {}
        self.last_error: str | None = None
        self._warned: set[str] = set()
        self._failures = OngoingFailures(log)

    async def close(self) -> None:
        await self.client.close()

    # ---- discovery -------------------------------------------------------------------------------

    async def run_discovery(self) -> bool:
        config = self.settings.collectors.discovery
        started = time.monotonic()
        try:
            with requests_due(started + config.deadline):
                async with asyncio.timeout(config.deadline):
                    topology = await discover(self.client, self.topology, self.warn_once)
        except (ApiError, TimeoutError) as exc:
            message = _describe(exc, config)
            # Reached and authenticated, but its answer was not the document configure/servers returns:
            # the installation is up (eocortex_up says whether it can be reached), discovery failed.
            self.up = isinstance(exc, ApiParseError)
            if self.topology is not None and self.topology.main_server_id:
                self.server_answered[self.topology.main_server_id] = not _unreachable(exc)
            self._fail(DISCOVERY, started, message)
            return False
        self._log_discovered(topology, started)
        self.topology = topology
        self.urls = server_urls(self.target, topology)
        self.up = True
        if topology.main_server_id:
            self.server_answered[topology.main_server_id] = True
        self._forget_servers_not_in(topology)
        self._succeed(DISCOVERY, started)
        return True

    def _log_discovered(self, topology: Topology, started: float) -> None:
        if log.isEnabledFor(logging.DEBUG):
            seconds = time.monotonic() - started
            log.debug(
                "target %s: discovery: %d server(s), main server %s (found by %s) in %.3fs",
                self.target.name,
                len(topology.servers),
                topology.main_server_id or "unknown",
                topology.main_found_by or "nothing",
                seconds,
                extra=self._about(DISCOVERY, duration_seconds=round(seconds, 3)),
            )

    def _forget_servers_not_in(self, topology: Topology) -> None:
        present = {server.server_id for server in topology.servers}
        # A server that joined or left the installation can move others between shards: the sections of
        # a server another replica now polls go, or both would expose them.
        owned = self._owned_servers(topology)
        for kept in self.sections.values():
            for server_id in [server_id for server_id in kept if server_id not in owned]:
                del kept[server_id]
        for server_id in [server_id for server_id in self.server_answered if server_id not in present]:
            del self.server_answered[server_id]
        self.client.support.forget_servers_not_in(present)

    # ---- collectors ------------------------------------------------------------------------------

    async def run_collector(self, job: CollectorJob) -> bool:
        name, config = job.name, job.config
        started = time.monotonic()
        topology = self.topology
        if topology is None:
            # Discovery has already reported why; repeating it per collector would bury the cause.
            self._fail(name, started, "main server not reached yet; no servers to poll", quiet=True)
            return False
        kept = self.sections.setdefault(job.entry.section, {})
        ctx = CollectContext(
            client=self.client,
            config=config,
            now=self.now,
            warn_once=self.warn_once,
            started=started,
            stop_by=started + config.deadline - min(STOP_MARGIN, STOP_MARGIN_SHARE * config.deadline),
            unreached_before={
                server_id: previous.section.unreached
                for server_id, previous in kept.items()
                if isinstance(previous.section, PartialSection) and previous.section.unreached
            },
        )
        durations: dict[str, float] = {}  # server_id -> seconds its collection took, for the debug log
        # The run's requests wait for a server's slots by when it is due (eocexporter.client.politeness).
        with requests_due(started + config.deadline):
            tasks = {
                server.server_id: asyncio.create_task(self._collect_on(job, ctx, server, durations))
                for server in self.polled_servers()
            }
        try:
            done, pending = (
                await asyncio.wait(tasks.values(), timeout=config.deadline) if tasks else (set(), set())
            )
        except asyncio.CancelledError:
            # Stopped (shutdown, reload): the per-server runs must not outlive the client they use.
            await cancel_until_done(tasks.values())
            raise
        await cancel_until_done(pending)
        keep_for = self.settings.stale_after_intervals * config.interval
        failures = []
        self.out_of_time.discard(name)
        for server_id, task in tasks.items():
            if task in done and task.exception() is None:
                section = task.result()
                self.server_answered[server_id] = True
                self._log_collected(name, server_id, section, durations.get(server_id))
                if isinstance(section, PartialSection) and section.unreached:
                    kept[server_id], why = _cut_short(section, kept.get(server_id), keep_for, config)
                    failures.append(f"server {server_id}: {why}")
                    self.out_of_time.add(name)
                    continue
                kept[server_id] = KeptSection(section, time.monotonic())
                continue
            error: BaseException = task.exception() if task in done else TimeoutError()  # type: ignore[assignment]
            if task in done and not isinstance(error, ApiError):
                # A bug, not an API problem: say so loudly but keep the exporter serving.
                log.error(
                    "target %s: collector %s failed on server %s",
                    self.target.name,
                    name,
                    server_id,
                    exc_info=error,
                    extra=self._about(name, server_id=server_id),
                )
            self.server_answered[server_id] = not _unreachable(error)
            failures.append(f"server {server_id}: {_describe(error, config)}")
            previous = kept.get(server_id)
            if previous is not None and time.monotonic() - previous.succeeded_at > keep_for:
                del kept[server_id]
            elif previous is not None:
                kept[server_id] = replace(previous, current=False, partial=False)
        self._log_run(name, started, len(tasks) - len(failures), len(failures))
        if failures:
            self._fail(name, started, "; ".join(failures))
            return False
        self._succeed(name, started)
        return True

    def _log_run(self, name: str, started: float, collected: int, failed: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            seconds = time.monotonic() - started
            log.debug(
                "target %s: %s run: %d server(s) collected, %d failed, in %.3fs",
                self.target.name,
                name,
                collected,
                failed,
                seconds,
                extra=self._about(name, duration_seconds=round(seconds, 3)),
            )

    def _log_collected(self, name: str, server_id: str, section: object, seconds: float | None) -> None:
        if log.isEnabledFor(logging.DEBUG):
            seconds = round(seconds or 0.0, 3)
            log.debug(
                "target %s, server %s: %s collected %s in %.3fs",
                self.target.name,
                server_id,
                name,
                section_counts(section),
                seconds,
                extra=self._about(name, server_id=server_id, duration_seconds=seconds),
            )

    def _about(self, collector: str, **more: object) -> dict[str, object]:
        """What a log line is about: fields of the JSON log format (eocexporter.logs)."""
        return {"target": self.target.name, "collector": collector, **more}

    # ---- bookkeeping -----------------------------------------------------------------------------

    def _succeed(self, name: str, started: float) -> None:
        self.runs[name] = CollectorRun(True, time.monotonic() - started, time.time())
        self._failures.succeeded(name, f"target {self.target.name}: {name} recovered", self._about(name))
        if not self._failures.any():
            self.last_error = None

    def _fail(self, name: str, started: float, message: str, quiet: bool = False) -> None:
        previous = self.runs.get(name)
        self.runs[name] = CollectorRun(
            False,
            time.monotonic() - started,
            previous.last_success_timestamp if previous else None,
            error=message,
        )
        if quiet:
            return
        self.last_error = f"{name}: {message}"
        # One level for every failure of a target, refused credentials as much as a server that does not
        # answer: each is a condition of the target for its operator to fix, the exporter goes on serving
        # the others, and /metrics tells which (eocortex_up, eocortex_collector_success). ERROR is kept
        # for the exporter's own failures: a bug, a Parquet file it cannot write. docs/logging.md.
        self._failures.failed(
            name,
            f"target {self.target.name}: {name} failed: {message}",
            logging.WARNING,
            extra=self._about(name),
        )

    def warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning("%s", message, extra={"target": self.target.name})

    def ready(self, names: list[str]) -> bool:
        return all(name in self.runs for name in names)

    def polled_servers(self) -> list[Server]:
        """The servers this replica polls: all of them, or its shard's share."""
        if self.topology is None:
            return []
        owned = self._owned_servers(self.topology)
        return [server for server in self.topology.servers if server.server_id in owned]

    def _owned_servers(self, topology: Topology) -> frozenset[str]:
        return self.shard.owned_servers(self.target.name, (server.server_id for server in topology.servers))

    async def _collect_on(
        self, job: CollectorJob, ctx: CollectContext, server: Server, durations: dict[str, float]
    ) -> object:
        started = time.monotonic()
        try:
            return await job.collector.collect(ctx, self.server_target(server))
        finally:
            durations[server.server_id] = time.monotonic() - started

    def server_target(self, server: Server) -> ServerTarget:
        """The server with the address to poll it at; ApiUnavailable when it has none."""
        url = self.urls.get(server.server_id)
        if url is None:
            raise ApiUnavailable(
                endpoints.CONFIGURE_SERVERS,
                f"server {server.server_id} ({server.name!r}) is listed without an address; "
                "give it one in server_addresses",
            )
        main = self.topology is not None and self.topology.main_server_id == server.server_id
        return ServerTarget(server, url, main)

    def polled_server(self, server_id: str) -> ServerTarget | None:
        """A server this replica polls, by id, with its address; None when it is not (or no longer) one."""
        for server in self.polled_servers():
            if server.server_id == server_id:
                return self.server_target(server)
        return None

    def snapshot(self) -> TargetSnapshot:
        owner = self.shard.owns_target(self.target.name)
        owned = self._owned_servers(self.topology) if self.topology is not None else frozenset()
        sections = Sections(
            {
                kind: {server_id: kept.section for server_id, kept in by_server.items()}
                for kind, by_server in self.sections.items()
            },
            stale=frozenset(
                (kind, server_id)
                for kind, by_server in self.sections.items()
                for server_id, kept in by_server.items()
                if not kept.current
            ),
            partial=frozenset(
                (kind, server_id)
                for kind, by_server in self.sections.items()
                for server_id, kept in by_server.items()
                if kept.partial
            ),
        )
        return TargetSnapshot(
            target=self.target.name,
            up=self.up if owner else None,
            topology=self.topology if owner else None,
            servers_up={
                server_id: answered
                for server_id, answered in sorted(self.server_answered.items())
                if server_id in owned
            },
            collectors=dict(sorted(self.runs.items())),
            api=self._api_stats(),
            sections=sections,
            support=self.client.support.snapshot(),
            polled_servers=tuple(server.server_id for server in self.polled_servers()),
            timezone=self.target.timezone,
            last_error=self.last_error,
        )

    def _api_stats(self) -> ApiStats:
        """The client's counters, with its per-server gates named by server id instead of base URL."""
        limits, throttled = self.client.gates.limits(), self.client.gates.throttled_seconds()
        asked = {server_id: url for server_id, url in sorted(self.urls.items()) if url in limits}
        return replace(
            self.client.stats.snapshot(),
            server_concurrency_limits={server_id: limits[url] for server_id, url in asked.items()},
            server_throttled_seconds={server_id: throttled[url] for server_id, url in asked.items()},
        )


def section_counts(section: object) -> str:
    """The sizes of a section's collections, for the debug log: ``cameras=20 statuses=20``; a section
    without any (a licence) says ``its section``. len() only: cheap at 10,000 cameras."""
    counts = [
        f"{field.name}={len(value)}"
        for field in (fields(section) if is_dataclass(section) else ())
        if isinstance(value := getattr(section, field.name), tuple | list | dict | frozenset)
        # An optional extra says something only when it holds anything (a cut-short run's unreached).
        and (value or (field.default is MISSING and field.default_factory is MISSING))
    ]
    return " ".join(counts) or "its section"


def _cut_short(
    section: PartialSection, previous: KeptSection | None, keep_for: float, config: CollectorConfig
) -> tuple[KeptSection, str]:
    """A run stopped by its deadline with part of its work, kept with the part it did not reach from the
    runs before, each item while it is at most ``keep_for`` old (as a whole section is kept after a failed
    run); not current, for the run failed and its success and alerts say so. And why it failed."""
    now = polled_at = time.monotonic()
    if previous is not None and isinstance(previous.section, type(section)):
        section = section.with_previous(previous.section, previous.succeeded_at, now - keep_for)
        if section.polled_nothing():
            # A run that polled nothing has nothing newer than the section before it: its age goes on.
            polled_at = previous.succeeded_at
    why = (
        f"stopped at its {config.deadline:g}s deadline with {section.shortfall()}; those go first in the "
        "next run"
    )
    return KeptSection(section, polled_at, current=False, partial=not section.polled_nothing()), why


def _unreachable(error: BaseException) -> bool:
    """Did the server fail to answer at all (as opposed to answering with an error)?"""
    return isinstance(error, (ApiUnavailable, TimeoutError))


def _describe(error: BaseException, config: CollectorConfig) -> str:
    if isinstance(error, TimeoutError):
        return f"did not finish within its {config.deadline:g}s deadline"
    if isinstance(error, ApiAuthError):
        return f"{error} — check username, password and user_type"
    if isinstance(error, ApiForbidden):
        return f"{error} — the user lacks the rights for this resource"
    if isinstance(error, ApiError):
        return str(error)
    return f"internal error ({type(error).__name__}); see the log"
