"""Time strings: the formats the reference uses in requests (Q31, Q32, Q34) and responses (Q33)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

_FORMATS = (
    "%d.%m.%Y %H:%M:%S.%f",  # documented for object counting (L6783-6793)
    "%d.%m.%Y %H:%M:%S",  # unique visitor example (L7829)
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",  # date only: midnight
    "%Y.%m.%d %H:%M:%S.%f",
    "%Y.%m.%d %H:%M:%S",  # object counting example (L6764-6765)
    "%Y.%m.%d",
)

# .NET ticks: 100 ns since 0001-01-01; TimeLimit keeps the 7th fractional digit (Q33).
TICKS_PER_SECOND = 10_000_000
MIN_VALUE = "0001-01-01T00:00:00"


def parse_request_time(raw: str) -> datetime:
    """Naive for the dotted formats and zone-less ISO; aware when an ISO string carries a zone."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    for fmt in _FORMATS:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    candidates = [text]
    # An unencoded "+03:00" offset arrives as " 03:00" after query decoding.
    head, sep, tail = text.rpartition(" ")
    if sep and "T" in head:
        candidates.append(f"{head}+{tail}")
    for candidate in candidates:
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            pass
    raise ValueError(f"unrecognised date-time {raw!r}")


def parse_iso_time(raw: str) -> datetime:
    """An ISO 8601 date-time for a webapi `...Utc` parameter, as an aware UTC instant: minutes only
    (`2024-08-20T08:20`, L642-643, Q34), seconds, fractions, `Z` or an offset; zone-less is UTC."""
    text = raw.strip()
    candidates = [text]
    # An unencoded "+03:00" offset arrives as " 03:00" after query decoding.
    head, sep, tail = text.rpartition(" ")
    if sep and "T" in head:
        candidates.append(f"{head}+{tail}")
    for candidate in candidates:
        try:
            moment = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    raise ValueError(f"unrecognised date-time {raw!r}")


def format_ticks(ticks: int, fraction_digits: int) -> str:
    """UTC instant given in .NET-style ticks since the Unix epoch, as ISO 8601 with a Z suffix."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    whole = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{fraction:07d}"[:fraction_digits]
    return f"{whole}.{digits}Z" if digits else f"{whole}Z"


def format_time_limit(ticks: int, style: str, fraction_digits: int, tz: tzinfo) -> str:
    """A licence's TimeLimit in one of the `time_limit_style` forms (docs/simulator.md, "Variants")."""
    if style == "iso_z":
        return format_ticks(ticks, fraction_digits)
    if style == "iso_no_zone":
        return format_ticks(ticks, fraction_digits).removesuffix("Z")
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    local = datetime.fromtimestamp(seconds, UTC).astimezone(tz)
    if style == "dotnet_text":
        # The form of the reference's report windows (L6783-6793, L7829), in local time.
        return local.strftime("%d.%m.%Y %H:%M:%S")
    digits = f"{fraction:07d}"[:fraction_digits]
    offset = local.strftime("%z")  # "+0300"
    offset = f"{offset[:3]}:{offset[3:5]}"
    return f"{local.strftime('%Y-%m-%dT%H:%M:%S')}{'.' + digits if digits else ''}{offset}"


def ticks_of(instant: datetime) -> int:
    delta = instant - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86400 + delta.seconds) * TICKS_PER_SECOND + delta.microseconds * 10
