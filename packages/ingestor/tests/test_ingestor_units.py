"""Fast tests: settings to environment variables, names, the lock, log sanitising, checks."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import ingestor
from ingestor import ExtractError, LockTimeoutError, ProjectError
from ingestor._extract import _plugin_settings
from ingestor._logs import cause_of, sanitize_line, tail_of
from ingestor._project import QUIET_ENV, meltano_env, project_lock


def test_settings_become_meltano_environment_variables(tmp_path: Path) -> None:
    env = _plugin_settings(
        "tap-gmail-sample", tmp_path / "r1", "r1",
        since=datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
        until=date(2026, 2, 1),
        config={"path": "/data/x.jsonl", "primary_keys": ["id"], "schema_sample_records": 5,
                "start_date": "ignored-because-since-wins"})
    assert env == {
        "TAP_GMAIL_SAMPLE_PATH": "/data/x.jsonl",
        "TAP_GMAIL_SAMPLE_PRIMARY_KEYS": '["id"]',
        "TAP_GMAIL_SAMPLE_SCHEMA_SAMPLE_RECORDS": "5",
        "TAP_GMAIL_SAMPLE_START_DATE": "2026-01-02T01:04:05Z",
        "TAP_GMAIL_SAMPLE_END_DATE": "2026-02-01",
        "TARGET_JSONL_DESTINATION_PATH": str(tmp_path / "r1"),
        "TARGET_JSONL_CUSTOM_NAME": "r1",
        "TARGET_JSONL_DO_TIMESTAMP_FILE": "false",
    }
    naive = _plugin_settings("tap-x", tmp_path, "r", since=datetime(2026, 1, 1), until=None,
                             config=None)
    assert naive["TAP_X_START_DATE"] == "2026-01-01T00:00:00Z"
    assert datetime(2026, 1, 1, tzinfo=UTC).isoformat().startswith("2026-01-01")


def test_calls_home_are_off_whatever_the_caller_passes() -> None:
    env = meltano_env({"MELTANO_SEND_ANONYMOUS_USAGE_STATS": "true", "EXTRA": "1"},
                      {"TARGET_JSONL_CUSTOM_NAME": "r"})
    assert env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] == "false"
    assert env["MELTANO_CLI_DISABLE_VERSION_CHECK"] == "true"
    assert env["MELTANO_HUB_URL"] == QUIET_ENV["MELTANO_HUB_URL"]
    assert env["EXTRA"] == "1" and env["TARGET_JSONL_CUSTOM_NAME"] == "r"


def test_output_path_is_deterministic_and_names_are_checked(tmp_path: Path) -> None:
    assert ingestor.output_path(tmp_path, "tap-a", "run.1") == tmp_path / "tap-a/run.1/run.1.jsonl"
    for bad in ("", "../x", "a/b", "..", ".hidden", "a b"):
        with pytest.raises(ValueError, match="not a safe name"):
            ingestor.output_path(tmp_path, "tap-a", bad)


def test_lock_timeout_is_a_clear_error(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "meltano.yml").write_text("plugins: {}\n")
    with project_lock(project), pytest.raises(LockTimeoutError) as caught:
        ingestor.extract_to_jsonl("tap-x", "locked", project_dir=project,
                                  output_root=tmp_path / "out", lock_timeout=0.3)
    assert "held the lock" in str(caught.value) and isinstance(caught.value, ExtractError)
    assert not (tmp_path / "out" / "tap-x" / "locked").exists()
    with project_lock(project, timeout=0.1):
        pass  # released after the failed wait


def test_declared_settings_follow_inheritance(tmp_path: Path) -> None:
    (tmp_path / "meltano.yml").write_text(
        "plugins:\n  extractors:\n"
        "  - name: tap-base\n    settings:\n    - name: path\n    - name: encoding\n"
        "  - name: tap-child\n    inherit_from: tap-base\n    settings:\n    - name: extra\n"
    )
    assert ingestor.declared_settings("tap-child", tmp_path) == {"path", "encoding", "extra"}
    assert ingestor.declared_settings("tap-base", tmp_path) == {"path", "encoding"}
    assert ingestor.declared_settings("tap-missing", tmp_path) is None


def test_an_undeclared_setting_is_refused_before_running(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    (project / "meltano.yml").write_text(
        "plugins:\n  extractors:\n  - name: tap-x\n    settings:\n    - name: user_id\n")
    with pytest.raises(ingestor.UnknownSettingError) as caught:
        ingestor.extract_to_jsonl("tap-x", "run-1", project_dir=project,
                                  output_root=tmp_path / "out",
                                  config={"user_id": "me", "lable_ids": ["INBOX"]})
    assert str(caught.value) == ("tap-x has no setting 'lable_ids'; Meltano would ignore it. "
                                 "Its settings: user_id.")
    assert not (tmp_path / "out").exists()


def test_the_shipped_project_declares_every_tap_setting() -> None:
    # Every setting a real tap accepts is declared in meltano.yml, or Meltano would drop it
    # (the SDK's own stream-map, flattening and batch settings aside).
    import importlib

    from singer_sdk.helpers import capabilities

    builtin = {name for attr in dir(capabilities) if attr.endswith("_CONFIG")
               for name in getattr(capabilities, attr).get("properties", {})}
    taps = {"tap-gmail": "tap_gmail.tap:TapGmail", "tap-stripe": "tap_stripe.tap:TapStripe",
            "tap-google-forms": "tap_google_forms.tap:TapGoogleForms",
            "tap-msgraph-mail": "tap_msgraph_mail.tap:TapMSGraphMail",
            "tap-dataverse": "tap_dataverse.tap:TapDataverse"}
    for tap, target in taps.items():
        module, cls = target.split(":")
        schema = getattr(importlib.import_module(module), cls).config_jsonschema
        accepted = set(schema["properties"]) - builtin
        declared = ingestor.declared_settings(tap)
        assert declared is not None, tap
        assert accepted and accepted <= declared, (tap, sorted(accepted - declared))


def test_project_resolution_and_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LORCHESTRA_MELTANO_PROJECT", raising=False)
    repo_project = ingestor.resolve_project_dir()  # from the source tree
    assert (repo_project / "meltano.yml").is_file() and repo_project.name == "meltano"
    with pytest.raises(ProjectError, match="no meltano.yml"):
        ingestor.resolve_project_dir(tmp_path)
    assert ingestor.meltano_installed(tmp_path) is False
    assert "no meltano.yml" in ingestor.check_project(tmp_path)[0]
    (tmp_path / "meltano.yml").write_text(
        "plugins:\n  loaders:\n  - name: target-x\n    pip_url: target-x==1\n")
    monkeypatch.setenv("LORCHESTRA_MELTANO_PROJECT", str(tmp_path))
    assert ingestor.resolve_project_dir() == tmp_path.resolve()
    problems = ingestor.check_project()
    assert len(problems) == 1 and "loader target-x" in problems[0]
    assert "meltano install" in problems[0]


def test_meltano_bin_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LORCHESTRA_MELTANO_BIN", str(tmp_path / "missing"))
    with pytest.raises(ProjectError, match="not an executable"):
        ingestor.find_meltano()
    monkeypatch.delenv("LORCHESTRA_MELTANO_BIN")
    assert ingestor.find_meltano().name == "meltano"


def _log(event: str, **fields: object) -> str:
    return json.dumps({"event": event, "level": "info", **fields})


def test_log_sanitising_drops_records_and_redacts_values() -> None:
    secret = "CANARY-secret jane@example.com"
    lines = [
        _log("Traceback (most recent call last):", name="target-jsonl"),
        _log('  File "/x/target_jsonl.py", line 54, in persist_messages', name="target-jsonl"),
        _log(f"jsonschema.exceptions.ValidationError: '{secret}' is not of type 'integer'",
             name="target-jsonl"),
        _log(f"    '{secret}'", name="target-jsonl"),
        _log("             ^^^^^^", name="target-jsonl"),
        _log(json.dumps({"type": "RECORD", "stream": "s", "record": {"x": secret}})),
        _log('METRIC: {"type":"counter","metric":"record_count","value":2}', name="tap-a"),
        _log(f"Bad value for user {secret.split()[1]} here", name="tap-a"),
        f'{{"type": "RECORD", "record": {{"x": "{secret}"}}}}',
        "not json at all: Error: Block tap-nope not found",
        json.dumps({"event": "Block run completed", "level": "error", "err": "Loader failed"}),
    ]
    tail = tail_of(lines)
    assert all("CANARY" not in line and "jane@" not in line for line in tail)
    assert tail == [
        "info target-jsonl: Traceback (most recent call last):",
        'info target-jsonl: File "/x/target_jsonl.py", line 54, in persist_messages',
        "info target-jsonl: jsonschema.exceptions.ValidationError: '…' is not of type integer",
        "info tap-a: Bad value for user …@… here",
        "log meltano: not json at all: Error: Block tap-nope not found",
        "error meltano: Block run completed (Loader failed)",
    ]
    assert len(tail_of([_log(f"line {i} ok") for i in range(50)])) == 20
    assert sanitize_line("   ") is None


def test_the_cause_names_status_path_and_schema_rule_never_values() -> None:
    http = tail_of([
        _log("Traceback (most recent call last):", name="tap-x"),
        _log("requests.exceptions.HTTPError: 400 Client Error: Bad Request for url: "
             "https://api.example.org/v1/clients?email=jane@example.com&q=CANARY", name="tap-x"),
        json.dumps({"event": "Block run completed", "level": "error", "err": "Extractor failed"}),
    ])  # fmt: skip
    assert cause_of(http) == (
        "requests.exceptions.HTTPError: 400 Client Error: Bad Request for url: /v1/clients"
    )
    schema = tail_of([
        _log("jsonschema.exceptions.ValidationError: 'CANARY' is not of type 'integer'"),
        _log("Failed validating 'type' in schema['properties']['size']:"),
        _log("On instance['size']:"),
        _log("    'CANARY'"),
    ])  # fmt: skip
    assert cause_of(schema) == "Failed validating type in schema.size:"
    assert all("CANARY" not in line for line in schema)
    assert cause_of(tail_of([_log("Run completed")])) is None
