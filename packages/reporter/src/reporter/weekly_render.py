"""Weekly reports as HTML (Jinja2, autoescaped) with PNG charts inlined as data URIs, and PDF.

Each instrument gets a section: a small table of the scales it reports (never a total it does
not define; IPIP-NEO-60's five domains, FSCRS's and PHLMS's subscales), each scale's latest
value, band, change and, where the definition carries a published amount, whether the change is
reliable; and, when a scale was measured more than once, a chart drawn with matplotlib's Agg
backend (no display, no network) with one line per such scale (band regions shaded for a single
banded scale). A scale measured once is shown as its value, not a chart.
The HTML references nothing outside itself, so it opens offline; :mod:`reporter.pdf` turns it
into PDF.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jinja2

import final_form
from reporter.chart_cache import ChartCache
from reporter.charts import chart_png
from reporter.instruments import Band, band_of, instrument_info
from reporter.weekly_data import ClientWeek, PracticeWeek, money, parse_instant


@dataclass
class ScaleRow:
    """One reported scale of one instrument: its latest value and how it changed."""

    name: str
    occurred_at: Any
    score: Any
    band: str | None
    change_from_previous: Any
    change_from_first: Any
    reliable_change: str | None
    occasions: int


@dataclass
class InstrumentSection:
    id: str
    name: str
    rows: list[ScaleRow]
    chart: str | None  # a data: URI, when any scale was measured more than once
    has_reliable_change: bool
    has_bands: bool

    @property
    def measured_once(self) -> bool:
        return all(row.occasions == 1 for row in self.rows)


def instrument_sections(
    measurements: list[dict[str, Any]], charts: ChartCache | None = None
) -> list[InstrumentSection]:
    """One section per instrument: every scale it reports (never a total it does not define),
    each scale's latest value, and a trend chart of the scales measured more than once."""
    by_scale: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in measurements:
        by_scale.setdefault(row["instrument_id"], {}).setdefault(row["scale_id"], []).append(row)
    sections = []
    for instrument_id in sorted(by_scale):
        info = instrument_info(instrument_id)
        scale_ids = [s.id for s in info.scales] if info.known else sorted(by_scale[instrument_id])
        rows: list[ScaleRow] = []
        series: list[tuple[str, list[tuple[Any, float]]]] = []
        bands: tuple[Band, ...] = ()
        for scale_id in scale_ids:
            history = sorted(by_scale[instrument_id].get(scale_id, []),
                             key=lambda r: (r["occasion"], r["event_key"]))  # fmt: skip
            if not history:
                continue
            scale = info.scale(scale_id)
            name = scale.name if scale else scale_id
            latest = history[-1]
            rows.append(ScaleRow(
                name=name, occurred_at=latest["occurred_at"], score=latest["score"],
                band=latest["band"] or band_of(instrument_id, scale_id, latest["score"]),
                change_from_previous=latest["change_from_previous"],
                change_from_first=latest["change_from_first"],
                reliable_change=final_form.reliable_change(
                    instrument_id, scale_id, latest["change_from_first"]
                ) if info.known else None,
                occasions=len(history),
            ))  # fmt: skip
            points = [
                (when, float(r["score"]))
                for r in history
                if r["score"] is not None and (when := parse_instant(r["occurred_at"]))
            ]
            if len(points) > 1:
                series.append((name, points))
                bands = scale.bands if scale else ()
        chart = None
        if series:
            chart = (
                charts.get(chart_png, info.name, series, bands)
                if charts is not None
                else chart_png(info.name, series, bands)
            )
        has_rc = any(s.reliable_change is not None for s in info.scales)
        has_bands = any(row.band for row in rows) or any(s.bands for s in info.scales)
        sections.append(
            InstrumentSection(instrument_id, info.name, rows, chart, has_rc, has_bands)
        )
    return sections


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reporter", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _number
    env.filters["signed"] = lambda v: _number(v, signed=True)
    env.filters["day"] = lambda v: "" if not v else str(v)[:10]
    env.filters["instrument"] = lambda v: instrument_info(str(v)).name
    env.filters["money"] = lambda row: money(row.get("amount_minor"), row.get("currency"))
    env.filters["percent"] = lambda v: "—" if v is None else f"{100 * v:.0f}%"
    return env


def _number(value: Any, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{float(value):+g}" if signed else f"{float(value):g}"


_ENV = _environment()


def render_client(week_label: str, client: ClientWeek, charts: ChartCache | None = None) -> str:
    contact = client.contact
    name = contact.get("full_name") or " ".join(
        p for p in (contact.get("first_name"), contact.get("last_name")) if p
    )
    return _ENV.get_template("client_report.html.j2").render(
        week=week_label,
        client=client,
        name=name,
        sections=instrument_sections(client.measurements, charts),
        invoiced=_totals(client.invoices),
        paid=_totals(client.payments),
    )


def render_summary(practice: PracticeWeek) -> str:
    return _ENV.get_template("practice_summary.html.j2").render(
        week=practice.week.label, practice=practice
    )


def _totals(items: list[dict[str, Any]]) -> str:
    from reporter.weekly_data import money_totals

    return money_totals(items)
