"""A canary in every PHI parameter of every installed job never reaches what lorchestra records.

The cases are generated from the signatures of the jobs discovery finds (lorc's ingester jobs
and every installed package's), so a job or parameter added later is covered without editing
this test. Each case runs the real ``lorchestra`` executable with the canary as the value of one
PHI parameter, then the home's logs, ``event_log``, ``runs list``, ``runs show`` and stderr are
searched for it (and for its local part, as an error could quote half of it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lorchestra.arguments import JobSignature
from lorchestra.discovery import discover

BIN = Path(sys.executable).parent
CANARY = "zelda.canary@example.org"
NEEDLES = (CANARY, "zelda.canary")


def _phi_cases() -> list[tuple[str, str, str]]:
    cases = []
    for ref in discover():
        signature = JobSignature.of(ref.load())
        for param in signature.parameters.values():
            if param.phi:
                cases.append((ref.package, ref.name, param.option))
    return cases


CASES = _phi_cases()


def lorc(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home)}
    return subprocess.run(
        [str(BIN / "lorchestra"), *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_cases_cover_the_known_phi_parameters() -> None:
    options = {f"{pkg}/{job} {option}" for pkg, job, option in CASES}
    assert "reporter/generate_weekly_report --client" in options
    assert "reporter/generate_weekly_report --week" in options
    assert "ingester/extract --connection" in options
    assert "canonizer/canonicalize_email --connection" in options
    assert not any(option in ("--account", "--since", "--until") for _, _, option in CASES)


@pytest.fixture(scope="module")
def canary_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    home = tmp_path_factory.mktemp("canary") / "home"
    assert lorc(home, "init").returncode == 0
    stderr = []
    for package, job, option in CASES:
        result = lorc(home, "run-job", package, job, option, CANARY)
        stderr.append(result.stderr + result.stdout)
    return home, stderr


def _assert_clean(text: str, where: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, f"{needle!r} found in {where}"


@pytest.mark.slow
def test_canary_reaches_no_log_event_or_terminal(canary_home: tuple[Path, list[str]]) -> None:
    home, outputs = canary_home
    for (package, job, option), output in zip(CASES, outputs, strict=True):
        _assert_clean(output, f"the output of {package}/{job} {option}")
    _assert_clean((home / "logs" / "lorchestra.jsonl").read_text(), "logs/lorchestra.jsonl")

    events = lorc(home, "sql", "SELECT * FROM event_log", "--json")
    assert events.returncode == 0, events.stderr
    rows = json.loads(events.stdout)
    started = [r for r in rows if r["event_type"] == "job.started"]
    assert len(started) == len(CASES)  # every case really ran a job
    _assert_clean(events.stdout, "event_log")

    runs = lorc(home, "runs", "list", "--limit", "500", "--json")
    assert runs.returncode == 0, runs.stderr
    listed = json.loads(runs.stdout)
    # A job that refused the canary as an argument (exit 2) is not a run in the history.
    rejected = [r for r in rows if r["event_type"] == "job.rejected"]
    assert len(listed) == len(CASES) - len(rejected)
    _assert_clean(runs.stdout + runs.stderr, "runs list")
    for run in listed:
        shown = lorc(home, "runs", "show", run["run_id"])
        _assert_clean(shown.stdout + shown.stderr, f"runs show {run['run_id']}")


def test_masks_are_stable_within_a_home(canary_home: tuple[Path, list[str]]) -> None:
    home, _ = canary_home
    events = json.loads(lorc(home, "sql", "SELECT * FROM event_log", "--json").stdout)
    masks = set()
    for row in events:
        if row["event_type"] == "job.started":
            payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(
                row["payload"]
            )
            masks.update(v for v in payload["args"].values() if isinstance(v, str))
    # The same canary in every parameter of every job: one mask, in the documented shape.
    assert len(masks) == 1
    (only,) = masks
    assert only.startswith("phi:") and len(only) == 14
    assert (home / "phi-mask.key").stat().st_mode & 0o777 == 0o600


def test_columns_are_phi_unless_tagged() -> None:
    from lorchestra.warehouse.schema import EVENT_LOG, RAW_OBJECTS, Column

    assert Column("anything", "STRING").phi  # the default
    assert not any(c.phi for c in EVENT_LOG.columns)  # telemetry, masked before it is written
    assert [c.name for c in RAW_OBJECTS.columns if c.phi] == ["payload"]
