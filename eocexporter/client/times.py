"""Every time format the reference shows in a response field, read in one place (digest Q31-Q33).

- ISO 8601 with 0 to 7 fractional digits (.NET prints 7; Python reads 6), with ``Z``, with an offset, or
  with no zone at all, which is UTC (Q33: "parse zone-less UTC fields as UTC");
- ``dd.MM.yyyy HH:mm:ss`` with optional ``.fff``, and ``yyyy.MM.dd HH:mm:ss``, the forms the reference
  uses for report windows (L6789-6793, L7829, Q31), which it documents as local to the server: read in
  the server's zone (the target's ``timezone``);
- .NET ``DateTime.MinValue`` (year 1), which means "never": None.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

_DOTTED = (
    # dd.MM.yyyy HH:mm[:ss[.f...]] and yyyy.MM.dd HH:mm[:ss[.f...]], optionally in literal double quotes.
    re.compile(r'"?(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})[ T+](?P<time>[\d:.]+)"?'),
    re.compile(r'"?(?P<y>\d{4})\.(?P<m>\d{1,2})\.(?P<d>\d{1,2})[ T+](?P<time>[\d:.]+)"?'),
)
_CLOCK = re.compile(r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,7}))?)?")


class UnreadableTime(ValueError):
    """A text that is none of the API's time formats; the message quotes at most 40 characters of it."""


def parse_api_time(text: str, server_zone: tzinfo = UTC) -> datetime | None:
    """The instant ``text`` names, aware UTC; None for .NET's MinValue ("never") or a blank text.
    ``server_zone`` is the zone of a ``dd.MM.yyyy`` time (ISO without a zone is UTC)."""
    stripped = text.strip()
    if not stripped:
        return None
    parsed = _iso(stripped)
    zone: tzinfo = UTC
    if parsed is None:
        parsed, zone = _dotted(stripped), server_zone
    if parsed is None:
        raise UnreadableTime(f"not a time the API uses: {text[:40]!r}")
    if parsed.year <= 1:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def _iso(text: str) -> datetime | None:
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    date_part, dot, rest = text.partition(".")
    if dot:
        # Python reads at most 6 fractional digits; .NET prints 7.
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{date_part}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _dotted(text: str) -> datetime | None:
    for pattern in _DOTTED:
        match = pattern.fullmatch(text)
        clock = _CLOCK.fullmatch(match.group("time")) if match else None
        if match is None or clock is None:
            continue
        fraction = (clock.group("f") or "0")[:6].ljust(6, "0")
        try:
            return datetime(
                int(match.group("y")),
                int(match.group("m")),
                int(match.group("d")),
                int(clock.group("H")),
                int(clock.group("M")),
                int(clock.group("S") or 0),
                int(fraction),
            )
        except ValueError:
            return None
    return None
