"""The Tesla OAuth simulator itself: codes, single-use refresh tokens, revocation, refusals."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from aiohttp import ClientSession
import jwt
import pytest

from simulators.tesla_auth import CLIENT_ID, CLIENT_SECRET, SUBJECT, TeslaAuthSimulator

REDIRECT = "https://example.com/auth/external/callback"


@pytest.fixture
async def simulator(socket_enabled: None) -> AsyncGenerator[TeslaAuthSimulator]:
    """Run the OAuth simulator with its own set of accepted bearer tokens."""
    sim = TeslaAuthSimulator(resource_tokens=set(), expires_in=120)
    await sim.start()
    yield sim
    await sim.stop()


async def _authorize(session: ClientSession, sim: TeslaAuthSimulator, **extra: str) -> Any:
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT,
        "state": "opaque-state",
        "scope": "openid offline_access energy_device_data",
        **extra,
    }
    async with session.get(f"{sim.authorize_url}?{urlencode(query)}", allow_redirects=False) as r:
        assert r.status == 302
        location = urlsplit(r.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {key: values[0] for key, values in parse_qs(location.query).items()}


async def _token(session: ClientSession, sim: TeslaAuthSimulator, **form: str) -> Any:
    async with session.post(sim.token_url, data=form) as r:
        return r.status, await r.json()


async def test_code_exchange_and_rotation(simulator: TeslaAuthSimulator) -> None:
    """A code buys tokens once; each refresh token buys one refresh and is then spent."""
    async with ClientSession() as session:
        back = await _authorize(session, simulator, audience="https://fleet.example")
        assert back["state"] == "opaque-state"
        exchange = {
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "code": back["code"],
            "redirect_uri": REDIRECT,
        }
        status, tokens = await _token(session, simulator, **exchange)
        assert status == 200
        assert tokens["expires_in"] == 120
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
        assert claims["sub"] == SUBJECT
        assert claims["aud"] == ["https://fleet.example"]
        assert claims["scp"] == ["openid", "offline_access", "energy_device_data"]
        assert claims["exp"] - claims["iat"] == 120
        assert tokens["access_token"] in simulator.resource_tokens

        # The code was spent.
        status, body = await _token(session, simulator, **exchange)
        assert (status, body["error"]) == (400, "invalid_auth_code")

        refresh = {"grant_type": "refresh_token", "client_id": CLIENT_ID}
        status, rotated = await _token(
            session, simulator, **refresh, refresh_token=tokens["refresh_token"]
        )
        assert status == 200
        assert rotated["refresh_token"] != tokens["refresh_token"]
        status, body = await _token(
            session, simulator, **refresh, refresh_token=tokens["refresh_token"]
        )
        assert (status, body["error"]) == (401, "login_required")
        status, _ = await _token(
            session, simulator, **refresh, refresh_token=rotated["refresh_token"]
        )
        assert status == 200
    assert [(r.grant_type, r.status) for r in simulator.token_requests] == [
        ("authorization_code", 200),
        ("authorization_code", 400),
        ("refresh_token", 200),
        ("refresh_token", 401),
        ("refresh_token", 200),
    ]


async def test_revocation(simulator: TeslaAuthSimulator) -> None:
    """Revoking withdraws the refresh and access tokens issued so far; a new sign-in works."""
    async with ClientSession() as session:
        back = await _authorize(session, simulator)
        status, tokens = await _token(
            session,
            simulator,
            grant_type="authorization_code",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            code=back["code"],
            redirect_uri=REDIRECT,
        )
        simulator.revoke()
        assert tokens["access_token"] not in simulator.resource_tokens
        status, body = await _token(
            session,
            simulator,
            grant_type="refresh_token",
            client_id=CLIENT_ID,
            refresh_token=tokens["refresh_token"],
        )
        assert (status, body["error"]) == (401, "login_required")
        assert "code" in await _authorize(session, simulator)


async def test_refusals(simulator: TeslaAuthSimulator) -> None:
    """Wrong client, wrong secret, wrong redirect, unknown grant, and a declined sign-in."""
    async with ClientSession() as session:
        async with session.get(
            f"{simulator.authorize_url}?client_id=other&redirect_uri={REDIRECT}",
            allow_redirects=False,
        ) as answer:
            assert answer.status == 400
        back = await _authorize(session, simulator, response_type="token")
        assert back["error"] == "unsupported_response_type"
        back = await _authorize(session, simulator)
        status, body = await _token(
            session,
            simulator,
            grant_type="authorization_code",
            client_id=CLIENT_ID,
            client_secret="wrong",
            code=back["code"],
            redirect_uri=REDIRECT,
        )
        assert (status, body["error"]) == (401, "invalid_client")
        status, body = await _token(
            session,
            simulator,
            grant_type="authorization_code",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            code=back["code"],
            redirect_uri="https://elsewhere.example/callback",
        )
        assert (status, body["error"]) == (400, "invalid_auth_code")
        status, body = await _token(session, simulator, grant_type="password")
        assert (status, body["error"]) == (400, "unsupported_grant_type")
        status, body = await _token(
            session, simulator, grant_type="refresh_token", client_id="other", refresh_token="x"
        )
        assert (status, body["error"]) == (401, "invalid_client")
        simulator.deny = True
        back = await _authorize(session, simulator)
        assert back == {
            "error": "access_denied",
            "state": "opaque-state",
            "issuer": "simulated-tesla-auth",
        }
    assert simulator.request_count == 8
