"""final_form's warehouse reads (forms seen, a form's definition) on both backends, and the
``forms draft-binding`` command's refusals and incomplete drafts through the real executable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from canonizer.jobs import canonicalize_questionnaires
from final_form.form_questions import form_definition, forms_seen
from lorchestra.api import Warehouse, upsert_objects
from tests.support import own_form

BIN = Path(sys.executable).parent


def seed(warehouse: Warehouse, tmp_path: Path, resource: dict[str, object] | None = None) -> None:
    path = tmp_path / "responses.jsonl"
    own_form.write_responses(path, count=3)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    if resource is not None:
        for record in records:
            record["_form"] = resource
    upsert_objects(warehouse, records, source_system="google_forms", connection_name="forms-own",
                   object_type="form_response", external_id="responseId", emit_event=False)
    canonicalize_questionnaires(warehouse)


def test_forms_seen_and_the_form_definition(warehouse: Warehouse, tmp_path: Path) -> None:
    seed(warehouse, tmp_path)
    (form,) = forms_seen(warehouse)
    assert (form.form_id, form.form_name, form.responses, form.scored) == (
        own_form.FORM_ID, "Our weekly check-in", 3, 0)
    definition = form_definition(warehouse, own_form.FORM_ID)
    assert definition is not None and definition.from_resource
    assert [q.question_id for q in definition.questions] == [q for q, _, _ in own_form.questions()]
    assert definition.questions[0].options == own_form.FREQUENCY
    assert form_definition(warehouse, "no-such-form") is None


def test_without_the_form_resource_the_canonical_answers_stand_in(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    seed(warehouse, tmp_path, resource={})
    definition = form_definition(warehouse, own_form.FORM_ID)
    assert definition is not None and not definition.from_resource
    assert {q.question_id for q in definition.questions} == {q for q, _, _ in own_form.questions()}
    assert all(q.text == "" for q in definition.questions)  # canonical has no titles without it


def lorc(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True)
def test_draft_binding_refuses_and_writes_incomplete_drafts_aside(
    warehouse: Warehouse, home: Path, tmp_path: Path
) -> None:
    resource = own_form.form_resource()
    items = resource["items"]
    assert isinstance(items, list)
    items[4]["title"] = "How is your garden growing?"  # after the intro: PHQ-9 item 4
    seed(warehouse, tmp_path, resource=resource)
    warehouse.close()

    unknown = lorc(home, "forms", "draft-binding", "nope")
    assert unknown.returncode == 2 and "Form 'nope' has no responses" in unknown.stderr
    bad = lorc(home, "forms", "draft-binding", own_form.FORM_ID, "--instrument", "phq99")
    assert bad.returncode == 2 and "unknown instrument 'phq99'" in bad.stderr

    draft = lorc(home, "forms", "draft-binding", own_form.FORM_ID)
    assert draft.returncode == 1, draft.stderr
    assert "unmatched question #4 7a03c: How is your garden growing?" in draft.stdout
    assert "unmatched items of phq9: phq9_4" in draft.stdout
    aside = home / "bindings" / "form_1faipqlse_own_checkin.json.draft"
    assert aside.stat().st_mode & 0o777 == 0o600
    assert not (home / "bindings" / "form_1faipqlse_own_checkin.json").exists()
    again = lorc(home, "forms", "draft-binding", own_form.FORM_ID)
    assert again.returncode == 2 and "already exists" in again.stderr
    listed = json.loads(lorc(home, "forms", "list", "--json").stdout)
    assert listed["forms"][0]["binding"] == "unbound"
    assert listed["forms"][0]["waiting_for_binding"] == 3
