"""Propose a binding for a form nobody has bound yet, by matching its wording to instruments.

A form's question titles are compared with every wording an instrument item is known by
(:func:`final_form.wording.item_wordings`), and its option labels with the instrument's option
labels, after :func:`normalize` has taken away what differs between one clinic's copy and
another's: numbering ("3.", "Q3)", "PHQ-9 3."), punctuation, case and spacing. What is left is
compared with rapidfuzz's ``WRatio`` (a weighted mix of whole, partial and token-set ratios on a
0-100 scale), which absorbs small wording differences. Pairs are then taken best-first, one
question per item and one item per question, and only above :data:`QUESTION_THRESHOLD`, so a
weak resemblance is reported as unmatched rather than bound. Functional-difficulty questions
share one wording across instruments; each goes to the instrument whose items precede it most
closely on the form. The result is a draft for a person to review, never used unreviewed:
``forms draft-binding`` writes it into the data home and lists what did not match.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from final_form.definition import InstrumentDefinition
from final_form.form_questions import FormDefinition, FormQuestion
from final_form.registry import InstrumentRegistry
from final_form.wording import item_wordings

QUESTION_THRESHOLD = 82.0
OPTION_THRESHOLD = 85.0
# An instrument is proposed (without --instrument) only when this share of its items matched.
MIN_SHARE = 0.5
DRAFT_VERSION = "0.1.0"

_LABEL = re.compile(r"\b[a-z]{2,6}\s*-?\s*\d{1,3}\b")  # "phq-9", "gad 7", "pss10"
_NUMBERING = re.compile(r"^\s*(?:q(?:uestion)?|item|no\.?|#)?\s*\(?\d+[a-z]?\s*[.):\]-]?\s+")
_NON_WORD = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\b\d+\b")


def normalize(text: str) -> str:
    """Lower-cased words only: labels, numbering, punctuation and stray numbers removed."""
    text = text.casefold().replace("&", " and ")
    text = _LABEL.sub(" ", text)
    text = _NUMBERING.sub(" ", text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _DIGITS.sub(" ", text)
    return " ".join(text.split())


def similarity(a: str, b: str) -> float:
    """0-100 similarity of two normalised texts."""
    if not a or not b:
        return 0.0
    return float(fuzz.WRatio(a, b))


@dataclass(frozen=True)
class Match:
    """One question bound to one item, with how alike their wordings were (0-100)."""

    question: FormQuestion
    instrument_id: str
    item_id: str
    score: float


@dataclass
class Draft:
    """The proposed binding document and an account of what matched and what did not."""

    form_id: str
    binding_id: str
    document: dict[str, Any] | None
    matches: list[Match] = field(default_factory=list)
    option_maps: dict[str, list[tuple[str, int | None]]] = field(default_factory=dict)
    unmatched_questions: list[FormQuestion] = field(default_factory=list)
    unmatched_items: dict[str, list[str]] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        """True when every item and option of every proposed instrument is bound."""
        unmapped = any(value is None for pairs in self.option_maps.values() for _, value in pairs)
        has_items = any(self.unmatched_items.values())
        return self.document is not None and not unmapped and not has_items


def binding_id_for(form_id: str) -> str:
    """A binding id (and file name) for a form id: ``form_`` + lower-case letters and digits."""
    slug = re.sub(r"[^a-z0-9]+", "_", form_id.casefold()).strip("_")
    return f"form_{slug or 'unnamed'}"


def draft_binding(
    form: FormDefinition,
    instruments: InstrumentRegistry,
    only: Sequence[str] = (),
) -> Draft:
    """Match ``form``'s questions to instrument items (all instruments, or ``only``)."""
    definitions = [instruments.get(i) for i in (only or instruments.ids())]
    questions = [q for q in form.questions if normalize(q.text)]
    texts = {q.question_id: normalize(q.text) for q in questions}
    matches = _assign_items(questions, texts, definitions)
    chosen = [
        d
        for d in definitions
        if d.id in only
        or sum(1 for m in matches if m.instrument_id == d.id) >= MIN_SHARE * len(d.items)
    ]
    # In form order: the instrument whose first matched question comes first, first.
    first = {m.instrument_id: m.question.position for m in reversed(matches)}
    chosen.sort(key=lambda d: (first.get(d.id, len(form.questions)), d.id))
    chosen_ids = {d.id for d in chosen}
    matches = [m for m in matches if m.instrument_id in chosen_ids]
    used = {m.question.question_id for m in matches}
    difficulty = _assign_difficulty(
        [q for q in questions if q.question_id not in used], texts, chosen, matches
    )
    draft = Draft(form.form_id, binding_id_for(form.form_id), None)
    draft.matches = sorted(matches + difficulty, key=lambda m: m.question.position)
    used |= {m.question.question_id for m in difficulty}
    draft.unmatched_questions = [q for q in form.questions if q.question_id not in used]
    parts = []
    for definition in chosen:
        part, missing, option_map = _part(definition, draft.matches)
        draft.unmatched_items[definition.id] = missing
        draft.option_maps[definition.id] = option_map
        if part is not None:
            parts.append(part)
    if parts:
        draft.document = {
            "id": draft.binding_id,
            "version": DRAFT_VERSION,
            "form_id": form.form_id,
            "description": (
                f"Drafted by `lorchestra forms draft-binding` from the wording of "
                f"{form.title or form.form_id!r}; review before use."
            ),
            "instruments": parts,
        }
    return draft


def _assign_items(
    questions: Sequence[FormQuestion],
    texts: dict[str, str],
    definitions: Sequence[InstrumentDefinition],
) -> list[Match]:
    candidates: list[tuple[float, int, int, int, FormQuestion, str, str]] = []
    for d_index, definition in enumerate(definitions):
        wordings = item_wordings(definition)
        for item in definition.items:
            targets = [normalize(text) for text in wordings[item.id]]
            for question in questions:
                score = max(similarity(texts[question.question_id], t) for t in targets)
                if score >= QUESTION_THRESHOLD:
                    candidates.append(
                        (-score, question.position, d_index, item.position, question,
                         definition.id, item.id)
                    )
    candidates.sort(key=lambda c: c[:4])
    taken_questions: set[str] = set()
    taken_items: set[tuple[str, str]] = set()
    matches = []
    for negative, _, _, _, question, instrument_id, item_id in candidates:
        if question.question_id in taken_questions or (instrument_id, item_id) in taken_items:
            continue
        taken_questions.add(question.question_id)
        taken_items.add((instrument_id, item_id))
        matches.append(Match(question, instrument_id, item_id, -negative))
    return matches


def _assign_difficulty(
    questions: Sequence[FormQuestion],
    texts: dict[str, str],
    definitions: Sequence[InstrumentDefinition],
    matches: Sequence[Match],
) -> list[Match]:
    out: list[Match] = []
    for definition in definitions:
        item = definition.difficulty_item
        if item is None:
            continue
        targets = [normalize(t) for t in item_wordings(definition)[item.id]]
        last = max(
            (m.question.position for m in matches if m.instrument_id == definition.id), default=-1
        )
        best: tuple[float, float, FormQuestion] | None = None
        for question in questions:
            if question.question_id in {m.question.question_id for m in out}:
                continue
            score = max(similarity(texts[question.question_id], t) for t in targets)
            if score < QUESTION_THRESHOLD:
                continue
            # Nearest after the instrument's last item; one before it only as a last resort.
            distance = question.position - last if question.position > last else 10_000
            key = (float(distance), -score, question)
            if best is None or key[:2] < best[:2]:
                best = key
        if best is not None:
            out.append(Match(best[2], definition.id, item.id, -best[1]))
    return out


def _part(
    definition: InstrumentDefinition, matches: Sequence[Match]
) -> tuple[dict[str, Any] | None, list[str], list[tuple[str, int | None]]]:
    mine = {m.item_id: m for m in matches if m.instrument_id == definition.id}
    missing = [item.id for item in definition.items if item.id not in mine]
    item_questions = [mine[i.id].question for i in definition.items if i.id in mine]
    option_map = map_options(_labels(item_questions), definition.response.options)
    part: dict[str, Any] = {
        "instrument": definition.id,
        "options": [{"text": t, "value": v} for t, v in option_map if v is not None],
        "items": [
            {"question_id": mine[item.id].question.question_id, "item": item.id}
            for item in definition.items
            if item.id in mine
        ],
    }
    difficulty = definition.difficulty_item
    if difficulty is not None and difficulty.id in mine:
        question = mine[difficulty.id].question
        difficulty_map = map_options(_labels([question]), difficulty.response.options)
        option_map = option_map + difficulty_map
        part["difficulty"] = {
            "question_id": question.question_id,
            "item": difficulty.id,
            "options": [{"text": t, "value": v} for t, v in difficulty_map if v is not None],
        }
    if not part["items"] or not part["options"]:
        return None, missing, option_map
    return part, missing, option_map


def _labels(questions: Sequence[FormQuestion]) -> list[str]:
    seen: dict[str, str] = {}
    for question in questions:
        for label in question.options:
            seen.setdefault(label.strip().casefold(), label.strip())
    return list(seen.values())


def map_options(labels: Sequence[str], options: Sequence[Any]) -> list[tuple[str, int | None]]:
    """Each form label with the value of the instrument option it matches (None if none does)."""
    candidates = sorted(
        (
            (-similarity(normalize(label), normalize(option.label)), index, option.value)
            for index, label in enumerate(labels)
            for option in options
        ),
    )
    value_for: dict[int, int] = {}
    used_values: set[int] = set()
    for negative, index, value in candidates:
        if -negative < OPTION_THRESHOLD or index in value_for or value in used_values:
            continue
        value_for[index] = value
        used_values.add(value)
    return [(label, value_for.get(index)) for index, label in enumerate(labels)]
