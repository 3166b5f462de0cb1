"""Immutable snapshots of what the exporter knows, handed to the renderer.

The scheduler builds a new :class:`ExporterSnapshot` each time a collector run finishes; the renderer
turns it into bytes once. Everything here is frozen so a render running in a worker thread never sees a
half-updated state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast
from zoneinfo import ZoneInfo

from eocexporter.model import PartialSection, Topology

S = TypeVar("S")

UTC_ZONE = ZoneInfo("UTC")
_NO_SECTIONS: Mapping[str, object] = {}


@dataclass(frozen=True, slots=True)
class CollectorRun:
    """Outcome of the most recent run of one collector on one target."""

    success: bool
    duration_seconds: float
    last_success_timestamp: float | None  # unix seconds of the last successful run, None if never
    error: str | None = None  # why the run failed, one line without secrets; None after a success


@dataclass(frozen=True, slots=True)
class HistogramData:
    """Cumulative: ``bucket_counts[i]`` counts observations <= ``bounds[i]``; +Inf is ``count``."""

    bounds: tuple[float, ...]
    bucket_counts: tuple[int, ...]
    count: int
    sum: float


@dataclass(frozen=True, slots=True)
class ApiStats:
    """Request counters of one target's client, keyed by route template (never the raw URL)."""

    requests: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (endpoint, code) -> count
    durations: Mapping[str, HistogramData] = field(default_factory=dict)  # endpoint -> histogram
    # endpoint -> documents, items or fields that could not be read
    parse_errors: Mapping[str, int] = field(default_factory=dict)
    # (endpoint, field) -> values read but not understood (a zone Type the reference does not document)
    unknown_values: Mapping[tuple[str, str], int] = field(default_factory=dict)
    parse_seconds: Mapping[str, float] = field(default_factory=dict)  # endpoint -> CPU seconds parsing
    # server_id -> its current concurrency limit, and seconds its requests waited for their turn
    # (eocexporter.client.politeness); only servers that were asked something
    server_concurrency_limits: Mapping[str, int] = field(default_factory=dict)
    server_throttled_seconds: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SupportStats:
    """What the servers of one target were found to support (see eocexporter.client.support)."""

    endpoints: Mapping[tuple[str, str], bool] = field(default_factory=dict)  # (server_id, endpoint) -> ok
    # (server_id, endpoint) -> cameras the server refused for the endpoint (400/403), asked again hourly
    refused_cameras: Mapping[tuple[str, str], int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParquetDatasetStats:
    """What the Parquet sink did for one target and dataset since the exporter started."""

    rows_written: int
    files_written: int
    write_errors: int
    fetch_errors: int
    skipped_intervals: int  # closed intervals given up because they fell out of the catch-up window
    # server_id -> unix seconds: end of the last interval written / time of the last snapshot written
    last_written: Mapping[str, float] = field(default_factory=dict)
    backlog: Mapping[str, int] = field(default_factory=dict)  # server_id -> closed intervals not yet written


@dataclass(frozen=True, slots=True)
class Sections:
    """The latest complete section of every collector, per server, found by the section's type.

    ``sections.of(CamerasSection)`` is a ``Mapping[str, CamerasSection]`` (server id -> section): a typed
    lookup, where a string key would give the caller an untyped value. Each collector's entry in
    :mod:`eocexporter.registry` names its one section type.
    """

    by_type: Mapping[type, Mapping[str, object]] = field(default_factory=dict)
    stale: frozenset[tuple[type, str]] = frozenset()  # (section type, server id) kept after a failed run
    # Of the stale ones, those from a latest run stopped by its deadline (model.PartialSection): current
    # in the part that run polled.
    partial: frozenset[tuple[type, str]] = frozenset()

    def __post_init__(self) -> None:
        # One order for every consumer: the sections of the latest runs first, by server id, then those
        # kept after a failed run. A renderer that reports a thing listed twice once takes the first: a
        # camera its reserve server serves now, not the stale listing of its owner that went down.
        ordered = {
            kind: dict(sorted(by_server.items(), key=lambda item: ((kind, item[0]) in self.stale, item[0])))
            for kind, by_server in self.by_type.items()
        }
        object.__setattr__(self, "by_type", ordered)

    def of(self, kind: type[S]) -> Mapping[str, S]:
        """Every kept section of ``kind`` by server id, current ones first."""
        return cast("Mapping[str, S]", self.by_type.get(kind, _NO_SECTIONS))

    def current_of(self, kind: type[S]) -> Mapping[str, S]:
        """Only the sections of ``kind`` that the latest run of their server returned."""
        return {
            server_id: section
            for server_id, section in self.of(kind).items()
            if (kind, server_id) not in self.stale
        }

    def latest_of(self, kind: type[S]) -> Mapping[str, S]:
        """What the latest run of each server returned: the current sections, and of a run stopped by its
        deadline the part it polled itself (:meth:`PartialSection.polled_part`)."""
        return {
            server_id: cast("S", cast("PartialSection", section).polled_part())
            if (kind, server_id) in self.partial
            else section
            for server_id, section in self.of(kind).items()
            if (kind, server_id) not in self.stale or (kind, server_id) in self.partial
        }


@dataclass(frozen=True, slots=True)
class TargetSnapshot:
    """Everything known about one configured Eocortex installation.

    Per-server sections hold the latest *complete* result of a collector for that server. A server whose
    section is absent has never answered that collector, or its data went stale (see the scheduler).
    """

    target: str
    # The last discovery run reached the main server and authenticated. None (like topology) on a shard
    # that does not own the target: exactly one shard reports the target-wide series.
    up: bool | None
    topology: Topology | None
    servers_up: Mapping[str, bool]  # server_id -> its api/ answered in the last cycle
    collectors: Mapping[str, CollectorRun]  # collector name -> last run
    api: ApiStats
    sections: Sections = Sections()
    support: SupportStats = SupportStats()
    # The servers this replica polls (all of them unless sharded), by id; empty until discovery succeeds.
    polled_servers: tuple[str, ...] = ()
    timezone: ZoneInfo = UTC_ZONE  # the target's: report intervals and "today" follow its clock
    last_error: str | None = None  # one line, secrets already removed; for the landing page
    parquet: Mapping[str, ParquetDatasetStats] = field(default_factory=dict)  # dataset -> sink stats


@dataclass(frozen=True, slots=True)
class ConfigReload:
    """The outcome of the last configuration reload (or of the start, before any)."""

    successful: bool
    success_timestamp: float  # unix seconds of the last successful (re)load


@dataclass(frozen=True, slots=True)
class ExporterSnapshot:
    targets: tuple[TargetSnapshot, ...]
    version: str
    python_version: str
    # (target, part) -> parts of the exposition left out because they could not be rendered
    render_failures: Mapping[tuple[str, str], int] = field(default_factory=dict)
    reload: ConfigReload | None = None
    # stage ("encode", "gzip") -> CPU seconds the published renders took, since the start
    render_seconds: Mapping[str, float] = field(default_factory=dict)
