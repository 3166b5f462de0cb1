"""Access control: ``--web.config.file`` (Prometheus exporter-toolkit's web configuration file).

Real HTTP and real TLS on 127.0.0.1, certificates from trustme:

- basic auth on every route but /healthz (401 with ``WWW-Authenticate: Basic``), the right password
  answered on /metrics, /, /ready and /probe;
- TLS versions (a TLS 1.1-only client refused), client certificates (``RequireAndVerifyClientCert``: a
  certificate of another CA refused, one of the configured CA accepted), ``client_allowed_sans``;
- a burst of 300 logins does not stall a scrape whose credentials are already verified, every login gets
  the right answer, and identical checks share one bcrypt call;
- the files are re-read on change (a new password, a rotated certificate) and a broken file keeps the
  last good configuration with one log line;
- strict parsing: each bad file is one line on stderr and exit 2 from ``run`` and ``check-config``;
- the security headers; the image's HEALTHCHECK over TLS; the documented Prometheus scrape
  configuration passes ``promtool check config`` and scrapes the exporter for real.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import logging
import math
import os
import random
import re
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import bcrypt
import pytest
import trustme
import yaml
from conftest import make_settings
from helpers import prometheus_path, promtool_path

from eocexporter.config import load_settings
from eocexporter.exporter import Exporter
from eocexporter.server import create_app, start_site
from eocexporter.web import WebConfigError, WebGuard, basic_auth, load_web_config
from eocexporter.web.basic_auth import BasicAuthVerifier, parse_basic_authorization
from eocexporter.web.config import ALLOWED_HEADERS
from eocexporter.web.tls import GO_CIPHER_SUITES

ROOT = Path(__file__).resolve().parent.parent
SECURITY_DOC = ROOT / "docs" / "security.md"
HASH = re.compile(r"\$2[abxy]\$\d\d\$")  # a bcrypt hash, never to be echoed


# ---- helpers --------------------------------------------------------------------------------------


def bcrypt_hash(password: str, cost: int = 4) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(cost)).decode("ascii")


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def write_yaml(path: Path, document: Any) -> Path:
    """Write atomically (a new inode), as a config management tool or a Kubernetes Secret update does."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    os.replace(temporary, path)
    return path


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EOCEXPORTER_")}
    env.pop("PYTHONPATH", None)
    return env


class Clock:
    """The guard's clock: a test moves it past the once-a-second check instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 1.0) -> None:
        self.now += seconds


@dataclass
class Pki:
    dir: Path
    ca: trustme.CA  # issues the server's certificate and the accepted client certificates
    other_ca: trustme.CA  # a CA the exporter does not trust
    cert_file: Path
    key_file: Path
    client_ca_file: Path

    def client_context(self, client: trustme.LeafCert | None = None) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        if client is not None:
            client.configure_cert(context)
        return context

    def tls(self, **options: Any) -> dict[str, Any]:
        return {"cert_file": self.cert_file.name, "key_file": self.key_file.name, **options}


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    ca, other = trustme.CA(), trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    server.private_key_pem.write_to_path(tmp_path / "server.key")
    server.cert_chain_pems[0].write_to_path(tmp_path / "server.crt")
    ca.cert_pem.write_to_path(tmp_path / "client-ca.crt")
    return Pki(
        tmp_path, ca, other, tmp_path / "server.crt", tmp_path / "server.key", tmp_path / "client-ca.crt"
    )


@dataclass
class Served:
    guard: WebGuard
    url: str
    exporter: Exporter


Start = Callable[..., Awaitable[Served]]


@pytest.fixture
async def start(exporter_factory: Callable[[Any], Exporter]) -> AsyncIterator[Start]:
    """Serve an exporter (collected once: /ready is 200) behind a WebGuard on 127.0.0.1."""
    started: list[tuple[Any, WebGuard]] = []

    async def run(config: Path, *, clock: Clock | None = None, settings: Any = None) -> Served:
        guard = WebGuard(config, clock=clock or time.monotonic)
        exporter = exporter_factory(settings if settings is not None else load_settings(None))
        await exporter.collect_once()
        app = create_app(exporter, middlewares=[guard.middleware], on_prepare=[guard.add_headers])
        runner, port = await start_site(app, "127.0.0.1", 0, guard.ssl_context)
        started.append((runner, guard))
        return Served(guard, f"{guard.scheme}://127.0.0.1:{port}", exporter)

    yield run
    for runner, guard in started:
        await runner.cleanup()
        guard.close()


async def fetch(
    url: str,
    *,
    context: ssl.SSLContext | None = None,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> tuple[int, dict[str, str]] | Exception:
    """(status, headers) on a fresh connection, or the exception a refused connection raised."""
    connector = aiohttp.TCPConnector(force_close=True)
    try:
        async with (
            aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10)) as http,
            http.request(method, url, ssl=context if context is not None else True, headers=headers) as r,
        ):
            await r.read()
            return r.status, dict(r.headers)
    except (aiohttp.ClientError, ssl.SSLError, ConnectionError) as exc:
        return exc


async def status(url: str, **kwargs: Any) -> int:
    result = await fetch(url, **kwargs)
    assert not isinstance(result, Exception), f"{url}: {result!r}"
    return result[0]


# ---- basic auth on every route --------------------------------------------------------------------


async def test_every_route_but_healthz_needs_the_right_password(
    sim, start: Start, pki: Pki, tmp_path: Path
) -> None:
    config = write_yaml(
        tmp_path / "web.yml",
        {
            "tls_server_config": pki.tls(),
            "basic_auth_users": {"prometheus": bcrypt_hash("scrape-Пароль"), "alice": bcrypt_hash("a")},
        },
    )
    served = await start(config, settings=make_settings(sim.main_url))
    context = pki.client_context()
    routes = ["/metrics", "/", "/ready", "/probe?target=eoc"]
    wrong = [
        None,
        basic("prometheus", "wrong"),
        basic("prometheus", ""),
        basic("nobody", "scrape-Пароль"),
        basic("alice", "scrape-Пароль"),
        {"Authorization": "Bearer scrape-Пароль"},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no colon").decode()},
    ]
    for route in routes:
        for headers in wrong:
            result = await fetch(served.url + route, context=context, headers=headers)
            assert not isinstance(result, Exception), result
            assert result[0] == 401, (route, headers)
            assert result[1]["WWW-Authenticate"] == "Basic"
        assert (
            await status(served.url + route, context=context, headers=basic("prometheus", "scrape-Пароль"))
            == 200
        )
    # the scheme is case-insensitive, as in Go's Request.BasicAuth
    lower = {"Authorization": basic("prometheus", "scrape-Пароль")["Authorization"].replace("Basic", "basic")}
    assert await status(served.url + "/metrics", context=context, headers=lower) == 200
    # /healthz: no credentials needed, and it tells nothing but "alive"
    result = await fetch(served.url + "/healthz", context=context)
    assert not isinstance(result, Exception) and result[0] == 200
    # every other path, unknown ones and the reload endpoint included, is behind the password
    assert await status(served.url + "/nothing-here", context=context) == 401
    assert await status(served.url + "/healthz/", context=context) == 401
    assert await status(served.url + "/-/reload", context=context, method="POST") == 401
    assert await status(served.url + "/nothing-here", context=context, headers=basic("alice", "a")) == 404


async def test_no_users_no_authentication(start: Start, tmp_path: Path) -> None:
    served = await start(write_yaml(tmp_path / "web.yml", {"basic_auth_users": {}}))
    assert served.url.startswith("http://")
    assert await status(served.url + "/metrics") == 200


def test_authorization_header_parsing() -> None:
    assert parse_basic_authorization(basic("u", "p:w")["Authorization"]) == ("u", b"p:w")
    assert parse_basic_authorization("BASIC " + base64.b64encode(b"u:").decode()) == ("u", b"")
    assert parse_basic_authorization(None) is None
    assert parse_basic_authorization("Basic") is None
    assert parse_basic_authorization("Basic dTpw=") is None  # bad padding: Go's StdEncoding refuses it
    assert parse_basic_authorization("Basic " + base64.b64encode(b"\xff:p").decode()) is None
    assert parse_basic_authorization("Digest " + base64.b64encode(b"u:p").decode()) is None


async def test_verifier_caches_shares_and_forgets() -> None:
    verifier = BasicAuthVerifier({"u": bcrypt_hash("pw").encode()})
    try:
        assert await verifier.verify("u", b"pw")
        assert verifier.bcrypt_calls == 1
        assert await verifier.verify("u", b"pw")  # cached
        assert not await verifier.verify("u", b"bad")
        assert not await verifier.verify("u", b"bad")  # cached as denied
        assert verifier.bcrypt_calls == 2
        # concurrent identical checks share one bcrypt call
        results = await asyncio.gather(*(verifier.verify("u", b"other") for _ in range(20)))
        assert results == [False] * 20 and verifier.bcrypt_calls == 3
        # an unknown user costs a bcrypt call too (against a dummy hash), so timing does not tell
        assert not await verifier.verify("nobody", b"pw")
        assert verifier.bcrypt_calls == 4
        # bcrypt reads 72 bytes at most: longer passwords are refused without a call
        assert not await verifier.verify("u", b"x" * 73)
        assert verifier.bcrypt_calls == 4
        # new users: the caches are emptied
        verifier.set_users({"u": bcrypt_hash("new").encode()})
        assert not await verifier.verify("u", b"pw")
        assert await verifier.verify("u", b"new")
        assert verifier.bcrypt_calls == 6
    finally:
        verifier.close()


async def test_too_many_waiting_logins_are_answered_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(basic_auth, "MAX_PENDING", 2)
    verifier = BasicAuthVerifier({"u": bcrypt_hash("pw", 8).encode()})
    try:
        first = asyncio.ensure_future(verifier.verify("u", b"a"))
        second = asyncio.ensure_future(verifier.verify("u", b"b"))
        await asyncio.sleep(0)  # both started: two distinct checks wait for the pool
        with pytest.raises(basic_auth.Busy):
            await verifier.verify("u", b"c")
        assert await verifier.verify("u", b"a") is False  # joins the pending check: not a new one
        assert await asyncio.gather(first, second) == [False, False]
        assert await verifier.verify("u", b"pw")  # room again
    finally:
        verifier.close()


async def test_a_burst_of_logins_does_not_stall_a_verified_scrape(
    start: Start, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 concurrent logins at bcrypt cost 10 while Prometheus, already verified, scrapes.

    The bound: a scrape with verified credentials costs an HMAC and a dictionary lookup, then the cached
    exposition is sent -- milliseconds. 2 s is far above that (and below Prometheus' default 10 s scrape
    timeout), and the burst is sized so that its bcrypt work, done serially, takes at least twice as long:
    had bcrypt run on the event loop, or the scrape waited for the pool, the scrape would exceed it.
    """
    bound = 2.0
    cost = 10
    right = {"prometheus": "scrape-pw", "alice": "alice-pw"}
    users = {user: bcrypt_hash(password, cost) for user, password in right.items()}
    served = await start(write_yaml(tmp_path / "web.yml", {"basic_auth_users": users}))

    began = time.perf_counter()
    bcrypt.checkpw(b"x", users["alice"].encode())
    one = time.perf_counter() - began
    # 2 * distinct_wrong + 1 bcrypt calls in the burst: serially at least twice the bound
    distinct_wrong = min(100, max(10, math.ceil(bound / one)))

    calls = 0
    lock = threading.Lock()
    started = threading.Event()
    original = basic_auth._check

    def counted(password: bytes, hashed: bytes) -> bool:
        nonlocal calls
        with lock:
            calls += 1
        started.set()
        return original(password, hashed)

    monkeypatch.setattr(basic_auth, "_check", counted)

    # 300 logins: every wrong password once for alice and once for an unknown user, more of the same
    # wrong ones up to 200, and 100 right ones (Prometheus' already verified, alice's not yet), shuffled.
    wrong = [f"wrong-{k}" for k in range(distinct_wrong)]
    logins: list[tuple[dict[str, str], int]] = [
        (basic(user, password), 401) for password in wrong for user in ("alice", "nobody")
    ]
    shuffle = random.Random(7)
    while len(logins) < 200:
        logins.append((basic(shuffle.choice(["alice", "nobody"]), shuffle.choice(wrong)), 401))
    for index in range(100):
        user = "prometheus" if index % 2 else "alice"
        logins.append((basic(user, right[user]), 200))
    shuffle.shuffle(logins)

    async with (
        aiohttp.ClientSession() as scraper,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as crowd,
    ):
        # Prometheus' first scrape: verified once, and its connection stays open (keep-alive).
        async with scraper.get(served.url + "/metrics", headers=basic("prometheus", "scrape-pw")) as r:
            assert r.status == 200
            await r.read()
        assert calls == 1

        async def login(headers: dict[str, str]) -> int:
            async with crowd.get(served.url + "/metrics", headers=headers) as response:
                await response.read()
                return response.status

        burst = asyncio.gather(*(login(headers) for headers, _ in logins))
        # wait (in a thread: the event loop keeps serving) until bcrypt is busy with the burst
        assert await asyncio.to_thread(started.wait, 60), "the burst never reached bcrypt"
        began = time.perf_counter()
        async with scraper.get(served.url + "/metrics", headers=basic("prometheus", "scrape-pw")) as r:
            assert r.status == 200
            await r.read()
        elapsed = time.perf_counter() - began
        still_busy = not burst.done()
        answers = await burst

    print(
        f"bcrypt cost {cost}: {one * 1000:.0f} ms; {calls} calls; verified scrape during the burst: {elapsed * 1000:.0f} ms"
    )
    assert still_busy, "the burst ended before the scrape: nothing was measured"
    assert elapsed < bound, f"a verified scrape took {elapsed:.2f} s during the burst"
    assert answers == [expected for _, expected in logins]
    # one call per distinct (user, password): the scraper's, alice's right one, and the wrong ones
    # (alice's and the unknown user's); the prometheus logins of the burst were all served from the cache
    assert calls == 1 + 1 + 2 * distinct_wrong


# ---- TLS ------------------------------------------------------------------------------------------


def tls11_only_client(pki: Pki) -> ssl.SSLContext:
    """A client offering TLS 1.0-1.1 only; OpenSSL 3 needs security level 0 for that, so it gets it."""
    context = pki.client_context()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


async def client_can_speak_tls11(pki: Pki) -> bool:
    """Whether this OpenSSL can do a TLS 1.1 handshake at all (against a bare server that allows it)."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(pki.cert_file, pki.key_file)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server.minimum_version = ssl.TLSVersion.TLSv1
    server.set_ciphers("DEFAULT:@SECLEVEL=0")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"ok")
        await writer.drain()
        writer.close()

    bare = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server)
    try:
        port = bare.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=tls11_only_client(pki))
        version = writer.get_extra_info("ssl_object").version()
        await reader.read()
        writer.close()
        return version == "TLSv1.1"
    except (ssl.SSLError, ConnectionError):
        return False
    finally:
        bare.close()
        await bare.wait_closed()


async def test_a_tls11_only_client_is_refused(start: Start, pki: Pki, tmp_path: Path) -> None:
    served = await start(write_yaml(tmp_path / "web.yml", {"tls_server_config": pki.tls()}))
    assert served.url.startswith("https://")
    refused = await fetch(served.url + "/metrics", context=tls11_only_client(pki))
    assert isinstance(refused, Exception), "a TLS 1.1-only client was served"
    # a TLS 1.2 client is served (the default minimum is TLS12)
    tls12 = pki.client_context()
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    assert await status(served.url + "/metrics", context=tls12) == 200
    if not await client_can_speak_tls11(pki):
        pytest.skip("this OpenSSL cannot speak TLS 1.1 even at security level 0: the refusal is the client's")


async def test_tls_versions_and_cipher_suites(start: Start, pki: Pki, tmp_path: Path) -> None:
    tls13 = write_yaml(tmp_path / "tls13.yml", {"tls_server_config": pki.tls(min_version="TLS13")})
    served = await start(tls13)
    tls12 = pki.client_context()
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    assert isinstance(await fetch(served.url + "/metrics", context=tls12), Exception)
    assert await status(served.url + "/metrics", context=pki.client_context()) == 200

    # TLS 1.2 with one suite (trustme's keys are ECDSA): a client offering only another one is refused
    suite = write_yaml(
        tmp_path / "suite.yml",
        {
            "tls_server_config": pki.tls(
                max_version="TLS12", cipher_suites=["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]
            )
        },
    )
    served = await start(suite)
    chosen = pki.client_context()
    chosen.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384")
    other = pki.client_context()
    other.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
    assert await status(served.url + "/metrics", context=chosen) == 200
    assert isinstance(await fetch(served.url + "/metrics", context=other), Exception)


async def test_min_version_tls11_is_accepted_with_a_warning(pki: Pki, tmp_path: Path) -> None:
    config = load_web_config(
        write_yaml(tmp_path / "web.yml", {"tls_server_config": pki.tls(min_version="TLS11")})
    )
    assert config.ssl_context is not None
    if ssl.OPENSSL_VERSION_INFO >= (3,) and config.ssl_context.security_level >= 1:
        assert any("refuses TLS 1.0 and 1.1" in warning for warning in config.warnings)


async def test_client_certificates(start: Start, pki: Pki, tmp_path: Path) -> None:
    config = write_yaml(
        tmp_path / "web.yml",
        {
            "tls_server_config": pki.tls(
                client_auth_type="RequireAndVerifyClientCert", client_ca_file=pki.client_ca_file.name
            )
        },
    )
    served = await start(config)
    ours = pki.ca.issue_cert("prometheus.example")
    theirs = pki.other_ca.issue_cert("prometheus.example")
    assert await status(served.url + "/metrics", context=pki.client_context(ours)) == 200
    assert isinstance(await fetch(served.url + "/metrics", context=pki.client_context(theirs)), Exception)
    assert isinstance(await fetch(served.url + "/metrics", context=pki.client_context()), Exception)
    # the liveness endpoint is no exception: the certificate is asked for during the handshake
    assert isinstance(await fetch(served.url + "/healthz", context=pki.client_context()), Exception)


async def test_client_allowed_sans(start: Start, pki: Pki, tmp_path: Path) -> None:
    config = write_yaml(
        tmp_path / "web.yml",
        {
            "tls_server_config": pki.tls(
                client_auth_type="RequireAndVerifyClientCert",
                client_ca_file=pki.client_ca_file.name,
                client_allowed_sans=["prometheus.example", "10.0.0.7", "::1"],
            )
        },
    )
    served = await start(config)
    for allowed in ("prometheus.example", "10.0.0.7", "::1"):
        client = pki.client_context(pki.ca.issue_cert("x.example", allowed))
        assert await status(served.url + "/metrics", context=client) == 200, allowed
    stranger = pki.client_context(pki.ca.issue_cert("grafana.example", "10.0.0.8"))
    assert await status(served.url + "/metrics", context=stranger) == 403
    assert await status(served.url + "/healthz", context=stranger) == 403


# ---- re-reading -----------------------------------------------------------------------------------


async def test_a_changed_password_takes_effect_and_a_broken_file_keeps_the_last_good_one(
    start: Start, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="eocexporter.web")
    clock = Clock()
    path = tmp_path / "web.yml"
    write_yaml(path, {"basic_auth_users": {"prometheus": bcrypt_hash("old")}})
    served = await start(path, clock=clock)
    metrics = served.url + "/metrics"
    assert await status(metrics, headers=basic("prometheus", "old")) == 200

    write_yaml(
        path,
        {
            "basic_auth_users": {"prometheus": bcrypt_hash("new")},
            "http_server_config": {"headers": {"X-Frame-Options": "deny"}},
        },
    )
    clock.advance(0.5)  # not looked at again within a second
    assert await status(metrics, headers=basic("prometheus", "old")) == 200
    clock.advance(0.5)
    assert await status(metrics, headers=basic("prometheus", "old")) == 401
    result = await fetch(metrics, headers=basic("prometheus", "new"))
    assert not isinstance(result, Exception) and result[0] == 200
    assert result[1]["X-Frame-Options"] == "deny"
    assert "reloaded" in caplog.text

    caplog.clear()
    broken_hash = "$2y$10$this-is-not-a-bcrypt-hash"
    write_yaml(path, {"basic_auth_users": {"prometheus": broken_hash}})
    for _ in range(3):
        clock.advance()
        for _ in range(5):
            assert await status(metrics, headers=basic("prometheus", "new")) == 200
            assert await status(metrics, headers=basic("prometheus", "old")) == 401
    errors = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(errors) == 1, [record.getMessage() for record in errors]
    message = errors[0].getMessage()
    assert "basic_auth_users" in message and "keeping the previous web config" in message
    assert broken_hash not in caplog.text and "new" not in message

    path.unlink()  # another broken state: one more line
    clock.advance()
    assert await status(metrics, headers=basic("prometheus", "new")) == 200
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 2

    caplog.clear()
    write_yaml(path, {"basic_auth_users": {"prometheus": bcrypt_hash("newer")}})
    clock.advance()
    assert await status(metrics, headers=basic("prometheus", "newer")) == 200
    assert "reloaded" in caplog.text


async def test_a_rotated_certificate_is_served_to_new_connections(
    start: Start, pki: Pki, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    path = write_yaml(tmp_path / "web.yml", {"tls_server_config": pki.tls()})
    served = await start(path, clock=clock)
    assert await status(served.url + "/metrics", context=pki.client_context()) == 200

    # cert-manager's way: the same file names, new contents
    rotated = pki.other_ca.issue_cert("127.0.0.1")
    rotated.private_key_pem.write_to_path(pki.key_file)
    rotated.cert_chain_pems[0].write_to_path(pki.cert_file)
    clock.advance()
    trusting_new = ssl.create_default_context()
    pki.other_ca.configure_trust(trusting_new)
    assert await status(served.url + "/metrics", context=trusting_new) == 200
    assert isinstance(await fetch(served.url + "/metrics", context=pki.client_context()), Exception)

    # TLS cannot be switched off while running: refused, logged once, TLS still served
    caplog.set_level(logging.INFO, logger="eocexporter.web")
    write_yaml(path, {"basic_auth_users": {}})
    for _ in range(3):
        clock.advance()
        assert await status(served.url + "/metrics", context=trusting_new) == 200
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(errors) == 1 and "needs a restart" in errors[0]


# ---- strict parsing -------------------------------------------------------------------------------


def bad_files(pki: Pki) -> dict[str, tuple[Any, str]]:
    """name -> (file contents, what the one line must say)."""
    good_hash = bcrypt_hash("x")
    other_key = pki.other_ca.issue_cert("127.0.0.1")
    other_key.private_key_pem.write_to_path(pki.dir / "other.key")
    (pki.dir / "junk.pem").write_text("not a certificate\n")
    return {
        "unknown key": ({"basic_auth_user": {"a": good_hash}}, "basic_auth_user: unknown option"),
        "unknown nested key": (
            {"tls_server_config": pki.tls(min_versions="TLS12")},
            "min_versions: unknown option",
        ),
        "not bcrypt": (
            {"basic_auth_users": {"alice": "$1$salt$md5-crypt-hash"}},
            "of user 'alice' is not a bcrypt hash",
        ),
        "plain password": ({"basic_auth_users": {"alice": "s3cret"}}, "is not a bcrypt hash"),
        "key does not match": (
            {"tls_server_config": pki.tls(key_file="other.key")},
            "does not match cert_file",
        ),
        "missing cert": ({"tls_server_config": pki.tls(cert_file="absent.crt")}, "cannot read"),
        "junk cert": ({"tls_server_config": pki.tls(cert_file="junk.pem")}, "no PEM certificate"),
        "no key_file": ({"tls_server_config": {"cert_file": "server.crt"}}, "key_file: required"),
        "header not allowed": (
            {"http_server_config": {"headers": {"X-Powered-By": "eocexporter"}}},
            "'X-Powered-By' can not be configured",
        ),
        "header value": (
            {"http_server_config": {"headers": {"X-Frame-Options": "DENY"}}},
            "expected one of deny, sameorigin",
        ),
        "unknown cipher": (
            {"tls_server_config": pki.tls(cipher_suites=["TLS_RSA_WITH_RC4_128_SHA"])},
            "unknown cipher",
        ),
        "only TLS 1.3 suites": (
            {"tls_server_config": pki.tls(cipher_suites=["TLS_AES_128_GCM_SHA256"])},
            "only TLS 1.3",
        ),
        "TLS version": ({"tls_server_config": pki.tls(min_version="TLS1.2")}, "unknown TLS version 'TLS1.2'"),
        "min above max": (
            {"tls_server_config": pki.tls(min_version="TLS13", max_version="TLS12")},
            "is above",
        ),
        "client auth type": ({"tls_server_config": pki.tls(client_auth_type="Always")}, "invalid ClientAuth"),
        "verify without CA": (
            {"tls_server_config": pki.tls(client_auth_type="RequireAndVerifyClientCert")},
            "client_ca_file: required",
        ),
        "CA without policy": (
            {"tls_server_config": pki.tls(client_ca_file="client-ca.crt")},
            "without a client auth policy",
        ),
        "SANs without a certificate": (
            {"tls_server_config": pki.tls(client_allowed_sans=["x"])},
            "client_allowed_sans: requires client_auth_type",
        ),
        "rate_limit": ({"rate_limit": {"interval": "1s", "burst": 5}}, "rate_limit is not supported"),
        "inline cert": (
            {"tls_server_config": {"cert": "PEM", "key": "PEM"}},
            "inline certificates are not supported",
        ),
        "http2 type": ({"http_server_config": {"http2": "yes"}}, "http2: expected true or false"),
        "duplicate user": (
            "basic_auth_users:\n  alice: {h}\n  alice: {h}\n".replace("{h}", good_hash),
            "duplicate key 'alice'",
        ),
        "not YAML": ("basic_auth_users: [\n", "not valid YAML"),
        "not a mapping": ("- a\n- b\n", "expected a mapping"),
    }


def write_bad(pki: Pki, contents: Any) -> Path:
    path = pki.dir / "web.yml"
    if isinstance(contents, str):
        path.write_text(contents, encoding="utf-8")
    else:
        write_yaml(path, contents)
    return path


def test_bad_files_are_one_clear_error(pki: Pki) -> None:
    for name, (contents, expected) in bad_files(pki).items():
        with pytest.raises(WebConfigError) as raised:
            load_web_config(write_bad(pki, contents))
        message = str(raised.value)
        assert expected in message, f"{name}: {message}"
        assert "\n" not in message
        assert not HASH.search(message), f"{name}: a hash in {message}"
        assert "s3cret" not in message and "md5-crypt" not in message, f"{name}: a secret in {message}"
    with pytest.raises(WebConfigError, match="cannot read: No such file"):
        load_web_config(pki.dir / "absent.yml")


@pytest.mark.parametrize("command", ["run", "check-config"])
async def test_a_bad_file_at_start_up_is_one_line_and_exit_2(pki: Pki, command: str) -> None:
    cases = bad_files(pki)
    chosen = ["not bcrypt", "key does not match", "header not allowed", "unknown key", "unknown cipher"]
    for name in chosen:
        contents, expected = cases[name]
        path = write_bad(pki, contents)
        arguments = ["--listen", "127.0.0.1:0"] if command == "run" else []
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "eocexporter",
            command,
            *arguments,
            "--web.config.file",
            str(path),
            env=clean_env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
        lines = stderr.decode().splitlines()
        assert process.returncode == 2, (name, stderr.decode())
        assert len(lines) == 1 and expected in lines[0], (name, lines)
        assert lines[0].startswith(f"eocexporter: web config {path}: ")
        assert not HASH.search(stderr.decode()) and "md5-crypt" not in stderr.decode()
    # a missing file, named through the environment instead of the flag
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eocexporter",
        command,
        *(["--listen", "127.0.0.1:0"] if command == "run" else []),
        env={**clean_env(), "EOCEXPORTER_WEB_CONFIG_FILE": str(pki.dir / "absent.yml")},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2 and stderr.decode().count("\n") == 1
    assert "absent.yml: cannot read: No such file or directory" in stderr.decode()


async def test_check_config_validates_a_good_file(pki: Pki) -> None:
    path = write_yaml(
        pki.dir / "web.yml",
        {
            "tls_server_config": pki.tls(client_auth_type="RequestClientCert"),
            "basic_auth_users": {"prometheus": bcrypt_hash("x")},
        },
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eocexporter",
        "check-config",
        "--web.config.file",
        str(path),
        env=clean_env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    assert "web config OK: TLS, basic auth for 1 user(s)" in stdout.decode()
    assert "RequestClientCert is served as NoClientCert" in stderr.decode()


def test_defaults_paths_and_accepted_spellings(pki: Pki) -> None:
    config = load_web_config(write_yaml(pki.dir / "web.yml", {"tls_server_config": pki.tls()}))
    assert config.tls is not None
    assert config.tls.cert_file == pki.cert_file  # relative to the web config's directory
    assert (config.tls.min_version, config.tls.max_version) == ("TLS12", "TLS13")
    assert config.tls.client_auth_type == "NoClientCert" and config.tls.prefer_server_cipher_suites
    assert config.http2 is True and config.users == {} and config.headers == ()
    context = config.ssl_context
    assert context is not None and context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.options & ssl.OP_CIPHER_SERVER_PREFERENCE
    for version in ("TLS10", "TLS11", "TLS12", "TLS13"):
        load_web_config(write_yaml(pki.dir / "web.yml", {"tls_server_config": pki.tls(min_version=version)}))
    for name in GO_CIPHER_SUITES:  # every name Go accepts is accepted (with a TLS 1.2 suite beside it)
        suites = [name, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]
        load_web_config(write_yaml(pki.dir / "web.yml", {"tls_server_config": pki.tls(cipher_suites=suites)}))
    # what OpenSSL cannot do as Go does is served the stricter way, with a warning
    strict = load_web_config(
        write_yaml(
            pki.dir / "web.yml",
            {
                "tls_server_config": pki.tls(
                    client_auth_type="RequireAnyClientCert", client_ca_file="client-ca.crt"
                )
            },
        )
    )
    assert strict.ssl_context is not None and strict.ssl_context.verify_mode == ssl.CERT_REQUIRED
    assert any("served as RequireAndVerifyClientCert" in warning for warning in strict.warnings)
    off = load_web_config(
        write_yaml(pki.dir / "web.yml", {"tls_server_config": pki.tls(prefer_server_cipher_suites=False)})
    )
    assert off.ssl_context is not None and not off.ssl_context.options & ssl.OP_CIPHER_SERVER_PREFERENCE
    # an empty file: plain HTTP, no authentication (as exporter-toolkit)
    (pki.dir / "empty.yml").write_text("")
    empty = load_web_config(pki.dir / "empty.yml")
    assert empty.tls is None and empty.users == {} and empty.ssl_context is None
    # http2 is accepted (and ignored: aiohttp serves HTTP/1.1)
    assert (
        load_web_config(write_yaml(pki.dir / "web.yml", {"http_server_config": {"http2": False}})).http2
        is False
    )


# ---- headers --------------------------------------------------------------------------------------


async def test_security_headers_are_sent_on_every_answer(start: Start, tmp_path: Path) -> None:
    headers = {
        "Strict-Transport-Security": "max-age=31536000",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "sameorigin",
        "X-XSS-Protection": "1; mode=block",
        "Content-Security-Policy": "default-src 'self'",
    }
    assert set(headers) == set(ALLOWED_HEADERS)
    config = write_yaml(
        tmp_path / "web.yml",
        {"http_server_config": {"headers": headers}, "basic_auth_users": {"p": bcrypt_hash("p")}},
    )
    served = await start(config)
    for path, credentials, expected in [
        ("/metrics", basic("p", "p"), 200),
        ("/metrics", None, 401),
        ("/healthz", None, 200),
        ("/missing", basic("p", "p"), 404),
    ]:
        result = await fetch(served.url + path, headers=credentials)
        assert not isinstance(result, Exception) and result[0] == expected
        for name, value in headers.items():
            assert result[1].get(name) == value, (path, name)
    # a blank value means "unset"
    blank = write_yaml(tmp_path / "blank.yml", {"http_server_config": {"headers": {"X-XSS-Protection": ""}}})
    served = await start(blank)
    result = await fetch(served.url + "/metrics")
    assert not isinstance(result, Exception) and "X-XSS-Protection" not in result[1]


# ---- the command, the image's healthcheck ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dockerfile_healthcheck() -> list[str]:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    match = re.search(r"^HEALTHCHECK .*?\\\n\s+CMD (\[.*\])$", text, re.MULTILINE)
    assert match, "no HEALTHCHECK in exec form"
    return json.loads(match.group(1))


async def test_run_serves_tls_and_basic_auth_and_the_image_healthcheck_passes(pki: Pki) -> None:
    path = write_yaml(
        pki.dir / "web.yml",
        {"tls_server_config": pki.tls(), "basic_auth_users": {"prometheus": bcrypt_hash("pw")}},
    )
    port = free_port()
    # the file named through the environment, as the chart or a compose file may do it
    env = {**clean_env(), "EOCEXPORTER_WEB_CONFIG_FILE": str(path), "EOCEXPORTER_LISTEN": f"127.0.0.1:{port}"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "eocexporter",
        "run",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        seen = []
        async with asyncio.timeout(60):
            while not any("serving https://" in line for line in seen):
                line = (await process.stderr.readline()).decode()
                assert line, f"exited: {''.join(seen)}"
                seen.append(line)
        assert "TLS, basic auth for 1 user(s)" in seen[-1]
        url = f"https://127.0.0.1:{port}"
        context = pki.client_context()
        assert await status(url + "/metrics", context=context) == 401
        assert await status(url + "/metrics", context=context, headers=basic("prometheus", "pw")) == 200
        check = await asyncio.create_subprocess_exec(
            *dockerfile_healthcheck(), env=env, stderr=asyncio.subprocess.PIPE
        )
        _, check_err = await asyncio.wait_for(check.communicate(), 30)
        assert check.returncode == 0, check_err.decode()
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    assert process.returncode == 0
    rest = (await process.stderr.read()).decode()
    assert not HASH.search("".join(seen) + rest)  # no hash in the log


# ---- Prometheus -----------------------------------------------------------------------------------


def documented_scrape_config() -> dict[str, Any]:
    """The scrape configuration docs/security.md shows (the YAML block after the marker comment)."""
    text = SECURITY_DOC.read_text(encoding="utf-8")
    match = re.search(
        r"<!-- scrape config: checked by tests/test_web_config.py -->\s*```yaml\n(.*?)```", text, re.DOTALL
    )
    assert match, "docs/security.md: no checked scrape config block"
    return yaml.safe_load(match.group(1))


def test_the_documented_scrape_config_passes_promtool(tmp_path: Path) -> None:
    promtool = promtool_path()
    config = documented_scrape_config()
    (job,) = config["scrape_configs"]
    assert job["scheme"] == "https"
    assert job["tls_config"]["ca_file"] and job["basic_auth"]["password_file"]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = subprocess.run(
        [promtool, "check", "config", str(path)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


async def test_prometheus_scrapes_over_tls_with_basic_auth(start: Start, pki: Pki, tmp_path: Path) -> None:
    """The documented scrape config, its files and target put here, against a real Prometheus."""
    binary = prometheus_path()
    config = write_yaml(
        tmp_path / "web.yml",
        {"tls_server_config": pki.tls(), "basic_auth_users": {"prometheus": bcrypt_hash("scrape-pw", 10)}},
    )
    served = await start(config)
    pki.ca.cert_pem.write_to_path(tmp_path / "ca.crt")
    (tmp_path / "password").write_text("scrape-pw\n")
    scrape = documented_scrape_config()
    (job,) = scrape["scrape_configs"]
    job["tls_config"]["ca_file"] = str(tmp_path / "ca.crt")
    job["basic_auth"]["password_file"] = str(tmp_path / "password")
    job["static_configs"] = [{"targets": [served.url.removeprefix("https://")]}]
    job["scrape_interval"] = job["scrape_timeout"] = "1s"
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(scrape), encoding="utf-8")
    port = free_port()
    log = tmp_path / "prometheus.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            binary,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
            stdout=output,
            stderr=output,
        )
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http:
            deadline = time.monotonic() + 60
            health: dict[str, Any] = {}
            while time.monotonic() < deadline:  # a bounded poll of Prometheus' API
                try:
                    async with http.get(f"http://127.0.0.1:{port}/api/v1/targets") as response:
                        targets = (await response.json())["data"]["activeTargets"]
                except aiohttp.ClientError:
                    targets = []
                health = {t["scrapeUrl"]: (t["health"], t["lastError"]) for t in targets}
                if any(state == "up" for state, _ in health.values()):
                    break
                await asyncio.sleep(0.25)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    assert [state for state, _ in health.values()] == ["up"], f"{health}\n{log.read_text()[-2000:]}"
    assert next(iter(health)).startswith("https://")
    assert served.guard.verifier.bcrypt_calls == 1  # verified once, then served from the cache


# ---- the package's place ---------------------------------------------------------------------------


def test_the_web_package_imports_nothing_else_of_the_exporter() -> None:
    package = ROOT / "eocexporter" / "web"
    for path in sorted(package.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            modules = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                modules = [node.module or ""]
            for module in modules:
                assert not module.startswith("eocexporter") or module.startswith("eocexporter.web"), (
                    f"{path.name} imports {module}"
                )
