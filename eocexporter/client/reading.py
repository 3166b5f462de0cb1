"""Reading a payload on behalf of a client: every problem is counted and logged, and only a document that
is not what the endpoint returns fails the request."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

from eocexporter.client.errors import ApiShapeError
from eocexporter.client.http import EocortexClient, decode_json
from eocexporter.client.payloads import Parsed, PayloadError

log = logging.getLogger(__name__)

T = TypeVar("T")

# An answer at least this large is decoded and parsed in a worker thread, not on the event loop. At 10,000
# cameras the object-counting document (1.2 MB) took 60-220 ms on the loop every 15 s, and the camera
# lists (3.4 and 4.9 MB) longer: each a stall of every scrape and request in flight. In a thread it
# shares the GIL in 1 ms turns (the run command's switch interval) instead. Smaller answers (a camera's
# status: a few hundred bytes, 10,000 a cycle) stay on the loop, where a thread's hand-over would cost
# more than their parse.
OFF_LOOP_BYTES = 256 * 1024


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
        _unreadable(client, endpoint, server_id, exc)
    finally:
        client.stats.parse_seconds(endpoint, time.thread_time() - started)
    _count_problems(client, endpoint, server_id, parsed.problems)
    return parsed


def _unreadable(client: EocortexClient, endpoint: str, server_id: str, exc: PayloadError) -> NoReturn:
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


async def read_body(
    client: EocortexClient,
    endpoint: str,
    server_id: str,
    parse: Callable[..., Parsed[T]],
    body: bytes,
    *args: Any,
) -> T:
    """Decode an answer's body and :func:`read_payload` its document, a large one (:data:`OFF_LOOP_BYTES`)
    in a worker thread; every problem is counted and logged as :func:`read_payload` does."""
    return (await _parsed_body(client, endpoint, server_id, parse, body, *args)).value


async def _parsed_body(
    client: EocortexClient,
    endpoint: str,
    server_id: str,
    parse: Callable[..., Parsed[T]],
    body: bytes,
    *args: Any,
) -> Parsed[T]:
    if len(body) < OFF_LOOP_BYTES:
        read = _read(body, parse, args)
    else:
        read = await asyncio.to_thread(_read, body, parse, args)
    # The client's counters and the log are the loop's: the reading only reports what it found.
    client.stats.parse_seconds(endpoint, read.cpu_seconds)
    if read.not_json:
        client.not_json(endpoint, len(body))
    client.count_repairs(endpoint, read.repairs)
    if read.unreadable is not None:
        _unreadable(client, endpoint, server_id, read.unreadable)
    assert read.parsed is not None
    _count_problems(client, endpoint, server_id, read.parsed.problems)
    return read.parsed


@dataclass(frozen=True, slots=True)
class _Read:
    cpu_seconds: float
    not_json: bool = False
    repairs: int = 0
    unreadable: PayloadError | None = None
    parsed: Parsed[Any] | None = None


def _read(body: bytes, parse: Callable[..., Parsed[Any]], args: tuple[Any, ...]) -> _Read:
    """Decode and parse, touching nothing shared: it runs on the loop or in a worker thread."""
    started = time.thread_time()
    try:
        document, repairs = decode_json(body)
    except ValueError:
        return _Read(time.thread_time() - started, not_json=True)
    try:
        parsed = parse(document, *args)
    except PayloadError as exc:
        return _Read(time.thread_time() - started, repairs=repairs, unreadable=exc)
    return _Read(time.thread_time() - started, repairs=repairs, parsed=parsed)


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
    parsed = await _parsed_body(client, endpoint, server_id, parse, body, *args)
    client.last_answers[(base_url, path)] = _Answer(body, args, parsed)
    return list(parsed.value)
