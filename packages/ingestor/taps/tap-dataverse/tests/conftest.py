"""tap-dataverse's test fixtures: synthetic rows, FakeDataverse servers, an isolated runner."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

import sample_data
from tests.support.fake_apis.dataverse import FakeDataverse
from tests.support.fake_apis.meltano_runs import MeltanoRunner, installed_project

TENANT = "contoso.example"
CONTACTS = {"name": "contacts", "key": "contactid"}


def _rows(object_type: str, key: str) -> list[dict[str, Any]]:
    found = sample_data.iter_records("dataverse", "dataverse-clinic", object_type, size=600)
    return sorted(found, key=lambda row: (row["modifiedon"], row[key]))  # the order asked for


@pytest.fixture(scope="session")
def contacts() -> list[dict[str, Any]]:
    """Synthetic `contacts` rows, by modifiedon then contactid."""
    return _rows("contact", "contactid")


@pytest.fixture(scope="session")
def sessions() -> list[dict[str, Any]]:
    """Synthetic `cr8f3_clientsessions` rows, by modifiedon then key."""
    return _rows("clinical_session", "cr8f3_clientsessionid")


MakeDataverse = Callable[..., FakeDataverse]


@pytest.fixture
def make_dataverse(contacts: list[dict[str, Any]],
                   sessions: list[dict[str, Any]]) -> Iterator[MakeDataverse]:
    """Start a FakeDataverse (`contacts=` rows to serve, FakeApi options) for this test.

    Its token endpoint grants only the default scope, `<environment URL>/.default`.
    """
    with ExitStack() as stack:
        def make(contact_rows: list[dict[str, Any]] = contacts, **kwargs: Any) -> FakeDataverse:
            api = stack.enter_context(FakeDataverse(
                {"contacts": ("contactid", contact_rows),
                 "cr8f3_clientsessions": ("cr8f3_clientsessionid", sessions)}, **kwargs))
            api.credentials = dataclasses.replace(api.credentials, scope=api.url + "/.default")
            return api

        yield make


@pytest.fixture
def dataverse(make_dataverse: MakeDataverse) -> FakeDataverse:
    return make_dataverse()


def _settings_for(api: FakeDataverse) -> dict[str, Any]:
    credentials = api.credentials
    return {"tenant": TENANT, "client_id": credentials.client_id,
            "client_secret": credentials.client_secret, "api_url": api.url + "/api/data/v9.2",
            "token_url": api.token_url, "entity_sets": [CONTACTS], "page_size": 5,
            "max_retries": 2, "backoff_max_seconds": 1}


@pytest.fixture
def settings_for() -> Callable[[FakeDataverse], dict[str, Any]]:
    """tap-dataverse settings against a fake: contacts, small pages, quick retries."""
    return _settings_for


@pytest.fixture
def settings(dataverse: FakeDataverse) -> dict[str, Any]:
    return _settings_for(dataverse)


@pytest.fixture
def runner(tmp_path: Path) -> MeltanoRunner:
    return MeltanoRunner(installed_project(), tmp_path / "meltano", "tap-dataverse")
