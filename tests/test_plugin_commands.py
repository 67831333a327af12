"""Packages add command groups (``lorchestra.commands``); broken ones are reported and skipped."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from lorchestra.cli import plugin_commands

BIN = Path(sys.executable).parent


def fake(name: str, attr: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name, f"tests.support.command_plugins:{attr}",
                               plugin_commands.ENTRY_POINT_GROUP)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    root = typer.Typer()

    @root.command("jobs")
    def jobs() -> None:
        """A core command."""

    eps = [fake("widgets", "good"), fake("wrong", "not_an_app"), fake("broken", "exploding"),
           fake("jobs", "good")]
    monkeypatch.setattr(plugin_commands, "entry_points", lambda: sorted(eps, key=lambda e: e.name))
    monkeypatch.setattr(plugin_commands, "_ERRORS", [])
    return root


def test_good_groups_are_added_and_broken_ones_reported(app: typer.Typer) -> None:
    added = plugin_commands.install(app, [], report=False)
    assert added == ["widgets"]
    errors = plugin_commands.load_errors()
    assert len(errors) == 3
    assert any("'broken'" in e and "cannot be loaded: RuntimeError: the package is broken" in e
               for e in errors)
    assert any("'wrong'" in e and "is not a typer.Typer app but dict" in e for e in errors)
    assert any("'jobs'" in e and "already has a command 'jobs'" in e for e in errors)
    result = CliRunner().invoke(app, ["widgets", "count"])
    assert result.exit_code == 0 and result.output == "3 widgets\n"


def test_only_the_invoked_group_is_imported(app: typer.Typer) -> None:
    assert plugin_commands.install(app, ["--config", "x.toml", "jobs"]) == []
    assert plugin_commands.load_errors() == []  # nothing loaded, so nothing broke
    assert plugin_commands.install(app, ["-v", "widgets", "count"]) == ["widgets"]
    assert plugin_commands.load_errors() == []


def test_the_real_executable_has_the_packages_groups_and_core_commands_import_none() -> None:
    forms = subprocess.run([str(BIN / "lorchestra"), "forms", "--help"], capture_output=True,
                           text=True, timeout=60)
    assert forms.returncode == 0, forms.stderr
    assert "draft-binding" in forms.stdout and "check" in forms.stdout
    probe = ("import sys; from lorchestra.cli import app, plugin_commands; "
             "plugin_commands.install(app, ['jobs', 'list']); "
             "print(sorted(m for m in sys.modules if m.startswith(('final_form', 'canonizer'))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.strip() == "[]", out.stderr
