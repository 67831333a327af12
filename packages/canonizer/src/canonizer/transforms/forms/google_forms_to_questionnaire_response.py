"""Google Forms API response to canonical ``questionnaire_response``.

Answers are sorted by question id. ``answer_value`` is a string when a question got exactly one
text answer (``answer_type: "text"``), a list of strings when it got several (``"text_list"``,
checkbox questions), and a list of Drive file ids for uploads (``"file_upload"``); questions
with no usable answer are left out. Keeping one string for the common case spares scorers a
list for every single-choice item, while several values are never joined into one string that
could not be split again. ``question_text`` and ``form_name`` come from an optional ``_form``
object (the ``forms.get`` resource stored beside the response); without it they are null.
``submitted_at`` is ``lastSubmittedTime`` (else ``createTime``); a response with neither is
rejected. Forms does not know respondents' names, so ``name`` and ``external_id`` are null.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from canonizer.errors import TransformRejected
from canonizer.times import format_utc, parse_iso


def _question_titles(form: object) -> tuple[str | None, dict[str, str]]:
    """Form title and question id -> title from a ``forms.get`` resource."""
    if not isinstance(form, Mapping):
        return None, {}
    info = form.get("info")
    title = info.get("title") if isinstance(info, Mapping) else None
    titles: dict[str, str] = {}
    items = form.get("items")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping):
            continue
        item_title = item.get("title") if isinstance(item.get("title"), str) else None
        question_item = item.get("questionItem")
        if isinstance(question_item, Mapping):
            question = question_item.get("question")
            if isinstance(question, Mapping) and isinstance(question.get("questionId"), str):
                if item_title is not None:
                    titles[question["questionId"]] = item_title
        group = item.get("questionGroupItem")
        if isinstance(group, Mapping) and isinstance(group.get("questions"), list):
            # Grid rows are separate questions; their text is "<grid title> — <row title>".
            for question in group["questions"]:
                if not isinstance(question, Mapping):
                    continue
                qid = question.get("questionId")
                row = question.get("rowQuestion")
                row_title = row.get("title") if isinstance(row, Mapping) else None
                if isinstance(qid, str):
                    parts = [t for t in (item_title, row_title) if isinstance(t, str) and t]
                    if parts:
                        titles[qid] = " — ".join(parts)
    return (title if isinstance(title, str) else None), titles


def _values(container: object, key: str) -> list[str]:
    if not isinstance(container, Mapping) or not isinstance(container.get("answers"), list):
        return []
    return [
        a[key]
        for a in container["answers"]
        if isinstance(a, Mapping) and isinstance(a.get(key), str) and a[key] != ""
    ]


def _answer(key: str, answer: object, titles: Mapping[str, str]) -> dict[str, Any] | None:
    if not isinstance(answer, Mapping):
        return None
    qid = answer.get("questionId")
    question_id = qid if isinstance(qid, str) and qid else key
    value: str | list[str]
    texts = _values(answer.get("textAnswers"), "value")
    files = _values(answer.get("fileUploadAnswers"), "fileId")
    if texts:
        kind, value = ("text", texts[0]) if len(texts) == 1 else ("text_list", texts)
    elif files:
        kind, value = "file_upload", files
    else:
        return None
    return {
        "question_id": question_id,
        "question_text": titles.get(question_id),
        "answer_value": value,
        "answer_type": kind,
    }


def transform(payload: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
    """Map one Forms response (``params`` unused)."""
    submitted = parse_iso(payload.get("lastSubmittedTime")) or parse_iso(payload.get("createTime"))
    if submitted is None:
        raise TransformRejected("submitted_at: neither lastSubmittedTime nor createTime is usable")
    form_name, titles = _question_titles(payload.get("_form"))
    raw_answers = payload.get("answers")
    answers = [
        a
        for a in (
            _answer(str(k), v, titles)
            for k, v in (raw_answers.items() if isinstance(raw_answers, Mapping) else [])
        )
        if a is not None
    ]
    answers.sort(key=lambda a: a["question_id"])
    email = payload.get("respondentEmail")
    return {
        "response_id": payload["responseId"],
        "form_id": payload["formId"],
        "form_name": form_name,
        "submitted_at": format_utc(submitted),
        "respondent": {
            "email": email if isinstance(email, str) and email else None,
            "name": None,
            "external_id": None,
        },
        "answers": answers,
        "source": {"platform": "google_forms"},
    }
