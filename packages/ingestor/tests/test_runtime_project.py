"""The Meltano project shipped in the wheel, and the runtime project made from it."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

import ingestor
from ingestor.errors import ProjectError

REPO_PROJECT = Path(__file__).resolve().parents[3] / "meltano"
yaml = importlib.import_module("yaml")


def _without_pip_urls(text: str | bytes) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(text)
    for plugins in data["plugins"].values():
        for plugin in plugins:
            if "packages/ingestor/taps" in plugin.get("pip_url", "") or "==0.1.0" in plugin.get(
                    "pip_url", ""):
                plugin.pop("pip_url")
    return data


def test_packaged_project_matches_the_repository_one_but_for_tap_pip_urls() -> None:
    packaged = ingestor.packaged_project_files()
    repo_text = (REPO_PROJECT / "meltano.yml").read_text()
    assert _without_pip_urls(packaged["meltano.yml"]) == _without_pip_urls(repo_text)
    catalogs = {f"catalogs/{p.name}": p.read_bytes() for p in REPO_PROJECT.glob("catalogs/*")}
    assert {k: v for k, v in packaged.items() if k.startswith("catalogs/")} == catalogs
    # Every tap of ours is installed by distribution name, with its shared library.
    taps = {p["name"]: p["pip_url"] for p in yaml.safe_load(packaged["meltano.yml"])["plugins"][
        "extractors"] if "==0.1.0" in p.get("pip_url", "")}
    assert set(taps) == {"tap-gmail", "tap-stripe", "tap-google-forms", "tap-msgraph-mail",
                         "tap-dataverse", "tap-jsonl"}  # tap-jsonl: the sample files' tap-lines
    assert taps.pop("tap-jsonl") == "lorchestra-tap-lines==0.1.0"
    assert all("lorchestra-tap-common==0.1.0" in url for url in taps.values())


def test_runtime_project_is_written_once_and_refreshed_on_change(tmp_path: Path) -> None:
    target = tmp_path / "runtime"
    project = ingestor.runtime_project(directory=target)
    meltano_yml = project / "meltano.yml"
    assert meltano_yml.read_bytes() == ingestor.packaged_project_files()["meltano.yml"]
    assert (project / "catalogs/jsonl-records.json").is_file()
    before = meltano_yml.stat().st_mtime_ns
    ingestor.runtime_project(directory=target)
    assert meltano_yml.stat().st_mtime_ns == before  # unchanged content: not rewritten
    meltano_yml.write_text("stale: true\n")  # an older wheel's file
    ingestor.runtime_project(directory=target)
    assert meltano_yml.read_bytes() == ingestor.packaged_project_files()["meltano.yml"]


def test_runtime_project_from_the_source_tree_points_at_the_checkout(tmp_path: Path) -> None:
    project = ingestor.runtime_project(source=REPO_PROJECT, directory=tmp_path / "rt")
    text = (project / "meltano.yml").read_text()
    assert "${MELTANO_PROJECT_ROOT}" not in text
    assert f"-e {REPO_PROJECT}/../packages/ingestor/taps/tap-gmail" in text


def test_extra_extractors_are_merged_and_clashes_refused(tmp_path: Path) -> None:
    extra = {"name": "tap-mine", "namespace": "tap_mine", "pip_url": "tap-mine==1",
             "executable": "tap-mine", "settings": [{"name": "path", "kind": "string"}]}
    project = ingestor.runtime_project([extra], directory=tmp_path / "rt")
    assert ingestor.declared_settings("tap-mine", project) == frozenset({"path"})
    assert ingestor.declared_settings("tap-gmail", project)  # the shipped ones stay
    with pytest.raises(ProjectError, match="'tap-gmail' clashes"):
        ingestor.runtime_project([{"name": "tap-gmail"}], directory=tmp_path / "rt")
    with pytest.raises(ProjectError, match="has no name"):
        ingestor.runtime_project([{"pip_url": "x"}], directory=tmp_path / "rt")


def test_a_foreign_project_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "meltano.yml").write_text("plugins: {}\n")
    with pytest.raises(ProjectError, match="did not write"):
        ingestor.runtime_project(directory=tmp_path)
    assert (tmp_path / "meltano.yml").read_text() == "plugins: {}\n"


def test_uv_gets_pip_find_links(monkeypatch: pytest.MonkeyPatch) -> None:
    from ingestor._project import meltano_env

    monkeypatch.delenv("UV_FIND_LINKS", raising=False)
    monkeypatch.setenv("PIP_FIND_LINKS", "/a/wheels /b/wheels")
    assert meltano_env()["UV_FIND_LINKS"] == "/a/wheels,/b/wheels"
