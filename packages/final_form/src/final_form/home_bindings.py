"""The bindings scoring uses: the packaged ones plus a practice's own ``<home>/bindings/*.json``.

A practice binds its own forms by dropping binding files (the packaged format, see
:mod:`final_form.binding`) into ``bindings/`` in the data home, usually written by
``lorchestra forms draft-binding``. Each file is validated on its own: a broken one is reported
(file and field named) and skipped, and every other form is still scored. A home binding for a
form a packaged binding also binds replaces the packaged one; two home files binding one form
are both reported and neither is used, since picking one would be a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from final_form.binding import BindingRegistry, FormBinding, default_bindings, load_binding_file
from final_form.errors import DefinitionError
from final_form.registry import InstrumentRegistry, default_registry

BINDINGS_DIR = "bindings"


@dataclass(frozen=True)
class LoadedBindings:
    """Every usable binding, where each came from, and one line per file that was skipped."""

    registry: BindingRegistry
    origins: dict[str, str] = field(default_factory=dict)  # form_id -> "package" or file path
    errors: list[str] = field(default_factory=list)


def bindings_dir(home: Path) -> Path:
    """Where a practice's own bindings live."""
    return home / BINDINGS_DIR


def home_binding_files(home: Path) -> list[Path]:
    """The ``*.json`` files in ``<home>/bindings``, sorted (none when it does not exist)."""
    directory = bindings_dir(home)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix == ".json" and p.is_file())


def load_bindings(
    home: Path | None, instruments: InstrumentRegistry | None = None
) -> LoadedBindings:
    """The packaged bindings overlaid with ``home``'s own; broken files reported, not raised."""
    instruments = instruments or default_registry()
    packaged = default_bindings()
    by_form: dict[str, FormBinding] = {}
    origins: dict[str, str] = {}
    for form_id in packaged.form_ids():
        binding = packaged.for_form(form_id)
        assert binding is not None  # listed by form_ids()
        by_form[form_id] = binding
        origins[form_id] = "package"
    errors: list[str] = []
    mine, clashes = _home_bindings(home, instruments, errors) if home else ({}, set())
    for form_id, (path, binding) in mine.items():
        by_form[form_id] = binding
        origins[form_id] = str(path)
    for form_id in clashes:
        by_form.pop(form_id, None)
        origins.pop(form_id, None)
    return LoadedBindings(BindingRegistry(by_form.values()), origins, errors)


def _home_bindings(
    home: Path, instruments: InstrumentRegistry, errors: list[str]
) -> tuple[dict[str, tuple[Path, FormBinding]], set[str]]:
    found: dict[str, tuple[Path, FormBinding]] = {}
    clashes: set[str] = set()
    for path in home_binding_files(home):
        try:
            binding = load_binding_file(path, instruments)
        except DefinitionError as exc:
            errors.extend(_lines(path, str(exc)))
            continue
        if binding.form_id in found:
            other = found[binding.form_id][0].name
            errors.append(
                f"{path}: form_id: form {binding.form_id!r} is also bound by {other}; "
                "neither file is used until one is removed"
            )
            clashes.add(binding.form_id)
            continue
        found[binding.form_id] = (path, binding)
    return found, clashes


def _lines(path: Path, message: str) -> Iterable[str]:
    # DefinitionError messages start with the file name; give the full path instead.
    for line in message.splitlines():
        yield f"{path.parent}/{line}" if line.startswith(path.name) else f"{path}: {line}"
