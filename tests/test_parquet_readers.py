"""Polars and pyarrow.dataset read each dataset folder of the layout as pandas does: every row, the
documented schema, no schema error across days and across compacted and uncompacted files.

The root is the one tests/test_analysis_example.py makes from the simulator: report datasets on three UTC
dates, snapshots on two, and the UTC day 2026-11-25 compacted in every dataset.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
from test_analysis_example import COMPACTED_DAY, Simulated, simulated

from eocexporter.parquet.compaction import COMPACTED_SUFFIX
from eocexporter.parquet.schemas import DATASETS, KEYS, SCHEMAS

POLARS_TYPES = {
    pa.timestamp("ms", tz="UTC"): pl.Datetime("ms", "UTC"),
    pa.string(): pl.String(),
    pa.int64(): pl.Int64(),
    pa.float64(): pl.Float64(),
    pa.bool_(): pl.Boolean(),
    pa.date32(): pl.Date(),
}


@pytest.fixture(scope="session")
def sim_run(tmp_path_factory: pytest.TempPathFactory) -> Simulated:
    return simulated(tmp_path_factory.getbasetemp())


def partitions(folder: Path) -> dict[str, list[str]]:
    return {
        day.name: sorted(path.name for path in day.glob("*.parquet")) for day in sorted(folder.glob("date=*"))
    }


@pytest.fixture(params=DATASETS)
def dataset(request: pytest.FixtureRequest, sim_run: Simulated) -> tuple[str, Path, int]:
    """(dataset, its folder, its row count as pandas reads it), after checking the folder holds at least
    two days, one of them compacted and one not."""
    name = request.param
    folder = sim_run.root / name
    days = partitions(folder)
    compacted = f"date={COMPACTED_DAY.isoformat()}"
    assert len(days) >= 2, days
    assert [n for n in days[compacted] if n.endswith(COMPACTED_SUFFIX)] == days[compacted]
    assert any(
        not n.endswith(COMPACTED_SUFFIX) for day, names in days.items() if day != compacted for n in names
    )
    rows = len(pd.read_parquet(folder))
    assert rows > 0
    return name, folder, rows


def test_pyarrow_dataset_reads_a_dataset_folder(dataset: tuple[str, Path, int]) -> None:
    name, folder, rows = dataset
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    assert table.num_rows == rows
    # The columns of the documented schema, then the partition column, which pyarrow infers as a string.
    assert table.schema.remove_metadata() == SCHEMAS[name].append(pa.field("date", pa.string()))
    # With the partition's type given, `date` is a date, and filters on it prune whole days.
    typed = ds.dataset(
        folder,
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("date", pa.date32())]), flavor="hive"),
    )
    day = pa.scalar(COMPACTED_DAY, pa.date32())
    assert 0 < typed.count_rows(filter=ds.field("date") == day) < rows


def test_polars_reads_a_dataset_folder(dataset: tuple[str, Path, int]) -> None:
    name, folder, rows = dataset
    lazy = pl.scan_parquet(folder / "**" / "*.parquet", hive_partitioning=True)
    frame = lazy.collect()
    assert frame.height == rows
    expected = {field.name: POLARS_TYPES[field.type] for field in SCHEMAS[name]}
    assert dict(frame.schema) == {**expected, "date": pl.Date()}
    # The folder alone works too, and a filter on the partition reads only its day.
    day = pl.scan_parquet(folder, hive_partitioning=True).filter(pl.col("date") == COMPACTED_DAY)
    assert 0 < day.select(pl.len()).collect().item() < rows
    # Eager reading agrees.
    assert pl.read_parquet(folder, hive_partitioning=True).height == rows


def test_keys_are_unique_in_every_reader(sim_run: Simulated) -> None:
    """No row doubled by compaction, whichever reader counts: Polars' distinct keys equal its rows."""
    for name in DATASETS:
        frame = pl.read_parquet(sim_run.root / name, hive_partitioning=True)
        assert frame.select(KEYS[name]).unique().height == frame.height, name
