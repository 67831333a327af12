"""The warehouse projections: GoogleSQL views shipped as ``.sql`` files in this package.

Each view is one ``sql/<name>.sql`` file holding a single SELECT written once in GoogleSQL, so
it runs on BigQuery as is and on DuckDB through the backend's sqlglot transpiling. Creating
them is ``CREATE OR REPLACE VIEW <name> AS <select>``, which is idempotent. ``inbox_view`` takes
one parameter baked in at creation time: extra practice addresses (see its SQL header).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import resources

from lorchestra.api import LorchestraError, Warehouse, WarehouseError

VIEWS: tuple[str, ...] = ("inbox_view", "measurement_timeseries", "reporting_snapshots")

# The mail the views read is the canonizer's email_messages, one row per canonical email.
_EMAIL_ROWS_SQL = """
SELECT
  (SELECT COUNT(*) FROM canonical_objects WHERE canonical_kind = 'email_jmap_lite') AS emails,
  (SELECT COUNT(*) FROM email_messages) AS rows
"""


class EmailMessagesBehind(LorchestraError):
    """email_messages does not hold one row per canonical email: views made now would show
    mail that is not there, or leave out mail that is."""


_PLACEHOLDER = "{{PRACTICE_ADDRESSES}}"
# Deliberately strict: the addresses end up as SQL string literals.
_ADDRESS = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def view_sql(name: str, practice_addresses: Iterable[str] = ()) -> str:
    """The SELECT behind view ``name``, with any configured practice addresses filled in."""
    if name not in VIEWS:
        raise KeyError(f"Unknown view {name!r}; known: {', '.join(VIEWS)}")
    text = resources.files("reporter").joinpath("sql", f"{name}.sql").read_text("utf-8")
    literals = ", ".join(f"'{address}'" for address in normalise_addresses(practice_addresses))
    return text.replace(_PLACEHOLDER, literals)


def create_view_statement(name: str, practice_addresses: Iterable[str] = ()) -> str:
    """``CREATE OR REPLACE VIEW name AS ...`` for one shipped view."""
    return f"CREATE OR REPLACE VIEW {name} AS\n{view_sql(name, practice_addresses)}"


def normalise_addresses(addresses: Iterable[str] | str | None) -> list[str]:
    """Lower-case, de-duplicate and validate addresses given as a list or comma-separated text."""
    if addresses is None:
        return []
    items = addresses.split(",") if isinstance(addresses, str) else list(addresses)
    out: list[str] = []
    for position, raw in enumerate(items, start=1):
        address = raw.strip().lower()
        if not address:
            continue
        if not _ADDRESS.match(address):
            raise ValueError(
                f"Practice address {position} is not a plain email address "
                "(expected something like name@example.org)."
            )
        if address not in out:
            out.append(address)
    return out


def create_views(bq_client: Warehouse, practice_addresses: Iterable[str] = ()) -> dict[str, int]:
    """(Re)create every view and return the number of rows each one holds now; refuse, leaving
    the views as they are, while ``email_messages`` is not one row per canonical email."""
    addresses = normalise_addresses(practice_addresses)
    _check_email_messages(bq_client)
    counts: dict[str, int] = {}
    for name in VIEWS:
        bq_client.execute(create_view_statement(name, addresses))
    for name in VIEWS:
        rows = bq_client.query(f"SELECT COUNT(*) AS n FROM {name}")
        counts[name] = int(rows[0]["n"])
    return counts


def _check_email_messages(bq_client: Warehouse) -> None:
    try:
        found = bq_client.query(_EMAIL_ROWS_SQL)[0]
    except WarehouseError as exc:
        raise EmailMessagesBehind(
            f"The views read the canonizer's canonical_objects and email_messages, and reading "
            f"them failed ({exc}); is lorchestra-canonizer installed (`lorchestra jobs list`)?"
        ) from None
    if found["emails"] != found["rows"]:
        raise EmailMessagesBehind(
            f"email_messages holds {found['rows']} row(s) for {found['emails']} canonical "
            "email(s) (a warehouse from before that table, or an interrupted canonize run); run "
            "`lorchestra run-job canonizer canonicalize_email` first. The views were left as "
            "they were."
        )
