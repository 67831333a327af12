"""Form bindings: which question of which form is which item of which instrument.

A binding (``bindings/<id>.json``, versioned like a definition) maps a ``form_id`` and its
question ids onto instrument items, optionally a functional-difficulty question, and the
option texts a form shows onto numbers. One form can carry several instruments. Bindings are
validated on load against the instrument definitions, so a binding that forgets an item, points
at an unknown one, or maps an option outside the response range is rejected with the file and
field named. At scoring time, :func:`map_answers` turns a form's answers into per-instrument
response lists; option text matches ignoring case and surrounding whitespace, and an answer the
binding does not know becomes a :class:`~final_form.diagnostics.Diagnostic` (treated as a
missing item), never an exception and never a message containing the answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from final_form._loading import read_json, validate
from final_form.definition import (
    InstrumentDefinition,
    InstrumentId,
    ResponseScale,
    Semver,
    matching,
)
from final_form.diagnostics import Diagnostic
from final_form.errors import DefinitionError
from final_form.registry import InstrumentRegistry, default_registry

QuestionId = Annotated[
    str, matching(r"[A-Za-z0-9_.:-]+", "is not a question id (letters, digits, '_.:-')")
]


def normalize_option(text: str) -> str:
    """The matching key of an option text: surrounding whitespace dropped, case folded."""
    return text.strip().casefold()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionText(_Model):
    """An option as the form words it, and the number it scores."""

    text: str = Field(min_length=1)
    value: int


class QuestionItem(_Model):
    """One form question bound to one instrument item."""

    question_id: QuestionId
    item: str


class DifficultyQuestion(QuestionItem):
    """The form question carrying the functional-difficulty item, with its own options."""

    options: tuple[OptionText, ...] = Field(min_length=1)


class InstrumentBinding(_Model):
    """The questions of one form that make up one instrument."""

    instrument: str
    options: tuple[OptionText, ...] = Field(min_length=1)
    items: tuple[QuestionItem, ...] = Field(min_length=1)
    difficulty: DifficultyQuestion | None = None


class FormBinding(_Model):
    """A versioned binding of one form to one or more instruments."""

    id: InstrumentId
    version: Semver
    form_id: str = Field(min_length=1)
    description: str | None = None
    instruments: tuple[InstrumentBinding, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _self_consistent(self) -> FormBinding:
        seen_instruments: set[str] = set()
        seen_questions: set[str] = set()
        for index, binding in enumerate(self.instruments):
            where = f"instruments[{index}]"
            if binding.instrument in seen_instruments:
                raise ValueError(f"{where}.instrument: {binding.instrument!r} bound twice")
            seen_instruments.add(binding.instrument)
            questions = [q.question_id for q in binding.items]
            if binding.difficulty is not None:
                questions.append(binding.difficulty.question_id)
            for question_id in questions:
                if question_id in seen_questions:
                    raise ValueError(
                        f"{where}: question id {question_id!r} is bound more than once"
                    )
                seen_questions.add(question_id)
            _check_option_texts(f"{where}.options", binding.options)
            if binding.difficulty is not None:
                _check_option_texts(f"{where}.difficulty.options", binding.difficulty.options)
        return self


def _check_option_texts(where: str, options: Sequence[OptionText]) -> None:
    keys = [normalize_option(option.text) for option in options]
    if "" in keys:
        raise ValueError(f"{where}: an option text is blank")
    duplicates = sorted(key for key, count in Counter(keys).items() if count > 1)
    if duplicates:
        raise ValueError(
            f"{where}: option texts must be distinct ignoring case and whitespace; "
            f"repeated: {duplicates}"
        )


def check_binding(binding: FormBinding, instruments: InstrumentRegistry, name: str) -> None:
    """Check ``binding`` against the instrument definitions; DefinitionError names the field."""
    for index, part in enumerate(binding.instruments):
        where = f"{name}: instruments[{index}]"
        if part.instrument not in instruments:
            raise DefinitionError(
                f"{where}.instrument: unknown instrument {part.instrument!r}; known: "
                f"{instruments.ids()}"
            )
        definition = instruments.get(part.instrument)
        _check_values(f"{where}.options", part.options, definition.response)
        bound = [question.item for question in part.items]
        known = [item.id for item in definition.items]
        for item_index, item_id in enumerate(bound):
            if item_id not in known:
                raise DefinitionError(
                    f"{where}.items[{item_index}].item: {item_id!r} is not an item of "
                    f"{definition.id}"
                )
            if item_id in bound[:item_index]:
                raise DefinitionError(
                    f"{where}.items[{item_index}].item: {item_id!r} is bound twice"
                )
        unbound = [item_id for item_id in known if item_id not in bound]
        if unbound:
            raise DefinitionError(f"{where}.items: no question for items {unbound}")
        if part.difficulty is not None:
            expected = definition.difficulty_item
            if expected is None or part.difficulty.item != expected.id:
                raise DefinitionError(
                    f"{where}.difficulty.item: {part.difficulty.item!r} is not the "
                    f"functional-difficulty item of {definition.id}"
                )
            _check_values(f"{where}.difficulty.options", part.difficulty.options, expected.response)


def _check_values(where: str, options: Sequence[OptionText], response: ResponseScale) -> None:
    for index, option in enumerate(options):
        if not response.min <= option.value <= response.max:
            raise DefinitionError(
                f"{where}[{index}].value: {option.value} is outside the response range "
                f"{response.min}-{response.max}"
            )


def load_binding_file(source: Path | Traversable, instruments: InstrumentRegistry) -> FormBinding:
    """Load, validate and cross-check one binding file; its ``id`` must match the file name."""
    binding = validate(FormBinding, read_json(source), source.name)
    stem = source.name.removesuffix(".json")
    if binding.id != stem:
        raise DefinitionError(
            f"{source.name}: id: {binding.id!r} does not match the file name (expected {stem!r})"
        )
    check_binding(binding, instruments, source.name)
    return binding


class BindingRegistry:
    """Validated bindings, looked up by the form they bind (one binding per form)."""

    def __init__(self, bindings: Iterable[FormBinding]) -> None:
        self._by_form: dict[str, FormBinding] = {}
        for binding in bindings:
            if binding.form_id in self._by_form:
                raise DefinitionError(
                    f"{binding.id}: form {binding.form_id!r} is already bound by "
                    f"{self._by_form[binding.form_id].id}"
                )
            self._by_form[binding.form_id] = binding

    @classmethod
    def from_directory(
        cls, directory: Path | Traversable, instruments: InstrumentRegistry
    ) -> BindingRegistry:
        """Load every ``*.json`` binding in ``directory``, sorted by file name."""
        sources = sorted(
            (entry for entry in directory.iterdir() if entry.name.endswith(".json")),
            key=lambda entry: entry.name,
        )
        return cls(load_binding_file(source, instruments) for source in sources)

    def form_ids(self) -> list[str]:
        """The bound form ids, sorted."""
        return sorted(self._by_form)

    def for_form(self, form_id: str) -> FormBinding | None:
        """The binding for ``form_id``, or None when the form is not bound."""
        return self._by_form.get(form_id)


@cache
def default_bindings() -> BindingRegistry:
    """The bindings shipped with the package, checked against the shipped instruments."""
    return BindingRegistry.from_directory(files("final_form") / "bindings", default_registry())


@dataclass(frozen=True)
class BoundResponses:
    """One instrument's responses taken from a form, ready for the engine."""

    instrument_id: str
    responses: list[int | None]
    difficulty: int | None
    # Items whose answer was given but could not be read (no option matches, not text, given
    # twice): scored as missing, and said so in the measurement's flags.
    invalid: tuple[str, ...] = ()


def map_answers(
    binding: FormBinding,
    answers: Sequence[Mapping[str, Any]],
    instruments: InstrumentRegistry,
) -> tuple[list[BoundResponses], list[Diagnostic]]:
    """Turn a form's answers into responses per bound instrument, plus diagnostics.

    ``answers`` are canonical answer dicts (``question_id``, ``answer_value``, ...). A missing
    or blank answer is a missing item. An answer whose text matches no option, a non-text
    answer, or a question answered twice is a missing item with a warning diagnostic. A
    question the binding does not mention gets an info diagnostic and is otherwise ignored.
    """
    diagnostics: list[Diagnostic] = []
    counts = Counter(str(answer["question_id"]) for answer in answers)
    by_question = {str(answer["question_id"]): answer for answer in answers}
    bound_questions: set[str] = set()
    results: list[BoundResponses] = []
    for part in binding.instruments:
        definition = instruments.get(part.instrument)
        question_for = {question.item: question.question_id for question in part.items}
        options = {normalize_option(o.text): o.value for o in part.options}
        responses: list[int | None] = []
        invalid: list[str] = []
        for item in definition.items:
            question_id = question_for[item.id]
            bound_questions.add(question_id)
            reported = len(diagnostics)
            responses.append(
                _answer_value(
                    question_id, item.id, definition, options, by_question, counts, diagnostics
                )
            )
            if len(diagnostics) > reported:
                invalid.append(item.id)
        difficulty: int | None = None
        if part.difficulty is not None:
            question_id = part.difficulty.question_id
            bound_questions.add(question_id)
            difficulty_options = {
                normalize_option(o.text): o.value for o in part.difficulty.options
            }
            reported = len(diagnostics)
            difficulty = _answer_value(
                question_id,
                part.difficulty.item,
                definition,
                difficulty_options,
                by_question,
                counts,
                diagnostics,
            )
            if len(diagnostics) > reported:
                invalid.append(part.difficulty.item)
        results.append(BoundResponses(definition.id, responses, difficulty, tuple(invalid)))
    for question_id in sorted(set(by_question) - bound_questions):
        diagnostics.append(
            Diagnostic(
                code="unbound_question",
                severity="info",
                message=(
                    f"question {question_id} is not bound by {binding.id}@{binding.version}; "
                    "ignored"
                ),
                question_id=question_id,
            )
        )
    return results, diagnostics


def _answer_value(
    question_id: str,
    item_id: str,
    definition: InstrumentDefinition,
    options: Mapping[str, int],
    by_question: Mapping[str, Mapping[str, Any]],
    counts: Mapping[str, int],
    diagnostics: list[Diagnostic],
) -> int | None:
    def report(code: str, problem: str) -> None:
        diagnostics.append(
            Diagnostic(
                code=code,
                severity="warning",
                message=(
                    f"question {question_id} ({definition.id} item {item_id}): {problem}; "
                    "the item is treated as missing"
                ),
                question_id=question_id,
                instrument_id=definition.id,
                item_id=item_id,
            )
        )

    answer = by_question.get(question_id)
    if answer is None:
        return None
    if counts[question_id] > 1:
        # Two answers to one question: choosing either would be a guess.
        report("duplicate_answer", f"answered {counts[question_id]} times")
        return None
    value = answer.get("answer_value")
    if value is None:
        return None
    if not isinstance(value, str):
        report("unsupported_answer_type", f"expected option text, got {type(value).__name__}")
        return None
    key = normalize_option(value)
    if not key:
        return None
    if key not in options:
        # The text itself is left out on purpose: it is respondent data.
        report("unknown_option", "the answer matches none of the bound option texts")
        return None
    return options[key]
