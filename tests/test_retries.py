"""Transient warehouse errors are retried within bounds, terminal ones are not."""

from __future__ import annotations

import pytest
from google.api_core import exceptions as gexc

from lorchestra.errors import TerminalWarehouseError, TransientWarehouseError
from lorchestra.warehouse.bigquery_backend import _map_error
from lorchestra.warehouse.retry import with_retries


def test_transient_errors_are_retried_until_success() -> None:
    calls = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientWarehouseError("busy")
        return "ok"

    assert with_retries(flaky, attempts=5, seconds=10) == "ok"
    assert len(calls) == 3


def test_retries_are_bounded() -> None:
    calls = []

    def always() -> None:
        calls.append(1)
        raise TransientWarehouseError("still busy")

    with pytest.raises(TransientWarehouseError):
        with_retries(always, attempts=3, seconds=10)
    assert len(calls) == 3


def test_terminal_errors_fail_at_once() -> None:
    calls = []

    def bad() -> None:
        calls.append(1)
        raise TerminalWarehouseError("bad sql")

    with pytest.raises(TerminalWarehouseError):
        with_retries(bad)
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (gexc.InternalServerError("boom"), TransientWarehouseError),
        (gexc.ServiceUnavailable("down"), TransientWarehouseError),
        (gexc.TooManyRequests("slow down"), TransientWarehouseError),
        (gexc.BadRequest("Could not serialize access due to concurrent update"),
         TransientWarehouseError),
        (gexc.Forbidden("Exceeded rate limits: rateLimitExceeded"), TransientWarehouseError),
        (gexc.BadRequest("Syntax error"), TerminalWarehouseError),
        (gexc.Forbidden("Access Denied: permission"), TerminalWarehouseError),
        (gexc.NotFound("Not found: Table x"), TerminalWarehouseError),
    ],
)
def test_google_errors_map_to_transient_or_terminal(error: Exception, kind: type) -> None:
    assert isinstance(_map_error(error), kind)
