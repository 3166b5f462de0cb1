"""How the exporter's log lines look, and what it says about itself when it starts.

Two formats: ``text`` for people (``2026-11-25 12:30:00,123 WARNING eocexporter.runtime: target eoc:
...``) and ``json`` for log pipelines, one object per line. Call sites use the standard library only and
pass what a line is about with ``extra={"target": ..., "server_id": ..., "collector": ...}``: the text
format leaves those out (every message names its target and server itself), the JSON format prints them
as fields, so a pipeline can select one target's lines without parsing messages. docs/logging.md has the
fields, the levels and what debug shows.

Nothing here knows a secret, so nothing here can hide one: the call sites never log a password, its MD5
hex, an Authorization token or a URL with its query (tests/test_logging.py greps every line at debug).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit, urlunsplit

from eocexporter.registry import COLLECTORS

if TYPE_CHECKING:
    from eocexporter.config import Settings
    from eocexporter.options import ParquetConfig, TargetConfig

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = ("text", "json")

# What a call site may say a line is about, with extra={...}; the JSON format prints each one present.
# Only these: a field is a promise to log pipelines, and a record's other attributes are the logging
# module's own bookkeeping (file names, thread ids) that would only make every line longer.
CONTEXT_FIELDS = (
    "target",
    "server_id",
    "collector",
    "dataset",
    "endpoint",
    "attempt",
    "delay_seconds",
    "duration_seconds",
    "path",
    "rows",
)


def configure_logging(level: str, fmt: str = "text", stream: TextIO | None = None) -> None:
    """Send every log line to ``stream`` (standard error by default) at ``level`` and above (any case:
    "debug", "INFO"), in ``fmt``: "text" or "json". Replaces whatever handlers were set before."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; expected one of {', '.join(FORMATS)}")
    # sys.stderr looked up now, not at import: a caller that redirected it (tests, an embedding) is followed.
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    # aiohttp's access log would print every scrape; its client never logs URLs at these levels.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time`` (ISO 8601, UTC, milliseconds), ``level``, ``logger``,
    ``message``, the :data:`CONTEXT_FIELDS` the record carries, and ``error`` (the exception in one line)
    with ``traceback`` when it has an exception. JSON escapes the traceback's newlines, so a line is
    always one record."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in CONTEXT_FIELDS:
            value = record.__dict__.get(key)
            if value is not None:
                line[key] = value
        if record.exc_info and record.exc_info[1] is not None:
            line["error"] = _one_line(record.exc_info[1])
            line["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = record.stack_info
        # Not ASCII-escaped: camera and server names are often Cyrillic, and pipelines read UTF-8.
        return json.dumps(line, ensure_ascii=False, default=str)


def _utc_iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _one_line(error: BaseException) -> str:
    return " ".join("".join(traceback.format_exception_only(error)).split())


# ---- the start-up summary ----------------------------------------------------------------------------


def startup_summary_lines(settings: Settings) -> list[str]:
    """What this process will do, in a few lines to log at start: one per target (its URL without
    credentials), the collectors with their intervals, the Parquet sink, the shard when sharded, and
    the listen address. Never a secret: passwords, tokens and S3 keys are not read here at all."""
    lines = _target_lines(settings.targets)
    lines.append(_collectors_line(settings))
    lines.append(_parquet_line(settings.parquet))
    if settings.shard_count > 1:
        lines.append(f"shard: {settings.shard_index} of {settings.shard_count} (0-based)")
    lines.append(f"listen: {settings.listen}")
    return lines


def _target_lines(targets: Sequence[TargetConfig]) -> list[str]:
    if not targets:
        return ["targets: none; serving only the exporter's own metrics"]
    return [
        f"target {target.name}: {without_credentials(target.url)} as {target.username} "
        f"({target.auth} authentication, {target.user_type} user), time zone {target.timezone.key}"
        for target in targets
    ]


def _collectors_line(settings: Settings) -> str:
    options = [(entry.name, entry.options(settings.collectors)) for entry in COLLECTORS]
    # Discovery first: every collector waits for its first run.
    running = [f"discovery every {duration(settings.collectors.discovery.interval)}"]
    running += [f"{name} every {duration(config.interval)}" for name, config in options if config.enabled]
    off = [name for name, config in options if not config.enabled]
    return f"collectors: {', '.join(running)}" + (f"; off: {', '.join(off)}" if off else "")


def _parquet_line(parquet: ParquetConfig) -> str:
    where = parquet.location
    if where is None:
        return "parquet: off"
    if parquet.on_s3:
        where = without_credentials(where)
    return (
        f"parquet: writing to {where} (report intervals of {duration(parquet.report_interval)}, "
        f"checked every {duration(parquet.check_every)})"
    )


def without_credentials(url: str) -> str:
    """``url`` without ``user:password@``, query and fragment, any of which may carry a secret."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket in an address a server reported
        return "(an unusable address)"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def duration(seconds: float) -> str:
    """Seconds as the configuration spells durations: 15s, 5m, 1h, 90s."""
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"
