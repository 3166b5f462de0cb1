"""One collector per API area; each polls one server and returns plain data."""

from eocexporter.collectors.archiving import ArchivingCollector
from eocexporter.collectors.base import Collector
from eocexporter.collectors.cameras import CamerasCollector
from eocexporter.collectors.licenses import LicensesCollector
from eocexporter.collectors.object_counting import ObjectCountingCollector
from eocexporter.collectors.visitors import VisitorsCollector


def all_collectors() -> list[Collector]:
    """A fresh instance of every collector (they keep small per-server memories)."""
    return [
        CamerasCollector(),
        ObjectCountingCollector(),
        VisitorsCollector(),
        LicensesCollector(),
        ArchivingCollector(),
    ]


__all__ = ["Collector", "all_collectors"]
