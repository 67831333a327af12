"""tap-stripe test fixtures: synthetic Stripe objects, a FakeStripe, an isolated Meltano runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sample_data
from tests.support.fake_apis.meltano_runs import MeltanoRunner, installed_project
from tests.support.fake_apis.stripe import RESOURCES, FakeStripe
from tests.support.fake_apis.tap_checks import fake_api_settings


@pytest.fixture(scope="session")
def objects() -> dict[str, list[dict[str, Any]]]:
    """One synthetic practice's objects by stream, oldest first (by created, then id)."""
    return {
        stream: sorted(sample_data.iter_records("stripe", "stripe-practice", kind, size=300),
                       key=lambda item: (item["created"], item["id"]))
        for stream, kind in RESOURCES.items()
    }


@pytest.fixture
def invoices(objects: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return objects["invoices"]


@pytest.fixture
def stripe(objects: dict[str, list[dict[str, Any]]]) -> Iterator[FakeStripe]:
    with FakeStripe(item for found in objects.values() for item in found) as api:
        yield api


@pytest.fixture
def settings(stripe: FakeStripe) -> dict[str, Any]:
    """tap-stripe settings against the fake: small pages, quick retries."""
    return {"api_key": stripe.api_key, **fake_api_settings(stripe)}


@pytest.fixture
def runner(tmp_path: Path) -> MeltanoRunner:
    return MeltanoRunner(installed_project(), tmp_path / "meltano", "tap-stripe")
