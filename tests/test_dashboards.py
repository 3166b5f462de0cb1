"""The Grafana dashboards' JSON: importable as they are, consistent, and what the generator makes."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

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


def test_dashboards_are_what_the_generator_makes() -> None:
    spec = importlib.util.spec_from_file_location("build_dashboards", ROOT / "tools" / "build_dashboards.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_dashboards"] = module
    spec.loader.exec_module(module)
    rendered = module.render_all()
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
        assert d["id"] is None  # file provisioning and import assign their own


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
