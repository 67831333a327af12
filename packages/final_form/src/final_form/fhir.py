"""FHIR R4 resources from scored measurements: pure functions, plain dicts, no I/O.

One ``Patient`` per subject, one ``QuestionnaireResponse`` per questionnaire response (its
answers grouped by instrument), and one ``Observation`` per instrument scale score and per
item answer, each ``derivedFrom`` its QuestionnaireResponse and with the Patient as
``subject``. Codes are LOINC where LOINC has one (PHQ-9 total 44261-6, GAD-7 total 70274-6,
the PHQ-9 and GAD-7 items), else a code in this package's own system
(``urn:lorchestra:final_form:<instrument>``). Resource ids are hashes of the warehouse keys, so
they are stable across exports and carry no personal data. A missing answer or score becomes
a ``dataAbsentReason`` instead of a value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from final_form.registry import default_registry

Resource = dict[str, Any]
LOINC = "http://loinc.org"
SUBJECT_SYSTEM = "urn:lorchestra:subject"
RESPONSE_SYSTEM = "urn:lorchestra:questionnaire-response"
_CATEGORY = {
    "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "survey", "display": "Survey",
    }]
}  # fmt: skip
_ABSENT = {
    "coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason",
        "code": "asked-unknown", "display": "Asked But Unknown",
    }]
}  # fmt: skip


def resource_id(kind: str, key: str) -> str:
    """A FHIR id (``[A-Za-z0-9-.]{1,64}``) derived from a warehouse key."""
    return f"{kind}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:40]}"


def patient(subject_id: str, contact: Mapping[str, Any] | None) -> Resource:
    """The Patient for a subject, with the contact's name, email and birth date when known."""
    resource: Resource = {
        "resourceType": "Patient",
        "id": resource_id("pt", subject_id),
        "identifier": [{"system": SUBJECT_SYSTEM, "value": subject_id}],
    }
    if contact:
        name: dict[str, Any] = {}
        if contact.get("last_name"):
            name["family"] = str(contact["last_name"])
        if contact.get("first_name"):
            name["given"] = [str(contact["first_name"])]
        if contact.get("full_name"):
            name["text"] = str(contact["full_name"])
        if name:
            resource["name"] = [name]
        if contact.get("email"):
            resource["telecom"] = [{"system": "email", "value": str(contact["email"])}]
        birthdate = str(contact.get("birthdate") or "")[:10]
        if len(birthdate) == 10:
            resource["birthDate"] = birthdate
    return resource


def _instant(value: Any) -> str:
    """An ISO instant as FHIR wants it (seconds, ``Z`` or an offset)."""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return text.replace("+00:00", "Z")


def questionnaire_response(
    response_key: str, subject_id: str, authored: Any, observations: Iterable[Mapping[str, Any]]
) -> Resource:
    """The QuestionnaireResponse of one form: an item group per instrument, an answer per
    answered item (the response as given, before any reverse keying)."""
    groups: dict[str, list[Resource]] = {}
    for row in observations:
        if row["kind"] != "item":
            continue
        item: Resource = {"linkId": str(row["code"])}
        text = _item_text(str(row["instrument_id"]), str(row["code"]))
        if text:
            item["text"] = text
        if row.get("value") is not None:
            item["answer"] = [{"valueInteger": int(row["value"])}]
        groups.setdefault(str(row["instrument_id"]), []).append(item)
    return {
        "resourceType": "QuestionnaireResponse",
        "id": resource_id("qr", response_key),
        "identifier": {"system": RESPONSE_SYSTEM, "value": resource_id("resp", response_key)},
        "status": "completed",
        "subject": {"reference": f"Patient/{resource_id('pt', subject_id)}"},
        "authored": _instant(authored),
        "item": [
            {"linkId": instrument_id, "text": _instrument_name(instrument_id), "item": items}
            for instrument_id, items in sorted(groups.items())
        ],
    }


def observation(row: Mapping[str, Any], response_key: str) -> Resource:
    """The Observation of one scale score (``kind`` scale) or item answer (``kind`` item)."""
    instrument_id, code = str(row["instrument_id"]), str(row["code"])
    text = _scale_name(instrument_id, code) if row["kind"] == "scale" else (
        _item_text(instrument_id, code) or code
    )
    codings = [{"system": f"urn:lorchestra:final_form:{instrument_id}", "code": code}]
    if row.get("loinc"):
        codings.insert(0, {"system": LOINC, "code": str(row["loinc"])})
    resource: Resource = {
        "resourceType": "Observation",
        "id": resource_id("obs", str(row["observation_key"])),
        "status": "final",
        "category": [_CATEGORY],
        "code": {"coding": codings, "text": text},
        "subject": {"reference": f"Patient/{resource_id('pt', str(row['subject_id']))}"},
        "effectiveDateTime": _instant(row["occurred_at"]),
        "derivedFrom": [{"reference": f"QuestionnaireResponse/{resource_id('qr', response_key)}"}],
    }
    value = row.get("value")
    if value is None:
        resource["dataAbsentReason"] = _ABSENT
    elif row["kind"] == "item":
        resource["valueInteger"] = int(value)
    else:
        resource["valueQuantity"] = {"value": float(value), "unit": "{score}",
                                     "system": "http://unitsofmeasure.org", "code": "{score}"}
    if row.get("label") and row["kind"] == "scale":
        resource["interpretation"] = [{"text": str(row["label"])}]  # the band
    return resource


def _definition(instrument_id: str) -> Any:
    registry = default_registry()
    return registry.get(instrument_id) if instrument_id in registry else None


def _instrument_name(instrument_id: str) -> str:
    definition = _definition(instrument_id)
    return str(definition.name) if definition else instrument_id


def _scale_name(instrument_id: str, scale_id: str) -> str:
    definition = _definition(instrument_id)
    if definition is None:
        return scale_id
    try:
        return str(definition.scale(scale_id).name)
    except KeyError:
        return scale_id


def _item_text(instrument_id: str, item_id: str) -> str | None:
    definition = _definition(instrument_id)
    if definition is None:
        return None
    items = [*definition.items, definition.difficulty_item]
    return next((str(i.text) for i in items if i is not None and i.id == item_id), None)
