"""The Prometheus text exposition of an :class:`~eocexporter.snapshot.ExporterSnapshot`.

- :mod:`.family`: what a family is, and the series one render collects;
- :mod:`.encoder`: series -> bytes, and the same through prometheus-client for comparison;
- :mod:`.health`, :mod:`.topology`, :mod:`.parquet_sink`: the exporter's own families;
- one module per collector (:mod:`.cameras`, :mod:`.licenses`, ...): its families and how its sections
  become series, referenced by the collector's entry in :mod:`eocexporter.registry`;
- :mod:`.render`: snapshot -> bytes (+ gzip), once per snapshot change.
"""

from eocexporter.exposition.labels import feature_label, module_label, snake_case
from eocexporter.exposition.render import (
    CONTENT_TYPE,
    GZIP_LEVEL,
    Exposition,
    RenderCache,
    build_exposition,
    catalogue,
    metric_families,
    render,
)

__all__ = [
    "CONTENT_TYPE",
    "GZIP_LEVEL",
    "Exposition",
    "RenderCache",
    "build_exposition",
    "catalogue",
    "feature_label",
    "metric_families",
    "module_label",
    "render",
    "snake_case",
]
