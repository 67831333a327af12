"""Where instrument definitions come from: every ``*.json`` file in a directory.

The package ships its instruments in ``final_form/instruments/``; adding an instrument is
adding a file there (or pointing an :class:`InstrumentRegistry` at another directory), never
a code change. Every file is validated when the registry is built, so one malformed
definition fails loudly and early, with the file and field in the message, instead of at
the first response that happens to need it. A file's ``id`` must equal its file name stem,
which keeps ``phq9.json`` from quietly defining something else.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from final_form._loading import read_json, validate
from final_form.definition import InstrumentDefinition
from final_form.errors import DefinitionError, UnknownInstrumentError


def load_definition_file(source: Path | Traversable) -> InstrumentDefinition:
    """Load and validate one definition file; its ``id`` must match the file name."""
    definition = validate(InstrumentDefinition, read_json(source), source.name)
    stem = source.name.removesuffix(".json")
    if definition.id != stem:
        raise DefinitionError(
            f"{source.name}: id: {definition.id!r} does not match the file name (expected {stem!r})"
        )
    return definition


class InstrumentRegistry:
    """An immutable set of validated instrument definitions, keyed by id."""

    def __init__(self, definitions: Iterable[InstrumentDefinition]) -> None:
        self._by_id: dict[str, InstrumentDefinition] = {}
        for definition in definitions:
            if definition.id in self._by_id:
                raise DefinitionError(f"{definition.id}: defined more than once")
            self._by_id[definition.id] = definition

    @classmethod
    def from_directory(cls, directory: Path | Traversable) -> InstrumentRegistry:
        """Load every ``*.json`` file in ``directory`` (sorted by name, for determinism)."""
        sources = sorted(
            (entry for entry in directory.iterdir() if entry.name.endswith(".json")),
            key=lambda entry: entry.name,
        )
        return cls(load_definition_file(source) for source in sources)

    def ids(self) -> list[str]:
        """The registered instrument ids, sorted."""
        return sorted(self._by_id)

    def get(self, instrument_id: str) -> InstrumentDefinition:
        """The definition for ``instrument_id``; UnknownInstrumentError if there is none."""
        try:
            return self._by_id[instrument_id]
        except KeyError:
            raise UnknownInstrumentError(
                f"unknown instrument {instrument_id!r}; known instruments: {self.ids()}"
            ) from None

    def __contains__(self, instrument_id: object) -> bool:
        return instrument_id in self._by_id


@cache
def default_registry() -> InstrumentRegistry:
    """The instruments shipped with the package (loaded and validated once per process)."""
    return InstrumentRegistry.from_directory(files("final_form") / "instruments")
