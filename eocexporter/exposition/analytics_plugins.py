"""Analytics plugins per camera (``webapi/cameras/analytics``; the analytics_plugins collector)."""

from __future__ import annotations

from collections.abc import Mapping

from eocexporter.exposition.family import SeriesSet, gauge
from eocexporter.model import AnalyticsSection

CAMERA_PLUGIN = gauge(
    "eocortex_camera_analytics_plugin_info",
    "Always 1; one series per analytics plugin running on the camera (webapi/cameras/analytics"
    " PluginIds; the API names plugins by id only).",
    ("target", "camera_id", "plugin_id"),
    polled_by="analytics_plugins",
)

FAMILIES = (CAMERA_PLUGIN,)


def render(series: SeriesSet, target: str, sections: Mapping[str, AnalyticsSection]) -> None:
    seen: set[str] = set()
    for section in sections.values():  # current sections first: a camera two servers list is reported once
        for camera in section.cameras:
            if camera.camera_id in seen:
                continue
            seen.add(camera.camera_id)
            for plugin_id in camera.plugin_ids:
                series.add(CAMERA_PLUGIN, (target, camera.camera_id, plugin_id), 1)
