"""ApiStream and the authenticators in-process, against a FakeApi on 127.0.0.1."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from functools import cached_property
from typing import Any

import pytest
from singer_sdk import Stream, Tap
from singer_sdk import typing as th
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from tap_common import (
    ApiStream,
    ClientCredentialsAuthenticator,
    RefreshTokenAuthenticator,
    common_settings,
    refresh_token_settings,
)
from tests.support.fake_apis import Credentials, FakeApi, Request, Response

CANARY = "CANARY-body-must-not-leak"


class _Pings(FakeApi):
    """One paged-less endpoint, /v1/pings, whose error answers carry a canary."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stall_seconds = 0.0  # the next answer comes this late
        self.reason: str | None = None  # a Google error reason for the error answers
        self.route("GET", r"/v1/pings", self._pings)

    def error_body(self, status: int, message: str) -> Any:
        errors = [{"domain": "usageLimits", "reason": self.reason}] if self.reason else []
        return {"error": {"code": status, "message": CANARY, "errors": errors}}

    def _pings(self, request: Request) -> Response:
        with self.lock:
            stall, self.stall_seconds = self.stall_seconds, 0.0
        time.sleep(stall)
        return Response(200, {"items": [{"id": "p1"}, {"id": "p2"}]})


class _PingStream(ApiStream[Any]):
    name = "pings"
    path = "/v1/pings"
    schema = th.PropertiesList(th.Property("id", th.StringType)).to_dict()
    records_jsonpath = "$.items[*]"

    @cached_property
    def authenticator(self) -> RefreshTokenAuthenticator:
        return RefreshTokenAuthenticator.from_config(self.config, self.tap_name)

    def get_new_paginator(self) -> None:
        return None


class _PingTap(Tap):
    name = "tap-ping"
    config_jsonschema = th.PropertiesList(
        *refresh_token_settings(),
        *common_settings(api_url="https://api.invalid", token_url="https://auth.invalid/token"),
    ).to_dict()

    def discover_streams(self) -> list[Stream]:
        return [_PingStream(self)]


@pytest.fixture
def api() -> Iterator[_Pings]:
    with _Pings() as server:
        yield server


def _stream(api: FakeApi, **overrides: Any) -> _PingStream:
    credentials = api.credentials
    config = {"client_id": credentials.client_id, "client_secret": credentials.client_secret,
              "refresh_token": credentials.refresh_token, "api_url": api.url,
              "token_url": api.token_url, "max_retries": 2, "backoff_max_seconds": 0,
              **overrides}
    stream = _PingTap(config=config, setup_mapper=False).streams["pings"]
    assert isinstance(stream, _PingStream)
    return stream


def test_transient_failures_are_retried(api: _Pings, caplog: pytest.LogCaptureFixture) -> None:
    api.fail_next("/v1/pings", status=503)
    api.reset_next("/v1/pings")
    with caplog.at_level(logging.WARNING):
        records = list(_stream(api).request_records(None))
    assert records == [{"id": "p1"}, {"id": "p2"}]
    assert [r.status for r in api.requests_to("/v1/pings")] == [503, None, 200]
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries == [
        "tap-ping: stream pings retrying in 0.0 s after attempt 1 failed (HTTP 503)",
        "tap-ping: stream pings retrying in 0.0 s after attempt 2 failed (ConnectionError)",
    ]


def test_a_slow_answer_times_out_and_is_retried(api: _Pings) -> None:
    api.stall_seconds = 1.6
    started = time.monotonic()
    assert len(list(_stream(api, request_timeout=1).request_records(None))) == 2
    assert time.monotonic() - started < 1.6  # gave up on the stalled answer after 1 s
    time.sleep(0.8)  # the stalled request is logged once its handler has finished
    assert [r.status for r in api.requests_to("/v1/pings")] == [200, 200]


def test_giving_up_is_one_clean_line(api: _Pings) -> None:
    api.fail_next("/v1/pings", status=500, times=10)
    with pytest.raises(FatalAPIError) as caught:
        list(_stream(api).request_records(None))
    assert str(caught.value) == "tap-ping: stream pings gave up after 3 attempts (HTTP 500)."
    assert len(api.requests_to("/v1/pings")) == 3


def test_connection_failures_never_show_the_url(api: _Pings) -> None:
    stream = _stream(api, max_retries=1)
    api.reset_next("/v1/pings", times=2)
    with pytest.raises(FatalAPIError) as caught:
        list(stream.request_records(None))
    assert str(caught.value) == ("tap-ping: stream pings gave up after 2 attempts "
                                 "(ConnectionError).")
    assert caught.value.__suppress_context__  # the requests error (with the URL) is dropped


@pytest.mark.parametrize("status", [401, 403])
def test_refused_access_fails_at_once(api: _Pings, status: int) -> None:
    api.fail_next("/v1/pings", status=status)
    with pytest.raises(FatalAPIError) as caught:
        list(_stream(api).request_records(None))
    assert str(caught.value) == (
        f"tap-ping: the API refused access to stream pings with HTTP {status}; check the "
        "credentials/scopes in docs/sources.md.")
    assert len(api.requests_to("/v1/pings")) == 1


@pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
def test_google_rate_limit_403s_are_retried(api: _Pings, reason: str) -> None:
    api.reason = reason
    api.fail_next("/v1/pings", status=403)
    assert list(_stream(api).request_records(None)) == [{"id": "p1"}, {"id": "p2"}]
    assert [r.status for r in api.requests_to("/v1/pings")] == [403, 200]


def test_a_daily_quota_403_is_not_retried(api: _Pings) -> None:
    api.reason = "dailyLimitExceeded"
    api.fail_next("/v1/pings", status=403)
    with pytest.raises(FatalAPIError):
        list(_stream(api).request_records(None))
    assert len(api.requests_to("/v1/pings")) == 1


def test_other_client_errors_fail_without_the_body(api: _Pings) -> None:
    api.fail_next("/v1/pings", status=400)
    with pytest.raises(FatalAPIError) as caught:
        list(_stream(api).request_records(None))
    assert str(caught.value) == "tap-ping: HTTP 400 Bad Request from /v1/pings (stream pings)"
    assert CANARY not in str(caught.value)


def test_bad_refresh_token_fails_at_once_naming_the_settings(api: _Pings) -> None:
    with pytest.raises(FatalAPIError) as caught:
        list(_stream(api, refresh_token="not-the-token").request_records(None))
    message = str(caught.value)
    assert message == (
        "tap-ping: the token endpoint refused the credentials (HTTP 400, invalid_grant); check "
        "client_id, client_secret and refresh_token (and scope, if set) and the token_url "
        "(see docs/sources.md).")
    assert len(api.requests_to("/token")) == 1
    assert not api.requests_to("/v1/pings")


def test_token_endpoint_outage_is_retried(api: _Pings) -> None:
    api.fail_next("/token", status=503)
    assert len(list(_stream(api).request_records(None))) == 2
    assert [r.status for r in api.requests_to("/token")] == [503, 200]


def test_expired_tokens_are_renewed_before_use() -> None:
    with _Pings(token_lifetime=1) as api:
        stream = _stream(api)
        list(stream.request_records(None))
        list(stream.request_records(None))  # the same token, still fresh
        time.sleep(1.0)
        list(stream.request_records(None))  # renewed, not refused
    assert [r.status for r in api.requests] == [200, 200, 200, 200, 200]
    assert len(api.requests_to("/token")) == 2


class _Tenant(FakeApi):
    token_pattern = r"/contoso\.example/oauth2/v2\.0/token"


def test_client_credentials_fill_in_the_tenant() -> None:
    with _Tenant(credentials=Credentials(scope="https://org.example/.default")) as api:
        config = {"tenant": "contoso.example", "client_id": api.credentials.client_id,
                  "client_secret": api.credentials.client_secret,
                  "scope": "https://org.example/.default",
                  "token_url": api.url + "/{tenant}/oauth2/v2.0/token"}
        authenticator = ClientCredentialsAuthenticator.from_config(config, "tap-x")
        authenticator.update_access_token()
        assert authenticator.access_token in api.issued_tokens

        wrong = ClientCredentialsAuthenticator.from_config({**config, "scope": "other"}, "tap-x")
        with pytest.raises(FatalAPIError, match=r"HTTP 400, invalid_scope\); check tenant"):
            wrong.update_access_token()
        api.fail_next("/contoso.example/", status=429)
        with pytest.raises(RetriableAPIError):
            authenticator.update_access_token()
