"""tap-dataverse's test fixtures: synthetic rows, FakeDataverse servers, an isolated runner."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import sample_data
from tests.support.fake_apis.dataverse import FakeDataverse
from tests.support.fake_apis.meltano_runs import MeltanoRunner, installed_project
from tests.support.fake_apis.tap_checks import oauth_settings

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


@pytest.fixture(scope="session")
def reports() -> list[dict[str, Any]]:
    """Synthetic `cr8f3_clientreports` rows (the clinicians' reports), by modifiedon then key."""
    return _rows("report", "cr8f3_clientreportid")


@pytest.fixture
def dataverse(contacts: list[dict[str, Any]], sessions: list[dict[str, Any]],
              reports: list[dict[str, Any]]) -> Iterator[FakeDataverse]:
    """A FakeDataverse serving the contacts, the sessions and the reports.

    Its token endpoint grants only the default scope, `<environment URL>/.default`.
    """
    with FakeDataverse({"contacts": ("contactid", contacts),
                        "cr8f3_clientsessions": ("cr8f3_clientsessionid", sessions),
                        "cr8f3_clientreports": ("cr8f3_clientreportid", reports)}) as api:
        api.credentials = dataclasses.replace(api.credentials, scope=api.url + "/.default")
        yield api


def _settings_for(api: FakeDataverse) -> dict[str, Any]:
    return {"tenant": TENANT, "entity_sets": [CONTACTS],
            **oauth_settings(api, api_path="/api/data/v9.2", page_size=5,
                             grant="client_credentials")}


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
