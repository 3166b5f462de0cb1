"""How deep each camera's archive is (``webapi/cameras/{id}/archive_days``; the archive_depth collector).

The API gives the days that hold archive; the exposition says what an operator asks of them: since when
(the oldest day, as the Unix time of its local midnight in the target's zone, so ``time() - oldest`` is
the depth), how many days in the look-back window, and how many days are missing between the oldest
and the newest.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, tzinfo

from eocexporter.exposition.family import SeriesSet, gauge
from eocexporter.model import ArchiveDepthSection

CAMERA_ARCHIVE_OLDEST = gauge(
    "eocortex_camera_archive_oldest_day_timestamp_seconds",
    "Unix time of the start (local midnight, in the target's time zone) of the oldest day that holds"
    " archive of the camera within the look-back window (webapi/cameras/{id}/archive_days); absent for a"
    " camera without archive.",
    ("target", "camera_id"),
    polled_by="archive_depth",
)
CAMERA_ARCHIVE_DAYS = gauge(
    "eocortex_camera_archive_dates",
    "Days that hold archive of the camera within the look-back window (webapi/cameras/{id}/archive_days).",
    ("target", "camera_id"),
    polled_by="archive_depth",
)
CAMERA_ARCHIVE_GAPS = gauge(
    "eocortex_camera_archive_missing_dates",
    "Days without archive between the camera's oldest and newest day with archive"
    " (webapi/cameras/{id}/archive_days); absent for a camera without archive.",
    ("target", "camera_id"),
    polled_by="archive_depth",
)

FAMILIES = (CAMERA_ARCHIVE_OLDEST, CAMERA_ARCHIVE_DAYS, CAMERA_ARCHIVE_GAPS)


def render(series: SeriesSet, target: str, sections: Mapping[str, ArchiveDepthSection]) -> None:
    for section in sections.values():  # current sections first: a camera listed twice is reported once
        for camera in section.cameras:
            labels = (target, camera.camera_id)
            series.add(CAMERA_ARCHIVE_DAYS, labels, len(camera.days))
            if camera.days:
                series.add(CAMERA_ARCHIVE_OLDEST, labels, day_start(camera.days[0], section.zone))
            series.add(CAMERA_ARCHIVE_GAPS, labels, camera.missing)


def day_start(day: date, zone: tzinfo) -> float:
    """Unix time of the local midnight that starts ``day`` in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).timestamp()
