"""A storm of 409, 500, 503 and timeouts while `eocexporter run` writes report intervals: no row lost or
doubled (every row against a `backfill` of the same window), and /metrics answered throughout."""

from __future__ import annotations

from pathlib import Path

from fault_probes import storm_probe

STORM_SECONDS = 15


async def test_an_api_storm_loses_and_doubles_no_row_and_metrics_stay_up(tmp_path: Path) -> None:
    figures = await storm_probe(tmp_path, seconds=STORM_SECONDS)
    summary = figures.summary()
    print(summary)  # the figures, shown by `pytest -rP`
    # The storm reached both the collectors and the sink: requests failed with every code, and report
    # intervals could not be fetched and were retried.
    assert all(figures.injected[code] > 0 for code in figures.injected), f"injected: {figures.injected}"
    assert figures.fetch_errors > 0, f"no report fetch failed during the storm: {summary}"
    low, high = figures.first_expected
    assert low <= figures.first_interval <= high, f"catch-up began at {figures.first_interval}: {summary}"
    assert figures.rows_checked > 1000, summary
    assert figures.lost == 0, f"rows lost = {figures.lost}: {summary}"
    assert figures.duplicates == 0, f"duplicates = {figures.duplicates}: {summary}"
    assert figures.unexpected == 0, f"rows unlike the backfill's = {figures.unexpected}: {summary}"
    assert not figures.files.unreadable, f"unreadable files = {len(figures.files.unreadable)}: {summary}"
    assert figures.availability.scrapes > 100, summary
    assert figures.availability.percent == 100.0, f"/metrics availability: {summary}"
    assert figures.exit_code == 0, summary
