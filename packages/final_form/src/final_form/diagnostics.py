"""Diagnostics: problems with one questionnaire response that are reported, not raised.

A respondent's form can carry an answer the binding does not know, the same question twice,
or no way to identify the subject. None of these should stop a batch, and none may leak what
the respondent wrote: a diagnostic names the question id, the instrument and the item, and
describes the problem in words of our own. It never contains answer text, question text,
names or email addresses. ``severity`` is ``warning`` when a score may be affected and
``info`` when nothing is scored differently (an extra question the binding ignores).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["warning", "info"]


@dataclass(frozen=True)
class Diagnostic:
    """One reported problem. Every field is safe to log: ids and our own wording only."""

    code: str
    severity: Severity
    message: str
    question_id: str | None = None
    instrument_id: str | None = None
    item_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A plain dict for rows, logs and event payloads."""
        return asdict(self)
