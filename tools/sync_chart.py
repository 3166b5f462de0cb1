"""Keep the Helm chart and the Dockerfile in step with their sources.

``alerts/`` and ``dashboards/`` are the single source of truth for the rules and the dashboards; the chart
can only package files inside its own directory, so this copies them there:

    alerts/eocortex-*.yml   -> helm/eocexporter/files/alerts/
    dashboards/*.json       -> helm/eocexporter/files/dashboards/

(``alerts/src/`` holds the generators' templates and is not copied), removes copies whose source is gone,
and sets the chart's ``appVersion`` and the Dockerfile's ``ARG VERSION`` to ``eocexporter.__version__``.

    python tools/sync_chart.py           # update the copies
    python tools/sync_chart.py --check   # exit 1, naming each difference, when anything is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "helm" / "eocexporter"

# (source directory, glob, destination inside the chart)
COPIES = (
    (ROOT / "alerts", "eocortex-*.yml", CHART / "files" / "alerts"),
    (ROOT / "dashboards", "*.json", CHART / "files" / "dashboards"),
)

_VERSION = re.compile(r'^__version__\s*=\s*["\']([^"\']+)["\']', re.MULTILINE)
# (file, pattern of the line, replacement given the version)
VERSION_LINES = (
    (CHART / "Chart.yaml", re.compile(r"^appVersion:.*$", re.MULTILINE), 'appVersion: "{}"'),
    (ROOT / "Dockerfile", re.compile(r"^ARG VERSION=.*$", re.MULTILINE), "ARG VERSION={}"),
)


@dataclass(frozen=True)
class Change:
    path: Path
    content: bytes | None  # None: delete
    why: str


def package_version() -> str:
    """``eocexporter.__version__``, read without importing the package."""
    match = _VERSION.search((ROOT / "eocexporter" / "__init__.py").read_text(encoding="utf-8"))
    if match is None:
        raise SystemExit("sync_chart: no __version__ in eocexporter/__init__.py")
    return match.group(1)


def planned_changes() -> list[Change]:
    changes = []
    for source_dir, pattern, target_dir in COPIES:
        sources = {path.name: path for path in sorted(source_dir.glob(pattern))}
        if not sources:
            raise SystemExit(f"sync_chart: no {pattern} in {source_dir.relative_to(ROOT)}")
        for name, source in sources.items():
            copy = target_dir / name
            content = source.read_bytes()
            if not copy.is_file():
                changes.append(Change(copy, content, f"missing copy of {source.relative_to(ROOT)}"))
            elif copy.read_bytes() != content:
                changes.append(Change(copy, content, f"differs from {source.relative_to(ROOT)}"))
        if target_dir.is_dir():
            for stale in sorted(target_dir.iterdir()):
                if stale.name not in sources:
                    changes.append(Change(stale, None, "no such source any more"))
    version = package_version()
    for path, pattern, line in VERSION_LINES:
        text = path.read_text(encoding="utf-8")
        wanted = line.format(version)
        if pattern.search(text) is None:
            raise SystemExit(f"sync_chart: {path.relative_to(ROOT)} has no line matching {pattern.pattern}")
        updated = pattern.sub(wanted, text, count=1)
        if updated != text:
            changes.append(Change(path, updated.encode("utf-8"), f"should say {wanted!r}"))
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="report differences, change nothing")
    args = parser.parse_args(argv)
    changes = planned_changes()
    for change in changes:
        name = change.path.relative_to(ROOT)
        if args.check:
            print(f"{name}: {change.why}", file=sys.stderr)
        elif change.content is None:
            change.path.unlink()
            print(f"removed {name} ({change.why})")
        else:
            change.path.parent.mkdir(parents=True, exist_ok=True)
            change.path.write_bytes(change.content)
            print(f"updated {name} ({change.why})")
    if args.check and changes:
        print("sync_chart: out of date; run `.venv/bin/python tools/sync_chart.py`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
