"""The configuration examples in the docs load, and name only taps and settings that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import ingestor
from lorchestra.config import load_settings
from lorchestra.connections import all_connections

DOCS = Path(__file__).resolve().parents[1] / "docs"
_TOML_BLOCK = re.compile(r"```toml\n(.*?)```", re.DOTALL)


def _connection_examples() -> list[tuple[str, str]]:
    found = []
    for page in sorted(DOCS.glob("*.md")):
        for number, block in enumerate(_TOML_BLOCK.findall(page.read_text()), start=1):
            if "[connections" in block:
                found.append((f"{page.name}#{number}", block))
    return found


EXAMPLES = _connection_examples()


def test_the_docs_have_connection_examples() -> None:
    assert {name.split("#")[0] for name, _ in EXAMPLES} >= {"configuration.md", "sources.md"}


@pytest.mark.parametrize(("name", "block"), EXAMPLES, ids=[name for name, _ in EXAMPLES])
def test_connection_example_is_valid(name: str, block: str, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from lorchestra.meltano_project import meltano_project

    monkeypatch.setenv("LORCHESTRA_MELTANO_RUNTIME", str(tmp_path / "runtime"))
    config = tmp_path / "lorchestra.toml"
    config.write_text(block)
    settings = load_settings(config, environ={"LORCHESTRA_HOME": str(tmp_path / "home")})
    connections = all_connections(settings)
    assert connections, name
    project = meltano_project(settings)  # with the example's own extractors, if it has any
    for connection in connections:
        declared = ingestor.declared_settings(connection.tap, project)
        assert declared is not None, f"{name}: {connection.tap} is not in meltano.yml"
        named = set(connection.settings) | set(connection.secrets)
        assert named <= declared, f"{name}: {connection.tap} lacks {sorted(named - declared)}"
