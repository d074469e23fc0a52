"""A local stand-in for Tesla's OAuth 2.0 server (docs/tesla-fleet-auth.md): sign-in and tokens.

The authorize endpoint approves at once and redirects back with a code. The token endpoint
takes the authorization_code and refresh_token grants; access tokens are short-lived JWTs and
refresh tokens are single use, each refresh rotating them, as Tesla's are. `revoke()` withdraws
every grant issued so far, as removing the app's access in the Tesla account does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import datetime as dt
import secrets
from typing import TYPE_CHECKING, Any, Final, NoReturn
from urllib.parse import urlencode

from aiohttp import web
import jwt

from ._server import SimulatorServer

if TYPE_CHECKING:
    from collections.abc import Callable

CLIENT_ID: Final = "sim-client-id"
CLIENT_SECRET: Final = "sim-client-secret"  # noqa: S105 - the simulator's own test secret
SUBJECT: Final = "a1b2c3d4-0000-4000-8000-00000000cafe"
DEFAULT_EXPIRES_IN: Final = 300
# The simulator signs its tokens only so they are well-formed JWTs; clients never verify them.
_SIGNING_KEY: Final = "tesla-auth-simulator-signing-key-32b"


@dataclass(slots=True)
class Grant:
    """What a code or a refresh token stands for."""

    client_id: str
    scopes: tuple[str, ...]
    audience: str | None
    redirect_uri: str = ""


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """One call of the token endpoint, as the simulator saw it (secrets left out)."""

    grant_type: str
    status: int
    refresh_token: str | None = None
    audience: str | None = None
    issued_access_token: str | None = None
    issued_refresh_token: str | None = None


@dataclass(slots=True)
class _State:
    codes: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    used_refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: set[str] = field(default_factory=set)


class TeslaAuthSimulator(SimulatorServer):
    """Serve /oauth2/v3/authorize and /oauth2/v3/token for one client and one account."""

    def __init__(
        self,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        subject: str = SUBJECT,
        region: str = "NA",
        expires_in: int = DEFAULT_EXPIRES_IN,
        resource_tokens: set[str] | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        """Configure the client, the account, token lifetime and the API that accepts tokens.

        `resource_tokens` is the set of bearer tokens a resource server accepts (the Tesla
        energy simulator's `tokens`): issued access tokens join it, revoked ones leave it.
        """
        super().__init__(clock=clock, path_prefix="")
        self.client_id = client_id
        self.client_secret = client_secret
        self.subject = subject
        self.region = region
        self.expires_in = expires_in
        self.resource_tokens = resource_tokens if resource_tokens is not None else set()
        # Knobs: the user declines at the authorize page (redirects back with an error); the
        # access tokens are opaque strings instead of JWTs (as a broken server's would be).
        self.deny = False
        self.opaque_tokens = False
        self.token_requests: list[TokenRequest] = []
        self.authorize_requests: list[dict[str, str]] = []
        self._state = _State()

    @property
    def authorize_url(self) -> str:
        """Return the authorize endpoint."""
        return f"{self.base_url}/oauth2/v3/authorize"

    @property
    def token_url(self) -> str:
        """Return the token endpoint."""
        return f"{self.base_url}/oauth2/v3/token"

    @property
    def live_refresh_tokens(self) -> set[str]:
        """Return the refresh tokens that would be honoured now."""
        return set(self._state.refresh_tokens)

    def revoke(self) -> None:
        """Withdraw every refresh and access token issued so far; new sign-ins still work."""
        self.resource_tokens.difference_update(self._state.access_tokens)
        self._state.access_tokens.clear()
        self._state.used_refresh_tokens.update(self._state.refresh_tokens)
        self._state.refresh_tokens.clear()

    def _build_app(self) -> web.Application:
        """Return the application with the two OAuth routes."""
        app = web.Application()
        app.router.add_get("/oauth2/v3/authorize", self._authorize)
        app.router.add_post("/oauth2/v3/token", self._token)
        return app

    async def _authorize(self, request: web.Request) -> web.Response:
        """Approve at once: redirect to redirect_uri with a code and the state."""
        self.record(request)
        query = dict(request.query)
        self.authorize_requests.append(query)
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return web.json_response({"error": "invalid_request"}, status=400)
        if query.get("response_type") != "code":
            return self._redirect(redirect_uri, error="unsupported_response_type", query=query)
        if self.deny:
            return self._redirect(redirect_uri, error="access_denied", query=query)
        code = secrets.token_urlsafe(24)
        self._state.codes[code] = Grant(
            client_id=self.client_id,
            scopes=tuple(query.get("scope", "").split()),
            audience=query.get("audience"),
            redirect_uri=redirect_uri,
        )
        return self._redirect(redirect_uri, code=code, query=query)

    @staticmethod
    def _redirect(
        redirect_uri: str, *, query: dict[str, str], code: str = "", error: str = ""
    ) -> NoReturn:
        params = {"code": code} if code else {"error": error}
        params |= {"state": query.get("state", ""), "issuer": "simulated-tesla-auth"}
        separator = "&" if "?" in redirect_uri else "?"
        raise web.HTTPFound(f"{redirect_uri}{separator}{urlencode(params)}")

    async def _token(self, request: web.Request) -> web.Response:
        """Exchange a code, or a refresh token, for new tokens."""
        self.record(request)
        form = await request.post()
        fields = {key: str(value) for key, value in form.items()}
        grant_type = fields.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._exchange_code(fields)
        if grant_type == "refresh_token":
            return self._refresh(fields)
        return self._refuse(grant_type, 400, "unsupported_grant_type", fields)

    def _exchange_code(self, fields: dict[str, str]) -> web.Response:
        if fields.get("client_id") != self.client_id or (
            fields.get("client_secret") != self.client_secret
        ):
            return self._refuse("authorization_code", 401, "invalid_client", fields)
        grant = self._state.codes.pop(fields.get("code", ""), None)
        if grant is None or grant.redirect_uri != fields.get("redirect_uri"):
            return self._refuse("authorization_code", 400, "invalid_auth_code", fields)
        # The code exchange names the audience (docs/tesla-fleet-auth.md#endpoints).
        grant.audience = fields.get("audience") or grant.audience
        return self._issue("authorization_code", grant, fields)

    def _refresh(self, fields: dict[str, str]) -> web.Response:
        token = fields.get("refresh_token", "")
        if fields.get("client_id") != self.client_id:
            return self._refuse("refresh_token", 401, "invalid_client", fields)
        grant = self._state.refresh_tokens.pop(token, None)
        if grant is None:
            # Used before (single use), revoked, or never issued: Tesla asks for a new login.
            return self._refuse("refresh_token", 401, "login_required", fields)
        self._state.used_refresh_tokens.add(token)
        return self._issue("refresh_token", grant, fields)

    def _issue(self, grant_type: str, grant: Grant, fields: dict[str, str]) -> web.Response:
        now = self.now()
        claims: dict[str, Any] = {
            "iss": "https://fleet-auth.prd.vn.cloud.tesla.com/oauth2/v3/nts",
            "sub": self.subject,
            "aud": [aud for aud in (grant.audience,) if aud],
            "azp": grant.client_id,
            "scp": list(grant.scopes),
            "ou_code": self.region,
            "iat": int(now.timestamp()),
            "exp": int(now.timestamp()) + self.expires_in,
            # Unique per token, so two tokens issued in the same second differ.
            "jti": secrets.token_hex(8),
        }
        access_token = (
            f"sim-at-{secrets.token_urlsafe(24)}"
            if self.opaque_tokens
            else jwt.encode(claims, _SIGNING_KEY, algorithm="HS256")
        )
        refresh_token = f"sim-rt-{secrets.token_urlsafe(24)}"
        self._state.refresh_tokens[refresh_token] = grant
        self._state.access_tokens.add(access_token)
        self.resource_tokens.add(access_token)
        id_token = jwt.encode(
            {"sub": self.subject, "iat": claims["iat"], "exp": claims["exp"]},
            _SIGNING_KEY,
            algorithm="HS256",
        )
        self.token_requests.append(
            TokenRequest(
                grant_type=grant_type,
                status=200,
                refresh_token=fields.get("refresh_token"),
                audience=grant.audience,
                issued_access_token=access_token,
                issued_refresh_token=refresh_token,
            )
        )
        return web.json_response(
            {
                "access_token": access_token,
                "refresh_token": refresh_token,
                "id_token": id_token,
                "expires_in": self.expires_in,
                "token_type": "Bearer",
            }
        )

    def _refuse(
        self, grant_type: str, status: int, error: str, fields: dict[str, str]
    ) -> web.Response:
        self.token_requests.append(
            TokenRequest(
                grant_type=grant_type, status=status, refresh_token=fields.get("refresh_token")
            )
        )
        return web.json_response(
            {"error": error, "error_description": f"simulated {error}"}, status=status
        )
