"""Fixtures for the ingestor tests: the repository's Meltano project, installed once, and small
synthetic source files from `sample_data` (plus hand-made bad ones carrying a canary string).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ingestor
import sample_data

CANARY = "CANARY-4b1d-PHI-must-not-leak"


@pytest.fixture(scope="session")
def meltano_project() -> Path:
    """The repo's meltano/ project, installed if it is not yet (about 7 s the first time)."""
    project = ingestor.resolve_project_dir()
    if not ingestor.meltano_installed(project):
        ingestor.install_project(project)
    return project


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    sample_data.generate(root, size=300, sources=["gmail/gmail-acct1", "stripe"])
    return root


@pytest.fixture
def canary() -> str:
    return CANARY


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Iterator[Any]:
    """Write records (dicts, or raw bytes lines) to a fresh file and return its path."""

    def write(name: str, lines: list[dict[str, Any] | bytes]) -> Path:
        path = tmp_path / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            for line in lines:
                handle.write(line if isinstance(line, bytes) else json.dumps(line).encode())
                handle.write(b"\n")
        return path

    yield write
