"""The ingestor is a pure library: it never imports lorchestra, not even indirectly."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import ingestor

SRC = Path(ingestor.__file__).parent


def test_importing_ingestor_loads_no_lorchestra_module() -> None:
    code = ("import sys, ingestor, ingestor.errors\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'lorchestra')\n"
            "print(','.join(bad))\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == ""


def test_no_source_file_imports_lorchestra() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                names = [node.value] if node.value.split(".")[0] == "lorchestra" else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "lorchestra"]
    assert offenders == []
