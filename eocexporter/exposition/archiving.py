"""How each camera is recorded and analysed (``ArchiveSettings``, ``AnalyzeSettings`` of the camera's
configuration; the archiving collector)."""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.exposition.family import SeriesSet, bool_value, gauge
from eocexporter.exposition.labels import snake_case
from eocexporter.model import ArchivingSection

SECONDS_PER_DAY = 86400

CAMERA_ARCHIVING_INFO = gauge(
    "eocortex_camera_archiving_info",
    "Always 1; the camera's recording mode (configure/channels/{id} ArchiveSettings.ArchivingMode:"
    " AlwaysOn, MDandManual, OnlyManual, BySchedule).",
    ("target", "camera_id", "mode"),
    polled_by="archiving",
)
CAMERA_ARCHIVING_ENABLED = gauge(
    "eocortex_camera_archiving_enabled",
    "0 if recording to the archive is switched off for the camera (ArchiveSettings.ArchivingDisabled),"
    " 1 if not.",
    ("target", "camera_id"),
    polled_by="archiving",
)

CAMERA_ARCHIVE_MIN_DEPTH = gauge(
    "eocortex_camera_archive_min_depth_seconds",
    "The archive depth the camera is configured to keep at least"
    " (ArchiveSettings.ArchivingMinDeepnessInDays, days times 86400).",
    ("target", "camera_id"),
    polled_by="archiving",
)
CAMERA_ARCHIVE_MAX_DEPTH = gauge(
    "eocortex_camera_archive_max_depth_seconds",
    "The archive depth after which the camera's archive is deleted"
    " (ArchiveSettings.ArchivingMaxDeepnessInDays, days times 86400).",
    ("target", "camera_id"),
    polled_by="archiving",
)
CAMERA_ANALYTICS_ENABLED = gauge(
    "eocortex_camera_analytics_enabled",
    "1 if the analytics module is enabled on the camera, 0 if not (AnalyzeSettings.<Module>Enabled:"
    " motion_detector, face_detector, interactive_search, and any other such flag the server sends).",
    ("target", "camera_id", "module"),
    polled_by="archiving",
)

FAMILIES = (
    CAMERA_ARCHIVING_INFO,
    CAMERA_ARCHIVING_ENABLED,
    CAMERA_ARCHIVE_MIN_DEPTH,
    CAMERA_ARCHIVE_MAX_DEPTH,
    CAMERA_ANALYTICS_ENABLED,
)


def render(series: SeriesSet, target: str, sections: Mapping[str, ArchivingSection]) -> None:
    for section in sections.values():  # the servers of the latest run first, as for the cameras
        for camera in section.cameras:
            if camera.mode is not None:
                series.add(CAMERA_ARCHIVING_INFO, (target, camera.camera_id, camera.mode), 1)
            labels = (target, camera.camera_id)
            series.add(
                CAMERA_ARCHIVING_ENABLED,
                labels,
                bool_value(None if camera.disabled is None else not camera.disabled),
            )
            series.add(CAMERA_ARCHIVE_MIN_DEPTH, labels, _seconds(camera.min_depth_days))
            series.add(CAMERA_ARCHIVE_MAX_DEPTH, labels, _seconds(camera.max_depth_days))
            for module, enabled in sorted(camera.analytics.items()):
                series.add(CAMERA_ANALYTICS_ENABLED, (*labels, snake_case(module)), bool_value(enabled))


def _seconds(days: float | None) -> float | None:
    # Prometheus' base unit: a depth compares with time() - eocortex_camera_archive_oldest_day_timestamp_seconds.
    return None if days is None else days * SECONDS_PER_DAY
