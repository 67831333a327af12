"""PDF from self-contained HTML with WeasyPrint.

Importing WeasyPrint costs about 0.4 s (Pango, HarfBuzz and fontconfig are found and loaded),
most of a one-report run after the warehouse is read: :func:`import_ahead` starts that import
on a thread, so it overlaps the caller's reading (DuckDB's queries run without the GIL), and
:func:`to_pdf` waits for it to finish. Every PDF a process makes shares one font
configuration.
"""

from __future__ import annotations

import importlib
import threading
from functools import cache
from typing import Any

_ahead: threading.Thread | None = None


def import_ahead() -> None:
    """Start importing WeasyPrint on a background thread (once per process)."""
    global _ahead
    if _ahead is None:
        _ahead = threading.Thread(target=_import, name="import-weasyprint", daemon=True)
        _ahead.start()


def _import() -> None:
    try:
        importlib.import_module("weasyprint")
    except Exception:  # noqa: BLE001, S110 - to_pdf's own import raises it where it is handled
        pass


def to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page (WeasyPrint; no base URL, nothing fetched).

    Fonts are subset with HarfBuzz-Subset (Debian's ``libharfbuzz-subset0``, which ``make``
    installs). Where that library is missing WeasyPrint would fall back to fontTools, warning
    once per font and page and logging, at debug level, the characters each report uses; this
    embeds the whole fonts instead (larger PDFs, same pages, nothing logged).
    """
    if _ahead is not None:
        _ahead.join()
    import weasyprint  # type: ignore[import-untyped]

    result: bytes = weasyprint.HTML(string=html).write_pdf(
        full_fonts=not harfbuzz_subset(), font_config=_font_config()
    )
    return result


@cache
def _font_config() -> Any:
    """One WeasyPrint font configuration per process (fontconfig and Pango's font map, which
    WeasyPrint otherwise sets up again for every document; the PDFs are the same bytes)."""
    from weasyprint.text.fonts import FontConfiguration  # type: ignore[import-untyped]

    return FontConfiguration()


def harfbuzz_subset() -> bool:
    """Whether WeasyPrint found HarfBuzz-Subset (>= 4.1, what its subsetting needs)."""
    from weasyprint.text import ffi  # type: ignore[import-untyped]

    return bool(getattr(ffi, "harfbuzz_subset", None)) and bool(
        ffi.harfbuzz.hb_version_atleast(4, 1, 0)
    )
