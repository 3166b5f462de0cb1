"""A full disk and then a read-only one under `eocexporter run`: /metrics answered throughout, and once
the disk is back no row lost or doubled (every row against a `backfill` of the same window).

tests/test_parquet_stores.py holds the in-process side: the error counted and logged in one line, no
half-written file visible, every missing interval written once after a full disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fault_probes import disk_probe

FAILING_PASSES = 3


async def test_a_full_then_read_only_disk_keeps_metrics_up_and_loses_no_row(tmp_path: Path) -> None:
    figures = await disk_probe(tmp_path, failing_passes=FAILING_PASSES)
    if isinstance(figures, str):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"cannot mount a tmpfs for the disk probe: {figures}")
        pytest.skip(f"mounting a tmpfs needs root: {figures}")
    sink = figures.sink
    summary = (
        f"{figures.errors_while_full} write errors while full, {figures.errors_while_read_only} while "
        f"read-only, logged {figures.logged}; {sink.summary()}"
    )
    print(summary)  # the figures, shown by `pytest -rP`
    # Both faults were real: every report dataset failed several writes under each.
    assert figures.errors_while_full >= 2 * FAILING_PASSES, summary
    assert figures.errors_while_read_only >= 2 * FAILING_PASSES, summary
    assert all(figures.logged.values()), summary
    assert sink.availability.percent == 100.0, f"/metrics availability during the faults: {summary}"
    assert sink.availability.scrapes > 50, summary
    assert not sink.files.unreadable, f"unreadable files = {len(sink.files.unreadable)}: {summary}"
    assert not sink.files.temporary, f"temporary files left = {len(sink.files.temporary)}: {summary}"
    low, high = sink.first_expected
    assert low <= sink.first_interval <= high, f"catch-up began at {sink.first_interval}: {summary}"
    assert sink.rows_checked > 1000, summary
    assert sink.lost == 0, f"rows lost = {sink.lost}: {summary}"
    assert sink.duplicates == 0, f"duplicates = {sink.duplicates}: {summary}"
    assert sink.unexpected == 0, f"rows unlike the backfill's = {sink.unexpected}: {summary}"
    assert sink.exit_code == 0, summary
