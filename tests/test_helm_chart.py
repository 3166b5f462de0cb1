"""The Helm chart (helm/eocexporter), checked without a helm binary (none can be installed here).

- Chart.yaml's appVersion is the package's version;
- the chart's copies of alerts/ and dashboards/ equal their sources (tools/sync_chart.py --check), and the
  sync tool notices drift;
- values.yaml and every example values file (examples/helm/) validate against values.schema.json, and
  misspelt or misplaced values do not;
- the schema's exporter options are the exporter's own (its pydantic models), in both directions;
- the config file the chart renders (configmap.yaml, mirrored here) is accepted by the exporter;
- static checks of the templates: balanced delimiters and blocks, every .Values path exists in values.yaml,
  every include is defined, every .Files path exists;
- the security defaults and probes the issue asks for;
- webConfig (docs/security.md): the template parts depending on it rendered statically (flag, Secret
  mount, HTTPS / /healthz / TCP probes, the ServiceMonitor's scheme), its schema and example.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from eocexporter import __version__
from eocexporter.config import (
    CollectorsConfig,
    ParquetConfig,
    S3Config,
    Settings,
    TargetConfig,
    load_settings,
)

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "helm" / "eocexporter"
TEMPLATES = CHART / "templates"
EXAMPLES = sorted((ROOT / "examples" / "helm").glob("*.yaml"))
SECRET_DIR = "/etc/eocexporter/secrets"
DATA_DIR = "/var/lib/eocexporter"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def values() -> dict[str, Any]:
    return load_yaml(CHART / "values.yaml")


def schema() -> dict[str, Any]:
    return json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))


def coalesce(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of a values file over values.yaml: maps merge, lists and scalars replace, null deletes."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = coalesce(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def errors(candidate: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema())
    return [
        f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(candidate)
    ]


# ---- Chart.yaml and the synced copies -------------------------------------------------------------


def test_chart_metadata() -> None:
    chart = load_yaml(CHART / "Chart.yaml")
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "eocexporter" == CHART.name
    assert chart["type"] == "application"
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[\w.]+)?", chart["version"])
    assert chart["appVersion"] == __version__, "run `.venv/bin/python tools/sync_chart.py`"


def test_chart_copies_equal_their_sources() -> None:
    pairs = [
        (sorted((ROOT / "alerts").glob("eocortex-*.yml")), CHART / "files" / "alerts"),
        (sorted((ROOT / "dashboards").glob("*.json")), CHART / "files" / "dashboards"),
    ]
    for sources, copies in pairs:
        assert sources
        assert sorted(p.name for p in copies.iterdir()) == [p.name for p in sources], (
            f"{copies.relative_to(ROOT)} differs from its sources: run `.venv/bin/python tools/sync_chart.py`"
        )
        for source in sources:
            assert (copies / source.name).read_bytes() == source.read_bytes(), (
                f"{source.relative_to(ROOT)} changed since the chart's copy: run `.venv/bin/python tools/sync_chart.py`"
            )


def test_sync_tool_check_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "sync_chart.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def _sync_module(monkeypatch: pytest.MonkeyPatch) -> Any:
    spec = importlib.util.spec_from_file_location("sync_chart_under_test", ROOT / "tools" / "sync_chart.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_sync_tool_notices_and_repairs_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sync = _sync_module(monkeypatch)
    source, copies = tmp_path / "alerts", tmp_path / "chart" / "alerts"
    source.mkdir()
    (source / "eocortex-alerts.yml").write_text("groups: []\n")
    (source / "eocortex-rules.yml").write_text("groups: []\n")
    monkeypatch.setattr(sync, "ROOT", tmp_path)
    monkeypatch.setattr(sync, "COPIES", ((source, "eocortex-*.yml", copies),))
    chart_yaml = tmp_path / "Chart.yaml"
    chart_yaml.write_text('name: x\nappVersion: "0.0.1"\n')
    monkeypatch.setattr(
        sync, "VERSION_LINES", ((chart_yaml, sync.VERSION_LINES[0][1], sync.VERSION_LINES[0][2]),)
    )
    monkeypatch.setattr(sync, "package_version", lambda: "9.8.7")
    assert sync.main(["--check"]) == 1  # copies missing, appVersion old
    assert sync.main([]) == 0
    assert sync.main(["--check"]) == 0
    (source / "eocortex-alerts.yml").write_text("groups: [{name: x, rules: []}]\n")
    (copies / "stale.yml").write_text("groups: []\n")
    assert sync.main(["--check"]) == 1  # a changed source and a copy without a source
    assert sync.main([]) == 0
    assert sorted(p.name for p in copies.iterdir()) == ["eocortex-alerts.yml", "eocortex-rules.yml"]
    assert (copies / "eocortex-alerts.yml").read_text() == "groups: [{name: x, rules: []}]\n"
    assert chart_yaml.read_text() == 'name: x\nappVersion: "9.8.7"\n'
    assert sync.main(["--check"]) == 0


# ---- values and the schema ------------------------------------------------------------------------


def test_schema_is_draft7() -> None:
    document = schema()
    assert document["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(document)


def test_values_yaml_validates() -> None:
    assert errors(values()) == []


def test_there_are_example_values() -> None:
    names = {path.stem for path in EXAMPLES}
    assert {"minimal", "existing-secret", "parquet-pvc", "prometheus-operator", "sharded"} <= names


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_values_validate(example: Path) -> None:
    assert errors(coalesce(values(), load_yaml(example))) == []


TARGET = {"name": "shop", "url": "http://eocortex.example:8080"}


@pytest.mark.parametrize(
    "override",
    [
        {"serviceMonitor": {"enable": True}},
        {"imge": {"repository": "x"}},
        {"targets": [{**TARGET, "pasword": "x"}]},
        {"targets": [{**TARGET, "password_file": "/run/secrets/x"}]},
        {"targets": [{"name": "shop"}]},
        {"targets": [{**TARGET, "name": "shop mall"}]},
        {"targets": [{**TARGET, "url": "eocortex.example:8080"}]},
        {"targets": [{**TARGET, "auth": "digest"}]},
        {"config": {"listen": "0.0.0.0:9999"}},
        {"config": {"targets": []}},
        {"config": {"loglevel": "debug"}},
        {"config": {"collectors": {"camera": {"interval": "30s"}}}},
        {"config": {"collectors": {"cameras": {"interval": "30 sec"}}}},
        {"config": {"collectors": {"discovery": {"enabled": False}}}},
        {"config": {"parquet": {"root": "/data/parquet"}}},
        {"config": {"parquet": {"root": "s3://KEY:SECRET@bucket/prefix"}}},
        {"config": {"parquet": {"s3": {"secret_key": "x"}}}},
        {"persistence": {"enabled": True, "existingClaim": "claim"}},
        {"persistence": {"size": "10 GB"}},
        {"secrets": {"existingSecret": "mine", "s3SecretKey": "x"}},
        {"secrets": {"s3SecretKeyKey": "key"}},
        {"securityContext": {"readOnlyRootFileSystem": True}},
        {"resources": {"limit": {"memory": "1Gi"}}},
        {"service": {"port": 0}},
        {"sharding": {"count": 0}},
        {"sharding": {"enabled": True}, "persistence": {"existingClaim": "one-claim-for-all-shards"}},
        {"webConfig": {"secret": "eocexporter-web"}},
        {"webConfig": {"existingSecret": "eocexporter-web", "tls": "yes"}},
        {"webConfig": {"existingSecret": "Not_A_Secret_Name"}},
        {"webConfig": {"existingSecret": "eocexporter-web", "key": "web config.yml"}},
        {"webConfig": {"tls": True}},
        {"webConfig": {"basicAuth": True}},
        {"webConfig": {"existingSecret": "eocexporter-web", "clientCertificates": True}},
        {"serviceMonitor": {"basicAuth": {"username": "prometheus", "password": "s3cret"}}},
        {"serviceMonitor": {"basicAuth": {"username": {"name": "scrape"}}}},
    ],
    ids=lambda o: json.dumps(o)[:60],
)
def test_schema_rejects_misspelt_or_misplaced_values(override: dict[str, Any]) -> None:
    assert errors(coalesce(values(), override)), f"{override} should be rejected"


# The exporter's options the chart sets itself (the shard options through the environment, from sharding.*).
CHART_MANAGED = {
    "config": {"listen", "targets", "shard_index", "shard_count"},
    "targets": {"password", "password_file"},
    "config.parquet.s3": {"secret_key", "secret_key_file"},
}
CHART_ONLY = {"targets": {"password", "passwordKey"}}


def _model_of(annotation: Any) -> type[BaseModel] | None:
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _compare(node: dict[str, Any], model: type[BaseModel], path: str, problems: list[str]) -> None:
    assert node.get("additionalProperties") is False, f"{path}: the schema must forbid unknown keys"
    properties = node["properties"]
    fields = set(model.model_fields) - CHART_MANAGED.get(path, set())
    for name in sorted(fields - set(properties)):
        problems.append(f"{path}.{name}: an exporter option missing from values.schema.json")
    for name in sorted(set(properties) - fields - CHART_ONLY.get(path, set())):
        problems.append(f"{path}.{name}: in values.schema.json but not an exporter option")
    for name in sorted(fields & set(properties)):
        nested = _model_of(model.model_fields[name].annotation)
        if nested is not None:
            _compare(properties[name], nested, f"{path}.{name}", problems)


def test_schema_follows_the_exporter_options() -> None:
    document = schema()["properties"]
    problems: list[str] = []
    _compare(document["config"], Settings, "config", problems)
    _compare(document["targets"]["items"], TargetConfig, "targets", problems)
    assert problems == []
    # the walk reached the nested models
    assert _model_of(Settings.model_fields["collectors"].annotation) is CollectorsConfig
    assert _model_of(Settings.model_fields["parquet"].annotation) is ParquetConfig
    assert _model_of(ParquetConfig.model_fields["s3"].annotation) is S3Config


# ---- the rendered config --------------------------------------------------------------------------


def render_config(chart_values: dict[str, Any]) -> dict[str, Any]:
    """What templates/configmap.yaml renders into config.yml (kept in step with it by the test below)."""
    config = copy.deepcopy(chart_values["config"])
    existing = chart_values["secrets"]["existingSecret"]
    targets = []
    for target in chart_values["targets"]:
        rendered = {k: v for k, v in target.items() if k not in ("password", "passwordKey")}
        if existing:
            rendered["password_file"] = f"{SECRET_DIR}/{target.get('passwordKey') or target['name']}"
        elif "password" in target:
            rendered["password_file"] = f"{SECRET_DIR}/{target['name']}"
        targets.append(rendered)
    config["targets"] = targets
    config["listen"] = "0.0.0.0:10070"
    if existing:
        s3_key = chart_values["secrets"]["s3SecretKeyKey"]
    else:
        s3_key = "_s3_secret_key" if chart_values["secrets"]["s3SecretKey"] else ""
    if s3_key:
        parquet = config.setdefault("parquet", {}) or {}
        parquet.setdefault("s3", {})["secret_key_file"] = f"{SECRET_DIR}/{s3_key}"
        config["parquet"] = parquet
    return config


def test_configmap_template_matches_the_mirror() -> None:
    template = (TEMPLATES / "configmap.yaml").read_text(encoding="utf-8")
    for fragment in (
        "$config := deepCopy .Values.config",
        'omit . "password" "passwordKey"',
        "(.passwordKey | default .name)",
        'else if hasKey . "password"',
        'set $config "targets" $targets',
        'set $config "listen" "0.0.0.0:10070"',
        'set $s3 "secret_key_file"',
    ):
        assert fragment in template, fragment
    helpers = (TEMPLATES / "_helpers.tpl").read_text(encoding="utf-8")
    assert 'define "eocexporter.secretDir" -}}' + SECRET_DIR in helpers
    assert 'print "_s3_secret_key"' in helpers


def _into(tmp: Path, path: str) -> Path:
    return tmp / path.lstrip("/")


def _localise(node: Any, tmp: Path, key: str = "") -> Any:
    """Move the pod's file paths under ``tmp`` and create the files the pod would have."""
    if isinstance(node, dict):
        return {k: _localise(v, tmp, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_localise(v, tmp, key) for v in node]
    if isinstance(node, str) and key.endswith("_file") and node.startswith("/"):
        local = _into(tmp, node)
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_text("example-password\n")
        return str(local)
    if isinstance(node, str) and key == "root" and node.startswith(DATA_DIR):
        return str(_into(tmp, node))
    return node


@pytest.mark.parametrize("example", [None, *EXAMPLES], ids=lambda p: p.name if p else "values.yaml")
def test_rendered_config_is_accepted_by_the_exporter(
    example: Path | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("EOCEXPORTER_")]:
        monkeypatch.delenv(name)
    chart_values = coalesce(values(), load_yaml(example)) if example else values()
    sharding = chart_values["sharding"]
    if sharding["enabled"]:  # as deployment.yaml sets them in the last pod of the StatefulSet
        monkeypatch.setenv("EOCEXPORTER_SHARD_INDEX", f"eoc-eocexporter-{sharding['count'] - 1}")
        monkeypatch.setenv("EOCEXPORTER_SHARD_COUNT", str(sharding["count"]))
    rendered = render_config(chart_values)
    if example is not None and chart_values["targets"]:
        for target in rendered["targets"]:
            assert "password" not in target, "a password must never be in the ConfigMap"
            assert target["password_file"].startswith(SECRET_DIR + "/")
    config_file = tmp_path / "config.yml"
    config_file.write_text(yaml.safe_dump(_localise(rendered, tmp_path)))
    settings = load_settings(config_file)
    assert [t.name for t in settings.targets] == [t["name"] for t in chart_values["targets"]]
    if sharding["enabled"]:
        assert (settings.shard_index, settings.shard_count) == (sharding["count"] - 1, sharding["count"])


# ---- static checks of the templates ---------------------------------------------------------------

COMMENT = re.compile(r"\{\{-?\s*/\*.*?\*/\s*-?\}\}", re.DOTALL)
ACTION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
BLOCK_OPENERS = {"if", "range", "with", "define", "block"}


def template_files() -> list[Path]:
    files = sorted(TEMPLATES.iterdir())
    assert {"deployment.yaml", "service.yaml", "_helpers.tpl", "configmap.yaml"} <= {f.name for f in files}
    return files


def actions(path: Path) -> list[str]:
    text = COMMENT.sub("", path.read_text(encoding="utf-8"))
    outside = ACTION.sub("", text)
    assert "{{" not in outside and "}}" not in outside, f"{path.name}: unbalanced template delimiters"
    return [
        match.group(1).strip().removeprefix("-").removesuffix("-").strip() for match in ACTION.finditer(text)
    ]


@pytest.mark.parametrize("path", template_files(), ids=lambda p: p.name)
def test_template_delimiters_and_blocks_balance(path: Path) -> None:
    stack: list[str] = []
    for action in actions(path):
        word = re.split(r"[\s(]", action, maxsplit=1)[0]
        if word in BLOCK_OPENERS:
            stack.append(word)
        elif word == "else":
            assert stack and stack[-1] in ("if", "with", "range"), f"{path.name}: else outside a block"
        elif word == "end":
            assert stack, f"{path.name}: {{{{ end }}}} without a block"
            stack.pop()
    assert stack == [], f"{path.name}: unclosed {stack}"


def test_every_values_path_in_the_templates_exists_in_values_yaml() -> None:
    defaults = values()
    missing = []
    for path in template_files():
        for action in actions(path):
            for match in re.finditer(r"\$?\.Values((?:\.[A-Za-z_]\w*)+)", action):
                node: Any = defaults
                for part in match.group(1).strip(".").split("."):
                    if not isinstance(node, dict):
                        break  # inside a list or a scalar: nothing more to check
                    if part not in node:
                        missing.append(f"{path.name}: .Values{match.group(1)}")
                        break
                    node = node[part]
    assert missing == []


def test_every_include_is_defined_and_every_chart_file_exists() -> None:
    defined = set()
    for path in template_files():
        defined |= set(re.findall(r'define\s+"([^"]+)"', " ".join(actions(path))))
    for path in template_files():
        for action in actions(path):
            for name in re.findall(r'include\s+"([^"]+)"', action):
                assert name in defined, f"{path.name}: include {name!r} is not defined"
            for name in re.findall(r'\.Files\.Get\s+"([^"]+)"', action):
                assert (CHART / name).is_file(), f"{path.name}: {name} not in the chart"
            for pattern in re.findall(r'\.Files\.Glob\s+"([^"]+)"', action):
                assert list(CHART.glob(pattern)), f"{path.name}: {pattern} matches nothing in the chart"
            for name in re.findall(r'print \$\.Template\.BasePath "/([^"]+)"', action):
                assert (TEMPLATES / name).is_file(), f"{path.name}: {name} is not a template"


def test_chart_files_parse_as_what_the_templates_expect() -> None:
    for rules in sorted((CHART / "files" / "alerts").glob("*.yml")):
        groups = load_yaml(rules)["groups"]
        assert groups and all(group["name"] and group["rules"] for group in groups)
    for dashboard in sorted((CHART / "files" / "dashboards").glob("*.json")):
        document = json.loads(dashboard.read_text(encoding="utf-8"))
        assert document["uid"] and document["panels"]
        # one ConfigMap each: well under the 1 MiB a ConfigMap may hold
        assert dashboard.stat().st_size < 900_000


# ---- what the issue asks of the pod ---------------------------------------------------------------


def test_security_defaults() -> None:
    defaults = values()
    pod, container = defaults["podSecurityContext"], defaults["securityContext"]
    assert pod["runAsNonRoot"] is True and container["runAsNonRoot"] is True
    assert pod["runAsUser"] == container["runAsUser"] == 10001  # the image's USER
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["readOnlyRootFilesystem"] is True
    assert container["allowPrivilegeEscalation"] is False
    assert container["capabilities"]["drop"] == ["ALL"]
    assert defaults["resources"]["requests"] and defaults["resources"]["limits"]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "\nUSER 10001:10001\n" in dockerfile


def test_workload_probes_mounts_and_kinds() -> None:
    workload = (TEMPLATES / "deployment.yaml").read_text(encoding="utf-8")
    plain = render_web_config(workload, values()["webConfig"])
    assert re.search(r"livenessProbe:\s+httpGet:\s+path: /healthz\s+port: http\s+initialDelaySeconds", plain)
    assert re.search(r"readinessProbe:\s+httpGet:\s+path: /ready\s+port: http\s+initialDelaySeconds", plain)
    assert "kind: {{ if $statefulSet }}StatefulSet{{ else }}Deployment{{ end }}" in workload
    assert "$statefulSet := or .Values.persistence.enabled $sharded" in workload
    assert "{{ if $sharded }}{{ .Values.sharding.count }}{{ else }}1{{ end }}" in workload
    assert re.search(
        r"- name: EOCEXPORTER_SHARD_INDEX\s+valueFrom:\s+fieldRef:\s+fieldPath: metadata.name", workload
    )
    assert re.search(
        r"- name: EOCEXPORTER_SHARD_COUNT\s+value: \{\{ .Values.sharding.count \| quote \}\}", workload
    )
    assert "volumeClaimTemplates:" in workload
    for mount in ("mountPath: /var/lib/eocexporter", "mountPath: /tmp", 'include "eocexporter.secretDir"'):
        assert mount in workload, mount
    assert "- --config" in workload
    assert "automountServiceAccountToken: false" in workload


def test_dashboards_and_rules_are_data_not_templates() -> None:
    """Rules and dashboards hold {{ ... }} of their own: they must reach the cluster through .Files."""
    rules = (TEMPLATES / "prometheusrule.yaml").read_text(encoding="utf-8")
    assert '.Files.Get "files/alerts/eocortex-alerts.yml" | fromYaml' in rules
    assert '.Files.Get "files/alerts/eocortex-rules.yml" | fromYaml' in rules
    dashboards = (TEMPLATES / "dashboards-configmap.yaml").read_text(encoding="utf-8")
    assert '.Files.Glob "files/dashboards/*.json"' in dashboards
    assert "tpl" not in re.findall(r"\w+", " ".join(actions(TEMPLATES / "dashboards-configmap.yaml")))
    assert values()["dashboards"]["labels"] == {"grafana_dashboard": "1"}


# ---- access control: webConfig (docs/security.md) ------------------------------------------------

WEB_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.DOTALL)
WEB_CONDITION = re.compile(r"(if|with) \.Values\.webConfig\.(\w+)")
WEB_VALUE = re.compile(r"\.Values\.webConfig\.(\w+)")


def render_web_config(text: str, web: dict[str, Any]) -> str:
    """The template with what depends on ``.Values.webConfig`` evaluated as helm would: ``if``/``with``/
    ``else``/``end`` on its values, ``{{ . }}`` inside such a ``with``, ``{{ .Values.webConfig.x }}``, and
    Go's ``{{-``/``-}}`` whitespace trimming around them. Every other action is left as it is."""
    out: list[str] = []
    stack: list[tuple[str, bool, bool, Any]] = []  # (kind, condition, active outside, with's value)
    active, trim_next, position = True, False, 0
    for match in WEB_ACTION.finditer(text):
        literal = text[position : match.start()]
        position = match.end()
        if trim_next:
            literal = literal.lstrip()
        trim_next = False
        left, action, right = match.groups()
        condition = WEB_CONDITION.fullmatch(action)
        value_of = WEB_VALUE.fullmatch(action)
        in_with = any(kind == "web" and value is not None for kind, _, _, value in stack)
        in_web_block = bool(stack) and stack[-1][0] == "web"
        ours = (
            condition is not None
            or value_of is not None
            or (action in ("else", "end") and in_web_block)
            or (action == "." and in_with)
        )
        if active:
            out.append(literal.rstrip() if ours and left else literal)
        if not ours:
            if active:
                out.append(match.group(0))
            word = action.split(" ", 1)[0]
            if word in ("if", "with", "range", "define", "block"):
                stack.append(("other", True, active, None))
            elif word == "end":
                stack.pop()
            continue
        trim_next = bool(right)
        if condition is not None:
            value = web.get(condition.group(2))
            stack.append(("web", bool(value), active, value if condition.group(1) == "with" else None))
            active = active and bool(value)
        elif action == "else":
            _, held, outside, _ = stack[-1]
            active = outside and not held
        elif action == "end":
            active = stack.pop()[2]
        elif active and value_of is not None:
            out.append(str(web.get(value_of.group(1), "")))
        elif active:  # {{ . }} in a with
            out.append(str(next(value for kind, _, _, value in reversed(stack) if kind == "web")))
    if active:
        out.append(text[position:].lstrip() if trim_next else text[position:])
    return "".join(out)


def test_the_web_config_renderer_follows_go_templates() -> None:
    template = (
        "a:\n  {{- if .Values.webConfig.tls }}\n  b: 1\n  {{- else }}\n  b: 2\n  {{- end }}\n"
        "c: {{ if .Values.webConfig.basicAuth }}x{{ else }}y{{ end }}\n"
        "{{- with .Values.webConfig.existingSecret }}\nd: {{ . }}\n{{- end }}\n"
        "{{- if .Values.other }}e{{ end }}\n"
    )
    assert render_web_config(template, {"tls": True, "existingSecret": "s"}) == (
        "a:\n  b: 1\nc: y\nd: s\n{{- if .Values.other }}e{{ end }}\n"
    )
    assert render_web_config(template, {"basicAuth": True, "existingSecret": ""}) == (
        "a:\n  b: 2\nc: x\n{{- if .Values.other }}e{{ end }}\n"
    )


def probe(workload: str, name: str) -> str:
    match = re.search(rf"{name}:\n(.*?)\n\s+initialDelaySeconds", workload, re.DOTALL)
    assert match, f"no {name}"
    return " ".join(match.group(1).split())


@pytest.mark.parametrize(
    ("web", "liveness", "readiness"),
    [
        ({}, "httpGet: path: /healthz port: http", "httpGet: path: /ready port: http"),
        (
            {"tls": True},
            "httpGet: path: /healthz port: http scheme: HTTPS",
            "httpGet: path: /ready port: http scheme: HTTPS",
        ),
        ({"basicAuth": True}, "httpGet: path: /healthz port: http", "httpGet: path: /healthz port: http"),
        (
            {"tls": True, "basicAuth": True},
            "httpGet: path: /healthz port: http scheme: HTTPS",
            "httpGet: path: /healthz port: http scheme: HTTPS",
        ),
        ({"tls": True, "clientCertificates": True}, "tcpSocket: port: http", "tcpSocket: port: http"),
    ],
    ids=lambda v: json.dumps(v) if isinstance(v, dict) else None,
)
def test_probes_follow_what_the_web_config_switches_on(
    web: dict[str, Any], liveness: str, readiness: str
) -> None:
    chart_values = coalesce(values(), {"webConfig": {"existingSecret": "eocexporter-web", **web}})
    assert errors(chart_values) == []
    workload = render_web_config(
        (TEMPLATES / "deployment.yaml").read_text(encoding="utf-8"), chart_values["webConfig"]
    )
    assert probe(workload, "livenessProbe") == liveness
    assert probe(workload, "readinessProbe") == readiness


def test_web_config_secret_is_mounted_and_passed_with_the_flag() -> None:
    template = (TEMPLATES / "deployment.yaml").read_text(encoding="utf-8")
    off = render_web_config(template, values()["webConfig"])
    assert "web.config.file" not in off and "web-config" not in off
    on = render_web_config(template, {"existingSecret": "eocexporter-web", "key": "web.yml"})
    args = re.search(r"args:\n((?:\s+- .*\n)+)", on)
    assert args, "no args"
    last = args.group(1).splitlines()[-1].strip()
    assert last == '- --web.config.file={{ include "eocexporter.webConfigDir" . }}/web.yml'
    helpers = (TEMPLATES / "_helpers.tpl").read_text(encoding="utf-8")
    assert 'define "eocexporter.webConfigDir" -}}/etc/eocexporter/web{{- end }}' in helpers
    # the whole Secret as a directory (a subPath mount would never see the Secret change)
    assert re.search(
        r'- name: web-config\n\s+mountPath: \{\{ include "eocexporter.webConfigDir" \. \}\}\n\s+readOnly: true',
        on,
    )
    assert re.search(
        r"- name: web-config\n\s+secret:\n\s+secretName: eocexporter-web\n\s+defaultMode: 0440", on
    )
    assert not re.search(r"^\s+subPath:", on, re.MULTILINE)


def test_service_monitor_scrapes_with_the_web_config() -> None:
    template = (TEMPLATES / "servicemonitor.yaml").read_text(encoding="utf-8")
    assert "scheme: https" not in render_web_config(template, {})
    assert re.search(r"path: /metrics\n\s+scheme: https\n", render_web_config(template, {"tls": True}))
    assert "{{- with .Values.serviceMonitor.tlsConfig }}\n      tlsConfig:" in template
    assert "{{- with .Values.serviceMonitor.basicAuth }}\n      basicAuth:" in template
    example = coalesce(values(), load_yaml(ROOT / "examples" / "helm" / "web-config.yaml"))
    assert errors(example) == []
    assert example["webConfig"]["tls"] and example["serviceMonitor"]["tlsConfig"]
    assert example["serviceMonitor"]["basicAuth"]["password"] == {
        "name": "eocexporter-scrape",
        "key": "password",
    }
