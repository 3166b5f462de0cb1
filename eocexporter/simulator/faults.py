"""Faults that can be switched on and off while the simulator runs."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

DOWN_MODES = ("hang", "refuse")
ANY_ENDPOINT = "*"
CONFLICT_MESSAGE = (
    "Configuration modification detected in the course of making the request. Repeat request later."
)
# How long a request holds one of a server's workers when it has a capacity (see Capacity).
SECONDS_PER_REQUEST = 0.01


@dataclass(frozen=True)
class ErrorRate:
    rate: float
    status: int = 500


class Capacity:
    """A server with ``requests`` workers: each request holds one for ``seconds_per_request``, and the
    requests beyond them wait, first come first served, for one to be free. With ``c`` requests sent at
    once an answer takes about ``ceil(c / requests) x seconds_per_request``: the latency a client sees
    grows with its concurrency past the capacity, as on a real server that is queueing, and never below.
    A delay that grew only with the requests already in flight would never start on its own: answered in
    microseconds, the simulator's requests do not overlap."""

    def __init__(self, requests: int, seconds_per_request: float = SECONDS_PER_REQUEST) -> None:
        self.requests = requests
        self.seconds_per_request = seconds_per_request
        self._workers: dict[str, asyncio.Semaphore] = {}  # by server: a global capacity is per server

    async def serve(self, server_id: str) -> None:
        workers = self._workers.get(server_id)
        if workers is None:
            workers = self._workers[server_id] = asyncio.Semaphore(self.requests)
        async with workers:
            await asyncio.sleep(self.seconds_per_request)

    def as_dict(self) -> dict[str, float]:
        return {"requests": self.requests, "seconds_per_request": self.seconds_per_request}


class FaultController:
    """Endpoints are route templates (`api/channels/{id}/status`); servers are server ids."""

    def __init__(self, seed: int, endpoints: Iterable[str], server_ids: Iterable[str]) -> None:
        self.endpoints = tuple(endpoints)
        self.server_ids = tuple(server_ids)
        # Seeded so that a test with rate 0.5 sees the same sequence of failures on every run.
        self._rng = random.Random(seed)
        self.latency = 0.0
        self.endpoint_latency: dict[str, float] = {}
        self.server_latency: dict[str, float] = {}
        self.capacity: Capacity | None = None
        self.server_capacity: dict[str, Capacity] = {}
        self.error_rates: dict[str, ErrorRate] = {}
        self.conflicts: dict[str, int] = {}
        self.malformed: set[str] = set()
        self.bodies: dict[str, bytes] = {}
        self.down: dict[str, str] = {}
        self.failed_over: set[str] = set()
        self._up: dict[str, asyncio.Event] = {}
        self._lift_tasks: dict[str, asyncio.Task[None]] = {}
        # Set by the simulator: closes (False) or reopens (True) a server's listener.
        self.set_listening: Callable[[str, bool], Awaitable[None]] | None = None
        # Set by the simulator: moves a server's cameras to its reserve (True) or back (False).
        self.set_failed_over: Callable[[str, bool], None] | None = None

    # --- switching faults ------------------------------------------------------------------------

    def set_latency(self, seconds: float, *, endpoint: str | None = None, server: str | None = None) -> None:
        """Added delay; global, per endpoint template or per server (they add up). 0 removes."""
        if seconds < 0:
            raise ValueError("latency must not be negative")
        if endpoint is not None and server is not None:
            raise ValueError("give an endpoint or a server, not both")
        if endpoint is not None:
            _set_or_drop(self.endpoint_latency, self._endpoint(endpoint), seconds)
        elif server is not None:
            _set_or_drop(self.server_latency, self._server(server), seconds)
        else:
            self.latency = float(seconds)

    def set_capacity(
        self,
        requests: float,
        *,
        server: str | None = None,
        seconds_per_request: float = SECONDS_PER_REQUEST,
    ) -> None:
        """Every server's (or one server's, which then wins) capacity, see :class:`Capacity`. 0 removes."""
        if requests < 0 or requests != int(requests):
            raise ValueError("capacity must be a whole number of requests, 0 to remove")
        if seconds_per_request < 0:
            raise ValueError("seconds_per_request must not be negative")
        capacity = Capacity(int(requests), float(seconds_per_request)) if requests else None
        if server is None:
            self.capacity = capacity
        elif capacity is None:
            self.server_capacity.pop(self._server(server), None)
        else:
            self.server_capacity[self._server(server)] = capacity

    def set_error_rate(self, endpoint: str, rate: float, status: int = 500) -> None:
        """Fail this share of requests (1.0: all) with `status` and an ErrorMessage. 0 removes."""
        if not 0 <= rate <= 1:
            raise ValueError("rate must be within 0..1")
        if not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status")
        endpoint = self._endpoint(endpoint)
        if rate:
            self.error_rates[endpoint] = ErrorRate(rate, status)
        else:
            self.error_rates.pop(endpoint, None)

    def conflict_burst(self, count: int, endpoint: str | None = None) -> None:
        """The next `count` requests (to `endpoint`, or to any endpoint) get 409."""
        if count < 0:
            raise ValueError("count must not be negative")
        key = ANY_ENDPOINT if endpoint is None else self._endpoint(endpoint)
        _set_or_drop(self.conflicts, key, count)

    def set_malformed(self, endpoint: str, enabled: bool = True) -> None:
        """Answer 200 with a truncated JSON body."""
        endpoint = self._endpoint(endpoint)
        if enabled:
            self.malformed.add(endpoint)
        else:
            self.malformed.discard(endpoint)

    def set_body(self, endpoint: str, body: str | bytes | None) -> None:
        """Answer 200 with exactly ``body`` (any text: ``null``, ``{}``, a string, a huge list...) instead
        of the resource; None removes."""
        endpoint = self._endpoint(endpoint)
        if body is None:
            self.bodies.pop(endpoint, None)
        else:
            self.bodies[endpoint] = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body

    async def server_down(
        self, server_id: str, mode: str = "hang", *, for_seconds: float | None = None
    ) -> None:
        """`hang`: accept connections, never answer; `refuse`: close the listener. Lifted by
        `server_up`, or by itself after `for_seconds`."""
        if mode not in DOWN_MODES:
            raise ValueError(f"mode must be one of {DOWN_MODES}")
        server_id = self._server(server_id)
        await self.server_up(server_id)
        self.down[server_id] = mode
        if mode == "hang":
            self._up[server_id] = asyncio.Event()
        else:
            await self._listen(server_id, False)
        if for_seconds is not None:
            self._lift_tasks[server_id] = asyncio.create_task(self._lift_later(server_id, for_seconds))

    async def server_up(self, server_id: str) -> None:
        server_id = self._server(server_id)
        task = self._lift_tasks.pop(server_id, None)
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        mode = self.down.pop(server_id, None)
        if mode == "hang":
            self._up.pop(server_id).set()
        elif mode == "refuse":
            await self._listen(server_id, True)

    async def failover(self, server_id: str) -> None:
        """The server goes down ("refuse") and its reserve serves its cameras until `failback`."""
        server_id = self._server(server_id)
        self._move_cameras(server_id, True)
        self.failed_over.add(server_id)
        await self.server_down(server_id, "refuse")

    async def failback(self, server_id: str) -> None:
        server_id = self._server(server_id)
        await self.server_up(server_id)
        if server_id in self.failed_over:
            self.failed_over.discard(server_id)
            self._move_cameras(server_id, False)

    def _move_cameras(self, server_id: str, failed_over: bool) -> None:
        if self.set_failed_over is None:
            raise RuntimeError("the simulator is not running")
        self.set_failed_over(server_id, failed_over)

    async def _lift_later(self, server_id: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self.server_up(server_id)

    async def _listen(self, server_id: str, listening: bool) -> None:
        if self.set_listening is None:
            raise RuntimeError("the simulator is not running")
        await self.set_listening(server_id, listening)

    async def clear(self) -> None:
        for server_id in sorted(self.failed_over):
            await self.failback(server_id)
        for server_id in list(self.down):
            await self.server_up(server_id)
        self.latency = 0.0
        self.endpoint_latency.clear()
        self.server_latency.clear()
        self.capacity = None
        self.server_capacity.clear()
        self.error_rates.clear()
        self.conflicts.clear()
        self.malformed.clear()
        self.bodies.clear()

    def state(self) -> dict[str, Any]:
        return {
            "latency": {
                "global": self.latency,
                "endpoints": dict(self.endpoint_latency),
                "servers": dict(self.server_latency),
            },
            "capacity": {
                "global": self.capacity.as_dict() if self.capacity else None,
                "servers": {server: c.as_dict() for server, c in self.server_capacity.items()},
            },
            "error_rates": {k: {"rate": v.rate, "status": v.status} for k, v in self.error_rates.items()},
            "conflicts": dict(self.conflicts),
            "malformed": sorted(self.malformed),
            "bodies": {endpoint: len(body) for endpoint, body in sorted(self.bodies.items())},
            "down": dict(self.down),
            "failover": sorted(self.failed_over),
        }

    async def apply(self, spec: Mapping[str, Any]) -> None:
        """The control endpoint's JSON (docs/simulator.md). Everything is checked before anything
        changes, so a rejected request leaves the faults as they were."""
        for call in self._plan(spec):
            result = call()
            if asyncio.iscoroutine(result):
                await result

    def _plan(self, spec: Mapping[str, Any]) -> list[Callable[[], Any]]:
        unknown = set(spec) - {
            "clear",
            "latency",
            "capacity",
            "error_rates",
            "conflicts",
            "malformed",
            "bodies",
            "down",
            "failover",
        }
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        calls: list[Callable[[], Any]] = []
        if spec.get("clear"):
            calls.append(self.clear)
        latency = spec.get("latency")
        if isinstance(latency, int | float):
            latency = {"global": latency}
        for scope, values in _mapping(latency, "latency").items():
            if scope == "global":
                calls.append(_bind(self.set_latency, _number(values)))
            elif scope in ("endpoints", "servers"):
                for name, seconds in _mapping(values, f"latency.{scope}").items():
                    target = {"endpoint" if scope == "endpoints" else "server": name}
                    self._check_target(target)
                    calls.append(_bind(self.set_latency, _number(seconds), **target))
            else:
                raise ValueError(f"latency keys are global, endpoints, servers; not {scope!r}")
        capacity = spec.get("capacity")
        if isinstance(capacity, int | float | dict) and not (
            isinstance(capacity, dict) and set(capacity) <= {"global", "servers"}
        ):
            capacity = {"global": capacity}
        for scope, values in _mapping(capacity, "capacity").items():
            if scope == "global":
                requests, seconds = _capacity(values)
                calls.append(_bind(self.set_capacity, requests, **seconds))
            else:
                for server_id, value in _mapping(values, "capacity.servers").items():
                    self._server(server_id)
                    requests, seconds = _capacity(value)
                    calls.append(_bind(self.set_capacity, requests, server=server_id, **seconds))
        for endpoint, value in _mapping(spec.get("error_rates"), "error_rates").items():
            self._endpoint(endpoint)
            rate, status = (
                (value.get("rate"), value.get("status", 500)) if isinstance(value, dict) else (value, 500)
            )
            rate, status = _number(rate, 0, 1), int(_number(status, 400, 599))
            calls.append(_bind(self.set_error_rate, endpoint, rate, status))
        for endpoint, count in _mapping(spec.get("conflicts"), "conflicts").items():
            target = None if endpoint == ANY_ENDPOINT else self._endpoint(endpoint)
            calls.append(_bind(self.conflict_burst, int(_number(count)), target))
        malformed = spec.get("malformed")
        if isinstance(malformed, list):
            malformed = dict.fromkeys(malformed, True)
        for endpoint, enabled in _mapping(malformed, "malformed").items():
            self._endpoint(endpoint)
            calls.append(_bind(self.set_malformed, endpoint, bool(enabled)))
        for endpoint, body in _mapping(spec.get("bodies"), "bodies").items():
            self._endpoint(endpoint)
            if body is not None and not isinstance(body, str):
                raise ValueError("bodies values must be the body's text, or null to remove it")
            calls.append(_bind(self.set_body, endpoint, body))
        for server_id, mode in _mapping(spec.get("down"), "down").items():
            self._server(server_id)
            if mode is None:
                calls.append(_bind(self.server_up, server_id))
                continue
            for_seconds = None
            if isinstance(mode, dict):
                mode, for_seconds = mode.get("mode"), mode.get("for_seconds")
            if mode not in DOWN_MODES:
                raise ValueError(f"down mode must be one of {DOWN_MODES} or null")
            if for_seconds is not None:
                _number(for_seconds)
            calls.append(_bind(self.server_down, server_id, mode, for_seconds=for_seconds))
        for server_id, failed in _mapping(spec.get("failover"), "failover").items():
            self._server(server_id)
            if not isinstance(failed, bool):
                raise ValueError("failover values must be true (fail over) or false (fail back)")
            calls.append(_bind(self.failover if failed else self.failback, server_id))
        return calls

    def _check_target(self, target: Mapping[str, str]) -> None:
        if "endpoint" in target:
            self._endpoint(target["endpoint"])
        else:
            self._server(target["server"])

    async def close(self) -> None:
        """Release hung requests and pending timers, as the simulator stops."""
        for task in self._lift_tasks.values():
            task.cancel()
        self._lift_tasks.clear()
        for event in self._up.values():
            event.set()
        self._up.clear()
        self.down.clear()
        self.failed_over.clear()

    # --- consulted for each request --------------------------------------------------------------

    def is_hanging(self, server_id: str) -> bool:
        return self.down.get(server_id) == "hang"

    async def wait_until_up(self, server_id: str) -> None:
        event = self._up.get(server_id)
        if event is not None:
            await event.wait()

    def latency_for(self, server_id: str, endpoint: str | None) -> float:
        extra = self.endpoint_latency.get(endpoint, 0.0) if endpoint else 0.0
        return self.latency + self.server_latency.get(server_id, 0.0) + extra

    def capacity_for(self, server_id: str) -> Capacity | None:
        return self.server_capacity.get(server_id, self.capacity)

    def take_conflict(self, endpoint: str) -> bool:
        for key in (endpoint, ANY_ENDPOINT):
            if self.conflicts.get(key, 0) > 0:
                self.conflicts[key] -= 1
                if not self.conflicts[key]:
                    del self.conflicts[key]
                return True
        return False

    def draw_error(self, endpoint: str) -> int | None:
        fault = self.error_rates.get(endpoint)
        if fault is None:
            return None
        return fault.status if self._rng.random() < fault.rate else None

    def is_malformed(self, endpoint: str) -> bool:
        return endpoint in self.malformed

    def body_for(self, endpoint: str) -> bytes | None:
        return self.bodies.get(endpoint)

    # --- validation ------------------------------------------------------------------------------

    def _endpoint(self, endpoint: str) -> str:
        normalised = endpoint.strip("/")
        if normalised not in self.endpoints:
            raise ValueError(f"unknown endpoint {endpoint!r}; known: {', '.join(self.endpoints)}")
        return normalised

    def _server(self, server_id: str) -> str:
        normalised = server_id.lower()
        if normalised not in self.server_ids:
            raise ValueError(f"unknown server {server_id!r}")
        return normalised


def _set_or_drop(table: dict[str, Any], key: str, value: float) -> None:
    if value:
        table[key] = value
    else:
        table.pop(key, None)


def _bind(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[], Any]:
    return lambda: function(*args, **kwargs)


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must be an object")
    return value


def _capacity(value: Any) -> tuple[float, dict[str, float]]:
    """``4`` or ``{"requests": 4, "seconds_per_request": 0.05}``: the arguments of set_capacity."""
    if isinstance(value, dict):
        unknown = set(value) - {"requests", "seconds_per_request"}
        if unknown:
            raise ValueError(f"capacity keys are requests, seconds_per_request; not {sorted(unknown)}")
        seconds = value.get("seconds_per_request")
        extra = {} if seconds is None else {"seconds_per_request": _number(seconds)}
        requests = _number(value.get("requests"))
    else:
        requests, extra = _number(value), {}
    if requests != int(requests):
        raise ValueError(f"capacity must be a whole number of requests, not {requests!r}")
    return requests, extra


def _number(value: Any, low: float = 0, high: float = float("inf")) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise ValueError(f"expected a number within {low}..{high}, got {value!r}")
    return float(value)
