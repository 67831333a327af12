"""final_form's lorchestra jobs: score canonical questionnaire responses into the warehouse.

``score_measurements`` scores what is pending, per (response, instrument, binding version,
instrument version): a response is read again when one of the instruments its form's binding
carries has no measurement for the response's current payload, or has one from another binding
or instrument version. So ``score_phq9`` followed by ``score_measurements`` still writes GAD-7,
and a binding added or changed later scores old responses, without ``--full`` (which rescores
everything). Bindings are the packaged ones plus the practice's own
``<home>/bindings/*.json``; a broken binding file is skipped and counted per file
(``binding_errors``; ``doctor`` and ``forms check`` say why), never stopping other forms.
Responses of a form no binding covers are counted per form (``unbound``, ``unbound_forms``) and
left pending. Rows are built with :func:`final_form.rows.build_rows` and written to
``measurement_events`` and ``observations`` through lorchestra's batched upsert, then one
``measurement.scored`` event carries the counts, never answers. This module is the plugin
layer: it imports the lorchestra host API; the scoring engine never does.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Annotated, Any

from final_form.binding import BindingRegistry
from final_form.home_bindings import LoadedBindings, load_bindings
from final_form.registry import default_registry
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

# One row per response with what is already scored for its current payload; which instruments
# are still owed is decided in Python, against the bindings installed now.
_SCORED_SQL = """
SELECT c.idem_key, JSON_VALUE(c.payload, '$.form_id') AS form_id,
       STRING_AGG(CONCAT(m.instrument_id, '@', COALESCE(m.instrument_version, ''), '/',
                         COALESCE(m.binding_id, ''), '@', COALESCE(m.binding_version, '')),
                  ',') AS scored
FROM canonical_objects c
LEFT JOIN measurement_events m
  ON m.source_idem_key = c.idem_key AND m.source_payload_hash = c.payload_hash
WHERE c.canonical_kind = 'questionnaire_response'
GROUP BY c.idem_key, JSON_VALUE(c.payload, '$.form_id')
ORDER BY c.idem_key
"""

_PAYLOADS_SQL = """
SELECT c.idem_key, c.payload, c.payload_hash
FROM canonical_objects c
WHERE c.canonical_kind = 'questionnaire_response' AND c.idem_key IN UNNEST(@keys)
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
    for batch in _pending(bq_client, loaded.registry, instrument, full, unbound):
        events: list[dict[str, Any]] = []
        observations: list[dict[str, Any]] = []
        for row in batch:
            totals["responses"] += 1
            try:
                built = build_rows(row["payload"], row["idem_key"], bindings=loaded.registry)
            except ValueError:
                totals["malformed"] += 1
                continue
            diagnostics.update(str(d.get("code", "diagnostic")) for d in built.diagnostics)
            for event in built.measurement_events:
                if instrument and event["instrument_id"] != instrument:
                    continue
                events.append({**_timestamps(event), "source_payload_hash": row["payload_hash"]})
                totals["invalid_answers"] += len(event["flags"].get("invalid_items", ()))
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
        "invalid_answers",
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


def expected_signatures(
    bindings: BindingRegistry, instrument: str | None = None
) -> dict[str, set[str]]:
    """Per bound form id, the ``instrument@version/binding@version`` a response of it is owed."""
    registry = default_registry()
    owed: dict[str, set[str]] = {}
    for form_id in bindings.form_ids():
        binding = bindings.for_form(form_id)
        assert binding is not None  # form_ids() lists only bound forms
        owed[form_id] = {
            f"{part.instrument}@{registry.get(part.instrument).version}/"
            f"{binding.id}@{binding.version}"
            for part in binding.instruments
            if instrument is None or part.instrument == instrument
        }
    return owed


def _pending(
    bq_client: Warehouse,
    bindings: BindingRegistry,
    instrument: str | None,
    full: bool,
    unbound: Counter[str],
) -> Iterator[list[dict[str, Any]]]:
    """Batches of responses (idem_key, payload, payload_hash) with a measurement owed.

    Responses of a form no binding covers are counted per form in ``unbound`` and left pending
    (not read), so the first run after a binding is added scores them.
    """
    owed = expected_signatures(bindings, instrument)
    keys: list[str] = []
    for batch in bq_client.iter_query(_SCORED_SQL, batch_size=READ_BATCH * 5):
        for row in batch:
            form_id = str(row["form_id"])
            if form_id not in owed:
                unbound[form_id] += 1
                if not full:
                    continue
            wanted = owed.get(form_id, set())
            scored = set(filter(None, str(row["scored"] or "").split(",")))
            if full or not wanted <= scored:
                keys.append(row["idem_key"])
    for start in range(0, len(keys), READ_BATCH):
        chunk = keys[start : start + READ_BATCH]
        yield bq_client.query(_PAYLOADS_SQL, {"keys": chunk})


def _timestamps(row: dict[str, Any]) -> dict[str, Any]:
    value = row.get("occurred_at")
    if isinstance(value, str):
        return {**row, "occurred_at": parse_timestamp(value)}
    return row
