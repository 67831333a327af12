"""A practice's own Google Form carrying PHQ-9 and GAD-7, worded and numbered its own way.

Its question ids, numbering ("Q1)", "10."), option labels ("0 - Not at all") and wording
(small differences from the published items) are all unlike the sample forms', so no packaged
binding covers it. :func:`write_responses` writes Forms API responses (with the ``forms.get``
resource under ``_form``, as the Forms tap stores them) for a connection to read, and returns
the expected PHQ-9 and GAD-7 totals per response id. All synthetic.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

FORM_ID = "1FAIpQLSe-own-checkin"
PHQ9 = (
    "Little interest or pleasure in doing things.",
    "Feeling down, depressed or hopeless",
    "Trouble falling asleep, staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or over-eating",
    "Feeling bad about yourself, or that you are a failure or have let yourself or your family "
    "down",
    "Trouble concentrating on things such as reading the paper or watching TV",
    "Moving or speaking so slowly that other people could have noticed. Or the opposite: being "
    "so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead, or of hurting yourself",
)
GAD7 = (
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control your worrying",
    "Worrying too much about different things",
    "Having trouble relaxing",
    "Being so restless that it's hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)
DIFFICULTY = (
    "How difficult have these problems made it for you to do your work, take care of things at "
    "home, or get along with other people?"
)
FREQUENCY = ("0 - Not at all", "1 - Several days", "2 - More than half of the days",
             "3 - Nearly every day")
DIFFICULTY_OPTIONS = ("Not difficult at all", "Somewhat difficult", "Very difficult",
                      "Extremely difficult")


def _question(qid: str, title: str, options: tuple[str, ...]) -> dict[str, Any]:
    return {
        "itemId": f"i{qid}",
        "title": title,
        "questionItem": {
            "question": {
                "questionId": qid,
                "required": True,
                "choiceQuestion": {"type": "RADIO", "options": [{"value": o} for o in options]},
            }
        },
    }


def questions() -> list[tuple[str, str, tuple[str, ...]]]:
    """(question id, title, options) in form order: PHQ-9, its difficulty, GAD-7, its own."""
    out = [(f"7a{n:02d}c", f"Q{n + 1}) {text}", FREQUENCY) for n, text in enumerate(PHQ9)]
    out.append(("7ad1f", DIFFICULTY, DIFFICULTY_OPTIONS))
    out += [(f"3b{n:02d}e", f"{n + 10}. {text}", FREQUENCY) for n, text in enumerate(GAD7)]
    out.append(("3bd2f", "GAD: " + DIFFICULTY, DIFFICULTY_OPTIONS))
    return out


def form_resource() -> dict[str, Any]:
    """The form as ``forms.get`` returns it."""
    return {
        "formId": FORM_ID,
        "info": {"title": "Our weekly check-in"},
        "items": [
            {"itemId": "intro", "title": "About the last two weeks", "textItem": {}},
            *(_question(qid, title, options) for qid, title, options in questions()),
        ],
    }


def write_responses(path: Path, count: int = 6, seed: int = 16) -> dict[str, tuple[int, int]]:
    """Write ``count`` responses to ``path`` (JSONL); response id -> (PHQ-9, GAD-7) total."""
    rng = random.Random(seed)
    expected: dict[str, tuple[int, int]] = {}
    resource = form_resource()
    with path.open("w", encoding="utf-8") as handle:
        for n in range(count):
            response_id = f"ACYDBNown{n:04d}"
            answers: dict[str, Any] = {}
            totals = [0, 0]
            for qid, _, options in questions():
                value = rng.randrange(len(options))
                if options is FREQUENCY:
                    totals[0 if qid.startswith("7a") else 1] += value
                answers[qid] = {"questionId": qid,
                                "textAnswers": {"answers": [{"value": options[value]}]}}
            expected[response_id] = (totals[0], totals[1])
            record = {
                "responseId": response_id,
                "formId": FORM_ID,
                "createTime": f"2026-11-{n + 2:02d}T18:00:00.000Z",
                "lastSubmittedTime": f"2026-11-{n + 2:02d}T18:05:00.000Z",
                "respondentEmail": f"own.client{n}@example.org",
                "answers": answers,
                "_form": resource,
            }
            handle.write(json.dumps(record) + "\n")
    return expected


def config_text(path: Path) -> str:
    """A lorchestra.toml with one Google Forms connection reading ``path``."""
    return (
        "[connections.forms-own]\n"
        'source_system = "google_forms"\n'
        'tap = "tap-forms-sample"\n'
        'object_type = "form_response"\n'
        'external_id = "responseId"\n'
        f'settings = {{ path = "{path}" }}\n'
    )
