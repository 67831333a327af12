"""Reports are produced once and read well: an unchanged report is not rewritten, ``--client``
writes only that client's report, the awaiting-reply list is bounded, and every PDF page keeps
its text inside the page (rendered, then checked character by character with pdfplumber)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from reporter import jobs
from reporter.projections import create_views

WEEK = "2026-W11"


def mtimes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(directory.iterdir())}


def test_unchanged_reports_are_not_rewritten(seeder: Any, run_job: Any, home: Path) -> None:
    first = run_job(jobs.generate_weekly_report, week=WEEK)
    assert (first["reports_written"], first["summary_written"]) == (1, 1)
    directory = home / "reports" / WEEK
    before = mtimes(directory)

    second = run_job(jobs.generate_weekly_report, week=WEEK)
    assert (second["reports_written"], second["reports_unchanged"]) == (0, 1)
    assert (second["summary_written"], second["summary_unchanged"]) == (0, 1)
    assert mtimes(directory) == before

    from lorchestra.pipelines import describe_changes

    assert describe_changes(second) == "2 unchanged"  # the client report and the summary

    # New data for Alex: only what changed is rewritten.
    seeder.measurement("e9", "alex.client@example.test", "phq9", "2026-03-12T10:00:00Z", 4,
                       "minimal", item9=False)  # fmt: skip
    create_views(seeder.warehouse)
    third = run_job(jobs.generate_weekly_report, week=WEEK)
    assert (third["reports_written"], third["summary_written"]) == (1, 1)
    after = mtimes(directory)
    assert after["client_c-0001.pdf"] != before["client_c-0001.pdf"]


def test_one_client_leaves_the_practice_summary_as_it_was(
    seeder: Any, run_job: Any, home: Path
) -> None:
    run_job(jobs.generate_weekly_report, week="2026-W10")
    directory = home / "reports" / "2026-W10"
    summary = (directory / "practice_summary.html").read_bytes()
    before = mtimes(directory)
    seeder.measurement("g2", "blair@example.test", "gad7", "2026-03-03T10:00:00Z", 4,
                       "minimal")  # fmt: skip
    create_views(seeder.warehouse)

    result = run_job(jobs.generate_weekly_report, week="2026-W10", client="c-0002")
    assert (result["reports_written"], result["summary_written"]) == (1, 0)
    assert result["summary_unchanged"] == 0
    assert (directory / "practice_summary.html").read_bytes() == summary
    after = mtimes(directory)
    for name in ("practice_summary.html", "practice_summary.pdf", "client_c-0001.html",
                 "client_c-0001.pdf"):  # fmt: skip
        assert after[name] == before[name]
    assert after["client_c-0002.pdf"] != before["client_c-0002.pdf"]


@pytest.fixture
def busy_inbox(seeder: Any) -> Any:
    """25 threads awaiting a reply, with long unbroken ids and subjects, in week 2026-W11."""
    for n in range(25):
        sent = dt.datetime(2026, 3, 9, 8, tzinfo=dt.UTC) + dt.timedelta(hours=5 * n)
        seeder.canonical(
            "email_jmap_lite",
            f"m{n:02d}",
            {
                "id": f"m{n:02d}", "threadId": "thread" + "x" * 60 + f"{n:02d}",
                "messageId": [f"<m{n:02d}@mail.example.test>"],
                "subject": f"Enquiry {n:02d} " + "about-availability-" * 6,
                "from": [{"name": f"Prospect {n:02d}", "email": f"p{n:02d}@example.test"}],
                "to": [{"email": "practice@example.test"}], "labels": ["INBOX"],
                "receivedAt": sent.isoformat().replace("+00:00", "Z"),
            },
        )  # fmt: skip
    create_views(seeder.warehouse, ["practice@example.test"])
    return seeder


def test_awaiting_list_shows_the_20_oldest_with_sender_and_age(
    busy_inbox: Any, run_job: Any, home: Path
) -> None:
    run_job(jobs.generate_weekly_report, week=WEEK)
    html = (home / "reports" / WEEK / "practice_summary.html").read_text()
    table = html[html.index('<table class="awaiting">') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr><td>Prospect") == 20
    assert "Prospect 00" in table and "Prospect 19" in table and "Prospect 20" not in table
    # Week 2026-W11 is over: ages are whole days at its last day (Sunday 2026-03-15).
    assert "<tr><td>Prospect 00</td><td>Enquiry 00" in table
    assert "<td>2026-03-09</td><td>6</td></tr>" in table
    assert "thread" + "x" * 60 not in html  # no raw thread ids
    assert "and 5 more awaiting a reply." in html
    assert "Awaiting reply: 25" in html


def _overflowing(pdf_path: Path) -> list[str]:
    import pdfplumber

    problems = []
    with pdfplumber.open(pdf_path) as pdf:
        for number, page in enumerate(pdf.pages, start=1):
            for char in page.chars:
                if char["x0"] < 0 or char["x1"] > page.width + 0.5:
                    problems.append(f"page {number}: {char['text']!r} at x1={char['x1']:.0f}")
    return problems


def test_every_pdf_page_keeps_its_text_inside_the_page(
    busy_inbox: Any, run_job: Any, home: Path
) -> None:
    seeder = busy_inbox
    seeder.contact("c-0009", "Wide " + "Name" * 30, "wide@example.test")
    seeder.scored("w1", "wide@example.test", "ipip_neo_60", "2026-03-10T10:00:00Z",
                  {"N": 33, "E": 41, "O": 45, "A": 50, "C": 38})
    seeder.scored("w2", "wide@example.test", "ipip_neo_60", "2026-03-11T10:00:00Z",
                  {"N": 30, "E": 44, "O": 45, "A": 48, "C": 40})
    create_views(seeder.warehouse, ["practice@example.test"])
    run_job(jobs.generate_weekly_report, week=WEEK)
    pdfs = sorted((home / "reports" / WEEK).glob("*.pdf"))
    assert [p.name for p in pdfs] == ["client_c-0001.pdf", "client_c-0009.pdf",
                                      "practice_summary.pdf"]  # fmt: skip
    for pdf in pdfs:
        assert _overflowing(pdf) == [], pdf.name
