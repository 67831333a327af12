"""Weekly reports as HTML (Jinja2, autoescaped) with PNG charts inlined as data URIs, and PDF.

Charts are drawn with matplotlib's Agg backend (no display, no network): one per instrument,
score over time with the instrument's band regions shaded. Bands come from
``final_form.load_instrument`` when final_form is importable, else from a small built-in table.
The HTML references nothing outside itself, so it opens offline; WeasyPrint turns it into PDF.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from typing import Any

import jinja2

from reporter.weekly_data import ClientWeek, PracticeWeek, money, parse_instant

Band = tuple[float, float, str]

# Used only when final_form is not importable (the reporter does not depend on it).
_FALLBACK_BANDS: dict[str, tuple[Band, ...]] = {
    "phq9": ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"),
             (15, 19, "moderately severe"), (20, 27, "severe")),
    "gad7": ((0, 4, "minimal"), (5, 9, "mild"), (10, 14, "moderate"), (15, 21, "severe")),
    "pss10": ((0, 13, "low"), (14, 26, "moderate"), (27, 40, "high")),
}  # fmt: skip
_BAND_COLOURS = ("#d9f0d3", "#fff7bc", "#fee391", "#fdae6b", "#fc9272", "#de2d26")


@cache
def instrument_bands(instrument_id: str) -> tuple[Band, ...]:
    """The bands of the instrument's ``total`` scale (else its first banded scale)."""
    try:
        import final_form
    except ImportError:
        return _FALLBACK_BANDS.get(instrument_id, ())
    try:
        definition = final_form.load_instrument(instrument_id)
    except Exception:  # noqa: BLE001 - an unknown instrument simply gets no shading
        return _FALLBACK_BANDS.get(instrument_id, ())
    scales = sorted(definition.scales, key=lambda s: s.id != "total")
    for scale in scales:
        if scale.bands:
            return tuple((float(b.min), float(b.max), str(b.label)) for b in scale.bands)
    return ()


def chart_png(instrument_id: str, points: list[tuple[Any, float]]) -> str:
    """A PNG (as a ``data:`` URI) of score over time with band regions shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 2.6), dpi=100)
    axes = figure.subplots()
    bands = instrument_bands(instrument_id)
    for index, (low, high, label) in enumerate(bands):
        axes.axhspan(low - 0.5 if index else low, high + 0.5, alpha=0.6, linewidth=0,
                     color=_BAND_COLOURS[index % len(_BAND_COLOURS)], label=label)  # fmt: skip
    xs = [when for when, _ in points]
    ys = [score for _, score in points]
    axes.plot(xs, ys, marker="o", color="#1f3b73", linewidth=2, zorder=3)
    if bands:
        axes.set_ylim(bands[0][0], bands[-1][1] + 0.5)
        axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    axes.set_title(instrument_id.upper(), fontsize=10)
    axes.set_ylabel("score", fontsize=8)
    axes.tick_params(labelsize=7)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))  # type: ignore[no-untyped-call]
    if len(xs) == 1:
        axes.set_xticks(xs)
    figure.autofmt_xdate(bottom=0.26)
    # Fixed margins (room for the rotated dates and the legend on the right) instead of
    # tight_layout, which draws the figure an extra time to measure it: charts render ~2x faster.
    figure.subplots_adjust(left=0.08, right=0.77 if bands else 0.97, top=0.88)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


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
    env.filters["money"] = lambda row: money(row.get("amount_minor"), row.get("currency"))
    return env


def _number(value: Any, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{float(value):+g}" if signed else f"{float(value):g}"


_ENV = _environment()


def render_client(week_label: str, client: ClientWeek) -> str:
    by_instrument: dict[str, list[tuple[Any, float]]] = {}
    for row in client.measurements:
        when = parse_instant(row["occurred_at"])
        if when is not None and row["score"] is not None:
            by_instrument.setdefault(row["instrument_id"], []).append((when, float(row["score"])))
    charts = [
        {"instrument": name, "src": chart_png(name, points)}
        for name, points in sorted(by_instrument.items())
    ]
    latest = [
        {**row, "band": row["band"] or _band_of(row["instrument_id"], row["score"])}
        for row in client.latest
    ]
    contact = client.contact
    name = contact.get("full_name") or " ".join(
        p for p in (contact.get("first_name"), contact.get("last_name")) if p
    )
    return _ENV.get_template("client_report.html.j2").render(
        week=week_label,
        client=client,
        name=name,
        charts=charts,
        latest=latest,
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


def _band_of(instrument_id: str, score: Any) -> str | None:
    if score is None:
        return None
    for low, high, label in instrument_bands(instrument_id):
        if low <= float(score) <= high:
            return label
    return None


def to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page (WeasyPrint; no base URL, nothing fetched).

    Fonts are subset with HarfBuzz-Subset (Debian's ``libharfbuzz-subset0``, which ``make``
    installs). Where that library is missing WeasyPrint would fall back to fontTools, warning
    once per font and page and logging, at debug level, the characters each report uses; this
    embeds the whole fonts instead (larger PDFs, same pages, nothing logged).
    """
    import weasyprint  # type: ignore[import-untyped]

    result: bytes = weasyprint.HTML(string=html).write_pdf(full_fonts=not harfbuzz_subset())
    return result


def harfbuzz_subset() -> bool:
    """Whether WeasyPrint found HarfBuzz-Subset (>= 4.1, what its subsetting needs)."""
    from weasyprint.text import ffi  # type: ignore[import-untyped]

    return bool(getattr(ffi, "harfbuzz_subset", None)) and bool(
        ffi.harfbuzz.hb_version_atleast(4, 1, 0)
    )
