"""The settings every lorchestra tap declares, and the parsing of its date settings.

A tap builds its `config_jsonschema` from its own settings plus `common_settings(...)` and one
credentials group (`refresh_token_settings()` or `client_credentials_settings()`). Secrets are
`secret=True` here and must be `sensitive: true` in meltano.yml. Dates arrive as the ingestor
passes them: an ISO 8601 date (`2026-01-01`) or date-time (`2026-01-01T08:00:00Z`); a value
without a zone is UTC.

`start_date` (inclusive) and `end_date` (exclusive) are the whole window of a run: a tap reads
exactly that and keeps no bookmark of its own, so there is no tap setting for resuming or for an
overlap. lorchestra picks each window from the run history in `event_log` (the end of the last
successful window less the connection's `overlap_seconds`); see docs/sources.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from singer_sdk import typing as th

__all__ = [
    "client_credentials_settings",
    "common_settings",
    "parse_instant",
    "refresh_token_settings",
    "setting_instant",
]

DEFAULT_MAX_RETRIES = 5
DEFAULT_BACKOFF_MAX_SECONDS = 60
DEFAULT_REQUEST_TIMEOUT = 300


def common_settings(*, api_url: str, token_url: str | None = None) -> list[th.Property[Any]]:
    """Window, retry and endpoint settings; `token_url` only for taps that fetch tokens."""
    endpoints = [th.Property("api_url", th.StringType, default=api_url,
                             description="Base URL of the API (change only to test).")]
    if token_url is not None:
        endpoints.append(th.Property("token_url", th.StringType, default=token_url,
                                     description="OAuth 2.0 token endpoint."))
    return [
        *endpoints,
        th.Property("start_date", th.StringType,
                    description="ISO 8601 date or date-time: extract from here (inclusive); "
                                "unset: from the beginning."),
        th.Property("end_date", th.StringType,
                    description="ISO 8601 date or date-time: extract up to here (exclusive); "
                                "unset: no upper bound."),
        th.Property("max_retries", th.IntegerType, default=DEFAULT_MAX_RETRIES,
                    description="Retries of a request after 429, 5xx, timeouts and "
                                "connection resets (0: none)."),
        # Whole seconds: Meltano 4.4 cannot pass a `decimal` setting from the environment.
        th.Property("backoff_max_seconds", th.IntegerType, default=DEFAULT_BACKOFF_MAX_SECONDS,
                    description="Longest wait before a retry, also capping Retry-After."),
        th.Property("request_timeout", th.IntegerType, default=DEFAULT_REQUEST_TIMEOUT,
                    description="Seconds before a request times out (then retried)."),
        th.Property("user_agent", th.StringType,
                    description="User-Agent header (default: the tap's name and version)."),
    ]


def refresh_token_settings() -> list[th.Property[Any]]:
    """OAuth 2.0 refresh-token grant credentials (Google, Microsoft)."""
    return [
        th.Property("client_id", th.StringType, required=True,
                    description="OAuth client id."),
        th.Property("client_secret", th.StringType, required=True, secret=True,
                    description="OAuth client secret."),
        th.Property("refresh_token", th.StringType, required=True, secret=True,
                    description="Refresh token of the consented account."),
        th.Property("scope", th.StringType,
                    description="Space-separated scopes to request with the refresh "
                                "(default: those originally granted)."),
    ]


def client_credentials_settings() -> list[th.Property[Any]]:
    """OAuth 2.0 client-credentials grant credentials (Dataverse's app registration)."""
    return [
        th.Property("tenant", th.StringType, required=True,
                    description="Entra ID tenant id or domain; replaces {tenant} in token_url."),
        th.Property("client_id", th.StringType, required=True,
                    description="Application (client) id."),
        th.Property("client_secret", th.StringType, required=True, secret=True,
                    description="Client secret of the app registration."),
        th.Property("scope", th.StringType, required=True,
                    description="Scope to request, e.g. https://org.crm.dynamics.com/.default."),
    ]


def parse_instant(value: str, setting: str) -> datetime:
    """An aware UTC datetime from an ISO 8601 date or date-time setting value."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"Setting {setting} is not an ISO 8601 date or date-time.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def setting_instant(config: Mapping[str, Any], name: str) -> datetime | None:
    """The date setting `name` as an aware UTC datetime, or None when it is unset or empty."""
    value = config.get(name)
    return parse_instant(value, name) if isinstance(value, str) and value else None
