"""Treatment outcome from PHQ-9 and GAD-7 taken together, as NHS Talking Therapies defines it.

:func:`outcome` compares a client's first and last paired measurements (a PHQ-9 and a GAD-7
total from the same occasion) and says whether the client was a case at the start and at the
end, recovered, reliably improved, reliably deteriorated, or reliably recovered. The cut-offs
and reliable-change amounts are data in the instrument definitions (``caseness`` and
``reliable_change`` on each ``total`` scale, with their sources); this module holds only the
rules that combine them. It is pure: no I/O, same answer for the same scores.

The rules (NHS Talking Therapies for anxiety and depression manual):

- a *case* is PHQ-9 >= 10 or GAD-7 >= 8;
- *recovered*: a case at the start and not a case at the end;
- *reliable improvement*: PHQ-9 fell by >= 6 or GAD-7 fell by >= 4, and neither rose by its
  reliable-change amount; *reliable deterioration* is the mirror image;
- *reliable recovery*: recovered and reliably improved.

When either score is missing at either point, every field is ``None`` (not computable).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import cache

from final_form.registry import default_registry

MEASURES: tuple[str, ...] = ("phq9", "gad7")


@dataclass(frozen=True)
class Outcome:
    """Where a client started and ended, and whether the change was reliable."""

    case_at_start: bool | None
    case_at_end: bool | None
    recovered: bool | None
    reliable_improvement: bool | None
    reliable_deterioration: bool | None
    reliable_recovery: bool | None

    @property
    def computable(self) -> bool:
        return self.case_at_start is not None

    def as_dict(self) -> dict[str, bool | None]:
        return asdict(self)

    def in_words(self) -> str:
        """``"reliable improvement; recovered"``, ``"no reliable change; still a case"``, ..."""
        if not self.computable:
            return "not computable"
        if self.reliable_improvement:
            change = "reliable improvement"
        elif self.reliable_deterioration:
            change = "reliable deterioration"
        else:
            change = "no reliable change"
        if self.recovered:
            status = "recovered"
        elif self.case_at_start:
            status = "still a case"
        elif self.case_at_end:
            status = "now a case (not a case at the start)"
        else:
            status = "not a case at the start"
        return f"{change}; {status}"


NOT_COMPUTABLE = Outcome(None, None, None, None, None, None)


@dataclass(frozen=True)
class _Thresholds:
    caseness: float
    reliable_change: float


@cache
def _thresholds(instrument_id: str) -> _Thresholds:
    scale = default_registry().get(instrument_id).scale("total")
    if scale.caseness is None or scale.reliable_change is None:
        raise ValueError(f"{instrument_id}: its total has no caseness or reliable-change amount")
    return _Thresholds(scale.caseness.min, scale.reliable_change.amount)


def outcome(first: Mapping[str, float | None], last: Mapping[str, float | None]) -> Outcome:
    """The outcome between two paired measurements ``{"phq9": score, "gad7": score}``."""
    scores: dict[str, tuple[float, float]] = {}
    for measure in MEASURES:
        start, end = first.get(measure), last.get(measure)
        if start is None or end is None:
            return NOT_COMPUTABLE
        scores[measure] = (float(start), float(end))

    def case(index: int) -> bool:
        return any(scores[m][index] >= _thresholds(m).caseness for m in MEASURES)

    improved = any(
        scores[m][0] - scores[m][1] >= _thresholds(m).reliable_change for m in MEASURES
    )
    worsened = any(
        scores[m][1] - scores[m][0] >= _thresholds(m).reliable_change for m in MEASURES
    )
    case_at_start, case_at_end = case(0), case(1)
    recovered = case_at_start and not case_at_end
    reliable_improvement = improved and not worsened
    return Outcome(
        case_at_start=case_at_start,
        case_at_end=case_at_end,
        recovered=recovered,
        reliable_improvement=reliable_improvement,
        reliable_deterioration=worsened and not improved,
        reliable_recovery=recovered and reliable_improvement,
    )


def reliable_change(instrument_id: str, scale_id: str, change: float | None) -> str | None:
    """``"reliable improvement"`` / ``"reliable deterioration"`` / ``"no reliable change"`` for
    a change on a scale whose definition carries a published reliable-change amount; ``None``
    when it carries none (or the change is unknown). For every scale with such an amount a
    higher score means more symptoms (PHQ-9, GAD-7)."""
    if change is None:
        return None
    scale = default_registry().get(instrument_id).scale(scale_id)
    if scale.reliable_change is None:
        return None
    if -change >= scale.reliable_change.amount:
        return "reliable improvement"
    if change >= scale.reliable_change.amount:
        return "reliable deterioration"
    return "no reliable change"
