"""`ApiStream`: the RESTStream every lorchestra tap's streams derive from.

It reads the common settings: `url_base` is `api_url`, requests time out after
`request_timeout`, and a failed request is tried at most `max_retries` more times, waiting as
`wait_generator` says (Retry-After, else jittered exponential backoff capped by
`backoff_max_seconds`). Retried: 429, 5xx, Google's rate-limit 403s (`rateLimitExceeded`,
`userRateLimitExceeded`), timeouts, connection errors and resets (the same exception set
singer-sdk retries). Authentication, and so any token request, happens inside
the retried call. 401 and any other 403 fail at once with a one-line message pointing at
docs/sources.md; other 4xx fail at once too. No message or log line carries a response body,
a token, a query string or a filled-in path (paths can hold account ids); they name the tap,
the stream, the status and the path template.

Streams declare no replication key, so the SDK keeps no bookmark and never starts from state:
a run reads exactly the window its `start_date`/`end_date` settings give, and a run that fails
mid-way is simply run again over the same window. Resuming is lorchestra's job, from the windows
it records in `event_log` (see docs/sources.md); the records a re-run reads twice are unchanged
upserts there.
"""

from __future__ import annotations

import functools
from collections.abc import Generator
from datetime import datetime
from typing import Any, TypeVar

import backoff
import requests
import singer_sdk.singerlib as singer
from singer_sdk import RESTStream
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.types import RequestFunc

from tap_common._quarantine import SchemaCheck, marker, with_markers
from tap_common._retry import wait_generator
from tap_common._settings import (
    DEFAULT_BACKOFF_MAX_SECONDS,
    DEFAULT_MAX_RETRIES,
    DEFAULT_REQUEST_TIMEOUT,
    setting_instant,
)

__all__ = ["RETRIED_EXCEPTIONS", "ApiStream"]

_T = TypeVar("_T")

RETRIED_EXCEPTIONS: tuple[type[Exception], ...] = (
    RetriableAPIError,
    ConnectionResetError,
    requests.exceptions.Timeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class ApiStream(RESTStream[_T]):
    """A REST stream with lorchestra's retry and error policy, reading one given window.

    A record that breaks the stream's schema goes out as a quarantine marker in its place
    (`tap_common._quarantine`): the rest of the stream still loads.
    """

    _schema_check: SchemaCheck | None = None
    _position = 0  # records generated so far, for the markers' positions

    def _generate_schema_messages(self) -> Generator[singer.SchemaMessage, None, None]:
        for message in super()._generate_schema_messages():
            message.schema = with_markers(message.schema)
            yield message

    def _generate_record_messages(
            self, record: dict[str, Any]) -> Generator[singer.RecordMessage, None, None]:
        self._position += 1
        if self._schema_check is None:
            self._schema_check = SchemaCheck(self.schema)
        broken = self._schema_check.violation(record)
        if broken is None:
            yield from super()._generate_record_messages(record)
            return
        self.logger.warning("%s: stream %s record %d quarantined (schema: %s)",
                            self.tap_name, self.name, self._position, broken)
        yield singer.RecordMessage(stream=self.name,
                                   record=marker(self._position, f"schema: {broken}", record),
                                   version=self._stream_version)

    def configured_window(self) -> tuple[datetime | None, datetime | None]:
        """The run's window [start_date, end_date) in UTC; None: unbounded on that side."""
        return (setting_instant(self.config, "start_date"),
                setting_instant(self.config, "end_date"))

    @property
    def url_base(self) -> str:
        return str(self.config["api_url"]).rstrip("/")

    @property
    def timeout(self) -> int:
        return int(self.config.get("request_timeout", DEFAULT_REQUEST_TIMEOUT))

    def backoff_max_tries(self) -> int:
        return int(self.config.get("max_retries", DEFAULT_MAX_RETRIES)) + 1

    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        cap = float(self.config.get("backoff_max_seconds", DEFAULT_BACKOFF_MAX_SECONDS))
        return wait_generator(cap)

    def backoff_jitter(self, value: float) -> float:
        return value  # wait_generator adds the jitter itself, so the cap and Retry-After hold

    def backoff_handler(self, details: Any) -> None:
        self.logger.warning("%s: stream %s retrying in %.1f s after attempt %d failed (%s)",
                            self.tap_name, self.name, details.get("wait", 0.0),
                            details.get("tries", 0), _describe(details.get("exception")))

    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        retrying = backoff.on_exception(
            self.backoff_wait_generator, RETRIED_EXCEPTIONS, max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler, jitter=self.backoff_jitter,
            logger=None,  # backoff's own log lines would print the request (URL and query)
        )(func)

        @functools.wraps(func)
        def request(*args: Any, **kwargs: Any) -> requests.Response:
            try:
                return retrying(*args, **kwargs)
            except RETRIED_EXCEPTIONS as exc:
                raise FatalAPIError(
                    f"{self.tap_name}: stream {self.name} gave up after "
                    f"{self.backoff_max_tries()} attempts ({_describe(exc)})."
                ) from None  # the cause's text can hold the URL with its query

        return request

    def build_prepared_request(self, *args: Any, **kwargs: Any) -> requests.PreparedRequest:
        # The SDK would authenticate here, outside the retried call, so a token endpoint outage
        # would fail the run; `_request` authenticates inside it instead.
        self.requests_session.auth = None
        return self.requests_session.prepare_request(requests.Request(*args, **kwargs))

    def validate_response(self, response: requests.Response) -> None:
        status = response.status_code
        if status == 403 and _rate_limited(response):
            # Google answers a rate limit with 403 (rateLimitExceeded, userRateLimitExceeded)
            # and asks for exponential backoff, as for 429.
            raise RetriableAPIError(self.response_error_message(response), response)
        if status in (401, 403):
            raise FatalAPIError(
                f"{self.tap_name}: the API refused access to stream {self.name} with HTTP "
                f"{status}; check the credentials/scopes in docs/sources.md.")
        if status == 429 or status >= 500:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status >= 400:
            raise FatalAPIError(self.response_error_message(response))

    def response_error_message(self, response: requests.Response) -> str:
        return (f"{self.tap_name}: HTTP {response.status_code} {response.reason} from "
                f"{self.path or '/'} (stream {self.name})")


#: Google's error reasons that mean "slow down", not "no access" (Google APIs' usage-limit
#: guide): retried like 429. A daily quota (``dailyLimitExceeded``, ``quotaExceeded``) is not.
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


def _rate_limited(response: requests.Response) -> bool:
    """Whether a 403's body names a rate limit (the body is read, never logged)."""
    try:
        error = response.json().get("error", {})
        reasons = {str(e.get("reason")) for e in error.get("errors", []) if isinstance(e, dict)}
    except (ValueError, AttributeError, TypeError):
        return False
    return bool(reasons & RATE_LIMIT_REASONS)


def _describe(exc: BaseException | None) -> str:
    if isinstance(exc, RetriableAPIError) and exc.response is not None:
        return f"HTTP {exc.response.status_code}"
    return type(exc).__name__ if exc is not None else "unknown error"

