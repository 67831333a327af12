"""Pure row building: one canonical questionnaire response in, warehouse rows out.

:func:`build_rows` takes a canonical ``questionnaire_response`` dict and its idem_key and
returns, for every instrument its form's binding carries, one ``measurement_event`` row and
``observation`` rows (one per item, the difficulty item included, and one per scale), plus
diagnostics. It does no I/O, so the warehouse jobs that wrap it stay thin and re-running it
on the same input gives byte-identical rows with the same keys (``event_key`` is
``{source_idem_key}#{instrument_id}``, ``observation_key`` is ``{event_key}/{kind}/{code}``).
A malformed envelope (a required key missing or of the wrong type, an unparsable or
zone-less ``submitted_at``) raises ``ValueError`` naming the field; problems in the content
(an unbound form, an unknown answer, no subject identifier) become diagnostics, and the
diagnostics never contain answer text or respondent details. An answer that was given but
could not be read (out of range, not an option of the item, the wrong type, given twice) is
scored as missing under the instrument's published missing-item rule and listed by item id in
the event's ``flags.invalid_items``, so it is never silently prorated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from final_form.binding import BindingRegistry, BoundResponses, default_bindings, map_answers
from final_form.definition import InstrumentDefinition
from final_form.diagnostics import Diagnostic
from final_form.engine import Score, score_definition
from final_form.registry import InstrumentRegistry, default_registry

Row = dict[str, Any]


@dataclass(frozen=True)
class RowSet:
    """The rows built from one response, in a deterministic order."""

    measurement_events: list[Row] = field(default_factory=list)
    observations: list[Row] = field(default_factory=list)
    diagnostics: list[Row] = field(default_factory=list)


def build_rows(
    response: Mapping[str, Any],
    idem_key: str,
    *,
    instruments: InstrumentRegistry | None = None,
    bindings: BindingRegistry | None = None,
) -> RowSet:
    """Score every instrument bound to ``response``'s form and build its rows.

    ``instruments`` and ``bindings`` default to the ones shipped with the package. Every
    instrument is scored with its definition's default (primary) missing-item policy.
    """
    instruments = instruments or default_registry()
    bindings = bindings or default_bindings()
    if not isinstance(idem_key, str) or not idem_key:
        raise ValueError("idem_key: must be a non-empty string")
    form_id, occurred_at, answers = _check_envelope(response)

    binding = bindings.for_form(form_id)
    if binding is None:
        return RowSet(diagnostics=[_diagnostic("unknown_form", f"form {form_id} has no binding")])
    subject_id = subject_for(response.get("respondent"))
    if subject_id is None:
        return RowSet(
            diagnostics=[
                _diagnostic(
                    "no_subject",
                    "the respondent has neither an external_id nor an email; nothing scored",
                )
            ]
        )

    bound, diagnostics = map_answers(binding, answers, instruments)
    result = RowSet(diagnostics=[d.as_dict() for d in diagnostics])
    for part in bound:
        definition = instruments.get(part.instrument_id)
        score = score_definition(definition, part.responses, difficulty=part.difficulty)
        event_key = f"{idem_key}#{definition.id}"
        observations = _observations(definition, part, score, event_key, subject_id, occurred_at)
        primary = "total" if "total" in score.scales else definition.scales[0].id
        flags: dict[str, Any] = dict(score.flags)
        if part.invalid:
            # Never a silent missing item: the ids of the answers that could not be read.
            flags["invalid_items"] = list(part.invalid)
        event: Row = {
            "event_key": event_key,
            "source_idem_key": idem_key,
            "subject_id": subject_id,
            "instrument_id": definition.id,
            "instrument_version": definition.version,
            "binding_id": binding.id,
            "binding_version": binding.version,
            "occurred_at": occurred_at,
            "score": score.scales[primary],
            "band": score.bands.get(primary),
            "scales": dict(score.scales),
            "bands": dict(score.bands),
            "flags": flags,
            "n_missing": score.n_missing,
            "prorated": score.prorated,
            "functional_difficulty": score.functional_difficulty,
        }
        # The hash covers the observations too: two responses can share every scale value
        # yet differ item by item, and the warehouse skips rows whose hash is unchanged.
        event["payload_hash"] = payload_hash(event, observations)
        result.measurement_events.append(event)
        result.observations.extend(observations)
    return result


def subject_for(respondent: object) -> str | None:
    """``external_id`` when present, else the email lower-cased and stripped, else None."""
    if not isinstance(respondent, Mapping):
        return None
    external_id = respondent.get("external_id")
    if isinstance(external_id, str) and external_id.strip():
        return external_id.strip()
    email = respondent.get("email")
    if isinstance(email, str) and email.strip():
        return email.strip().lower()
    return None


def payload_hash(event: Mapping[str, Any], observations: Sequence[Mapping[str, Any]]) -> str:
    """SHA-256 of the canonical JSON of an event (without its hash) and its observations."""
    body = {
        "event": {k: v for k, v in event.items() if k != "payload_hash"},
        "observations": list(observations),
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _observations(
    definition: InstrumentDefinition,
    part: BoundResponses,
    score: Score,
    event_key: str,
    subject_id: str,
    occurred_at: str,
) -> list[Row]:
    def row(kind: str, code: str, loinc: str | None, value: float | None, label: str | None) -> Row:
        return {
            "observation_key": f"{event_key}/{kind}/{code}",
            "event_key": event_key,
            "subject_id": subject_id,
            "instrument_id": definition.id,
            "kind": kind,
            "code": code,
            "loinc": loinc,
            "value": value,
            "label": label,
            "missing": value is None,
            "occurred_at": occurred_at,
        }

    rows: list[Row] = []
    # Items carry the response as given (before reverse keying) and the instrument's own
    # option label, so the same answer reads the same whichever form collected it.
    for item, raw in zip(definition.items, part.responses, strict=True):
        label = None if raw is None else definition.response.label_for(raw)
        rows.append(row("item", item.id, item.loinc, None if raw is None else float(raw), label))
    difficulty_item = definition.difficulty_item
    if difficulty_item is not None:
        raw = part.difficulty
        label = None if raw is None else difficulty_item.response.label_for(raw)
        value = None if raw is None else float(raw)
        rows.append(row("item", difficulty_item.id, difficulty_item.loinc, value, label))
    for scale in definition.scales:
        rows.append(
            row("scale", scale.id, scale.loinc, score.scales[scale.id], score.bands.get(scale.id))
        )
    return rows


def _diagnostic(code: str, message: str) -> Row:
    return Diagnostic(code=code, severity="warning", message=message).as_dict()


def _check_envelope(response: Mapping[str, Any]) -> tuple[str, str, list[Mapping[str, Any]]]:
    if not isinstance(response, Mapping):
        raise ValueError("response: must be a mapping (a canonical questionnaire_response)")
    for key in ("response_id", "form_id", "submitted_at"):
        if not isinstance(response.get(key), str) or not response[key]:
            raise ValueError(f"response.{key}: must be a non-empty string")
    answers = response.get("answers")
    if not isinstance(answers, list):
        raise ValueError("response.answers: must be a list")
    for index, answer in enumerate(answers):
        if not isinstance(answer, Mapping):
            raise ValueError(f"response.answers[{index}]: must be a mapping")
        if not isinstance(answer.get("question_id"), str) or not answer["question_id"]:
            raise ValueError(f"response.answers[{index}].question_id: must be a non-empty string")
    return response["form_id"], _utc_timestamp(response["submitted_at"]), answers


def _utc_timestamp(text: str) -> str:
    """Normalise an RFC 3339 timestamp to UTC with a ``Z`` suffix."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("response.submitted_at: not an RFC 3339 timestamp") from None
    if moment.tzinfo is None:
        raise ValueError("response.submitted_at: has no UTC offset")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
