"""The datasets' names, without pyarrow: the command line and the exporter name them without loading
pyarrow and numpy (~60 MB of a process that never writes Parquet when parquet.root is unset)."""

from __future__ import annotations

OBJECT_COUNTS = "object_counts"
VISITOR_REPORTS = "visitor_reports"
CAMERA_STATUS = "camera_status"
LICENSE_USAGE = "license_usage"
ARCHIVE_DEPTH = "archive_depth"

REPORT_DATASETS = (OBJECT_COUNTS, VISITOR_REPORTS)
SNAPSHOT_DATASETS = (CAMERA_STATUS, LICENSE_USAGE, ARCHIVE_DEPTH)
DATASETS = REPORT_DATASETS + SNAPSHOT_DATASETS
