"""Clients' treatment outcomes (NHS Talking Therapies) from measurement_timeseries rows.

A *paired measurement* is a PHQ-9 total and a GAD-7 total scored from the same questionnaire
response (the same ``response_key``), both present. A client's outcome compares their first
and last paired measurements with :func:`final_form.outcome`; with fewer than two it is not
computable. :func:`practice_outcomes` counts outcomes over the clients with paired data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import final_form

Row = dict[str, Any]
MEASURES = ("phq9", "gad7")


@dataclass(frozen=True)
class Paired:
    occurred_at: str
    scores: dict[str, float]


@dataclass(frozen=True)
class ClientOutcome:
    paired: tuple[Paired, ...]
    outcome: final_form.Outcome | None  # None: fewer than two paired measurements

    @property
    def first(self) -> Paired | None:
        return self.paired[0] if self.outcome is not None else None

    @property
    def last(self) -> Paired | None:
        return self.paired[-1] if self.outcome is not None else None

    @property
    def words(self) -> str:
        return self.outcome.in_words() if self.outcome is not None else "not computable"


def paired_measurements(rows: Iterable[Row]) -> tuple[Paired, ...]:
    """The client's paired PHQ-9/GAD-7 totals in time order (see the module docstring)."""
    by_response: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.get("instrument_id") not in MEASURES or row.get("scale_id") != "total":
            continue
        if row.get("score") is None or not row.get("response_key"):
            continue
        entry = by_response.setdefault(str(row["response_key"]), {"at": str(row["occurred_at"])})
        entry[str(row["instrument_id"])] = float(row["score"])
    paired = [
        Paired(entry["at"], {m: entry[m] for m in MEASURES})
        for entry in by_response.values()
        if all(m in entry for m in MEASURES)
    ]
    return tuple(sorted(paired, key=lambda p: p.occurred_at))


def client_outcome(rows: Iterable[Row]) -> ClientOutcome:
    paired = paired_measurements(rows)
    if len(paired) < 2:
        return ClientOutcome(paired, None)
    return ClientOutcome(paired, final_form.outcome(paired[0].scores, paired[-1].scores))


@dataclass(frozen=True)
class PracticeOutcomes:
    """Counts over clients with two or more paired measurements; rates as fractions."""

    clients: int = 0
    cases_at_start: int = 0
    recovered: int = 0
    reliable_recovery: int = 0
    reliable_improvement: int = 0
    reliable_deterioration: int = 0

    def rate(self, name: str) -> float | None:
        """Recovery rates are over clients who were a case at the start (as NHS Talking
        Therapies reports them); reliable improvement and deterioration over all."""
        numerator = int(getattr(self, name))
        denominator = (
            self.cases_at_start if name in ("recovered", "reliable_recovery") else self.clients
        )
        return numerator / denominator if denominator else None


def practice_outcomes(outcomes: Iterable[ClientOutcome]) -> PracticeOutcomes:
    done = [o.outcome for o in outcomes if o.outcome is not None]
    return PracticeOutcomes(
        clients=len(done),
        cases_at_start=sum(1 for o in done if o.case_at_start),
        recovered=sum(1 for o in done if o.recovered),
        reliable_recovery=sum(1 for o in done if o.reliable_recovery),
        reliable_improvement=sum(1 for o in done if o.reliable_improvement),
        reliable_deterioration=sum(1 for o in done if o.reliable_deterioration),
    )
