"""The tables final_form's scoring jobs write, declared to lorchestra (``lorchestra.tables``)."""

from __future__ import annotations

from lorchestra.api import TableSpec, columns

MEASUREMENT_EVENTS = TableSpec(
    name="measurement_events",
    columns=columns(
        "event_key STRING!, source_idem_key STRING!, subject_id STRING!, instrument_id STRING!, "
        "instrument_version STRING, binding_id STRING, binding_version STRING, "
        "occurred_at TIMESTAMP, score FLOAT64, band STRING, scales JSON, bands JSON, "
        "flags JSON, n_missing INT64, prorated BOOL, functional_difficulty INT64, "
        "source_payload_hash STRING, payload_hash STRING!"
    ),
    cluster_by=("subject_id", "instrument_id"),
    key="event_key",
    backup_kind="measurement",
    references={"source_idem_key": "canonical_objects.idem_key"},
    description="One scored instrument per questionnaire response.",
    derived=True,
)

OBSERVATIONS = TableSpec(
    name="observations",
    columns=columns(
        "observation_key STRING!, event_key STRING!, subject_id STRING!, instrument_id STRING!, "
        "kind STRING!, code STRING!, loinc STRING, value FLOAT64, label STRING, missing BOOL, "
        "occurred_at TIMESTAMP, payload_hash STRING!"
    ),
    cluster_by=("subject_id", "instrument_id", "event_key"),
    key="observation_key",
    backup_kind="measurement",
    references={"event_key": "measurement_events.event_key"},
    description="One row per item and per scale of a measurement event.",
    derived=True,
)

TABLES = (MEASUREMENT_EVENTS, OBSERVATIONS)
