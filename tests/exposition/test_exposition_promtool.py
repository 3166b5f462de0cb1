"""`promtool check metrics` on real renderer output: clean, no lint findings.

`make test` installs Debian's prometheus package, which brings promtool. Locally the test skips without it;
in CI (CI=true) a missing promtool is a failure, so the check can never silently stop running.
"""

from __future__ import annotations

import dataclasses
import subprocess

import pytest
from exposition_snapshots import CAM_1, MAIN, large_snapshot, populated, populated_target, snapshot_of
from helpers import promtool_path

from eocexporter.exposition import render
from eocexporter.model import Camera, CamerasSection, CameraStatus

pytestmark = pytest.mark.promtool


def _awkward_snapshot():
    name = 'Камера "1" \\ вход\nвторая'
    status = CameraStatus(CAM_1, "Reconnecting", True, 0.5, 0.25, 0.5)
    section = CamerasSection(cameras=(Camera(CAM_1, name, False, MAIN),), statuses=(status,))
    return snapshot_of(dataclasses.replace(populated_target(), cameras={MAIN: section}))


@pytest.mark.parametrize(
    "snapshot",
    [populated(), _awkward_snapshot(), large_snapshot(50), snapshot_of()],
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
