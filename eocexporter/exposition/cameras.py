"""Cameras, their status and bitrates (``api/channels``, ``api/channels/{id}/status``; the cameras
collector)."""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.exposition.family import SeriesSet, bool_label, bool_value, gauge
from eocexporter.model import KNOWN_CAMERA_STATES, CamerasSection

# The API's "Mbps" are mebibits per second (see docs/metrics.md): 2**20 bits / 8 = bytes per second.
BYTES_PER_SECOND_PER_MBPS = 131072

CAMERA_INFO = gauge(
    "eocortex_camera_info",
    "Always 1; one series per camera with its name, owning server and whether it is disabled (api/channels).",
    ("target", "server_id", "camera_id", "camera", "disabled"),
    polled_by="cameras",
)
CAMERA_STATUS = gauge(
    "eocortex_camera_status",
    "1 for the camera's current status from api/channels/{id}/status, 0 for every other known status"
    " (Ok, ErrorMain, ErrorAlt, ErrorSound, Wait).",
    ("target", "camera_id", "status"),
    polled_by="cameras",
)
CAMERA_RECEIVE = gauge(
    "eocortex_camera_receive_bytes_per_second",
    "Bitrate the server receives from the camera by stream (ReceiveVideoMbps, ReceiveAltVideoMbps;"
    " the API's Mbps are mebibits per second, times 131072).",
    ("target", "camera_id", "stream"),
    polled_by="cameras",
)
CAMERA_WRITE = gauge(
    "eocortex_camera_write_bytes_per_second",
    "Bitrate the server writes to the archive for the camera (WriteVideoMbps; the API's Mbps are"
    " mebibits per second, times 131072).",
    ("target", "camera_id"),
    polled_by="cameras",
)
CAMERA_ALT_STREAM = gauge(
    "eocortex_camera_alt_stream_enabled",
    "1 if the camera's alternative stream is enabled (AltEnabled), 0 if not.",
    ("target", "camera_id"),
    polled_by="cameras",
)

CAMERA_ON_RESERVE = gauge(
    "eocortex_camera_on_reserve",
    "1 if a server other than the camera's owner serves it now (the camera is listed by that server's"
    " api/channels while ServerBindingsSettings.OwnerServerId names another), 0 if its owner serves it;"
    " absent for a camera without an owner.",
    ("target", "camera_id", "owner_server_id"),
    polled_by="cameras",
)

FAMILIES = (CAMERA_INFO, CAMERA_STATUS, CAMERA_RECEIVE, CAMERA_WRITE, CAMERA_ALT_STREAM, CAMERA_ON_RESERVE)


def render(series: SeriesSet, target: str, sections: Mapping[str, CamerasSection]) -> None:
    # A camera listed by two servers (or twice by one) is reported once, from the first server by
    # server_id: two camera_info series for one camera_id would break every group_left join.
    seen_cameras: set[str] = set()
    seen_statuses: set[str] = set()
    # In the snapshot's order (see Sections): a camera a reserve server serves now is reported there, not
    # on its owner that went down.
    for server_id, section in sections.items():
        for camera in section.cameras:
            if camera.camera_id in seen_cameras:
                continue
            seen_cameras.add(camera.camera_id)
            labels = (target, server_id, camera.camera_id, camera.name, bool_label(camera.disabled))
            series.add(CAMERA_INFO, labels, 1)
            if camera.owner_server_id is not None:
                on_reserve = camera.owner_server_id != server_id
                series.add(
                    CAMERA_ON_RESERVE,
                    (target, camera.camera_id, camera.owner_server_id),
                    bool_value(on_reserve),
                )
        for status in section.statuses:
            camera_id = status.camera_id
            if camera_id in seen_statuses:
                continue
            seen_statuses.add(camera_id)
            if status.status is not None:
                for state in {*KNOWN_CAMERA_STATES, status.status}:
                    series.add(CAMERA_STATUS, (target, camera_id, state), bool_value(state == status.status))
            series.add(
                CAMERA_RECEIVE, (target, camera_id, "main"), bytes_per_second(status.receive_main_mbps)
            )
            series.add(CAMERA_RECEIVE, (target, camera_id, "alt"), bytes_per_second(status.receive_alt_mbps))
            series.add(CAMERA_WRITE, (target, camera_id), bytes_per_second(status.write_mbps))
            series.add(CAMERA_ALT_STREAM, (target, camera_id), bool_value(status.alt_enabled))


def bytes_per_second(mbps: float | None) -> float | None:
    return None if mbps is None else mbps * BYTES_PER_SECOND_PER_MBPS
