"""The ``export_fhir`` job: scored measurements as FHIR R4 Bulk-Data NDJSON files.

``lorchestra run-job final_form export_fhir [--since -30d] [--client <contact_id>]`` writes
``Patient.ndjson``, ``QuestionnaireResponse.ndjson`` and ``Observation.ndjson`` (one resource
per line, built by :mod:`final_form.fhir`) under ``<home>/exports/fhir/<run id>/``. The files
are written into a hidden sibling directory first and renamed into place when complete, so an
interrupted export leaves no half-written directory under its run id. Directories are 0700,
files 0600: the export holds protected health information. ``since`` keeps measurements taken
at or after it; ``client`` (a contact_id) keeps that client's. The job emits
``fhir.exported`` with counts only. This module is the plugin layer: it imports the host.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TextIO

import orjson

from final_form.fhir import observation, patient, questionnaire_response
from lorchestra.api import (
    PRIVATE_FILE,
    InvalidJobArguments,
    NotPHI,
    Warehouse,
    current_run,
    emit,
    private_dir,
)

EXPORT_DIR = ("exports", "fhir")
FILES = ("Patient", "QuestionnaireResponse", "Observation")
READ_BATCH = 5_000

_CONTACTS_SQL = (
    "SELECT JSON_VALUE(payload, '$.contact_id') AS contact_id, "
    "JSON_VALUE(payload, '$.first_name') AS first_name, "
    "JSON_VALUE(payload, '$.last_name') AS last_name, "
    "JSON_VALUE(payload, '$.full_name') AS full_name, "
    "LOWER(TRIM(JSON_VALUE(payload, '$.email'))) AS email, "
    "JSON_VALUE(payload, '$.birthdate') AS birthdate "
    "FROM canonical_objects WHERE canonical_kind = 'contact' ORDER BY contact_id"
)
_OBSERVATIONS_SQL = (
    "SELECT m.source_idem_key AS response_key, m.occurred_at AS authored, o.observation_key, "
    "o.subject_id, o.instrument_id, o.kind, o.code, o.loinc, o.value, o.label, o.occurred_at "
    "FROM observations o JOIN measurement_events m ON m.event_key = o.event_key "
    "WHERE {where} ORDER BY m.source_idem_key, o.observation_key"
)


def export_fhir(
    bq_client: Warehouse,
    since: Annotated[datetime | None, NotPHI] = None,
    client: str | None = None,
) -> dict[str, Any]:
    """Write the measurements as FHIR R4 NDJSON under <home>/exports/fhir/<run id>/."""
    contacts = {c["email"]: c for c in bq_client.query(_CONTACTS_SQL) if c.get("email")}
    conditions, params = ["TRUE"], {}
    if client is not None:
        email = next((e for e, c in contacts.items() if c["contact_id"] == client), None)
        if email is None:
            raise InvalidJobArguments(f"--client {client!r} is not a known contact_id")
        conditions.append("m.subject_id = @subject")
        params["subject"] = email
    if since is not None:
        conditions.append("m.occurred_at >= @since")
        params["since"] = since
    sql = _OBSERVATIONS_SQL.format(where=" AND ".join(conditions))

    home, run_id = _home_and_run()
    parent = private_dir(home.joinpath(*EXPORT_DIR))
    final = parent / run_id
    partial = parent / f".{run_id}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    private_dir(partial)
    counts = {"patients": 0, "questionnaire_responses": 0, "observations": 0}
    try:
        handles = {name: _open(partial / f"{name}.ndjson", PRIVATE_FILE) for name in FILES}
        try:
            subjects: set[str] = set()
            for rows in _responses(bq_client.iter_query(sql, params, batch_size=READ_BATCH)):
                first = rows[0]
                subjects.add(str(first["subject_id"]))
                key = str(first["response_key"])
                _line(handles["QuestionnaireResponse"], questionnaire_response(
                    key, str(first["subject_id"]), first["authored"], rows))  # fmt: skip
                counts["questionnaire_responses"] += 1
                for row in rows:
                    _line(handles["Observation"], observation(row, key))
                    counts["observations"] += 1
            for subject_id in sorted(subjects):
                _line(handles["Patient"], patient(subject_id, contacts.get(subject_id)))
                counts["patients"] += 1
        finally:
            for handle in handles.values():
                handle.flush()
                os.fsync(handle.fileno())
                handle.close()
        os.replace(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    emit(bq_client, "fhir.exported", "final_form", counts)
    return {**counts, "written": sum(counts.values())}


def _responses(batches: Iterator[list[dict[str, Any]]]) -> Iterator[list[dict[str, Any]]]:
    """Group observation rows (ordered by response) into one list per response."""
    current: list[dict[str, Any]] = []
    for batch in batches:
        for row in batch:
            if current and row["response_key"] != current[0]["response_key"]:
                yield current
                current = []
            current.append(row)
    if current:
        yield current


def _open(path: Path, mode: int) -> TextIO:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    return os.fdopen(fd, "w", encoding="utf-8")


def _line(handle: TextIO, resource: dict[str, Any]) -> None:
    handle.write(orjson.dumps(resource).decode("utf-8") + "\n")


def _home_and_run() -> tuple[Path, str]:
    run = current_run()
    return run.home, run.run_id
