"""What ``lorchestra doctor`` and ``lorchestra status`` say about scoring.

Responses of a form no binding covers are never scored, and a binding file that fails
validation is skipped; both are said here, with the form id, the count and what to run, so a
practice's own questionnaire is never silently left out. ``scoring_checks`` is registered under
``lorchestra.doctor`` (it also says when all is well); ``scoring_status`` under
``lorchestra.status`` (only what needs attention).
"""

from __future__ import annotations

from pathlib import Path

from final_form.form_questions import FormSummary, forms_seen
from final_form.home_bindings import load_bindings
from lorchestra.api import Finding, Warehouse, WarehouseError


def scoring_checks(bq_client: Warehouse, home: Path) -> list[Finding]:
    """Broken binding files (fail) and forms whose responses wait for a binding (warn)."""
    findings, forms = _findings(bq_client, home)
    if forms is None:
        return findings + [Finding("forms", "ok", "no questionnaire responses yet")]
    if not any(f.check == "forms" for f in findings):
        findings.append(Finding("forms", "ok", f"{len(forms)} form(s) seen, all bound"))
    return findings


def scoring_status(bq_client: Warehouse, home: Path) -> list[Finding]:
    """What ``status`` shows: broken binding files (fail) and unbound forms (warn), or nothing."""
    return _findings(bq_client, home)[0]


def _findings(bq_client: Warehouse, home: Path) -> tuple[list[Finding], list[FormSummary] | None]:
    """The problem lines, and the forms seen (None when there are no responses yet)."""
    loaded = load_bindings(home)
    findings = [Finding("bindings", "fail", error) for error in loaded.errors]
    try:
        forms = forms_seen(bq_client)
    except WarehouseError:
        return findings, None
    for form in forms:
        if loaded.registry.for_form(form.form_id) is None and form.responses:
            findings.append(
                Finding(
                    "forms",
                    "warn",
                    f"{form.responses} responses of form {form.form_id} are not scored: no "
                    f"binding (run `lorchestra forms draft-binding {form.form_id}`)",
                )
            )
    return findings, forms
