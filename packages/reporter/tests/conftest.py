"""Fixtures for reporter's own tests: a seeded DuckDB warehouse and a private data home.

Everything is synthetic. Helpers are offered as fixtures rather than imported, so the tests run
under any pytest import mode alongside the other packages' suites. The views are created in the
fixture warehouse; the jobs run inside a ``RunContext`` whose home is the test's own.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from canonizer.email_messages import EMAIL_KIND, catch_up
from lorchestra.config import Settings
from lorchestra.run_context import RunContext, running
from lorchestra.stack_clients.event_client import upsert
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse
from reporter.projections import create_views


class Seeder:
    """Writes synthetic canonical objects and measurement events into a warehouse."""

    def __init__(self, warehouse: DuckDBWarehouse) -> None:
        self.warehouse = warehouse

    def canonical(self, kind: str, external_id: str, payload: dict[str, Any]) -> None:
        source = f"synthetic:test:{kind}:{external_id}"
        upsert(
            self.warehouse,
            "canonical_objects",
            [
                {
                    "idem_key": f"{source}#{kind}",
                    "source_idem_key": source,
                    "canonical_schema": f"iglu:org.canonical/{kind}/jsonschema/1-0-0",
                    "canonical_kind": kind,
                    "transform_ref": f"synthetic/{kind}@1.0.0",
                    "payload": payload,
                    "canonicalized_at": datetime(2026, 3, 20, tzinfo=UTC),
                }
            ],
            emit_event=False,
        )
        if kind == EMAIL_KIND:
            catch_up(self.warehouse)  # the email's columns the views read, as the canonizer does

    def delete(self, kind: str, external_id: str) -> None:
        self.warehouse.execute(
            "DELETE FROM canonical_objects WHERE idem_key = @key",
            {"key": f"synthetic:test:{kind}:{external_id}#{kind}"},
        )
        if kind == EMAIL_KIND:
            catch_up(self.warehouse)

    def contact(self, contact_id: str, name: str, email: str) -> None:
        first, _, last = name.partition(" ")
        self.canonical(
            "contact",
            contact_id,
            {
                "contact_id": contact_id, "first_name": first, "last_name": last,
                "full_name": name, "email": email,
                "phones": {"business": None, "mobile": "(555) 555-0100"},
                "birthdate": "1990-01-01",
                "address": {"line1": "1 Synthetic Way", "city": "Testville",
                            "state_or_province": "TS", "postal_code": "00000"},
                "created_at": "2026-01-01T00:00:00Z", "modified_at": "2026-01-01T00:00:00Z",
                "active": True,
            },
        )  # fmt: skip

    def session(self, session_id: str, contact_id: str, when: str, note: str = "Note.") -> None:
        self.canonical(
            "clinical_session",
            session_id,
            {
                "session_id": session_id, "contact_id": contact_id, "session_date": when,
                "status": "active", "status_reason": 1, "created_at": when, "modified_at": when,
                "has_transcript": True, "has_notes": True, "has_summary": True,
            },
        )  # fmt: skip
        texts = {
            "transcript": "Clinician: How was the week?\nClient: Steady.",
            "note": note,
            "summary": "Stable; continue plan.",
        }
        for kind, text in texts.items():
            canonical_kind = {"note": "session_note"}.get(kind, f"session_{kind}")
            self.canonical(
                canonical_kind,
                f"{session_id}:{kind}",
                {
                    "document_id": f"{session_id}:{kind}", "session_id": session_id,
                    "contact_id": contact_id, "kind": kind, "text": text,
                    "created_at": when, "modified_at": when,
                },
            )  # fmt: skip

    def report(self, report_id: str, contact_id: str, session_id: str, when: str) -> None:
        self.canonical(
            "clinical_report",
            report_id,
            {
                "report_id": report_id, "contact_id": contact_id, "session_id": session_id,
                "report_type": "progress", "title": "Alex Client - Progress report",
                "report_date": when, "text": "Report on sessions 1-2.\n\nSleep is better.",
                "status": "active", "status_reason": 1, "created_at": when, "modified_at": when,
            },
        )  # fmt: skip

    def measurement(
        self,
        key: str,
        subject: str,
        instrument: str,
        at: str,
        score: float,
        band: str | None,
        item9: bool | None = None,
        response: str | None = None,
        invalid: list[str] | None = None,
    ) -> None:
        flags: dict[str, Any] = {"item9_positive": item9} if instrument == "phq9" else {}
        if invalid:
            flags["invalid_items"] = invalid
        upsert(
            self.warehouse,
            "measurement_events",
            [
                {
                    "event_key": key, "source_idem_key": response or f"synthetic:{key}",
                    "subject_id": subject, "instrument_id": instrument,
                    "instrument_version": "1.0.0",
                    "occurred_at": datetime.fromisoformat(at.replace("Z", "+00:00")),
                    "score": score, "band": band, "scales": {"total": score},
                    "bands": {"total": band}, "flags": flags, "n_missing": 0,
                    "prorated": False,
                }
            ],
            emit_event=False,
        )  # fmt: skip
        self.scale_observations(key, subject, instrument, at, {"total": (score, band)})

    def scored(
        self, key: str, subject: str, instrument: str, at: str,
        scales: dict[str, float | None], response: str | None = None,
    ) -> None:
        """A multi-scale administration (no total): its event and one row per scale."""
        first = next(iter(scales.values()))
        upsert(
            self.warehouse,
            "measurement_events",
            [
                {
                    "event_key": key, "source_idem_key": response or f"synthetic:{key}",
                    "subject_id": subject, "instrument_id": instrument,
                    "instrument_version": "1.0.0",
                    "occurred_at": datetime.fromisoformat(at.replace("Z", "+00:00")),
                    "score": first, "band": None, "scales": scales, "bands": {}, "flags": {},
                    "n_missing": 0, "prorated": False,
                }
            ],
            emit_event=False,
        )  # fmt: skip
        self.scale_observations(
            key, subject, instrument, at, {k: (v, None) for k, v in scales.items()}
        )

    def scale_observations(
        self, key: str, subject: str, instrument: str, at: str,
        scales: dict[str, tuple[float | None, str | None]],
    ) -> None:
        """The scale rows of a measurement event (what measurement_timeseries reads)."""
        upsert(
            self.warehouse,
            "observations",
            [
                {
                    "observation_key": f"{key}/scale/{scale_id}", "event_key": key,
                    "subject_id": subject, "instrument_id": instrument, "kind": "scale",
                    "code": scale_id, "value": value, "label": band, "missing": value is None,
                    "occurred_at": datetime.fromisoformat(at.replace("Z", "+00:00")),
                }
                for scale_id, (value, band) in scales.items()
            ],
            emit_event=False,
        )  # fmt: skip


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir(mode=0o700)
    path.chmod(0o700)
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    wh.ensure_tables(installed_tables().values())
    yield wh
    wh.close()


@pytest.fixture
def seeder(warehouse: DuckDBWarehouse) -> Seeder:
    """Two clients with sessions and scores, and the views created."""
    seed = Seeder(warehouse)
    seed.contact("c-0001", "Alex Client", "Alex.Client@Example.test")
    seed.contact("c-0002", "Blair Client", "blair@example.test")
    seed.session("s-0001", "c-0001", "2026-03-03T15:00:00Z")
    seed.session("s-0002", "c-0001", "2026-03-10T15:00:00Z")
    seed.session("s-0003", "c-0002", "2026-03-04T15:00:00Z")
    seed.measurement(
        "e1",
        "alex.client@example.test",
        "phq9",
        "2026-03-02T10:00:00Z",
        12,
        "moderate",
        item9=False,
    )
    seed.measurement(
        "e2", "alex.client@example.test", "phq9", "2026-03-09T10:00:00Z", 8, "mild", item9=True
    )
    seed.measurement("g1", "blair@example.test", "gad7", "2026-03-02T10:00:00Z", 9, "mild")
    create_views(warehouse)
    return seed  # fmt: skip


@pytest.fixture
def run_job(home: Path, warehouse: DuckDBWarehouse) -> Callable[..., dict[str, Any]]:
    """Call a job the way the runner does: inside a run whose home is the test home."""
    numbers = itertools.count(1)

    def call(job: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
        context = RunContext(f"run-{next(numbers)}", home=home, settings=Settings(home=home))
        with running(context):
            return job(warehouse, **kwargs)

    return call
