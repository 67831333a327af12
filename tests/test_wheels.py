"""Install it like a user: the built wheels, a fresh virtualenv in /tmp, the repository nowhere.

`make dist` builds every distribution; the test installs only those wheels (and their PyPI
dependencies) into a new virtualenv, then, from a directory outside the repository and with
nothing of it on sys.path, makes sample data with the installed `lorchestra-sample-data`, runs
`lorchestra init`, `taps install` (the taps come from the same wheels, through PIP_FIND_LINKS),
`doctor` and `run daily`, and checks that `jobs list` shows every job the wheels declare.
"""

from __future__ import annotations

import configparser
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UV = Path(sys.executable).parent / "uv"
# What a user installs by name; the taps and tap-common come in through Meltano.
TOP_LEVEL = ["lorchestra", "lorchestra-canonizer", "lorchestra-final-form", "lorchestra-reporter",
             "lorchestra-sample-data"]

pytestmark = pytest.mark.slow


def _run(command: list[str], cwd: Path, env: dict[str, str],
         timeout: float = 900) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, (command, done.stdout[-3000:], done.stderr[-3000:])
    return done


def _declared_jobs(dist: Path) -> set[tuple[str, str]]:
    jobs: set[tuple[str, str]] = set()
    for wheel in dist.glob("*.whl"):
        with zipfile.ZipFile(wheel) as archive:
            names = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
            if not names:
                continue
            parser = configparser.ConfigParser(delimiters=("=",))
            parser.optionxform = str  # type: ignore[assignment,method-assign]
            parser.read_string(archive.read(names[0]).decode())
        for section in parser.sections():
            if section.startswith("lorchestra.jobs."):
                package = section.removeprefix("lorchestra.jobs.")
                jobs.update((package, job) for job in parser[section])
    return jobs


def test_wheels_install_and_run_outside_the_repository() -> None:
    with tempfile.TemporaryDirectory(prefix="lorchestra-wheels-", dir="/tmp") as scratch:
        root = Path(scratch)
        dist = root / "dist"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("LORCHESTRA_", "PYTHON", "VIRTUAL_ENV", "UV_"))}
        _run(["make", "-C", str(REPO), "dist", f"DIST={dist}"], REPO, env)
        wheels = sorted(p.name for p in dist.glob("*.whl"))
        # One wheel and one sdist per distribution: the core, each package, each Singer tap.
        distributions = 1 + len(list(REPO.glob("packages/*/pyproject.toml"))) + len(
            list(REPO.glob("packages/ingestor/taps/*/pyproject.toml"))
        )
        assert len(wheels) == len(list(dist.glob("*.tar.gz"))) == distributions == 13, wheels

        venv = root / "venv"
        _run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], root, env)
        _run([str(UV), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
              "--find-links", str(dist), *TOP_LEVEL], root, env)
        bin_dir = venv / "bin"
        user = {**env, "LORCHESTRA_HOME": str(root / "home"),
                "LORCHESTRA_MELTANO_RUNTIME": str(root / "meltano"),
                "LORCHESTRA_SAMPLE_DATA": str(root / "data"),
                "PIP_FIND_LINKS": str(dist), "XDG_CONFIG_HOME": str(root / "xdg"),
                "PATH": f"{bin_dir}:{env.get('PATH', '')}"}
        cwd = root

        # Nothing comes from the repository: no editable install, no path to it.
        where = _run([str(bin_dir / "python"), "-c",
                      "import sys, lorchestra, ingestor, reporter, final_form, canonizer;"
                      "print([m.__file__ for m in (lorchestra, ingestor, reporter, final_form,"
                      " canonizer)]); print(sys.path)"], cwd, user).stdout
        assert str(REPO) not in where and str(venv) in where

        anchor = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()
        _run([str(bin_dir / "lorchestra-sample-data"), str(root / "data"), "--seed", "3",
              "--size", "150", "--anchor", anchor, "-q"], cwd, user)
        _run([str(bin_dir / "lorchestra"), "init"], cwd, user)
        _run([str(bin_dir / "lorchestra"), "taps", "install"], cwd, user)
        _run([str(bin_dir / "lorchestra"), "doctor"], cwd, user)
        # The runtime Meltano project came from the wheel, its taps from the built wheels.
        assert (root / "meltano" / "meltano.yml").is_file()
        assert (root / "meltano/.meltano/extractors/tap-gmail/venv/bin/tap-gmail").exists()
        _run([str(bin_dir / "lorchestra"), "run", "daily"], cwd, user, timeout=1200)

        listed = json.loads(_run([str(bin_dir / "lorchestra"), "jobs", "list", "--json"], cwd,
                                 user).stdout)
        assert {(j["package"], j["job"]) for j in listed} == _declared_jobs(dist)
        counts = _run([str(bin_dir / "lorchestra"), "sql", "--json",
                       "SELECT COUNT(*) AS n FROM measurement_events"], cwd, user).stdout
        assert json.loads(counts)[0]["n"] > 0
        reports = list((root / "home" / "reports").glob("*/*.pdf"))
        assert reports, "run daily wrote no PDF report from the installed reporter's templates"
