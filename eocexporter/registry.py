"""Every collector, as one typed entry: its name, options, section type, collector and metric families.

The entry is the only place these meet. ``config.Settings`` gets one ``collectors.<name>`` field per entry
(of the entry's options class), the runtime keeps each collector's sections by the entry's section type,
and the renderer turns them into series with the entry's render function, so nothing downstream looks a
collector up by a string or passes its data untyped.

Adding an API area (docs/architecture.md has the steps): its records in ``model.py``, a collector module
with its options class, a families module in ``exposition/``, and one entry below. The order of the
entries is the order of their families in the exposition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from eocexporter import exposition
from eocexporter.collectors.analytics_plugins import AnalyticsPluginsCollector, AnalyticsPluginsConfig
from eocexporter.collectors.archive_depth import ArchiveDepthCollector, ArchiveDepthConfig
from eocexporter.collectors.archive_export import ArchiveExportCollector, ArchiveExportConfig
from eocexporter.collectors.archiving import ArchivingCollector, ArchivingConfig
from eocexporter.collectors.base import Collector
from eocexporter.collectors.bindings import BindingsCollector, BindingsConfig
from eocexporter.collectors.cameras import CamerasCollector, CamerasConfig
from eocexporter.collectors.databases import DatabasesCollector, DatabasesConfig
from eocexporter.collectors.licenses import LicensesCollector, LicensesConfig
from eocexporter.collectors.object_counting import ObjectCountingCollector, ObjectCountingConfig
from eocexporter.collectors.visitors import VisitorsCollector, VisitorsConfig
from eocexporter.exposition import (
    analytics_plugins,
    archive_depth,
    archive_export,
    archiving,
    bindings,
    cameras,
    databases,
    licenses,
    object_counting,
    visitors,
)
from eocexporter.exposition.family import Family, SeriesSet
from eocexporter.model import (
    AnalyticsSection,
    ArchiveDepthSection,
    ArchiveExportSection,
    ArchivingSection,
    BindingsSection,
    CamerasSection,
    DatabasesSection,
    LicenseSection,
    ObjectCountingSection,
    VisitorsSection,
)
from eocexporter.options import CollectorConfig

ConfigT = TypeVar("ConfigT", bound=CollectorConfig)
SectionT = TypeVar("SectionT")


@dataclass(frozen=True, slots=True, eq=False)
class CollectorEntry(Generic[ConfigT, SectionT]):
    name: str  # the collector label value, and the option key under `collectors:`
    config: type[ConfigT]
    section: type[SectionT]  # what the collector returns for one server
    collector: Callable[[], Collector[ConfigT, SectionT]]  # a fresh instance (it keeps per-server memories)
    families: tuple[Family, ...]
    render: Callable[[SeriesSet, str, Mapping[str, SectionT]], None]  # (series, target, server -> section)

    def options(self, collectors: object) -> ConfigT:
        """This collector's options out of ``Settings.collectors``, whose field of this entry's name
        ``config.CollectorsConfig`` declares with this entry's options class."""
        return cast(ConfigT, getattr(collectors, self.name))


LICENSES = CollectorEntry(
    "licenses", LicensesConfig, LicenseSection, LicensesCollector, licenses.FAMILIES, licenses.render
)
CAMERAS = CollectorEntry(
    "cameras", CamerasConfig, CamerasSection, CamerasCollector, cameras.FAMILIES, cameras.render
)
ARCHIVING = CollectorEntry(
    "archiving", ArchivingConfig, ArchivingSection, ArchivingCollector, archiving.FAMILIES, archiving.render
)
ARCHIVE_DEPTH = CollectorEntry(
    "archive_depth",
    ArchiveDepthConfig,
    ArchiveDepthSection,
    ArchiveDepthCollector,
    archive_depth.FAMILIES,
    archive_depth.render,
)
BINDINGS = CollectorEntry(
    "bindings", BindingsConfig, BindingsSection, BindingsCollector, bindings.FAMILIES, bindings.render
)
ANALYTICS_PLUGINS = CollectorEntry(
    "analytics_plugins",
    AnalyticsPluginsConfig,
    AnalyticsSection,
    AnalyticsPluginsCollector,
    analytics_plugins.FAMILIES,
    analytics_plugins.render,
)
OBJECT_COUNTING = CollectorEntry(
    "object_counting",
    ObjectCountingConfig,
    ObjectCountingSection,
    ObjectCountingCollector,
    object_counting.FAMILIES,
    object_counting.render,
)
VISITORS = CollectorEntry(
    "visitors", VisitorsConfig, VisitorsSection, VisitorsCollector, visitors.FAMILIES, visitors.render
)

DATABASES = CollectorEntry(
    "databases", DatabasesConfig, DatabasesSection, DatabasesCollector, databases.FAMILIES, databases.render
)
ARCHIVE_EXPORT = CollectorEntry(
    "archive_export",
    ArchiveExportConfig,
    ArchiveExportSection,
    ArchiveExportCollector,
    archive_export.FAMILIES,
    archive_export.render,
)

COLLECTORS: tuple[CollectorEntry, ...] = (
    LICENSES,
    CAMERAS,
    ARCHIVING,
    ARCHIVE_DEPTH,
    BINDINGS,
    ANALYTICS_PLUGINS,
    OBJECT_COUNTING,
    VISITORS,
    DATABASES,
    ARCHIVE_EXPORT,
)


def catalogue() -> tuple[Family, ...]:
    """Every metric family the exporter can emit, in output order (docs/metrics.md lists each)."""
    return exposition.catalogue(COLLECTORS)


@dataclass(frozen=True, slots=True, eq=False)
class CollectorJob(Generic[ConfigT, SectionT]):
    """An enabled collector of one exporter: its entry, its options, and the instance that runs."""

    entry: CollectorEntry[ConfigT, SectionT]
    config: ConfigT
    collector: Collector[ConfigT, SectionT]

    @property
    def name(self) -> str:
        return self.entry.name


def enabled_jobs(collectors: object, entries: Sequence[CollectorEntry] = COLLECTORS) -> list[CollectorJob]:
    """A job for every entry enabled in ``Settings.collectors``, in registry order."""
    jobs: list[CollectorJob] = []
    for entry in entries:
        config = entry.options(collectors)
        if config.enabled:
            jobs.append(CollectorJob(entry, config, entry.collector()))
    return jobs
