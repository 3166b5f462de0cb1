"""JSON as the simulated server writes it."""

from __future__ import annotations

import json
from typing import Any


def dumps(payload: Any) -> bytes:
    # .NET serialisers write non-ASCII characters as they are, compactly.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def truncated(body: bytes) -> bytes:
    """A cut-off body: a proper prefix of an object or array is never valid JSON."""
    return body[: max(1, len(body) // 2)]
