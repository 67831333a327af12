"""Install and uninstall packages in the test environment, as a user's `pip install` would."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def uv_pip(*args: str, check: bool = True) -> None:
    """Run ``uv pip ARGS`` against the interpreter running the tests."""
    subprocess.run(
        [sys.executable, "-m", "uv", "pip", *args, "--python", sys.executable, "--quiet"],
        check=check,
        capture_output=True,
        timeout=300,
    )


@contextmanager
def installed(source: Path, distribution: str) -> Iterator[None]:
    """``source`` pip-installed (not editable) for the length of the block, then uninstalled."""
    uv_pip("install", "--no-deps", str(source))
    try:
        yield
    finally:
        uv_pip("uninstall", distribution, check=False)
