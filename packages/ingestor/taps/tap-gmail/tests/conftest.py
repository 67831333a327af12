"""tap-gmail's test fixtures: synthetic messages, a FakeGmail, an isolated Meltano runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sample_data
from tests.support.fake_apis import FakeGmail
from tests.support.fake_apis.meltano_runs import MeltanoRunner, installed_project
from tests.support.fake_apis.tap_checks import oauth_settings


@pytest.fixture(scope="session")
def messages() -> list[dict[str, Any]]:
    """One synthetic account's messages (users.messages.get format=full), oldest first."""
    found = list(sample_data.iter_records("gmail", "gmail-acct1", "email", size=300))
    return sorted(found, key=lambda message: int(message["internalDate"]))


@pytest.fixture
def gmail(messages: list[dict[str, Any]]) -> Iterator[FakeGmail]:
    with FakeGmail(messages) as api:
        yield api


@pytest.fixture
def settings(gmail: FakeGmail) -> dict[str, Any]:
    """tap-gmail settings against the fake: small pages, quick retries."""
    return oauth_settings(gmail)


@pytest.fixture
def runner(tmp_path: Path) -> MeltanoRunner:
    return MeltanoRunner(installed_project(), tmp_path / "meltano", "tap-gmail")
