"""Each authentication mode against the simulator, wrong credentials, and the 403 fallback."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from conftest import AD_USER, MONITOR, OPERATOR, make_settings
from helpers import parse_samples, series, value

from eocexporter.client.auth import credentials_for


async def collect(sim, exporter_factory, **target):
    exporter = exporter_factory(make_settings(sim.main_url, target=target))
    ok = await exporter.collect_once()
    return ok, exporter, parse_samples(exporter.exposition.body)


@pytest.mark.parametrize("auth", ["basic", "query"])
async def test_internal_user_with_plain_password(sim, exporter_factory, auth: str) -> None:
    ok, _, samples = await collect(
        sim, exporter_factory, username=MONITOR.login, password=MONITOR.password, auth=auth
    )
    assert ok
    assert value(samples, "eocortex_up") == 1
    assert series(samples, "eocortex_camera_info")


@pytest.mark.parametrize("auth", ["basic", "query"])
async def test_internal_user_with_md5_from_a_file(sim, exporter_factory, tmp_path: Path, auth: str) -> None:
    secret = tmp_path / "password"
    secret.write_text(hashlib.md5(MONITOR.password.encode()).hexdigest() + "\n")
    ok, _, samples = await collect(
        sim,
        exporter_factory,
        username=MONITOR.login,
        password_file=str(secret),
        password_encoding="md5",
        auth=auth,
    )
    assert ok
    assert value(samples, "eocortex_up") == 1


@pytest.mark.parametrize("auth", ["basic", "query"])
async def test_active_directory_user(sim, exporter_factory, auth: str) -> None:
    ok, _, samples = await collect(
        sim,
        exporter_factory,
        username=AD_USER.login,
        password=AD_USER.password,
        user_type="active_directory",
        auth=auth,
    )
    assert ok
    assert value(samples, "eocortex_up") == 1


@pytest.mark.parametrize("auth", ["basic", "query"])
async def test_root_with_empty_password(sim, exporter_factory, auth: str) -> None:
    ok, _, samples = await collect(sim, exporter_factory, username="root", password="", auth=auth)
    assert ok
    assert value(samples, "eocortex_up") == 1


@pytest.mark.parametrize(
    "target",
    [
        {"username": MONITOR.login, "password": "wrong-password"},
        {"username": "nobody", "password": MONITOR.password},
        # An AD password sent as if for an internal user is hashed, and refused.
        {"username": AD_USER.login, "password": AD_USER.password, "user_type": "internal"},
        {"username": MONITOR.login, "password": "wrong-password", "auth": "query"},
    ],
    ids=["wrong-password", "unknown-user", "ad-user-as-internal", "wrong-password-query"],
)
async def test_wrong_credentials_mean_target_down_and_are_not_retried(
    sim, exporter_factory, caplog: pytest.LogCaptureFixture, target: dict[str, str]
) -> None:
    caplog.set_level(logging.INFO)
    ok, exporter, samples = await collect(sim, exporter_factory, **target)
    assert not ok
    assert value(samples, "eocortex_up") == 0
    assert value(samples, "eocortex_collector_success", collector="discovery") == 0
    assert value(samples, "eocortex_api_requests_total", endpoint="configure/servers", code="401") == 1
    assert [e.status for e in sim.request_log if e.template == "configure/servers"] == [401]
    assert series(samples, "eocortex_camera_info") == {}
    error = exporter.runtimes[0].last_error
    assert error is not None and "HTTP 401" in error
    assert target["password"] not in caplog.text
    assert target["password"] not in exporter.exposition.body.decode()


async def test_user_without_configure_rights_falls_back_to_the_main_servers_api(
    sim, exporter_factory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    exporter = exporter_factory(
        make_settings(sim.main_url, target={"username": OPERATOR.login, "password": OPERATOR.password})
    )
    assert await exporter.collect_once()
    assert await exporter.collect_once()
    samples = parse_samples(exporter.exposition.body)
    main = next(server for server in sim.installation.servers if server.is_main)
    assert value(samples, "eocortex_up") == 1
    assert value(samples, "eocortex_configure_access") == 0
    assert value(samples, "eocortex_api_requests_total", endpoint="configure/servers", code="403") == 2
    # Only the main server is polled, under its real id (from its cameras' OwnerServerId).
    assert {dict(k)["server_id"] for k in series(samples, "eocortex_server_up")} == {main.id}
    polled = {dict(k)["camera_id"] for k in series(samples, "eocortex_camera_info")}
    assert polled == {camera.id for camera in sim.installation.cameras if camera.server_id == main.id}
    assert series(samples, "eocortex_server_license_channels_limit") == {}
    # Archiving settings live in configure/ too: none, and not a failure.
    assert series(samples, "eocortex_camera_archiving_info") == {}
    assert value(samples, "eocortex_collector_success", collector="archiving") == 1
    assert series(samples, "eocortex_license_channels_limit", server_id=main.id)
    # Said once in the log, however many cycles run.
    assert caplog.text.count("may not read configure/servers (403)") == 1
    assert caplog.text.count("may not read configure/channels (403)") == 1


def test_credentials_are_encoded_as_the_reference_shows() -> None:
    # Reference L269-275 and L318-321: user "user", password "1234".
    settings = make_settings("http://127.0.0.1:1", target={"username": "user", "password": "1234"})
    basic = credentials_for(settings.targets[0])
    assert basic.headers == {"Authorization": "Basic dXNlcjo4MWRjOWJkYjUyZDA0ZGMyMDAzNmRiZDgzMTNlZDA1NQ=="}
    query = credentials_for(settings.model_copy(update={}).targets[0].model_copy(update={"auth": "query"}))
    assert query.params == {"login": "user", "password": "81dc9bdb52d04dc20036dbd8313ed055"}
    ad = make_settings(
        "http://127.0.0.1:1",
        target={
            "username": "novikov@ent.eocortex.com",
            "password": "password",
            "user_type": "active_directory",
            "auth": "query",
        },
    )
    assert credentials_for(ad.targets[0]).params == {
        "login": "novikov@ent.eocortex.com",
        "password": "cGFzc3dvcmQ=",
        "usertype": "ActiveDirectory",
    }
    assert "81dc9bdb" not in repr(basic)
