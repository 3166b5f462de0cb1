"""Eocortex / Archive: archive depth against the configured minimum, days missing, exports, databases."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, table, timeseries
from grafana_foundation_sdk.builders.common import TableSortByFieldState
from grafana_foundation_sdk.models.common import TableColorTextCellOptions

from .common import (
    CAMERA_NAME,
    SERVER,
    Dashboard,
    T,
    merge,
    only_rows_with,
    organize,
    panel,
    query,
    steps,
)

FILE = "eocortex-archive.json"


def dashboard() -> Dashboard:
    d = Dashboard(
        "eocortex-archive",
        "Eocortex / Archive",
        "How deep each camera's archive is against its configured retention, days missing, archive export "
        "tasks and the face and plate databases.",
        ["datasource", "target", "server", "camera"],
    )
    ratio = f"target_camera:eocortex_camera_archive_min_depth_seconds:depth_ratio{{{T}}}"
    age = f"target_camera:eocortex_camera_archive_oldest_day_timestamp_seconds:age{{{T}}}"
    d.row("Depth and retention")
    d.add(
        panel(
            table.Panel,
            "Archive depth vs configured minimum, worst first",
            "Each camera's archive depth (time since the start of its oldest day with archive) as a share of its "
            "configured minimum depth (ArchivingMinDeepnessInDays); below 100 % it holds less than promised. A "
            "camera added recently is short too: EocortexArchiveShallowerThanMinimum waits until its oldest day "
            "moves.",
            [
                query(f"sort({ratio} {CAMERA_NAME})", table=True),
                query(f"{age} {CAMERA_NAME}", table=True),
                query(f"eocortex_camera_archive_min_depth_seconds{{{T}}} {CAMERA_NAME}", table=True),
            ],
            unit="percentunit",
            width=24,
            height=10,
        )
        .thresholds(steps("red", ("green", 1)))
        .cell_options(TableColorTextCellOptions())
        .sort_by([TableSortByFieldState().display_name("Depth / minimum").desc(False)])
        .transformations(
            [
                merge(),
                # Rows of cameras without a configured minimum carry no ratio.
                only_rows_with("Value #A"),
                organize(
                    ["camera", "Value #A", "Value #B", "Value #C", "camera_id"],
                    {
                        "camera": "Camera",
                        "Value #A": "Depth / minimum",
                        "Value #B": "Depth",
                        "Value #C": "Minimum",
                    },
                    hide=("target",),
                ),
            ]
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Archive depth per camera",
            "Time since the start of each camera's oldest day with archive "
            "(target_camera:eocortex_camera_archive_oldest_day_timestamp_seconds:age).",
            [query(f"{age} {CAMERA_NAME}", "{{camera}}")],
            unit="s",
        )
    )
    d.add(
        panel(
            bargauge.Panel,
            "Days missing inside the archive",
            "Days without archive between each camera's oldest and newest day with archive "
            "(eocortex_camera_archive_missing_dates), most first.",
            [
                query(
                    f"sort_desc(eocortex_camera_archive_missing_dates{{{T}}} {CAMERA_NAME})",
                    "{{camera}}",
                    instant=True,
                )
            ],
            unit="none",
        )
        .min(0)
        .thresholds(steps("green", ("orange", 1)))
    )
    d.row("Archive export (tasks of the exporter's user)")
    d.add(
        panel(
            timeseries.Panel,
            "Export tasks by state",
            "Archive export tasks in the history of the user the exporter logs in as, by state "
            "(eocortex_archive_export_tasks).",
            [query(f"sum by (state) (eocortex_archive_export_tasks{{{SERVER}}})", "{{state}}")],
            unit="none",
        )
    )
    d.add(
        panel(
            bargauge.Panel,
            "Export failures in the last 24 hours",
            "Export tasks seen failing in the last 24 hours by error (increase of "
            "eocortex_archive_export_failures_total).",
            [
                query(
                    f"sum by (error) (increase(eocortex_archive_export_failures_total{{{SERVER}}}[24h]))",
                    "{{error}}",
                    instant=True,
                )
            ],
            unit="none",
        )
        .min(0)
        .decimals(0)
        .thresholds(steps("green", ("red", 1)))
    )
    d.row("Face and plate databases")
    d.add(
        panel(
            bargauge.Panel,
            "Database entries per module",
            "Faces, plates and their groups in each recognition module's database "
            "(eocortex_recognition_database_entries; a database several servers share is counted once).",
            [
                query(
                    f"max by (database, module, table) (eocortex_recognition_database_entries{{{SERVER}}})",
                    "{{database}} {{module}} {{table}}",
                    instant=True,
                )
            ],
            unit="none",
            width=24,
        )
    )
    return d
