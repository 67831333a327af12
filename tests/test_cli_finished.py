"""The command line as a new user meets it, through the real `lorchestra` executable.

A job's own --help; flags shown as flags; `schedule --systemd/--cron` as one choice; help
paragraphs reflowed, not hard-wrapped; `| head` ends quietly; a failure printed once; a usage
error that reached a job is not a failed run in `runs list` or `stats jobs`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def lorc(home: Path, *args: str, config: Path | None = None,
         columns: int = 100) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "COLUMNS": str(columns)}
    if config is not None:
        env["LORCHESTRA_CONFIG"] = str(config)
    return subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=300, stdin=subprocess.DEVNULL, check=False)


def test_run_job_help_shows_the_jobs_own_options(home: Path) -> None:
    out = lorc(home, "run-job", "ingester", "extract_gmail", "--help")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "Usage: lorchestra run-job ingester extract_gmail [OPTIONS]"
    assert "Extract Gmail messages (format=full) into raw_objects." in out.stdout  # docstring
    options = {line.split()[0]: line for line in lines if line.startswith("  --")}
    assert options["--account"].split()[1] == "TEXT"
    assert options["--since"].split()[1] == "WHEN" and "-7d" in options["--since"]
    assert options["--until"].split()[1] == "WHEN"
    assert options["--full-refresh"].split()[1] == "flag"  # a flag takes no value
    assert {"--dry-run", "--json", "--strict"} <= set(options)
    # Defaults are shown; -h works too; an unknown job is one clear line.
    fhir = lorc(home, "run-job", "final_form", "export_fhir", "-h")
    assert fhir.returncode == 0 and "--client TEXT" in fhir.stdout
    missing = lorc(home, "run-job", "ingester", "nope", "--help")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    general = lorc(home, "run-job", "--help")
    assert general.returncode == 0 and "Usage: lorchestra run-job [OPTIONS]" in general.stdout


@pytest.mark.parametrize("command", [["run-job"], ["schedule"], ["init"], ["run"], ["doctor"],
                                     ["runs", "list"], ["sql"]])
def test_help_shows_flags_as_flags_and_reflows_paragraphs(home: Path, command: list[str]) -> None:
    out = lorc(home, *command, "--help", columns=400)
    assert out.returncode == 0, out.stderr
    assert "<bool>" not in out.stdout
    if command == ["run-job"]:
        # The docstring breaks this paragraph after "and any"; the help reflows it instead.
        assert "2026-01-31 and any --name value the job accepts" in out.stdout
        assert not any(line.rstrip().endswith("and any") for line in out.stdout.splitlines())


def test_schedule_cron_or_systemd_is_one_choice(home: Path) -> None:
    help_text = lorc(home, "schedule", "--help").stdout
    assert "--systemd / --cron" in help_text and "[default: cron]" in help_text
    cron = lorc(home, "schedule", "--cron")
    assert cron.returncode == 0 and "lorchestra" in cron.stdout and "[Unit]" not in cron.stdout
    systemd = lorc(home, "schedule", "--systemd")
    assert systemd.returncode == 0 and "[Unit]" in systemd.stdout
    assert lorc(home, "schedule").stdout == cron.stdout  # cron is the default


@pytest.mark.parametrize("command", [["jobs", "list", "--json"], ["schedule"],
                                     ["jobs", "show", "ingester", "extract"],
                                     ["sql", "--json",
                                      "SELECT n FROM UNNEST(GENERATE_ARRAY(1, 30000)) AS n"]])
def test_piping_into_head_ends_quietly(home: Path, command: list[str]) -> None:
    env = {**os.environ, "LORCHESTRA_HOME": str(home)}
    # The reader is gone before the first write, as with `| head -0` or a quick `| head -1`.
    with subprocess.Popen([str(BIN / "lorchestra"), *command], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, stdin=subprocess.DEVNULL) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        stderr = process.stderr.read().decode()
        process.wait(timeout=120)
    assert stderr == ""


@pytest.mark.slow
def test_a_failure_is_printed_once_and_a_usage_error_is_not_a_failed_run(
        home: Path, tmp_path: Path) -> None:
    config = tmp_path / "lorchestra.toml"
    config.write_text('[connections.bad]\nsource_system = "bad"\ntap = "tap-nope"\n'
                      'object_type = "x"\n')
    refused = lorc(home, "run-job", "ingester", "extract", "--connection", "nosuch",
                   config=config)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "No connection matches" in refused.stderr
    assert json.loads(lorc(home, "runs", "list", "--json", config=config).stdout) == []
    assert json.loads(lorc(home, "stats", "jobs", "--json", config=config).stdout) == []

    failed = lorc(home, "run-job", "ingester", "extract", "--connection", "bad", config=config)
    assert failed.returncode == 1
    lines = failed.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ingester/extract failed"), lines
    runs = json.loads(lorc(home, "runs", "list", "--json", config=config).stdout)
    assert [r["status"] for r in runs] == ["failed"]
    stats = json.loads(lorc(home, "stats", "jobs", "--json", config=config).stdout)
    assert [(s["runs"], s["failed"]) for s in stats] == [(1, 1)]


def test_the_executable_skips_the_last_garbage_collections_after_its_command(home: Path) -> None:
    # What the console script runs, plus a check at shutdown (atexit runs after main returns).
    probe = (
        "import atexit, gc, sys\n"
        "from lorchestra.cli import main\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        "sys.argv = ['lorchestra', 'jobs', 'list']\n"
        "main()\n"
    )
    env = {**os.environ, "LORCHESTRA_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=env, timeout=300, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "reporter" in done.stdout  # the command's whole output came first
    assert done.stdout.rstrip().endswith("frozen at exit: True")
