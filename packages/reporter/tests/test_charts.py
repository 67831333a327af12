"""Charts drawn on the one reused figure are byte for byte those of a new figure each time.

The sequence mixes what can leak from one chart into the next: a banded chart (fixed y limits)
before unbanded ones, one line then six, short and long date spans, scores far apart, and
repeats of an earlier chart after others.
"""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta

from PIL import Image

from reporter import charts
from reporter.instruments import instrument_info

START = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def weekly(count: int, scores: list[float], every_days: int = 7) -> list[tuple[datetime, float]]:
    return [(START + timedelta(days=every_days * i), scores[i % len(scores)]) for i in range(count)]


def fresh(title: str, series: charts.Series, bands: tuple = ()) -> str:
    """The reference: a new figure for this chart alone."""
    figure, axes = charts.new_canvas()
    charts._draw(axes, title, series, bands)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def test_reused_figure_draws_what_a_new_one_draws() -> None:
    phq9 = instrument_info("phq9").scales[0]
    assert phq9.bands, "the PHQ-9 total has severity bands"
    cases = [
        ("PHQ-9", [("Total", weekly(4, [18, 14, 9, 5]))], phq9.bands),
        ("IPIP-NEO-60", [(f"scale {k}", weekly(8, [k * 10.0, 50 + k, 30.5])) for k in range(6)],
         ()),  # fmt: skip
        ("GAD-7", [("Total", weekly(2, [3, 4], every_days=1))], ()),
        ("PSS-10", [("Total", weekly(30, [12, 33, 0, 40]))], ()),
        ("FSCRS", [("Inadequate", weekly(5, [1.5, 2.25])), ("Reassured", weekly(3, [3, 2]))], ()),
        ("PHQ-9", [("Total", weekly(4, [18, 14, 9, 5]))], phq9.bands),
        ("Scores", [("Total", weekly(3, [-4.0, 250.0, 1000.0], every_days=120))], ()),
    ]
    for title, series, bands in cases:
        drawn = charts.chart_png(title, series, bands)
        assert drawn == fresh(title, series, bands), f"{title} differs on the reused figure"

    png = base64.b64decode(drawn.removeprefix("data:image/png;base64,"))
    assert Image.open(io.BytesIO(png)).size == (640, 260)
