"""doctor lists the connections per source and warns about ingests that can never run here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lorchestra.cli import app

runner = CliRunner()


def test_doctor_lists_sources_and_warns_about_unconfigured_ones(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "lorchestra.toml"
    config.write_text(
        '[connections.stripe-main]\nsource_system = "stripe"\ntap = "tap-stripe"\n'
        'object_type = "customer"\nsecrets = { api_key = "STRIPE_MAIN_API_KEY" }\n'
    )
    monkeypatch.setenv("LORCHESTRA_CONFIG", str(config))
    monkeypatch.setenv("STRIPE_MAIN_API_KEY", "sk_test_not_shown")
    result = runner.invoke(app, ["doctor", "--json"])
    rows = {row["check"]: row for row in json.loads(result.output)}
    assert rows["source stripe"] == {
        "check": "source stripe", "status": "ok", "detail": "stripe-main",
    }  # fmt: skip
    warned = {name for name, row in rows.items() if row["status"] == "warn"}
    assert warned == {
        "definition ingest_gmail", "definition ingest_exchange", "definition ingest_forms",
        "definition ingest_dataverse",
    }  # fmt: skip
    assert rows["definition ingest_gmail"]["detail"] == (
        "no gmail connection is configured: every run skips it"
    )
    # Warnings inform; they do not fail doctor (whatever else this machine lacks, e.g. Meltano's
    # plugins before the first install, decides the exit code).
    failed = [row for row in rows.values() if row["status"] == "FAIL"]
    assert not any(row["check"].startswith(("source ", "definition ")) for row in failed)
    assert result.exit_code == (1 if failed else 0)
