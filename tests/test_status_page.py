"""The status page at /, as an operator sees it: loaded in headless Chromium against the simulator, with a
server down and a collector failing, and checked on the text the browser rendered."""

from __future__ import annotations

import hashlib
import re
import struct
from pathlib import Path

import aiohttp
from browser import headless_page
from conftest import MONITOR, make_settings

from eocexporter.client import endpoints
from eocexporter.server import create_app, start_site
from eocexporter.status_page import REFRESH_SECONDS


async def test_the_page_shows_a_down_server_and_a_failing_collector(
    sim, exporter_factory, tmp_path: Path
) -> None:
    other = next(server for server in sim.installation.servers if not server.is_main)
    await sim.faults.server_down(other.id, "refuse")
    sim.faults.set_error_rate(endpoints.WEBAPI_LICENSE, 1.0, status=500)
    root = tmp_path / "parquet"
    settings = make_settings(
        sim.main_url,
        target={"username": MONITOR.login, "password": MONITOR.password},
        parquet={"root": str(root)},
    )
    exporter = exporter_factory(settings)
    await exporter.collect_once()
    runner, port = await start_site(create_app(exporter), "127.0.0.1", 0)
    try:
        async with headless_page() as page:
            await page.open(f"http://127.0.0.1:{port}/")
            text = await page.text()
            picture = await page.screenshot(tmp_path / "status-page.png")
    finally:
        await runner.cleanup()

    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    assert "Target eoc: up" in lines
    assert "Servers: 2, 1 down" in lines
    assert _row(lines, other.name).endswith("down")
    main = sim.installation.main_server
    assert _row(lines, f"{main.name} (main)").endswith("up")
    licences = _row(lines, "licenses")
    assert licences.startswith("licenses failing")
    assert "HTTP 500" in licences
    # The server that is down fails every collector's run there; the row says which server and why.
    cameras_row = _row(lines, "cameras")
    assert cameras_row.startswith("cameras failing")
    assert f"server {other.id}: api/channels: cannot connect" in cameras_row
    assert f"Parquet: writing to {root}." in " ".join(lines)
    assert f"Cameras: {len(sim.installation.cameras_on(main.id))}" in lines
    # Nothing of the credentials, in any form the exporter holds them.
    for secret in (MONITOR.password, hashlib.md5(MONITOR.password.encode()).hexdigest()):
        assert secret not in text
    # A real picture of the page: a PNG as wide as the window, and not blank.
    assert picture[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", picture[16:24])
    assert width >= 1000 and height >= 600  # the window, less a scroll bar
    assert len(picture) > 20_000


def _row(lines: list[str], first_cell: str) -> str:
    """The rendered table row that starts with ``first_cell`` (innerText separates cells with tabs)."""
    found = [line for line in lines if line == first_cell or line.startswith(first_cell + " ")]
    assert found, f"no row for {first_cell!r} in {lines}"
    return found[0]


async def test_the_page_is_self_contained_and_refreshes_itself(sim, exporter_factory) -> None:
    exporter = exporter_factory(make_settings(sim.main_url))
    await exporter.collect_once()
    runner, port = await start_site(create_app(exporter), "127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/") as response:
            page = await response.text()
    finally:
        await runner.cleanup()
    assert response.status == 200
    assert f'<meta http-equiv="refresh" content="{REFRESH_SECONDS}">' in page
    # Works offline: nothing is loaded from elsewhere (the docs link is a link, not an asset).
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r"""src=|url\(|@import""", page)
    assert re.findall(r'href="(https?://[^"]+)"', page) == [
        "https://github.com/eocexporter/eocexporter/tree/main/docs"
    ]
    assert 'href="/probe?target=eoc"' in page and 'href="/metrics"' in page
