"""The four Google Forms of the practice and the instruments they carry.

These conventions are a contract with the scoring package (final_form): form ids, the question id
rule `sha1(f"{form_id}/{instrument_id}/{position}")[:8]` (position is the 1-based item number, or
`difficulty` for the functional-difficulty item), and answers given as the exact option text.
`form_definition` builds the `forms.get`-shaped object that every response of a form carries
under `_form`, so a canonizer can fill in question text. PHQ-9 and GAD-7 items carry their public
wording; the other instruments' items are labelled by number only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

FREQUENCY = ("Not at all", "Several days", "More than half the days", "Nearly every day")
DIFFICULTY = ("Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult")
DIFFICULTY_TITLE = (
    "If you checked off any problems, how difficult have these problems made it for you to do "
    "your work, take care of things at home, or get along with other people?"
)
PHQ9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself - or that you are a failure or have let yourself or your "
    "family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite - being "
    "so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
GAD7_ITEMS = (
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)


@dataclass(frozen=True)
class Instrument:
    """A questionnaire: its items, option texts (in score order) and optional difficulty item."""

    id: str
    label: str
    items: int
    options: tuple[str, ...]
    has_difficulty: bool = False
    stem: str = ""
    wording: tuple[str, ...] = ()

    def item_title(self, n: int) -> str:
        if not self.wording:
            return f"{self.label} item {n}"
        return f"{self.label} {n}. {self.wording[n - 1]}"

    @property
    def positions(self) -> tuple[str, ...]:
        nums = tuple(str(n) for n in range(1, self.items + 1))
        return nums + (("difficulty",) if self.has_difficulty else ())


INSTRUMENTS: dict[str, Instrument] = {
    i.id: i
    for i in (
        Instrument("phq9", "PHQ-9", 9, FREQUENCY, True,
                   "Over the last 2 weeks, how often have you been bothered by", PHQ9_ITEMS),
        Instrument("gad7", "GAD-7", 7, FREQUENCY, True,
                   "Over the last 2 weeks, how often have you been bothered by", GAD7_ITEMS),
        Instrument("pss10", "PSS-10", 10,
                   ("Never", "Almost never", "Sometimes", "Fairly often", "Very often")),
        Instrument("fscrs", "FSCRS", 22,
                   ("Not at all like me", "A little bit like me", "Moderately like me",
                    "Quite a bit like me", "Extremely like me")),
        Instrument("ipip_neo_60", "IPIP-NEO-60", 60,
                   ("Very inaccurate", "Moderately inaccurate", "Neither accurate nor inaccurate",
                    "Moderately accurate", "Very accurate")),
        Instrument("phlms", "PHLMS", 20, ("Never", "Rarely", "Sometimes", "Often", "Very often")),
    )
}
FORMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "form_intake_v1": ("New client intake questionnaire", ("phq9", "gad7")),
    "form_followup_v1": ("Weekly check-in", ("phq9", "gad7")),
    "form_wellbeing_v1": ("Monthly wellbeing survey", ("pss10", "fscrs", "ipip_neo_60", "phlms")),
    "form_discharge_v1": ("End of care questionnaire", ("phq9", "gad7")),
}


@cache
def question_id(form_id: str, instrument_id: str, position: str) -> str:
    """The question id the scoring package expects for one item of one form."""
    return hashlib.sha1(f"{form_id}/{instrument_id}/{position}".encode()).hexdigest()[:8]


def item_id(form_id: str, instrument_id: str, position: str) -> str:
    return hashlib.sha1(f"{form_id}/{instrument_id}/{position}/item".encode()).hexdigest()[:8]


@cache
def form_definition(form_id: str) -> dict[str, Any]:
    """The `forms.get` view of a form: title and one choice question per item."""
    title, instrument_ids = FORMS[form_id]
    items: list[dict[str, Any]] = []
    for iid in instrument_ids:
        inst = INSTRUMENTS[iid]
        for pos in inst.positions:
            options: tuple[str, ...] = inst.options
            if pos == "difficulty":
                text, options = f"{inst.label}. {DIFFICULTY_TITLE}", DIFFICULTY
            else:
                text = inst.item_title(int(pos))
            items.append({
                "itemId": item_id(form_id, iid, pos),
                "title": text,
                "questionItem": {
                    "question": {
                        "questionId": question_id(form_id, iid, pos),
                        "choiceQuestion": {"options": [{"value": o} for o in options]},
                    }
                },
            })
    return {
        "formId": form_id,
        "info": {"title": title},
        "items": items,
    }
