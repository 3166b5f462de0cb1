"""Authentication modes of L237-326 and the 401/403 answers."""

from __future__ import annotations

import base64

from .helpers import basic, fetch, md5


async def test_basic_internal_sends_md5_of_password(sim, http):
    status, body = await fetch(http, f"{sim.main_url}/api/channels", headers=basic("user", md5("1234")))
    assert status == 200
    assert isinstance(body, list) and body


async def test_basic_internal_with_plain_password_is_refused(sim, http):
    async with http.get(f"{sim.main_url}/api/channels", headers=basic("user", "1234")) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="Eocortex"'
        assert "ErrorMessage" in await response.json()


async def test_basic_active_directory_needs_the_usertype_header(sim, http):
    url = f"{sim.main_url}/api/channels"
    user, password = "novikov@ent.eocortex.com", "password"
    assert (await fetch(http, url, headers=basic(user, password, UserType="ActiveDirectory")))[0] == 200
    assert (await fetch(http, url, headers=basic(user, password)))[0] == 401
    assert (await fetch(http, url, headers=basic(user, md5(password), UserType="ActiveDirectory")))[0] == 401


async def test_query_internal_user(sim, http):
    url = f"{sim.main_url}/api/channels"
    assert (await fetch(http, url, headers={}, params={"login": "user", "password": md5("1234")}))[0] == 200
    assert (await fetch(http, url, headers={}, params={"login": "user", "password": md5("12345")}))[0] == 401


async def test_query_active_directory_user_sends_base64(sim, http):
    url = f"{sim.main_url}/api/channels"
    secret = base64.b64encode(b"password").decode()
    params = {"login": "novikov@ent.eocortex.com", "usertype": "ActiveDirectory", "password": secret}
    assert (await fetch(http, url, headers={}, params=params))[0] == 200
    assert (await fetch(http, url, headers={}, params={**params, "password": "password"}))[0] == 401


async def test_empty_root_password_may_be_omitted_or_empty(sim, http):
    url = f"{sim.main_url}/api/channels"
    assert (await fetch(http, url, headers={}, params={"login": "root"}))[0] == 200
    assert (await fetch(http, url, headers={}, params={"login": "root", "password": ""}))[0] == 200
    assert (await fetch(http, url, headers={}, params={"login": "root", "password": md5("")}))[0] == 200
    assert (await fetch(http, url, headers=basic("root", "")))[0] == 200
    assert (await fetch(http, url, headers=basic("root", md5(""))))[0] == 200


async def test_missing_or_wrong_credentials_get_401(sim, http):
    url = f"{sim.main_url}/api/channels"
    assert await fetch(http, url, headers={}) == (401, {"ErrorMessage": "Authorization failed"})
    assert (await fetch(http, url, headers=basic("nobody", "")))[0] == 401
    assert (await fetch(http, url, headers={"Authorization": "Basic !!!"}))[0] == 401
    assert (await fetch(http, url, headers={}, params={"login": "root", "usertype": "other"}))[0] == 401


async def test_non_admin_is_forbidden_configure_only(sim, http):
    viewer = basic("viewer", md5("v"))
    assert (await fetch(http, f"{sim.main_url}/api/channels", headers=viewer))[0] == 200
    assert (await fetch(http, f"{sim.main_url}/webapi/license", headers=viewer))[0] == 200
    status, body = await fetch(http, f"{sim.main_url}/configure/servers", headers=viewer)
    assert status == 403
    assert set(body) == {"ErrorMessage"}
    assert [record.status for record in sim.request_log][-1] == 403
