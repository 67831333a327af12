"""Encrypted backups, extracts and quarantine files; key init and rotation; backup retention.

The sealed format is tested directly (round trip, appends, tampering, wrong key); the rest
drives the real ``lorchestra`` executable: a daily run on sample data with LORCHESTRA_ENCRYPT=1
and a key file leaves no subject line in clear under backup/, extract/ or quarantine/, and
replaying its backups into an empty warehouse restores every table; rotation re-encrypts; prune
keeps the newest copy of every object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import ingestor
import sample_data
from lorchestra import sealed
from lorchestra.backup import append_backup
from lorchestra.config import load_settings
from lorchestra.keys import load_ring
from lorchestra.sealed import KeyRing, SealedFileError
from lorchestra.warehouse.schema import RAW_OBJECTS

BIN = Path(sys.executable).parent
TABLES = ("raw_objects", "canonical_objects", "canonical_rejections", "measurement_events",
          "observations")


def lorc(home: Path, key_file: Path | None, *args: str, **env: str) -> (
    subprocess.CompletedProcess[str]
):
    full = {**os.environ, "LORCHESTRA_HOME": str(home), **env}
    if key_file is not None:
        full["LORCHESTRA_KEY_FILE"] = str(key_file)
    return subprocess.run(
        [str(BIN / "lorchestra"), *args], capture_output=True, text=True, env=full, timeout=900
    )


def counts(home: Path, key_file: Path | None) -> dict[str, int]:
    out = {}
    for table in TABLES:
        result = lorc(home, key_file, "sql", f"SELECT COUNT(*) AS n FROM {table}", "--json")
        out[table] = json.loads(result.stdout)[0]["n"]
    return out


def files_under(home: Path, *folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (home / folder).rglob("*") if p.is_file())


# -- the sealed format ------------------------------------------------------------------------
def test_sealed_round_trip_appends_and_tamper_detection(tmp_path: Path) -> None:
    ring = KeyRing(os.urandom(32))
    path = tmp_path / "f.jsonl.enc"
    sealed.append(path, b'{"a": "first secret"}\n', ring)
    sealed.append(path, b'{"a": "second secret"}\n{"a": 3}\n', ring)
    assert path.stat().st_mode & 0o777 == 0o600
    assert b"secret" not in path.read_bytes() and sealed.is_sealed(path)
    assert list(sealed.iter_lines(path, ring)) == [
        b'{"a": "first secret"}\n', b'{"a": "second secret"}\n', b'{"a": 3}\n'
    ]
    with pytest.raises(SealedFileError, match="no longer configured"):
        list(sealed.iter_lines(path, KeyRing(os.urandom(32))))
    damaged = bytearray(path.read_bytes())
    damaged[-5] ^= 1
    path.write_bytes(bytes(damaged))
    with pytest.raises(SealedFileError, match="record 2 does not decrypt"):
        list(sealed.iter_lines(path, ring))
    # Cut inside the last record's body, and inside the first record's length prefix.
    for truncated in (bytes(damaged[:-3]), bytes(damaged[: sealed.HEADER_SIZE + 2])):
        path.write_bytes(truncated)
        with pytest.raises(SealedFileError, match="is cut short"):
            list(sealed.iter_lines(path, ring))


def test_records_cannot_be_swapped_between_files(tmp_path: Path) -> None:
    ring = KeyRing(os.urandom(32))
    one, two = tmp_path / "1.enc", tmp_path / "2.enc"
    sealed.append(one, b"x\n", ring)
    sealed.append(two, b"y\n", ring)
    spliced = one.read_bytes()[:32] + two.read_bytes()[32:]
    one.write_bytes(spliced)
    with pytest.raises(SealedFileError):
        list(sealed.iter_lines(one, ring))


# -- keys -------------------------------------------------------------------------------------
def test_without_a_keyring_backend_the_key_file_is_asked_for(home: Path) -> None:
    result = lorc(home, None, "key", "init")
    assert result.returncode == 2
    assert "set LORCHESTRA_KEY_FILE" in result.stderr


@pytest.mark.parametrize("command", [("run-job", "reporter", "sync_sqlite"), ("run", "daily")])
def test_encryption_on_without_a_key_refuses_to_run(
    home: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    key_file = tmp_path / "keys" / "k"
    result = lorc(home, key_file, *command, LORCHESTRA_ENCRYPT="1")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: Encryption is on but no key exists yet; run `lorchestra key init` first."
    ]
    assert not (home / "lorchestra.duckdb").exists()


def test_init_encrypt_turns_it_on_for_the_home(home: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "k"
    made = lorc(home, key_file, "init", "--encrypt")
    assert made.returncode == 0, made.stderr
    assert "Encryption on, with the created key" in made.stdout
    assert key_file.stat().st_mode & 0o777 == 0o600 and (home / "ENCRYPTED").exists()
    again = lorc(home, key_file, "key", "init")
    assert "Kept the existing key" in again.stdout


# -- a daily run, encrypted ----------------------------------------------------------------
@pytest.mark.slow
def test_encrypted_daily_run_replay_and_rotation(tmp_path: Path) -> None:
    ingestor.install_project()
    data = tmp_path / "sample"
    sample_data.generate(data, seed=5, size=60)
    home, key_file = tmp_path / "home", tmp_path / "keys" / "lorchestra.key"
    env = {"LORCHESTRA_SAMPLE_DATA": str(data), "LORCHESTRA_ENCRYPT": "1"}
    assert lorc(home, key_file, "key", "init", **env).returncode == 0
    ran = lorc(home, key_file, "run", "daily", "--json", **env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stderr == ""

    subjects = json.loads(lorc(home, key_file, "sql",
        "SELECT DISTINCT JSON_VALUE(payload, '$.subject') AS s FROM canonical_objects "
        "WHERE JSON_VALUE(payload, '$.subject') IS NOT NULL", "--json", **env).stdout)
    assert len(subjects) > 5
    stored = files_under(home, "backup", "extract", "quarantine")
    assert stored and all(p.name.endswith(".jsonl.enc") for p in stored)
    for path in stored:
        content = path.read_bytes()
        assert sealed.is_sealed(path)
        for row in subjects:
            assert row["s"].encode() not in content, f"a subject line in clear in {path}"

    before = counts(home, key_file)
    assert before["raw_objects"] > 0 and before["observations"] > 0
    empty = tmp_path / "empty"
    assert lorc(empty, key_file, "init").returncode == 0
    replayed = lorc(empty, key_file, "replay", *map(str, files_under(home, "backup")))
    assert replayed.returncode == 0, replayed.stderr
    assert counts(empty, key_file) == before

    old_key = key_file.read_text()
    rotated = lorc(home, key_file, "key", "rotate", **env)
    assert rotated.returncode == 0, rotated.stderr
    assert f"{len(files_under(home, 'backup', 'extract', 'quarantine'))} file(s) re-encrypted" \
        in rotated.stdout
    assert key_file.read_text() != old_key and len(key_file.read_text().splitlines()) == 1
    fresh = tmp_path / "fresh"
    assert lorc(fresh, key_file, "init").returncode == 0
    again = lorc(fresh, key_file, "replay", *map(str, files_under(home, "backup")))
    assert again.returncode == 0, again.stderr
    assert counts(fresh, key_file) == before
    (tmp_path / "old.key").write_text(old_key)
    stale = lorc(tmp_path / "stale", tmp_path / "old.key", "replay",
                 str(files_under(home, "backup")[0]))
    assert stale.returncode == 2 and "no longer configured" in stale.stderr


# -- retention --------------------------------------------------------------------------------
def _raw(key: str, body: str, seen: datetime) -> dict[str, object]:
    return {
        "idem_key": key, "source_system": "s", "connection_name": "c", "object_type": "o",
        "schema_ref": None, "external_id": key, "payload": json.dumps({"body": body}),
        "payload_hash": body, "first_seen": seen, "last_seen": seen,
    }


@pytest.mark.slow
@pytest.mark.parametrize("encrypted", [False, True])
def test_prune_keeps_the_newest_copy_of_every_object(
    home: Path, tmp_path: Path, encrypted: bool
) -> None:
    key_file = tmp_path / "keys" / "k"
    env = {"LORCHESTRA_ENCRYPT": "1"} if encrypted else {}
    assert lorc(home, key_file, "key", "init").returncode == 0
    stored = load_ring(load_settings(environ={"LORCHESTRA_HOME": str(home),
                                              "LORCHESTRA_KEY_FILE": str(key_file)}))
    ring = stored if encrypted else None
    now = datetime.now(UTC)
    days = {"ancient": now - timedelta(days=200), "old": now - timedelta(days=120),
            "recent": now - timedelta(days=10)}
    plan = {  # day -> objects written that day (a: changed each time, b: once, c: twice)
        "ancient": [("a", "a1"), ("b", "b1"), ("c", "c1")],
        "old": [("a", "a2")],
        "recent": [("a", "a3"), ("c", "c2")],
    }
    for label, objects in plan.items():
        day = days[label]
        name = f"run_{day:%Y%m%dT%H%M%S}000Z-x.jsonl"
        path = home / "backup" / "raw" / f"{day:%Y-%m-%d}" / name
        if ring is not None:
            path = sealed.sealed_path(path)
        append_backup(path, RAW_OBJECTS, [_raw(k, body, day) for k, body in objects], ring)

    pruned = lorc(home, key_file, "backup", "prune", "--older-than", "90d", "--json", **env)
    assert pruned.returncode == 0, pruned.stderr
    summary = json.loads(pruned.stdout)
    assert summary["rows_dropped"] == 3  # a1, a2 and c1: each has a newer copy
    assert summary["files_deleted"] == 1  # the old day's file held only a2
    assert summary["files_rewritten"] == 1  # the ancient day's file keeps b1 alone
    remaining = files_under(home, "backup")
    assert len(remaining) == 2
    empty = tmp_path / "empty"
    assert lorc(empty, key_file, "init").returncode == 0
    assert lorc(empty, key_file, "replay", *map(str, remaining)).returncode == 0
    rows = json.loads(lorc(empty, key_file, "sql",
        "SELECT idem_key, JSON_VALUE(payload, '$.body') AS body FROM raw_objects "
        "ORDER BY idem_key", "--json").stdout)
    assert rows == [{"idem_key": "a", "body": "a3"}, {"idem_key": "b", "body": "b1"},
                    {"idem_key": "c", "body": "c2"}]
    assert all(sealed.is_sealed(p) is encrypted for p in remaining)
