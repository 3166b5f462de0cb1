"""What every dashboard shares: the filters, the variables, the thresholds, panel() and the Dashboard builder.

Everything is built with grafana-foundation-sdk's builders, whose setters are generated from Grafana's
schema (10.4, the version pinned in pyproject.toml): an option the schema does not have has no setter, and
a model serialises only the fields it declares. panel() sets what every panel, and every panel of its kind,
shares; a dashboard module chains the SDK builder's own setters on what it returns for anything else.
Free-form by Grafana's schema, and so plain dicts here: transformation options and a map layer's config.
"""

from __future__ import annotations

import typing

from grafana_foundation_sdk.builders import bargauge, piechart, stat, statetimeline, timeseries
from grafana_foundation_sdk.builders import dashboard as sdk_dashboard
from grafana_foundation_sdk.builders import prometheus as sdk_prometheus
from grafana_foundation_sdk.builders.common import ReduceDataOptions, VizLegendOptions, VizTooltipOptions
from grafana_foundation_sdk.cog.builder import Builder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as models
from grafana_foundation_sdk.models.prometheus import PromQueryFormat, QueryEditorMode

SCHEMA_VERSION = 39  # Grafana 10.4 / 11 (the SDK's own default is older)
GRID_WIDTH = 24
DATASOURCE = models.DataSourceRef(type_val="prometheus", uid="${datasource}")
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


def value_mappings(*values: tuple[str, str, str | None]) -> list[models.ValueMapping]:
    """One value mapping per (value, text, colour or None), indexed in order."""
    return [
        models.ValueMap(options={value: models.ValueMappingResult(text=text, color=colour, index=index)})
        for index, (value, text, colour) in enumerate(values)
    ]


# The recorded status code (target_camera:eocortex_camera_status:code) as its name and colour.
STATUS_MAPPINGS = value_mappings(
    *(
        (str(code), name, colour)
        for code, (name, colour) in enumerate(zip(STATUS_CODES, STATUS_COLOURS, strict=True))
    )
)
UP_MAPPINGS = value_mappings(("0", "Down", "red"), ("1", "Up", "green"))


def steps(base: str, *above: tuple[str, float]) -> sdk_dashboard.ThresholdsConfig:
    """Absolute thresholds: ``base`` from minus infinity, then each (colour, from value)."""
    return (
        sdk_dashboard.ThresholdsConfig()
        .mode(models.ThresholdsMode.ABSOLUTE)
        .steps(
            [
                models.Threshold(value=None, color=base),
                *(models.Threshold(value=value, color=colour) for colour, value in above),
            ]
        )
    )


def query(
    expr: str, legend: str = "", *, instant: bool = False, table: bool = False
) -> sdk_prometheus.Dataquery:
    """A PromQL query in code mode; ``table`` implies an instant query. The panel helper sets its refId."""
    built = (
        sdk_prometheus.Dataquery()
        .datasource(DATASOURCE)
        .editor_mode(QueryEditorMode.CODE)
        .expr(" ".join(expr.split()))
        .legend_format(legend or "__auto")
        .format(PromQueryFormat.TABLE if table else PromQueryFormat.TIME_SERIES)
    )
    return built.instant() if instant or table else built.range()


def merge() -> models.DataTransformerConfig:
    return models.DataTransformerConfig(id_val="merge", options={})


def only_rows_with(field: str) -> models.DataTransformerConfig:
    """Keep the rows whose ``field`` has a value (a merged row of a query that returned nothing has none)."""
    return models.DataTransformerConfig(
        id_val="filterByValue",
        options={
            "type": "include",
            "match": "all",
            "filters": [{"fieldName": field, "config": {"id": "isNotNull", "options": {}}}],
        },
    )


def organize(
    order: list[str], renames: dict[str, str], hide: tuple[str, ...] = ()
) -> models.DataTransformerConfig:
    """A table's columns: ``order`` first, renamed, and Prometheus' bookkeeping columns hidden."""
    hidden = {"Time": True, "__name__": True, "job": True, "instance": True, **dict.fromkeys(hide, True)}
    return models.DataTransformerConfig(
        id_val="organize",
        options={
            "excludeByName": hidden,
            "indexByName": {name: index for index, name in enumerate(order)},
            "renameByName": renames,
        },
    )


# --- panels --------------------------------------------------------------------------------------------

P = typing.TypeVar("P")


def _palette() -> sdk_dashboard.FieldColor:
    return sdk_dashboard.FieldColor().mode(models.FieldColorModeId.PALETTE_CLASSIC)


def _legend() -> VizLegendOptions:
    return (
        VizLegendOptions()
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.BOTTOM)
        .show_legend(True)
    )


def _tooltip() -> VizTooltipOptions:
    """All series, largest first."""
    return VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING)


def _last_value() -> ReduceDataOptions:
    return ReduceDataOptions().calcs(["lastNotNull"]).fields("").values(False)


def _timeseries(panel: timeseries.Panel) -> timeseries.Panel:
    return (
        panel.color_scheme(_palette())
        .draw_style(common.GraphDrawStyle.LINE)
        .line_width(1)
        .fill_opacity(10)
        .show_points(common.VisibilityMode.NEVER)
        .legend(_legend())
        .tooltip(_tooltip())
    )


def _state_timeline(panel: statetimeline.Panel) -> statetimeline.Panel:
    return panel.legend(_legend()).tooltip(_tooltip())


def _piechart(panel: piechart.Panel) -> piechart.Panel:
    legend = (
        piechart.PieChartLegendOptions()
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.BOTTOM)
        .show_legend(True)
    )
    return panel.color_scheme(_palette()).legend(legend).tooltip(_tooltip()).reduce_options(_last_value())


def _stat(panel: stat.Panel) -> stat.Panel:
    return panel.reduce_options(_last_value())


def _bargauge(panel: bargauge.Panel) -> bargauge.Panel:
    """Horizontal bars, one per series, of its last value."""
    return (
        panel.reduce_options(_last_value())
        .display_mode(common.BarGaugeDisplayMode.BASIC)
        .orientation(common.VizOrientation.HORIZONTAL)
    )


# What every panel of a kind shares, on top of what every panel does (see panel()).
KINDS: dict[type, typing.Callable[[typing.Any], typing.Any]] = {
    timeseries.Panel: _timeseries,
    statetimeline.Panel: _state_timeline,
    piechart.Panel: _piechart,
    stat.Panel: _stat,
    bargauge.Panel: _bargauge,
}


def panel(
    kind: type[P],
    title: str,
    description: str,
    queries: list[sdk_prometheus.Dataquery],
    *,
    unit: str,
    width: int = 12,
    height: int = 8,
) -> P:
    """A new panel of ``kind`` (one of the SDK's panel builders, e.g. ``timeseries.Panel``): the data source
    variable, the queries (refIds A, B, ...), a unit, its size on the grid, threshold colours (a palette
    for lines and pies) starting green, no value mappings; then what its kind shares (KINDS). Chain the
    builder's own setters on the result for anything else."""
    for index, target in enumerate(queries):
        target.ref_id(chr(ord("A") + index))
    new = (
        kind()
        .title(title)
        .description(description)
        .datasource(DATASOURCE)
        .targets(queries)
        .unit(unit)
        .span(width)
        .height(height)
        .color_scheme(sdk_dashboard.FieldColor().mode(models.FieldColorModeId.THRESHOLDS))
        .mappings([])
        .thresholds(steps("green"))
        .transformations([])
        .overrides([])
    )
    return KINDS.get(kind, lambda same: same)(new)


# --- variables -----------------------------------------------------------------------------------------


class _QueryVariableModel(models.VariableModel):
    """A query variable with ``definition``, the query text Grafana's variable editor writes next to
    ``query`` and lists in the dashboard settings. Grafana's CUE schema (and so the SDK) leaves it out;
    tests/test_live_prometheus.py runs it. The one field the dashboards write outside the SDK's models."""

    def __init__(self, definition: str, **kwargs: typing.Any) -> None:
        super().__init__(**kwargs)
        self.definition = definition

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "definition": self.definition}


class PrometheusQueryVariable(sdk_dashboard.QueryVariable):
    """The SDK's query variable builder, for a Prometheus query that also keeps its ``definition``."""

    def __init__(self, name: str, definition: str) -> None:
        super().__init__(name)
        self._internal = _QueryVariableModel(definition, name=name, type_val=models.VariableType.QUERY)
        self.query({"query": definition, "refId": "PrometheusVariableQueryEditor-VariableQuery"})


def query_variable(name: str, label: str, definition: str, regex: str = "") -> PrometheusQueryVariable:
    """A multi-value variable with "All" (``.*``), refreshed with the time range, sorted by name."""
    return (
        PrometheusQueryVariable(name, definition)
        .label(label)
        .datasource(DATASOURCE)
        .regex(regex)
        .refresh(models.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(models.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(models.VariableOption(selected=True, text=["All"], value=["$__all"]))
        .options([])
        .hide(models.VariableHide.DONT_HIDE)
    )


def variable(name: str) -> Builder[models.VariableModel]:
    """A fresh builder of the variable ``name`` (builders are mutable: one per dashboard)."""
    if name == "datasource":
        return (
            sdk_dashboard.DatasourceVariable("datasource")
            .label("Data source")
            .type("prometheus")
            .regex("")
            .hide(models.VariableHide.DONT_HIDE)
            .include_all(False)
            .multi(False)
        )
    if name == "target":
        return query_variable("target", "Installation", "label_values(eocortex_up, target)")
    # query_result prints labels sorted by name, so `server` comes right before `server_id`: the dropdown
    # shows the server's name and the variable holds its id.
    if name == "server":
        return query_variable(
            "server",
            "Server",
            f"query_result(eocortex_server_info{{{T}}})",
            '/server="(?<text>.*?)",server_id="(?<value>[^"]+)"/',
        )
    if name == "camera":
        return query_variable(
            "camera",
            "Camera",
            f'query_result(eocortex_camera_info{{{SERVER}, disabled="false"}})',
            '/camera="(?<text>.*?)",camera_id="(?<value>[^"]+)"/',
        )
    raise ValueError(f"no variable {name!r}")


# --- the dashboard -------------------------------------------------------------------------------------


class Dashboard(sdk_dashboard.Dashboard):
    """The SDK's dashboard builder with what all the Eocortex dashboards share, numbering the panels 1, 2, ...
    in order and laying them out left to right in rows 24 wide, wrapping when the next does not fit."""

    def __init__(self, uid: str, title: str, description: str, variables: list[str]) -> None:
        super().__init__(title)
        self._ids = 0
        self._x = self._y = self._line_height = 0
        (
            self.uid(uid)
            .description(description)
            .tags([TAG])
            .editable()
            .tooltip(models.DashboardCursorSync.CROSSHAIR)
            .time("now-6h", "now")
            .timezone("browser")
            .fiscal_year_start_month(0)
            .week_start("")
            .live_now(False)
            .refresh("1m")
            .version(1)
            .annotations([])
            .variables([variable(name) for name in variables])
            .link(
                sdk_dashboard.DashboardLink("Eocortex dashboards")
                .type(models.DashboardLinkType.DASHBOARDS)
                .tags([TAG])
                .icon("external link")
                .tooltip("")
                .url("")
                .as_dropdown(False)
                .target_blank(False)
                .include_vars(True)
                .keep_time(True)
            )
        )

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def row(self, title: str) -> typing.Self:
        """A row (never collapsed) below everything so far."""
        if self._x:
            self._x, self._y, self._line_height = 0, self._y + self._line_height, 0
        row = sdk_dashboard.Row(title).id(self._next_id()).collapsed(False)
        row.grid_pos(models.GridPos(h=1, w=GRID_WIDTH, x=0, y=self._y))
        self._y += 1
        return self.with_row(row)

    def add(self, panel: typing.Any) -> typing.Self:
        """``panel`` (from panel() above, which sizes it) at the next place of the grid."""
        size = panel.build().grid_pos
        assert size is not None, "size the panel with span() and height()"
        width, height = size.w, size.h
        if self._x + width > GRID_WIDTH:
            self._x, self._y, self._line_height = 0, self._y + self._line_height, 0
        panel.id(self._next_id()).grid_pos(models.GridPos(h=height, w=width, x=self._x, y=self._y))
        self._x += width
        self._line_height = max(self._line_height, height)
        return self.with_panel(panel)

    def build(self) -> models.Dashboard:
        built = super().build()
        built.schema_version = SCHEMA_VERSION
        return built
