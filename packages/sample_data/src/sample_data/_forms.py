"""Google Forms responses whose scores move plausibly over each client's weeks in care.

Each client has a trajectory drawn once from the seed: a starting PHQ-9 level that approaches a
target week by week (most improve, some stay level, a few get worse), with GAD-7, PSS-10, FSCRS
and PHLMS levels that follow it and stable IPIP-NEO-60 trait means. A response turns the level at
its week, plus noise, into item values that add up to it, then into option text. The intake form
is filled once before the first session, the follow-up the evening before each later weekly
session, the wellbeing form every fourth week, and the discharge form (PHQ-9 and GAD-7 again)
once by each client whose care has ended, a week after their last session. About 3 % of
responses leave one item unanswered (omitted from `answers`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Any

from sample_data._ids import forms_response_id, iso_ms_z, rng_for
from sample_data._instruments import (
    DIFFICULTY,
    FORMS,
    INSTRUMENTS,
    form_definition,
    question_id,
)
from sample_data._plan import FORMS_CONNECTIONS
from sample_data._practice import Practice, Schedule

PSS_REVERSED = {4, 5, 7, 8}
FSCRS_HATED = {9, 10, 12, 15, 22}
FSCRS_REASSURED = {3, 5, 8, 11, 13, 16, 19, 21}
MISSING_RATE = 0.03


@dataclass(frozen=True)
class Trajectory:
    """A client's symptom course: PHQ-9 level over weeks in care, and related levels."""

    phq0: float
    target: float  # the level the client moves towards
    rate: float  # fraction of the remaining gap closed each week
    gad_offset: float
    pss_bias: float
    reassure: float
    awareness: float
    acceptance0: float
    traits: tuple[float, ...]

    def level(self, week: int) -> float:
        return self.target + (self.phq0 - self.target) * (1 - self.rate) ** week

    def phq(self, week: int, noise: float) -> int:
        return _clamp(round(self.level(week) + noise), 0, 27)

    def gad(self, week: int, noise: float) -> int:
        return _clamp(round((self.level(week) + self.gad_offset) * 0.78 + noise), 0, 21)


def _clamp(v: int, lo: int, hi: int) -> int:
    return lo if v < lo else hi if v > hi else v


def trajectory(seed: int, client: int) -> Trajectory:
    """Most clients improve (65 %), some stay level (20 %), a few get worse (15 %)."""
    rng = rng_for(seed, "trajectory", client)
    roll = rng.random()
    phq0 = rng.uniform(7, 22)
    if roll < 0.65:
        target = rng.uniform(2, 7)
    elif roll < 0.85:
        target = phq0 + rng.uniform(-2, 2)
    else:
        target = min(27.0, phq0 + rng.uniform(4, 8))
    return Trajectory(
        phq0=phq0,
        target=target,
        rate=rng.uniform(0.08, 0.22),
        gad_offset=rng.uniform(-5, 4),
        pss_bias=rng.uniform(-4, 4),
        reassure=rng.uniform(8, 22),
        awareness=rng.uniform(25, 45),
        acceptance0=rng.uniform(15, 32),
        traits=tuple(rng.uniform(2.0, 4.2) for _ in range(5)),
    )


def spread(rng: Random, total: int, n: int, cap: int, low_items: frozenset[int] = frozenset(),
           ) -> list[int]:
    """`n` item values in 0..cap adding up to `total`; items in `low_items` fill reluctantly."""
    values = [0] * n
    total = _clamp(total, 0, n * cap)
    reluctant = [i + 1 in low_items for i in range(n)]
    placed = 0
    while placed < total:
        roll = rng.random() * n
        i = int(roll)
        if values[i] >= cap or (reluctant[i] and roll - i > 0.25 and placed < n * cap - cap):
            continue
        values[i] += 1
        placed += 1
    return values


def _difficulty(phq: int, rng: Random) -> int:
    base = 0 if phq < 5 else 1 if phq < 10 else 2 if phq < 17 else 3
    return _clamp(base + rng.choice((-1, 0, 0, 0, 1)), 0, 3)


def _answers(form_id: str, tr: Trajectory, week: int, rng: Random) -> dict[str, str]:
    """Question id → option text for every item of the form at the client's `week`."""
    texts: dict[str, str] = {}

    def put(inst_id: str, values: list[int], offset: int = 0) -> None:
        inst = INSTRUMENTS[inst_id]
        for n, v in enumerate(values, start=1):
            texts[question_id(form_id, inst_id, str(n))] = inst.options[v - offset]

    phq = tr.phq(week, rng.gauss(0, 1.2))
    mood = phq / 27
    for inst_id in FORMS[form_id][1]:
        if inst_id == "phq9":
            put("phq9", spread(rng, phq, 9, 3, frozenset({9})))
            texts[question_id(form_id, "phq9", "difficulty")] = DIFFICULTY[_difficulty(phq, rng)]
        elif inst_id == "gad7":
            gad = tr.gad(week, rng.gauss(0, 1.2))
            put("gad7", spread(rng, gad, 7, 3))
            texts[question_id(form_id, "gad7", "difficulty")] = DIFFICULTY[_difficulty(gad, rng)]
        elif inst_id == "pss10":
            stress = round(8 + mood * 30 + tr.pss_bias + rng.gauss(0, 1.5))
            scored = spread(rng, stress, 10, 4)
            put("pss10", [4 - v if n in PSS_REVERSED else v for n, v in enumerate(scored, 1)])
        elif inst_id == "fscrs":
            crit = spread(rng, round(4 + mood * 38 + rng.gauss(0, 2)), 14, 4)
            reassured = spread(rng, round(tr.reassure - mood * 8 + 0.3 * week), 8, 4)
            values, ci, ri = [], iter(crit), iter(reassured)
            for n in range(1, 23):
                values.append(next(ri) if n in FSCRS_REASSURED else next(ci))
            put("fscrs", values)
        elif inst_id == "ipip_neo_60":
            put("ipip_neo_60", [_clamp(round(tr.traits[(n - 1) % 5] + rng.gauss(0, 0.8)), 1, 5)
                                for n in range(1, 61)], offset=1)
        elif inst_id == "phlms":
            aware = spread(rng, round(tr.awareness + rng.gauss(0, 2)) - 10, 10, 4)
            accept = spread(rng, round(tr.acceptance0 + 0.5 * week - mood * 6) - 10, 10, 4)
            values = []
            for n in range(1, 21):  # odd items awareness; even items acceptance, reverse-keyed
                values.append(aware[n // 2] + 1 if n % 2 else 5 - accept[n // 2 - 1])
            put("phlms", values, offset=1)
    return texts


def _weeks(form_id: str, sched: Schedule, discharged: bool) -> list[int]:
    if form_id == "form_intake_v1":
        return [0] if sched.intake else []
    if form_id == "form_followup_v1":
        return list(range(1, sched.followups + 1))
    if form_id == "form_discharge_v1":
        # The week after the last session: filled the evening before a session that never came.
        return [sched.weeks] if discharged else []
    return [4 * k for k in range(sched.wellbeing)]


def _submitted(form_id: str, sched: Schedule, week: int, rng: Random) -> datetime:
    if form_id == "form_intake_v1":
        base = sched.at(week, rng.randint(8, 21), rng.randint(0, 59)) - timedelta(
            days=rng.randint(2, 5))
    else:
        base = sched.at(week, rng.randint(17, 22), rng.randint(0, 59)) - timedelta(days=1)
    return base + timedelta(seconds=rng.randint(0, 59), milliseconds=rng.randint(0, 999))


def iter_form_responses(practice: Practice, connection: str) -> Iterator[dict[str, Any]]:
    """Every response to the form read by `connection`, client by client, oldest first."""
    form_id = FORMS_CONNECTIONS[connection]
    definition = form_definition(form_id)
    for c in range(practice.intakes):
        sched = practice.schedule(c)
        weeks = _weeks(form_id, sched, practice.discharged(c))
        if not weeks:
            continue
        tr = trajectory(practice.seed, c)
        person = practice.client(c)
        rng = rng_for(practice.seed, "forms", form_id, c)
        for week in weeks:
            texts = _answers(form_id, tr, week, rng)
            if rng.random() < MISSING_RATE:
                del texts[rng.choice(sorted(texts))]
            created = _submitted(form_id, sched, week, rng)
            last = created
            if rng.random() < 0.05:
                last = min(created + timedelta(minutes=rng.randint(2, 300)),
                           practice.end - timedelta(seconds=1))
            yield {
                "responseId": forms_response_id(rng),
                "formId": form_id,
                "createTime": iso_ms_z(created),
                "lastSubmittedTime": iso_ms_z(last),
                "respondentEmail": person.email,
                "answers": {
                    qid: {"questionId": qid, "textAnswers": {"answers": [{"value": text}]}}
                    for qid, text in texts.items()
                },
                "_form": definition,
            }
