"""``lorchestra key`` and ``lorchestra backup``: the encryption key, and backup retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from lorchestra.cli._common import handle_errors, prepare_home, print_json, settings

key_app = typer.Typer(no_args_is_help=True, help="The key that encrypts backups and extracts.")
backup_app = typer.Typer(no_args_is_help=True, help="Backups of every batch written.")


@key_app.command("init")
@handle_errors
def key_init() -> None:
    """Create the encryption key (in the OS keyring, or LORCHESTRA_KEY_FILE); keeps an existing
    one."""
    from lorchestra.keys import init_key, where

    current = settings()
    ring, made = init_key(current)
    verb = "Created" if made else "Kept the existing"
    typer.echo(f"{verb} key {ring.current_id} in {where(current)}.")


@key_app.command("rotate")
@handle_errors
def key_rotate() -> None:
    """Make a new key and re-encrypt every encrypted file in the home under it.

    Run it when no other lorchestra run is in progress. Interrupted, it can be run again: the
    old key is dropped only once every file is re-encrypted.
    """
    from lorchestra.keys import load_ring, rotate, where

    current = settings()
    prepare_home(current)
    resealed, newly = rotate(current)
    ring = load_ring(current)
    assert ring is not None  # rotate just saved it
    typer.echo(
        f"Rotated to key {ring.current_id} in {where(current)}: {resealed} file(s) "
        f"re-encrypted" + (f", {newly} clear file(s) encrypted." if newly else ".")
    )


@backup_app.command("prune")
@handle_errors
def backup_prune(
    older_than: Annotated[
        str, typer.Option("--older-than", help="Prune backups of days older than this (90d).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Drop rows of old backups that a newer backup holds; the newest copy of every object
    stays, so `lorchestra replay` of what remains still rebuilds every table."""
    from lorchestra.keys import load_ring
    from lorchestra.retention import backup_files, cutoff, prune
    from lorchestra.sealed import is_sealed

    current = settings()
    home = prepare_home(current)
    keep_from = cutoff(older_than, datetime.now(UTC))
    encrypted = any(is_sealed(path) for _, path in backup_files(home))
    result = prune(home, keep_from, load_ring(current) if encrypted else None)
    if as_json:
        print_json({"keep_from": keep_from.isoformat(), **vars(result)})
        return
    typer.echo(
        f"Backups before {keep_from}: {result.rows_dropped} superseded row(s) dropped, "
        f"{result.rows_kept_old} newest copies kept; {result.files_deleted} file(s) deleted, "
        f"{result.files_rewritten} rewritten."
    )
