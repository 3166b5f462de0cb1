"""A snapshot -> the text exposition and its gzip twin, made once per snapshot and served as is.

The renderer is a pure function of the snapshot and of the collectors' entries it is handed (their
families and render functions, from :mod:`eocexporter.registry`): it never imports a collector. Families
come out in catalogue order, series sorted by their label values, so equal snapshots give equal bytes.
Rendering is proportional to change: a collector's series are encoded again only when its sections
changed (:class:`RenderCache`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric

from eocexporter.exposition import health, parquet_sink, topology
from eocexporter.exposition.encoder import encode_lines, header
from eocexporter.exposition.encoder import metric_families as encoder_metric_families
from eocexporter.exposition.family import Family, SeriesSet
from eocexporter.exposition.gzip_parts import GzipParts, coalesced
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
    """One rendered snapshot, ready to serve as is.

    The text is kept in the chunks it was put together from, never joined: the large ones are the render
    cache's own bytes objects, so the text exists once in memory (tens of MB at 10,000 cameras) instead of
    once in the cache, once in the exposition served and once more in the one being rendered."""

    chunks: tuple[bytes, ...]  # the text exposition, in order
    gzipped: bytes  # gzip of the text, for a scraper that sends Accept-Encoding: gzip
    content_type: str = CONTENT_TYPE
    failures: tuple[RenderFailure, ...] = ()  # parts left out of this rendering
    # stage -> CPU seconds it took; not part of what the exposition is
    cpu_seconds: Mapping[str, float] = field(default_factory=dict, compare=False)

    @property
    def body(self) -> bytes:
        """The text exposition in one piece (a copy: for tests and one-off output, not for serving)."""
        return b"".join(self.chunks)

    @property
    def size(self) -> int:
        return sum(map(len, self.chunks))


def catalogue(collectors: Sequence[SectionRenderer[object]]) -> tuple[Family, ...]:
    """Every family the exporter can emit, in output order: the contract dashboards and alerts rely on."""
    return (
        *health.FAMILIES,
        *topology.FAMILIES,
        *(family for collector in collectors for family in collector.families),
        *parquet_sink.FAMILIES,
    )


def collect_series(snapshot: ExporterSnapshot, collectors: Sequence[SectionRenderer[object]]) -> SeriesSet:
    """Every series of the snapshot in one set (for prometheus-client's encoder, in tests and benchmarks)."""
    series = SeriesSet(catalogue(collectors))
    for part in _parts(snapshot, collectors):
        part.render(series)
    return series


def render(
    snapshot: ExporterSnapshot,
    collectors: Sequence[SectionRenderer[object]],
    cache: RenderCache | None = None,
) -> bytes:
    """The text exposition (format 0.0.4) of ``snapshot``; equal snapshots give equal bytes. A part that
    cannot be rendered raises."""
    chunks, failures = _render(snapshot, collectors, cache or RenderCache(), prune=cache is not None)
    if failures:
        raise failures[0].error
    return b"".join(chunks)


def metric_families(
    snapshot: ExporterSnapshot, collectors: Sequence[SectionRenderer[object]]
) -> list[Metric]:
    """The same series as prometheus-client family objects (what generate_latest would be given)."""
    return encoder_metric_families(collect_series(snapshot, collectors).items())


def build_exposition(
    snapshot: ExporterSnapshot,
    collectors: Sequence[SectionRenderer[object]],
    cache: RenderCache | None = None,
    *,
    whole: bool = True,
) -> Exposition:
    """Render ``snapshot`` and gzip it once; the HTTP server serves either without further work.

    Each part (a target's health, topology, each collector's series, the Parquet sink's figures) is
    rendered on its own: one that cannot be rendered (a bug, or a value no parser should have let through)
    is left out and returned among the failures, for the exporter to count and log, and the rest is
    served. With a ``cache``, a collector's part whose sections are the ones it was last rendered from is
    not rendered again. ``whole`` says the snapshot holds every target: parts of targets it lacks are then
    forgotten (a probe's one-target snapshot keeps the others')."""
    cache = cache or RenderCache()
    started = time.thread_time()
    chunks, failures = _render(snapshot, collectors, cache, prune=whole)
    # Runs of small chunks joined: fewer pieces to write per scrape, and what gzip deflates on each render.
    chunks = coalesced(chunks)
    encoded = time.thread_time()
    gzipped = cache.gzip.compress(chunks, prune=whole)
    return Exposition(
        chunks=tuple(chunks),
        gzipped=gzipped,
        content_type=CONTENT_TYPE,
        failures=tuple(failures),
        cpu_seconds={"encode": encoded - started, "gzip": time.thread_time() - encoded},
    )


class RenderCache:
    """The encoded lines of each collector's part of each target, with what they were rendered from.

    Sections are immutable and replaced by each collector run, so a part whose sections are the same
    objects (or equal ones) renders to the same lines: a render after one collector's run costs that
    collector's series, not the whole exposition. Safe to share between the publisher's and the probes'
    renders in worker threads: at worst both render a part once.
    """

    def __init__(self) -> None:
        self._parts: dict[tuple[str, str], tuple[object, dict[Family, bytes]]] = {}
        # The deflated pieces of those lines: the gzip twin is proportional to change too.
        self.gzip = GzipParts(GZIP_LEVEL)

    def lines(self, target: str, part: _Part) -> dict[Family, bytes]:
        if part.source is None:
            return part.lines()
        key = (target, part.name)
        kept = self._parts.get(key)
        # Tuples compare their items by identity first: the usual hit costs a few pointer comparisons.
        if kept is not None and kept[0] == part.source:
            return kept[1]
        lines = part.lines()
        self._parts[key] = (part.source, lines)
        return lines

    def keep_only(self, targets: set[str]) -> None:
        for key in [key for key in self._parts if key[0] not in targets]:
            del self._parts[key]


@dataclass(frozen=True, slots=True)
class _Part:
    """One part of the exposition: its families, and how it adds its series to a set of them."""

    target: str  # "" for the exporter's own series
    name: str  # "health", "topology", a collector's name, or "parquet"
    families: tuple[Family, ...]
    render: Callable[[SeriesSet], None]
    # What the part is rendered from when the cache may keep it (a collector's sections, in order, with
    # whether each is stale); None: rendered every time (small, and changing with every run).
    source: object = None

    def lines(self) -> dict[Family, bytes]:
        series = SeriesSet(self.families)
        self.render(series)
        return encode_lines(series)


def _parts(snapshot: ExporterSnapshot, collectors: Sequence[SectionRenderer[object]]) -> list[_Part]:
    """Every part in output order: the exporter's own series, then each target's (by name)."""
    parts = [_Part("", "health", health.FAMILIES, lambda into: health.render_exporter(into, snapshot))]
    for target in sorted(snapshot.targets, key=lambda target: target.target):
        name = target.target
        parts.append(_Part(name, "health", health.FAMILIES, lambda into, t=target: health.render(into, t)))
        parts.append(
            _Part(name, "topology", topology.FAMILIES, lambda into, t=target: topology.render(into, t))
        )
        for collector in collectors:
            sections = target.sections.of(collector.section)
            stale = target.sections.stale
            source = tuple(
                (server_id, section, (collector.section, server_id) in stale)
                for server_id, section in sections.items()
            )
            parts.append(
                _Part(
                    name,
                    collector.name,
                    collector.families,
                    lambda into, c=collector, s=sections, n=name: c.render(into, n, s),
                    source,
                )
            )
        parts.append(
            _Part(
                name,
                "parquet",
                parquet_sink.FAMILIES,
                lambda into, t=target: parquet_sink.render(into, t.target, t.parquet),
            )
        )
    return parts


def _render(
    snapshot: ExporterSnapshot,
    collectors: Sequence[SectionRenderer[object]],
    cache: RenderCache,
    prune: bool,
) -> tuple[list[bytes], list[RenderFailure]]:
    """Each part's lines, then each family's header and its lines from every part, in catalogue order:
    the chunks that make up the body, each part's lines the very bytes objects the cache keeps.

    Every family belongs to one kind of part, and the parts of the targets come in the order of the
    targets' names, which is each family's first label: the series come out sorted by label values as a
    single sort would put them."""
    if prune:
        cache.keep_only({target.target for target in snapshot.targets})
    rendered: list[dict[Family, bytes]] = []
    failures: list[RenderFailure] = []
    for part in _parts(snapshot, collectors):
        try:
            rendered.append(cache.lines(part.target, part))
        except Exception as exc:
            failures.append(RenderFailure(part.target, part.name, exc))
    out: list[bytes] = []
    for family in catalogue(collectors):
        chunks = [lines[family] for lines in rendered if family in lines]
        if chunks:
            out.append(header(family))
            out.extend(chunks)
    return out, failures
