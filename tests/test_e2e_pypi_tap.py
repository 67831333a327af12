"""A community Singer tap from PyPI, set up exactly as docs/sources.md says.

The worked example of "Any Singer tap, without editing the repository" is run as written: its
CSV is the file, its ``toml`` block is ``lorchestra.toml`` (only the CSV's path changed), and
every ``lorchestra`` line of its ``sh`` block runs, in order, through the real executable:
``taps install`` installs the pinned ``tap-spreadsheets`` from PyPI into the runtime Meltano
project, and two real ``meltano run``s extract it. The first lands every row in ``raw_objects``,
the second reports them all unchanged. The ``yaml`` block (the extractor declared in
``<home>/meltano-plugins.yml`` instead) does the same.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
ROOT = Path(__file__).parent.parent
DOC_PATH = "/srv/practice/referrals.csv"
pytestmark = pytest.mark.slow


def section() -> str:
    """The worked example: docs/sources.md's "Any Singer tap" section."""
    text = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    start = text.index("### Any Singer tap, without editing the repository")
    return text[start:text.index("\n## ", start)]


def block(kind: str) -> str:
    (found,) = re.findall(rf"```{kind}\n(.*?)```", section(), flags=re.S)
    return str(found)


def commands() -> list[list[str]]:
    return [line.split("#")[0].split() for line in block("sh").splitlines() if line.strip()]


def run(env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    assert args[0] == "lorchestra"
    done = subprocess.run([str(BIN / "lorchestra"), *args[1:]], capture_output=True, text=True,
                          env=env, timeout=900, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


def counts(output: str) -> dict[str, int]:
    """``read=3 inserted=3 ...`` of run-job's completion line."""
    return {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", output)}


@pytest.mark.parametrize("declared_in", ["lorchestra.toml", "meltano-plugins.yml"])
def test_the_documented_pypi_csv_tap_lands_rows_then_finds_them_unchanged(
        tmp_path: Path, home: Path, declared_in: str) -> None:
    rows = list(csv.DictReader(io.StringIO(block("csv"))))
    assert len(rows) >= 3
    data = tmp_path / "referrals.csv"
    data.write_text(block("csv"), encoding="utf-8")
    toml = block("toml")
    pinned = re.search(r'pip_url = "tap-spreadsheets==([\d.]+)"', toml)  # an exact version
    assert DOC_PATH in toml and pinned is not None
    assert f"pip_url: tap-spreadsheets=={pinned[1]}\n" in block("yaml")
    if declared_in == "meltano-plugins.yml":  # the extractor from the yaml block instead
        toml = toml[toml.index("[connections."):]
        (home / "meltano-plugins.yml").write_text(block("yaml"), encoding="utf-8")
    config = tmp_path / "lorchestra.toml"
    config.write_text(toml.replace(DOC_PATH, str(data)), encoding="utf-8")
    config.chmod(0o600)
    runtime = tmp_path / "runtime"
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_CONFIG": str(config),
           "LORCHESTRA_MELTANO_RUNTIME": str(runtime), "COLUMNS": "250"}

    steps = commands()
    assert [step[1:3] for step in steps] == [["taps", "install"], ["run-job", "ingester"],
                                             ["run-job", "ingester"]]
    install, first, second = (run(env, step) for step in steps)
    assert "Meltano plugins installed" in install.stdout
    venv = runtime / ".meltano" / "extractors" / "tap-spreadsheets" / "venv"
    assert list(venv.glob(f"lib/python*/site-packages/tap_spreadsheets-{pinned[1]}.dist-info"))

    assert counts(first.stdout) == {"read": len(rows), "inserted": len(rows), "updated": 0,
                                    "unchanged": 0, "rejected": 0}
    assert counts(second.stdout) == {"read": len(rows), "inserted": 0, "updated": 0,
                                     "unchanged": len(rows), "rejected": 0}
    landed = json.loads(run(env, ["lorchestra", "sql", "--json",
                                  "SELECT idem_key, payload FROM raw_objects ORDER BY idem_key"]
                            ).stdout)
    assert [row["idem_key"] for row in landed] == [
        f"spreadsheets:referrals:referral:{row['referral_id']}" for row in rows]
    assert [json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
            for row in landed] == rows  # the CSV's rows, no _sdc_* bookkeeping
    assert "spreadsheets:referrals:referral:ref-0001" in section()  # as the page says
    listed = json.loads(run(env, ["lorchestra", "connections", "list", "--json"]).stdout)
    assert [(c["connection"], c["tap"], c["objects"]) for c in listed] == [
        ("referrals", "tap-spreadsheets", len(rows))]
    # The repository's own Meltano project was not touched.
    assert "tap-spreadsheets" not in (ROOT / "meltano" / "meltano.yml").read_text()
