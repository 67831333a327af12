"""Check a binding against the form it binds, as the warehouse last saw that form.

Loading a binding already checks it against its instruments (every item bound once, values in
the response range, known instruments and items). :func:`check_against_form` adds what only the
form can tell: every question the binding names is on the form, and every option label a bound
question offers is mapped to a value (matched as scoring matches answers: case and surrounding
whitespace ignored). A label left unmapped would make every answer with it a missing item.
"""

from __future__ import annotations

from final_form.binding import FormBinding, normalize_option
from final_form.form_questions import FormDefinition


def check_against_form(binding: FormBinding, form: FormDefinition) -> list[str]:
    """One line per problem (empty when the binding fits the form)."""
    problems: list[str] = []
    by_id = {q.question_id: q for q in form.questions}
    for index, part in enumerate(binding.instruments):
        where = f"instruments[{index}] ({part.instrument})"
        mapped = {normalize_option(o.text) for o in part.options}
        questions = [(f"items[{n}]", q.question_id, mapped) for n, q in enumerate(part.items)]
        if part.difficulty is not None:
            difficulty_mapped = {normalize_option(o.text) for o in part.difficulty.options}
            questions.append(("difficulty", part.difficulty.question_id, difficulty_mapped))
        for field, question_id, known in questions:
            question = by_id.get(question_id)
            if question is None:
                problems.append(
                    f"{where}.{field}: question {question_id!r} is not on form {form.form_id}"
                )
                continue
            unmapped = [o for o in question.options if normalize_option(o) not in known]
            if unmapped:
                problems.append(
                    f"{where}.{field}: question {question_id!r} offers options no value is "
                    f"mapped to: {unmapped}"
                )
    return problems
