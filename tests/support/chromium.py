"""Headless Chromium for tests that open a page as a person would: a screenshot, or the DOM
the browser built. Uses Debian's chromium (`make browser` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str:
    found = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    if found is None:
        pytest.fail(
            "chromium is not installed: `make test` installs it "
            "(apt-get update && apt-get install -y chromium)"
        )
    return found


def _flags(profile: Path) -> list[str]:
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}"]  # fmt: skip


def screenshot(page: Path, shot: Path, size: tuple[int, int] = (1200, 1400)) -> Path:
    subprocess.run(
        [*_flags(shot.parent / "chromium-profile"), f"--screenshot={shot}",
         f"--window-size={size[0]},{size[1]}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return shot


def dump_dom(page: Path, profile: Path) -> str:
    """The document as the browser parsed and laid it out (``--dump-dom``)."""
    result = subprocess.run(
        [*_flags(profile), "--dump-dom", page.as_uri()],
        check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return result.stdout
