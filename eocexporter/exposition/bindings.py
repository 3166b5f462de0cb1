"""Which servers each camera is bound to, and its place on the map (``configure/channels``; the
bindings collector)."""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.exposition.family import SeriesSet, bool_value, gauge
from eocexporter.model import BindingsSection

CAMERA_SERVER_BINDING = gauge(
    "eocortex_camera_server_binding",
    "Always 1; one series per camera and role with the server bound to it in that role"
    " (configure/channels ServerBindingsSettings: owner, reserve, replication, video_analytics); a role"
    " without a server (the all-zero id) has no series.",
    ("target", "camera_id", "role", "server_id"),
    polled_by="bindings",
)
CAMERA_ON_MAP = gauge(
    "eocortex_camera_on_map",
    "1 if the camera is placed on the map, 0 if not (configure/channels MapSettings.IsOnMap).",
    ("target", "camera_id"),
    polled_by="bindings",
)
CAMERA_LATITUDE = gauge(
    "eocortex_camera_latitude_degrees",
    "The camera's latitude on the map (MapSettings.Latitude); only for a camera placed on the map with"
    " both coordinates set.",
    ("target", "camera_id"),
    polled_by="bindings",
)
CAMERA_LONGITUDE = gauge(
    "eocortex_camera_longitude_degrees",
    "The camera's longitude on the map (MapSettings.Longitude); only for a camera placed on the map with"
    " both coordinates set.",
    ("target", "camera_id"),
    polled_by="bindings",
)

FAMILIES = (CAMERA_SERVER_BINDING, CAMERA_ON_MAP, CAMERA_LATITUDE, CAMERA_LONGITUDE)


def render(series: SeriesSet, target: str, sections: Mapping[str, BindingsSection]) -> None:
    for section in sections.values():  # only the main server's section lists cameras
        for camera in section.cameras:
            labels = (target, camera.camera_id)
            for role, server_id in sorted(camera.servers.items()):
                series.add(CAMERA_SERVER_BINDING, (*labels, role, server_id), 1)
            series.add(CAMERA_ON_MAP, labels, bool_value(camera.on_map))
            # A camera taken off the map keeps coordinates that look real (Q42): they would put it on a
            # map panel where the operator removed it.
            if camera.on_map and camera.latitude is not None and camera.longitude is not None:
                series.add(CAMERA_LATITUDE, labels, camera.latitude)
                series.add(CAMERA_LONGITUDE, labels, camera.longitude)
