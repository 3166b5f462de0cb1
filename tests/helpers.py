"""Helpers shared by the test modules (importable as ``helpers``: pytest's pythonpath includes tests/)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from eocexporter.exposition.family import Family

Labels = tuple[tuple[str, str], ...]


def update_golden() -> bool:
    """``make golden`` sets this to rewrite golden files from the current output."""
    return os.environ.get("EOCEXPORTER_UPDATE_GOLDEN") == "1"


def check_golden(path: Path, actual: bytes) -> None:
    if update_golden():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    assert path.exists(), f"{path} missing: run `make golden`"
    assert actual == path.read_bytes(), (
        f"output differs from {path}; run `make golden` if the change is intended"
    )


def tool_path(name: str) -> str:
    """A binary of Debian's prometheus package; under CI its absence is a failure, elsewhere a skip."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                f"{name} not found but CI=true: install Debian's prometheus package (`make test` does)"
            )
        pytest.skip(f"{name} not installed (CI=true makes this a failure); `make test` installs it")
    return path


def promtool_path() -> str:
    return tool_path("promtool")


def prometheus_path() -> str:
    return tool_path("prometheus")


def parse_samples(body: bytes) -> dict[tuple[str, Labels], float]:
    """Every sample of a text exposition, keyed by (sample name, sorted labels)."""
    samples = {}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def series(samples: dict[tuple[str, Labels], float], name: str, **match: str) -> dict[Labels, float]:
    """The samples of one name whose labels include ``match``."""
    return {
        labels: value
        for (sample_name, labels), value in samples.items()
        if sample_name == name and all(dict(labels).get(k) == v for k, v in match.items())
    }


def value(samples: dict[tuple[str, Labels], float], name: str, **match: str) -> float:
    """The single sample of ``name`` matching ``match``; fails when there is none or several."""
    found = series(samples, name, **match)
    assert len(found) == 1, f"{name}{match}: expected one series, found {len(found)}: {list(found)[:5]}"
    return next(iter(found.values()))


def sample_names(family: Family) -> set[str]:
    """The sample names a family's series carry in the exposition."""
    if family.kind == "histogram":
        return {f"{family.name}_{suffix}" for suffix in ("bucket", "count", "sum")}
    return {family.exposed_name}


async def collect(exporter: Any) -> tuple[bool, dict[tuple[str, Labels], float]]:
    """One collection by ``exporter`` (an Exporter): whether every collector succeeded, and the samples."""
    ok = await exporter.collect_once()
    return ok, parse_samples(exporter.exposition.body)
