"""What ``lorchestra doctor`` says about scoring (entry-point group ``lorchestra.doctor``).

Responses of a form no binding covers are never scored, and a binding file that fails
validation is skipped; both are said here, with the form id, the count and what to run, so a
practice's own questionnaire is never silently left out.
"""

from __future__ import annotations

from pathlib import Path

from final_form.form_questions import forms_seen
from final_form.home_bindings import load_bindings
from lorchestra.api import Finding, Warehouse, WarehouseError


def scoring_checks(bq_client: Warehouse, home: Path) -> list[Finding]:
    """Broken binding files (fail) and forms whose responses wait for a binding (warn)."""
    loaded = load_bindings(home)
    findings = [Finding("bindings", "fail", error) for error in loaded.errors]
    try:
        forms = forms_seen(bq_client)
    except WarehouseError:
        return findings + [Finding("forms", "ok", "no questionnaire responses yet")]
    waiting = 0
    for form in forms:
        if loaded.registry.for_form(form.form_id) is None and form.responses:
            waiting += 1
            findings.append(
                Finding(
                    "forms",
                    "warn",
                    f"{form.responses} responses of form {form.form_id} are not scored: no "
                    f"binding (run `lorchestra forms draft-binding {form.form_id}`)",
                )
            )
    if not waiting:
        findings.append(Finding("forms", "ok", f"{len(forms)} form(s) seen, all bound"))
    return findings
