"""Any Singer tap without editing the repository: a user's own extractor in lorchestra.toml.

The test writes a tiny Singer tap package, declares it as `[meltano.extractors.tap-notes]` in
lorchestra.toml, installs it with `lorchestra taps install`, and extracts it twice through the
real `lorchestra run-job ingester extract --connection notes`: the second run changes nothing.
The same extractor declared in `<home>/meltano-plugins.yml` works the same way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

TAP = '''
import json, sys

def main():
    config = json.load(open(sys.argv[sys.argv.index("--config") + 1]))
    records = json.load(open(config["path"]))
    schema = {"type": "object", "properties": {"id": {"type": "string"},
                                              "text": {"type": "string"}}}
    print(json.dumps({"type": "SCHEMA", "stream": "notes", "schema": schema,
                      "key_properties": ["id"]}))
    for record in records:
        print(json.dumps({"type": "RECORD", "stream": "notes", "record": record}))
'''

PYPROJECT = '''
[project]
name = "tap-notes"
version = "0.1.0"
[project.scripts]
tap-notes = "tap_notes:main"
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"
[tool.hatch.build.targets.wheel]
packages = ["tap_notes"]
'''


def _tap_package(root: Path) -> Path:
    package = root / "tap-notes"
    (package / "tap_notes").mkdir(parents=True)
    (package / "tap_notes" / "__init__.py").write_text(TAP)
    (package / "pyproject.toml").write_text(PYPROJECT)
    return package


def _lorc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env=env, timeout=600, stdin=subprocess.DEVNULL, check=False)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


@pytest.mark.parametrize("declared_in", ["lorchestra.toml", "meltano-plugins.yml"])
def test_a_users_own_singer_tap_runs_twice_unchanged(tmp_path: Path, home: Path,
                                                     declared_in: str) -> None:
    package = _tap_package(tmp_path)
    notes = tmp_path / "notes.json"
    notes.write_text(json.dumps([{"id": "n1", "text": "synthetic one"},
                                 {"id": "n2", "text": "synthetic two"}]))
    plugin = {"namespace": "tap_notes", "pip_url": str(package), "executable": "tap-notes",
              "settings": [{"name": "path", "kind": "string"}]}
    config = tmp_path / "lorchestra.toml"
    connection = (f'[connections.notes]\nsource_system = "notes"\ntap = "tap-notes"\n'
                  f'object_type = "note"\nsettings = {{ path = "{notes}" }}\n')
    if declared_in == "lorchestra.toml":
        config.write_text(connection + '\n[meltano.extractors.tap-notes]\n'
                          f'namespace = "tap_notes"\npip_url = "{package}"\n'
                          'executable = "tap-notes"\n'
                          'settings = [{ name = "path", kind = "string" }]\n')
    else:
        config.write_text(connection)
        (home / "meltano-plugins.yml").write_text(
            json.dumps({"extractors": [{"name": "tap-notes", **plugin}]}))  # JSON is YAML
    env = {**os.environ, "LORCHESTRA_HOME": str(home), "LORCHESTRA_CONFIG": str(config),
           "LORCHESTRA_MELTANO_RUNTIME": str(tmp_path / "runtime")}
    _lorc(env, "taps", "install", "tap-notes", "target-jsonl")
    listed = json.loads(_lorc(env, "taps", "list", "--json").stdout)
    assert any(t["tap"] == "tap-notes" and t["installed"] for t in listed)

    first = json.loads(_lorc(env, "run-job", "ingester", "extract", "--connection", "notes",
                             "--json").stdout)["counts"]
    assert first["read"] == first["inserted"] == 2
    second = json.loads(_lorc(env, "run-job", "ingester", "extract", "--connection", "notes",
                              "--json").stdout)["counts"]
    assert second["read"] == second["unchanged"] == 2 and second["inserted"] == 0
    rows = json.loads(_lorc(env, "sql", "--json", "SELECT idem_key FROM raw_objects "
                            "ORDER BY idem_key").stdout)
    assert [r["idem_key"] for r in rows] == ["notes:notes:note:n1", "notes:notes:note:n2"]
    # The repository's own Meltano project was not touched.
    assert "tap-notes" not in (Path(__file__).parents[1] / "meltano/meltano.yml").read_text()
