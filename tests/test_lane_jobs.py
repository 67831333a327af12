"""The canonizer and final_form jobs on both backends: incremental, idempotent, lineage kept."""

from __future__ import annotations

from typing import Any

import sample_data
from canonizer.jobs import canonicalize_questionnaires, canonicalize_sessions
from final_form.jobs import score_measurements, score_phq9
from lorchestra.stack_clients.event_client import upsert_objects
from lorchestra.warehouse import Warehouse


def load(warehouse: Warehouse, source: str, connection: str, object_type: str, id_field: str,
         records: list[dict[str, Any]]) -> None:
    upsert_objects(warehouse, records, source_system=source, connection_name=connection,
                   object_type=object_type, external_id=id_field, emit_event=False)


def forms(n: int) -> list[dict[str, Any]]:
    records = sample_data.iter_records("google_forms", "forms-intake", "form_response", size=200)
    return [r for _, r in zip(range(n), records, strict=False)]


def test_canonize_is_incremental_and_keeps_lineage(warehouse: Warehouse) -> None:
    records = forms(3)
    load(warehouse, "google_forms", "forms-intake", "form_response", "responseId", records)
    first = canonicalize_questionnaires(warehouse)
    assert (first["processed"], first["inserted"], first["rejected"]) == (3, 3, 0)
    assert canonicalize_questionnaires(warehouse)["processed"] == 0

    changed = {**records[0], "lastSubmittedTime": "2026-11-19T10:00:00Z"}
    load(warehouse, "google_forms", "forms-intake", "form_response", "responseId", [changed])
    again = canonicalize_questionnaires(warehouse)
    assert (again["processed"], again["updated"]) == (1, 1)
    full = canonicalize_questionnaires(warehouse, full=True)
    assert (full["processed"], full["unchanged"]) == (3, 3)

    rows = warehouse.query(
        "SELECT c.source_idem_key, c.transform_ref, c.source_payload_hash = r.payload_hash AS same "
        "FROM canonical_objects c JOIN raw_objects r ON r.idem_key = c.source_idem_key"
    )
    assert len(rows) == 3 and all(r["same"] for r in rows)
    assert {r["transform_ref"] for r in rows} == {
        "forms/google_forms_to_questionnaire_response@1.0.0"}


def test_rejections_are_recorded_and_not_retried(warehouse: Warehouse) -> None:
    session = next(iter(sample_data.iter_records(
        "dataverse", "dataverse-clinic", "clinical_session", size=200)))
    empty = {**session, "cr8f3_transcript": None, "cr8f3_notes": None, "cr8f3_summary": None}
    load(warehouse, "dataverse", "dataverse-clinic", "clinical_session",
         "cr8f3_clientsessionid", [empty])
    first = canonicalize_sessions(warehouse)
    assert (first["inserted"], first["rejected"]) == (1, 3)  # the session, not its documents
    reasons = warehouse.query("SELECT reason FROM canonical_rejections")
    assert len(reasons) == 3
    assert canonicalize_sessions(warehouse)["processed"] == 0


def test_scoring_is_incremental_and_filters_instruments(warehouse: Warehouse) -> None:
    load(warehouse, "google_forms", "forms-intake", "form_response", "responseId", forms(2))
    canonicalize_questionnaires(warehouse)
    only_phq9 = score_phq9(warehouse)
    assert only_phq9["scored"] == 2
    events = warehouse.query("SELECT instrument_id, COUNT(*) AS n FROM measurement_events "
                             "GROUP BY instrument_id")
    assert events == [{"instrument_id": "phq9", "n": 2}]
    everything = score_measurements(warehouse, full=True)
    assert (everything["events_inserted"], everything["events_unchanged"]) == (2, 2)
    assert score_measurements(warehouse)["responses"] == 0
    observations = warehouse.query(
        "SELECT kind, COUNT(*) AS n FROM observations WHERE instrument_id = 'phq9' "
        "GROUP BY kind ORDER BY kind")
    # 10 items (9 + difficulty) and the total per response.
    assert [(o["kind"], o["n"]) for o in observations] == [("item", 20), ("scale", 2)]
