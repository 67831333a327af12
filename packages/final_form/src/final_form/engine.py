"""The scoring engine: one instrument definition plus one set of responses gives a Score.

Order of operations, which matters clinically: validate every response against the response
range (a bad value is a ``ValueError`` naming the item, never a silently clipped score);
reverse-key items as ``min + max - x``; for each item-based scale apply the selected missing
policy (prorate by mean substitution, ``answered_sum * n_items / n_answered``, only *after*
reversal, or give ``None``); then apply the method (sum, mean, sum_then_double); composites sum
their components and are ``None`` if any component is. Arithmetic is exact (``Fraction``)
and bands are assigned on the exact value; values are converted to ``float`` only for the
result, and a prorated total is never rounded. Flags read the raw response and are ``None``
when their item is missing, whatever happened to the totals. The functional-difficulty
response is validated and reported, and never enters any scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from final_form.definition import Band, Flag, InstrumentDefinition, MissingPolicy, ResponseScale
from final_form.errors import UnknownMissingPolicyError


@dataclass(frozen=True)
class Score:
    """The scored result of one administration of one instrument.

    ``scales`` maps scale id to its exact value (``None`` when the missing policy does not
    allow a score); ``bands`` maps every banded scale id to its label (``None`` when the
    scale is ``None``); ``flags`` maps flag id to ``True``/``False``/``None``.
    ``n_missing`` counts missing scored items (the difficulty item is not scored);
    ``prorated`` is true when any scale substituted missing items; ``missing_policy`` names
    the policy used.
    """

    instrument: str
    version: str
    scales: dict[str, float | None]
    bands: dict[str, str | None]
    flags: dict[str, bool | None]
    n_missing: int
    prorated: bool
    functional_difficulty: int | None
    missing_policy: str

    def as_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable copy of the score."""
        return {
            "instrument": self.instrument,
            "version": self.version,
            "scales": dict(self.scales),
            "bands": dict(self.bands),
            "flags": dict(self.flags),
            "n_missing": self.n_missing,
            "prorated": self.prorated,
            "functional_difficulty": self.functional_difficulty,
            "missing_policy": self.missing_policy,
        }


def band_for(value: Fraction, bands: Sequence[Band]) -> str:
    """The label of the band ``value`` falls in.

    Bands are inclusive integer ranges, ``[lo, hi]``, contiguous and ascending. A
    non-integer value (a prorated total such as 9.5 on the PHQ-9) belongs to band
    ``[lo, hi]`` when ``lo <= value < next_lo``, where ``next_lo`` is the lower bound of the
    next band; the last band runs to its ``hi`` inclusive. In words: a band is reached only
    when its published cut point is reached, so 9.5 is "mild" (below the cut point of 10 for
    "moderate") and 19.75 is "moderately severe". For integer values this is exactly the
    published inclusive ranges.
    """
    for index, band in enumerate(bands):
        upper_ok = value <= band.max if index == len(bands) - 1 else value < bands[index + 1].min
        if band.min <= value and upper_ok:
            return band.label
    # Unreachable for a validated definition: bands cover the scale range exactly and
    # prorated values never leave it.
    raise ValueError(f"value {value} lies outside every band")


def reverse(value: int, response: ResponseScale) -> int:
    """Reverse-key a response: ``min + max - x`` (so 1..5 maps to 5..1, 0..4 to 4..0)."""
    return response.min + response.max - value


def score_definition(
    definition: InstrumentDefinition,
    responses: Sequence[int | None],
    *,
    difficulty: int | None = None,
    missing_policy: str | None = None,
) -> Score:
    """Score ``responses`` (in item order, ``None`` = missing) against ``definition``."""
    raw = _check_responses(definition, responses)
    _check_difficulty(definition, difficulty)
    policy_name, policy = _select_policy(definition, missing_policy)

    reversed_ids = set(definition.reverse_keyed)
    keyed: dict[str, int | None] = {}
    for item in definition.items:
        value = raw[item.id]
        keyed[item.id] = (
            reverse(value, definition.response)
            if value is not None and item.id in reversed_ids
            else value
        )

    exact: dict[str, Fraction | None] = {}
    prorated = False
    for scale in definition.scales:
        if scale.scales is not None:
            parts = [exact[member] for member in scale.scales]
            exact[scale.id] = None if any(p is None for p in parts) else _sum(parts)
            continue
        members = scale.items or ()
        values = [keyed[item_id] for item_id in members]
        answered = [v for v in values if v is not None]
        n_missing = len(values) - len(answered)
        if n_missing > policy.max_missing[scale.id]:
            exact[scale.id] = None
            continue
        total = Fraction(sum(answered))
        if n_missing:
            # Mean substitution, done on reverse-keyed values: each missing item counts as
            # the mean of the answered items of this scale.
            total = total * len(values) / len(answered)
            prorated = True
        if scale.method == "mean":
            exact[scale.id] = total / len(values)
        elif scale.method == "sum_then_double":
            exact[scale.id] = total * 2
        else:
            exact[scale.id] = total

    bands: dict[str, str | None] = {}
    for scale in definition.scales:
        if scale.bands is not None:
            scale_value = exact[scale.id]
            bands[scale.id] = None if scale_value is None else band_for(scale_value, scale.bands)

    return Score(
        instrument=definition.id,
        version=definition.version,
        scales={k: None if v is None else float(v) for k, v in exact.items()},
        bands=bands,
        flags={flag.id: _evaluate(flag, raw[flag.item]) for flag in definition.flags},
        n_missing=sum(1 for v in raw.values() if v is None),
        prorated=prorated,
        functional_difficulty=difficulty,
        missing_policy=policy_name,
    )


def _sum(parts: Sequence[Fraction | None]) -> Fraction:
    return sum((p for p in parts if p is not None), Fraction(0))


def _evaluate(flag: Flag, value: int | None) -> bool | None:
    if value is None:
        return None
    match flag.op:
        case ">=":
            return value >= flag.value
        case ">":
            return value > flag.value
        case "<=":
            return value <= flag.value
        case "<":
            return value < flag.value
        case "==":
            return value == flag.value


def _check_value(where: str, value: object, response: ResponseScale) -> int | None:
    if value is None:
        return None
    # bool is an int subclass; True silently scoring as 1 would hide a caller bug.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(
            f"{where}: response must be an integer or None, got {type(value).__name__}"
        )
    if not response.min <= value <= response.max:
        raise ValueError(
            f"{where}: response {value} is outside the response range {response.min}-{response.max}"
        )
    return value


def _check_responses(
    definition: InstrumentDefinition, responses: Sequence[int | None]
) -> dict[str, int | None]:
    if isinstance(responses, str | bytes) or not isinstance(responses, Sequence):
        raise ValueError(f"{definition.id}: responses must be a list in item order")
    expected = len(definition.items)
    if len(responses) != expected:
        hint = ""
        if definition.difficulty_item is not None and len(responses) == expected + 1:
            hint = (
                f"; pass the functional-difficulty item ({definition.difficulty_item.id}) "
                "as difficulty=, not in responses"
            )
        raise ValueError(
            f"{definition.id}: expected {expected} responses (items "
            f"{definition.items[0].id}..{definition.items[-1].id}, in item order), got "
            f"{len(responses)}{hint}"
        )
    return {
        item.id: _check_value(
            f"{definition.id} item {item.id} (position {item.position})",
            value,
            definition.response,
        )
        for item, value in zip(definition.items, responses, strict=True)
    }


def _check_difficulty(definition: InstrumentDefinition, difficulty: int | None) -> None:
    item = definition.difficulty_item
    if item is None:
        if difficulty is not None:
            raise ValueError(f"{definition.id}: has no functional-difficulty item")
        return
    _check_value(f"{definition.id} item {item.id} (difficulty)", difficulty, item.response)


def _select_policy(definition: InstrumentDefinition, name: str | None) -> tuple[str, MissingPolicy]:
    chosen = definition.missing_policies.default if name is None else name
    try:
        return chosen, definition.missing_policies.options[chosen]
    except KeyError:
        raise UnknownMissingPolicyError(
            f"{definition.id}: unknown missing_policy {chosen!r}; this instrument offers "
            f"{sorted(definition.missing_policies.options)}"
        ) from None
