"""Face and plate databases per recognition module (``api/faceconfig``, ``api/carconfig``, ``api/faces``,
``api/cars`` and their groups; the databases collector)."""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.exposition.family import SeriesSet, bool_value, gauge
from eocexporter.model import DatabasesSection

MODULE_ENABLED = gauge(
    "eocortex_recognition_module_enabled",
    "1 if the recognition module is enabled, 0 if not (api/faceconfig faces_modules, api/carconfig"
    " auto_modules: name, enabled).",
    ("target", "server_id", "database", "module"),
    polled_by="databases",
)
DATABASE_ENTRIES = gauge(
    "eocortex_recognition_database_entries",
    "Entries in the module's database table: table=records counts faces or plates, table=groups their"
    " groups (total_count of api/faces, api/cars, api/faces-groups, api/cars-groups; total_items of"
    " api/v2/...).",
    ("target", "server_id", "database", "module", "table"),
    polled_by="databases",
)

FAMILIES = (MODULE_ENABLED, DATABASE_ENTRIES)


def render(series: SeriesSet, target: str, sections: Mapping[str, DatabasesSection]) -> None:
    for server_id, section in sorted(sections.items()):
        for size in section.databases:
            module_labels = (target, server_id, size.kind, size.module)
            series.add(MODULE_ENABLED, module_labels, bool_value(size.enabled))
            series.add(DATABASE_ENTRIES, (*module_labels, size.table), size.size)
