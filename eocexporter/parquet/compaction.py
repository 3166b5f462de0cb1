"""Merging a day partition's small files into one file per dataset and target.

The live sink writes one file per interval and server (96 a day per server at 15 minutes); analysts'
engines prefer fewer, larger files. ``compact`` reads a day's files of one dataset and target, writes
them as one file whose metadata lists the names it replaced, and then deletes those names. A name a
compacted file lists is present for ``backfill`` (it will not be fetched again) and is deleted
wherever it still stands as a file (left by a crash between the two steps), so no row is ever doubled
for good. The live sink may keep writing meanwhile: a file written after the listing is not touched.

Readers can see the brief moment between the compacted file appearing and the small files going away;
no plain filesystem or object store offers an atomic swap of many files, and this order never loses a
row.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from eocexporter.parquet.schemas import KEYS, SCHEMAS
from eocexporter.parquet.storage import COVERS_KEY, ParquetStore, StoredFile

COMPACTED_SUFFIX = "__compacted.parquet"


def compacted_name(dataset: str, target: str, day: date) -> str:
    return f"{dataset}__{target}__{day.isoformat()}{COMPACTED_SUFFIX}"


def target_of(name: str) -> str:
    """The target a file belongs to, from its name ``<dataset>__<target>__...``."""
    return name.split("__")[1]


@dataclass(frozen=True, slots=True)
class CompactionResult:
    dataset: str
    target: str
    files_before: int
    files_after: int
    rows: int


def present_names(store: ParquetStore, dataset: str, day: date) -> set[str]:
    """Names of the files of a day partition, including those merged into compacted files."""
    names = set()
    for stored in store.list(dataset, day):
        names.add(stored.name)
        if stored.name.endswith(COMPACTED_SUFFIX):
            names.update(store.covers(stored.path))
    return names


def compact_day(store: ParquetStore, dataset: str, day: date) -> list[CompactionResult]:
    results = []
    by_target: dict[str, list[StoredFile]] = defaultdict(list)
    for stored in store.list(dataset, day):
        by_target[target_of(stored.name)].append(stored)
    for target, files in sorted(by_target.items()):
        result = _compact_target(store, dataset, day, target, files)
        if result is not None:
            results.append(result)
    return results


def _compact_target(
    store: ParquetStore, dataset: str, day: date, target: str, files: list[StoredFile]
) -> CompactionResult | None:
    name = compacted_name(dataset, target, day)
    previous = next((stored for stored in files if stored.name == name), None)
    covered = set(store.covers(previous.path)) if previous else set()
    # Files a crash left beside the compacted file that already holds their rows.
    for stored in files:
        if stored.name in covered:
            store.delete(stored.path)
    small = [stored for stored in files if stored.name != name and stored.name not in covered]
    if not small:
        return None
    sources = ([previous] if previous else []) + small
    table = pa.concat_tables([store.read(stored.path).cast(SCHEMAS[dataset]) for stored in sources])
    table = table.sort_by([(column, "ascending") for column in KEYS[dataset]])
    covers = sorted(covered | {stored.name for stored in small})
    table = table.replace_schema_metadata({COVERS_KEY: json.dumps(covers).encode()})
    store.write(dataset, day, name, table)
    for stored in small:
        store.delete(stored.path)
    return CompactionResult(dataset, target, len(files), 1, table.num_rows)
