"""Shared fixtures for the final_form tests: synthetic responses and canonical forms.

Everything here is synthetic (no PHI). Question ids are re-derived with hashlib exactly as the
sample-form generator does, independently of ``final_form._sample_bindings``. Helpers are
offered as fixtures rather than imported, so the tests run under any pytest import mode
alongside the other packages' test suites.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import pytest


def _qid(form_id: str, instrument_id: str, position: int | str) -> str:
    """The sample-form generator's question id."""
    return hashlib.sha1(f"{form_id}/{instrument_id}/{position}".encode()).hexdigest()[:8]


def _spread(total: int, n_items: int, item_max: int) -> list[int | None]:
    """Responses (0-based scale) summing to ``total``: fill items with ``item_max`` in order."""
    assert 0 <= total <= n_items * item_max
    out: list[int | None] = []
    remaining = total
    for _ in range(n_items):
        value = min(item_max, remaining)
        out.append(value)
        remaining -= value
    return out


@pytest.fixture
def qid() -> Callable[[str, str, int | str], str]:
    """The question-id function of the sample-form generator."""
    return _qid


@pytest.fixture
def spread() -> Callable[[int, int, int], list[int | None]]:
    """Responses summing to a total, filling items with the item maximum in order."""
    return _spread


@pytest.fixture
def canonical_response() -> Callable[..., dict[str, Any]]:
    """Factory for a canonical questionnaire_response dict with synthetic respondent data."""

    def make(
        form_id: str,
        answers: dict[str, Any],
        *,
        external_id: str | None = "client-0001",
        email: str | None = "  Synthetic.Person@Example.TEST ",
        submitted_at: str = "2025-03-04T09:30:00Z",
        response_id: str = "resp-0001",
    ) -> dict[str, Any]:
        return {
            "response_id": response_id,
            "form_id": form_id,
            "form_name": f"Synthetic {form_id}",
            "submitted_at": submitted_at,
            "respondent": {"email": email, "name": "Synthetic Person", "external_id": external_id},
            "answers": [
                {
                    "question_id": question_id,
                    "question_text": "synthetic question",
                    "answer_value": value,
                    "answer_type": "text",
                }
                for question_id, value in answers.items()
            ],
            "source": {"platform": "google_forms"},
        }

    return make
