"""The running side of ``--web.config.file``: the listener's TLS context and the aiohttp middleware.

Re-reading. exporter-toolkit reads the web config file again for every HTTP request (users, headers) and
for every TLS ClientHello (the TLS settings, and the certificate and key files for every handshake); a
file it cannot read fails that request (500) or handshake. Here the files are looked at (``os.stat`` of
the config file and of every file it names) at most once a second, when a request or a new connection
arrives, and read again only when one of them changed: the same effect within a second, at the cost of a
few ``stat`` calls. A file that no longer reads keeps the last good configuration in force and is
logged once (once per broken state, not per request); whether the listener speaks TLS is fixed at start,
so a change that switches TLS on or off is refused the same way until the exporter is restarted.

Authentication. With ``basic_auth_users`` every path requires credentials except ``/healthz``, which
says only that the process is alive (liveness probes, the image's HEALTHCHECK, send none). A request
without valid credentials gets 401 with ``WWW-Authenticate: Basic``. Nothing about credentials is ever
logged. Headers of ``http_server_config.headers`` are added to every response, 401s included
(:meth:`WebGuard.add_headers`, on the application's ``on_response_prepare``).
"""

from __future__ import annotations

import logging
import os
import ssl
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from eocexporter.web.basic_auth import BasicAuthVerifier, Busy, parse_basic_authorization
from eocexporter.web.config import WebConfig, WebConfigError, load_web_config
from eocexporter.web.tls import reloading_context, san_allowed

__all__ = ["CHECK_INTERVAL", "UNAUTHENTICATED_PATHS", "WebGuard"]

log = logging.getLogger("eocexporter.web")

CHECK_INTERVAL = 1.0
# Reveals nothing but that the process answers; probes cannot send credentials.
UNAUTHENTICATED_PATHS = frozenset({"/healthz"})

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Signature = tuple[tuple[int, int, int, int, int] | None, ...]


def _add_headers(response: web.StreamResponse, headers: tuple[tuple[str, str], ...]) -> None:
    for name, value in headers:
        response.headers.setdefault(name, value)


def _signature(paths: tuple[Path, ...]) -> Signature:
    result = []
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError:
            result.append(None)
        else:
            result.append((stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns))
    return tuple(result)


class WebGuard:
    """Loads the web config (raising :class:`WebConfigError`), then follows its changes."""

    def __init__(
        self,
        path: Path | str,
        *,
        clock: Callable[[], float] = time.monotonic,
        check_interval: float = CHECK_INTERVAL,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._check_interval = check_interval
        self._files = (self.path,)
        signature = _signature(self._files)
        self.config = load_web_config(self.path)
        self._files = self.config.files
        self._signature = signature + _signature(self._files[1:])
        self._next_check = clock() + check_interval
        self._reported: Signature | None = None
        self.verifier = BasicAuthVerifier(self.config.users)
        self.ssl_context: ssl.SSLContext | None = (
            reloading_context(self._current_ssl_context) if self.config.tls else None
        )
        for warning in self.config.warnings:
            log.warning("web config %s: %s", self.path, warning)

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context is not None else "http"

    def refresh(self) -> WebConfig:
        """The configuration in force, after re-reading the files if one changed (checked once a second)."""
        now = self._clock()
        if now < self._next_check:
            return self.config
        self._next_check = now + self._check_interval
        signature = _signature(self._files)
        if signature in (self._signature, self._reported):
            return self.config
        try:
            config = load_web_config(self.path)
            if (config.tls is None) != (self.config.tls is None):
                raise WebConfigError(
                    f"web config {self.path}: tls_server_config "
                    f"{'added' if config.tls else 'removed'}: switching TLS on or off needs a restart"
                )
        except Exception as exc:  # whatever it is, the last good configuration stays in force
            if signature != self._reported:
                message = (
                    str(exc)
                    if isinstance(exc, WebConfigError)
                    else f"web config {self.path}: cannot be read again ({type(exc).__name__})"
                )
                log.error("%s; keeping the previous web config", message)
                self._reported = signature
            return self.config
        if config.files != self._files:
            # other TLS files: their state from now (a change in between shows at the next check but one)
            signature = signature[:1] + _signature(config.files[1:])
        self.config = config
        self._files = config.files
        self._signature = signature
        self._reported = None
        self.verifier.set_users(config.users)
        log.info("web config %s reloaded: %s", self.path, config.summary())
        for warning in config.warnings:
            log.warning("web config %s: %s", self.path, warning)
        return config

    def _current_ssl_context(self) -> ssl.SSLContext:
        context = self.refresh().ssl_context
        assert context is not None  # TLS cannot be switched off by a reload
        return context

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        denied = await self._deny(request, self.refresh())
        return denied if denied is not None else await handler(request)

    async def add_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        """An ``on_response_prepare`` signal handler: the configured headers on every response, 401s,
        errors and responses streamed by their handler (which are sent before a middleware sees them)
        included."""
        _add_headers(response, self.config.headers)

    async def _deny(self, request: web.Request, config: WebConfig) -> web.Response | None:
        """The answer refusing this request, or None to serve it."""
        if config.tls is not None and config.tls.client_allowed_sans is not None:
            transport = request.transport
            peercert = transport.get_extra_info("peercert") if transport is not None else None
            if not san_allowed(peercert, config.tls.client_allowed_sans):
                forbidden = web.Response(status=403, text="Forbidden\n")
                forbidden.force_close()  # exporter-toolkit ends such a connection in the handshake
                return forbidden
        if not config.users or request.path in UNAUTHENTICATED_PATHS:
            return None
        credentials = parse_basic_authorization(request.headers.get("Authorization"))
        if credentials is not None:
            try:
                if await self.verifier.verify(*credentials):
                    return None
            except Busy:
                return web.Response(
                    status=503, text="Too many logins in progress\n", headers={"Retry-After": "1"}
                )
        return web.Response(status=401, text="Unauthorized\n", headers={"WWW-Authenticate": "Basic"})

    def close(self) -> None:
        self.verifier.close()
