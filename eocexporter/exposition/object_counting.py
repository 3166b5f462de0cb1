"""Object counting lines and areas (``api/objects_counting/current_counters``; the object_counting
collector)."""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.exposition.family import Family, SeriesSet, counter, gauge
from eocexporter.model import AREA_ZONE, LINE_SECTION, ObjectCountingSection

_ZONE_LABELS = ("target", "camera_id", "zone_id", "zone", "object_class")

LINE_CROSSINGS = counter(
    "eocortex_object_counting_line_crossings",
    "Objects that crossed the counting line since the counter's last scheduled reset"
    " (api/objects_counting/current_counters, Type LineSection).",
    _ZONE_LABELS,
    polled_by="object_counting",
)
ZONE_OBJECTS = gauge(
    "eocortex_object_counting_zone_objects",
    "Objects currently in the counting area (api/objects_counting/current_counters, Type Zone).",
    _ZONE_LABELS,
    polled_by="object_counting",
)

FAMILIES = (LINE_CROSSINGS, ZONE_OBJECTS)

# A kind the reference does not document has no family: neither a counter nor an occupancy is known to
# be right for it (the collector counts and logs it).
_FAMILY_OF_KIND: dict[str, Family] = {LINE_SECTION: LINE_CROSSINGS, AREA_ZONE: ZONE_OBJECTS}


def render(series: SeriesSet, target: str, sections: Mapping[str, ObjectCountingSection]) -> None:
    seen: set[tuple[str, str]] = set()
    for section in sections.values():  # the servers of the latest run first, as for the cameras
        for zone in section.zones:
            key = (zone.camera_id, zone.zone_id)
            if key in seen:
                continue
            seen.add(key)
            family = _FAMILY_OF_KIND.get(zone.kind)
            if family is None:
                continue
            for object_class, count in sorted(zone.counts.items()):
                series.add(family, (target, zone.camera_id, zone.zone_id, zone.zone, object_class), count)
