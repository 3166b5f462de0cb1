"""The docs against the running code, so that they cannot fall behind it unnoticed.

- docs/metrics.md's "HELP texts" block is what tools/metrics_doc.py generates from the catalogue, and every
  family of a live /metrics (an exporter with the Parquet sink on, against the simulator) is in it with
  the HELP text it is served with;
- docs/architecture.md's picture names every command of the command line's parser and every route of the
  exporter's application, and nothing else; so do the README's Commands and Endpoints tables;
- the README's feature list names every collector of the registry, and discovery;
- docs/parquet.md's advice to read one dataset folder at a time holds on files the exporter wrote: what it
  says of reading the whole root is what pandas and DuckDB do, and its example runs and gives one table
  per dataset, with `alt_enabled` null exactly for the disabled cameras.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import duckdb
import pandas as pd
import pytest
from conftest import make_settings
from test_parquet import DAY_START

from eocexporter.config import load_settings
from eocexporter.exporter import Exporter
from eocexporter.parquet.schemas import SCHEMAS
from eocexporter.registry import COLLECTORS
from eocexporter.server import create_app, start_site

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
DOCUMENTED_ROOT = "/var/lib/eocexporter/parquet"

sys.path.insert(0, str(ROOT / "tools"))
import metrics_doc  # noqa: E402  (tools/ is not a package)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def section(text: str, start: str, end: str) -> str:
    """The text from the line ``start`` begins up to the next ``end`` after it."""
    assert text.count(start) == 1, f"expected one {start!r}"
    rest = text[text.index(start) :]
    assert end in rest, f"no {end!r} after {start!r}"
    return rest[: rest.index(end)]


# ---- docs/metrics.md: the HELP texts -------------------------------------------------------------------


def documented_help() -> dict[str, str]:
    """Family -> HELP line, from docs/metrics.md's generated block."""
    block = section(read(DOCS / "metrics.md"), metrics_doc.BEGIN, metrics_doc.END)
    lines = [line for line in block.splitlines() if line.startswith("# HELP ")]
    helps = {line.split(" ", 3)[2]: line for line in lines}
    assert len(helps) == len(lines), "a family listed twice"
    return helps


def test_the_help_block_is_what_the_generator_writes() -> None:
    assert metrics_doc.main(["--check"]) == 0, "run .venv/bin/python tools/metrics_doc.py"


@pytest.fixture
async def writing_exporter(sim, clock, exporter_factory, tmp_path: Path) -> Exporter:
    """An exporter against the simulator that has collected once and written every dataset into
    ``tmp_path`` with its Parquet sink: the first interval of the day, and the day's snapshots."""
    clock.set(DAY_START + timedelta(minutes=16))
    exporter = exporter_factory(make_settings(sim.main_url, parquet={"root": str(tmp_path), "grace": "1m"}))
    assert await exporter.collect_once()
    await exporter.write_parquet_once()
    assert {path.name for path in tmp_path.iterdir() if not path.name.startswith("_")} == set(SCHEMAS)
    return exporter


async def test_every_family_of_a_live_metrics_is_documented_with_its_help(writing_exporter) -> None:
    exporter = writing_exporter
    await exporter.publish_now()  # with the sink's counts of the pass
    runner, port = await start_site(create_app(exporter), "127.0.0.1", 0)
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/metrics") as response,
        ):
            assert response.status == 200
            body = await response.text()
    finally:
        await runner.cleanup()
    served = {line.split(" ", 3)[2]: line for line in body.splitlines() if line.startswith("# HELP ")}
    # What the issue found missing is served here: the archiving collector's families and the sink's.
    archiving = next(entry for entry in COLLECTORS if entry.name == "archiving")
    for family in archiving.families:
        assert family.exposed_name in served, family.exposed_name
    assert len([name for name in served if name.startswith("eocortex_parquet_")]) == 7
    documented = documented_help()
    missing = sorted(set(served) - set(documented))
    assert not missing, f"served but not in docs/metrics.md: {missing}"
    for name, line in served.items():
        assert documented[name] == line, f"{name}: docs/metrics.md says\n{documented[name]}\nserved:\n{line}"


# ---- docs/architecture.md and the README: commands, routes, collectors ---------------------------------


def commands() -> set[str]:
    from eocexporter.cli import _parser

    [subparsers] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return set(subparsers.choices)


def routes() -> set[str]:
    app = create_app(Exporter(load_settings(None, targets=[])))
    return {route.resource.canonical for route in app.router.routes() if route.resource is not None}


def test_the_parser_and_the_application_are_what_this_test_expects() -> None:
    """A floor, so that the comparisons below never pass on empty sets."""
    assert {"run", "once", "check-config", "backfill", "compact", "simulate", "demo"} <= commands()
    assert {"/metrics", "/probe", "/healthz", "/ready", "/-/reload", "/"} <= routes()


def test_the_architecture_picture_names_every_command_and_route() -> None:
    text = read(DOCS / "architecture.md")
    [cli_line] = re.findall(r"^ cli\.py +(.*)$", text, re.MULTILINE)
    assert {word.strip() for word in cli_line.split("|")} == commands(), cli_line
    [server_line] = re.findall(r"^ server\.py +(.*)$", text, re.MULTILINE)
    assert set(re.findall(r"(/[\w/-]*)", server_line)) == routes(), server_line


def test_the_readme_tables_name_every_command_and_route() -> None:
    text = read(README)
    table = section(text, "### Commands", "\n#")
    assert set(re.findall(r"^\| `eocexporter ([\w-]+)", table, re.MULTILINE)) == commands()
    table = section(text, "### Endpoints", "\n#")
    assert set(re.findall(r"^\| `(/[\w/-]*)", table, re.MULTILINE)) == routes()


def test_the_readme_feature_list_names_every_collector() -> None:
    features = section(read(README), "It polls the Eocortex REST API", "and, with `parquet.root` set")
    named = set(re.findall(r"\(`(\w+)`\)", features))
    expected = {"discovery"} | {entry.name for entry in COLLECTORS}
    assert named == expected, f"missing {sorted(expected - named)}, unknown {sorted(named - expected)}"


# ---- docs/parquet.md: one dataset at a time ------------------------------------------------------------


@pytest.fixture
def written_root(writing_exporter, tmp_path: Path) -> Path:
    return tmp_path


def test_reading_the_whole_root_mixes_the_datasets_as_the_doc_says(written_root: Path) -> None:
    text = read(DOCS / "parquet.md")
    assert "**One dataset at a time.**" in text
    whole = pd.read_parquet(written_root)
    # One dataset's columns for the rows of all of them: the others' own columns are gone, and their rows
    # come back with that dataset's columns empty.
    sizes = {name: len(pd.read_parquet(written_root / name)) for name in SCHEMAS}
    assert len(whole) == sum(sizes.values())
    [kept] = [name for name, schema in SCHEMAS.items() if set(schema.names) <= set(whole.columns)]
    for column in SCHEMAS[kept].names:
        without = sum(size for name, size in sizes.items() if column not in SCHEMAS[name].names)
        assert whole[column].isna().sum() >= without, column
    assert whole.isna().sum().sum() > 0
    assert "schema mismatch in glob" in text
    with pytest.raises(duckdb.InvalidInputException, match="schema mismatch in glob"):
        duckdb.sql(
            f"SELECT * FROM read_parquet('{written_root}/*/*/*.parquet', hive_partitioning = true)"
        ).fetchall()


def test_the_one_table_per_dataset_example_runs_on_what_the_exporter_wrote(sim, written_root: Path) -> None:
    text = read(DOCS / "parquet.md")
    [example] = [
        block
        for block in re.findall(r"```python\n(.*?)```", text, re.S)
        if "import duckdb" in block and "frames" in block
    ]
    assert f'root = "{DOCUMENTED_ROOT}"' in example
    scope: dict[str, object] = {"pd": pd}  # "pandas (imported as above)"
    exec(example.replace(DOCUMENTED_ROOT, str(written_root)), scope)
    frames, con = scope["frames"], scope["con"]
    assert set(frames) == set(SCHEMAS), "the example lists every dataset"
    for name, frame in frames.items():
        # One dataset's columns (and the partition), the same rows in pandas and in DuckDB.
        assert set(frame.columns) == set(SCHEMAS[name].names) | {"date"}, name
        assert len(frame) > 0, name
        assert con.sql(f"SELECT count(*) FROM {name}").fetchall()[0][0] == len(frame), name
    # alt_enabled is null exactly for the disabled cameras, as the schema's table says.
    status = scope["status"].set_index("camera_id")
    assert str(status["alt_enabled"].dtype) == "boolean"
    disabled = {camera.id for camera in sim.installation.cameras if camera.disabled}
    assert disabled, "the simulator has disabled cameras"
    assert set(status.index[status["alt_enabled"].isna()]) == disabled
    assert "`alt_enabled` | bool, **nullable**" in text
    alt_off = {
        camera.name
        for camera in sim.installation.cameras
        if not camera.disabled and not sim.installation.camera_status(camera.id)["AltEnabled"]
    }
    assert set(scope["alt_off"]["camera"]) == alt_off
