"""The five datasets: their fixed Arrow schemas (documented in docs/parquet.md) and keys.

Times are ``timestamp[ms, tz=UTC]``; strings are dictionary-encoded in the files (pyarrow's default
Parquet encoding, asked for explicitly); counts are int64 so sums over years cannot overflow.
"""

from __future__ import annotations

import pyarrow as pa

from eocexporter.parquet.datasets import (  # noqa: F401  (re-exported: the names live beside their schemas)
    ARCHIVE_DEPTH,
    CAMERA_STATUS,
    DATASETS,
    LICENSE_USAGE,
    OBJECT_COUNTS,
    REPORT_DATASETS,
    SNAPSHOT_DATASETS,
    VISITOR_REPORTS,
)

TIMESTAMP = pa.timestamp("ms", tz="UTC")


# The report's distributions (L7877-7893), as columns: (JSON object, key, column).
VISITOR_BREAKDOWN: tuple[tuple[str, str, str], ...] = (
    ("gender", "Female", "gender_female"),
    ("gender", "Male", "gender_male"),
    ("age", "Young", "age_young"),
    ("age", "Adult", "age_adult"),
    ("age", "MiddleAged", "age_middle_aged"),
    ("age", "Senior", "age_senior"),
    ("emotion", "Positive", "emotion_positive"),
    ("emotion", "Neutral", "emotion_neutral"),
    ("emotion", "Negative", "emotion_negative"),
)

# The columns every report row starts with: which interval, and which camera of which server.
_REPORT_CAMERA: tuple[tuple[str, pa.DataType], ...] = (
    ("interval_start", TIMESTAMP),
    ("interval_end", TIMESTAMP),
    ("target", pa.string()),
    ("server_id", pa.string()),
    ("camera_id", pa.string()),
    ("camera", pa.string()),
)

SCHEMAS: dict[str, pa.Schema] = {
    OBJECT_COUNTS: pa.schema(
        [
            *_REPORT_CAMERA,
            ("zone_id", pa.string()),
            ("zone", pa.string()),
            ("object_class", pa.string()),
            ("start_count", pa.int64()),
            ("crossings", pa.int64()),
        ]
    ),
    VISITOR_REPORTS: pa.schema(
        [
            *_REPORT_CAMERA,
            ("total_visitors", pa.int64()),
            ("unique_visitors", pa.int64()),
            *((column, pa.int64()) for _, _, column in VISITOR_BREAKDOWN),
        ]
    ),
    CAMERA_STATUS: pa.schema(
        [
            ("ts", TIMESTAMP),
            ("target", pa.string()),
            ("server_id", pa.string()),
            ("camera_id", pa.string()),
            ("camera", pa.string()),
            ("status", pa.string()),  # null for a camera whose status was not polled (disabled)
            ("receive_main_mbps", pa.float64()),
            ("receive_alt_mbps", pa.float64()),
            ("write_mbps", pa.float64()),
            ("alt_enabled", pa.bool_()),
            ("disabled", pa.bool_()),
        ]
    ),
    LICENSE_USAGE: pa.schema(
        [
            ("ts", TIMESTAMP),
            ("target", pa.string()),
            ("server_id", pa.string()),
            ("module", pa.string()),
            ("used", pa.int64()),
            ("used_on_server", pa.int64()),
            ("limit", pa.int64()),
            ("expiry", TIMESTAMP),  # null unless the licence is time limited
        ]
    ),
    ARCHIVE_DEPTH: pa.schema(
        [
            ("ts", TIMESTAMP),
            ("target", pa.string()),
            ("server_id", pa.string()),
            ("camera_id", pa.string()),
            ("camera", pa.string()),  # null when the cameras collector has not named it
            ("oldest_day", pa.date32()),  # null for a camera without archive in the look-back window
            ("newest_day", pa.date32()),
            ("days_held", pa.int64()),
            ("missing_days", pa.int64()),  # null for a camera without archive
            ("min_depth_days", pa.float64()),  # configured; null without the archiving collector's data
            ("max_depth_days", pa.float64()),
        ]
    ),
}

# Columns that identify a row: no two rows of a dataset share them.
KEYS: dict[str, tuple[str, ...]] = {
    OBJECT_COUNTS: ("interval_start", "target", "server_id", "camera_id", "zone_id", "object_class"),
    VISITOR_REPORTS: ("interval_start", "target", "server_id", "camera_id"),
    CAMERA_STATUS: ("ts", "target", "camera_id"),
    LICENSE_USAGE: ("ts", "target", "server_id", "module"),
    ARCHIVE_DEPTH: ("ts", "target", "camera_id"),
}


def string_columns(dataset: str) -> list[str]:
    return [field.name for field in SCHEMAS[dataset] if pa.types.is_string(field.type)]
