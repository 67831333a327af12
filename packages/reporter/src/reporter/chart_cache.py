"""Charts kept between runs: a chart is drawn again only when what it shows has changed.

A chart (:func:`reporter.charts.chart_png`) is a pure function of its title, series and
bands, the drawing code and matplotlib's version; drawing is most of a weekly report's cost.
Each chart's ``data:`` URI is stored under ``<home>/reports/.charts/<week>/<sha256>`` (0600 in a
0700 directory, like the reports it belongs to), named by the hash of all of that, so a re-run
with unchanged data draws nothing and the HTML comes out byte for byte the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import orjson

from lorchestra.api import private_dir, write_private

CACHE_DIR = ".charts"


@cache
def _code_key() -> bytes:
    from reporter import charts

    source = Path(charts.__file__).read_bytes()
    return hashlib.sha256(source + version("matplotlib").encode()).digest()


def chart_key(title: str, series: Any, bands: Any) -> str:
    data = orjson.dumps([title, series, bands], default=str)
    return hashlib.sha256(_code_key() + data).hexdigest()


class ChartCache:
    """Chart URIs by the hash of their inputs, in one directory (created when first written)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def get(self, draw: Callable[..., str], title: str, series: Any, bands: Any) -> str:
        path = self.directory / chart_key(title, series, bands)
        try:
            return path.read_text(encoding="ascii")
        except FileNotFoundError:
            pass
        uri = draw(title, series, bands)
        private_dir(self.directory.parent)
        private_dir(self.directory)
        write_private(path, uri.encode("ascii"))
        return uri
