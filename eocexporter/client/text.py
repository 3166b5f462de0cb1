"""Making the API's strings safe once, where they enter: lone UTF-16 surrogates.

JSON may carry a lone surrogate as an escape (``"\\ud800"``); Python decodes it into a string that cannot
be encoded as UTF-8, so every later use of it — a label, a Parquet column, a log line — would fail. Each
one is replaced with U+FFFD when the response is decoded, and the repair is counted as a parse error of
the endpoint. Valid surrogate pairs (an emoji escaped as two) are decoded by ``json`` into one character
and are not touched.
"""

from __future__ import annotations

import re
from typing import Any

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A body can only hold one as a JSON escape (raw UTF-8 cannot encode a surrogate): \uD800-\uDFFF.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
REPLACEMENT = "\ufffd"


def may_hold_surrogates(body: bytes) -> bool:
    """A cheap test of the raw body: without such an escape, no string of it needs repair."""
    return _SURROGATE_ESCAPE.search(body) is not None


def safe_text(text: str) -> str:
    return _LONE_SURROGATE.sub(REPLACEMENT, text)


def repaired(document: Any) -> tuple[Any, int]:
    """``document`` with every lone surrogate of every string (keys included) replaced, and how many
    strings were repaired."""
    count = 0

    def walk(value: Any) -> Any:
        nonlocal count
        if isinstance(value, str):
            if _LONE_SURROGATE.search(value):
                count += 1
                return safe_text(value)
            return value
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return {walk(key): walk(item) for key, item in value.items()}
        return value

    return walk(document), count
