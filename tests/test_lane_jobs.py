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
    (event,) = warehouse.query("SELECT JSON_VALUE(payload, '$.rejections') AS where_ "
                               "FROM event_log WHERE event_type = 'canonize.completed'")
    assert "FROM canonical_rejections" in str(event["where_"])  # where to read them
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


def test_scoring_one_instrument_leaves_the_others_pending(warehouse: Warehouse) -> None:
    load(warehouse, "google_forms", "forms-intake", "form_response", "responseId", forms(3))
    canonicalize_questionnaires(warehouse)
    assert score_phq9(warehouse)["scored"] == 3
    rest = score_measurements(warehouse)
    assert rest["responses"] == 3 and rest["events_inserted"] > 0
    per_response = warehouse.query(
        "SELECT c.idem_key, COUNTIF(m.instrument_id = 'gad7') AS gad7, "
        "COUNTIF(m.instrument_id = 'phq9') AS phq9 FROM canonical_objects c "
        "LEFT JOIN measurement_events m ON m.source_idem_key = c.idem_key "
        "WHERE c.canonical_kind = 'questionnaire_response' GROUP BY c.idem_key")
    assert len(per_response) == 3
    assert all(r["gad7"] == 1 and r["phq9"] == 1 for r in per_response)
    assert score_measurements(warehouse)["responses"] == 0


def test_a_measurement_from_another_binding_version_is_rescored(warehouse: Warehouse) -> None:
    load(warehouse, "google_forms", "forms-intake", "form_response", "responseId", forms(2))
    canonicalize_questionnaires(warehouse)
    score_measurements(warehouse)
    # As a row written under an older binding would be: another version, another hash.
    warehouse.execute("UPDATE measurement_events SET binding_version = '0.0.1', "
                      "payload_hash = 'old' WHERE instrument_id = 'gad7'")
    again = score_measurements(warehouse)
    assert again["responses"] == 2 and again["events_updated"] == 2
    versions = warehouse.query("SELECT DISTINCT binding_version FROM measurement_events")
    assert "0.0.1" not in {v["binding_version"] for v in versions}
    assert score_measurements(warehouse)["responses"] == 0


def test_a_binding_added_later_scores_old_responses(
    warehouse: Warehouse, monkeypatch: Any
) -> None:
    import final_form.jobs as jobs
    from final_form.binding import BindingRegistry, default_bindings
    from final_form.home_bindings import LoadedBindings

    shipped = default_bindings()
    intake = shipped.for_form(forms(1)[0]["formId"])
    assert intake is not None
    others = [b for f in shipped.form_ids() if (b := shipped.for_form(f)) is not intake]
    installed = jobs._bindings
    monkeypatch.setattr(jobs, "_bindings", lambda: LoadedBindings(BindingRegistry(others)))
    load(warehouse, "google_forms", "forms-intake", "form_response", "responseId", forms(2))
    canonicalize_questionnaires(warehouse)
    before = score_measurements(warehouse)
    assert before["responses"] == 0 and before["unbound"] == 2  # the form is not bound yet
    monkeypatch.setattr(jobs, "_bindings", installed)  # the binding arrives
    later = score_measurements(warehouse)
    assert later["responses"] == 2 and later["events_inserted"] > 0


def test_the_run_summary_counts_unreadable_answers(warehouse: Warehouse) -> None:
    record = forms(1)[0]
    answers = dict(record["answers"])
    for question_id, text in (("c562b2cf", "7"), ("9944f894", "banana")):  # PHQ-9 items 1, 2
        answers[question_id] = {"questionId": question_id,
                                "textAnswers": {"answers": [{"value": text}]}}
    load(warehouse, "google_forms", "forms-intake", "form_response", "responseId",
         [{**record, "answers": answers}])
    canonicalize_questionnaires(warehouse)
    summary = score_measurements(warehouse)
    assert summary["invalid_answers"] == 2
    flags = warehouse.query("SELECT JSON_VALUE(flags, '$.invalid_items[1]') AS second "
                            "FROM measurement_events WHERE instrument_id = 'phq9'")
    assert flags == [{"second": "phq9_2"}]


def test_an_unchanged_output_moves_its_source_hash(warehouse: Warehouse) -> None:
    records = forms(2)
    load(warehouse, "google_forms", "forms-intake", "form_response", "responseId", records)
    canonicalize_questionnaires(warehouse)
    # A raw change the transform ignores: the canonical output stays the same.
    load(warehouse, "google_forms", "forms-intake", "form_response", "responseId",
         [{**records[0], "x_ignored": 1}])
    again = canonicalize_questionnaires(warehouse)
    assert (again["processed"], again["unchanged"]) == (1, 1)
    assert canonicalize_questionnaires(warehouse)["processed"] == 0
    same = warehouse.query(
        "SELECT COUNTIF(c.source_payload_hash = r.payload_hash) AS n FROM canonical_objects c "
        "JOIN raw_objects r ON r.idem_key = c.source_idem_key")
    assert same == [{"n": 2}]


def test_a_rejection_is_removed_once_its_object_canonicalises(warehouse: Warehouse) -> None:
    session = next(iter(sample_data.iter_records(
        "dataverse", "dataverse-clinic", "clinical_session", size=200)))
    empty = {**session, "cr8f3_transcript": None, "cr8f3_notes": None, "cr8f3_summary": None}
    load(warehouse, "dataverse", "dataverse-clinic", "clinical_session",
         "cr8f3_clientsessionid", [empty])
    assert canonicalize_sessions(warehouse)["rejected"] == 3
    load(warehouse, "dataverse", "dataverse-clinic", "clinical_session",
         "cr8f3_clientsessionid", [{**empty, "cr8f3_notes": "Synthetic note."}])
    later = canonicalize_sessions(warehouse)
    assert later["rejected"] == 2
    kinds = warehouse.query("SELECT idem_key FROM canonical_rejections ORDER BY idem_key")
    assert len(kinds) == 2 and not any(k["idem_key"].endswith("#session_note") for k in kinds)
    assert canonicalize_sessions(warehouse)["processed"] == 0
