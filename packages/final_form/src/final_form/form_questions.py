"""What the warehouse knows about questionnaire forms: which forms, their questions and options.

The Forms tap stores the form's ``forms.get`` resource beside every response (``_form`` in the
raw payload), so a form's question texts and option labels come from the newest raw response
of that form. :func:`parse_form` reads that resource: a plain question is one question; each
row of a grid is a question whose text is the row title and whose options are the grid's
columns. A form seen without its resource falls back to the canonical responses: each question's
text as canonicalised and the distinct answers given to it. Only question wording and option
labels are read, never answers tied to a respondent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lorchestra.api import Warehouse

_FORMS_SQL = """
SELECT JSON_VALUE(c.payload, '$.form_id') AS form_id,
       MAX(JSON_VALUE(c.payload, '$.form_name')) AS form_name,
       COUNT(*) AS responses,
       COUNTIF(s.source_idem_key IS NOT NULL) AS scored
FROM canonical_objects c
LEFT JOIN (SELECT DISTINCT source_idem_key FROM measurement_events) s
  ON s.source_idem_key = c.idem_key
WHERE c.canonical_kind = 'questionnaire_response'
GROUP BY 1
ORDER BY 1
"""

_DEFINITION_SQL = """
SELECT payload FROM raw_objects
WHERE source_system = 'google_forms' AND JSON_VALUE(payload, '$.formId') = @form_id
ORDER BY last_seen DESC, external_id DESC
LIMIT 1
"""

_CANONICAL_SQL = """
SELECT payload FROM canonical_objects
WHERE canonical_kind = 'questionnaire_response' AND JSON_VALUE(payload, '$.form_id') = @form_id
ORDER BY idem_key
LIMIT 500
"""


@dataclass(frozen=True)
class FormSummary:
    """One form seen in the warehouse and how many of its responses are scored."""

    form_id: str
    form_name: str | None
    responses: int
    scored: int


@dataclass(frozen=True)
class FormQuestion:
    """One question of a form: its id, wording, option labels and place on the form."""

    question_id: str
    text: str
    options: tuple[str, ...]
    position: int


@dataclass(frozen=True)
class FormDefinition:
    """A form's questions in form order, and whether they came from the form resource."""

    form_id: str
    title: str | None
    questions: tuple[FormQuestion, ...]
    from_resource: bool


def forms_seen(warehouse: Warehouse) -> list[FormSummary]:
    """Every form with canonical responses, with response and scored counts."""
    return [
        FormSummary(str(r["form_id"]), r["form_name"], int(r["responses"]), int(r["scored"]))
        for r in warehouse.query(_FORMS_SQL)
        if r["form_id"] is not None
    ]


def form_definition(warehouse: Warehouse, form_id: str) -> FormDefinition | None:
    """The newest known definition of ``form_id``, or None when the warehouse has no response."""
    rows = warehouse.query(_DEFINITION_SQL, {"form_id": form_id})
    if rows:
        resource = _as_mapping(rows[0]["payload"]).get("_form")
        if isinstance(resource, Mapping):
            title, questions = parse_form(resource)
            if questions:
                return FormDefinition(form_id, title, questions, True)
    return _from_canonical(warehouse, form_id)


def parse_form(resource: Mapping[str, Any]) -> tuple[str | None, tuple[FormQuestion, ...]]:
    """The title and the questions (in form order) of a ``forms.get`` resource."""
    info = resource.get("info")
    title = info.get("title") if isinstance(info, Mapping) else None
    questions: list[FormQuestion] = []
    items = resource.get("items")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        item_title = _text(item.get("title"))
        single = item.get("questionItem")
        if isinstance(single, Mapping) and isinstance(single.get("question"), Mapping):
            question = single["question"]
            qid = question.get("questionId")
            if isinstance(qid, str) and qid:
                options = _options(question.get("choiceQuestion"))
                questions.append(FormQuestion(qid, item_title, options, len(questions)))
        group = item.get("questionGroupItem")
        if isinstance(group, Mapping) and isinstance(group.get("questions"), list):
            grid = group.get("grid")
            columns = _options(grid.get("columns") if isinstance(grid, Mapping) else None)
            for row in group["questions"]:
                if not isinstance(row, Mapping) or not isinstance(row.get("questionId"), str):
                    continue
                row_question = row.get("rowQuestion")
                text = _text(row_question.get("title") if isinstance(row_question, Mapping) else "")
                questions.append(
                    FormQuestion(row["questionId"], text or item_title, columns, len(questions))
                )
    return (title if isinstance(title, str) else None), tuple(questions)


def _from_canonical(warehouse: Warehouse, form_id: str) -> FormDefinition | None:
    rows = warehouse.query(_CANONICAL_SQL, {"form_id": form_id})
    if not rows:
        return None
    texts: dict[str, str] = {}
    options: dict[str, set[str]] = {}
    title = None
    for row in rows:
        payload = _as_mapping(row["payload"])
        title = title or payload.get("form_name")
        answers = payload.get("answers")
        for answer in answers if isinstance(answers, list) else []:
            if not isinstance(answer, Mapping) or not isinstance(answer.get("question_id"), str):
                continue
            qid = answer["question_id"]
            texts.setdefault(qid, _text(answer.get("question_text")))
            if isinstance(answer.get("answer_value"), str):
                options.setdefault(qid, set()).add(answer["answer_value"])
    questions = tuple(
        FormQuestion(qid, texts[qid], tuple(sorted(options.get(qid, ()))), index)
        for index, qid in enumerate(sorted(texts))
    )
    return FormDefinition(form_id, title if isinstance(title, str) else None, questions, False)


def _options(choice: object) -> tuple[str, ...]:
    if not isinstance(choice, Mapping) or not isinstance(choice.get("options"), list):
        return ()
    return tuple(
        o["value"] for o in choice["options"] if isinstance(o, Mapping) and _text(o.get("value"))
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _as_mapping(value: object) -> Mapping[str, Any]:
    if isinstance(value, str):
        import json

        value = json.loads(value)
    return value if isinstance(value, Mapping) else {}
