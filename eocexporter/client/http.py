"""One aiohttp session per target: pooling, bounded concurrency, timeouts, retries, accounting.

Retries follow the reference: 409 means "configuration changed during the request, repeat later"
(L363-365), so it is retried like 5xx, timeouts and dropped connections, with exponential back-off and
full jitter. 400, 401, 403 and 404 are answers, not accidents, and are never retried.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import ssl
import time
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import aiohttp

from eocexporter.client.auth import credentials_for
from eocexporter.client.errors import ApiError, ApiParseError, ApiUnavailable, http_error
from eocexporter.client.politeness import REQUEST_DUE, ServerGates, Slots
from eocexporter.client.shared import SharedDocuments
from eocexporter.client.stats import ApiStatsRecorder
from eocexporter.client.support import EndpointSupport
from eocexporter.client.text import may_hold_surrogates, repaired, safe_text
from eocexporter.options import TargetConfig

log = logging.getLogger(__name__)

_RETRYABLE_STATUS = frozenset({409, 500, 502, 503, 504})
_MAX_ERROR_DETAIL = 200


class EocortexClient:
    """Talks to every server of one installation on behalf of one target."""

    def __init__(self, target: TargetConfig, stats: ApiStatsRecorder | None = None) -> None:
        self.target = target
        self.stats = stats or ApiStatsRecorder()
        self.support = EndpointSupport()
        self.shared = SharedDocuments()
        self._credentials = credentials_for(target)
        self._secrets = self._credentials.secrets()
        self._slots = Slots(target.max_concurrency)
        self.gates = ServerGates(target.politeness)
        self._session: aiohttp.ClientSession | None = None
        self._rng = random.Random()
        # (base URL, path) -> the last answer read through eocexporter.client.reading.get_and_read
        self.last_answers: dict[tuple[str, str], Any] = {}

    async def __aenter__(self) -> EocortexClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.target.max_concurrency,
                ssl=_ssl_setting(self.target),
                ttl_dns_cache=300,
                enable_cleanup_closed=True,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.target.request_timeout),
                headers={"Accept": "application/json", **self._credentials.headers},
                # Credentials travel in headers we set ourselves; never pick any up from ~/.netrc.
                trust_env=False,
                raise_for_status=False,
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def get_json(
        self,
        base_url: str,
        endpoint: str,
        path: str,
        params: Mapping[str, str] | None = None,
        method: str = "GET",
    ) -> Any:
        """GET ``base_url/path`` and return the decoded JSON. ``method`` is "POST" for the one listing
        the reference documents as a POST without a body (``webapi/archive_export/tasks``, Q7).

        ``endpoint`` is the route template (``api/channels/{id}/status``) used in metrics and messages.
        Raises an :class:`~eocexporter.client.errors.ApiError` subclass on failure.
        """
        return self.decode(endpoint, await self.get_body(base_url, endpoint, path, params, method))

    async def get_body(
        self,
        base_url: str,
        endpoint: str,
        path: str,
        params: Mapping[str, str] | None = None,
        method: str = "GET",
    ) -> bytes:
        """The body of a successful answer, undecoded (see :meth:`get_json`)."""
        # None rather than an empty mapping: aiohttp then leaves the URL as it is (a per-request saving
        # that counts at 10,000 status requests a cycle).
        query = {**(params or {}), **self._credentials.params} or None
        url = f"{base_url}/{path}"
        attempt = 0
        while True:
            try:
                return await self._attempt(base_url, url, endpoint, query, method)
            except _Retryable as retryable:
                if attempt >= self.target.retries:
                    raise ApiUnavailable(
                        endpoint,
                        f"{retryable.reason} after {attempt + 1} attempt{'s' if attempt else ''}",
                        answered=retryable.answered,
                    ) from None
                delay = min(self.target.backoff_max, self.target.backoff_initial * 2**attempt)
                attempt += 1
                # Full jitter spreads the retries of many concurrent requests after a 409 burst.
                pause = self._rng.uniform(0, delay)
                self._log_retry(base_url, endpoint, attempt, retryable.reason, pause)
                await asyncio.sleep(pause)

    def _log_retry(self, base_url: str, endpoint: str, attempt: int, reason: str, pause: float) -> None:
        # The route template and the server's base URL, never the request's URL: in query authentication
        # its query carries the password. The reason is the client's own text (error details scrubbed).
        # Guarded: a 409 burst retries thousands of status requests at once.
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "target %s: %s at %s: attempt %d of %d failed (%s); retrying in %.3fs",
                self.target.name,
                endpoint,
                base_url,
                attempt,
                self.target.retries + 1,
                reason,
                pause,
                extra={
                    "target": self.target.name,
                    "endpoint": endpoint,
                    "attempt": attempt,
                    "delay_seconds": round(pause, 3),
                },
            )

    async def _attempt(
        self, base_url: str, url: str, endpoint: str, query: Mapping[str, str] | None, method: str
    ) -> bytes:
        session = self._ensure_session()
        # The server's own gate first, the target's slots second: a request waiting for its server
        # (eocexporter.client.politeness) must not hold a slot that another server's request could use.
        gate = self.gates.gate(base_url)
        priority = REQUEST_DUE.get()  # when the collector run this request is for is due
        ticket = await gate.enter(priority)
        outcome: str | None = None  # None: abandoned, which tells the gate nothing about the server
        started = time.perf_counter()
        try:
            await self._slots.acquire(priority)
            try:
                started = time.perf_counter()
                try:
                    async with session.request(method, url, params=query, allow_redirects=False) as response:
                        body = await response.read()
                        status = response.status
                except asyncio.CancelledError:
                    # Abandoned by a deadline or a failing sibling; the server may still have answered it.
                    self.stats.request(endpoint, "cancelled", time.perf_counter() - started)
                    raise
                except TimeoutError:
                    outcome = "timeout"
                    self.stats.request(endpoint, outcome, time.perf_counter() - started)
                    raise _Retryable(f"timed out after {self.target.request_timeout:g}s") from None
                except aiohttp.ClientSSLError as exc:
                    outcome = "tls_error"
                    self.stats.request(endpoint, outcome, time.perf_counter() - started)
                    raise ApiUnavailable(endpoint, f"TLS error: {_ssl_reason(exc)}") from None
                except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, OSError) as exc:
                    outcome = "connection_error"
                    self.stats.request(endpoint, outcome, time.perf_counter() - started)
                    raise _Retryable(_connection_reason(exc)) from None
                except (aiohttp.ClientError, ValueError) as exc:
                    # E.g. an unusable server address from configure/servers. The library's own message
                    # would carry the URL, and with it the query credentials: name the kind only.
                    outcome = "error"
                    self.stats.request(endpoint, outcome, time.perf_counter() - started)
                    raise ApiUnavailable(endpoint, f"request failed ({type(exc).__name__})") from None
                outcome = str(status)
                self.stats.request(endpoint, outcome, time.perf_counter() - started)
            finally:
                self._slots.release()
        finally:
            gate.leave(ticket, outcome, time.perf_counter() - started)
        if status in _RETRYABLE_STATUS:
            raise _Retryable(f"HTTP {status}" + _detail_suffix(body, self._secrets), answered=True)
        if status >= 300:
            raise http_error(endpoint, status, _error_detail(body, self._secrets))
        return body

    def decode(self, endpoint: str, body: bytes) -> Any:
        """The JSON document of an answer's body; its CPU time is counted as the endpoint's parsing."""
        started_cpu = time.thread_time()
        try:
            document, repairs = decode_json(body)
        except ValueError:
            self.not_json(endpoint, len(body))
        finally:
            self.stats.parse_seconds(endpoint, time.thread_time() - started_cpu)
        self.count_repairs(endpoint, repairs)
        return document

    def not_json(self, endpoint: str, size: int) -> NoReturn:
        """Count and raise an answer of ``size`` bytes that is not JSON."""
        self.stats.parse_error(endpoint)
        raise ApiParseError(endpoint, f"response is not valid JSON ({size} bytes)") from None

    def count_repairs(self, endpoint: str, repairs: int) -> None:
        """Count the strings with a lone surrogate that :func:`decode_json` repaired in an answer."""
        if not repairs:
            return
        for _ in range(repairs):
            self.stats.parse_error(endpoint)
        log.debug(
            "target %s: %s: %d string(s) with a lone surrogate repaired",
            self.target.name,
            endpoint,
            repairs,
            extra={"target": self.target.name, "endpoint": endpoint},
        )

    def record_parse_error(self, endpoint: str) -> None:
        self.stats.parse_error(endpoint)


def decode_json(body: bytes) -> tuple[Any, int]:
    """A body's JSON document and how many strings with a lone surrogate were repaired in it; ValueError
    (UnicodeDecodeError among them) when it is not JSON. Touches nothing shared: it also runs in worker
    threads (eocexporter.client.reading)."""
    document = json.loads(body)
    if may_hold_surrogates(body):
        return repaired(document)
    return document, 0


class _Retryable(Exception):
    def __init__(self, reason: str, *, answered: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.answered = answered  # with a status (5xx, 409), not a timeout or a broken connection


def _ssl_setting(target: TargetConfig) -> ssl.SSLContext | bool:
    if target.tls.insecure_skip_verify:
        return False
    context = ssl.create_default_context(cafile=str(target.tls.ca_file) if target.tls.ca_file else None)
    return context


def _error_detail(body: bytes, secrets: Sequence[str]) -> str | None:
    """The ``ErrorMessage`` of an error body, when there is one (errors are only "usually" JSON, Q48),
    without any form of the credentials: a server that quotes the request in its message would otherwise
    put the password parameter or the Authorization token into logs and the status page."""
    try:
        message = json.loads(body).get("ErrorMessage")
    except (ValueError, UnicodeDecodeError, AttributeError):
        return None
    if not isinstance(message, str):
        return None
    for secret in secrets:
        message = message.replace(secret, "<secret>")
    return safe_text(" ".join(message.split())[:_MAX_ERROR_DETAIL])


def _detail_suffix(body: bytes, secrets: Sequence[str]) -> str:
    detail = _error_detail(body, secrets)
    return f" ({detail})" if detail else ""


def _connection_reason(exc: BaseException) -> str:
    # aiohttp's own messages embed the URL, which in query-auth mode carries the password hash.
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return "server closed the connection"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"cannot connect ({exc.os_error.strerror or type(exc.os_error).__name__})"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return "response body cut short"
    return f"connection failed ({type(exc).__name__})"


def _ssl_reason(exc: aiohttp.ClientSSLError) -> str:
    certificate_error = getattr(exc, "certificate_error", None)
    if certificate_error is not None:
        reason = getattr(certificate_error, "verify_message", None) or type(certificate_error).__name__
        return f"certificate verify failed: {reason} (see tls.ca_file and tls.insecure_skip_verify)"
    return type(exc).__name__


__all__ = ["ApiError", "EocortexClient"]
