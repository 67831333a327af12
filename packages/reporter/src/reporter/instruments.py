"""What the reports need to know about an instrument, read from final_form's definitions.

The instrument's name, the scales a clinician's report shows (its ``report_scales``, else every
scale; never a total the instrument does not define), each scale's bands and its published
reliable-change amount. An instrument final_form does not know is shown by its id with the
scales found in the data, unbanded.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import final_form
from final_form.errors import UnknownInstrumentError

Band = tuple[float, float, str]


@dataclass(frozen=True)
class ScaleInfo:
    id: str
    name: str
    bands: tuple[Band, ...] = ()
    reliable_change: float | None = None


@dataclass(frozen=True)
class InstrumentInfo:
    id: str
    name: str
    scales: tuple[ScaleInfo, ...]  # the reported ones, in report order
    known: bool = True

    def scale(self, scale_id: str) -> ScaleInfo | None:
        return next((s for s in self.scales if s.id == scale_id), None)

    def reports(self, scale_id: str) -> bool:
        """Whether a report shows this scale (any scale, for an unknown instrument)."""
        return not self.known or self.scale(scale_id) is not None


@cache
def instrument_info(instrument_id: str) -> InstrumentInfo:
    try:
        definition = final_form.load_instrument(instrument_id)
    except UnknownInstrumentError:
        return InstrumentInfo(instrument_id, instrument_id, (), known=False)
    scales = tuple(
        ScaleInfo(
            id=scale.id,
            name=_short_name(scale.name),
            bands=tuple((float(b.min), float(b.max), b.label) for b in scale.bands or ()),
            reliable_change=scale.reliable_change.amount if scale.reliable_change else None,
        )
        for scale in definition.reported_scales
    )
    return InstrumentInfo(definition.id, definition.name, scales)


def band_of(instrument_id: str, scale_id: str, score: float | None) -> str | None:
    """The band ``score`` falls in on that scale, or None (no bands, or no score)."""
    scale = instrument_info(instrument_id).scale(scale_id)
    if score is None or scale is None:
        return None
    for low, high, label in scale.bands:
        if low <= float(score) <= high:
            return label
    return None


def _short_name(name: str) -> str:
    """``Neuroticism (domain sum, 12-60)`` → ``Neuroticism``: the part before any bracket."""
    return name.partition(" (")[0]
