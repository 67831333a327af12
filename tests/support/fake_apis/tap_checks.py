"""What the taps' Meltano tests share: settings against a fake, runs, and their checks.

Settings: `fake_api_settings(api)` (api_url, small pages, quick retries) and `oauth_settings(api)`
(plus the fake's OAuth client). Runs that must succeed (`run_ok`), give up on a stream
(`run_gives_up`), or be interrupted and then run again over the same window
(`interrupted_then_rerun`, checked by `assert_rerun_emits_the_window_once`): the taps keep no
bookmarks, so a window is all a run is given. Checks of what every tap promises: a 429's
Retry-After is honoured (`assert_waited_as_retry_after_said`), retries of a reset and of a 500
are logged (`assert_retries_logged`), and refused credentials stop the run at once with a clear
message and without a retry storm (`run_refused` with `assert_refused_credentials`, or
`assert_api_refused_at_once` on its own). What differs between taps (records, requests, what
must never be logged) stays in each tap's tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from tests.support.fake_apis._server import FakeApi, LoggedRequest
    from tests.support.fake_apis.meltano_runs import MeltanoRunner, RunResult

__all__ = [
    "BAD_CLIENT_SECRET", "BAD_REFRESH_TOKEN", "REJECTED_BEARER", "Rerun",
    "api_refused_message", "assert_api_refused_at_once", "assert_refused_credentials",
    "assert_rerun_emits_the_window_once", "assert_retries_logged",
    "assert_waited_as_retry_after_said", "fake_api_settings", "interrupted_then_rerun",
    "oauth_settings", "run_gives_up", "run_ok", "run_refused",
]

# Settings


def fake_api_settings(api: FakeApi, *, api_path: str = "", page_size: int = 10) -> dict[str, Any]:
    """Settings of any tap against `api`: its URL (plus `api_path`), small pages, quick retries.

    Quick retries: 2 of them (3 attempts), backing off at most 1 s.
    """
    return {"api_url": api.url + api_path, "page_size": page_size, "max_retries": 2,
            "backoff_max_seconds": 1}


def oauth_settings(api: FakeApi, *, api_path: str = "", page_size: int = 10,
                   grant: Literal["refresh_token", "client_credentials"] = "refresh_token",
                   ) -> dict[str, Any]:
    """`fake_api_settings` plus `api`'s OAuth client: client_id, client_secret and token_url.

    The refresh-token grant adds the refresh_token; the client-credentials grant has none.
    """
    credentials = api.credentials
    settings = {**fake_api_settings(api, api_path=api_path, page_size=page_size),
                "client_id": credentials.client_id, "client_secret": credentials.client_secret,
                "token_url": api.token_url}
    if grant == "refresh_token":
        settings["refresh_token"] = credentials.refresh_token
    return settings


# Runs


def run_ok(runner: MeltanoRunner, settings: Mapping[str, Any]) -> RunResult:
    """Run the tap and assert that it succeeded (showing the end of the log if not)."""
    result = runner.run(settings)
    assert result.exit_code == 0, result.log[-2000:]
    return result


def run_gives_up(runner: MeltanoRunner, settings: Mapping[str, Any], *,
                 stream: str) -> RunResult:
    """Run the tap, without backoff waits, against 500s that never stop; assert that it failed.

    The run must exit 1 and log that `stream` gave up after its 3 attempts (`max_retries` 2).
    """
    result = runner.run({**settings, "backoff_max_seconds": 0})
    assert result.exit_code == 1
    assert f"stream {stream} gave up after 3 attempts (HTTP 500)." in result.log
    return result


@dataclass(frozen=True)
class Rerun:
    """A run of a window that a fault interrupted, and the run of the same window after it."""

    first: RunResult
    second: RunResult


def interrupted_then_rerun(runner: MeltanoRunner, api: FakeApi, settings: Mapping[str, Any],
                           *, path_prefix: str, served: int, stream: str) -> Rerun:
    """Interrupt a run of the window `settings` give mid-way, then run the same window again.

    `api` serves `served` requests under `path_prefix`, then answers 500 for ever: the first run
    must fail as `run_gives_up` says for `stream`. Then the faults are cleared and the second
    run, with the same settings, must succeed. This is what lorchestra does after a failed run:
    it recorded no window for it, so the next run asks for the same window again.
    """
    api.fail_after(path_prefix, served=served)
    first = run_gives_up(runner, settings, stream=stream)
    api.clear_faults()
    return Rerun(first, run_ok(runner, settings))


def assert_rerun_emits_the_window_once(rerun: Rerun, window: list[dict[str, Any]],
                                       key: str) -> None:
    """The interrupted run emitted the start of `window` and stopped short; the re-run, all of it.

    `window` is every record of the window in the order the tap emits them. The first run's
    records are a strict, non-empty prefix of it (oldest first, nothing skipped); the second
    run's records are exactly `window`: nothing from a bookmark, every record once (by `key`).
    """
    emitted = rerun.first.records
    assert 0 < len(emitted) < len(window)
    assert emitted == window[:len(emitted)]
    assert rerun.second.records == window
    keys = [record[key] for record in rerun.second.records]
    assert len(keys) == len(set(keys))


# Retries


def assert_waited_as_retry_after_said(result: RunResult, refused: LoggedRequest,
                                      retry: LoggedRequest) -> None:
    """`refused` got a 429 with `Retry-After: 1`; its `retry` came at least 1 s later, as logged."""
    assert refused.status == 429
    assert retry.at - refused.at >= 1.0
    assert "retrying in 1.0 s after attempt 1 failed (HTTP 429)" in result.log


def assert_retries_logged(result: RunResult) -> None:
    """The log tells of the retries after a connection reset (attempt 1) and a 500 (attempt 2)."""
    assert "after attempt 1 failed (ConnectionError)" in result.log
    assert "after attempt 2 failed (HTTP 500)" in result.log


# Refused credentials

# A refused-credentials test's `refusal` (see `run_refused`): a wrong refresh token or client
# secret, which the token endpoint refuses, or a token it grants but the API answers 401 to.
BAD_REFRESH_TOKEN = "bad refresh token"
BAD_CLIENT_SECRET = "bad client secret"
REJECTED_BEARER = "rejected bearer"


@dataclass(frozen=True)
class _WrongCredential:
    setting: str
    value: str
    answer: str  # the token endpoint's status and OAuth error, as the tap's message gives them


_WRONG = {
    BAD_REFRESH_TOKEN: _WrongCredential("refresh_token", "wrong-refresh-token-value",
                                        "HTTP 400, invalid_grant"),
    BAD_CLIENT_SECRET: _WrongCredential("client_secret", "wrong-client-secret-value",
                                        "HTTP 401, invalid_client"),
}


def run_refused(runner: MeltanoRunner, api: FakeApi, settings: Mapping[str, Any],
                refusal: str) -> RunResult:
    """Run the tap against `api` (which `settings` point at) with its credentials refused.

    BAD_REFRESH_TOKEN or BAD_CLIENT_SECRET: that setting has a wrong value. REJECTED_BEARER:
    `api` issues tokens that expire at once, which is what an API sees after a revoked consent
    or once an application user is disabled: the token has been issued, the tap uses it, and
    the API answers 401.
    """
    if refusal == REJECTED_BEARER:
        api.token_lifetime = 0
        return runner.run(settings)
    wrong = _WRONG[refusal]
    return runner.run({**settings, wrong.setting: wrong.value})


def api_refused_message(tap: str, stream: str, status: int = 401) -> str:
    """What a tap logs when the API refuses a stream's request with a 401 or a 403."""
    return (f"{tap}: the API refused access to stream {stream} with HTTP {status}; "
            "check the credentials/scopes in docs/sources.md.")


def assert_api_refused_at_once(result: RunResult, api: FakeApi, *, tap: str, stream: str,
                               api_prefix: str, status: int = 401) -> None:
    """The API refused `stream`'s first request with `status`; the run failed, without retrying.

    Exit code 1, `api_refused_message` in the log, and exactly one request under `api_prefix`,
    answered `status` (no retry storm).
    """
    assert result.exit_code == 1
    assert api_refused_message(tap, stream, status) in result.log
    assert [r.status for r in api.requests_to(api_prefix)] == [status]


def assert_refused_credentials(result: RunResult, api: FakeApi, refusal: str, *, tap: str,
                               stream: str, check: str, api_prefix: str, token_path: str) -> None:
    """A `run_refused` run failed at once with a clear message, and logged no wrong credential.

    Whatever the refusal: exit code 1, no records, and exactly one request to the token endpoint
    (`token_path`). A wrong credential: the tap's message gives the token endpoint's status and
    OAuth error and names the settings to `check`, no request reached the API (`api_prefix`),
    and the wrong value is nowhere in the log. A rejected bearer: `assert_api_refused_at_once`
    for `stream`, a 401.
    """
    assert result.exit_code == 1
    assert result.records == []
    if refusal == REJECTED_BEARER:
        assert_api_refused_at_once(result, api, tap=tap, stream=stream, api_prefix=api_prefix)
    else:
        wrong = _WRONG[refusal]
        assert (f"{tap}: the token endpoint refused the credentials ({wrong.answer}); "
                f"check {check}") in result.log
        assert api.requests_to(api_prefix) == []
        assert result.leaked([wrong.value]) == []
    assert len(api.requests_to(token_path)) == 1
