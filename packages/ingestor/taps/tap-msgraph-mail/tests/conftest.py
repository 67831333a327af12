"""tap-msgraph-mail's test fixtures: synthetic messages, a FakeGraphMail, an isolated runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sample_data
from tests.support.fake_apis.meltano_runs import MeltanoRunner, installed_project
from tests.support.fake_apis.msgraph import FakeGraphMail
from tests.support.fake_apis.tap_checks import oauth_settings

TENANT = "contoso.example"


@pytest.fixture(scope="session")
def messages() -> list[dict[str, Any]]:
    """One synthetic Exchange mailbox's Graph messages, oldest first (as the fake orders them)."""
    found = list(sample_data.iter_records("exchange", "exchange-mbx1", "email", size=600))
    return sorted(found, key=lambda message: (message["receivedDateTime"], message["id"]))


@pytest.fixture
def graph(messages: list[dict[str, Any]]) -> Iterator[FakeGraphMail]:
    with FakeGraphMail(messages) as api:
        yield api


@pytest.fixture
def settings(graph: FakeGraphMail) -> dict[str, Any]:
    """tap-msgraph-mail settings against the fake: small pages, quick retries."""
    return {"tenant": TENANT, **oauth_settings(graph, api_path="/v1.0")}


@pytest.fixture
def runner(tmp_path: Path) -> MeltanoRunner:
    return MeltanoRunner(installed_project(), tmp_path / "meltano", "tap-msgraph-mail")
