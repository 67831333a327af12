"""OAuth 2.0 authenticators: refresh-token (Google, Microsoft) and client credentials (Dataverse).

Both build on singer-sdk's `OAuthAuthenticator`, which puts `Authorization: Bearer …` on every
request and asks for a token when `is_token_valid()` says so. What changes here: the request's
URL is left byte for byte as the stream prepared it (the SDK re-encodes it); the token is
renewed shortly before it expires (a tenth of its lifetime, at most a minute, early) rather than
after a request has failed; the token request uses the tap's `request_timeout`; a token endpoint
answering 429 or 5xx raises `RetriableAPIError`, so the stream's retry policy applies (the token
request happens inside the retried request); and any other refusal (400 `invalid_grant`, 401
`invalid_client`, …) raises `FatalAPIError` at once with a one-line message naming the settings
to check. Neither the response body nor any credential is ever logged or put in a message; only
the standard OAuth error code (RFC 6749 §5.2) is quoted, because it says what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from singer_sdk.authenticators import OAuthAuthenticator
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_common._settings import DEFAULT_REQUEST_TIMEOUT

__all__ = ["ClientCredentialsAuthenticator", "RefreshTokenAuthenticator"]

_OAUTH_ERROR_CODES = frozenset({
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
    "unsupported_grant_type", "invalid_scope",
})
_EARLY_RENEWAL_MAX_SECONDS = 60.0


class _TokenAuthenticator(OAuthAuthenticator):
    """A bearer token from a token endpoint, renewed before it expires."""

    #: The settings a refusal message tells the operator to check.
    credential_settings = "client_id and client_secret"

    def __init__(self, *, tap_name: str, token_url: str, client_id: str, client_secret: str,
                 scope: str | None, timeout: float) -> None:
        super().__init__(auth_endpoint=token_url, oauth_scopes=scope or None,
                         client_id=client_id, client_secret=client_secret)
        self.label = tap_name
        self.timeout = timeout

    def authenticate_request(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Put the bearer token on the request and leave its URL exactly as it was.

        singer-sdk's version also rebuilds the URL (parse_qs, then urlencode) to add query
        parameters these authenticators never have: that decodes and re-encodes the query, so
        `%20` became `+`, `$` became `%24` and an OData `@odata.nextLink` was not sent as the
        server gave it.
        """
        if not self.is_token_valid():
            self.update_access_token()
        request.headers["Authorization"] = f"Bearer {self.access_token}"
        return request

    def is_token_valid(self) -> bool:
        if self.access_token is None or self.last_refreshed is None:
            return False
        if not self.expires_in:
            return True
        early = min(_EARLY_RENEWAL_MAX_SECONDS, self.expires_in / 10)
        age = (datetime.now(UTC) - self.last_refreshed).total_seconds()
        return age < self.expires_in - early

    def update_access_token(self) -> None:
        requested_at = datetime.now(UTC)
        self.logger.info("%s: requesting an access token", self.label)
        response = requests.post(self.auth_endpoint, data=self.oauth_request_body,
                                 headers={"Accept": "application/json"}, timeout=self.timeout)
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetriableAPIError(
                f"{self.label}: the token endpoint answered HTTP {status}.", response)
        if not response.ok:
            raise FatalAPIError(
                f"{self.label}: the token endpoint refused the credentials (HTTP {status}"
                f"{_error_code(response)}); check {self.credential_settings} and the "
                "token_url (see docs/sources.md).")
        token, expires_in = _token_fields(response)
        if token is None:
            raise FatalAPIError(
                f"{self.label}: the token endpoint answered HTTP {status} without an "
                "access_token; check token_url (see docs/sources.md).")
        self.access_token = token
        self.expires_in = expires_in
        self.last_refreshed = requested_at


class RefreshTokenAuthenticator(_TokenAuthenticator):
    """OAuth 2.0 refresh-token grant (RFC 6749 §6), as Google and Microsoft identity use it."""

    credential_settings = "client_id, client_secret and refresh_token (and scope, if set)"

    def __init__(self, *, refresh_token: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._refresh_token = refresh_token

    @classmethod
    def from_config(cls, config: Mapping[str, Any], tap_name: str) -> RefreshTokenAuthenticator:
        """Build from `refresh_token_settings()` plus `token_url` and `request_timeout`."""
        return cls(tap_name=tap_name, token_url=config["token_url"],
                   client_id=config["client_id"], client_secret=config["client_secret"],
                   refresh_token=config["refresh_token"], scope=config.get("scope"),
                   timeout=config.get("request_timeout", DEFAULT_REQUEST_TIMEOUT))

    @property
    def oauth_request_body(self) -> dict[str, str]:
        body = {"grant_type": "refresh_token", "client_id": self.client_id or "",
                "client_secret": self.client_secret or "",
                "refresh_token": self._refresh_token}
        if self.oauth_scopes:
            body["scope"] = self.oauth_scopes
        return body


class ClientCredentialsAuthenticator(_TokenAuthenticator):
    """OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for an app registration."""

    credential_settings = "tenant, client_id, client_secret and scope"

    @classmethod
    def from_config(cls, config: Mapping[str, Any],
                    tap_name: str) -> ClientCredentialsAuthenticator:
        """Build from `client_credentials_settings()` plus `token_url` and `request_timeout`.

        `{tenant}` in `token_url` is replaced by the (URL-quoted) tenant.
        """
        token_url = str(config["token_url"]).replace("{tenant}", quote(config["tenant"], safe=""))
        return cls(tap_name=tap_name, token_url=token_url, client_id=config["client_id"],
                   client_secret=config["client_secret"], scope=config["scope"],
                   timeout=config.get("request_timeout", DEFAULT_REQUEST_TIMEOUT))

    @property
    def oauth_request_body(self) -> dict[str, str]:
        return {"grant_type": "client_credentials", "client_id": self.client_id or "",
                "client_secret": self.client_secret or "", "scope": self.oauth_scopes or ""}


def _error_code(response: requests.Response) -> str:
    try:
        code = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return f", {code}" if isinstance(code, str) and code in _OAUTH_ERROR_CODES else ""


def _token_fields(response: requests.Response) -> tuple[str | None, int | None]:
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        return None, None
    expires = body.get("expires_in")
    return body["access_token"], int(expires) if expires else None
