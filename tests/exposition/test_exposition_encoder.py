"""The hand-written encoder writes exactly what prometheus-client's generate_latest would."""

from __future__ import annotations

import pytest
from exposition_snapshots import awkward_snapshot, large_snapshot, populated, snapshot_of

from eocexporter.exposition import metric_families, render_families
from eocexporter.exposition.families import render_text


@pytest.mark.parametrize(
    "snapshot",
    [
        populated(),
        awkward_snapshot(status='Re"connect\\ing\n', write_mbps=1e-7),
        large_snapshot(300),
        snapshot_of(),
    ],
    ids=["populated", "awkward", "three-hundred-cameras", "empty"],
)
def test_hand_written_encoder_equals_generate_latest(snapshot) -> None:
    assert render_text(snapshot) == render_families(metric_families(snapshot))
