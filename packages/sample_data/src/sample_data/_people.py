"""The invented people of the synthetic practice: one clinician, clients and prospects.

A person is rebuilt on demand from `(seed, kind, index)` alone, so every source sees the same name,
address and phone for client 3 without anyone holding a list of clients. Email addresses use only
the reserved documentation domains (example.com, example.net, example.org and their subdomains,
RFC 2606), so nothing generated here can ever reach a real mailbox; numeric suffixes keep them
unique. About one client in eight has a non-ASCII (Latin-1) name, to exercise RFC 2047 headers
and non-UTF-8 bodies.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from sample_data._ids import guid, rng_for

FIRST_NAMES = (
    "Avery", "Jordan", "Riley", "Morgan", "Casey", "Quinn", "Harper", "Rowan", "Emery", "Sage",
    "Parker", "Reese", "Dakota", "Skyler", "Hayden", "Elliot", "Marisol", "Tobias", "Priya",
    "Desmond", "Lena", "Theo", "Imani", "Calvin", "Noor", "Felix", "Greta", "Omar", "Wren",
    "Dmitri", "Beatrix", "Keanu", "Laila", "Mateo", "Odette", "Rafael", "Signe", "Tamsin", "Yusuf",
    "Adaeze", "Bram", "Cleo", "Dario", "Esme", "Gideon", "Hollis", "Ines", "Jasper", "Kenji",
)
LAST_NAMES = (
    "Ashby", "Brennan", "Castellano", "Delacroix", "Ellery", "Fairweather", "Galloway", "Hartwell",
    "Ingram", "Juarez", "Kowalczyk", "Lindqvist", "Marchetti", "Nakamura", "Okafor", "Pemberton",
    "Quintero", "Rasmussen", "Sandoval", "Thorne", "Underhill", "Valdivia", "Whitcombe", "Yardley",
    "Zellner", "Abernathy", "Blackwood", "Crowder", "Dunmore", "Everhart", "Fenwick", "Greer",
    "Holloway", "Iverson", "Jessup", "Kincaid", "Larkspur", "Merriweather", "Northcott", "Ollivant",
)
# Latin-1 names, so that an iso-8859-1 body can carry them.
ACCENTED_NAMES = (
    ("José", "Ibáñez"), ("Zoë", "Müller"), ("Renée", "Dubois"), ("Søren", "Ødegård"),
    ("Inês", "Álvarez"), ("François", "Lefèvre"), ("Björn", "Åström"), ("Chloé", "Güell"),
)
STREETS = (
    "Maple Ave", "Cedar St", "Harbor Rd", "Willow Ln", "Juniper Ct", "Orchard Way", "Lakeview Dr",
    "Foxglove Pl", "Birch Hollow", "Quarry St", "Meadow Run", "Alder Loop",
)
# Invented town names; US state codes only as plausible-looking values.
CITIES = (
    ("Brightwater", "MN", "55"), ("Elm Harbor", "WI", "53"), ("Cedar Falls Crossing", "MN", "56"),
    ("North Ridley", "IA", "50"), ("Stonebrook", "MN", "55"), ("Fallon Springs", "WI", "54"),
)
CLIENT_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com", "example.net")
# Fixed UTC offsets (minutes), so Date headers carry a variety of zones without tz databases.
TZ_OFFSETS = (-360, -360, -360, -300, -420, -480, 0, 60)


@dataclass(frozen=True)
class Person:
    """A client or prospect, as every source system sees them."""

    kind: str  # "client" | "prospect"
    index: int
    first: str
    last: str
    email: str
    phone: str
    mobile: str
    birthdate: date
    street: str
    city: str
    state: str
    postal: str
    tz_minutes: int
    contact_id: str
    accented: bool
    latin1_mail: bool  # writes iso-8859-1 plain-text mail

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class Mailbox:
    """One of the clinician's mailboxes and the connection that reads it."""

    connection: str
    address: str
    display_name: str
    style: str  # Message-ID style of mail sent from it: "gmail" | "outlook"
    key: bytes  # stable bytes that prefix the mailbox's Graph ids


CLINICIAN_NAME = "Maren Ellison"
CLINICIAN_TITLE = "Maren Ellison, LPC"
PRACTICE_NAME = "Brightwater Counseling"
PRACTICE_PHONE = "(555) 010-0100"
PRACTICE_TZ_MINUTES = -360
MAILBOXES = {
    "gmail-acct1": Mailbox("gmail-acct1", "maren.ellison.lpc@example.com", CLINICIAN_NAME,
                           "gmail", b"\x01\x11"),
    "gmail-acct2": Mailbox("gmail-acct2", "intake.brightwater@example.com",
                           "Brightwater Intake", "gmail", b"\x02\x22"),
    "gmail-acct3": Mailbox("gmail-acct3", "maren.writes@example.net", "Maren E.",
                           "gmail", b"\x03\x33"),
    "exchange-mbx1": Mailbox("exchange-mbx1", "maren@brightwater.example.org", CLINICIAN_NAME,
                             "outlook", b"\x04\x44"),
    "exchange-mbx2": Mailbox("exchange-mbx2", "billing@brightwater.example.org",
                             "Brightwater Billing", "outlook", b"\x05\x55"),
    "exchange-mbx3": Mailbox("exchange-mbx3", "frontdesk@brightwater.example.org",
                             "Brightwater Front Desk", "outlook", b"\x06\x66"),
}


def ascii_fold(text: str) -> str:
    """`Søren Ødegård` → `soren odegard`, for email local parts."""
    table = str.maketrans({"ø": "o", "Ø": "O", "å": "a", "Å": "A", "æ": "ae", "ß": "ss"})
    decomposed = unicodedata.normalize("NFKD", text.translate(table))
    return "".join(c for c in decomposed if c.isascii()).lower().replace(" ", "")


def make_person(seed: int, kind: str, index: int, number: int) -> Person:
    """Person `index` of `kind`; `number` (unique across the practice) makes the address unique."""
    rng = rng_for(seed, kind, index)
    accented = rng.random() < 0.125
    if accented:
        first, last = rng.choice(ACCENTED_NAMES)
    else:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    f, la = ascii_fold(first), ascii_fold(last)
    local = rng.choice((f"{f}.{la}", f"{f[0]}{la}", f"{f}{la}", f"{f}_{la[0]}", f"{la}.{f}"))
    email = f"{local}{number}@{rng.choice(CLIENT_DOMAINS)}"
    city, state, zip_prefix = rng.choice(CITIES)
    area = rng.choice(("612", "651", "715", "319", "952"))
    return Person(
        kind=kind,
        index=index,
        first=first,
        last=last,
        email=email,
        phone=f"({area}) 555-01{rng.randint(0, 99):02d}",
        mobile=f"({area}) 555-01{rng.randint(0, 99):02d}",
        birthdate=date(1950, 1, 1) + timedelta(days=rng.randint(0, 365 * 52)),
        street=f"{rng.randint(12, 9899)} {rng.choice(STREETS)}",
        city=city,
        state=state,
        postal=f"{zip_prefix}{rng.randint(100, 999)}",
        tz_minutes=rng.choice(TZ_OFFSETS),
        contact_id=guid(rng),
        accented=accented,
        latin1_mail=accented and rng.random() < 0.6,
    )
