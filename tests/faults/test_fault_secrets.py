"""No secret in any output: every command at log_level debug, credentials in every form the configuration
takes, against simulators that accept, refuse (401), fail (500), quote the request in their errors, or are
not there; every output searched for every form of every secret (tests/faults/fault_secrets.py)."""

from __future__ import annotations

from pathlib import Path

from fault_harness import run_command
from fault_secrets import cut_short, form_kinds, search, secret_forms, secrets_probe, targets

COMMANDS = {"run", "once", "check-config", "backfill", "compact", "simulate", "demo"}


def test_every_form_of_every_secret_is_searched_for() -> None:
    forms = secret_forms()
    kinds = form_kinds(forms)
    assert len(kinds) >= 16, sorted(kinds)
    assert {"plain", "MD5 hex, lower case", "MD5 hex, upper case", "Base64 login:password (Basic)"} <= kinds
    assert {"Base64 login:md5, lower case (Basic)", "URL-encoded", "Base64 password (query)"} <= kinds
    assert any(name.startswith("S3 secret key") for name in forms)
    # The search finds what it looks for, wherever it is.
    planted = {"log": b"... " + forms["internal password: Base64 login:md5, upper case (Basic)"] + b" ..."}
    assert search(planted, forms) == ["internal password: Base64 login:md5, upper case (Basic) in log"]


async def test_no_command_prints_a_secret_anywhere(tmp_path: Path) -> None:
    figures = await secrets_probe(tmp_path)
    summary = figures.summary()
    print(summary)  # the figures, shown by `pytest -rP`
    # The probe did what it claims: every command ran and behaved as expected (credentials accepted where
    # right, refused where wrong), so the outputs searched are the real ones.
    assert set(figures.commands) == COMMANDS, summary
    assert not figures.controls, summary
    assert figures.bytes_searched > 1_000_000, summary
    assert figures.other_hits == [], f"secret hits = {len(figures.other_hits)}: {summary}"
    # A server whose error messages quote the request (as the reference's own 404 example does with its
    # path, L369-377) gets query credentials back from the exporter's logs and landing page.
    assert figures.echo_hits == [], (
        f"secret hits with a server quoting requests = {len(figures.echo_hits)}: {summary}"
    )


async def test_a_malformed_environment_variable_is_refused_in_one_line(tmp_path: Path) -> None:
    # As a configuration file that is not YAML is: exit 2, one line naming the option, never the value.
    target_list = targets("", "http://127.0.0.1:1", tmp_path / "secrets")
    code, stdout, stderr = await run_command("check-config", env=cut_short(target_list))
    lines = stderr.decode("utf-8", "replace").strip().splitlines()
    assert search({"stdout": stdout, "stderr": stderr}, secret_forms()) == []
    assert (code, len(lines)) == (2, 1), f"exit {code}, {len(lines)} lines on stderr:\n" + "\n".join(
        lines[-5:]
    )
    assert "EOCEXPORTER_TARGETS" in lines[0], lines
