"""The package as the host sees it: entry points, job signatures and the shipped SQL."""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points

import pytest

from reporter import jobs
from reporter.projections import VIEWS, create_view_statement, normalise_addresses, view_sql


def test_jobs_are_registered_under_the_host_group() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="lorchestra.jobs.reporter")}
    assert found == {
        "create_projections": "reporter.jobs:create_projections",
        "sync_sqlite": "reporter.jobs:sync_sqlite",
        "project_files": "reporter.jobs:project_files",
        "generate_weekly_report": "reporter.jobs:generate_weekly_report",
        "send_risk_alerts": "reporter.jobs:send_risk_alerts",
    }
    for ep in entry_points(group="lorchestra.jobs.reporter"):
        params = list(inspect.signature(ep.load()).parameters)
        assert params[0] == "bq_client"


def test_the_host_converts_the_cli_options() -> None:
    from datetime import UTC, datetime

    from lorchestra.arguments import JobSignature, parse_job_options

    kwargs = parse_job_options(
        JobSignature.of(jobs.create_projections),
        ["--practice-addresses", "a@example.org,b@example.org"],
        now=datetime.now(UTC),
    )
    assert kwargs == {"practice_addresses": "a@example.org,b@example.org"}
    assert parse_job_options(JobSignature.of(jobs.sync_sqlite), [], now=datetime.now(UTC)) == {}


def test_every_view_is_one_select_statement() -> None:
    import sqlglot

    for name in VIEWS:
        trees = sqlglot.parse(create_view_statement(name), read="bigquery")
        assert len(trees) == 1, name
        assert "{{" not in view_sql(name)


def test_practice_addresses_are_validated_before_they_reach_sql() -> None:
    assert normalise_addresses(" A@Example.org, b@example.org ,a@example.org,") == [
        "a@example.org",
        "b@example.org",
    ]
    assert "'a@example.org'" in view_sql("inbox_view", ["a@example.org"])
    with pytest.raises(ValueError, match="Practice address 1"):
        normalise_addresses("x'); DROP TABLE raw_objects; --@example.org")
    with pytest.raises(KeyError, match="known"):
        view_sql("no_such_view")
