"""Per-scale results and NHS Talking Therapies outcomes in the weekly reports.

Dana (synthetic) has, up to week 2026-W11: FSCRS twice (subscales only), IPIP-NEO-60 once
(domains, their means and a facet), PHLMS once, and PHQ-9 with GAD-7 taken together on three
forms: 16/12 → 11/9 → 6/5 (reliable improvement; recovered). Eve has one paired form only; Finn
has two, 8/5 → 15/10 (reliable deterioration; not a case at the start).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from reporter import jobs
from reporter.projections import create_views

WEEK = "2026-W11"


@pytest.fixture
def scales_seeder(seeder: Any) -> Any:
    dana, eve, finn = "dana@example.test", "eve@example.test", "finn@example.test"
    seeder.contact("c-0100", "Dana Scales", dana)
    seeder.contact("c-0101", "Eve Once", eve)
    seeder.contact("c-0102", "Finn Worse", finn)
    seeder.scored("f1", dana, "fscrs", "2026-02-23T10:00:00Z",
                  {"inadequate_self": 20, "hated_self": 8, "reassured_self": 12,
                   "self_criticism": 28})  # fmt: skip
    seeder.scored("f2", dana, "fscrs", "2026-03-10T10:00:00Z",
                  {"inadequate_self": 14, "hated_self": 9, "reassured_self": 18,
                   "self_criticism": 23})  # fmt: skip
    seeder.scored("i1", dana, "ipip_neo_60", "2026-03-10T10:00:00Z",
                  {"N": 33, "E": 41, "O": 45, "A": 50, "C": 38, "N_mean": 2.75, "N1": 6})
    seeder.scored("p1", dana, "phlms", "2026-03-10T10:00:00Z",
                  {"awareness": 35, "acceptance": 27})
    forms = (
        (dana, "2026-02-23T10:00:00Z", 16, "moderately severe", 12, "moderate"),
        (dana, "2026-03-02T10:00:00Z", 11, "moderate", 9, "mild"),
        (dana, "2026-03-10T10:00:00Z", 6, "mild", 5, "mild"),
        (eve, "2026-03-10T10:00:00Z", 14, "moderate", 10, "moderate"),
        (finn, "2026-03-02T10:00:00Z", 8, "mild", 5, "mild"),
        (finn, "2026-03-11T10:00:00Z", 15, "moderately severe", 10, "moderate"),
    )
    for index, (who, at, phq, phq_band, gad, gad_band) in enumerate(forms):
        response = f"synthetic:form:{index}"
        seeder.measurement(f"q{index}", who, "phq9", at, phq, phq_band, item9=False,
                           response=response)  # fmt: skip
        seeder.measurement(f"g{index}", who, "gad7", at, gad, gad_band, response=response)
    create_views(seeder.warehouse)
    return seeder


def section(html: str, instrument: str) -> str:
    start = html.index(f'<table class="scales" data-instrument="{instrument}">')
    end = html.index("<h3>", start) if "<h3>" in html[start:] else html.index("<h2>", start)
    return html[start:end]


def test_each_scale_is_shown_and_no_undefined_total(
    scales_seeder: Any, run_job: Any, home: Path
) -> None:
    run_job(jobs.generate_weekly_report, week=WEEK, client="c-0100")
    html = (home / "reports" / WEEK / "client_c-0100.html").read_text()

    fscrs = section(html, "fscrs")
    for row in (
        "<tr><td>Inadequate Self</td><td>2026-03-10</td><td>14</td><td>-6</td><td>-6</td>",
        "<tr><td>Hated Self</td><td>2026-03-10</td><td>9</td><td>+1</td><td>+1</td>",
        "<tr><td>Reassured Self</td><td>2026-03-10</td><td>18</td>",
    ):
        assert row in fscrs
    assert "Reliable change" not in fscrs  # FSCRS publishes no reliable-change amount
    assert fscrs.count('class="chart"') == 1  # measured twice: one chart, a line per scale

    ipip = section(html, "ipip_neo_60")
    names = re.findall(r"<tr><td>([^<]+)</td><td>2026", ipip)
    assert names == ["Neuroticism", "Extraversion", "Openness to Experience", "Agreeableness",
                     "Conscientiousness"]  # fmt: skip
    assert "Measured once" in ipip and 'class="chart"' not in ipip  # a value, not a chart

    phlms = section(html, "phlms")
    assert re.findall(r"<tr><td>([^<]+)</td><td>2026", phlms) == ["Awareness", "Acceptance"]
    # No total for the instruments that define none: FSCRS, IPIP-NEO-60, PHLMS.
    for scale_table in (fscrs, ipip, phlms):
        assert "total" not in scale_table.lower()
    assert ">33<" in ipip  # the N domain, as a domain, not as "the score"

    phq9 = section(html, "phq9")
    assert ("<tr><td>PHQ-9 total</td><td>2026-03-10</td><td>6</td><td>mild</td><td>-5</td>"
            "<td>-10</td><td>reliable improvement</td></tr>") in phq9  # fmt: skip
    gad7 = section(html, "gad7")
    assert "<td>-7</td><td>reliable improvement</td>" in gad7


def test_client_outcome_in_words(scales_seeder: Any, run_job: Any, home: Path) -> None:
    run_job(jobs.generate_weekly_report, week=WEEK)
    directory = home / "reports" / WEEK

    def outcome(contact: str) -> str:
        html = (directory / f"client_{contact}.html").read_text()
        return html[html.index("<h2>Outcome") : html.index("<h2>Measures")]

    dana = outcome("c-0100")
    assert "<strong>Reliable improvement; recovered</strong>" in dana
    assert "from 2026-02-23 (PHQ-9 16, GAD-7 12) to 2026-03-10 (PHQ-9 6, GAD-7 5)" in dana
    assert "Not computable" in outcome("c-0101") and "(1 so far)" in outcome("c-0101")
    finn = outcome("c-0102")
    assert "<strong>Reliable deterioration; now a case (not a case at the start)</strong>" in finn


def test_practice_summary_counts_and_rates(scales_seeder: Any, run_job: Any, home: Path) -> None:
    run_job(jobs.generate_weekly_report, week=WEEK)
    summary = (home / "reports" / WEEK / "practice_summary.html").read_text()
    table = summary[summary.index('<table class="outcomes">') :]
    table = table[: table.index("</table>")]
    # Paired data: Dana and Finn (Eve has one form; Alex's PHQ-9 has no GAD-7 beside it).
    # Cases at the start: Dana only.
    assert "<tr><td>Recovered</td><td>1</td><td>1 cases at start</td><td>100%</td></tr>" in table
    assert "<tr><td>Reliable recovery</td><td>1</td><td>1 cases at start</td><td>100%</td>" in (
        table
    )
    assert "<tr><td>Reliable improvement</td><td>1</td><td>2 with paired data</td><td>50%</td>" in (
        table
    )
    assert ("<tr><td>Reliable deterioration</td><td>1</td><td>2 with paired data</td>"
            "<td>50%</td>") in table  # fmt: skip


def test_outcomes_only_use_data_up_to_the_week(
    scales_seeder: Any, run_job: Any, home: Path
) -> None:
    run_job(jobs.generate_weekly_report, week="2026-W10", client="c-0100")
    html = (home / "reports" / "2026-W10" / "client_c-0100.html").read_text()
    # Up to 2026-03-08: 16/12 → 11/9: neither fell by 6/4, and GAD-7 9 is still a case.
    assert "<strong>No reliable change; still a case</strong>" in html
