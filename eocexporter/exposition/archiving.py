"""How each camera is recorded (``configure/channels/{id}`` ``ArchiveSettings``; the archiving collector)."""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.exposition.family import SeriesSet, bool_value, gauge
from eocexporter.model import ArchivingSection

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

FAMILIES = (CAMERA_ARCHIVING_INFO, CAMERA_ARCHIVING_ENABLED)


def render(series: SeriesSet, target: str, sections: Mapping[str, ArchivingSection]) -> None:
    for section in sections.values():  # the servers of the latest run first, as for the cameras
        for camera in section.cameras:
            if camera.mode is not None:
                series.add(CAMERA_ARCHIVING_INFO, (target, camera.camera_id, camera.mode), 1)
            series.add(CAMERA_ARCHIVING_ENABLED, (target, camera.camera_id), bool_value(not camera.disabled))
