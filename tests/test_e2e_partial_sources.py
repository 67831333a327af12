"""A practice with only some sources: ``run daily`` ingests those and skips the rest, exit 0.

From an empty home with one Google Forms connection and two Stripe connections (the real taps
against local fakes of the Forms and Stripe APIs) and no sample data, the real ``lorchestra``
executable runs the whole ``daily`` pipeline: the Gmail, Exchange and Dataverse ingests show as
``skipped (not configured)``, every other step completes, and the forms are scored.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ingestor
import sample_data
from tests.support.fake_apis import FakeGoogleForms, FakeStripe

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow


def records(directory: Path, relative: str) -> list[dict[str, Any]]:
    lines = (directory / relative).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def config(forms: FakeGoogleForms, stripe: FakeStripe, form_ids: list[str]) -> str:
    google = forms.credentials
    form_list = ", ".join(f'"{form}"' for form in form_ids)
    text = (
        "[connections.forms-intake]\n"
        'source_system = "google_forms"\ntap = "tap-google-forms"\n'
        'object_type = "form_response"\nexternal_id = "responseId"\n'
        f'settings = {{ api_url = "{forms.url}", token_url = "{forms.token_url}", '
        f'client_id = "{google.client_id}", form_ids = [{form_list}] }}\n'
        'secrets = { client_secret = "FORMS_SECRET", refresh_token = "FORMS_REFRESH" }\n'
    )
    for object_type, stream in (("customer", "customers"), ("invoice", "invoices")):
        text += (
            f'[connections."stripe-practice/{object_type}"]\n'
            'connection_name = "stripe-practice"\nsource_system = "stripe"\ntap = "tap-stripe"\n'
            f'object_type = "{object_type}"\nexternal_id = "id"\n'
            f'settings = {{ api_url = "{stripe.url}", streams = ["{stream}"] }}\n'
            'secrets = { api_key = "STRIPE_KEY" }\n'
        )
    return text


def test_daily_with_only_forms_and_stripe(home: Path, tmp_path: Path) -> None:
    ingestor.install_project()
    data = tmp_path / "sample"
    sample_data.generate(data, seed=8, size=60)
    responses = records(data, "google_forms/forms-intake/form_response.jsonl")
    stripe_objects = records(data, "stripe/stripe-practice/customer.jsonl") + records(
        data, "stripe/stripe-practice/invoice.jsonl"
    )
    assert responses and stripe_objects
    form_ids = sorted({r["_form"]["formId"] for r in responses})
    with FakeGoogleForms(responses) as forms, FakeStripe(stripe_objects) as stripe:
        path = tmp_path / "lorchestra.toml"
        path.write_text(config(forms, stripe, form_ids), encoding="utf-8")
        path.chmod(0o600)
        env = {
            **{k: v for k, v in os.environ.items() if k != "LORCHESTRA_SAMPLE_DATA"},
            "LORCHESTRA_HOME": str(home),
            "LORCHESTRA_CONFIG": str(path),
            "FORMS_SECRET": forms.credentials.client_secret,
            "FORMS_REFRESH": forms.credentials.refresh_token,
            "STRIPE_KEY": stripe.api_key,
        }
        ran = subprocess.run([str(BIN / "lorchestra"), "run", "daily", "--json"],
                             capture_output=True, text=True, env=env, timeout=900)  # fmt: skip
        plain = subprocess.run([str(BIN / "lorchestra"), "run", "daily-ingest"],
                               capture_output=True, text=True, env=env, timeout=900)  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    steps = {s["job_id"]: s for s in json.loads(ran.stdout)["steps"]}
    skipped = {job for job, s in steps.items() if s["status"] == "skipped"}
    assert skipped == {"ingest_gmail", "ingest_exchange", "ingest_dataverse"}
    assert {steps[job]["skipped"] for job in skipped} == {"not configured"}
    assert all(s["status"] == "completed" for job, s in steps.items() if job not in skipped)
    assert steps["ingest_forms"]["counts"]["inserted"] == len(responses)
    assert steps["score_measurements"]["counts"]["events_inserted"] > 0
    assert plain.returncode == 0, plain.stderr
    assert "skipped (not configured)" in plain.stdout

    # A source the practice does not have is never overdue or failing: status stays healthy.
    status = subprocess.run([str(BIN / "lorchestra"), "status", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert status.returncode == 0, status.stdout
    states = {job["job_id"]: job for job in json.loads(status.stdout)["jobs"]}
    assert states["ingest_gmail"]["status"] == "skipped" and not states["ingest_gmail"]["overdue"]
    runs = subprocess.run([str(BIN / "lorchestra"), "runs", "list", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert "skipped" in {run["status"] for run in json.loads(runs.stdout)}
    assert None not in {run["status"] for run in json.loads(runs.stdout)}  # none left running

    listed = subprocess.run([str(BIN / "lorchestra"), "connections", "list", "--json"],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    connections = {c["connection"]: c for c in json.loads(listed.stdout)}
    assert set(connections) == {
        "forms-intake", "stripe-practice/customer", "stripe-practice/invoice",
    }  # fmt: skip
    forms_row = connections["forms-intake"]
    assert (forms_row["tap"], forms_row["objects"]) == ("tap-google-forms", len(responses))
    assert forms_row["state"] == "ok (0 read)"  # the last ingest (daily-ingest) found nothing new
    taps = subprocess.run([str(BIN / "lorchestra"), "taps", "list", "--json"],
                          capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    by_name = {t["tap"]: t for t in json.loads(taps.stdout)}
    assert by_name["tap-google-forms"]["connections"] == ["forms-intake"]
    assert by_name["tap-google-forms"]["installed"] is True
    assert "form_ids" in by_name["tap-google-forms"]["settings"]


def test_a_failing_tap_says_why_in_one_line(home: Path, tmp_path: Path) -> None:
    """An HTTP error from the API is named, with status and path, in the error and in event_log."""
    ingestor.install_project()
    with FakeGoogleForms([]) as forms, FakeStripe([]) as stripe:
        stripe.fail_next("/v1/customers", status=400, times=10)
        path = tmp_path / "lorchestra.toml"
        path.write_text(config(forms, stripe, ["unused-form"]), encoding="utf-8")
        env = {
            **{k: v for k, v in os.environ.items() if k != "LORCHESTRA_SAMPLE_DATA"},
            "LORCHESTRA_HOME": str(home),
            "LORCHESTRA_CONFIG": str(path),
            "STRIPE_KEY": stripe.api_key,
        }
        ran = subprocess.run(
            [str(BIN / "lorchestra"), "run-job", "ingester", "extract", "--connection",
             "stripe-practice/customer"],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip
    assert ran.returncode == 1
    error = [line for line in ran.stderr.splitlines() if line.startswith("error:")]
    assert len(error) == 1
    assert "HTTP 400 Bad Request from /v1/customers" in error[0]
    assert stripe.api_key not in ran.stderr
    failed = subprocess.run(
        [str(BIN / "lorchestra"), "sql", "--json",
         "SELECT error_message FROM event_log WHERE event_type = 'ingest.failed'"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    (row,) = json.loads(failed.stdout)
    assert "HTTP 400 Bad Request from /v1/customers" in row["error_message"]
