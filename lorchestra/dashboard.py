"""``<home>/dashboard/index.html``: one static page on how the jobs have been running.

Regenerated at the end of every run from ``event_log``: per job its state, the last 30 runs as
small inline SVG charts (status, duration, records written), what the last run changed;
failures with their sanitised causes; overdue jobs; the last data-check results. The page is
self-contained (inline CSS and SVG, no script, no fonts or images fetched), so it opens from the
file system with no network. It holds ids, counts, timings and sanitised errors only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path

from lorchestra.health import Health
from lorchestra.home import open_private, private_dir
from lorchestra.job_history import EndedRun, JobHistory
from lorchestra.pipelines import change_totals, describe_changes

DASHBOARD_DIR = "dashboard"
RUNS_SHOWN = 30
_COLOURS = {"completed": "#2e7d32", "failed": "#c62828"}
_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.verdict{padding:8px 12px;border-radius:4px;margin:8px 0 16px;font-weight:600}
.ok{background:#e8f5e9;color:#1b5e20}.bad{background:#ffebee;color:#b71c1c}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:middle}
th{background:#f0f0f0;font-weight:600}td.num{text-align:right}
.badge{padding:1px 6px;border-radius:3px;color:#fff;font-size:12px}
.completed{background:#2e7d32}.failed,.abandoned{background:#c62828}
.running{background:#1565c0}.never{background:#757575}.overdue{background:#ef6c00}
.muted{color:#777}code{font-size:12px}
"""


def write_dashboard(
    home: Path, health: Health, histories: dict[str, JobHistory], now: datetime | None = None
) -> Path:
    """Render the page and replace ``index.html`` atomically; return its path."""
    html = render(health, histories, now or datetime.now(UTC))
    directory = private_dir(home / DASHBOARD_DIR)
    path = directory / "index.html"
    partial = directory / ".index.html.partial"
    fd = open_private(partial, "w")
    with open(fd, "w", encoding="utf-8", closefd=True) as handle:
        handle.write(html)
    partial.replace(path)
    return path


def render(health: Health, histories: dict[str, JobHistory], now: datetime) -> str:
    states = {job.job_id: job for job in health.jobs}
    jobs = sorted(set(states) | set(histories))
    body = [
        "<h1>lorchestra: job runs</h1>",
        f'<div class="muted">generated {now:%Y-%m-%d %H:%M:%S} UTC</div>',
        f'<div class="verdict {"ok" if health.ok else "bad"}" id="verdict">'
        f"{escape(health.verdict())}</div>",
        _attention(health),
        "<h2>Jobs</h2>",
        '<table id="jobs"><tr><th>job</th><th>state</th><th>last run</th>'
        f"<th>last {RUNS_SHOWN} runs</th><th>duration</th><th>records</th>"
        "<th>last changes</th></tr>",
    ]
    for job in jobs:
        state = states.get(job)
        history = histories.get(job)
        runs = history.runs[-RUNS_SHOWN:] if history else []
        status = state.status if state else (runs[-1].status if runs else "never run")
        badges = _badge(status) + (_badge("overdue") if state and state.overdue else "")
        last = runs[-1] if runs else None
        body.append(
            f'<tr class="job" data-job="{escape(job)}"><td><code>{escape(job)}</code></td>'
            f"<td>{badges}</td>"
            f"<td>{_time(last.ended_at) if last else '—'}</td>"
            f"<td>{_strip(runs)}</td>"
            f"<td>{_spark([r.duration_s or 0.0 for r in runs], 's')}</td>"
            f"<td>{_spark(_records(runs), '')}</td>"
            f"<td>{escape((describe_changes(last.counts) if last else None) or '—')}</td></tr>"
        )
    body.append("</table>")
    body.append(_failures(histories))
    body.append(_checks(health))
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>lorchestra dashboard</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>\n"
    )


def _records(runs: list[EndedRun]) -> list[float]:
    """Records each run wrote or touched (new, updated, unchanged, written, reports, …); empty
    when the job reports no such counts (a view rebuilt), so no chart is drawn."""
    totals = [change_totals(run.counts) for run in runs]
    if not any(totals):
        return []
    return [float(sum(t.values())) for t in totals]


def _attention(health: Health) -> str:
    items = [
        f"<li><b>{escape(j.job_id)}</b> {escape(j.status)}"
        f" (run <code>{escape(j.run_id or '-')}</code>): {escape(j.error or 'no cause recorded')}"
        "</li>"
        for j in health.failed
    ]
    items += [
        f"<li><b>{escape(j.job_id)}</b> overdue: last completed "
        f"{_time(j.last_success) if j.last_success else 'never'} (schedule {escape(j.schedule)})"
        "</li>"
        for j in health.overdue
    ]
    items += [
        f"<li>data check <b>{escape(c.name)}</b>: {c.count if c.count is not None else 'error'}"
        "</li>"
        for c in health.failed_checks
    ]
    if not items:
        return ""
    return f'<h2>Needs attention</h2><ul id="attention">{"".join(items)}</ul>'


def _failures(histories: dict[str, JobHistory]) -> str:
    failed = sorted(
        (run for history in histories.values() for run in history.runs if run.status == "failed"),
        key=lambda run: run.ended_at,
        reverse=True,
    )[:20]
    if not failed:
        return '<h2>Recent failures</h2><p class="muted" id="failures">None.</p>'
    rows = "".join(
        f"<tr><td>{_time(r.ended_at)}</td><td><code>{escape(r.job)}</code></td>"
        f"<td><code>{escape(r.run_id)}</code></td><td>{escape(r.error or '')}</td></tr>"
        for r in failed
    )
    return (
        '<h2>Recent failures</h2><table id="failures"><tr><th>time</th><th>job</th>'
        f"<th>run</th><th>cause</th></tr>{rows}</table>"
    )


def _checks(health: Health) -> str:
    if not health.checks:
        return (
            '<h2>Data checks</h2><p class="muted" id="checks">Not run yet (lorchestra check).</p>'
        )
    when = f" ({_time(health.checks_at)})" if health.checks_at else ""
    rows = "".join(
        f'<tr class="check"><td><code>{escape(c.name)}</code></td><td>{c.severity}</td>'
        f'<td class="num">{"error" if c.count is None else c.count}</td>'
        f"<td>{_badge({'ok': 'completed', 'WARN': 'overdue'}.get(c.status, 'failed'), c.status)}"
        f"</td></tr>"
        for c in health.checks
    )
    return (
        f'<h2>Data checks{when}</h2><table id="checks"><tr><th>check</th><th>severity</th>'
        f"<th>violations</th><th>result</th></tr>{rows}</table>"
    )


def _badge(status: str, text: str | None = None) -> str:
    css = status.split()[0]
    return f'<span class="badge {css}">{escape(text or status)}</span> '


def _time(moment: datetime | None) -> str:
    return "—" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}"


def _strip(runs: list[EndedRun]) -> str:
    """One coloured square per run, oldest left; its title is the status and time."""
    cells = "".join(
        f'<rect x="{i * 6}" y="0" width="5" height="14" fill="{_COLOURS[r.status]}">'
        f"<title>{r.status} {_time(r.ended_at)}</title></rect>"
        for i, r in enumerate(runs)
    )
    return f'<svg class="strip" width="{RUNS_SHOWN * 6}" height="14" role="img">{cells}</svg>'


def _spark(values: list[float], unit: str) -> str:
    """A small line of the values, oldest left, with the last value beside it."""
    if not values:
        return "—"
    width, height = 120, 18
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 1 - (v / top) * (height - 2):.1f}" for i, v in enumerate(values)
    )
    last = values[-1]
    label = f"{last:.1f}{unit}" if unit else f"{last:.0f}"
    return (
        f'<svg class="spark" width="{width}" height="{height}" role="img">'
        f'<polyline fill="none" stroke="#1565c0" stroke-width="1.5" points="{points}"/></svg>'
        f" {label}"
    )
