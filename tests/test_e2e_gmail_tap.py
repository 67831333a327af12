"""``extract_gmail`` through the real Gmail tap against a fake Gmail API, end to end.

The real ``lorchestra`` executable runs the configured ``tap-gmail`` connection (secrets from
the environment) through Meltano against ``FakeGmail`` serving one synthetic account; the raw
objects it lands must be exactly those the sample tap lands from the same messages. A second run
resumes as lorchestra alone decides: from the first window's end (in ``event_log``) less the
connection's ``overlap_seconds``, which is what Gmail is asked for, and the messages re-read in
the overlap are reported unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import ingestor
import sample_data
from tests.support.fake_apis import FakeGmail

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

SECRET_VARS = {"client_secret": "GMAIL_ACCT1_CLIENT_SECRET",
               "refresh_token": "GMAIL_ACCT1_REFRESH_TOKEN"}
RAW_SQL = "SELECT idem_key, external_id, payload_hash, payload FROM raw_objects ORDER BY idem_key"


@pytest.fixture(scope="module")
def meltano_project() -> Path:
    return ingestor.install_project()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    out = tmp_path / "sample"
    sample_data.generate(out, seed=11, size=120, sources=["gmail/gmail-acct1"])
    return out


def lorc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=300)


def extract(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return lorc(env, "run-job", "ingester", "extract_gmail", "--account", "acct1", "--json")


def raw_objects(env: dict[str, str]) -> list[dict[str, Any]]:
    out = lorc(env, "sql", RAW_SQL, "--json")
    assert out.returncode == 0, out.stderr
    rows: list[dict[str, Any]] = json.loads(out.stdout)
    return rows


def write_config(path: Path, gmail: FakeGmail, overlap_seconds: int = 3600) -> Path:
    credentials = gmail.credentials
    path.write_text(
        "[connections.gmail-acct1]\n"
        'source_system = "gmail"\n'
        'tap = "tap-gmail"\n'
        'object_type = "email"\n'
        'external_id = "id"\n'
        f"overlap_seconds = {overlap_seconds}\n"
        f'settings = {{ api_url = "{gmail.url}", token_url = "{gmail.token_url}", '
        f'client_id = "{credentials.client_id}", page_size = 25, max_retries = 2, '
        "backoff_max_seconds = 1 }\n"
        f'secrets = {{ client_secret = "{SECRET_VARS["client_secret"]}", '
        f'refresh_token = "{SECRET_VARS["refresh_token"]}" }}\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def ingest_windows(env: dict[str, str], run_id: str) -> list[dict[str, Any]]:
    """The ingest events of one run as ``lorchestra runs show`` gives them, payloads parsed."""
    out = lorc(env, "runs", "show", run_id, "--json")
    assert out.returncode == 0, out.stderr
    return [{**event, "data": json.loads(event["data"])} for event in json.loads(out.stdout)
            if event["event_type"].startswith("ingest.")]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_real_tap_lands_the_same_raw_objects_as_the_sample_tap(
        meltano_project: Path, data: Path, tmp_path: Path) -> None:
    messages = [json.loads(line) for line in
                (data / "gmail/gmail-acct1/email.jsonl").read_text().splitlines()]
    assert len(messages) > 10
    received = sorted(int(m["internalDate"]) for m in messages)
    # An overlap reaching an hour before the third newest message, so the next run re-reads
    # a few of them (a real connection keeps the default hour).
    overlap = int(time.time() - received[-3] / 1000) + 3600

    sample_env = {"LORCHESTRA_HOME": str(tmp_path / "sample-home"),
                  "LORCHESTRA_SAMPLE_DATA": str(data)}
    assert extract(sample_env).returncode == 0

    with FakeGmail(messages) as gmail:
        credentials = gmail.credentials
        config = write_config(tmp_path / "lorchestra.toml", gmail, overlap_seconds=overlap)
        real_env = {
            "LORCHESTRA_HOME": str(tmp_path / "real-home"),
            "LORCHESTRA_CONFIG": str(config),
            SECRET_VARS["client_secret"]: credentials.client_secret,
            SECRET_VARS["refresh_token"]: credentials.refresh_token,
        }
        first = extract(real_env)
        assert first.returncode == 0, first.stderr
        counts = json.loads(first.stdout)["counts"]
        assert counts["read"] == counts["inserted"] == len(messages)

        # The next run starts where lorchestra's record of the first window ends, less the
        # connection's overlap: that is what Gmail is asked for, and what it re-reads of the
        # messages already landed is unchanged.
        second = extract(real_env)
        assert second.returncode == 0, second.stderr
        queries = [r.query.get("q", [""])[0] for r in gmail.requests
                   if r.path == "/gmail/v1/users/me/messages"]

    started, completed = ingest_windows(real_env, json.loads(first.stdout)["run_id"])
    assert started["data"]["window_start"] is None  # no run before: the whole mailbox
    first_end = instant(completed["data"]["window_end"])
    resumed = first_end - timedelta(seconds=overlap)
    again = [ms for ms in received if ms >= resumed.timestamp() * 1000]
    assert 3 <= len(again) < len(messages)
    _, completed = ingest_windows(real_env, json.loads(second.stdout)["run_id"])
    assert instant(completed["data"]["window_start"]) == resumed
    # Gmail's after: is a second early (its boundary rule is undocumented); the tap trims it.
    assert queries[0] == "" and set(queries[1:]) == {f"after:{int(resumed.timestamp()) - 1}"}
    counts = json.loads(second.stdout)["counts"]
    assert (counts["read"], counts["unchanged"], counts["inserted"], counts["updated"]) == (
        len(again), len(again), 0, 0)

    assert raw_objects(real_env) == raw_objects(sample_env)
    # Neither secret reaches the output, the logs or the event log.
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "real-home").rglob("*.log"))
    events = lorc(real_env, "sql", "SELECT * FROM event_log", "--json").stdout
    for secret in credentials.secrets():
        for text in (first.stdout, first.stderr, second.stderr, logs, events):
            assert secret not in text


def test_an_interrupted_run_is_read_again_whole_by_the_next(
        meltano_project: Path, data: Path, tmp_path: Path) -> None:
    messages = [json.loads(line) for line in
                (data / "gmail/gmail-acct1/email.jsonl").read_text().splitlines()]
    with FakeGmail(messages) as gmail:
        env = {"LORCHESTRA_HOME": str(tmp_path / "home"),
               "LORCHESTRA_CONFIG": str(write_config(tmp_path / "lorchestra.toml", gmail)),
               SECRET_VARS["client_secret"]: gmail.credentials.client_secret,
               SECRET_VARS["refresh_token"]: gmail.credentials.refresh_token}
        gmail.fail_after("/gmail/", served=len(messages) // 2)  # mid-way, then 500 for ever
        failed = extract(env)
        gmail.clear_faults()
        again = extract(env)
    assert failed.returncode == 1 and json.loads(failed.stdout)["status"] == "failed"
    assert again.returncode == 0, again.stderr
    # The failed run recorded no window, so the next one read the same (whole) window again.
    failed_events = ingest_windows(env, json.loads(failed.stdout)["run_id"])
    assert [e["event_type"] for e in failed_events] == ["ingest.started", "ingest.failed"]
    started, completed = ingest_windows(env, json.loads(again.stdout)["run_id"])
    assert started["data"]["window_start"] is failed_events[0]["data"]["window_start"] is None
    counts = json.loads(again.stdout)["counts"]
    assert counts["read"] == counts["inserted"] == len(messages)
    assert len(raw_objects(env)) == len(messages)


def test_a_missing_secret_is_named_and_nothing_runs(
        meltano_project: Path, tmp_path: Path) -> None:
    with FakeGmail([]) as gmail:
        env = {"LORCHESTRA_HOME": str(tmp_path / "home"),
               "LORCHESTRA_CONFIG": str(write_config(tmp_path / "lorchestra.toml", gmail)),
               SECRET_VARS["client_secret"]: gmail.credentials.client_secret}
        out = extract(env)
        assert gmail.requests == []
    assert out.returncode == 2
    assert SECRET_VARS["refresh_token"] in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_a_misspelled_setting_is_refused_not_dropped(tmp_path: Path) -> None:
    with FakeGmail([]) as gmail:
        config = write_config(tmp_path / "lorchestra.toml", gmail)
        config.write_text(config.read_text().replace("page_size", "pagesize"))
        env = {"LORCHESTRA_HOME": str(tmp_path / "home"), "LORCHESTRA_CONFIG": str(config),
               **{var: "not-used" for var in SECRET_VARS.values()}}
        out = extract(env)
        assert gmail.requests == []
    assert out.returncode != 0
    assert len(out.stderr.strip().splitlines()) == 1
    assert "tap-gmail has no setting 'pagesize'" in out.stderr and "page_size" in out.stderr
    assert "not-used" not in out.stderr
