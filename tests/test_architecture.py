"""Imports point down the flow (docs/architecture.md), checked by reading every module's imports.

config -> client -> discovery -> collectors -> snapshot -> exposition | parquet. Each contract below forbids
a layer to import the layers above it (as import-linter's "forbidden" contracts do). Every import counts,
also one inside a function or under ``if TYPE_CHECKING:``: a dependency there is a dependency still.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "eocexporter"

# (modules the contract covers, as a path prefix under eocexporter/) -> modules they must not import
CONTRACTS: dict[str, tuple[str, ...]] = {
    # The sinks only consume: the snapshot, and a report-fetching function handed to the Parquet sink.
    "parquet/": (
        "eocexporter.runtime",
        "eocexporter.collectors",
        "eocexporter.client",
        "eocexporter.discovery",
        "eocexporter.exporter",
        "eocexporter.registry",
    ),
    "exposition/": (
        "eocexporter.runtime",
        "eocexporter.collectors",
        "eocexporter.client",
        "eocexporter.discovery",
        "eocexporter.exporter",
        "eocexporter.registry",
        "eocexporter.parquet",
    ),
    "discovery.py": ("eocexporter.collectors", "eocexporter.runtime", "eocexporter.exposition"),
    "collectors/": (
        "eocexporter.runtime",
        "eocexporter.exporter",
        "eocexporter.registry",
        "eocexporter.exposition",
        "eocexporter.parquet",
        "eocexporter.config",
    ),
    "client/": (
        "eocexporter.collectors",
        "eocexporter.discovery",
        "eocexporter.runtime",
        "eocexporter.exporter",
        "eocexporter.exposition",
        "eocexporter.parquet",
        "eocexporter.config",
    ),
    "snapshot.py": ("eocexporter.client", "eocexporter.collectors", "eocexporter.runtime"),
    "model.py": ("eocexporter.",),
    "options.py": ("eocexporter.",),
    # A second application: if it read the client's parsing code, a misreading would hide in both.
    "simulator/": (
        "eocexporter.client",
        "eocexporter.collectors",
        "eocexporter.discovery",
        "eocexporter.runtime",
        "eocexporter.exporter",
        "eocexporter.exposition",
        "eocexporter.parquet",
        "eocexporter.model",
        "eocexporter.options",
        "eocexporter.config",
    ),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute; ``from a import b`` counts as both ``a`` and ``a.b``."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def covered(prefix: str) -> list[Path]:
    target = PACKAGE / prefix
    return sorted(target.rglob("*.py")) if prefix.endswith("/") else [target]


def violations(prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for path in covered(prefix):
        for module in sorted(imported_modules(path)):
            if any(module == banned or module.startswith(banned.rstrip(".") + ".") for banned in forbidden):
                found.append(f"{path.relative_to(PACKAGE.parent)} imports {module}")
    return found


@pytest.mark.parametrize("prefix", sorted(CONTRACTS))
def test_imports_point_down_the_flow(prefix: str) -> None:
    assert covered(prefix), f"{prefix}: no such module; update the contract"
    assert violations(prefix, CONTRACTS[prefix]) == []


def test_the_checker_sees_every_kind_of_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "eocexporter" / "parquet"
    package.mkdir(parents=True)
    (tmp_path / "eocexporter" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "sneaky.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "import eocexporter.client.http\n"
        "from eocexporter import runtime\n"
        "from ..collectors import base\n"
        "if TYPE_CHECKING:\n"
        "    from eocexporter.registry import COLLECTORS\n"
        "def later():\n"
        "    import eocexporter.discovery\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", tmp_path / "eocexporter")
    found = violations("parquet/", CONTRACTS["parquet/"])
    assert [line.rsplit(" ", 1)[1] for line in found] == [
        "eocexporter.client.http",
        "eocexporter.collectors",
        "eocexporter.collectors.base",
        "eocexporter.discovery",
        "eocexporter.registry",
        "eocexporter.registry.COLLECTORS",
        "eocexporter.runtime",
    ]
