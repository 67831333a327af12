"""``extract_gmail`` through the real Gmail tap against a fake Gmail API, end to end.

The real ``lorchestra`` executable runs the configured ``tap-gmail`` connection (secrets from
the environment) through Meltano against ``FakeGmail`` serving one synthetic account; the raw
objects it lands must be exactly those the sample tap lands from the same messages.
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


def write_config(path: Path, gmail: FakeGmail) -> Path:
    credentials = gmail.credentials
    path.write_text(
        "[connections.gmail-acct1]\n"
        'source_system = "gmail"\n'
        'tap = "tap-gmail"\n'
        'object_type = "email"\n'
        'external_id = "id"\n'
        f'settings = {{ api_url = "{gmail.url}", token_url = "{gmail.token_url}", '
        f'client_id = "{credentials.client_id}", page_size = 25, max_retries = 2, '
        "backoff_max_seconds = 1 }\n"
        f'secrets = {{ client_secret = "{SECRET_VARS["client_secret"]}", '
        f'refresh_token = "{SECRET_VARS["refresh_token"]}" }}\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def test_real_tap_lands_the_same_raw_objects_as_the_sample_tap(
        meltano_project: Path, data: Path, tmp_path: Path) -> None:
    messages = [json.loads(line) for line in
                (data / "gmail/gmail-acct1/email.jsonl").read_text().splitlines()]
    assert len(messages) > 10

    sample_env = {"LORCHESTRA_HOME": str(tmp_path / "sample-home"),
                  "LORCHESTRA_SAMPLE_DATA": str(data)}
    assert extract(sample_env).returncode == 0

    with FakeGmail(messages) as gmail:
        credentials = gmail.credentials
        real_env = {
            "LORCHESTRA_HOME": str(tmp_path / "real-home"),
            "LORCHESTRA_CONFIG": str(write_config(tmp_path / "lorchestra.toml", gmail)),
            SECRET_VARS["client_secret"]: credentials.client_secret,
            SECRET_VARS["refresh_token"]: credentials.refresh_token,
        }
        first = extract(real_env)
        assert first.returncode == 0, first.stderr
        counts = json.loads(first.stdout)["counts"]
        assert counts["read"] == counts["inserted"] == len(messages)

        # The next run resumes from the end of the last window: Gmail is asked only for mail
        # after it, and nothing lands twice.
        second = extract(real_env)
        assert second.returncode == 0, second.stderr
        assert json.loads(second.stdout)["counts"]["inserted"] == 0
        queries = [r.query.get("q", [""])[0] for r in gmail.requests
                   if r.path == "/gmail/v1/users/me/messages"]
        assert queries[0] == "" and queries[-1].startswith("after:")

    assert raw_objects(real_env) == raw_objects(sample_env)
    # Neither secret reaches the output, the logs or the event log.
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "real-home").rglob("*.log"))
    events = lorc(real_env, "sql", "SELECT * FROM event_log", "--json").stdout
    for secret in credentials.secrets():
        for text in (first.stdout, first.stderr, second.stderr, logs, events):
            assert secret not in text


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
