"""final_form: clinical questionnaire scoring with instruments defined as data.

``score("phq9", [1, 2, 0, 1, 3, 0, 1, 2, 0], difficulty=1)`` scores one administration against
a validated definition from ``final_form/instruments/``; ``list_instruments()`` and
``load_instrument(id)`` show what is available. Form bindings (``final_form/bindings/``) map a
form's questions and option texts onto instrument items, and :func:`build_rows` turns one
canonical questionnaire response into ``measurement_event`` and ``observation`` rows plus
diagnostics, with no I/O. :func:`outcome` gives a client's NHS Talking Therapies outcome
(caseness, recovery, reliable change) from their first and last PHQ-9 and GAD-7 scores. This
package never imports lorchestra; the host wraps these functions in jobs.
"""

from __future__ import annotations

from collections.abc import Sequence

from final_form.binding import BindingRegistry, FormBinding, default_bindings
from final_form.definition import InstrumentDefinition
from final_form.diagnostics import Diagnostic
from final_form.engine import Score, band_for, score_definition
from final_form.errors import (
    DefinitionError,
    FinalFormError,
    UnknownInstrumentError,
    UnknownMissingPolicyError,
)
from final_form.outcome import Outcome, outcome, reliable_change
from final_form.registry import InstrumentRegistry, default_registry, load_definition_file
from final_form.rows import RowSet, build_rows

__all__ = [
    "BindingRegistry",
    "DefinitionError",
    "Diagnostic",
    "FinalFormError",
    "FormBinding",
    "InstrumentDefinition",
    "InstrumentRegistry",
    "Outcome",
    "RowSet",
    "Score",
    "UnknownInstrumentError",
    "UnknownMissingPolicyError",
    "band_for",
    "build_rows",
    "default_bindings",
    "list_instruments",
    "load_definition_file",
    "load_instrument",
    "outcome",
    "reliable_change",
    "score",
    "score_definition",
]


def score(
    instrument_id: str,
    responses: Sequence[int | None],
    *,
    difficulty: int | None = None,
    missing_policy: str | None = None,
) -> Score:
    """Score one administration of a shipped instrument.

    ``responses`` lists the scored items in item order (IPIP-NEO-60 in facet order N1a, N1b,
    N2a, ..., C6b), ``None`` for a missing item. ``difficulty`` is the functional-difficulty
    response (PHQ-9 item 10, GAD-7 item 8), reported and never added to a total.
    ``missing_policy`` selects a named alternative from the definition; ``None`` means the
    definition's default (the primary rule). A response outside the range, a non-integer, or
    the wrong number of responses raises ``ValueError`` naming the item.
    """
    return score_definition(
        default_registry().get(instrument_id),
        responses,
        difficulty=difficulty,
        missing_policy=missing_policy,
    )


def list_instruments() -> list[str]:
    """The ids of the shipped instruments, sorted."""
    return default_registry().ids()


def load_instrument(instrument_id: str) -> InstrumentDefinition:
    """The validated definition of a shipped instrument (UnknownInstrumentError if none)."""
    return default_registry().get(instrument_id)
