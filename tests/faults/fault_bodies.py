"""Hostile bodies: HTTP 200 answers whose JSON is not what the endpoint returns.

Every simulated server is put behind a :class:`MutatingProxy` on 127.0.0.1 (the exporter reaches the
main server through the target URL and the others through ``server_addresses``). The proxy forwards
everything; for the endpoint under test it replaces the server's real answer — for that server, camera
and interval — by a hostile one: ``null``, ``{}``, a string, a number, every boolean and number inside
replaced by text (``"Disabled": "maybe"``), a lone surrogate escape ``\\ud800`` in every name, the real
answer padded to 20 MB, or every list item repeated. (The simulator's ``set_body`` serves one fixed body
to every server and camera, so it cannot make a padded or repeated copy of each real answer.)

Each case is then classified by what the exporter made of it: the run failed, a parse error was
counted, nothing changed, or — a defect — its data changed while it reported success and counted nothing.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import socket
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

# What the exporter polls, and which collectors read each endpoint.
POLLED = {
    "configure/servers": ("discovery",),
    "api/channels": ("cameras", "visitors", "archiving", "archive_depth"),
    "api/channels/{id}/status": ("cameras",),
    "configure/channels/{id}": ("archiving",),
    "configure/channels": ("bindings", "archiving"),
    "webapi/license": ("licenses",),
    "api/objects_counting/current_counters": ("object_counting",),
    "api/unique_visitor/report": ("visitors",),
    "webapi/cameras/{id}/archive_days": ("archive_depth",),
    "webapi/cameras/analytics": ("analytics_plugins",),
    "webapi/archive_export/tasks": ("archive_export",),
    "api/faceconfig": ("databases",),
    "api/faces": ("databases",),
    "api/cars-groups": ("databases",),
}
# What the Parquet sink polls for each report dataset.
REPORTS = {
    "api/objects_counting/report": "object_counts",
    "api/unique_visitor/report": "visitor_reports",
}
PADDING = 20 * 2**20
REPEATS = 20
NAME_KEYS = frozenset({"Name", "ChannelName", "ProductType", "Language"})
KINDS = ("null", "{}", "string", "number", "wrong type inside", "lone surrogate", "20 MB", "repeated list")
# Bodies that are a problem whatever the exporter makes of them: each must be counted. A 20 MB answer
# (an undocumented field) and a repeated list may instead leave the output exactly as it was.
PROBLEMS = ("null", "{}", "string", "number", "wrong type inside", "lone surrogate")

# Readings the project documents, where an answer of this shape cannot be told from a real one: the
# counting endpoints answer `{}` for a server with nothing configured (digest Q37; the simulator's
# `empty_object_bodies`; eocexporter/client/payloads.py).
DOCUMENTED = {
    ("api/objects_counting/current_counters", "{}"): "Q37: {} is a server with nothing configured",
    ("api/objects_counting/report", "{}"): "Q37: {} is a server with nothing configured",
}

Mutation = Callable[[Any], str]


def _walk(document: Any, change: Callable[[str, Any], Any]) -> Any:
    if isinstance(document, dict):
        return {key: change(key, _walk(value, change)) for key, value in document.items()}
    if isinstance(document, list):
        return [_walk(item, change) for item in document]
    return document


def _wrong_type(key: str, value: Any) -> Any:
    if isinstance(value, bool):
        return "maybe"
    if isinstance(value, int | float):
        return "many"
    return value


def _surrogate(key: str, value: Any) -> Any:
    return f"{value} \ud800" if key in NAME_KEYS and isinstance(value, str) else value


def _the_list(document: Any) -> list[Any] | None:
    """The list an answer is made of: the document itself, or the visitor report's ``Report``."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict) and isinstance(document.get("Report"), list):
        return document["Report"]
    return None


def _with_list(document: Any, items: list[Any]) -> Any:
    return {**document, "Report": items} if isinstance(document, dict) else items


def wrong_type_inside(document: Any) -> str:
    return json.dumps(_walk(document, _wrong_type), ensure_ascii=False)


def lone_surrogate(document: Any) -> str:
    # ensure_ascii: the surrogate travels as the escape \ud800 — valid JSON, unencodable once decoded.
    return json.dumps(_walk(document, _surrogate), ensure_ascii=True)


def padded(document: Any) -> str:
    """The answer with a 20 MB undocumented field in its first object (or 20 MB of JSON whitespace when
    it holds no object)."""
    items = _the_list(document)
    if items and isinstance(items[0], dict):
        return json.dumps(_with_list(document, [{**items[0], "Padding": "x" * PADDING}, *items[1:]]))
    if isinstance(document, dict):
        return json.dumps({**document, "Padding": "x" * PADDING})
    return json.dumps(document) + " " * PADDING


def repeated(document: Any) -> str:
    items = _the_list(document) or []
    return json.dumps(_with_list(document, [item for item in items for _ in range(REPEATS)]))


def mutations(sample: Any) -> dict[str, Mutation]:
    """Every hostile body that applies to an endpoint whose real answer looks like ``sample``."""
    found: dict[str, Mutation] = {
        "null": lambda _: "null",
        "{}": lambda _: "{}",
        "string": lambda _: '"hostile text"',
        "number": lambda _: "42",
    }
    # Only where the answer has a boolean or a number to turn into text (an answer of strings alone would
    # come back unchanged, which is no hostile body at all).
    if wrong_type_inside(sample) != json.dumps(sample, ensure_ascii=False):
        found["wrong type inside"] = wrong_type_inside
    if "\\ud800" in lone_surrogate(sample):
        found["lone surrogate"] = lone_surrogate
    found["20 MB"] = padded
    if _the_list(sample) is not None:
        found["repeated list"] = repeated
    return found


def _pattern(template: str) -> re.Pattern[str]:
    return re.compile("^/" + re.escape(template).replace(re.escape("{id}"), "[^/]+") + "/?$", re.IGNORECASE)


class MutatingProxy:
    """Forwards every request to one simulated server on 127.0.0.1; for each endpoint given a mutation,
    its 200 answers are replaced by the mutation of the real answer."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.url = ""
        self.served: Counter[str] = Counter()  # hostile answers served, by endpoint
        self._rules: dict[str, tuple[re.Pattern[str], Mutation]] = {}
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    def mutate(self, endpoint: str, mutation: Mutation) -> None:
        self._rules[endpoint] = (_pattern(endpoint), mutation)

    def clear(self) -> None:
        self._rules = {}

    async def start(self) -> None:
        self._http = aiohttp.ClientSession(auto_decompress=False)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        listening = socket.socket()
        listening.bind(("127.0.0.1", 0))
        await web.SockSite(self._runner, listening).start()
        self.url = f"http://127.0.0.1:{listening.getsockname()[1]}"

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization", "usertype")}
        url = f"{self.upstream}{request.path_qs}"
        async with self._http.request(request.method, url, headers=headers) as answer:
            body = await answer.read()
            status, content_type = answer.status, answer.content_type
        if status == 200:
            for endpoint, (pattern, mutation) in list(self._rules.items()):
                if pattern.match(request.path):
                    body = mutation(json.loads(body)).encode("utf-8")
                    self.served[endpoint] += 1
                    break
        return web.Response(status=status, body=body, content_type=content_type)


@contextlib.asynccontextmanager
async def proxies_for(sim) -> AsyncIterator[dict[str, MutatingProxy]]:
    """A proxy per simulated server, by server id."""
    proxies = {server.id: MutatingProxy(sim.url(server.id)) for server in sim.installation.servers}
    try:
        for proxy in proxies.values():
            await proxy.start()
        yield proxies
    finally:
        for proxy in proxies.values():
            await proxy.close()


def proxied_target(sim, proxies: dict[str, MutatingProxy]) -> dict[str, Any]:
    """Target options that reach every server through its proxy."""
    main = sim.installation.main_server.id
    return {
        "url": proxies[main].url,
        "server_addresses": {server_id: proxy.url for server_id, proxy in proxies.items()},
    }


def mutate_all(proxies: dict[str, MutatingProxy], endpoint: str, mutation: Mutation) -> None:
    for proxy in proxies.values():
        proxy.mutate(endpoint, mutation)


def clear_all(proxies: dict[str, MutatingProxy]) -> None:
    for proxy in proxies.values():
        proxy.clear()


async def real_answers(sim, params: dict[str, tuple[tuple[str, str], ...]], templates) -> dict[str, Any]:
    """The main server's answer to each template as the exporter asked it (``params`` from the request
    log), as root with the empty password of a fresh installation: samples that tell which mutations
    apply."""
    camera = next(camera for camera in sim.installation.cameras if not camera.disabled)
    token = base64.b64encode(b"root:").decode()
    answers = {}
    async with aiohttp.ClientSession(headers={"Authorization": f"Basic {token}"}) as http:
        for template in templates:
            path = template.replace("{id}", camera.id)
            async with http.get(f"{sim.main_url}/{path}", params=list(params.get(template, ()))) as response:
                assert response.status == 200, f"{template}: {response.status}"
                answers[template] = await response.json()
    return answers


def first_params(sim) -> dict[str, tuple[tuple[str, str], ...]]:
    params: dict[str, tuple[tuple[str, str], ...]] = {}
    for record in sim.request_log:
        if record.template is not None:
            params.setdefault(record.template, record.params)
    return params


@dataclass
class Case:
    endpoint: str
    kind: str
    outcome: str  # "failed" | "counted" | "unchanged" | "silently changed"
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.endpoint} <- {self.kind}: {self.outcome}{f' ({self.detail})' if self.detail else ''}"

    @property
    def uncounted_problem(self) -> bool:
        """Counted nowhere although it is a problem (by its kind, or by what it changed), and not a
        documented reading."""
        return (
            self.outcome not in ("failed", "counted")
            and (self.kind in PROBLEMS or self.outcome == "silently changed")
            and (self.endpoint, self.kind) not in DOCUMENTED
        )


HEALTH_PREFIXES = (
    "eocortex_exporter_",
    "eocortex_collector_",
    "eocortex_api_",
    "eocortex_endpoint_",
    "eocortex_parquet_",
    "eocortex_up",
    "eocortex_server_up",
    "eocortex_configure_access",
)


def data_series(samples: dict) -> dict:
    return {key: value for key, value in samples.items() if not key[0].startswith(HEALTH_PREFIXES)}


def duplicate_series(body: bytes) -> int:
    """Sample lines of an exposition whose name and labels repeat (Prometheus rejects such a scrape)."""
    lines = [line for line in body.decode("utf-8").splitlines() if line and not line.startswith("#")]
    return len(lines) - len({line.rsplit(" ", 1)[0] for line in lines})
