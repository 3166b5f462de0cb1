"""Eocortex / Cameras: bitrates, status over time, the camera map, bindings and analytics per camera."""

from __future__ import annotations

from grafana_foundation_sdk.builders import geomap, statetimeline, table, timeseries
from grafana_foundation_sdk.builders.common import FrameGeometrySource, MapLayerOptions
from grafana_foundation_sdk.models.common import FrameGeometrySourceMode, VisibilityMode
from grafana_foundation_sdk.models.geomap import MapCenterID, TooltipMode

from .common import (
    CAMERA_FILTER,
    CAMERA_NAME,
    SERVER,
    STATUS_CODES,
    STATUS_COLOURS,
    STATUS_MAPPINGS,
    Dashboard,
    T,
    merge,
    only_rows_with,
    organize,
    panel,
    query,
)

FILE = "eocortex-cameras.json"


def camera_map() -> geomap.Panel:
    """Cameras placed on the installation's map, a marker each, coloured by status and labelled by name."""
    markers = (
        MapLayerOptions()
        .type("markers")
        .name("Cameras")
        .location(
            FrameGeometrySource()
            .mode(FrameGeometrySourceMode.COORDS)
            .latitude("Value #A")
            .longitude("Value #B")
        )
        # A layer's config is free-form in Grafana's schema (each layer type has its own).
        .config(
            {
                "showLegend": False,
                "style": {
                    "size": {"fixed": 6},
                    "color": {"field": "Value #C", "fixed": "dark-green"},
                    "text": {"mode": "field", "field": "camera", "fixed": ""},
                    "textConfig": {"fontSize": 10, "offsetY": -12, "textAlign": "center"},
                },
            }
        )
        .tooltip(True)
    )
    return (
        panel(
            geomap.Panel,
            "Camera map",
            "Cameras placed on the installation's map (configure/channels MapSettings), coloured by status: "
            + ", ".join(f"{colour} {name}" for name, colour in zip(STATUS_CODES, STATUS_COLOURS, strict=True))
            + ". Cameras never placed on the map are listed beside it.",
            [
                query(f"eocortex_camera_latitude_degrees{{{T}}} {CAMERA_NAME}", table=True),
                query(f"eocortex_camera_longitude_degrees{{{T}}} {CAMERA_NAME}", table=True),
                query(
                    f'target_camera:eocortex_camera_status:code{{{SERVER}, camera_id=~"$camera"}}', table=True
                ),
            ],
            unit="none",
            width=16,
            height=14,
        )
        .view(geomap.MapViewConfig().id(MapCenterID.FIT).lat(0).lon(0).zoom(1).all_layers(True))
        .controls(geomap.ControlsOptions().show_zoom(True).mouse_wheel_zoom(True).show_attribution(True))
        .basemap(MapLayerOptions().type("default").name("Basemap"))
        .tooltip(geomap.TooltipOptions().mode(TooltipMode.DETAILS))
        .layers([markers])
        .mappings(STATUS_MAPPINGS)
        # Only placed cameras: the status query also returns the cameras that are not on the map.
        .transformations([merge(), only_rows_with("Value #A")])
    )


def dashboard() -> Dashboard:
    d = Dashboard(
        "eocortex-cameras",
        "Eocortex / Cameras",
        "Per camera: received and recorded bitrate, status over time, recorded vs received.",
        ["datasource", "target", "server", "camera"],
    )
    d.row("Bitrate")
    for stream, title in (
        ("main", "Received bitrate, main stream"),
        ("alt", "Received bitrate, alternative stream"),
    ):
        d.add(
            panel(
                timeseries.Panel,
                title,
                f'eocortex_camera_receive_bytes_per_second{{stream="{stream}"}} per camera.',
                [
                    query(
                        f'eocortex_camera_receive_bytes_per_second{{{T}, stream="{stream}"}} {CAMERA_NAME}',
                        "{{camera}}",
                    )
                ],
                unit="Bps",
            )
        )
    d.add(
        panel(
            timeseries.Panel,
            "Recorded bitrate",
            "eocortex_camera_write_bytes_per_second: what the server writes to the archive per camera.",
            [query(f"eocortex_camera_write_bytes_per_second{{{T}}} {CAMERA_NAME}", "{{camera}}")],
            unit="Bps",
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Recorded vs received",
            "Recorded bitrate as a share of the main stream received; 0 for a camera that is not being recorded "
            "(motion-only recording shows as gaps between 0 and 100 %).",
            [
                query(
                    f"""sum by (target, camera_id) (eocortex_camera_write_bytes_per_second{{{T}}})
                    / sum by (target, camera_id) (eocortex_camera_receive_bytes_per_second{{{T}, stream="main"}} > 0)
                    {CAMERA_NAME}""",
                    "{{camera}}",
                )
            ],
            unit="percentunit",
        ).min(0)
    )
    d.row("Status")
    d.add(
        panel(
            statetimeline.Panel,
            "Status",
            "Camera status over time (recording rule target_camera:eocortex_camera_status:code).",
            [
                query(
                    f'target_camera:eocortex_camera_status:code{{{SERVER}, camera_id=~"$camera"}}',
                    "{{camera}}",
                )
            ],
            unit="none",
            width=24,
            height=12,
        )
        .show_value(VisibilityMode.NEVER)
        .merge_values(True)
        .row_height(0.8)
        .mappings(STATUS_MAPPINGS)
    )
    d.add(
        panel(
            timeseries.Panel,
            "Total received and recorded, selected cameras",
            "Sum over the selected cameras of the main stream received and of the archive written.",
            [
                query(
                    f'sum(eocortex_camera_receive_bytes_per_second{{{T}, stream="main"}} {CAMERA_FILTER})',
                    "received (main)",
                ),
                query(f"sum(eocortex_camera_write_bytes_per_second{{{T}}} {CAMERA_FILTER})", "recorded"),
            ],
            unit="Bps",
            width=24,
        )
    )
    d.row("Map")
    d.add(camera_map())
    d.add(
        panel(
            table.Panel,
            "Cameras not on the map",
            "Cameras whose MapSettings.IsOnMap is false: place them in the Eocortex configurator to see them on "
            "the map.",
            [query(f"(eocortex_camera_on_map{{{T}}} == 0) {CAMERA_NAME}", table=True)],
            unit="none",
            width=8,
            height=14,
        ).transformations([organize(["camera", "camera_id"], {"camera": "Camera"}, hide=("Value", "target"))])
    )
    d.row("Bindings and analytics")
    d.add(
        panel(
            table.Panel,
            "Server bindings",
            "Each camera's owner, reserve, replication and video analytics server (configure/channels "
            "ServerBindingsSettings), and whether a server other than its owner serves it now.",
            [
                query(
                    f"""eocortex_camera_server_binding{{{T}}} {CAMERA_NAME}
                    * on(target, server_id) group_left(server) eocortex_server_info{{{T}}}""",
                    table=True,
                )
            ],
            unit="none",
        ).transformations(
            [
                organize(
                    ["camera", "role", "server", "camera_id", "server_id"],
                    {"camera": "Camera", "role": "Role", "server": "Server"},
                    hide=("Value", "target"),
                )
            ]
        )
    )
    d.add(
        panel(
            table.Panel,
            "Analytics modules per camera",
            "Modules enabled in each camera's configuration (AnalyzeSettings: motion detector, face detector, "
            "interactive search, ...) and the analytics plugins running on it (webapi/cameras/analytics).",
            [
                query(f"(eocortex_camera_analytics_enabled{{{T}}} == 1) {CAMERA_NAME}", table=True),
                query(f"eocortex_camera_analytics_plugin_info{{{T}}} {CAMERA_NAME}", table=True),
            ],
            unit="none",
        ).transformations(
            [
                merge(),
                organize(
                    ["camera", "module", "plugin_id", "camera_id"],
                    {"camera": "Camera", "module": "Module", "plugin_id": "Plugin"},
                    hide=("Value #A", "Value #B", "target"),
                ),
            ]
        )
    )
    return d
