"""Hostile bodies sent to `eocexporter run`: every kind on every endpoint it applies to, one kind after
another. The process stays alive, every scrape is answered 200 with a valid exposition (no series twice),
and every collector succeeds again once the bodies are gone. Which body is counted where is pinned one
endpoint at a time in tests/faults/test_fault_hostile_bodies.py."""

from __future__ import annotations

from pathlib import Path

from fault_bodies import KINDS, POLLED
from fault_probes import hostile_process_probe


async def test_hostile_bodies_never_stop_the_served_process(tmp_path: Path) -> None:
    figures = await hostile_process_probe(tmp_path)
    summary = figures.summary()
    print(summary)  # the figures, shown by `pytest -rP`
    assert figures.kinds == list(KINDS), summary
    assert all(figures.served[endpoint] > 0 for endpoint in POLLED), summary
    assert figures.alive, f"the exporter died: {summary}"
    assert figures.availability.scrapes > 50, summary
    assert figures.availability.percent == 100.0, f"/metrics availability: {summary}"
    assert figures.recovered, summary
    assert figures.exit_code == 0, summary
