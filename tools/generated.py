"""What the generators in tools/ share: write their outputs, or with --check only say which are stale."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def generator_main(
    description: str, render_all: Callable[[], dict[str, str]], output: Path, argv: list[str] | None = None
) -> int:
    """Write every ``name -> text`` of ``render_all()`` under ``output``; ``--check`` writes nothing and
    exits 1 naming the files that differ, so CI catches a generated file edited by hand or not regenerated."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render_all().items():
        path = output / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"out of date: {', '.join(stale)}; run {Path(sys.argv[0]).name} to regenerate", file=sys.stderr)
        return 1
    return 0
