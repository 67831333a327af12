"""Dataverse reports through the real tap-dataverse, end to end.

The real ``lorchestra`` executable extracts a ``report`` connection (entity set
``cr8f3_clientreports``, key ``cr8f3_clientreportid``, as docs/sources.md configures it) with a
real ``meltano run`` of tap-dataverse against ``FakeDataverse``, paging through its next links.
The reports land in ``raw_objects`` exactly as the sample tap lands the same rows, canonicalise
to the same ``clinical_report`` objects, and a second extraction reports them all unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ingestor
import sample_data
from tests.support.fake_apis import FakeDataverse

BIN = Path(sys.executable).parent
pytestmark = pytest.mark.slow

SECRET = "DATAVERSE_CLINIC_CLIENT_SECRET"
RAW_SQL = ("SELECT idem_key, external_id, payload_hash, payload FROM raw_objects "
           "WHERE object_type = 'report' ORDER BY idem_key")
CANONICAL_SQL = ("SELECT idem_key, canonical_schema, transform_ref, payload FROM "
                 "canonical_objects WHERE idem_key LIKE 'dataverse:%:report:%' ORDER BY idem_key")


def lorc(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(BIN / "lorchestra"), *args], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


def rows(env: dict[str, str], sql: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(lorc(env, "sql", sql, "--json").stdout)
    return found


def counts(env: dict[str, str], *job: str) -> dict[str, int]:
    found: dict[str, int] = json.loads(lorc(env, "run-job", *job, "--json").stdout)["counts"]
    return found


def write_config(path: Path, api: FakeDataverse) -> Path:
    """The report connection as docs/sources.md writes it, pointed at the fake."""
    path.write_text(
        '[connections."dataverse-clinic/report"]\n'
        'connection_name = "dataverse-clinic"\n'
        'source_system = "dataverse"\n'
        'tap = "tap-dataverse"\n'
        'object_type = "report"\n'
        'external_id = "cr8f3_clientreportid"\n'
        f'settings = {{ tenant = "contoso.example", client_id = "{api.credentials.client_id}", '
        f'api_url = "{api.url}/api/data/v9.2", token_url = "{api.token_url}", '
        'page_size = 7, max_retries = 2, backoff_max_seconds = 1, '
        'entity_sets = [{ name = "cr8f3_clientreports", key = "cr8f3_clientreportid" }] }\n'
        f'secrets = {{ client_secret = "{SECRET}" }}\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def test_reports_land_and_canonicalise_as_the_sample_ones_do(tmp_path: Path) -> None:
    ingestor.install_project()
    data = tmp_path / "sample"
    sample_data.generate(data, seed=13, size=600, sources=["dataverse/dataverse-clinic/report"])
    reports = [json.loads(line) for line in
               (data / "dataverse/dataverse-clinic/report.jsonl").read_text().splitlines()]
    assert len(reports) > 7  # more than one page

    sample_env = {"LORCHESTRA_HOME": str(tmp_path / "sample-home"),
                  "LORCHESTRA_SAMPLE_DATA": str(data)}
    counts(sample_env, "ingester", "extract_dataverse")
    counts(sample_env, "canonizer", "canonicalize_reports")

    with FakeDataverse({"cr8f3_clientreports": ("cr8f3_clientreportid", reports)}) as api:
        api.credentials = dataclasses.replace(api.credentials, scope=api.url + "/.default")
        env = {"LORCHESTRA_HOME": str(tmp_path / "real-home"),
               "LORCHESTRA_CONFIG": str(write_config(tmp_path / "lorchestra.toml", api)),
               SECRET: api.credentials.client_secret}
        first = counts(env, "ingester", "extract_dataverse")
        second = counts(env, "ingester", "extract_dataverse", "--full-refresh")
        pages = [r for r in api.requests_to("/api/data/v9.2/cr8f3_clientreports")
                 if r.status == 200]
    assert first["read"] == first["inserted"] == len(reports)
    assert (second["read"], second["unchanged"], second["inserted"], second["updated"]) == (
        len(reports), len(reports), 0, 0)
    assert len(pages) == 2 * -(-len(reports) // 7)  # every page, by next link, in both runs
    assert rows(env, RAW_SQL) == rows(sample_env, RAW_SQL)

    canonized = counts(env, "canonizer", "canonicalize_reports")
    assert canonized.get("rejected", 0) == 0
    canonical = rows(env, CANONICAL_SQL)
    assert len(canonical) == len(reports)
    assert {row["canonical_schema"] for row in canonical} == {
        "iglu:org.canonical/clinical_report/jsonschema/1-0-0"}
    assert canonical == rows(sample_env, CANONICAL_SQL)
