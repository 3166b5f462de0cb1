"""Reading a payload on behalf of a client: every problem is counted and logged, and only a document that
is not what the endpoint returns fails the request."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from eocexporter.client.errors import ApiShapeError
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import Parsed, PayloadError

log = logging.getLogger(__name__)

T = TypeVar("T")


def read_payload(
    client: EocortexClient, endpoint: str, server_id: str, parse: Callable[..., Parsed[T]], *args: Any
) -> T:
    """Run a payload parser. Each item it skipped or field it dropped counts as a parse error of the
    endpoint (logged at debug, naming the field); a document it cannot read at all becomes an
    :class:`ApiShapeError` (logged at warning)."""
    try:
        parsed = parse(*args)
    except PayloadError as exc:
        client.record_parse_error(endpoint)
        log.warning("target %s, server %s: cannot parse %s: %s", client.target.name, server_id, endpoint, exc)
        raise ApiShapeError(endpoint, f"unexpected document: {exc}") from None
    for problem in parsed.problems:
        client.record_parse_error(endpoint)
        log.debug("target %s, server %s: %s: %s", client.target.name, server_id, endpoint, problem)
    return parsed.value
