"""``<home>/metrics/lorchestra.prom``: job metrics in Prometheus text format, after every run.

Written with the official client (``prometheus_client.write_to_textfile``: a temporary file
renamed over the old one, so node_exporter's textfile collector never reads half a file). The
values are rebuilt from ``event_log`` each time, so they are right whichever process ran last:

- ``lorchestra_job_runs_total{job,status}``: ended runs by status (completed, failed);
- ``lorchestra_job_duration_seconds{job}``: the last run's duration;
- ``lorchestra_job_last_success_timestamp_seconds{job}``: end of the last completed run
  (0 when none completed);
- ``lorchestra_records_total{job,outcome}``: records inserted, updated, unchanged, rejected.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from lorchestra.home import private_dir
from lorchestra.job_history import JobHistory

METRICS_DIR = "metrics"
METRICS_FILE = "lorchestra.prom"


class _JobCollector(Collector):
    def __init__(self, histories: Iterable[JobHistory]) -> None:
        self.histories = list(histories)

    def collect(self) -> Iterator[Metric]:
        runs = CounterMetricFamily(
            "lorchestra_job_runs", "Ended job runs by status.", labels=["job", "status"]
        )
        duration = GaugeMetricFamily(
            "lorchestra_job_duration_seconds", "Duration of the job's last run.", labels=["job"]
        )
        success = GaugeMetricFamily(
            "lorchestra_job_last_success_timestamp_seconds",
            "Unix time the job's last completed run ended (0: none completed).",
            labels=["job"],
        )
        records = CounterMetricFamily(
            "lorchestra_records",
            "Records the job's runs wrote, by outcome.",
            labels=["job", "outcome"],
        )
        for history in self.histories:
            job = history.job
            for status, count in history.runs_by_status().items():
                runs.add_metric([job, status], count)
            duration.add_metric([job], history.last.duration_s or 0.0)
            last_success = history.last_success
            success.add_metric([job], last_success.ended_at.timestamp() if last_success else 0)
            for outcome, count in history.records_total().items():
                records.add_metric([job, outcome], count)
        yield from (runs, duration, success, records)


def write_metrics(home: Path, histories: Iterable[JobHistory]) -> Path:
    """Write the metrics file atomically and return its path."""
    registry = CollectorRegistry()
    registry.register(_JobCollector(histories))
    path = private_dir(home / METRICS_DIR) / METRICS_FILE
    write_to_textfile(str(path), registry)
    return path
