"""Headless Chromium driven over the DevTools protocol with aiohttp's WebSocket client (no new dependency).

A test asks a real browser for what it rendered: ``document.body.innerText`` is the text as laid out
(hidden elements left out, table cells separated), and a screenshot is the page as an operator sees it.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str:
    """The browser; with CI=true a missing one fails the test (the test command installs it), elsewhere
    it skips."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    message = "headless Chromium is needed: apt-get install chromium (make test installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


class Page:
    """One browser tab, spoken to over its DevTools WebSocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self._events: list[dict[str, Any]] = []

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command; return its result (events that arrive meanwhile are kept)."""
        command_id = next(self._ids)
        await self._socket.send_json({"id": command_id, "method": method, "params": params})
        async for message in self._socket:
            data = json.loads(message.data)
            if data.get("id") == command_id:
                if "error" in data:
                    raise AssertionError(f"{method}: {data['error']}")
                return data.get("result", {})
            self._events.append(data)
        raise AssertionError(f"{method}: the browser closed the connection")

    async def event(self, method: str) -> dict[str, Any]:
        """The next event named ``method`` (one that arrived already counts)."""
        for index, data in enumerate(self._events):
            if data.get("method") == method:
                del self._events[: index + 1]
                return data.get("params", {})
        async for message in self._socket:
            data = json.loads(message.data)
            if data.get("method") == method:
                return data.get("params", {})
        raise AssertionError(f"{method}: the browser closed the connection")

    async def open(self, url: str) -> None:
        await self.call("Page.enable")
        await self.call("Page.navigate", url=url)
        await self.event("Page.loadEventFired")

    async def text(self) -> str:
        result = await self.call("Runtime.evaluate", expression="document.body.innerText", returnByValue=True)
        return result["result"]["value"]

    async def screenshot(self, path: Path) -> bytes:
        result = await self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        data = base64.b64decode(result["data"])
        path.write_bytes(data)
        return data


@asynccontextmanager
async def headless_page(width: int = 1280, height: int = 900, timeout: float = 30) -> AsyncIterator[Page]:
    """A fresh headless Chromium with one blank tab; the browser is killed on leaving."""
    binary = chromium_path()
    with tempfile.TemporaryDirectory(prefix="eocexporter-chromium-") as profile:
        process = subprocess.Popen(
            [
                binary,
                "--headless=new",
                "--no-sandbox",  # tests run as root in a container
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            async with asyncio.timeout(timeout):
                port = await _devtools_port(Path(profile), process)
                async with aiohttp.ClientSession() as http:
                    async with http.put(f"http://127.0.0.1:{port}/json/new?about:blank") as response:
                        tab = await response.json()
                    async with http.ws_connect(tab["webSocketDebuggerUrl"], max_msg_size=0) as socket:
                        yield Page(socket)
        finally:
            process.kill()
            process.wait(10)


async def _devtools_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    """The port Chromium chose, from the file it writes once it listens (polled: a separate process)."""
    marker = profile / "DevToolsActivePort"
    for _ in range(300):
        if process.poll() is not None:
            raise AssertionError(f"chromium exited with {process.returncode}")
        if marker.is_file():
            first = marker.read_text().split("\n", 1)[0].strip()
            if first.isdigit():
                return int(first)
        await asyncio.sleep(0.1)
    raise AssertionError("chromium never opened its DevTools port")
