"""The Grafana dashboards' JSON: importable as they are, consistent, what the SDK modules of tools/dashboards/
make, and made of fields Grafana's schema knows. tests/test_live_prometheus.py runs every panel's query."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from grafana_foundation_sdk.builders.dashboard import Dashboard as DashboardBuilder
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models.dashboard import Dashboard as DashboardModel

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = sorted((ROOT / "dashboards").glob("*.json"))
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
UIDS = {
    "eocortex-overview",
    "eocortex-cameras",
    "eocortex-counting",
    "eocortex-licences",
    "eocortex-exporter",
    "eocortex-archive",
}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def all_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every panel, including those nested in (collapsed) rows."""
    found = []
    for panel in panels:
        found.append(panel)
        found.extend(all_panels(panel.get("panels", [])))
    return found


def generator() -> Any:
    """tools/build_dashboards.py, which puts tools/ on sys.path and re-exports the modules of tools/dashboards/."""
    spec = importlib.util.spec_from_file_location("build_dashboards", ROOT / "tools" / "build_dashboards.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_dashboards"] = module
    spec.loader.exec_module(module)
    return module


def test_dashboards_are_what_the_generator_makes() -> None:
    rendered = generator().render_all()
    assert sorted(rendered) == [path.name for path in DASHBOARDS]
    for path in DASHBOARDS:
        assert path.read_text(encoding="utf-8") == rendered[path.name], (
            f"{path.name} is stale: run tools/build_dashboards.py"
        )


def test_uids_are_stable_and_unique_and_every_dashboard_links_the_others() -> None:
    dashboards = [load(path) for path in DASHBOARDS]
    assert {d["uid"] for d in dashboards} == UIDS
    assert len({d["title"] for d in dashboards}) == len(dashboards)
    for d in dashboards:
        assert "eocortex" in d["tags"]
        assert any(link["type"] == "dashboards" and "eocortex" in link["tags"] for link in d["links"])
        assert "id" not in d  # file provisioning and import assign their own


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_dashboard_structure(path: Path) -> None:
    dashboard = load(path)
    text = path.read_text(encoding="utf-8")
    assert "__inputs" not in dashboard and "__requires" not in dashboard
    assert "${DS_" not in text  # the placeholders of an "export for sharing externally"
    assert dashboard["schemaVersion"] >= 36

    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert "target" in variables
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE, variable["name"]

    panels = all_panels(dashboard["panels"])
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), f"duplicate panel ids in {path.name}"
    for panel in panels:
        if panel["type"] == "row":
            continue
        where = f"{path.name}: {panel['title']}"
        assert panel["datasource"] == DATASOURCE, where
        assert panel["fieldConfig"]["defaults"].get("unit"), f"{where}: no unit"
        assert panel.get("description"), where
        assert panel["targets"], where
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, where
            assert target["expr"].strip(), where
            assert "$target" in target["expr"] or "build_info" in target["expr"], f"{where}: ignores $target"
        position = panel["gridPos"]
        assert position["x"] + position["w"] <= 24, where

    # Every datasource reference anywhere in the file is the variable: no hard-coded uid.
    def datasources(node: Any) -> list[Any]:
        if isinstance(node, dict):
            own = [node["datasource"]] if "datasource" in node else []
            return own + [d for value in node.values() for d in datasources(value)]
        if isinstance(node, list):
            return [d for value in node for d in datasources(value)]
        return []

    assert all(ds == DATASOURCE for ds in datasources(dashboard["panels"]))


def test_camera_dashboards_offer_server_and_camera_variables() -> None:
    for uid in ("eocortex-cameras", "eocortex-counting"):
        dashboard = load(ROOT / "dashboards" / f"{uid}.json")
        names = [v["name"] for v in dashboard["templating"]["list"]]
        assert names == ["datasource", "target", "server", "camera"]


def test_every_dashboard_is_built_by_an_sdk_dashboard_builder() -> None:
    """One module per dashboard file, each building it with the SDK's dashboard builder (common.Dashboard
    subclasses it) into the SDK's model, which the SDK's encoder serialises."""
    modules = generator().MODULES
    assert sorted(module.FILE for module in modules) == [path.name for path in DASHBOARDS]
    for module in modules:
        builder = module.dashboard()
        assert isinstance(builder, DashboardBuilder), module.__name__
        assert isinstance(builder.build(), DashboardModel), module.__name__


def lost_or_changed(original: Any, parsed: Any, path: str = "") -> list[str]:
    """Where ``parsed`` lacks a field of ``original`` or has another value; fields it adds do not count."""
    if isinstance(original, dict) and isinstance(parsed, dict):
        return [
            found
            for key, value in original.items()
            for found in (
                lost_or_changed(value, parsed[key], f"{path}.{key}") if key in parsed else [f"{path}.{key}"]
            )
        ]
    if isinstance(original, list) and isinstance(parsed, list) and len(original) == len(parsed):
        return [
            found
            for i, (a, b) in enumerate(zip(original, parsed, strict=True))
            for found in lost_or_changed(a, b, f"{path}[{i}]")
        ]
    return [] if original == parsed else [path]


def through_the_sdk(dashboard: dict[str, Any]) -> dict[str, Any]:
    """The dashboard read into the SDK's typed models and written back: a field the models (generated from
    Grafana's schema: dashboard, each panel kind's options and field config, the Prometheus query) do not
    declare is dropped on the way."""
    register_default_plugins()  # the panel kinds' options and the Prometheus query as typed models
    return json.loads(json.dumps(DashboardModel.from_json(dashboard), cls=JSONEncoder))


# The one field written outside the SDK's models (tools/dashboards/common.py says why).
OUTSIDE_THE_SCHEMA = re.compile(r"\.templating\.list\[\d+\]\.definition")


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.name)
def test_every_field_is_one_grafanas_schema_knows(path: Path) -> None:
    dashboard = load(path)
    differences = lost_or_changed(dashboard, through_the_sdk(dashboard))
    unknown = [where for where in differences if not OUTSIDE_THE_SCHEMA.fullmatch(where)]
    assert not unknown, f"{path.name}: fields Grafana's schema does not have: {unknown}"
    queries = [v for v in dashboard["templating"]["list"] if v["type"] == "query"]
    assert len(differences) == len(queries)  # each query variable's definition, nothing else


def test_the_schema_check_finds_fields_grafana_does_not_know() -> None:
    """The check above is not vacuous: misspelt or invented fields at each level are caught."""
    dashboard = load(ROOT / "dashboards" / "eocortex-overview.json")
    panel = next(p for p in dashboard["panels"] if p["type"] == "stat")
    panel["options"]["textmode"] = "name"  # textMode
    panel["fieldConfig"]["defaults"]["units"] = "s"  # unit
    panel["targets"][0]["legend"] = "{{target}}"  # legendFormat
    panel["legendFormat"] = "{{target}}"  # belongs to the query
    dashboard["refreshInterval"] = "1m"  # refresh
    index = dashboard["panels"].index(panel)
    assert set(lost_or_changed(dashboard, through_the_sdk(dashboard))) >= {
        f".panels[{index}].options.textmode",
        f".panels[{index}].fieldConfig.defaults.units",
        f".panels[{index}].targets[0].legend",
        f".panels[{index}].legendFormat",
        ".refreshInterval",
    }
