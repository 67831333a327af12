"""A practice's own form, bound without touching code: docs/own-forms.md, run as written.

The practice has the sample sources plus one Google Form of its own (PHQ-9 and GAD-7 with its
own question ids, numbering and wording). Every ``lorchestra`` command of the walk-through is
run in order through the real executable; between them the test checks what the page says:
the responses are counted as not scored, ``draft-binding`` writes a complete private binding,
``forms check`` passes, and the next run scores every response with the right totals.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ingestor
import sample_data
from tests.support import own_form

BIN = Path(sys.executable).parent
ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.slow


def doc_commands() -> list[list[str]]:
    """Every ``lorchestra ...`` line of the page's ``sh`` blocks, in order."""
    text = (ROOT / "docs" / "own-forms.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, flags=re.S)
    return [line.split() for block in blocks for line in block.splitlines() if line.strip()]


@pytest.fixture
def practice(home: Path, tmp_path: Path) -> dict[str, str]:
    ingestor.install_project()
    data = tmp_path / "sample"
    sample_data.generate(data, seed=5, size=40, count=4)
    responses = tmp_path / "own_form.jsonl"
    config = tmp_path / "lorchestra.toml"
    config.write_text(own_form.config_text(responses), encoding="utf-8")
    expected = own_form.write_responses(responses)
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data),
           "LORCHESTRA_CONFIG": str(config), "COLUMNS": "250"}
    return {"env": json.dumps(env), "expected": json.dumps(expected)}


def run(env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    assert args[0] == "lorchestra"
    return subprocess.run([str(BIN / "lorchestra"), *args[1:]], capture_output=True, text=True,
                          env=env, timeout=900)


def test_the_walk_through_binds_and_scores_an_own_form(
    home: Path, practice: dict[str, str]
) -> None:
    env = json.loads(practice["env"])
    expected: dict[str, list[int]] = json.loads(practice["expected"])
    commands = doc_commands()
    assert [c[1:] for c in commands] == [
        ["run", "daily"], ["forms", "list"], ["doctor"],
        ["forms", "draft-binding", own_form.FORM_ID],
        ["forms", "check"], ["run", "daily"], ["forms", "list"],
    ]
    outputs = []
    for command in commands:
        result = run(env, command)
        assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-3000:])
        outputs.append(result.stdout)
    first_run, first_list, doctor, draft, check, second_run, second_list = outputs
    waiting = len(expected)
    assert f"{waiting} not scored (no binding)" in first_run
    assert re.search(rf"{own_form.FORM_ID}.*unbound.*{waiting}\s.*0\s.*{waiting}", first_list)
    assert (f"{waiting} responses of form {own_form.FORM_ID} are not scored: no binding"
            in doctor)

    binding = home / "bindings" / "form_1faipqlse_own_checkin.json"
    assert binding.stat().st_mode & 0o777 == 0o600
    document = json.loads(binding.read_text())
    parts = {part["instrument"]: part for part in document["instruments"]}
    assert sorted(parts) == ["gad7", "phq9"]
    questions = {qid: title for qid, title, _ in own_form.questions()}
    assert len(parts["phq9"]["items"]) == 9 and len(parts["gad7"]["items"]) == 7
    for instrument, prefix in (("phq9", "7a"), ("gad7", "3b")):
        for n, item in enumerate(parts[instrument]["items"]):
            assert item == {"question_id": f"{prefix}{n:02d}{'c' if prefix == '7a' else 'e'}",
                            "item": f"{instrument}_{n + 1}"}, questions[item["question_id"]]
        values = {o["text"]: o["value"] for o in parts[instrument]["options"]}
        assert values == {text: n for n, text in enumerate(own_form.FREQUENCY)}
    assert parts["phq9"]["difficulty"]["question_id"] == "7ad1f"
    assert parts["gad7"]["difficulty"]["question_id"] == "3bd2f"
    assert "unmatched" not in draft.replace("UNMATCHED", "unmatched").split("Wrote")[0].lower()
    assert "1FAIpQLSe-own-checkin" in check and "FAIL" not in check

    assert "not scored (no binding)" not in second_run
    assert re.search(rf"{own_form.FORM_ID}.*form_1faipqlse_own_checkin@0\.1\.0.*{waiting}\s.*"
                     rf"{waiting}\s.*0", second_list)
    statement = ("SELECT source_idem_key, instrument_id, score FROM measurement_events "
                 "WHERE source_idem_key LIKE '%forms-own%'")
    scores = run(env, ["lorchestra", "sql", statement, "--json"])
    got: dict[str, dict[str, float]] = {}
    for row in json.loads(scores.stdout):
        response_id = row["source_idem_key"].split(":")[-1].split("#")[0]
        got.setdefault(response_id, {})[row["instrument_id"]] = row["score"]
    assert got == {rid: {"phq9": phq, "gad7": gad} for rid, (phq, gad) in expected.items()}


def test_a_broken_binding_file_is_reported_and_other_forms_still_score(
    home: Path, practice: dict[str, str]
) -> None:
    env = json.loads(practice["env"])
    (home / "bindings").mkdir(mode=0o700)
    (home / "bindings" / "form_broken.json").write_text(
        json.dumps({"id": "form_broken", "version": "1.0.0", "form_id": "x",
                    "instruments": [{"instrument": "phq9", "options": [{"text": "a", "value": 9}],
                                     "items": [{"question_id": "q1", "item": "phq9_1"}]}]}))
    result = run(env, ["lorchestra", "run", "daily", "--json"])
    assert result.returncode == 0, result.stderr[-3000:]
    steps = {s["job_id"]: s["counts"] for s in json.loads(result.stdout)["steps"]}
    scored = steps["score_measurements"]
    assert scored["events_inserted"] > 0  # the sample forms' responses
    assert scored["unbound"] == 6 and scored["unbound_forms"] == {own_form.FORM_ID: 6}
    assert scored["binding_errors"] == {"form_broken.json": 1}
    doctor = run(env, ["lorchestra", "doctor"])
    assert "form_broken.json: instruments[0].options[0].value: 9 is outside" in doctor.stdout
    check = run(env, ["lorchestra", "forms", "check"])
    assert check.returncode == 1
    assert "form_broken.json: instruments[0].options[0].value" in check.stdout
