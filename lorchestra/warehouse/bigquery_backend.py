"""The production backend: BigQuery through the official ``google-cloud-bigquery`` client.

The client library is imported here only, when this backend is built, so the CLI starts fast.
Tables are created through the API with DESIGN.md's partitioning and clustering. Batches go in
by load job into a staging table, then one MERGE (never streaming inserts, never a statement
per record). Google API errors are mapped onto transient or terminal warehouse errors.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import orjson

from lorchestra.errors import (
    ConfigError,
    TerminalWarehouseError,
    TransientWarehouseError,
    first_line,
)
from lorchestra.warehouse.base import Row
from lorchestra.warehouse.retry import with_retries
from lorchestra.warehouse.schema import TableSpec
from lorchestra.warehouse.sql import (
    existing_hashes_sql,
    merge_sql,
    qualify_for_bigquery,
)

_TRANSIENT_MARKERS = ("concurrent update", "rateLimitExceeded", "backendError", "quotaExceeded")
REQUEST_DEADLINE = 60.0


class BigQueryWarehouse:
    """A BigQuery dataset speaking the ``Warehouse`` protocol."""

    backend = "bigquery"

    def __init__(
        self,
        project: str | None,
        dataset: str,
        *,
        location: str | None = None,
        api_endpoint: str | None = None,
        client: Any = None,
    ) -> None:
        try:
            from google.cloud import bigquery
        except ImportError:
            raise ConfigError(
                "The BigQuery backend needs google-cloud-bigquery: "
                "pip install 'lorchestra[bigquery]'."
            ) from None
        self._bq = bigquery
        if client is None:
            options: dict[str, Any] = {}
            credentials = None
            if api_endpoint:
                from google.auth.credentials import AnonymousCredentials

                options["client_options"] = {"api_endpoint": api_endpoint}
                # google-auth ships no type hints for this constructor.
                credentials = AnonymousCredentials()  # type: ignore[no-untyped-call]
            if not project:
                raise ConfigError(
                    "BigQuery needs a project: set GOOGLE_CLOUD_PROJECT or bigquery.project."
                )
            client = bigquery.Client(
                project=project, location=location, credentials=credentials, **options
            )
        self.client = client
        self.project = project or client.project
        self.dataset = dataset
        self.location = location
        self._retry = bigquery.DEFAULT_RETRY.with_deadline(REQUEST_DEADLINE)
        self._known_tables: set[str] = set()
        self._dataset_ready = False

    # -- reading ---------------------------------------------------------------------------
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return [row for batch in self.iter_query(sql, params) for row in batch]

    def iter_query(
        self, sql: str, params: Mapping[str, Any] | None = None, *, batch_size: int = 10_000
    ) -> Iterator[list[Row]]:
        rows = with_retries(lambda: self._run(sql, params).result(page_size=batch_size))
        batch: list[Row] = []
        for row in rows:
            batch.append(dict(row.items()))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    def statement_types(self, sql: str) -> list[str]:
        """BigQuery's type of the statement (``SELECT``, ``INSERT``, ``CREATE_TABLE``, ...),
        from a dry run: nothing runs and nothing is billed."""
        qualified = qualify_for_bigquery(sql, self.project, self.dataset)
        config = self._bq.QueryJobConfig(dry_run=True, use_query_cache=False)
        job = self._call(lambda: self.client.query(qualified, job_config=config, job_retry=None))
        kind = getattr(job, "statement_type", None)
        if not kind:
            raise TerminalWarehouseError(
                "BigQuery's dry run did not say what kind of statement this is; it is not run."
            )
        return [str(kind)]

    # -- writing ---------------------------------------------------------------------------
    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with_retries(lambda: self._run(sql, params).result())

    def ensure_tables(self, specs: Iterable[TableSpec]) -> None:
        if not self._dataset_ready:
            self._call(lambda: self.client.create_dataset(self._dataset_ref(), exists_ok=True))
            self._dataset_ready = True
        for spec in specs:
            if spec.name not in self._known_tables:
                table = self._table(spec, spec.name, for_stage=False)
                self._call(lambda table=table: self.client.create_table(table, exists_ok=True))
                self._known_tables.add(spec.name)

    def append(self, spec: TableSpec, rows: Sequence[Row]) -> None:
        if not rows:
            return
        self.ensure_tables([spec])
        table = self._table(spec, spec.name, for_stage=False)
        # One load job straight into the table (atomic, free, not streaming). JSON columns hold
        # JSON text; embed it as JSON so the column receives the value, not a string.
        embedded = [
            {
                k: orjson.Fragment(v) if k in spec.json_columns and v is not None else v
                for k, v in row.items()
            }
            for row in rows
        ]
        self._load(table, embedded)

    def merge(
        self,
        spec: TableSpec,
        rows: Sequence[Row],
        complete: Callable[[Sequence[Row]], None] | None = None,
    ) -> dict[str, str]:
        self.ensure_tables([spec])
        if not rows:
            return {}
        if complete is not None:  # every column of every row is staged here
            complete(rows)

        # The hashes are read once, before any MERGE of this batch: a retry after a MERGE that
        # committed (its result lost on the way back) re-runs the idempotent MERGE but keeps
        # the counts of the first reading, so they stay right.
        before: list[dict[str, str]] = []

        def apply(stage: str) -> dict[str, str]:
            if not before:
                found = self._run(existing_hashes_sql(spec, stage), None).result()
                before.append({row["k"]: row["h"] for row in found})
            self._run(merge_sql(spec, stage), None).result()
            return before[0]

        return with_retries(lambda: self._with_stage(spec, rows, apply))

    def close(self) -> None:
        self.client.close()

    # -- helpers ---------------------------------------------------------------------------
    def _dataset_ref(self) -> Any:
        dataset = self._bq.Dataset(f"{self.project}.{self.dataset}")
        if self.location:
            dataset.location = self.location
        return dataset

    def _table(self, spec: TableSpec, name: str, *, for_stage: bool) -> Any:
        bq = self._bq
        schema = [
            bq.SchemaField(
                c.name,
                "STRING" if for_stage and c.type == "JSON" else c.type,
                mode="REQUIRED" if c.required and not for_stage else "NULLABLE",
                description=(c.description or None) if not for_stage else None,
            )
            for c in spec.columns
        ]
        table = bq.Table(f"{self.project}.{self.dataset}.{name}", schema=schema)
        if not for_stage:
            if spec.partition_by:
                table.time_partitioning = bq.TimePartitioning(
                    type_=bq.TimePartitioningType.DAY, field=spec.partition_by
                )
            if spec.cluster_by:
                table.clustering_fields = list(spec.cluster_by)
            table.description = spec.description
        return table

    def _with_stage(self, spec: TableSpec, rows: Sequence[Row], apply: Any) -> Any:
        stage = f"_stage_{spec.name}_{uuid.uuid4().hex[:12]}"
        table = self._table(spec, stage, for_stage=True)
        self._call(lambda: self.client.create_table(table))
        try:
            self._load(table, rows)
            return self._call(lambda: apply(stage))
        finally:
            self._call(lambda: self.client.delete_table(table, not_found_ok=True))

    def _load(self, table: Any, rows: Sequence[Row]) -> None:
        payload = b"".join(orjson.dumps(row, default=_json_default) + b"\n" for row in rows)
        config = self._bq.LoadJobConfig(
            source_format=self._bq.SourceFormat.NEWLINE_DELIMITED_JSON,
            schema=table.schema,
            write_disposition=self._bq.WriteDisposition.WRITE_APPEND,
        )
        # No size argument: a resumable upload, which both BigQuery and the emulator take.
        job = self._call(
            lambda: self.client.load_table_from_file(io.BytesIO(payload), table, job_config=config)
        )
        self._call(lambda: job.result(retry=self._retry))

    def _run(self, sql: str, params: Mapping[str, Any] | None) -> Any:
        qualified = qualify_for_bigquery(sql, self.project, self.dataset)
        config = self._bq.QueryJobConfig(query_parameters=self._parameters(params or {}))
        # job_retry=None: any other value makes the client retry job insertion for 10 minutes.
        return self._call(
            lambda: _Result(
                self,
                self.client.query(qualified, job_config=config, retry=self._retry, job_retry=None),
            )
        )

    def _parameters(self, params: Mapping[str, Any]) -> list[Any]:
        bq = self._bq
        out = []
        for name, value in params.items():
            if isinstance(value, (list, tuple)):
                element = _bq_type(value[0]) if value else "STRING"
                out.append(bq.ArrayQueryParameter(name, element, list(value)))
            else:
                out.append(bq.ScalarQueryParameter(name, _bq_type(value), value))
        return out

    def _call(self, operation: Any) -> Any:
        try:
            return operation()
        except (TransientWarehouseError, TerminalWarehouseError):
            raise
        except Exception as exc:  # noqa: BLE001 - google errors are mapped, others re-raised
            raise _map_error(exc) from exc


class _Result:
    """Defers job errors (which BigQuery reports on ``result()``) into the error mapping."""

    def __init__(self, owner: BigQueryWarehouse, job: Any) -> None:
        self._owner = owner
        self._job = job

    def result(self, **kwargs: Any) -> Any:
        return self._owner._call(lambda: self._job.result(retry=self._owner._retry, **kwargs))


def _map_error(exc: Exception) -> Exception:
    from google.api_core import exceptions as gexc

    message = first_line(exc)
    transient_types = (
        gexc.InternalServerError,
        gexc.ServiceUnavailable,
        gexc.TooManyRequests,
        gexc.GatewayTimeout,
        gexc.BadGateway,
        gexc.RetryError,
        ConnectionError,
    )
    if isinstance(exc, transient_types) or any(m in str(exc) for m in _TRANSIENT_MARKERS):
        return TransientWarehouseError(f"BigQuery is temporarily unavailable: {message}")
    if isinstance(exc, gexc.GoogleAPICallError):
        return TerminalWarehouseError(f"BigQuery rejected the request: {message}")
    return exc


def _bq_type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOL"
    if isinstance(value, int):
        return "INT64"
    if isinstance(value, float):
        return "FLOAT64"
    if isinstance(value, datetime):
        return "TIMESTAMP"
    if isinstance(value, date):
        return "DATE"
    return "STRING"


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"Cannot serialise {type(value).__name__} for a load job")
