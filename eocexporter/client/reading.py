"""Reading a payload on behalf of a client: every problem is counted and logged, and only a document that
is not what the endpoint returns fails the request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
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
    return _parsed(client, endpoint, server_id, parse, *args).value


def _parsed(
    client: EocortexClient, endpoint: str, server_id: str, parse: Callable[..., Parsed[T]], *args: Any
) -> Parsed[T]:
    started = time.thread_time()
    try:
        parsed = parse(*args)
    except PayloadError as exc:
        client.record_parse_error(endpoint)
        log.warning(
            "target %s, server %s: cannot parse %s: %s",
            client.target.name,
            server_id,
            endpoint,
            exc,
            extra=_about(client, endpoint, server_id),
        )
        raise ApiShapeError(endpoint, f"unexpected document: {exc}") from None
    finally:
        client.stats.parse_seconds(endpoint, time.thread_time() - started)
    _count_problems(client, endpoint, server_id, parsed.problems)
    return parsed


def _count_problems(client: EocortexClient, endpoint: str, server_id: str, problems: tuple[str, ...]) -> None:
    # Asked once, not per problem: a field every camera lacks is a problem per camera, every cycle.
    debug = bool(problems) and log.isEnabledFor(logging.DEBUG)
    for problem in problems:
        client.record_parse_error(endpoint)
        if debug:
            log.debug(
                "target %s, server %s: %s: %s",
                client.target.name,
                server_id,
                endpoint,
                problem,
                extra=_about(client, endpoint, server_id),
            )


def _about(client: EocortexClient, endpoint: str, server_id: str) -> dict[str, object]:
    """What a log line is about: fields of the JSON log format (eocexporter.logs)."""
    return {"target": client.target.name, "server_id": server_id, "endpoint": endpoint}


@dataclass(frozen=True, slots=True)
class _Answer:
    body: bytes
    args: tuple[Any, ...]
    parsed: Parsed[Any]


async def get_and_read(
    client: EocortexClient,
    base_url: str,
    endpoint: str,
    path: str,
    server_id: str,
    parse: Callable[..., Parsed[list[T]]],
    *args: Any,
) -> list[T]:
    """GET ``path`` and :func:`read_payload` its document, for a large answer that seldom changes (a
    server's camera list: ~100 ms to decode and parse at 10,000 cameras, asked by three collectors every
    15 to 60 s). An answer byte for byte the previous one is neither decoded nor parsed again: the
    previous result is returned, and its problems are counted again, as a new reading of them would."""
    body = await client.get_body(base_url, endpoint, path)
    kept = client.last_answers.get((base_url, path))
    if isinstance(kept, _Answer) and kept.args == args and kept.body == body:
        _count_problems(client, endpoint, server_id, kept.parsed.problems)
        return list(kept.parsed.value)
    parsed = _parsed(client, endpoint, server_id, parse, client.decode(endpoint, body), *args)
    client.last_answers[(base_url, path)] = _Answer(body, args, parsed)
    return list(parsed.value)
