"""The Prometheus text exposition of an :class:`~eocexporter.snapshot.ExporterSnapshot`.

``metric_families`` (what the families hold) and ``render_families`` (how they become bytes) are separate
so either can change alone; ``build_exposition`` is what the scheduler calls once per new snapshot.
"""

from eocexporter.exposition.families import BYTES_PER_SECOND_PER_MBPS, metric_families, render_families
from eocexporter.exposition.labels import feature_label, module_label, snake_case
from eocexporter.exposition.render import (
    CONTENT_TYPE,
    GZIP_LEVEL,
    Exposition,
    build_exposition,
    compress,
    render,
)

__all__ = [
    "BYTES_PER_SECOND_PER_MBPS",
    "CONTENT_TYPE",
    "GZIP_LEVEL",
    "Exposition",
    "build_exposition",
    "compress",
    "feature_label",
    "metric_families",
    "module_label",
    "render",
    "render_families",
    "snake_case",
]
