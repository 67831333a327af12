"""The instrument definition model: what a questionnaire *is*, validated when it is loaded.

An instrument is data (``instruments/<id>.json``); this module says what such a file may
contain and rejects anything inconsistent before a single response is scored. A definition
holds the items (id, position, text, LOINC code), one response range with its option labels,
the reverse-keyed items, the scales (item sums, means or doubled sums, or composites of other
scales), inclusive integer bands per scale, named missing-item policies (``default`` names the
published or strictest rule; the others are documented alternatives a caller must ask for by
name), item-level flags, and an optional functional-difficulty item that is reported but never
scored. Validation errors are raised as ``ValueError`` whose text starts with the field path
(``scales[0].bands: ...``); :mod:`final_form.registry` adds the file name.
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator


def matching(pattern: str, expectation: str) -> AfterValidator:
    """A validator with a message a person can act on, instead of the bare regex."""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"{value!r} {expectation}")
        return value

    return AfterValidator(check)


Semver = Annotated[
    str, matching(r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)", "is not a version like 1.0.0")
]
InstrumentId = Annotated[
    str, matching(r"[a-z][a-z0-9_]*", "is not an id (lower-case letters, digits and '_')")
]
Ident = Annotated[str, matching(r"[A-Za-z][A-Za-z0-9_]*", "is not an id (letters, digits and '_')")]
Loinc = Annotated[
    str, matching(r"\d{1,7}-\d|LA\d{1,7}-\d", "is not a LOINC code like 44261-6 or LA6568-5")
]
# Band labels are compared and stored verbatim downstream, so one spelling: lower case.
BandLabel = Annotated[
    str,
    matching(r"[a-z][a-z0-9 _-]*", "is not a lower-case label (letters, digits, ' ', '_', '-')"),
]


class _Model(BaseModel):
    # extra="forbid" turns a misspelt key in a definition file into an error rather than
    # a silently ignored rule.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    """One response option: its numeric value, the label shown, and its LOINC answer code."""

    value: int
    label: str = Field(min_length=1)
    loinc: Loinc | None = None


class ResponseScale(_Model):
    """An integer response range ``min..max`` with exactly one labelled option per value."""

    min: int
    max: int
    options: tuple[Option, ...]

    @model_validator(mode="after")
    def _options_cover_range(self) -> ResponseScale:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min}) must be less than max ({self.max})")
        values = [option.value for option in self.options]
        expected = list(range(self.min, self.max + 1))
        if values != expected:
            raise ValueError(
                f"options: must list each value from {self.min} to {self.max} once, in "
                f"ascending order; got {values}"
            )
        labels = [option.label.strip().casefold() for option in self.options]
        if len(set(labels)) != len(labels):
            raise ValueError("options: labels must be distinct (ignoring case)")
        return self

    def label_for(self, value: int) -> str:
        """The option label for ``value`` (which must be in range)."""
        return self.options[value - self.min].label


class Item(_Model):
    """One scored item. ``source_item`` records the parent form's number for short forms."""

    id: Ident
    position: int = Field(ge=1)
    text: str = Field(min_length=1)
    loinc: Loinc | None = None
    source_item: int | None = Field(default=None, ge=1)


class DifficultyItem(Item):
    """The functional-difficulty item: reported on its own scale, never part of any scale."""

    response: ResponseScale


class Band(_Model):
    """An inclusive integer range ``min..max`` of a scale with a lower-case label."""

    min: int
    max: int
    label: BandLabel

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


Method = Literal["sum", "mean", "sum_then_double"]


class ReliableChange(_Model):
    """A published reliable-change amount for a scale: a change of at least ``amount`` (up or
    down) is larger than the instrument's measurement error, per ``source``."""

    amount: float = Field(gt=0)
    source: str = Field(min_length=1)


class Caseness(_Model):
    """A published clinical cut-off: a score of at least ``min`` is a "case", per ``source``."""

    min: float
    source: str = Field(min_length=1)


class Scale(_Model):
    """A scale: a function of items (``items``) or the sum of other scales (``scales``).

    ``sum`` adds the (reverse-scored) items, ``mean`` divides that sum by the number of items,
    ``sum_then_double`` doubles it (PHLMS-10, to put a 5-item subscale on the 10-50 metric of
    the 10-item original). A composite (``scales``) is the sum of item-based scales and is
    null whenever any component is null; it takes no missing rule of its own.
    """

    id: Ident
    name: str = Field(min_length=1)
    method: Method = "sum"
    items: tuple[str, ...] | None = None
    scales: tuple[str, ...] | None = None
    loinc: Loinc | None = None
    bands: tuple[Band, ...] | None = None
    description: str | None = None
    reliable_change: ReliableChange | None = None
    caseness: Caseness | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Scale:
        if (self.items is None) == (self.scales is None):
            raise ValueError("exactly one of 'items' or 'scales' must be given")
        members = self.items if self.items is not None else self.scales
        assert members is not None  # narrowed by the check above
        field = "items" if self.items is not None else "scales"
        if not members:
            raise ValueError(f"{field}: must not be empty")
        if len(set(members)) != len(members):
            raise ValueError(f"{field}: lists a member more than once")
        if self.scales is not None and self.method != "sum":
            raise ValueError("method: a composite scale ('scales') can only be 'sum'")
        return self

    @property
    def is_composite(self) -> bool:
        """True when the scale combines other scales rather than items."""
        return self.scales is not None


class MissingPolicy(_Model):
    """How many missing items each item-based scale tolerates before it is null.

    With ``0 < n_missing <= max_missing`` the scale is prorated: the mean of the answered
    (already reverse-scored) items stands in for each missing one, i.e.
    ``answered_sum * n_items / n_answered``. Every item-based scale must be listed so that a
    policy never falls back to a rule nobody wrote down.
    """

    description: str = Field(min_length=1)
    source: str | None = None
    max_missing: dict[str, int]


class MissingPolicies(_Model):
    """The named missing-item policies of an instrument and which one is the default."""

    default: str
    options: dict[str, MissingPolicy]


class Flag(_Model):
    """An item-level flag, evaluated on the raw (unreversed) response; null if unanswered."""

    id: Ident
    item: str
    op: Literal[">=", ">", "<=", "<", "=="]
    value: int
    description: str = Field(min_length=1)


class InstrumentDefinition(_Model):
    """A complete, self-consistent instrument definition (see the module docstring)."""

    id: InstrumentId
    version: Semver
    name: str = Field(min_length=1)
    loinc: Loinc | None = None
    response: ResponseScale
    items: tuple[Item, ...]
    reverse_keyed: tuple[str, ...] = ()
    difficulty_item: DifficultyItem | None = None
    scales: tuple[Scale, ...]
    missing_policies: MissingPolicies
    flags: tuple[Flag, ...] = ()
    # The scales a clinician's report shows, in order (default: every scale). The others are
    # still scored and stored; IPIP-NEO-60's 30 facets and domain means, for example.
    report_scales: tuple[str, ...] | None = None
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> InstrumentDefinition:
        item_ids = self._check_items()
        self._check_reverse_keyed(item_ids)
        self._check_scales(item_ids)
        self._check_report_scales()
        self._check_missing_policies()
        self._check_flags(item_ids)
        return self

    # -- cross-field checks; each raises ValueError("<field path>: <problem>") ----------

    def _check_items(self) -> set[str]:
        if not self.items:
            raise ValueError("items: must not be empty")
        if not self.scales:
            raise ValueError("scales: must not be empty")
        ids = [item.id for item in self.items]
        positions = [item.position for item in self.items]
        if positions != list(range(1, len(self.items) + 1)):
            raise ValueError(f"items: positions must run 1..{len(self.items)} in order")
        for index, item_id in enumerate(ids):
            if item_id in ids[:index]:
                raise ValueError(f"items[{index}].id: duplicate item id {item_id!r}")
        if self.difficulty_item is not None:
            if self.difficulty_item.id in ids:
                raise ValueError(
                    f"difficulty_item.id: {self.difficulty_item.id!r} is also a scored item"
                )
            if self.difficulty_item.position in positions:
                raise ValueError(
                    f"difficulty_item.position: {self.difficulty_item.position} is already "
                    "used by a scored item"
                )
        return set(ids)

    def _check_reverse_keyed(self, item_ids: set[str]) -> None:
        for index, item_id in enumerate(self.reverse_keyed):
            if item_id not in item_ids:
                raise ValueError(f"reverse_keyed[{index}]: unknown item {item_id!r}")
            if item_id in self.reverse_keyed[:index]:
                raise ValueError(f"reverse_keyed[{index}]: {item_id!r} listed twice")

    def _check_scales(self, item_ids: set[str]) -> None:
        seen: dict[str, Scale] = {}
        for index, scale in enumerate(self.scales):
            where = f"scales[{index}]"
            if scale.id in seen:
                raise ValueError(f"{where}.id: duplicate scale id {scale.id!r}")
            for member in scale.items or ():
                if member not in item_ids:
                    raise ValueError(f"{where}.items: unknown item {member!r}")
            for member in scale.scales or ():
                # Components must be item-based scales defined earlier: no nesting, no cycles.
                component = seen.get(member)
                if component is None:
                    raise ValueError(
                        f"{where}.scales: {member!r} is not an item-based scale defined "
                        "earlier in 'scales'"
                    )
                if component.is_composite:
                    raise ValueError(f"{where}.scales: {member!r} is itself a composite")
            seen[scale.id] = scale
            if scale.bands is not None:
                self._check_bands(where, scale)

    def _check_report_scales(self) -> None:
        scale_ids = [scale.id for scale in self.scales]
        for index, scale_id in enumerate(self.report_scales or ()):
            if scale_id not in scale_ids:
                raise ValueError(f"report_scales[{index}]: unknown scale {scale_id!r}")
            if scale_id in (self.report_scales or ())[:index]:
                raise ValueError(f"report_scales[{index}]: {scale_id!r} listed twice")

    @property
    def reported_scales(self) -> tuple[Scale, ...]:
        """The scales a report shows, in order (``report_scales``, else every scale)."""
        if self.report_scales is None:
            return self.scales
        return tuple(self.scale(scale_id) for scale_id in self.report_scales)

    def _check_bands(self, where: str, scale: Scale) -> None:
        assert scale.bands is not None
        low, high = self.scale_range(scale.id)
        bands = scale.bands
        if not bands:
            raise ValueError(f"{where}.bands: must not be empty (omit the key for no bands)")
        if low.denominator != 1 or high.denominator != 1:
            raise ValueError(f"{where}.bands: bands need a scale with an integer range")
        if bands[0].min != low or bands[-1].max != high:
            raise ValueError(
                f"{where}.bands: must cover the scale range {low}-{high} exactly; they cover "
                f"{bands[0].min}-{bands[-1].max}"
            )
        for index in range(1, len(bands)):
            if bands[index].min != bands[index - 1].max + 1:
                raise ValueError(
                    f"{where}.bands[{index}].min: bands must be contiguous and ascending; "
                    f"expected {bands[index - 1].max + 1}, got {bands[index].min}"
                )
        labels = [band.label for band in bands]
        if len(set(labels)) != len(labels):
            raise ValueError(f"{where}.bands: labels must be distinct")

    def _check_missing_policies(self) -> None:
        policies = self.missing_policies
        if policies.default not in policies.options:
            raise ValueError(
                f"missing_policies.default: {policies.default!r} is not one of "
                f"{sorted(policies.options)}"
            )
        item_scales = {scale.id: scale for scale in self.scales if scale.items is not None}
        for name, policy in policies.options.items():
            where = f"missing_policies.options.{name}.max_missing"
            if not _is_ident(name):
                raise ValueError(f"missing_policies.options: {name!r} is not a valid name")
            listed, wanted = set(policy.max_missing), set(item_scales)
            if listed - wanted:
                raise ValueError(
                    f"{where}: {sorted(listed - wanted)} are not item-based scales "
                    "(composites follow their components)"
                )
            if wanted - listed:
                raise ValueError(f"{where}: no rule for scales {sorted(wanted - listed)}")
            for scale_id, limit in policy.max_missing.items():
                count = len(item_scales[scale_id].items or ())
                if not 0 <= limit < count:
                    raise ValueError(
                        f"{where}.{scale_id}: must be between 0 and {count - 1} (the scale "
                        f"has {count} items), got {limit}"
                    )

    def _check_flags(self, item_ids: set[str]) -> None:
        seen: set[str] = set()
        for index, flag in enumerate(self.flags):
            if flag.id in seen:
                raise ValueError(f"flags[{index}].id: duplicate flag id {flag.id!r}")
            seen.add(flag.id)
            if flag.item not in item_ids:
                raise ValueError(f"flags[{index}].item: unknown item {flag.item!r}")
            if not self.response.min <= flag.value <= self.response.max:
                raise ValueError(
                    f"flags[{index}].value: {flag.value} is outside the response range "
                    f"{self.response.min}-{self.response.max}"
                )

    # -- derived facts used by the engine and by tests ----------------------------------

    def scale(self, scale_id: str) -> Scale:
        """The scale with id ``scale_id`` (KeyError if there is none)."""
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    def scale_range(self, scale_id: str) -> tuple[Fraction, Fraction]:
        """The lowest and highest value ``scale_id`` can take, prorated or not."""
        scale = self.scale(scale_id)
        if scale.scales is not None:
            parts = [self.scale_range(member) for member in scale.scales]
            return sum((p[0] for p in parts), Fraction(0)), sum((p[1] for p in parts), Fraction(0))
        count = len(scale.items or ())
        low, high = Fraction(self.response.min), Fraction(self.response.max)
        if scale.method == "mean":
            return low, high
        factor = 2 if scale.method == "sum_then_double" else 1
        return low * count * factor, high * count * factor


def _is_ident(name: str) -> bool:
    return name.isidentifier() and name.isascii()
