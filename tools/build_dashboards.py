"""Build the Grafana dashboards in dashboards/ (Grafana 10/11 JSON model, schemaVersion 39).

    .venv/bin/python tools/build_dashboards.py           # rewrite dashboards/*.json
    .venv/bin/python tools/build_dashboards.py --check   # exit 1 if they differ from what would be written

The dashboards are defined in tools/dashboards/ (one module per dashboard, shared helpers in common.py)
with grafana-foundation-sdk's typed builders, so a field Grafana's schema does not have cannot be written;
a test checks that the committed JSON equals what they produce. docs/dashboards.md says how to add a panel.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generated import generator_main

from dashboards import MODULES, render_all

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "dashboards"

__all__ = ["MODULES", "main", "render_all"]


def main(argv: list[str] | None = None) -> int:
    return generator_main(__doc__.splitlines()[0], render_all, OUTPUT, argv)


if __name__ == "__main__":
    sys.exit(main())
