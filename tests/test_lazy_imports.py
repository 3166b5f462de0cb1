"""pyarrow and numpy are ~60 MB of resident memory; a process that writes no Parquet must not load them."""

from __future__ import annotations

import subprocess
import sys


def test_the_exporter_without_parquet_loads_neither_pyarrow_nor_numpy() -> None:
    probe = (
        "import sys, eocexporter.cli, eocexporter.exporter, eocexporter.server;"
        "print(sorted(m for m in ('pyarrow', 'numpy', 'pandas') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert loaded == "[]"
