"""The hand-written encoder writes exactly what prometheus-client's generate_latest would."""

from __future__ import annotations

import dataclasses

import pytest
from exposition_snapshots import CAM_1, MAIN, large_snapshot, populated, populated_target, snapshot_of

from eocexporter.exposition import metric_families, render_families
from eocexporter.exposition.families import render_text
from eocexporter.model import Camera, CamerasSection, CameraStatus


def awkward():
    name = 'Камера "1" \\ вход\nвторая'
    status = CameraStatus(CAM_1, 'Re"connect\\ing\n', True, 0.5, 0.25, 1e-7)
    section = CamerasSection(cameras=(Camera(CAM_1, name, False, MAIN),), statuses=(status,))
    return snapshot_of(dataclasses.replace(populated_target(), cameras={MAIN: section}))


@pytest.mark.parametrize(
    "snapshot",
    [populated(), awkward(), large_snapshot(300), snapshot_of()],
    ids=["populated", "awkward", "three-hundred-cameras", "empty"],
)
def test_hand_written_encoder_equals_generate_latest(snapshot) -> None:
    assert render_text(snapshot) == render_families(metric_families(snapshot))
