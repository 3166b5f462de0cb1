"""Secrets in every output: every command a user runs, at log_level debug, with credentials in every form
the configuration takes, against simulators that accept them, refuse them (401), fail (500), echo the
request back in their error messages, or are not there; then every byte the commands produced — stdout,
stderr, /metrics, /probe, /, /ready, /healthz, the simulator's control endpoint, the Parquet files and
checkpoints (raw and decoded), the S3 objects — is searched for every form a secret can take.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import html
import io
import json
import logging
import os
import re
import signal
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
import pyarrow as pa
import pyarrow.parquet as pq
from aiohttp import web
from fault_bodies import MutatingProxy
from fault_harness import LOOPBACK, TIMEZONE, free_port, run_command, wait_until, write_config
from helpers import parse_samples, series

from eocexporter import cli
from eocexporter.simulator import ENDPOINTS, SimulatorConfig, SimUser, SystemClock, running_simulator

# Passwords with non-ASCII letters and the characters shells and URLs treat specially.
PLAIN = "pä$$ w0rd/?#&=+%25'\"\\`;Пароль€:@!*~"
AD_PASSWORD = "Ад#Pa55:w&rd?=%2F 'q\"$(x)"
MD5_PLAIN = "Мд5-only+/=?&#secret"  # never given to the exporter: only its MD5 hex is
FILE_PASSWORD = "файл-pass #1 & $HOME 'x'"
S3_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY/S3cr3t+Key=="
BUCKET = "secrets-probe"  # its own: moto keeps one store for every server of a process
S3_ACCESS = "AKIAFAULTPROBE0000001"  # an identifier, not a secret; never searched

INTERNAL = "monitor"
MD5_USER = "md5user"
FILE_USER = "fileuser"
AD_LOGIN = "ivanov@corp.example"


def md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def secret_forms() -> dict[str, bytes]:
    """Every form a secret can take in an output, by name: the plain text and its escapes, MD5 hex in
    both cases, Base64 of `login:password` and `login:md5` (Basic) and of the password (AD query
    authentication), and the URL-encoded forms of all of them."""
    forms: dict[str, str] = {}

    def text_forms(name: str, secret: str) -> None:
        forms[f"{name}: plain"] = secret
        forms[f"{name}: URL-encoded"] = quote(secret, safe="")
        forms[f"{name}: URL-encoded (+ for space)"] = quote_plus(secret)
        forms[f"{name}: JSON-escaped"] = json.dumps(secret)[1:-1]
        forms[f"{name}: JSON-escaped, UTF-8"] = json.dumps(secret, ensure_ascii=False)[1:-1]
        forms[f"{name}: Python repr"] = repr(secret)[1:-1]
        forms[f"{name}: HTML-escaped"] = html.escape(secret)

    def derived(name: str, login: str, secret: str, *, ad: bool) -> None:
        if ad:
            forms[f"{name}: Base64 login:password (Basic)"] = b64(f"{login}:{secret}")
            forms[f"{name}: Base64 password (query)"] = b64(secret)
        for case, digest in (("lower", md5(secret)), ("upper", md5(secret).upper())):
            forms[f"{name}: MD5 hex, {case} case"] = digest
            forms[f"{name}: Base64 login:md5, {case} case (Basic)"] = b64(f"{login}:{digest}")

    for name, login, secret, ad in (
        ("internal password", INTERNAL, PLAIN, False),
        ("AD password", AD_LOGIN, AD_PASSWORD, True),
        ("md5-only password", MD5_USER, MD5_PLAIN, False),
        ("password file", FILE_USER, FILE_PASSWORD, False),
    ):
        text_forms(name, secret)
        derived(name, login, secret, ad=ad)
    text_forms("S3 secret key", S3_SECRET)
    for name, value in list(forms.items()):
        if "Base64" in name:  # Base64 has +, / and =, which URL encoding changes
            forms[f"{name}, URL-encoded"] = quote(value, safe="")
    return {name: value.encode("utf-8") for name, value in forms.items() if len(value) >= 8}


def form_kinds(forms: dict[str, bytes]) -> set[str]:
    return {name.split(": ", 1)[1] for name in forms}


def search(outputs: dict[str, bytes], forms: dict[str, bytes]) -> list[str]:
    return [
        f"{form} in {output}"
        for output, data in outputs.items()
        for form, needle in forms.items()
        if needle in data
    ]


USERS = (
    SimUser(INTERNAL, PLAIN),
    SimUser(MD5_USER, MD5_PLAIN),
    SimUser(FILE_USER, FILE_PASSWORD),
    SimUser(AD_LOGIN, AD_PASSWORD, user_type="ActiveDirectory"),
)
# The same logins with other passwords: every request is refused (401).
WRONG_USERS = tuple(SimUser(user.login, user.password + "-old", user_type=user.user_type) for user in USERS)


def targets(prefix: str, url: str, secrets_dir: Path, **extra: Any) -> list[dict[str, Any]]:
    """One target per way to give credentials."""
    secrets_dir.mkdir(exist_ok=True)
    (secrets_dir / "password").write_text(FILE_PASSWORD + "\n", encoding="utf-8")
    (secrets_dir / "ad-password").write_text(AD_PASSWORD + "\n", encoding="utf-8")
    (secrets_dir / "md5").write_text(md5(MD5_PLAIN) + "\n", encoding="utf-8")
    common = {"url": url, "timezone": TIMEZONE, "request_timeout": "2s", "retries": 1, **extra}
    return [
        {"name": f"{prefix}plain-basic", "username": INTERNAL, "password": PLAIN, **common},
        {"name": f"{prefix}plain-query", "username": INTERNAL, "password": PLAIN, "auth": "query", **common},
        {
            "name": f"{prefix}md5-basic",
            "username": MD5_USER,
            "password": md5(MD5_PLAIN).upper(),
            "password_encoding": "md5",
            **common,
        },
        {
            "name": f"{prefix}md5-file-query",
            "username": MD5_USER,
            "password_file": str(secrets_dir / "md5"),
            "password_encoding": "md5",
            "auth": "query",
            **common,
        },
        {
            "name": f"{prefix}file-query",
            "username": FILE_USER,
            "password_file": str(secrets_dir / "password"),
            "auth": "query",
            **common,
        },
        {
            "name": f"{prefix}ad-basic",
            "username": AD_LOGIN,
            "password": AD_PASSWORD,
            "user_type": "active_directory",
            **common,
        },
        {
            "name": f"{prefix}ad-query",
            "username": AD_LOGIN,
            "password_file": str(secrets_dir / "ad-password"),
            "user_type": "active_directory",
            "auth": "query",
            **common,
        },
    ]


TARGETS_PER_PREFIX = 7
# Deadlines generous enough for a 2-core machine running every command at once.
COLLECTORS = {name: "10s" for name in ("discovery", "cameras", "object_counting", "visitors", "licenses")}


def config(port: int, target_list: list[dict[str, Any]], parquet: dict[str, Any] | None) -> dict[str, Any]:
    document: dict[str, Any] = {
        "listen": f"{LOOPBACK}:{port}",
        "log_level": "debug",
        "targets": target_list,
        "collectors": {name: {"interval": every} for name, every in COLLECTORS.items()},
    }
    if parquet is not None:
        document["parquet"] = {
            "report_interval": "1m",
            "grace": "5s",
            "check_every": "1s",
            "initial_catch_up": "2m",
            "datasets": {"camera_status": {"interval": "1m"}, "license_usage": {"interval": "1m"}},
            **parquet,
        }
    return document


# ---- servers that fail in the ways a secret could leak through -------------------------------------------


class EchoingProxy(MutatingProxy):
    """A server whose error messages quote the request as it arrived, query string included (an
    Eocortex names the resource it could not find: "Resource is not found (/configure/channel | GET)",
    reference L369-377). Every api/ request but the listing of cameras gets 404 or 500 so."""

    async def _forward(self, request: web.Request) -> web.StreamResponse:
        path = request.path.lower()
        if path.startswith("/api/") and path.rstrip("/") != "/api/channels":
            status = 404 if "status" in path else 500
            message = f"Resource is not found ({request.path_qs} | {request.method})"
            self.served["echo"] += 1
            return web.json_response({"ErrorMessage": message}, status=status)
        return await super()._forward(request)


@contextlib.asynccontextmanager
async def echoing(sim) -> AsyncIterator[EchoingProxy]:
    proxy = EchoingProxy(sim.main_url)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()


@contextlib.contextmanager
def s3_server() -> Iterator[str | None]:
    """An S3-compatible server (moto) on 127.0.0.1 with the bucket of this probe, emptied and removed again
    at the end (moto keeps one store per process: another test's server would see what is left); None
    without moto."""
    try:
        import boto3
        from moto.server import ThreadedMotoServer
    except ImportError:
        yield None
        return
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"{host}:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        aws_access_key_id=S3_ACCESS,
        aws_secret_access_key=S3_SECRET,
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    try:
        yield endpoint
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=BUCKET, Key=item["Key"])
        client.delete_bucket(Bucket=BUCKET)
        server.stop()


def s3_objects(endpoint: str) -> dict[str, bytes]:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        aws_access_key_id=S3_ACCESS,
        aws_secret_access_key=S3_SECRET,
        region_name="us-east-1",
    )
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            found[f"s3://{BUCKET}/{item['Key']}"] = client.get_object(Bucket=BUCKET, Key=item["Key"])[
                "Body"
            ].read()
    return found


# ---- what the commands leave --------------------------------------------------------------------------------


def decoded_parquet(data: bytes) -> bytes:
    """A Parquet file's rows and metadata as text, so a secret inside compressed pages is found too."""
    try:
        table = pq.read_table(pa.BufferReader(data))
    except (OSError, pa.ArrowException):
        return b""
    metadata = table.schema.metadata or {}
    return (repr(table.to_pylist()) + repr(metadata)).encode("utf-8", "surrogatepass")


def files_under(root: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found[str(path)] = data
            if path.suffix == ".parquet":
                found[f"{path} (decoded)"] = decoded_parquet(data)
    return found


ENDPOINT_PATHS = ("/metrics", "/", "/ready", "/healthz")


async def scrape_all(url: str, target_names: list[str], label: str) -> dict[str, bytes]:
    found = {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        paths = [*ENDPOINT_PATHS, *(f"/probe?target={quote(name)}" for name in target_names)]
        for path in paths:
            async with http.get(url + path) as response:
                found[f"{label}: {path} ({response.status})"] = await response.read()
    return found


async def _ready_enough(url: str, names: list[str]) -> bool:
    """Every target's discovery has run; on targets that are up, every configured collector has."""
    try:
        timeout = aiohttp.ClientTimeout(total=10)  # one poll of a bounded wait, never aiohttp's 5 minutes
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(f"{url}/metrics") as response:
            samples = parse_samples(await response.read())
    except (aiohttp.ClientError, TimeoutError):
        return False
    for name in names:
        runs = {
            dict(labels)["collector"] for labels in series(samples, "eocortex_collector_success", target=name)
        }
        up = series(samples, "eocortex_up", target=name)
        if "discovery" not in runs or (1 in up.values() and not set(COLLECTORS) <= runs):
            return False
    return True


async def run_exporter(config_path: Path, port: int, names: list[str], *, parquet_files: Path | None = None):
    """`eocexporter run`: until every target has been polled (and, with a local root, files written),
    then every endpoint scraped, then SIGTERM. Returns (exit code, outputs)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "eocexporter", "run", "--config", str(config_path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    url = f"http://{LOOPBACK}:{port}"
    # Read while it runs: at debug an exporter writes more than a pipe holds, and would block on a full one.
    outputs_read = asyncio.gather(process.stdout.read(), process.stderr.read())
    try:
        await wait_until(lambda: _ready_enough(url, names), seconds=60, what=f"{config_path.name}: polled")
        if parquet_files is not None:
            await wait_until(
                lambda: any(parquet_files.glob("object_counts/*/*.parquet")),
                seconds=60,
                what=f"{config_path.name}: Parquet written",
            )
        outputs = await scrape_all(url, names, f"run {config_path.name}")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(outputs_read, 30)
        await asyncio.wait_for(process.wait(), 30)
    outputs[f"run {config_path.name}: stdout"] = stdout
    outputs[f"run {config_path.name}: stderr"] = stderr
    return process.returncode, outputs


async def command(name: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, bytes]]:
    code, stdout, stderr = await run_command(*args, env=env)
    return code, {f"{name}: stdout": stdout, f"{name}: stderr": stderr}


def check_config_in_process(config_path: Path) -> tuple[int, bytes]:
    """`eocexporter check-config` through the CLI's own entry point (it only reads and validates: no
    logging, no event loop), so the many invalid files cost no interpreter start each."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["check-config", "--config", str(config_path)])
    return code, (out.getvalue() + err.getvalue()).encode("utf-8")


def cut_short(target_list: list[dict[str, Any]]) -> dict[str, str]:
    """An environment whose EOCEXPORTER_TARGETS (JSON holding a password) is cut short."""
    return {**os.environ, "EOCEXPORTER_TARGETS": json.dumps(target_list[:1])[:-3]}


def invalid_configs(directory: Path, good: dict[str, Any]) -> dict[str, dict[str, Any] | str]:
    """Configurations a user gets wrong next to a secret; each must be refused without echoing it."""
    target = good["targets"][0]
    return {
        "password and password_file": {
            **good,
            "targets": [{**target, "password_file": str(directory / "secrets" / "password")}],
        },
        "md5 encoding of a password that is not MD5": {
            **good,
            "targets": [{**target, "password_encoding": "md5"}],
        },
        "credentials in the URL": {
            **good,
            "targets": [{**target, "url": f"http://{INTERNAL}:{quote(PLAIN, safe='')}@{LOOPBACK}:1/"}],
        },
        "a password of the wrong type": {**good, "targets": [{**target, "password": {"value": PLAIN}}]},
        "an unknown option beside the password": {**good, "targets": [{**target, "passwort": PLAIN}]},
        "S3 secret_key and secret_key_file": {
            **good,
            "parquet": {
                "root": f"s3://{BUCKET}/x",
                "s3": {"secret_key": S3_SECRET, "secret_key_file": str(directory / "secrets" / "password")},
            },
        },
        # Not YAML: a quote left open on the password's line.
        "broken YAML on the password's line": f"targets:\n  - name: x\n    url: http://{LOOPBACK}:1\n"
        f'    password: "{PLAIN}\n    username: {INTERNAL}\n',
    }


@dataclass
class SecretFigures:
    forms: int
    form_kinds: int
    commands: dict[str, int] = field(default_factory=dict)  # command -> runs
    outputs: int = 0
    bytes_searched: int = 0
    hits: list[str] = field(default_factory=list)  # "form in output"
    controls: list[str] = field(default_factory=list)  # what did not behave as the probe needs
    s3: bool = False
    seconds: float = 0.0

    @property
    def echo_hits(self) -> list[str]:
        """Hits in the outputs of the configuration whose server quotes requests in its errors."""
        return [hit for hit in self.hits if "echo" in hit.split(" in ", 1)[1]]

    @property
    def other_hits(self) -> list[str]:
        return [hit for hit in self.hits if hit not in self.echo_hits]

    def summary(self) -> str:
        return (
            f"{self.forms} secret forms ({self.form_kinds} kinds), {self.outputs} outputs, "
            f"{self.bytes_searched:,} bytes searched, commands {self.commands}, S3 {self.s3}; "
            f"hits {len(self.other_hits)}: {self.other_hits[:10]}; with a server quoting requests "
            f"{len(self.echo_hits)}: {self.echo_hits[:10]}; controls failing: {self.controls[:10]}"
        )


def _up_targets(exposition: bytes) -> set[str]:
    samples = parse_samples(exposition)
    return {dict(labels)["target"] for labels, up in series(samples, "eocortex_up").items() if up}


class _Probe:
    """Runs the commands, keeps their outputs, and notes every command that did not behave as the probe
    needs (a probe whose commands all failed early would search nothing worth searching)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.forms = secret_forms()
        self.figures = SecretFigures(forms=len(self.forms), form_kinds=len(form_kinds(self.forms)))
        self.outputs: dict[str, bytes] = {}

    def ran(self, name: str, code: int | None, produced: dict[str, bytes], expected: set[int]) -> None:
        self.figures.commands[name] = self.figures.commands.get(name, 0) + 1
        self.outputs.update(produced)
        if code not in expected:
            tail = b" ".join(produced.values())[-600:].decode("utf-8", "replace")
            self.figures.controls.append(f"{name} exited {code}, expected {sorted(expected)}: {tail}")

    def control(self, holds: bool, what: str) -> None:
        if not holds:
            self.figures.controls.append(what)

    async def command(
        self, label: str, expected: set[int], *args: str, env: dict[str, str] | None = None
    ) -> dict[str, bytes]:
        code, produced = await command(label, *args, env=env)
        self.ran(args[0], code, produced, expected)
        return produced

    async def run(self, path: Path, port: int, names: list[str], parquet_files: Path | None = None) -> None:
        code, produced = await run_exporter(path, port, names, parquet_files=parquet_files)
        self.ran("run", code, produced, {0})

    def check_config(self, label: str, path: Path, expected: int) -> None:
        code, text = check_config_in_process(path)
        self.ran("check-config", code, {f"check-config {label}": text}, {expected})

    def finish(self, started: float) -> SecretFigures:
        figures = self.figures
        figures.outputs = len(self.outputs)
        figures.bytes_searched = sum(len(data) for data in self.outputs.values())
        figures.hits = search(self.outputs, self.forms)
        figures.seconds = time.monotonic() - started
        return figures


async def secrets_probe(workdir: Path) -> SecretFigures:
    started = time.monotonic()
    probe = _Probe(workdir)
    secrets_dir = workdir / "secrets"
    simulation = {"servers": 2, "cameras": 4, "timezone": TIMEZONE, "port": 0, "clock": SystemClock()}
    async with (
        running_simulator(SimulatorConfig(seed=1, users=USERS, **simulation)) as good,
        running_simulator(SimulatorConfig(seed=2, users=WRONG_USERS, **simulation)) as refusing,
        running_simulator(SimulatorConfig(seed=3, users=USERS, **simulation)) as failing,
        echoing(good) as echo,
    ):
        for endpoint in ENDPOINTS:
            if endpoint != "configure/servers":
                failing.faults.set_error_rate(endpoint, 1.0, 500)
        ok_targets = targets("", good.main_url, secrets_dir)
        fail_targets = [
            *targets("refused-", refusing.main_url, secrets_dir),
            *targets("failing-", failing.main_url, secrets_dir),
            *targets("absent-", f"http://{LOOPBACK}:{free_port()}", secrets_dir)[:2],
        ]
        echo_targets = targets("echo-", echo.url, secrets_dir)
        names_ok = [target["name"] for target in ok_targets]
        names_fail = [target["name"] for target in fail_targets]
        names_echo = [target["name"] for target in echo_targets]
        reachable = {name for name in names_fail if name.startswith("failing-")}
        root = workdir / "parquet"
        ports = {name: free_port() for name in ("ok", "fail", "echo", "s3", "s3-down")}
        paths = {
            "ok": write_config(workdir / "ok.yml", config(ports["ok"], ok_targets, {"root": str(root)})),
            "fail": write_config(
                workdir / "fail.yml", config(ports["fail"], fail_targets, {"root": str(workdir / "fail")})
            ),
            "echo": write_config(
                workdir / "echo.yml", config(ports["echo"], echo_targets, {"root": str(workdir / "echo")})
            ),
        }
        with s3_server() as endpoint:
            if endpoint is not None:
                probe.figures.s3 = True
                paths.update(_s3_configs(workdir, endpoint, ports, ok_targets[:2]))
            # check-config: the good files, and files wrong next to a secret (refused, exit 2); a Parquet
            # root on a store that is not there is refused too (its message must not carry the key).
            for name, path in paths.items():
                probe.check_config(name, path, 2 if name == "s3-down" else 0)
            invalid = invalid_configs(workdir, json.loads(paths["ok"].read_text(encoding="utf-8")))
            for number, (what, document) in enumerate(invalid.items()):
                path = workdir / f"invalid-{number}.yml"
                if isinstance(document, str):
                    path.write_text(document, encoding="utf-8")
                else:
                    write_config(path, document)
                probe.check_config(f"({what})", path, 2)
            # As a user would: in a process of its own (one line, exit 2, like every config error).
            await probe.command(
                "check-config (EOCEXPORTER_TARGETS cut short)",
                {2},
                "check-config",
                env=cut_short(ok_targets),
            )

            # Every long-running command at once, then the commands that read what they wrote.
            s3_names = [target["name"] for target in ok_targets[:2]]
            once_ok, once_fail, *_ = await asyncio.gather(
                probe.command("once ok", {0}, "once", "--config", str(paths["ok"])),
                probe.command("once fail", {1}, "once", "--config", str(paths["fail"])),
                probe.command("once echo", {1}, "once", "--config", str(paths["echo"])),
                probe.run(paths["ok"], ports["ok"], names_ok, parquet_files=root),
                probe.run(paths["fail"], ports["fail"], names_fail),
                probe.run(paths["echo"], ports["echo"], names_echo),
                *(
                    probe.run(paths[name], ports[name], s3_names)
                    for name in ("s3", "s3-down")
                    if name in paths
                ),
                _simulate(probe),
                _demo(probe),
            )
            probe.control(_up_targets(once_ok["once ok: stdout"]) == set(names_ok), "once ok: a target down")
            probe.control(
                _up_targets(once_fail["once fail: stdout"]) == reachable,
                f"once fail: up {sorted(_up_targets(once_fail['once fail: stdout']))}, expected {sorted(reachable)}",
            )
            probe.control(echo.served["echo"] > 0, "the echoing server answered no request")
            now = datetime.now(UTC).replace(second=0, microsecond=0)
            window = (
                "--from", (now - timedelta(minutes=20)).isoformat(),
                "--to", (now - timedelta(minutes=18)).isoformat(),
            )  # fmt: skip
            day = now.date().isoformat()

            async def backfill_then_compact(name: str, path: Path) -> None:
                failing = name in ("fail", "echo", "s3-down")
                args = ("--config", str(path))
                await probe.command(f"backfill {name}", {1} if failing else {0}, "backfill", *args, *window)
                if name not in ("fail", "echo"):
                    await probe.command(
                        # Today's partition, which compact refuses without --force.
                        f"compact {name}",
                        {1} if failing else {0},
                        "compact",
                        *args,
                        "--date",
                        day,
                        "--force",
                    )

            await asyncio.gather(*(backfill_then_compact(name, path) for name, path in paths.items()))
            probe.outputs.update(files_under(root))
            if endpoint is not None:
                objects = s3_objects(endpoint)
                probe.control(any("object_counts" in key for key in objects), "s3: no object_counts written")
                for key, data in objects.items():
                    probe.outputs[key] = data
                    if key.endswith(".parquet"):
                        probe.outputs[f"{key} (decoded)"] = decoded_parquet(data)
    return probe.finish(started)


def _s3_configs(workdir: Path, endpoint: str, ports: dict[str, int], target_list) -> dict[str, Path]:
    """A root on the S3 server with the secret key inline, and one on a store that is not there with the
    key in a file."""
    s3 = {"endpoint_override": endpoint, "scheme": "http", "access_key": S3_ACCESS}
    key_file = workdir / "secrets" / "s3"
    key_file.write_text(S3_SECRET + "\n", encoding="utf-8")
    down = {**s3, "endpoint_override": f"{LOOPBACK}:{free_port()}", "secret_key_file": str(key_file)}
    return {
        "s3": write_config(
            workdir / "s3.yml",
            config(
                ports["s3"],
                target_list,
                {"root": f"s3://{BUCKET}/eocortex", "s3": {**s3, "secret_key": S3_SECRET}},
            ),
        ),
        "s3-down": write_config(
            workdir / "s3-down.yml",
            config(ports["s3-down"], target_list, {"root": f"s3://{BUCKET}/down", "s3": down}),
        ),
    }


async def _simulate(probe: _Probe) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "eocexporter", "simulate", "--listen", f"{LOOPBACK}:0",
        "--servers", "2", "--username", INTERNAL, "--password", PLAIN,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    outputs: dict[str, bytes] = {}
    lines: list[bytes] = []
    try:
        async with asyncio.timeout(60):
            while not any(line.startswith(b"login:") for line in lines):
                line = await process.stdout.readline()
                if not line:
                    break
                lines.append(line)
        control = re.search(rb"(http://\S+/_simulator/state)", b"".join(lines))
        if control:
            async with aiohttp.ClientSession() as http, http.get(control.group(1).decode()) as response:
                outputs["simulate: /_simulator/state"] = await response.read()
        else:
            probe.control(False, "simulate: no control endpoint announced")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    produced = {"simulate: stdout": b"".join(lines) + stdout, "simulate: stderr": stderr, **outputs}
    probe.ran("simulate", process.returncode, produced, {0})


async def _demo(probe: _Probe) -> None:
    port = free_port()
    parquet = probe.workdir / "demo-parquet"
    env = {
        **os.environ,
        "EOCEXPORTER_LOG_LEVEL": "debug",
        "EOCEXPORTER_PARQUET__S3__SECRET_KEY": S3_SECRET,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "eocexporter", "demo", "--listen", f"{LOOPBACK}:{port}", "--cameras", "10",
        "--parquet-root", str(parquet),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    # Read while it runs: at debug the demo writes more than a pipe holds, and would block on a full one.
    outputs_read = asyncio.gather(process.stdout.read(), process.stderr.read())
    url = f"http://{LOOPBACK}:{port}"
    outputs: dict[str, bytes] = {}
    try:
        await wait_until(lambda: _ready(url), seconds=60, what="demo ready")
        outputs = await scrape_all(url, ["demo"], "demo")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(outputs_read, 30)
        await asyncio.wait_for(process.wait(), 30)
    outputs.update(files_under(parquet))  # the demo writes Parquet too
    probe.ran("demo", process.returncode, {"demo: stdout": stdout, "demo: stderr": stderr, **outputs}, {0})


async def _ready(url: str) -> bool:
    try:
        timeout = aiohttp.ClientTimeout(total=10)  # one poll of a bounded wait, never aiohttp's 5 minutes
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(f"{url}/ready") as response:
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False
