"""A snapshot -> the text exposition and its gzip twin, made once per snapshot and served as is.

The renderer is a pure function of the snapshot and of the collectors' entries it is handed (their
families and render functions, from :mod:`eocexporter.registry`): it never imports a collector. Families
come out in catalogue order, series sorted by their label values, so equal snapshots give equal bytes.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric

from eocexporter.exposition import health, parquet_sink, topology
from eocexporter.exposition.encoder import encode
from eocexporter.exposition.encoder import metric_families as encoder_metric_families
from eocexporter.exposition.family import Family, SeriesSet
from eocexporter.snapshot import ExporterSnapshot

S = TypeVar("S")
S_contra = TypeVar("S_contra", contravariant=True)

# What generate_latest writes is the classic text format 0.0.4 (legacy metric names, no UTF-8 escaping
# negotiation), and that is the content type prometheus-client itself sends with it by default.
# prometheus-client 0.26's CONTENT_TYPE_LATEST says version=1.0.0 instead, which would promise a scraper the
# newer format's escaping rules.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# Levels 1-3 share zlib's fast strategy and cost the same; 3 compresses best of them. On a 16 MB exposition
# (10,000 cameras) level 3 took 23 ms for 37x and level 6 took 56 ms for 41x, next to 650 ms of rendering.
GZIP_LEVEL = 3


class SectionRenderer(Protocol[S]):
    """What the renderer needs of a collector's registry entry."""

    @property
    def name(self) -> str: ...

    @property
    def section(self) -> type[S]: ...

    @property
    def families(self) -> tuple[Family, ...]: ...

    @property
    def render(self) -> Callable[[SeriesSet, str, Mapping[str, S]], None]: ...


@dataclass(frozen=True, slots=True)
class RenderFailure:
    """A part of one target's series that could not be rendered, and was left out."""

    target: str
    part: str  # "health", "topology", a collector's name, or "parquet"
    error: BaseException


@dataclass(frozen=True, slots=True)
class Exposition:
    """One rendered snapshot, ready to serve as is."""

    body: bytes
    gzipped: bytes  # gzip of body, for a scraper that sends Accept-Encoding: gzip
    content_type: str = CONTENT_TYPE
    failures: tuple[RenderFailure, ...] = ()  # parts left out of this rendering


def catalogue(collectors: Sequence[SectionRenderer[object]]) -> tuple[Family, ...]:
    """Every family the exporter can emit, in output order: the contract dashboards and alerts rely on."""
    return (
        *health.FAMILIES,
        *topology.FAMILIES,
        *(family for collector in collectors for family in collector.families),
        *parquet_sink.FAMILIES,
    )


def collect_series(snapshot: ExporterSnapshot, collectors: Sequence[SectionRenderer[object]]) -> SeriesSet:
    series = SeriesSet(catalogue(collectors))
    health.render_exporter(series, snapshot)
    for target in sorted(snapshot.targets, key=lambda target: target.target):
        health.render(series, target)
        topology.render(series, target)
        for collector in collectors:
            collector.render(series, target.target, target.sections.of(collector.section))
        parquet_sink.render(series, target.target, target.parquet)
    return series


def render(snapshot: ExporterSnapshot, collectors: Sequence[SectionRenderer[object]]) -> bytes:
    """The text exposition (format 0.0.4) of ``snapshot``; equal snapshots give equal bytes."""
    return encode(collect_series(snapshot, collectors))


def metric_families(
    snapshot: ExporterSnapshot, collectors: Sequence[SectionRenderer[object]]
) -> list[Metric]:
    """The same series as prometheus-client family objects (what generate_latest would be given)."""
    return encoder_metric_families(collect_series(snapshot, collectors).items())


def compress(body: bytes) -> bytes:
    # mtime=0 keeps the gzip header free of the clock, so equal bodies give equal bytes.
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def build_exposition(snapshot: ExporterSnapshot, collectors: Sequence[SectionRenderer[object]]) -> Exposition:
    """Render ``snapshot`` and gzip it once; the HTTP server serves either without further work.

    A part that cannot be rendered (a bug, or a value no parser should have let through) never freezes
    the rest: the snapshot is then rendered part by part, each part that fails is left out, and the
    failures are returned with the exposition for the exporter to count and log."""
    try:
        body, failures = render(snapshot, collectors), ()
    except Exception:
        body, failures = _render_part_by_part(snapshot, collectors)
    return Exposition(body=body, gzipped=compress(body), content_type=CONTENT_TYPE, failures=failures)


def _render_part_by_part(
    snapshot: ExporterSnapshot, collectors: Sequence[SectionRenderer[object]]
) -> tuple[bytes, tuple[RenderFailure, ...]]:
    """The slow path, taken only after a failure: each (target, part) into its own series, encoded on
    its own to prove it can be, and kept only if both worked."""
    families = catalogue(collectors)
    series = SeriesSet(families)
    health.render_exporter(series, snapshot)
    failures = []
    for target in sorted(snapshot.targets, key=lambda target: target.target):
        parts: list[tuple[str, Callable[[SeriesSet], None]]] = [
            ("health", lambda into, target=target: health.render(into, target)),
            ("topology", lambda into, target=target: topology.render(into, target)),
            *(
                (
                    collector.name,
                    lambda into, target=target, collector=collector: collector.render(
                        into, target.target, target.sections.of(collector.section)
                    ),
                )
                for collector in collectors
            ),
            ("parquet", lambda into, target=target: parquet_sink.render(into, target.target, target.parquet)),
        ]
        for part, render_part in parts:
            scratch = SeriesSet(families)
            try:
                render_part(scratch)
                encode(scratch)
            except Exception as exc:
                failures.append(RenderFailure(target.target, part, exc))
                continue
            series.merge(scratch)
    return encode(series), tuple(failures)
