"""Register test jobs as if an installed package declared them."""

from __future__ import annotations

from importlib import metadata

import pytest

JOBS = {
    "hello": "tests.jobs_for_tests.jobs:hello",
    "needs_name": "tests.jobs_for_tests.jobs:needs_name",
    "takes_anything": "tests.jobs_for_tests.jobs:takes_anything",
    "explode": "tests.jobs_for_tests.jobs:explode",
    "careful": "tests.jobs_for_tests.jobs:careful",
    "rejecting": "tests.jobs_for_tests.jobs:rejecting",
    "flaky": "tests.jobs_for_tests.jobs:flaky",
}


def fake_entry_points() -> list[metadata.EntryPoint]:
    eps = [metadata.EntryPoint(n, v, "lorchestra.jobs.testpkg") for n, v in JOBS.items()]
    eps.append(
        metadata.EntryPoint("broken", "tests.no_such_module:job", "lorchestra.jobs.brokenpkg")
    )
    eps.append(metadata.EntryPoint("other", "json:dumps", "some.other.group"))
    return eps


def install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lorchestra.discovery._all_entry_points", fake_entry_points)
