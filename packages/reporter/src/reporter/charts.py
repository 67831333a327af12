"""Trend charts for the weekly reports: PNG ``data:`` URIs drawn with matplotlib's Agg backend
(no display, no network).

Drawing is most of a report's cost, so each process keeps one figure and draws every chart on
it: the axes, their ticks and fixed settings are made once, and each chart adds its own lines,
band regions, legend and title, saves, and takes them away again. The PNG is byte for byte the
one a new figure would give (``tests/test_charts.py`` compares them).
"""

from __future__ import annotations

import base64
import io
import threading
from functools import cache
from typing import TYPE_CHECKING, Any

from reporter.instruments import Band

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_BAND_COLOURS = ("#d9f0d3", "#fff7bc", "#fee391", "#fdae6b", "#fc9272", "#de2d26")
_LINE_COLOURS = ("#1f3b73", "#c0392b", "#27ae60", "#8e44ad", "#d68910", "#117a8b")
_CANVAS_LOCK = threading.Lock()

Series = list[tuple[str, list[tuple[Any, float]]]]


def chart_png(title: str, series: Series, bands: tuple[Band, ...] = ()) -> str:
    """A PNG (as a ``data:`` URI) of each scale's score over time, one line per scale, with
    band regions shaded when the chart has one banded scale."""
    with _CANVAS_LOCK:
        figure, axes = _canvas()
        try:
            _draw(axes, title, series, bands)
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", metadata={"Software": None})
        finally:
            _clear(axes)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def new_canvas() -> tuple[Figure, Axes]:
    """A figure with the settings every chart shares (size, margins, fonts, date ticks)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 2.6), dpi=100)
    axes = figure.subplots()
    axes.set_ylabel("score", fontsize=8)
    # The x axis has no label: placing it by hand spares measuring the date labels to place it.
    axes.xaxis.set_label_coords(0.5, 0.0)
    axes.tick_params(labelsize=7)
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))  # type: ignore[no-untyped-call]
    # What figure.autofmt_xdate does, on the first tick only: ticks the axis makes later copy
    # its label's alignment and rotation, so the ticks are not laid out an extra time.
    first_label = axes.xaxis.get_major_ticks(1)[0].label1
    first_label.set_horizontalalignment("right")
    first_label.set_rotation(30)
    # Fixed margins (room for the rotated dates and the legend on the right) instead of
    # tight_layout, which draws the figure an extra time to measure it.
    figure.subplots_adjust(left=0.08, right=0.72, top=0.88, bottom=0.26)
    return figure, axes


_canvas = cache(new_canvas)


def _draw(axes: Axes, title: str, series: Series, bands: tuple[Band, ...]) -> None:
    shaded = bands if len(series) == 1 else ()
    for index, (low, high, label) in enumerate(shaded):
        axes.axhspan(low - 0.5 if index else low, high + 0.5, alpha=0.6, linewidth=0,
                     color=_BAND_COLOURS[index % len(_BAND_COLOURS)], label=label)  # fmt: skip
    for index, (name, points) in enumerate(series):
        axes.plot([when for when, _ in points], [score for _, score in points], marker="o",
                  color=_LINE_COLOURS[index % len(_LINE_COLOURS)], linewidth=2, zorder=3,
                  label=None if shaded else name)  # fmt: skip
    if shaded:
        axes.set_ylim(shaded[0][0], shaded[-1][1] + 0.5)
    axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=7, frameon=False)
    # y given: the title stays at the top of the axes, where matplotlib's automatic placement
    # puts it when no ticks are on top, without measuring the axis on every draw.
    axes.set_title(title, fontsize=10, y=1.0)


def _clear(axes: Axes) -> None:
    """Take one chart's artists away and let both axes scale to the next chart's data."""
    legend = axes.get_legend()
    if legend is not None:
        legend.remove()
    for artist in [*axes.lines, *axes.patches]:
        artist.remove()
    axes.relim()
    axes.set_autoscale_on(True)
