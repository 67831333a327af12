"""`GoogleApi`: what Google's APIs share here, their error body.

Errors, injected faults included, carry `{"error": {"code", "message", "status"}}`, `status`
being the canonical name Google gives the HTTP status (`UNAUTHENTICATED` for a 401, ...).
`FakeGmail` and `FakeGoogleForms` build on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.support.fake_apis._server import FakeApi

__all__ = ["GoogleApi"]


class GoogleApi(FakeApi):
    """A fake Google API: Google's error body."""

    #: HTTP status -> the `status` name in Google's error body (others are "UNKNOWN").
    status_names: Mapping[int, str] = {
        400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
        404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"code": status, "message": message,
                          "status": self.status_names.get(status, "UNKNOWN")}}
