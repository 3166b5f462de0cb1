"""Eocortex / People and object counting: line crossings, zone occupancy and visitors (face analytics)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import bargauge, piechart, stat, table, timeseries
from grafana_foundation_sdk.builders.common import TableSortByFieldState
from grafana_foundation_sdk.models.common import TableColorTextCellOptions
from grafana_foundation_sdk.models.piechart import PieChartLabels, PieChartType

from .common import (
    CAMERA_FILTER,
    CAMERA_NAME,
    Dashboard,
    T,
    organize,
    panel,
    query,
    steps,
)

FILE = "eocortex-counting.json"


def dashboard() -> Dashboard:
    d = Dashboard(
        "eocortex-counting",
        "Eocortex / People and object counting",
        "Line crossings, zone occupancy and visitors (face analytics) of the selected cameras.",
        ["datasource", "target", "server", "camera"],
    )
    crossings = f"target_camera_zone_object_class:eocortex_object_counting_line_crossings_total:increase1h{{{T}}} {CAMERA_NAME}"
    occupancy = f"eocortex_object_counting_zone_objects{{{T}}} {CAMERA_NAME}"
    legend = "{{camera}} / {{zone}} / {{object_class}}"
    d.row("Object counting")
    d.add(
        panel(
            timeseries.Panel,
            "Line crossings per hour",
            "Objects that crossed each line in the preceding hour, by class (counter resets handled by increase()).",
            [query(crossings, legend)],
            unit="short",
        )
    )
    d.add(
        panel(
            bargauge.Panel,
            "Line crossings in the last hour",
            "The same, now.",
            [query(crossings, legend, instant=True)],
            unit="short",
        )
    )
    d.add(
        panel(
            bargauge.Panel,
            "Zone occupancy now",
            "Objects in each counting area now, by class.",
            [query(occupancy, legend, instant=True)],
            unit="none",
        )
    )
    d.add(
        panel(
            timeseries.Panel,
            "Zone occupancy over time",
            "Objects in each counting area, by class.",
            [query(occupancy, legend)],
            unit="none",
        )
    )
    d.row("Visitors (since local midnight)")
    for metric, title in (
        ("eocortex_visitors_total", "Visitors today"),
        ("eocortex_unique_visitors_total", "Unique visitors today"),
    ):
        d.add(
            panel(
                stat.Panel,
                title,
                f"Sum of {metric} over the selected cameras; the counters restart at the installation's local midnight.",
                [query(f"sum({metric}{{{T}}} {CAMERA_FILTER})", title)],
                unit="none",
                width=6,
                height=5,
            )
        )
    d.add(
        panel(
            timeseries.Panel,
            "Visitors over the day",
            "Visitors and unique visitors counted since local midnight, selected cameras.",
            [
                query(f"sum(eocortex_visitors_total{{{T}}} {CAMERA_FILTER})", "visitors"),
                query(f"sum(eocortex_unique_visitors_total{{{T}}} {CAMERA_FILTER})", "unique visitors"),
            ],
            unit="none",
            height=5,
        )
    )
    d.add(
        panel(
            bargauge.Panel,
            "Visitors today per camera",
            "eocortex_visitors_total per camera.",
            [query(f"eocortex_visitors_total{{{T}}} {CAMERA_NAME}", "{{camera}}", instant=True)],
            unit="none",
            width=24,
        )
    )
    for metric, label, title in (
        ("eocortex_visitors_by_gender_total", "gender", "Gender"),
        ("eocortex_visitors_by_age_total", "age_group", "Age group"),
        ("eocortex_visitors_by_emotion_total", "emotion", "Emotion"),
    ):
        d.add(
            panel(
                piechart.Panel,
                title,
                f"Visitors today by {label.replace('_', ' ')} ({metric}), selected cameras.",
                [
                    query(
                        f"sum by ({label}) ({metric}{{{T}}} {CAMERA_FILTER})",
                        f"{{{{{label}}}}}",
                        instant=True,
                    )
                ],
                unit="none",
                width=8,
            )
            .pie_type(PieChartType.DONUT)
            .display_labels([PieChartLabels.PERCENT])
        )
    face = f'(eocortex_camera_analytics_enabled{{{T}, module="face_detector"}} == 1)'
    d.add(
        panel(
            table.Panel,
            "Face recognition on: visitors today, fewest first",
            "Every camera with the face detector enabled in its configuration (AnalyzeSettings.FaceDetectorEnabled) "
            "and the visitors it counted since local midnight; 0 on top: face recognition on, but no visitor "
            "counted today (or the camera has no visitor statistics module).",
            [
                query(
                    f"""sort(
                      (eocortex_visitors_total{{{T}}} and on(target, camera_id) {face})
                      or on(target, camera_id) ({face} * 0)
                    ) {CAMERA_NAME}""",
                    table=True,
                )
            ],
            unit="none",
            width=24,
        )
        .thresholds(steps("red", ("green", 1)))
        .cell_options(TableColorTextCellOptions())
        .sort_by([TableSortByFieldState().display_name("Visitors today").desc(False)])
        .transformations(
            [
                organize(
                    ["camera", "Value", "camera_id"],
                    {"camera": "Camera", "Value": "Visitors today"},
                    hide=("target", "module"),
                )
            ]
        )
    )
    return d
