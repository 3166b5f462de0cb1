"""Eocortex / Overview: installations, servers, camera states, bitrates, licence headroom, collectors."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, stat, table, timeseries
from grafana_foundation_sdk.models.common import BigValueColorMode, BigValueGraphMode, BigValueTextMode

from .common import (
    SERVER,
    SERVER_NAME,
    UP_MAPPINGS,
    Dashboard,
    T,
    organize,
    panel,
    query,
    steps,
)

FILE = "eocortex-overview.json"


def dashboard() -> Dashboard:
    d = Dashboard(
        "eocortex-overview",
        "Eocortex / Overview",
        "Installations, servers, camera states, bitrates, licence headroom and the exporter's collectors.",
        ["datasource", "target", "server"],
    )
    d.row("Installations and servers")
    d.add(
        panel(
            stat.Panel,
            "Installations up",
            "eocortex_up: whether the exporter reaches and authenticates with each installation's main server.",
            [query(f"eocortex_up{{{T}}}", "{{target}}")],
            unit="none",
            width=6,
            height=5,
        ).mappings(UP_MAPPINGS)
    )
    d.add(
        panel(
            stat.Panel,
            "Servers up",
            "eocortex_server_up per server of the installation, by name.",
            [query(f"eocortex_server_up{{{SERVER}}} {SERVER_NAME}", "{{server}}")],
            unit="none",
            width=10,
            height=5,
        ).mappings(UP_MAPPINGS)
    )
    d.add(
        panel(
            stat.Panel,
            "Collectors failing",
            "Collectors whose last run failed (eocortex_collector_success = 0); the Exporter dashboard has details.",
            [query(f"sum by (target) (1 - eocortex_collector_success{{{T}}})", "{{target}}")],
            unit="none",
            width=8,
            height=5,
        ).thresholds(steps("green", ("red", 1)))
    )
    d.row("Cameras")
    d.add(
        panel(
            stat.Panel,
            "Cameras by status",
            "Enabled cameras in each status (recording rule target_server_status:eocortex_camera_status:sum).",
            [
                query(
                    f"sum by (status) (target_server_status:eocortex_camera_status:sum{{{SERVER}}})",
                    "{{status}}",
                )
            ],
            unit="none",
            width=8,
        )
        .text_mode(BigValueTextMode.VALUE_AND_NAME)
        .color_mode(BigValueColorMode.BACKGROUND)
        .graph_mode(BigValueGraphMode.NONE)
        .thresholds(steps("blue"))
    )
    d.add(
        panel(
            table.Panel,
            "Cameras not Ok",
            "Enabled cameras whose status is anything but Ok, with their names and servers.",
            [
                query(
                    f"""(eocortex_camera_status{{{T}, status!="Ok"}} == 1)
                    * on(target, camera_id) group_left(camera, server_id) eocortex_camera_info{{{SERVER}, disabled="false"}}
                    {SERVER_NAME}""",
                    table=True,
                )
            ],
            unit="none",
            width=16,
        ).transformations(
            [
                organize(
                    ["camera", "status", "server", "target", "camera_id", "server_id"],
                    {"camera": "Camera", "status": "Status", "server": "Server", "target": "Installation"},
                    hide=("Value",),
                )
            ]
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Received and recorded bitrate",
            "Total bitrate received from the cameras (both streams) and written to the archive.",
            [
                query(
                    f"sum(target_server:eocortex_camera_receive_bytes_per_second:sum{{{SERVER}}})", "received"
                ),
                query(
                    f"sum(target_server:eocortex_camera_write_bytes_per_second:sum{{{SERVER}}})", "recorded"
                ),
            ],
            unit="Bps",
            width=24,
        )
    )
    d.add(
        panel(
            stat.Panel,
            "Cameras on a reserve server",
            "Cameras served by a server other than their owner now (eocortex_camera_on_reserve): their owner "
            "failed over. 0 is the normal state.",
            [query(f"sum by (target) (eocortex_camera_on_reserve{{{T}}})", "{{target}}")],
            unit="none",
            width=8,
            height=5,
        ).thresholds(steps("green", ("orange", 1)))
    )
    d.add(
        panel(
            stat.Panel,
            "Cameras below their minimum archive depth",
            "Cameras whose archive reaches back less far than their configured minimum depth (recording rule "
            "target_camera:eocortex_camera_archive_min_depth_seconds:depth_ratio below 1); the Archive dashboard "
            "lists them.",
            [
                query(
                    f"count by (target) (target_camera:eocortex_camera_archive_min_depth_seconds:depth_ratio{{{T}}} < 1)"
                    f" or sum by (target) (eocortex_up{{{T}}} * 0)",
                    "{{target}}",
                )
            ],
            unit="none",
            width=8,
            height=5,
        ).thresholds(steps("green", ("orange", 1)))
    )
    d.row("Licences")
    d.add(
        panel(
            bargauge.Panel,
            "Licence headroom per module",
            "Channels still free per licence module (limit - used), modules with a limit only.",
            [
                query(
                    f"""max by (target, module) (eocortex_license_channels_limit{{{T}}} > 0)
                    - max by (target, module) (eocortex_license_channels_used{{{T}}})""",
                    "{{module}}",
                    instant=True,
                )
            ],
            unit="none",
        )
        .min(0)
        .thresholds(steps("red", ("orange", 1), ("green", 3)))
    )
    d.add(
        panel(
            bargauge.Panel,
            "Licence use per module",
            "Share of each licence module in use (recording rule target_module:eocortex_license_channels_used:ratio).",
            [query(f"target_module:eocortex_license_channels_used:ratio{{{T}}}", "{{module}}", instant=True)],
            unit="percentunit",
        )
        .min(0)
        .max(1)
        .thresholds(steps("green", ("orange", 0.9), ("red", 1)))
    )
    return d
