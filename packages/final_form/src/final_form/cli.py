"""``lorchestra forms``: see which forms are scored, draft a binding for a new form, check them.

Contributed to the ``lorchestra`` command line through the ``lorchestra.commands`` entry point;
the command docstrings are the help. Everything printed is form wording, ids and counts: never
an answer or a respondent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from final_form.binding import FormBinding, check_binding
from final_form.errors import FinalFormError
from lorchestra.api import (
    LorchestraError,
    UsageError,
    cli_command,
    command_home,
    command_warehouse,
    print_json,
    print_rows,
    write_private,
)

app = typer.Typer(
    help="Questionnaire forms: which are scored, and bindings for your own.",
    no_args_is_help=True,
)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


@contextmanager
def _domain_errors() -> Iterator[None]:
    """final_form's own errors (unknown instrument, invalid binding) as user errors."""
    try:
        yield
    except FinalFormError as exc:
        raise UsageError(str(exc)) from None


@app.command("list")
@cli_command
def list_command(as_json: JsonFlag = False) -> None:
    """Every form seen in the warehouse: its binding (or unbound) and its responses."""
    from final_form.form_questions import forms_seen
    from final_form.home_bindings import load_bindings

    home = command_home()
    loaded = load_bindings(home)
    with command_warehouse(read_only=True) as warehouse:
        forms = forms_seen(warehouse)
    rows = []
    for form in forms:
        binding = loaded.registry.for_form(form.form_id)
        rows.append(
            {
                "form_id": form.form_id,
                "title": form.form_name,
                "binding": f"{binding.id}@{binding.version}" if binding else "unbound",
                "responses": form.responses,
                "scored": form.scored,
                "waiting_for_binding": 0 if binding else form.responses - form.scored,
            }
        )
    if as_json:
        print_json({"forms": rows, "binding_errors": loaded.errors})
        return
    _warn(loaded.errors)
    print_rows(rows, title="forms")


@app.command("draft-binding")
@cli_command
def draft_command(
    form_id: Annotated[str, typer.Argument(help="The form's id (see `lorchestra forms list`).")],
    instrument: Annotated[
        list[str] | None,
        typer.Option("--instrument", help="Bind only this instrument (repeat for several)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a binding file already in the data home.")
    ] = False,
) -> None:
    """Propose a binding by matching the form's wording to the instruments' items.

    Writes <home>/bindings/<id>.json when every item and option matched (review it, then run
    `lorchestra forms check`), else <id>.json.draft with what matched, and exits 1.
    """
    from final_form.drafting import draft_binding
    from final_form.form_questions import form_definition
    from final_form.home_bindings import bindings_dir
    from final_form.registry import default_registry

    home = command_home()
    with command_warehouse(read_only=True) as warehouse:
        form = form_definition(warehouse, form_id)
    if form is None:
        raise UsageError(
            f"Form {form_id!r} has no responses in the warehouse; run `lorchestra run daily` "
            "first (see `lorchestra forms list` for the forms seen)."
        )
    instruments = default_registry()
    with _domain_errors():
        draft = draft_binding(form, instruments, tuple(instrument or ()))
    _print_draft(draft)
    if draft.document is None:
        raise LorchestraError(f"No instrument matched the questions of form {form_id}; "
                              "nothing was written.")
    suffix = ".json" if draft.complete else ".json.draft"
    target = bindings_dir(home) / f"{draft.binding_id}{suffix}"
    if target.exists() and not force:
        raise UsageError(f"{target} already exists; review it, or pass --force to replace it.")
    if draft.complete:
        with _domain_errors():
            check_binding(FormBinding.model_validate(draft.document), instruments, target.name)
    text = json.dumps(draft.document, indent=2, ensure_ascii=False) + "\n"
    write_private(target, text.encode("utf-8"))
    if draft.complete:
        typer.echo(f"Wrote {target}. Review it, then run `lorchestra forms check`; the next "
                   "run scores this form's responses.")
        return
    typer.echo(f"Wrote an incomplete draft to {target}: bind what is listed as unmatched, "
               f"then rename it to {draft.binding_id}.json and run `lorchestra forms check`.")
    raise typer.Exit(1)


@app.command("check")
@cli_command
def check_command(as_json: JsonFlag = False) -> None:
    """Check every binding against its form; exits 1 when any has a problem."""
    from final_form.form_check import check_against_form
    from final_form.form_questions import form_definition
    from final_form.home_bindings import load_bindings

    home = command_home()
    loaded = load_bindings(home)
    rows: list[dict[str, Any]] = [
        {"binding": None, "form_id": None, "origin": None, "status": "FAIL", "problem": error}
        for error in loaded.errors
    ]
    with command_warehouse(read_only=True) as warehouse:
        for form_id in loaded.registry.form_ids():
            binding = loaded.registry.for_form(form_id)
            assert binding is not None  # listed by form_ids()
            origin = loaded.origins.get(form_id, "package")
            base = {"binding": f"{binding.id}@{binding.version}", "form_id": form_id,
                    "origin": origin if origin == "package" else Path(origin).name}
            form = form_definition(warehouse, form_id)
            if form is None:
                rows.append({**base, "status": "ok", "problem": "form not seen yet"})
                continue
            problems = check_against_form(binding, form)
            rows.extend({**base, "status": "FAIL", "problem": p} for p in problems)
            if not problems:
                rows.append({**base, "status": "ok", "problem": None})
    if as_json:
        print_json(rows)
    else:
        print_rows(rows, title="forms check")
    failed = sum(1 for row in rows if row["status"] == "FAIL")
    if failed:
        typer.echo(f"{failed} problem(s) found.", err=True)
        raise typer.Exit(1)


def _print_draft(draft: Any) -> None:
    rows = [
        {
            "#": m.question.position + 1,
            "question_id": m.question.question_id,
            "question": m.question.text,
            "item": f"{m.instrument_id}/{m.item_id}",
            "similarity": round(m.score),
        }
        for m in draft.matches
    ]
    print_rows(rows, title=f"form {draft.form_id}: matched questions")
    for question in draft.unmatched_questions:
        typer.echo(f"unmatched question #{question.position + 1} {question.question_id}: "
                   f"{question.text}")
    for instrument_id, items in draft.unmatched_items.items():
        if items:
            typer.echo(f"unmatched items of {instrument_id}: {', '.join(items)}")
    for instrument_id, pairs in draft.option_maps.items():
        for label, value in pairs:
            mapped = "UNMATCHED" if value is None else str(value)
            typer.echo(f"option of {instrument_id}: {label!r} -> {mapped}")


def _warn(errors: list[str]) -> None:
    for error in errors:
        typer.echo(f"warning: binding skipped: {error}", err=True)
