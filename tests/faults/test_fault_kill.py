"""SIGKILL while the sink writes, and every row afterwards against a `backfill` of the same window.

tests/test_parquet_crash.py kills three times (eight under `make soak`) and checks that every file reads
whole and that the intervals have no gap and no duplicate; this compares the rows themselves with an independent fetch.
`benchmarks/soak.py --kills 50` runs the same probe longer."""

from __future__ import annotations

from pathlib import Path

from fault_probes import kill_probe

KILLS = 2


async def test_sigkill_while_writing_loses_no_row_against_a_backfill(tmp_path: Path) -> None:
    figures = await kill_probe(tmp_path, kills=KILLS)
    sink = figures.sink
    summary = (
        f"{figures.kills} kills, {figures.leftovers_seen} temporary files left by them; {sink.summary()}"
    )
    print(summary)  # the figures, shown by `pytest -rP`
    assert figures.kills == KILLS, summary
    low, high = sink.first_expected
    assert low <= sink.first_interval <= high, f"catch-up began at {sink.first_interval}: {summary}"
    assert not sink.files.unreadable, f"unreadable files = {len(sink.files.unreadable)}: {summary}"
    assert not sink.files.temporary, f"temporary files left = {len(sink.files.temporary)}: {summary}"
    assert sink.rows_checked > 1000, summary
    assert sink.lost == 0, f"rows lost = {sink.lost}: {summary}"
    assert sink.duplicates == 0, f"duplicates = {sink.duplicates}: {summary}"
    assert sink.unexpected == 0, f"rows unlike the backfill's = {sink.unexpected}: {summary}"
    assert sink.availability.percent == 100.0, f"/metrics availability after the kills: {summary}"
    assert sink.exit_code == 0, summary
