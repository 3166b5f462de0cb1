"""Where Parquet files live: a local directory or ``s3://bucket/prefix``, through pyarrow's filesystems.

Layout: ``<root>/<dataset>/date=YYYY-MM-DD/<name>.parquet`` (Hive partitions, UTC dates). A file's name
comes from what it holds (dataset, target, server, interval or snapshot time), so writing the same
thing again replaces the file instead of adding rows.

Locally a file is written under a temporary dot-name in the same directory, flushed to disk, and renamed
into place: readers never see half a file, and a crash leaves only a temporary file, which the next start
removes. On S3 an object becomes visible only once its upload completes, so files are written directly.
Checkpoints live in ``<root>/_checkpoints/`` (Spark, Trino and DuckDB's hive globs ignore ``_`` names).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyarrow import fs as pafs

from eocexporter.options import ParquetConfig
from eocexporter.parquet.schemas import string_columns

log = logging.getLogger(__name__)

CHECKPOINTS = "_checkpoints"
TEMPORARY_SUFFIX = ".tmp"
COVERS_KEY = b"eocexporter.covers"  # in a compacted file: the names of the files it replaced


class StoreError(Exception):
    """A write or read that failed; the message is one line naming the file and the cause."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # the cause alone ("No space left on device"), for logging a failure once


@dataclass(frozen=True, slots=True)
class StoredFile:
    path: str  # full path within the filesystem
    name: str  # file name


class ParquetStore:
    def __init__(self, config: ParquetConfig) -> None:
        assert config.location is not None
        # The root as messages name it (ParquetConfig.location).
        self.root = config.location
        if config.on_s3:
            s3 = config.s3
            self.fs: pafs.FileSystem = pafs.S3FileSystem(
                access_key=s3.access_key,
                secret_key=s3.secret(),
                # MinIO and Ceph answer any region; naming one spares the SDK a lookup elsewhere.
                region=s3.region or ("us-east-1" if s3.endpoint_override else None),
                endpoint_override=s3.endpoint_override,
                scheme=s3.scheme,
            )
            self.base = self.root.removeprefix("s3://")
            self.local = False
        else:
            self.fs = pafs.LocalFileSystem()
            self.base = self.root
            self.local = True

    def check_writable(self) -> None:
        """Raise :class:`StoreError` unless a file can be written under the root: a local root that exists
        or can be created, and is writable; an S3 bucket that answers and takes an object. The probe file
        is removed (locally it has a temporary name, which the next start would remove anyway)."""
        probe = f"{self.base}/{CHECKPOINTS}/.write-check-{uuid.uuid4().hex}{TEMPORARY_SUFFIX}"
        try:
            self.fs.create_dir(f"{self.base}/{CHECKPOINTS}", recursive=True)
            with self.fs.open_output_stream(probe) as stream:
                stream.write(b"eocexporter write check\n")
            self.fs.delete_file(probe)
        except (OSError, pa.ArrowException) as exc:
            raise _store_error(f"parquet.root {self.root} cannot be written", exc) from None

    # ---- paths ---------------------------------------------------------------------------------

    def partition(self, dataset: str, day: date) -> str:
        return f"{self.base}/{dataset}/date={day.isoformat()}"

    def shown(self, path: str) -> str:
        """``path`` as error messages name it: with the root, so a message says where to look."""
        return path if self.local else f"s3://{path}"

    # ---- data files ----------------------------------------------------------------------------

    def write(self, dataset: str, day: date, name: str, table: pa.Table) -> str:
        """Write ``table`` as ``<dataset>/date=<day>/<name>`` atomically; return the path."""
        directory = self.partition(dataset, day)
        path = f"{directory}/{name}"
        try:
            self.fs.create_dir(directory, recursive=True)
            if self.local:
                options = _write_options(dataset)
                _replace_atomically(path, lambda temporary: pq.write_table(table, temporary, **options))
            else:
                pq.write_table(table, path, filesystem=self.fs, **_write_options(dataset))
        except (OSError, pa.ArrowException) as exc:
            raise _store_error(f"cannot write {self.shown(path)}", exc) from None
        log.debug(
            "parquet: wrote %s (%d row(s))",
            self.shown(path),
            table.num_rows,
            extra={"dataset": dataset, "path": self.shown(path), "rows": table.num_rows},
        )
        return path

    def list(self, dataset: str, day: date | None = None) -> list[StoredFile]:
        """Data files of a dataset (one day's partition, or all), temporary files excluded."""
        directory = self.partition(dataset, day) if day else f"{self.base}/{dataset}"
        selector = pafs.FileSelector(directory, allow_not_found=True, recursive=day is None)
        try:
            infos = self.fs.get_file_info(selector)
        except (OSError, pa.ArrowException) as exc:
            raise _store_error(f"cannot list {self.shown(directory)}", exc) from None
        return sorted(
            (
                StoredFile(info.path, info.base_name)
                for info in infos
                if info.type == pafs.FileType.File
                and info.base_name.endswith(".parquet")
                and not info.base_name.startswith(".")
            ),
            key=lambda stored: stored.path,
        )

    def days(self, dataset: str) -> list[date]:
        selector = pafs.FileSelector(f"{self.base}/{dataset}", allow_not_found=True)
        days = []
        for info in self.fs.get_file_info(selector):
            if info.type == pafs.FileType.Directory and info.base_name.startswith("date="):
                days.append(date.fromisoformat(info.base_name.removeprefix("date=")))
        return sorted(days)

    def read(self, path: str) -> pa.Table:
        try:
            return pq.read_table(path, filesystem=self.fs)
        except (OSError, pa.ArrowException) as exc:
            raise _store_error(f"cannot read {self.shown(path)}", exc) from None

    def covers(self, path: str) -> list[str]:
        """Names of the files a compacted file replaced (empty for any other file)."""
        metadata = pq.read_schema(path, filesystem=self.fs).metadata or {}
        raw = metadata.get(COVERS_KEY)
        return json.loads(raw) if raw else []

    def delete(self, path: str) -> None:
        try:
            self.fs.delete_file(path)
        except FileNotFoundError:
            pass
        except (OSError, pa.ArrowException) as exc:
            raise _store_error(f"cannot delete {self.shown(path)}", exc) from None

    def remove_leftovers(self) -> int:
        """Delete temporary files a crash left behind; returns how many."""
        if not self.local or not os.path.isdir(self.base):
            return 0
        removed = 0
        for directory, _, names in os.walk(self.base):
            for name in names:
                if name.startswith(".") and name.endswith(TEMPORARY_SUFFIX):
                    _remove_quietly(os.path.join(directory, name))
                    removed += 1
        return removed

    # ---- checkpoints ---------------------------------------------------------------------------

    def _checkpoint_path(self, target: str, dataset: str, server_id: str) -> str:
        return f"{self.base}/{CHECKPOINTS}/{target}/{dataset}/{server_id}.json"

    def read_checkpoint(self, target: str, dataset: str, server_id: str) -> datetime | None:
        path = self._checkpoint_path(target, dataset, server_id)
        try:
            with self.fs.open_input_stream(path) as stream:
                data = json.loads(stream.read())
        except FileNotFoundError:
            return None
        except (OSError, pa.ArrowException, ValueError) as exc:
            raise _store_error(f"cannot read checkpoint {self.shown(path)}", exc) from None
        return datetime.fromisoformat(data["last_interval_end"]).astimezone(UTC)

    def write_checkpoint(self, target: str, dataset: str, server_id: str, last_end: datetime) -> None:
        path = self._checkpoint_path(target, dataset, server_id)
        body = json.dumps({"last_interval_end": last_end.astimezone(UTC).isoformat()}).encode()
        directory = path.rsplit("/", 1)[0]
        try:
            self.fs.create_dir(directory, recursive=True)
            if self.local:
                _replace_atomically(path, lambda temporary: Path(temporary).write_bytes(body))
            else:
                with self.fs.open_output_stream(path) as stream:
                    stream.write(body)
        except (OSError, pa.ArrowException) as exc:
            raise _store_error(f"cannot write checkpoint {self.shown(path)}", exc) from None


def _write_options(dataset: str) -> dict[str, object]:
    return {"compression": "zstd", "use_dictionary": string_columns(dataset)}


def _replace_atomically(path: str, write: Callable[[str], object]) -> None:
    """``write`` a temporary dot-name beside ``path``, flush it to disk, rename it into place, and flush the
    directory: readers see the old file or the new one, never half of one; a crash leaves only a
    temporary file, which :meth:`ParquetStore.remove_leftovers` deletes."""
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.{uuid.uuid4().hex}{TEMPORARY_SUFFIX}")
    try:
        write(temporary)
        _fsync(temporary)
        os.replace(temporary, path)
    except BaseException:
        _remove_quietly(temporary)
        raise
    _fsync(directory)


def _fsync(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.remove(path)


def _store_error(what: str, exc: BaseException) -> StoreError:
    reason = _reason(exc)
    return StoreError(f"{what}: {reason}", reason)


def _reason(exc: BaseException) -> str:
    # pyarrow's errors carry the errno in their text only: "... Detail: [errno 28] No space left ...".
    errno = re.search(r"\[errno (\d+)\]", str(exc))
    if errno:
        return os.strerror(int(errno.group(1)))
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__
