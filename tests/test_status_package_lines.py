"""``lorchestra status`` shows what packages say needs attention (``lorchestra.status``).

final_form contributes the questionnaire responses that wait for a binding and the binding
files that fail validation; the test drives the real executable, as a table and as ``--json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lorchestra.api import Warehouse
from tests.support import own_form
from tests.test_forms_queries import seed

BIN = Path(sys.executable).parent
UNBOUND = f"3 responses of form {own_form.FORM_ID} are not scored: no binding"


def status(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run([str(BIN / "lorchestra"), "status", *args], capture_output=True,
                          text=True, env=env, timeout=120)


@pytest.mark.parametrize("warehouse", ["duckdb"], indirect=True)
def test_status_counts_responses_of_unbound_forms_and_names_broken_bindings(
    warehouse: Warehouse, home: Path, tmp_path: Path
) -> None:
    seed(warehouse, tmp_path, resource=own_form.form_resource())
    warehouse.close()

    table = status(home)
    assert f"WARN forms: {UNBOUND} (run `lorchestra forms draft-binding {own_form.FORM_ID}`)" \
        in table.stdout.splitlines()
    as_json = json.loads(status(home, "--json").stdout)
    assert [line for line in as_json["packages"] if line["check"] == "forms"] == [{
        "check": "forms", "status": "warn",
        "detail": f"{UNBOUND} (run `lorchestra forms draft-binding {own_form.FORM_ID}`)"}]
    # A warning alone changes neither the verdict nor the exit code (1 here: nothing has run).
    assert "package" not in as_json["verdict"] and table.returncode == 1
    assert as_json["verdict"] in table.stdout

    bindings = home / "bindings"
    bindings.mkdir(mode=0o700, exist_ok=True)
    (bindings / "broken.json").write_text('{"binding_id": 7}', encoding="utf-8")
    broken = status(home, "--json")
    assert broken.returncode == 1
    document = json.loads(broken.stdout)
    assert not document["ok"] and "package line(s) failed (bindings)" in document["verdict"]
    failed = [line for line in document["packages"] if line["status"] == "fail"]
    assert failed and all(line["check"] == "bindings" and "broken.json" in line["detail"]
                          for line in failed)
    (bindings / "broken.json").unlink()

    env = {**os.environ, "LORCHESTRA_HOME": str(home)}
    drafted = subprocess.run([str(BIN / "lorchestra"), "forms", "draft-binding",
                              own_form.FORM_ID], capture_output=True, text=True, env=env,
                             timeout=120)
    assert drafted.returncode == 0, drafted.stderr
    assert UNBOUND not in status(home).stdout  # bound now: the scoring job will take them
