"""Reading a payload on behalf of a client: what a parser cannot read is counted, logged and raised."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from eocexporter.client.errors import ApiParseError
from eocexporter.client.http import EocortexClient
from eocexporter.client.payloads import PayloadError

log = logging.getLogger(__name__)

T = TypeVar("T")


def read_payload(
    client: EocortexClient, endpoint: str, server_id: str, parse: Callable[..., T], *args: Any
) -> T:
    """Run a payload parser; a shape it cannot read is counted and becomes an :class:`ApiParseError`."""
    try:
        return parse(*args)
    except PayloadError as exc:
        client.record_parse_error(endpoint)
        log.warning("target %s, server %s: cannot parse %s: %s", client.target.name, server_id, endpoint, exc)
        raise ApiParseError(endpoint, f"unexpected shape: {exc}") from None
