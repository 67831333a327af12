"""Transform routes are data: a new version in the data home serves its route, a pin wins.

Through the real executable: the email lane is canonicalised; a practice drops version 1.1.0 of
the Gmail transform into ``<home>/transforms``; ``transforms list`` shows it serving gmail/email
as the newest stable version, and the next run recanonicalises only the Gmail messages (Exchange
is untouched). Pinning 1.0.0 in configuration brings the Gmail messages back to it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import canonizer
import ingestor
import sample_data

BIN = Path(sys.executable).parent
SHIPPED = Path(canonizer.__file__).parent / "transforms" / "email"
pytestmark = pytest.mark.slow


def lorc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=600)


def refs(env: dict[str, str]) -> dict[str, int]:
    out = lorc(env, "sql", "SELECT SPLIT(source_idem_key, ':')[OFFSET(0)] AS source, "
               "transform_ref, COUNT(*) AS n FROM canonical_objects GROUP BY 1, 2", "--json")
    assert out.returncode == 0, out.stderr
    return {f"{r['source']} {r['transform_ref']}": r["n"] for r in json.loads(out.stdout)}


def canonize_email(env: dict[str, str]) -> int:
    out = lorc(env, "run-job", "canonizer", "canonicalize_email", "--json")
    assert out.returncode == 0, out.stderr
    return int(json.loads(out.stdout)["counts"]["processed"])


def serving(env: dict[str, str]) -> dict[str, list[str]]:
    out = lorc(env, "transforms", "list", "--json")
    assert out.returncode == 0, out.stderr
    return {f"{t['id']}@{t['version']}": t["serves"] for t in json.loads(out.stdout)
            if t["id"] == "email/gmail_to_jmap_lite"}


def test_a_new_version_recanonicalises_only_its_route_and_a_pin_wins(
    home: Path, tmp_path: Path
) -> None:
    ingestor.install_project()
    data = tmp_path / "sample"
    manifest = sample_data.generate(data, seed=7, size=60, sources=["gmail/gmail-acct1",
                                                                     "exchange/exchange-mbx1"])
    gmail = sum(f.records for f in manifest.files if f.source_system == "gmail")
    exchange = sum(f.records for f in manifest.files if f.source_system == "exchange")
    config = tmp_path / "lorchestra.toml"
    config.write_text("")
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_SAMPLE_DATA": str(data),
           "LORCHESTRA_CONFIG": str(config)}
    for job in ("extract_gmail", "extract_exchange"):
        assert lorc(env, "run-job", "ingester", job).returncode == 0
    assert canonize_email(env) == gmail + exchange
    assert refs(env) == {"gmail email/gmail_to_jmap_lite@1.0.0": gmail,
                         "exchange email/graph_to_jmap_lite@1.0.0": exchange}

    # A practice adds version 1.1.0 of the Gmail transform, without touching the code.
    mine = home / "transforms" / "email"
    mine.mkdir(parents=True)
    shutil.copy(SHIPPED / "gmail_to_jmap_lite.py", mine / "gmail_to_jmap_lite.py")
    meta = json.loads((SHIPPED / "gmail_to_jmap_lite.meta.json").read_text())
    (mine / "gmail_to_jmap_lite.meta.json").write_text(json.dumps({**meta, "version": "1.1.0"}))
    newest = ["gmail/email (email, newest stable)"]
    assert serving(env) == {"email/gmail_to_jmap_lite@1.0.0": [],
                            "email/gmail_to_jmap_lite@1.1.0": newest}
    assert canonize_email(env) == gmail
    assert refs(env) == {"gmail email/gmail_to_jmap_lite@1.1.0": gmail,
                         "exchange email/graph_to_jmap_lite@1.0.0": exchange}
    assert canonize_email(env) == 0

    config.write_text('[packages.canonizer.pins]\n"email/gmail_to_jmap_lite" = "1.0.0"\n')
    assert serving(env)["email/gmail_to_jmap_lite@1.0.0"] == ["gmail/email (email, pinned)"]
    assert canonize_email(env) == gmail
    assert refs(env)["gmail email/gmail_to_jmap_lite@1.0.0"] == gmail

    config.write_text('[packages.canonizer.pins]\n"email/gmail_to_jmap_lite" = "one"\n')
    bad = lorc(env, "transforms", "list")
    assert bad.returncode == 2
    assert "packages.canonizer.pins.email/gmail_to_jmap_lite" in bad.stderr
