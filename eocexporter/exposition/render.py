"""A snapshot -> the text exposition and its gzip twin, made once per snapshot and served as is."""

from __future__ import annotations

import gzip
from dataclasses import dataclass

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from eocexporter.exposition.families import render_text
from eocexporter.snapshot import ExporterSnapshot

# What generate_latest writes is the classic text format 0.0.4 (legacy metric names, no UTF-8 escaping
# negotiation), and that is the content type prometheus-client itself sends with it by default.
# prometheus-client 0.26's CONTENT_TYPE_LATEST says version=1.0.0 instead, which would promise a scraper the
# newer format's escaping rules.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

# Levels 1-3 share zlib's fast strategy and cost the same; 3 compresses best of them. On a 16 MB exposition
# (10,000 cameras) level 3 took 23 ms for 37x and level 6 took 56 ms for 41x, next to 650 ms of rendering.
GZIP_LEVEL = 3


@dataclass(frozen=True, slots=True)
class Exposition:
    """One rendered snapshot, ready to serve as is."""

    body: bytes
    gzipped: bytes  # gzip of body, for a scraper that sends Accept-Encoding: gzip
    content_type: str = CONTENT_TYPE


def render(snapshot: ExporterSnapshot) -> bytes:
    """The text exposition (format 0.0.4) of ``snapshot``; equal snapshots give equal bytes.

    Written directly by :func:`~eocexporter.exposition.families.render_text` (a test holds it byte-equal
    to prometheus-client's own encoder over the same families): at 10,000 cameras that takes a
    fraction of the time and none of the per-sample objects."""
    return render_text(snapshot)


def compress(body: bytes) -> bytes:
    # mtime=0 keeps the gzip header free of the clock, so equal bodies give equal bytes.
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def build_exposition(snapshot: ExporterSnapshot) -> Exposition:
    """Render ``snapshot`` and gzip it once; the HTTP server serves either without further work."""
    body = render(snapshot)
    return Exposition(body=body, gzipped=compress(body), content_type=CONTENT_TYPE)
