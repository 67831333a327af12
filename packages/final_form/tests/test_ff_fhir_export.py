"""export_fhir: FHIR R4 Bulk-Data NDJSON, every resource validated with the FHIR R4B models of
``fhir.resources`` 8.x (``fhir.resources.R4B``: FHIR 4.3, the R4 line; the package's default
models are R5). Links, LOINC codes, ``--since``/``--client``, private files, bad client.

Synthetic data only: two clients' intake forms (PHQ-9 + GAD-7) scored with build_rows into a
DuckDB warehouse, one with PHQ-9 item 3 unanswered.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import final_form as ff
from final_form.fhir_export import export_fhir
from lorchestra.config import Settings
from lorchestra.errors import InvalidJobArguments
from lorchestra.run_context import RunContext, running
from lorchestra.stack_clients.event_client import upsert
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.duckdb_backend import DuckDBWarehouse

FREQ = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
PHQ9_ITEMS = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
              "44253-3", "44260-8"]  # fmt: skip


def _timestamps(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "occurred_at": datetime.fromisoformat(row["occurred_at"].replace("Z", "+00:00"))}


@pytest.fixture
def warehouse(tmp_path: Path, qid: Callable[..., str],
              canonical_response: Callable[..., dict[str, Any]]) -> Iterator[DuckDBWarehouse]:
    wh = DuckDBWarehouse(tmp_path / "warehouse.duckdb")
    wh.ensure_tables(installed_tables().values())

    def intake(phq9: Sequence[int | None], gad7: Sequence[int]) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        for position, value in enumerate(phq9, start=1):
            if value is not None:
                answers[qid("form_intake_v1", "phq9", position)] = FREQ[value]
        for position, value in enumerate(gad7, start=1):
            answers[qid("form_intake_v1", "gad7", position)] = FREQ[value]
        return answers

    forms = (
        ("r1", "ana@example.test", "2026-03-02T09:00:00Z", [1, 2, 0, 1, 3, 0, 1, 2, 1]),
        ("r2", "ana@example.test", "2026-03-16T09:00:00Z", [0, 1, None, 0, 1, 0, 0, 1, 0]),
        ("r3", "ben@example.test", "2026-03-09T09:00:00Z", [2, 2, 2, 2, 2, 2, 2, 2, 0]),
    )
    events, observations = [], []
    for response_id, email, at, phq9 in forms:
        response = canonical_response("form_intake_v1", intake(phq9, [1, 1, 1, 0, 0, 2, 1]),
                                      external_id=None, email=email, submitted_at=at,
                                      response_id=response_id)  # fmt: skip
        rows = ff.build_rows(response, f"google_forms:test:questionnaire_response:{response_id}")
        events += [_timestamps(e) for e in rows.measurement_events]
        observations += [_timestamps(o) for o in rows.observations]
    contacts = [
        {"idem_key": f"dataverse:test:contact:{cid}#contact",
         "source_idem_key": f"dataverse:test:contact:{cid}",
         "canonical_schema": "iglu:org.canonical/contact/jsonschema/1-0-0",
         "canonical_kind": "contact", "transform_ref": "synthetic/contact@1.0.0",
         "payload": {"contact_id": cid, "first_name": first, "last_name": "Synthetic",
                     "full_name": f"{first} Synthetic", "email": email,
                     "birthdate": "1990-01-01"},
         "canonicalized_at": datetime(2026, 3, 1, tzinfo=UTC)}
        for cid, first, email in (("c-1", "Ana", "ana@example.test"),
                                  ("c-2", "Ben", "ben@example.test"))
    ]  # fmt: skip
    upsert(wh, "canonical_objects", contacts, emit_event=False)
    upsert(wh, "measurement_events", events, emit_event=False)
    upsert(wh, "observations", observations, emit_event=False)
    yield wh
    wh.close()


def run_export(wh: DuckDBWarehouse, home: Path, run_id: str, **kwargs: Any) -> dict[str, Any]:
    with running(RunContext(run_id, home=home, settings=Settings(home=home))):
        return export_fhir(wh, **kwargs)


def read(directory: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (directory / f"{name}.ndjson").read_text().splitlines()]


def validate(resource: dict[str, Any]) -> None:
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def test_every_resource_validates_and_links(warehouse: DuckDBWarehouse, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run_export(warehouse, home, "run-1")
    directory = home / "exports" / "fhir" / "run-1"
    for path in (home / "exports", home / "exports" / "fhir", directory):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    assert sorted(p.name for p in directory.iterdir()) == [
        "Observation.ndjson", "Patient.ndjson", "QuestionnaireResponse.ndjson"]
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    patients = read(directory, "Patient")
    responses = read(directory, "QuestionnaireResponse")
    observations = read(directory, "Observation")
    assert (result["patients"], result["questionnaire_responses"]) == (2, 3)
    # Per form: 9 + 1 PHQ-9 items, 7 + 1 GAD-7 items, one total each.
    assert result["observations"] == len(observations) == 3 * (10 + 8 + 2)
    for resource in patients + responses + observations:
        validate(resource)
    # Required bindings the models do not check (FHIR R4 ObservationStatus and
    # QuestionnaireResponseStatus value sets).
    assert {o["status"] for o in observations} <= {"registered", "preliminary", "final",
                                                   "amended"}  # fmt: skip
    assert {r["status"] for r in responses} <= {"in-progress", "completed", "amended",
                                                "entered-in-error", "stopped"}  # fmt: skip

    patient_ids = {p["id"] for p in patients}
    response_ids = {r["id"] for r in responses}
    assert {p["name"][0]["text"] for p in patients} == {"Ana Synthetic", "Ben Synthetic"}
    for response in responses:
        assert response["subject"]["reference"].removeprefix("Patient/") in patient_ids
        assert [g["linkId"] for g in response["item"]] == ["gad7", "phq9"]
    for obs in observations:
        assert obs["subject"]["reference"].removeprefix("Patient/") in patient_ids
        assert obs["derivedFrom"][0]["reference"].removeprefix("QuestionnaireResponse/") in (
            response_ids
        )

    def coded(code: str) -> list[dict[str, Any]]:
        return [o for o in observations if o["code"]["coding"][0]["code"] == code
                and o["code"]["coding"][0]["system"] == "http://loinc.org"]  # fmt: skip

    phq9_totals = coded("44261-6")
    # r2 has 8 of 9 items answered, 3 in all: prorated to 3 * 9 / 8.
    assert sorted(o["valueQuantity"]["value"] for o in phq9_totals) == [3.375, 11.0, 16.0]
    assert {o["interpretation"][0]["text"] for o in phq9_totals} == {"minimal", "moderate",
                                                                     "moderately severe"}
    assert len(coded("70274-6")) == 3
    for code in PHQ9_ITEMS:
        assert len(coded(code)) == 3
    absent = [o for o in coded("44259-0") if "dataAbsentReason" in o]
    assert len(absent) == 1 and "valueInteger" not in absent[0]  # r2's unanswered item 3
    assert "http" not in json.dumps(patients).replace("http://loinc.org", "")


def test_the_validator_rejects_a_broken_resource(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    run_export(warehouse, tmp_path / "home", "run-2")
    good = read(tmp_path / "home" / "exports" / "fhir" / "run-2", "Observation")[0]
    # (fhir.resources checks structure and types, not value sets: statuses are checked above.)
    for broken in ({**good, "unknownField": 1}, {**good, "valueInteger": "three"},
                   {k: v for k, v in good.items() if k != "code"}):  # fmt: skip
        with pytest.raises(ValueError):
            validate(broken)


def test_since_and_client_narrow_the_export(warehouse: DuckDBWarehouse, tmp_path: Path) -> None:
    home = tmp_path / "home"
    since = run_export(warehouse, home, "run-since", since=datetime(2026, 3, 9, tzinfo=UTC))
    assert (since["patients"], since["questionnaire_responses"]) == (2, 2)
    ana = run_export(warehouse, home, "run-client", client="c-1")
    assert (ana["patients"], ana["questionnaire_responses"]) == (1, 2)
    patients = read(home / "exports" / "fhir" / "run-client", "Patient")
    assert patients[0]["telecom"][0]["value"] == "ana@example.test"


def test_unknown_client_is_refused_and_nothing_is_written(
    warehouse: DuckDBWarehouse, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    with pytest.raises(InvalidJobArguments, match="--client 'nobody' is not a known contact_id"):
        run_export(warehouse, home, "run-bad", client="nobody")
    assert not (home / "exports").exists()
