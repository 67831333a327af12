"""The published wording of instrument items, for recognising them on someone else's form.

An instrument definition's item ``text`` is a short paraphrase for identification. Where an
instrument's own wording may be reproduced (PHQ-9 and GAD-7: "no permission required"), the
package ships it in ``wording/<instrument>.json`` as ``{"items": {item_id: [texts...]}}``;
:func:`item_wordings` gives every text an item is known by (the published ones first, then the
definition's own), which is what ``forms draft-binding`` matches question titles against.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files

from final_form.definition import InstrumentDefinition
from final_form.errors import DefinitionError


@cache
def _published(instrument_id: str) -> dict[str, tuple[str, ...]]:
    source = files("final_form") / "wording" / f"{instrument_id}.json"
    if not source.is_file():
        return {}
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        return {item: tuple(texts) for item, texts in data["items"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DefinitionError(f"wording/{instrument_id}.json: items: {exc}") from None


def item_wordings(definition: InstrumentDefinition) -> dict[str, tuple[str, ...]]:
    """Item id -> every wording it is known by, the difficulty item included."""
    published = _published(definition.id)
    items = list(definition.items)
    out: dict[str, tuple[str, ...]] = {}
    for item in items:
        out[item.id] = (*published.get(item.id, ()), item.text)
    difficulty = definition.difficulty_item
    if difficulty is not None:
        out[difficulty.id] = (*published.get(difficulty.id, ()), difficulty.text)
    return out
