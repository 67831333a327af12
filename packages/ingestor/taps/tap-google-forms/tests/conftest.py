"""tap-google-forms' test fixtures: synthetic responses, a FakeGoogleForms, a Meltano runner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import sample_data
from tests.support.fake_apis.google_forms import FakeGoogleForms
from tests.support.fake_apis.meltano_runs import MeltanoRunner, installed_project
from tests.support.fake_apis.tap_checks import oauth_settings

#: Sample-data connection -> the form it reads; two forms, so two partitions.
CONNECTIONS = {"forms-followup": "form_followup_v1", "forms-intake": "form_intake_v1"}
FORM_IDS = list(CONNECTIONS.values())


def submitted(record: dict[str, Any]) -> datetime:
    """A record's lastSubmittedTime (the sample data writes milliseconds and a Z)."""
    return datetime.fromisoformat(record["lastSubmittedTime"])


@pytest.fixture(scope="session")
def by_form() -> dict[str, list[dict[str, Any]]]:
    """Each form's responses as lorchestra stores them (with `_form`), oldest first."""
    return {
        form_id: sorted(sample_data.iter_records("google_forms", connection, "form_response",
                                                 size=300),
                        key=lambda record: (submitted(record), record["responseId"]))
        for connection, form_id in CONNECTIONS.items()
    }


@pytest.fixture(scope="session")
def records(by_form: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """What a full sync emits: form by form in `form_ids` order, each oldest first."""
    return [record for form_id in FORM_IDS for record in by_form[form_id]]


@pytest.fixture
def forms(records: list[dict[str, Any]]) -> Iterator[FakeGoogleForms]:
    with FakeGoogleForms(records) as api:
        yield api


@pytest.fixture
def settings(forms: FakeGoogleForms) -> dict[str, Any]:
    """tap-google-forms settings against the fake: small pages, quick retries."""
    return {"form_ids": FORM_IDS, **oauth_settings(forms)}


@pytest.fixture
def runner(tmp_path: Path) -> MeltanoRunner:
    return MeltanoRunner(installed_project(), tmp_path / "meltano", "tap-google-forms")
