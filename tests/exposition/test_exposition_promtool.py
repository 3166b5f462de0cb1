"""`promtool check metrics` on real renderer output: clean, no lint findings.

`make test` installs Debian's prometheus package, which brings promtool. Locally the test skips without it;
in CI (CI=true) a missing promtool is a failure, so the check can never silently stop running.
"""

from __future__ import annotations

import subprocess

import pytest
from exposition_snapshots import awkward_snapshot, large_snapshot, populated, render, snapshot_of
from helpers import promtool_path

pytestmark = pytest.mark.promtool


@pytest.mark.parametrize(
    "snapshot",
    [populated(), awkward_snapshot(), large_snapshot(50), snapshot_of()],
    ids=["populated", "awkward-names", "fifty-cameras", "empty"],
)
def test_promtool_check_metrics_is_clean(snapshot) -> None:
    result = subprocess.run(
        [promtool_path(), "check", "metrics"],
        input=render(snapshot),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert result.stdout.decode().strip() == result.stderr.decode().strip() == ""
