"""Starting and stopping the servers of a simulated installation, and the request pipeline."""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import NamedTuple

from aiohttp import web

from . import control
from .auth import AuthFailed, authenticate
from .clock import SystemClock
from .config import SimulatorConfig
from .faults import CONFLICT_MESSAGE, FaultController
from .load import LoadMeter
from .model import Installation, UnknownObject
from .routes import ENDPOINTS, ROUTES, ApiError, Request, match
from .topology import SimServer
from .wire import dumps, truncated


class RequestRecord(NamedTuple):
    server_id: str
    method: str
    template: str | None  # None: no such resource
    status: int
    # The query parameters as sent, names lowercased, without the credentials of query authentication.
    params: tuple[tuple[str, str], ...] = ()


_CREDENTIAL_PARAMS = frozenset({"login", "password", "usertype"})


class Simulator:
    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.clock = config.clock or SystemClock()
        self.installation = Installation(config, self.clock)
        self.faults = FaultController(
            config.seed, ENDPOINTS, [server.id for server in self.installation.servers]
        )
        self.faults.set_listening = self._set_listening
        self.faults.set_failed_over = self.installation.set_failed_over
        self.request_log: deque[RequestRecord] = deque(maxlen=config.request_log_size)
        self.load = LoadMeter()
        self._runners: dict[str, web.AppRunner] = {}
        # Bound, never listening: the refused ports listed_addresses="unreachable" lists.
        self._unreachable: list[socket.socket] = []

    @property
    def main_url(self) -> str:
        return self.url(self.installation.main_server.id)

    @property
    def server_urls(self) -> dict[str, str]:
        return {server.id: self.url(server.id) for server in self.installation.servers}

    def url(self, server_id: str) -> str:
        server = self.installation.server(server_id)
        host = f"[{self.installation.host}]" if ":" in self.installation.host else self.installation.host
        scheme = "https" if self.config.ssl_context is not None else "http"
        return f"{scheme}://{host}:{server.port}"

    async def start(self) -> None:
        try:
            for server in self.installation.servers:
                await self._open(server)
                if not server.is_main:
                    server.unreachable_port = self._reserve_refused_port()
        except BaseException:
            await self.stop()
            raise
        # Ports picked by the OS are now known; configure/servers must report them.
        self.installation.topology_changed()

    async def stop(self) -> None:
        await self.faults.close()
        for server_id in list(self._runners):
            await self._runners.pop(server_id).cleanup()
        while self._unreachable:
            self._unreachable.pop().close()

    async def failover(self, server_id: str) -> None:
        """Take the server down ("refuse") and let its reserve serve its cameras."""
        await self.faults.failover(server_id)

    async def failback(self, server_id: str) -> None:
        """Reopen the server and give its cameras back."""
        await self.faults.failback(server_id)

    def _reserve_refused_port(self) -> int:
        # Bound without SO_REUSEADDR and never listening: connections are refused at once and no
        # other socket can take the port while the simulator runs.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.bind(("127.0.0.1", 0))
        except OSError:
            sock.close()
            raise
        self._unreachable.append(sock)
        return sock.getsockname()[1]

    async def _open(self, server: SimServer) -> None:
        sock = _listening_socket(self.config.host, server.port)
        server.port = sock.getsockname()[1]
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", partial(self._handle, server))
        # handler_cancellation: a client giving up on a hung request ends it.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5, handler_cancellation=True)
        await runner.setup()
        try:
            await web.SockSite(runner, sock, ssl_context=self.config.ssl_context).start()
        except BaseException:
            await runner.cleanup()
            sock.close()
            raise
        self._runners[server.id] = runner

    async def _set_listening(self, server_id: str, listening: bool) -> None:
        if listening:
            if server_id not in self._runners:
                await self._open(self.installation.server(server_id))
        else:
            runner = self._runners.pop(server_id, None)
            if runner is not None:
                # Closes the listener and the open keep-alive connections: clients see refusals.
                await runner.cleanup()

    async def _handle(self, server: SimServer, request: web.Request) -> web.StreamResponse:
        if server.is_main and request.path.startswith(control.PREFIX):
            return await control.handle(self, request)
        self.load.arrived(server.id)
        try:
            return await self._serve(server, request)
        finally:
            self.load.left(server.id)

    async def _serve(self, server: SimServer, request: web.Request) -> web.StreamResponse:
        if self.faults.is_hanging(server.id):
            await self.faults.wait_until_up(server.id)
        capacity = self.faults.capacity_for(server.id)
        if capacity is not None:
            await capacity.serve(server.id)
        found = match(ROUTES, request.path)
        template = found[0].template if found else None
        delay = self.faults.latency_for(server.id, template)
        if delay:
            await asyncio.sleep(delay)
        response = self._respond(server, request, found)
        params = tuple(
            (name.lower(), value)
            for name, value in request.query.items()
            if name.lower() not in _CREDENTIAL_PARAMS
        )
        self.request_log.append(RequestRecord(server.id, request.method, template, response.status, params))
        return response

    def _respond(self, server: SimServer, request: web.Request, found) -> web.Response:
        params: dict[str, str] = {}
        for name, value in request.query.items():
            params.setdefault(name.lower(), value)
        try:
            user = authenticate(request.headers, params, self.config.users)
        except AuthFailed:
            return _error(401, "Authorization failed", {"WWW-Authenticate": 'Basic realm="Eocortex"'})
        not_found = f"Resource is not found ({request.path} | {request.method})"
        # configure/ on a server that is not the main one, or what a legacy server's version lacks:
        # as if the resource did not exist.
        if (
            found is None
            or request.method not in found[0].methods
            or (found[0].configure and not server.is_main)
            or (server.legacy and self.installation.missing_on_legacy(found[0].template))
        ):
            return _error(404, not_found)
        route, args = found
        if route.configure and not user.senior_admin:
            return _error(403, "Access denied: configuration requires a member of Senior Administrators")
        if self.faults.take_conflict(route.template):
            return _error(409, CONFLICT_MESSAGE)
        failure = self.faults.draw_error(route.template)
        if failure is not None:
            return _error(failure, "Simulated failure")
        try:
            query = tuple((name.lower(), value) for name, value in request.query.items())
            payload = route.handler(Request(self.installation, server, params, args, query))
        except ApiError as exc:
            return _error(exc.status, exc.message)
        except UnknownObject:
            return _error(404, not_found)
        except ValueError as exc:
            return _error(400, str(exc))
        body = self.faults.body_for(route.template)
        if body is None:
            body = payload if isinstance(payload, bytes) else dumps(payload)
        if self.faults.is_malformed(route.template):
            body = truncated(body)
        return web.Response(body=body, content_type="application/json", charset="utf-8")


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=dumps({"ErrorMessage": message}),
        status=status,
        headers=headers,
        content_type="application/json",
        charset="utf-8",
    )


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # Lets a refused server reopen its port at once, despite connections in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


@asynccontextmanager
async def running_simulator(config: SimulatorConfig | None = None) -> AsyncIterator[Simulator]:
    simulator = Simulator(config or SimulatorConfig())
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()
