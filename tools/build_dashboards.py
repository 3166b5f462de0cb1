"""Build the Grafana dashboards in dashboards/ (Grafana 10/11 JSON model, schemaVersion 39).

    .venv/bin/python tools/build_dashboards.py           # rewrite dashboards/*.json
    .venv/bin/python tools/build_dashboards.py --check   # exit 1 if they differ from what would be written

The dashboards are written from the definitions below rather than by hand so that every panel gets the
same datasource variable, a unit and a unique id, and every camera query the same filters; a test checks
that the committed JSON equals what this produces. Queries follow docs/metrics.md: ids are labels, names
are joined from the _info metrics with `* on(...) group_left(...)`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generated import generator_main

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
TAG = "eocortex"

# Filters every query uses; `server` and `camera` hold ids (the dropdowns show names).
T = 'target=~"$target"'
SERVER = f'{T}, server_id=~"$server"'
CAMERAS = f'{SERVER}, camera_id=~"$camera", disabled="false"'
CAMERA_NAME = f"* on(target, camera_id) group_left(camera) eocortex_camera_info{{{CAMERAS}}}"
CAMERA_FILTER = f"and on(target, camera_id) eocortex_camera_info{{{CAMERAS}}}"
SERVER_NAME = f"* on(target, server_id) group_left(server) eocortex_server_info{{{T}}}"

STATUS_CODES = ["Ok", "ErrorMain", "ErrorAlt", "ErrorSound", "Wait", "other"]
STATUS_COLOURS = ["green", "red", "orange", "yellow", "blue", "purple"]
# The recorded status code (target_camera:eocortex_camera_status:code) as its name and colour.
STATUS_MAPPINGS = [
    {"type": "value", "options": {str(code): {"text": name, "color": colour, "index": code}}}
    for code, (name, colour) in enumerate(zip(STATUS_CODES, STATUS_COLOURS, strict=True))
]
UP_MAPPINGS = [
    {"type": "value", "options": {"0": {"text": "Down", "color": "red", "index": 0}}},
    {"type": "value", "options": {"1": {"text": "Up", "color": "green", "index": 1}}},
]


def query(expr: str, legend: str = "", *, instant: bool = False, table: bool = False) -> dict[str, Any]:
    return {
        "expr": " ".join(expr.split()),
        "legendFormat": legend or "__auto",
        "instant": instant or table,
        "range": not (instant or table),
        "format": "table" if table else "time_series",
    }


def steps(base: str, *above: tuple[str, float]) -> dict[str, Any]:
    """Absolute thresholds: ``base`` from minus infinity, then each (colour, from value)."""
    return {
        "mode": "absolute",
        "steps": [
            {"color": base, "value": None},
            *({"color": colour, "value": value} for colour, value in above),
        ],
    }


HORIZONTAL_BARS = {"displayMode": "basic", "orientation": "horizontal"}


def organize(order: list[str], renames: dict[str, str], hide: tuple[str, ...] = ()) -> dict[str, Any]:
    """A table's columns: ``order`` first, renamed, and Prometheus' bookkeeping columns hidden."""
    hidden = {"Time": True, "__name__": True, "job": True, "instance": True, **dict.fromkeys(hide, True)}
    return {
        "id": "organize",
        "options": {
            "excludeByName": hidden,
            "indexByName": {name: index for index, name in enumerate(order)},
            "renameByName": renames,
        },
    }


class Dashboard:
    def __init__(self, uid: str, title: str, description: str, variables: list[str]) -> None:
        self.uid, self.title, self.description, self.variables = uid, title, description, variables
        self.panels: list[dict[str, Any]] = []
        self.x = self.y = self.row_height = 0

    def _place(self, width: int, height: int) -> dict[str, int]:
        if self.x + width > 24:
            self.x, self.y = 0, self.y + self.row_height
            self.row_height = 0
        position = {"h": height, "w": width, "x": self.x, "y": self.y}
        self.x += width
        self.row_height = max(self.row_height, height)
        return position

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        self.panels.append(
            {
                "id": len(self.panels) + 1,
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
                "panels": [],
            }
        )
        self.y += 1

    def panel(
        self,
        kind: str,
        title: str,
        description: str,
        queries: list[dict[str, Any]],
        *,
        unit: str,
        width: int = 12,
        height: int = 8,
        options: dict[str, Any] | None = None,
        defaults: dict[str, Any] | None = None,
        transformations: list[dict[str, Any]] | None = None,
    ) -> None:
        targets = [
            {"datasource": DATASOURCE, "editorMode": "code", "refId": chr(ord("A") + index), **q}
            for index, q in enumerate(queries)
        ]
        field_defaults: dict[str, Any] = {
            "unit": unit,
            "color": {"mode": "palette-classic" if kind in ("timeseries", "piechart") else "thresholds"},
            "mappings": [],
            "thresholds": steps("green"),
        }
        if kind == "timeseries":
            field_defaults["custom"] = {
                "drawStyle": "line",
                "lineWidth": 1,
                "fillOpacity": 10,
                "showPoints": "never",
            }
        field_defaults.update(defaults or {})
        panel_options: dict[str, Any] = {}
        if kind in ("timeseries", "state-timeline", "piechart"):
            panel_options["legend"] = {"displayMode": "list", "placement": "bottom", "showLegend": True}
            panel_options["tooltip"] = {"mode": "multi", "sort": "desc"}
        if kind in ("stat", "bargauge", "piechart"):
            panel_options["reduceOptions"] = {"calcs": ["lastNotNull"], "fields": "", "values": False}
        panel_options.update(options or {})
        self.panels.append(
            {
                "id": len(self.panels) + 1,
                "type": kind,
                "title": title,
                "description": description,
                "datasource": DATASOURCE,
                "gridPos": self._place(width, height),
                "fieldConfig": {"defaults": field_defaults, "overrides": []},
                "options": panel_options,
                "targets": targets,
                "transformations": transformations or [],
            }
        )

    def json(self) -> dict[str, Any]:
        return {
            "annotations": {"list": []},
            "description": self.description,
            "editable": True,
            "fiscalYearStartMonth": 0,
            "graphTooltip": 1,
            "id": None,
            "links": [
                {
                    "asDropdown": False,
                    "icon": "external link",
                    "includeVars": True,
                    "keepTime": True,
                    "tags": [TAG],
                    "targetBlank": False,
                    "title": "Eocortex dashboards",
                    "tooltip": "",
                    "type": "dashboards",
                    "url": "",
                }
            ],
            "liveNow": False,
            "panels": self.panels,
            "refresh": "1m",
            "schemaVersion": 39,
            "tags": [TAG],
            "templating": {"list": [VARIABLES[name] for name in self.variables]},
            "time": {"from": "now-6h", "to": "now"},
            "timepicker": {},
            "timezone": "browser",
            "title": self.title,
            "uid": self.uid,
            "version": 1,
            "weekStart": "",
        }


def query_variable(name: str, label: str, definition: str, regex: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "definition": definition,
        "query": {"query": definition, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "regex": regex,
        "refresh": 2,
        "sort": 1,
        "multi": True,
        "includeAll": True,
        "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
        "hide": 0,
        "skipUrlSync": False,
    }


VARIABLES = {
    "datasource": {
        "name": "datasource",
        "label": "Data source",
        "type": "datasource",
        "query": "prometheus",
        "regex": "",
        "current": {},
        "options": [],
        "refresh": 1,
        "hide": 0,
        "includeAll": False,
        "multi": False,
        "skipUrlSync": False,
    },
    "target": query_variable("target", "Installation", "label_values(eocortex_up, target)"),
    # query_result prints labels sorted by name, so `server` comes right before `server_id`: the dropdown
    # shows the server's name and the variable holds its id.
    "server": query_variable(
        "server",
        "Server",
        f"query_result(eocortex_server_info{{{T}}})",
        '/server="(?<text>.*?)",server_id="(?<value>[^"]+)"/',
    ),
    "camera": query_variable(
        "camera",
        "Camera",
        f'query_result(eocortex_camera_info{{{SERVER}, disabled="false"}})',
        '/camera="(?<text>.*?)",camera_id="(?<value>[^"]+)"/',
    ),
}


def overview() -> Dashboard:
    d = Dashboard(
        "eocortex-overview",
        "Eocortex / Overview",
        "Installations, servers, camera states, bitrates, licence headroom and the exporter's collectors.",
        ["datasource", "target", "server"],
    )
    d.row("Installations and servers")
    d.panel(
        "stat",
        "Installations up",
        "eocortex_up: whether the exporter reaches and authenticates with each installation's main server.",
        [query(f"eocortex_up{{{T}}}", "{{target}}")],
        unit="none",
        width=6,
        height=5,
        defaults={"mappings": UP_MAPPINGS},
    )
    d.panel(
        "stat",
        "Servers up",
        "eocortex_server_up per server of the installation, by name.",
        [query(f"eocortex_server_up{{{SERVER}}} {SERVER_NAME}", "{{server}}")],
        unit="none",
        width=10,
        height=5,
        defaults={"mappings": UP_MAPPINGS},
    )
    d.panel(
        "stat",
        "Collectors failing",
        "Collectors whose last run failed (eocortex_collector_success = 0); the Exporter dashboard has details.",
        [query(f"sum by (target) (1 - eocortex_collector_success{{{T}}})", "{{target}}")],
        unit="none",
        width=8,
        height=5,
        defaults={"thresholds": steps("green", ("red", 1))},
    )
    d.row("Cameras")
    d.panel(
        "stat",
        "Cameras by status",
        "Enabled cameras in each status (recording rule target_server_status:eocortex_camera_status:sum).",
        [
            query(
                f"sum by (status) (target_server_status:eocortex_camera_status:sum{{{SERVER}}})", "{{status}}"
            )
        ],
        unit="none",
        width=8,
        options={"textMode": "value_and_name", "colorMode": "background", "graphMode": "none"},
        defaults={
            "thresholds": steps("blue"),
        },
    )
    d.panel(
        "table",
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
        transformations=[
            {
                "id": "organize",
                "options": {
                    "excludeByName": {
                        "Time": True,
                        "Value": True,
                        "__name__": True,
                        "job": True,
                        "instance": True,
                    },
                    "indexByName": {
                        "camera": 0,
                        "status": 1,
                        "server": 2,
                        "target": 3,
                        "camera_id": 4,
                        "server_id": 5,
                    },
                    "renameByName": {
                        "camera": "Camera",
                        "status": "Status",
                        "server": "Server",
                        "target": "Installation",
                    },
                },
            }
        ],
    )
    d.panel(
        "timeseries",
        "Received and recorded bitrate",
        "Total bitrate received from the cameras (both streams) and written to the archive.",
        [
            query(f"sum(target_server:eocortex_camera_receive_bytes_per_second:sum{{{SERVER}}})", "received"),
            query(f"sum(target_server:eocortex_camera_write_bytes_per_second:sum{{{SERVER}}})", "recorded"),
        ],
        unit="Bps",
        width=24,
    )
    d.panel(
        "stat",
        "Cameras on a reserve server",
        "Cameras served by a server other than their owner now (eocortex_camera_on_reserve): their owner "
        "failed over. 0 is the normal state.",
        [query(f"sum by (target) (eocortex_camera_on_reserve{{{T}}})", "{{target}}")],
        unit="none",
        width=8,
        height=5,
        defaults={"thresholds": steps("green", ("orange", 1))},
    )
    d.panel(
        "stat",
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
        defaults={"thresholds": steps("green", ("orange", 1))},
    )
    d.row("Licences")
    d.panel(
        "bargauge",
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
        options=HORIZONTAL_BARS,
        defaults={
            "min": 0,
            "thresholds": steps("red", ("orange", 1), ("green", 3)),
        },
    )
    d.panel(
        "bargauge",
        "Licence use per module",
        "Share of each licence module in use (recording rule target_module:eocortex_license_channels_used:ratio).",
        [query(f"target_module:eocortex_license_channels_used:ratio{{{T}}}", "{{module}}", instant=True)],
        unit="percentunit",
        options=HORIZONTAL_BARS,
        defaults={
            "min": 0,
            "max": 1,
            "thresholds": steps("green", ("orange", 0.9), ("red", 1)),
        },
    )
    return d


def cameras() -> Dashboard:
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
        d.panel(
            "timeseries",
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
    d.panel(
        "timeseries",
        "Recorded bitrate",
        "eocortex_camera_write_bytes_per_second: what the server writes to the archive per camera.",
        [query(f"eocortex_camera_write_bytes_per_second{{{T}}} {CAMERA_NAME}", "{{camera}}")],
        unit="Bps",
    )
    d.panel(
        "timeseries",
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
        defaults={"min": 0},
    )
    d.row("Status")
    d.panel(
        "state-timeline",
        "Status",
        "Camera status over time (recording rule target_camera:eocortex_camera_status:code).",
        [query(f'target_camera:eocortex_camera_status:code{{{SERVER}, camera_id=~"$camera"}}', "{{camera}}")],
        unit="none",
        width=24,
        height=12,
        options={"showValue": "never", "mergeValues": True, "rowHeight": 0.8},
        defaults={"mappings": STATUS_MAPPINGS},
    )
    d.panel(
        "timeseries",
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
    d.row("Map")
    d.panel(
        "geomap",
        "Camera map",
        "Cameras placed on the installation's map (configure/channels MapSettings), coloured by status: "
        + ", ".join(f"{colour} {name}" for name, colour in zip(STATUS_CODES, STATUS_COLOURS, strict=True))
        + ". Cameras never placed on the map are listed beside it.",
        [
            query(f"eocortex_camera_latitude_degrees{{{T}}} {CAMERA_NAME}", table=True),
            query(f"eocortex_camera_longitude_degrees{{{T}}} {CAMERA_NAME}", table=True),
            query(f'target_camera:eocortex_camera_status:code{{{SERVER}, camera_id=~"$camera"}}', table=True),
        ],
        unit="none",
        width=16,
        height=14,
        options={
            "view": {"id": "fit", "lat": 0, "lon": 0, "zoom": 1, "allLayers": True},
            "controls": {"showZoom": True, "mouseWheelZoom": True, "showAttribution": True},
            "basemap": {"type": "default", "name": "Basemap"},
            "tooltip": {"mode": "details"},
            "layers": [
                {
                    "type": "markers",
                    "name": "Cameras",
                    "location": {"mode": "coords", "latitude": "Value #A", "longitude": "Value #B"},
                    "config": {
                        "showLegend": False,
                        "style": {
                            "size": {"fixed": 6},
                            "color": {"field": "Value #C", "fixed": "dark-green"},
                            "text": {"mode": "field", "field": "camera", "fixed": ""},
                            "textConfig": {"fontSize": 10, "offsetY": -12, "textAlign": "center"},
                        },
                    },
                    "tooltip": True,
                }
            ],
        },
        defaults={"mappings": STATUS_MAPPINGS},
        transformations=[
            {"id": "merge", "options": {}},
            # Only placed cameras: the status query also returns the cameras that are not on the map.
            {
                "id": "filterByValue",
                "options": {
                    "type": "include",
                    "match": "all",
                    "filters": [{"fieldName": "Value #A", "config": {"id": "isNotNull", "options": {}}}],
                },
            },
        ],
    )
    d.panel(
        "table",
        "Cameras not on the map",
        "Cameras whose MapSettings.IsOnMap is false: place them in the Eocortex configurator to see them on the map.",
        [query(f"(eocortex_camera_on_map{{{T}}} == 0) {CAMERA_NAME}", table=True)],
        unit="none",
        width=8,
        height=14,
        transformations=[organize(["camera", "camera_id"], {"camera": "Camera"}, hide=("Value", "target"))],
    )
    d.row("Bindings and analytics")
    d.panel(
        "table",
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
        transformations=[
            organize(
                ["camera", "role", "server", "camera_id", "server_id"],
                {"camera": "Camera", "role": "Role", "server": "Server"},
                hide=("Value", "target"),
            )
        ],
    )
    d.panel(
        "table",
        "Analytics modules per camera",
        "Modules enabled in each camera's configuration (AnalyzeSettings: motion detector, face detector, "
        "interactive search, ...) and the analytics plugins running on it (webapi/cameras/analytics).",
        [
            query(f"(eocortex_camera_analytics_enabled{{{T}}} == 1) {CAMERA_NAME}", table=True),
            query(f"eocortex_camera_analytics_plugin_info{{{T}}} {CAMERA_NAME}", table=True),
        ],
        unit="none",
        transformations=[
            {"id": "merge", "options": {}},
            organize(
                ["camera", "module", "plugin_id", "camera_id"],
                {"camera": "Camera", "module": "Module", "plugin_id": "Plugin"},
                hide=("Value #A", "Value #B", "target"),
            ),
        ],
    )
    return d


def counting() -> Dashboard:
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
    d.panel(
        "timeseries",
        "Line crossings per hour",
        "Objects that crossed each line in the preceding hour, by class (counter resets handled by increase()).",
        [query(crossings, legend)],
        unit="short",
    )
    d.panel(
        "bargauge",
        "Line crossings in the last hour",
        "The same, now.",
        [query(crossings, legend, instant=True)],
        unit="short",
        options=HORIZONTAL_BARS,
    )
    d.panel(
        "bargauge",
        "Zone occupancy now",
        "Objects in each counting area now, by class.",
        [query(occupancy, legend, instant=True)],
        unit="none",
        options=HORIZONTAL_BARS,
    )
    d.panel(
        "timeseries",
        "Zone occupancy over time",
        "Objects in each counting area, by class.",
        [query(occupancy, legend)],
        unit="none",
    )
    d.row("Visitors (since local midnight)")
    for metric, title in (
        ("eocortex_visitors_total", "Visitors today"),
        ("eocortex_unique_visitors_total", "Unique visitors today"),
    ):
        d.panel(
            "stat",
            title,
            f"Sum of {metric} over the selected cameras; the counters restart at the installation's local midnight.",
            [query(f"sum({metric}{{{T}}} {CAMERA_FILTER})", title)],
            unit="none",
            width=6,
            height=5,
        )
    d.panel(
        "timeseries",
        "Visitors over the day",
        "Visitors and unique visitors counted since local midnight, selected cameras.",
        [
            query(f"sum(eocortex_visitors_total{{{T}}} {CAMERA_FILTER})", "visitors"),
            query(f"sum(eocortex_unique_visitors_total{{{T}}} {CAMERA_FILTER})", "unique visitors"),
        ],
        unit="none",
        height=5,
    )
    d.panel(
        "bargauge",
        "Visitors today per camera",
        "eocortex_visitors_total per camera.",
        [query(f"eocortex_visitors_total{{{T}}} {CAMERA_NAME}", "{{camera}}", instant=True)],
        unit="none",
        width=24,
        options=HORIZONTAL_BARS,
    )
    for metric, label, title in (
        ("eocortex_visitors_by_gender_total", "gender", "Gender"),
        ("eocortex_visitors_by_age_total", "age_group", "Age group"),
        ("eocortex_visitors_by_emotion_total", "emotion", "Emotion"),
    ):
        d.panel(
            "piechart",
            title,
            f"Visitors today by {label.replace('_', ' ')} ({metric}), selected cameras.",
            [query(f"sum by ({label}) ({metric}{{{T}}} {CAMERA_FILTER})", f"{{{{{label}}}}}", instant=True)],
            unit="none",
            width=8,
            options={"pieType": "donut", "displayLabels": ["percent"]},
        )
    face = f'(eocortex_camera_analytics_enabled{{{T}, module="face_detector"}} == 1)'
    d.panel(
        "table",
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
        defaults={
            "thresholds": steps("red", ("green", 1)),
            "custom": {"cellOptions": {"type": "color-text"}},
        },
        options={"sortBy": [{"displayName": "Visitors today", "desc": False}]},
        transformations=[
            organize(
                ["camera", "Value", "camera_id"],
                {"camera": "Camera", "Value": "Visitors today"},
                hide=("target", "module"),
            )
        ],
    )
    return d


def licences() -> Dashboard:
    d = Dashboard(
        "eocortex-licences",
        "Eocortex / Licences",
        "Licence modules used / limit per server, server channel allocations and expiry.",
        ["datasource", "target", "server"],
    )
    limited = f"(eocortex_license_channels_limit{{{SERVER}}} > 0)"
    d.row("Modules (webapi/license)")
    d.panel(
        "bargauge",
        "Use per module and server",
        "eocortex_license_channels_used / eocortex_license_channels_limit, modules with a limit only.",
        [
            query(
                f"eocortex_license_channels_used{{{SERVER}}} / {limited} {SERVER_NAME}",
                "{{server}}: {{module}}",
                instant=True,
            )
        ],
        unit="percentunit",
        options=HORIZONTAL_BARS,
        defaults={
            "min": 0,
            "max": 1,
            "thresholds": steps("green", ("orange", 0.9), ("red", 1)),
        },
    )
    d.panel(
        "table",
        "Used / limit per module and server",
        "Channels in use (across the installation and on the server) and licensed, modules with a limit only.",
        [
            query(f"(eocortex_license_channels_used{{{SERVER}}} and {limited}) {SERVER_NAME}", table=True),
            query(
                f"(eocortex_license_channels_used_on_server{{{SERVER}}} and {limited}) {SERVER_NAME}",
                table=True,
            ),
            query(f"{limited} {SERVER_NAME}", table=True),
        ],
        unit="none",
        transformations=[
            {"id": "merge", "options": {}},
            {
                "id": "organize",
                "options": {
                    "excludeByName": {"Time": True, "__name__": True, "job": True, "instance": True},
                    "indexByName": {"server": 0, "module": 1, "Value #A": 2, "Value #B": 3, "Value #C": 4},
                    "renameByName": {
                        "server": "Server",
                        "module": "Module",
                        "target": "Installation",
                        "Value #A": "Used",
                        "Value #B": "Used on server",
                        "Value #C": "Limit",
                    },
                },
            },
        ],
    )
    d.panel(
        "timeseries",
        "Use per module over time",
        "Share of each module in use per installation (recording rule target_module:eocortex_license_channels_used:ratio).",
        [query(f"target_module:eocortex_license_channels_used:ratio{{{T}}}", "{{target}}: {{module}}")],
        unit="percentunit",
        defaults={"min": 0},
    )
    d.panel(
        "bargauge",
        "Server channel allocation",
        "Channels of each server in use by kind, from configure/servers (UsedLicParams / TotalLicParams).",
        [
            query(
                f"eocortex_server_license_channels_used{{{SERVER}}} / (eocortex_server_license_channels_limit{{{SERVER}}} > 0) {SERVER_NAME}",
                "{{server}}: {{kind}}",
                instant=True,
            )
        ],
        unit="percentunit",
        options=HORIZONTAL_BARS,
        defaults={
            "min": 0,
            "max": 1,
            "thresholds": steps("green", ("orange", 0.9), ("red", 1)),
        },
    )
    d.row("Expiry (time-limited licences only)")
    d.panel(
        "stat",
        "Days until expiry",
        "Days until the time-limited licence reported by each server expires; no value for unlimited licences.",
        [
            query(
                f"(eocortex_license_expiry_timestamp_seconds{{{SERVER}}} - time()) / 86400 {SERVER_NAME}",
                "{{server}}",
            )
        ],
        unit="d",
        defaults={
            "decimals": 1,
            "thresholds": steps("red", ("orange", 7), ("green", 30)),
        },
    )
    d.panel(
        "stat",
        "Expiry date",
        "When the time-limited licence reported by each server expires.",
        [query(f"eocortex_license_expiry_timestamp_seconds{{{SERVER}}} * 1000 {SERVER_NAME}", "{{server}}")],
        unit="dateTimeAsIso",
        options={"textMode": "value_and_name", "graphMode": "none"},
    )
    d.row("Client connections")
    d.panel(
        "stat",
        "Client connections allowed",
        'Client connections the licence of each server allows (webapi/license MaxClients); "unlimited" for a '
        "licence that does not limit them (IsMaxClientsLimited false).",
        [
            query(
                f"""(eocortex_license_max_clients{{{SERVER}}}
                or (eocortex_license_max_clients_limited{{{SERVER}}} == 0) - 1) {SERVER_NAME}""",
                "{{server}}",
            )
        ],
        unit="none",
        width=24,
        height=5,
        options={"textMode": "value_and_name", "graphMode": "none"},
        defaults={"mappings": [{"type": "value", "options": {"-1": {"text": "unlimited", "index": 0}}}]},
    )
    return d


def archive() -> Dashboard:
    d = Dashboard(
        "eocortex-archive",
        "Eocortex / Archive",
        "How deep each camera's archive is against its configured retention, days missing, archive export "
        "tasks and the face and plate databases.",
        ["datasource", "target", "server", "camera"],
    )
    ratio = f"target_camera:eocortex_camera_archive_min_depth_seconds:depth_ratio{{{T}}}"
    d.row("Depth and retention")
    d.panel(
        "table",
        "Archive depth vs configured minimum, worst first",
        "Each camera's archive depth (time since the start of its oldest day with archive) as a share of its "
        "configured minimum depth (ArchivingMinDeepnessInDays); below 100 % it holds less than promised. A "
        "camera added recently is short too: EocortexArchiveShallowerThanMinimum waits until its oldest day moves.",
        [
            query(f"sort({ratio} {CAMERA_NAME})", table=True),
            query(
                f"target_camera:eocortex_camera_archive_oldest_day_timestamp_seconds:age{{{T}}} {CAMERA_NAME}",
                table=True,
            ),
            query(f"eocortex_camera_archive_min_depth_seconds{{{T}}} {CAMERA_NAME}", table=True),
        ],
        unit="percentunit",
        width=24,
        height=10,
        options={"sortBy": [{"displayName": "Depth / minimum", "desc": False}]},
        defaults={
            "thresholds": steps("red", ("green", 1)),
            "custom": {"cellOptions": {"type": "color-text"}},
        },
        transformations=[
            {"id": "merge", "options": {}},
            # Rows of cameras without a configured minimum carry no ratio.
            {
                "id": "filterByValue",
                "options": {
                    "type": "include",
                    "match": "all",
                    "filters": [{"fieldName": "Value #A", "config": {"id": "isNotNull", "options": {}}}],
                },
            },
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
        ],
    )
    d.panel(
        "timeseries",
        "Archive depth per camera",
        "Time since the start of each camera's oldest day with archive "
        "(target_camera:eocortex_camera_archive_oldest_day_timestamp_seconds:age).",
        [
            query(
                f"target_camera:eocortex_camera_archive_oldest_day_timestamp_seconds:age{{{T}}} {CAMERA_NAME}",
                "{{camera}}",
            )
        ],
        unit="s",
    )
    d.panel(
        "bargauge",
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
        options=HORIZONTAL_BARS,
        defaults={
            "min": 0,
            "thresholds": steps("green", ("orange", 1)),
        },
    )
    d.row("Archive export (tasks of the exporter's user)")
    d.panel(
        "timeseries",
        "Export tasks by state",
        "Archive export tasks in the history of the user the exporter logs in as, by state "
        "(eocortex_archive_export_tasks).",
        [query(f"sum by (state) (eocortex_archive_export_tasks{{{SERVER}}})", "{{state}}")],
        unit="none",
    )
    d.panel(
        "bargauge",
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
        options=HORIZONTAL_BARS,
        defaults={
            "min": 0,
            "decimals": 0,
            "thresholds": steps("green", ("red", 1)),
        },
    )
    d.row("Face and plate databases")
    d.panel(
        "bargauge",
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
        options=HORIZONTAL_BARS,
    )
    return d


def exporter() -> Dashboard:
    d = Dashboard(
        "eocortex-exporter",
        "Eocortex / Exporter",
        "eocexporter itself: collector runs, requests to the Eocortex API, latency, parse errors, data age.",
        ["datasource", "target"],
    )
    requests = f"eocortex_api_requests_total{{{T}}}"
    d.row("Collectors")
    d.panel(
        "timeseries",
        "Collector success",
        "eocortex_collector_success: 1 when the last run of the collector succeeded.",
        [query(f"eocortex_collector_success{{{T}}}", "{{target}} {{collector}}")],
        unit="none",
        defaults={"min": 0, "max": 1},
    )
    d.panel(
        "timeseries",
        "Collector run duration",
        "eocortex_collector_duration_seconds: a run longer than its interval is falling behind.",
        [query(f"eocortex_collector_duration_seconds{{{T}}}", "{{target}} {{collector}}")],
        unit="s",
    )
    d.panel(
        "timeseries",
        "Age of the data",
        "Seconds since each collector last succeeded: the age of what /metrics serves.",
        [
            query(
                f"time() - eocortex_collector_last_success_timestamp_seconds{{{T}}}",
                "{{target}} {{collector}}",
            )
        ],
        unit="s",
    )
    d.panel(
        "stat",
        "Exporter version",
        "eocortex_exporter_build_info of each scraped exporter.",
        [query("eocortex_exporter_build_info", "{{version}} (Python {{python_version}})")],
        unit="none",
        options={"textMode": "name", "graphMode": "none"},
    )
    d.row("Eocortex API")
    d.panel(
        "timeseries",
        "API requests by endpoint and code",
        "Requests per second to the Eocortex API by route template and HTTP status (or kind of failure).",
        [
            query(
                f"sum by (target, endpoint, code) (rate({requests}[$__rate_interval]))",
                "{{endpoint}} {{code}}",
            )
        ],
        unit="reqps",
    )
    d.panel(
        "timeseries",
        "Request latency",
        "Quantiles of eocortex_api_request_duration_seconds by route template.",
        [
            query(
                f"histogram_quantile({q}, sum by (target, endpoint, le) (rate(eocortex_api_request_duration_seconds_bucket{{{T}}}[$__rate_interval])))",
                f"p{int(q * 100)} {{{{endpoint}}}}",
            )
            for q in (0.5, 0.9, 0.99)
        ],
        unit="s",
    )
    d.panel(
        "timeseries",
        "Parse errors",
        "Responses per second that did not parse, by route template (0 for every route that answered).",
        [
            query(
                f"""sum by (target, endpoint) (rate(eocortex_api_parse_errors_total{{{T}}}[$__rate_interval]))
                or 0 * sum by (target, endpoint) (rate({requests}[$__rate_interval]))""",
                "{{endpoint}}",
            )
        ],
        unit="reqps",
    )
    d.panel(
        "timeseries",
        "Failed requests",
        "Share of requests to the Eocortex API that did not get a 2xx answer.",
        [
            query(
                f"""(sum by (target) (rate(eocortex_api_requests_total{{{T}, code!~"2.."}}[$__rate_interval]))
                or 0 * sum by (target) (rate({requests}[$__rate_interval])))
                / sum by (target) (rate({requests}[$__rate_interval]))""",
                "{{target}}",
            )
        ],
        unit="percentunit",
        defaults={"min": 0},
    )
    d.panel(
        "timeseries",
        "Concurrency allowed per server",
        "Requests the exporter lets be in flight to each server (politeness.server_concurrency, halved while"
        " the server slows down or refuses, won back one at a time). A dip is the exporter backing off.",
        [query(f"eocortex_api_server_concurrency_limit{{{T}}}", "{{target}} {{server_id}}")],
        unit="none",
        defaults={"min": 0},
    )
    d.panel(
        "timeseries",
        "Requests waiting for their server",
        "Seconds per second the exporter's requests waited for a server's concurrency slot or its"
        " requests-per-second limit: 0 unless a limit holds the polling back.",
        [
            query(
                f"sum by (target, server_id) (rate(eocortex_api_throttled_seconds_total{{{T}}}[$__rate_interval]))",
                "{{target}} {{server_id}}",
            )
        ],
        unit="s",
        defaults={"min": 0},
    )
    d.panel(
        "timeseries",
        "CPU parsing API answers",
        "CPU seconds per second the exporter spends decoding and reading the Eocortex API's answers, by"
        " target (eocortex_exporter_render_cpu_seconds_total has the exposition's own, per process).",
        [
            query(
                f"sum by (target) (rate(eocortex_api_parse_cpu_seconds_total{{{T}}}[$__rate_interval]))",
                "{{target}}",
            )
        ],
        unit="s",
        defaults={"min": 0},
    )
    d.row("Parquet sink (with parquet.root set)")
    d.panel(
        "timeseries",
        "Parquet rows written",
        "Rows per second the Parquet sink writes, by dataset (docs/parquet.md). No data while the sink is off.",
        [
            query(
                f"sum by (target, dataset) (rate(eocortex_parquet_rows_written_total{{{T}}}[$__rate_interval]))",
                "{{target}} {{dataset}}",
            )
        ],
        unit="short",
    )
    d.panel(
        "timeseries",
        "Parquet errors",
        "Files or checkpoints that could not be written (disk full, read-only, store down), and report"
        " intervals that could not be fetched, per interval of the graph.",
        [
            query(
                f"sum by (target, dataset) (increase(eocortex_parquet_write_errors_total{{{T}}}[$__rate_interval]))",
                "write {{target}} {{dataset}}",
            ),
            query(
                f"sum by (target, dataset) (increase(eocortex_parquet_fetch_errors_total{{{T}}}[$__rate_interval]))",
                "fetch {{target}} {{dataset}}",
            ),
        ],
        unit="short",
        defaults={"min": 0},
    )
    d.panel(
        "timeseries",
        "Parquet catch-up backlog",
        "Closed report intervals not yet written, per server: rises during an outage, falls as it catches up.",
        [
            query(
                f"sum by (target, dataset) (eocortex_parquet_backlog_intervals{{{T}}})",
                "{{target}} {{dataset}}",
            )
        ],
        unit="short",
        defaults={"min": 0},
    )
    d.panel(
        "timeseries",
        "Age of the Parquet data",
        "Seconds since the end of the last report interval (or the last snapshot) written, per dataset.",
        [
            query(
                f"time() - min by (target, dataset) (eocortex_parquet_last_written_timestamp_seconds{{{T}}})",
                "{{target}} {{dataset}}",
            )
        ],
        unit="s",
    )
    return d


DASHBOARDS = {
    "eocortex-overview.json": overview,
    "eocortex-cameras.json": cameras,
    "eocortex-counting.json": counting,
    "eocortex-licences.json": licences,
    "eocortex-archive.json": archive,
    "eocortex-exporter.json": exporter,
}


def render_all() -> dict[str, str]:
    return {
        name: json.dumps(build().json(), indent=2, ensure_ascii=False) + "\n"
        for name, build in DASHBOARDS.items()
    }


def main(argv: list[str] | None = None) -> int:
    return generator_main(__doc__.splitlines()[0], render_all, OUTPUT, argv)


if __name__ == "__main__":
    sys.exit(main())
