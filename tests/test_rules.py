"""The Prometheus rule files: generated from one file of thresholds, clean under promtool, unit-tested."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import promtool_path

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = sorted((ROOT / "alerts").glob("*.yml"))
RULE_TESTS = sorted((ROOT / "tests" / "rules").glob("*.yml"))
RUNBOOKS = ROOT / "docs" / "runbooks.md"
ALERTS = {
    "EocortexTargetDown",
    "EocortexExporterAbsent",
    "EocortexServerDown",
    "EocortexCameraDown",
    "EocortexCameraAltStreamError",
    "EocortexCameraSoundError",
    "EocortexCameraNotRecording",
    "EocortexCameraBitrateDrop",
    "EocortexManyCamerasDown",
    "EocortexLicenseNearlyExhausted",
    "EocortexLicenseExhausted",
    "EocortexLicenseExpiresSoon",
    "EocortexCollectorFailing",
    "EocortexDataStale",
    "EocortexArchiveShallowerThanMinimum",
    "EocortexArchiveGap",
    "EocortexCamerasOnReserve",
    "EocortexArchiveExportFailed",
    "EocortexParquetWriteFailing",
    "EocortexParquetBehind",
}


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def rules() -> list[dict]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def test_rule_files_are_what_the_generator_makes_of_the_thresholds() -> None:
    rendered = load_tool("render_rules").render_all()
    assert sorted(rendered) == [path.name for path in RULE_FILES]
    for path in RULE_FILES:
        assert path.read_text() == rendered[path.name], f"{path.name} is stale: run tools/render_rules.py"


def test_every_alert_has_severity_summary_description_and_a_runbook_section() -> None:
    alerting = [rule for rule in rules() if "alert" in rule]
    assert {rule["alert"] for rule in alerting} == ALERTS
    runbooks = RUNBOOKS.read_text()
    headings = {line[3:].strip() for line in runbooks.splitlines() if line.startswith("## ")}
    for rule in alerting:
        name = rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning", "info"), name
        assert set(rule["annotations"]) == {"summary", "description", "runbook_url"}, name
        base, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert base == "https://github.com/eocexporter/eocexporter/blob/main/docs/runbooks.md", name
        assert anchor == name.lower() and name in headings, (
            f"{name}: no section `## {name}` in docs/runbooks.md"
        )
        assert "${" not in str(rule), f"{name}: unrendered placeholder"


def test_recording_rules_follow_level_metric_operations() -> None:
    for rule in rules():
        if "record" in rule:
            assert re.fullmatch(r"[a-z_]+:eocortex_[a-z_]+:[a-z_0-9]+", rule["record"]), rule["record"]


def test_every_alert_has_a_firing_and_a_quiet_promtool_case() -> None:
    firing, quiet = set(), set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            assert case.get("name"), f"{path.name}: every case is named in prose"
            for check in case.get("alert_rule_test", []):
                if check["exp_alerts"]:
                    firing.add(check["alertname"])
                    for alert in check["exp_alerts"]:
                        assert "severity" in alert["exp_labels"], f"{path.name}: {case['name']}"
                        assert set(alert["exp_annotations"]) == {"summary", "description", "runbook_url"}
                else:
                    quiet.add(check["alertname"])
    assert firing == ALERTS
    assert quiet == ALERTS


@pytest.mark.promtool
def test_promtool_check_rules_is_clean() -> None:
    result = subprocess.run(
        [promtool_path(), "check", "rules", *map(str, RULE_FILES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr, result.stdout + result.stderr


@pytest.mark.promtool
def test_promtool_rule_unit_tests_pass() -> None:
    result = subprocess.run(
        [promtool_path(), "test", "rules", *map(str, RULE_TESTS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "FAILED" not in output, output
    assert output.count("SUCCESS") == len(RULE_TESTS), output
