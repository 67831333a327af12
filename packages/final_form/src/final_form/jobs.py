"""final_form's lorchestra jobs: score canonical questionnaire responses into the warehouse.

``score_measurements`` reads canonical ``questionnaire_response`` objects that are new or
changed since they were last scored (``full=True`` rescores everything, e.g. after an
instrument definition changes version), builds rows with :func:`final_form.rows.build_rows`,
and writes ``measurement_events`` and ``observations`` through lorchestra's batched upsert.
Bindings are the packaged ones plus the practice's own ``<home>/bindings/*.json``. A broken
binding file is skipped and counted per file (``binding_errors``; ``doctor`` and ``forms
check`` say why), never stopping other forms. Responses of a form no binding covers are counted
per form (``unbound``, ``unbound_forms``) and left pending, so the first run after a binding is
added scores them.
It emits one ``measurement.scored`` event with counts, never answers. This module is the
plugin layer: it imports the lorchestra host API; the scoring engine never does.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from final_form.home_bindings import LoadedBindings, load_bindings
from final_form.rows import build_rows
from lorchestra.api import (
    LorchestraError,
    NotPHI,
    Warehouse,
    current_run,
    emit,
    parse_timestamp,
    upsert,
)

READ_BATCH = 2_000

_PENDING_SQL = """
SELECT c.idem_key, c.payload, c.payload_hash
FROM canonical_objects c
WHERE c.canonical_kind = 'questionnaire_response'
  AND (@full OR NOT EXISTS (
        SELECT 1 FROM measurement_events m
        WHERE m.source_idem_key = c.idem_key AND m.source_payload_hash = c.payload_hash))
ORDER BY c.idem_key
"""


def score_measurements(
    bq_client: Warehouse,
    instrument: Annotated[str | None, NotPHI] = None,
    full: bool = False,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Score every bound instrument of new or changed questionnaire responses."""
    totals: Counter[str] = Counter()
    diagnostics: Counter[str] = Counter()
    unbound: Counter[str] = Counter()
    loaded = _bindings()
    for batch in bq_client.iter_query(_PENDING_SQL, {"full": full}, batch_size=READ_BATCH):
        events: list[dict[str, Any]] = []
        observations: list[dict[str, Any]] = []
        for row in batch:
            totals["responses"] += 1
            try:
                built = build_rows(row["payload"], row["idem_key"], bindings=loaded.registry)
            except ValueError:
                totals["malformed"] += 1
                continue
            if any(d.get("code") == "unknown_form" for d in built.diagnostics):
                unbound[str(row["payload"].get("form_id"))] += 1
            diagnostics.update(str(d.get("code", "diagnostic")) for d in built.diagnostics)
            for event in built.measurement_events:
                if instrument and event["instrument_id"] != instrument:
                    continue
                events.append({**_timestamps(event), "source_payload_hash": row["payload_hash"]})
            wanted = {e["event_key"] for e in events}
            observations.extend(
                _timestamps(o) for o in built.observations if o["event_key"] in wanted
            )
        totals["scored"] += len(events)
        if dry_run or not events:
            continue
        result = upsert(bq_client, "measurement_events", events, emit_event=False)
        for name in ("inserted", "updated", "unchanged"):
            totals[f"events_{name}"] += result.counts()[name]
        obs = upsert(bq_client, "observations", observations, emit_event=False)
        totals["observations_written"] += obs.written
    names = (
        "responses",
        "scored",
        "malformed",
        "events_inserted",
        "events_updated",
        "events_unchanged",
        "observations_written",
    )
    counts: dict[str, Any] = {name: totals[name] for name in names}
    counts["unbound"] = sum(unbound.values())
    if unbound:
        counts["unbound_forms"] = dict(sorted(unbound.items()))
    if loaded.errors:
        # Counts are numbers only: the file names here, the messages in doctor and forms check.
        counts["binding_errors"] = dict(Counter(_file_of(e) for e in loaded.errors))
    if diagnostics:
        counts["diagnostics"] = dict(diagnostics)
    if not dry_run:
        emit(bq_client, "measurement.scored", "final_form", counts)
    return counts


def score_phq9(bq_client: Warehouse, full: bool = False, dry_run: bool = False) -> dict[str, Any]:
    """Score PHQ-9 only."""
    return score_measurements(bq_client, instrument="phq9", full=full, dry_run=dry_run)


def score_gad7(bq_client: Warehouse, full: bool = False, dry_run: bool = False) -> dict[str, Any]:
    """Score GAD-7 only."""
    return score_measurements(bq_client, instrument="gad7", full=full, dry_run=dry_run)


def _bindings() -> LoadedBindings:
    """The packaged bindings and, inside a run, the data home's own."""
    try:
        home = current_run().home
    except LorchestraError:
        home = None  # called directly (tests, notebooks): the packaged bindings only
    return load_bindings(home)


def _file_of(error: str) -> str:
    return error.split(":", 1)[0].rsplit("/", 1)[-1]


def _timestamps(row: dict[str, Any]) -> dict[str, Any]:
    value = row.get("occurred_at")
    if isinstance(value, str):
        return {**row, "occurred_at": parse_timestamp(value)}
    return row
