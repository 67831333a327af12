"""BigQuery merge counts stay right when a MERGE commits and its answer is lost.

On the BigQuery emulator, the first MERGE of a batch really runs, then a transient error is
raised as if the response never arrived; the batch is retried. The counts must be those of the
data before the batch (not "unchanged" because the retry read the merged rows back).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

import pytest

from lorchestra.errors import TransientWarehouseError
from lorchestra.stack_clients.event_client import upsert_objects
from lorchestra.warehouse import installed_tables
from lorchestra.warehouse.bigquery_backend import BigQueryWarehouse
from tests.support.bqemu import BigQueryEmulator

pytestmark = pytest.mark.bigquery


class LosesFirstMergeAnswer(BigQueryWarehouse):
    merges = 0

    def _run(self, sql: str, params: Mapping[str, Any] | None) -> Any:
        result = super()._run(sql, params)
        if not sql.lstrip().upper().startswith("MERGE"):
            return result
        self.merges += 1
        if self.merges > 1:
            return result

        class Lost:
            def result(self, **kwargs: Any) -> Any:
                result.result(**kwargs)  # the MERGE commits...
                raise TransientWarehouseError("connection reset")  # ...and the answer is lost

        return Lost()


def test_counts_survive_a_retry_after_a_committed_merge(bq_emulator: BigQueryEmulator) -> None:
    warehouse = LosesFirstMergeAnswer(bq_emulator.project, f"t_{uuid.uuid4().hex[:10]}",
                                      client=bq_emulator.client())
    warehouse.ensure_tables(installed_tables().values())
    objects = [{"id": str(i), "v": i} for i in range(4)]
    result = upsert_objects(warehouse, objects, source_system="s", connection_name="c",
                            object_type="t", external_id="id", emit_event=False)
    assert warehouse.merges == 2  # the lost answer was retried
    assert (result.inserted, result.updated, result.unchanged) == (4, 0, 0)
    assert warehouse.query("SELECT COUNT(*) AS n FROM raw_objects") == [{"n": 4}]
