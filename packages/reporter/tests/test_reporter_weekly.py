"""Weekly client reports: content (HTML and PDF), files, SMTP delivery over STARTTLS to a real
server on loopback, no resend without ``resend``, and a real headless browser rendering a page.

The fixture warehouse is conftest's (two clients), plus a client with no activity at all and
Stripe billing for Alex. Week 2026-W11 runs Monday 2026-03-09 to Sunday 2026-03-15: Alex has
PHQ-9 8 (mild, -4 from 12) on 03-09, session s-0002 on 03-10, an open invoice of USD 120.00
(a draft one excluded) and a USD 95.50 payment; Blair and Casey have nothing that week.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import ipaddress
import os
import shutil
import socket
import stat
import subprocess
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from lorchestra.errors import ConfigError, InvalidJobArguments
from reporter import jobs, weekly_render
from reporter.projections import create_views
from reporter.weekly_data import parse_week
from reporter.weekly_pool import ReportFailed

RunJob = Callable[..., dict[str, Any]]
WEEK = "2026-W11"
ALEX, BLAIR, CASEY = "c-0001", "c-0002", "c-0003"


@pytest.fixture
def week_seeder(seeder: Any) -> Any:
    seeder.contact(CASEY, "Casey Quiet", "casey@example.test")
    seeder.canonical(
        "customer",
        "cus_A",
        {"customer_id": "cus_A", "email": "alex.client@example.test",
         "metadata": {"dataverse_contact_id": ALEX}, "name": "Alex Client"},
    )  # fmt: skip
    for invoice_id, status, amount, when in (
        ("in_1", "open", 12000, "2026-03-10T16:00:00Z"),
        ("in_2", "draft", 99900, "2026-03-10T16:00:00Z"),
        ("in_0", "paid", 5000, "2026-03-03T16:00:00Z"),  # the week before
    ):
        seeder.canonical(
            "invoice",
            invoice_id,
            {"invoice_id": invoice_id, "customer_id": "cus_A", "status": status,
             "amount_due": amount, "currency": "USD", "created_at": when,
             "number": f"N-{invoice_id}"},
        )  # fmt: skip
    seeder.canonical(
        "payment",
        "pi_1",
        {"payment_id": "pi_1", "customer_id": "cus_A", "status": "succeeded",
         "amount": 9550, "amount_received": 9550, "currency": "USD",
         "created_at": "2026-03-11T09:00:00Z"},
    )  # fmt: skip
    create_views(seeder.warehouse)
    return seeder


def report_dir(home: Path) -> Path:
    return home / "reports" / WEEK


# -- arguments ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["2026-47", "2026-W4", "W47", "2026-W00", "2026-W54", "x"])
def test_bad_week_is_a_one_line_usage_error(bad: str) -> None:
    with pytest.raises(InvalidJobArguments) as info:
        parse_week(bad)
    assert "\n" not in str(info.value) and "2026-W" in str(info.value)


def test_default_week_is_the_current_iso_week() -> None:
    now = dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC)  # a Sunday
    assert parse_week(None, now=now).label == "2026-W47"
    assert parse_week("2020-W53").monday == dt.date(2020, 12, 28)


def test_the_host_converts_the_cli_options() -> None:
    from lorchestra.arguments import JobSignature, parse_job_options

    kwargs = parse_job_options(
        JobSignature.of(jobs.generate_weekly_report),
        ["--week", "2026-W47", "--client", "c-0001", "--send", "--resend"],
        now=dt.datetime.now(dt.UTC),
    )
    assert kwargs == {"week": "2026-W47", "client": "c-0001", "send": True, "resend": True}


def test_unknown_client_is_rejected(week_seeder: Any, run_job: RunJob) -> None:
    with pytest.raises(InvalidJobArguments):
        run_job(jobs.generate_weekly_report, week=WEEK, client="nobody")


# -- content -----------------------------------------------------------------------------------
def test_reports_for_active_clients_only(week_seeder: Any, run_job: RunJob, home: Path) -> None:
    result = run_job(jobs.generate_weekly_report, week=WEEK)
    assert result == {
        "week": WEEK, "clients_with_activity": 1, "reports_written": 1,
        "reports_unchanged": 0, "summary_written": 1, "summary_unchanged": 0,
        "reports_sent": 0,
        "skipped_already_sent": 0, "clients_without_activity": 2, "skipped_unsafe_id": 0,
        "dry_run": False,
    }  # fmt: skip
    directory = report_dir(home)
    assert sorted(p.name for p in directory.iterdir()) == [
        "client_c-0001.html", "client_c-0001.pdf",
        "practice_summary.html", "practice_summary.pdf",
    ]  # fmt: skip
    for path in (home / "reports", directory):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    html = (directory / "client_c-0001.html").read_text()
    phq9 = html[html.index('<table class="scales" data-instrument="phq9">') :]
    assert (
        "<tr><td>PHQ-9 total</td><td>2026-03-09</td><td>8</td><td>mild</td><td>-4</td><td>-4</td>"
        "<td>no reliable change</td></tr>" in phq9[: phq9.index("</table>")]
    )
    assert "Alex Client" in html
    alert = html[html.index('<div class="alert" role="alert">') :]
    assert "PHQ-9 item 9 endorsed</strong>" in alert and "on 2026-03-09." in alert
    assert html.index('class="alert"') < html.index("<h2>Outcome")
    assert html.count('src="data:image/png;base64,') == 1  # one chart: phq9
    assert "http://" not in html and "https://" not in html
    sessions = html[html.index('<table class="sessions">') :]
    assert "<td>2026-03-10</td><td>active</td><td>s-0002</td>" in sessions
    assert "s-0001" not in html  # the week before
    billing = html[html.index('<table class="billing">') :]
    assert "<td>Invoice</td><td>N-in_1</td><td>open</td><td>USD 120.00</td>" in billing
    assert "<td>Payment</td><td>pi_1</td><td>succeeded</td><td>USD 95.50</td>" in billing
    assert "in_2" not in html and "999.00" not in html and "in_0" not in html
    assert "Invoiced: USD 120.00 · Paid: USD 95.50" in html

    summary = (directory / "practice_summary.html").read_text()
    assert "<tr><th>Clients with activity</th><td>1</td></tr>" in summary
    assert "<tr><th>Clients without activity</th><td>2</td></tr>" in summary
    assert "<tr><th>Sessions</th><td>1</td></tr>" in summary
    assert "<tr><th>Clients with PHQ-9 item 9 endorsed</th><td>1</td></tr>" in summary
    assert '<strong class="flag">endorsed</strong>' in summary
    assert "<tr><th>Invoices</th><td>1 (USD 120.00)</td></tr>" in summary
    assert "<tr><th>Payments</th><td>1 (USD 95.50)</td></tr>" in summary
    assert "Blair" not in summary and "Casey" not in summary

    events = week_seeder.warehouse.query(
        "SELECT payload FROM event_log WHERE event_type = 'report.generated'"
    )
    assert len(events) == 1
    payload = str(events[0]["payload"])
    assert "Alex" not in payload and "example.test" not in payload
    assert "reports_written" in payload


def test_other_week_and_one_client(week_seeder: Any, run_job: RunJob, home: Path) -> None:
    result = run_job(jobs.generate_weekly_report, week="2026-W10", client=BLAIR)
    assert (result["clients_with_activity"], result["clients_without_activity"]) == (1, 0)
    html = (home / "reports" / "2026-W10" / "client_c-0002.html").read_text()
    assert "<tr><td>GAD-7 total</td><td>2026-03-02</td><td>9</td><td>mild</td><td>—</td>" in html
    # Measured once: a value, not a chart.
    assert "Measured once" in html and "data:image/png" not in html
    assert not (home / "reports" / "2026-W10" / "client_c-0001.html").exists()


def test_item9_alert_only_in_the_week_it_was_endorsed(
    week_seeder: Any, run_job: RunJob, home: Path
) -> None:
    run_job(jobs.generate_weekly_report, week="2026-W10")  # Alex's PHQ-9 that week: item 9 = 0
    html = (home / "reports" / "2026-W10" / "client_c-0001.html").read_text()
    assert "<tr><td>PHQ-9 total</td><td>2026-03-02</td><td>12</td>" in html
    assert 'class="alert"' not in html
    summary = (home / "reports" / "2026-W10" / "practice_summary.html").read_text()
    assert "<tr><th>Clients with PHQ-9 item 9 endorsed</th><td>0</td></tr>" in summary


def test_unreadable_answers_are_shown_and_item9_is_never_negative(
    week_seeder: Any, run_job: RunJob, home: Path
) -> None:
    week_seeder.measurement(
        "b1", "blair@example.test", "phq9", "2026-03-11T10:00:00Z", 10.125, "moderate",
        item9=None, invalid=["phq9_3", "phq9_9"],
    )  # fmt: skip
    create_views(week_seeder.warehouse)
    run_job(jobs.generate_weekly_report, week=WEEK)
    html = (report_dir(home) / "client_c-0002.html").read_text()
    assert "PHQ-9 item 9 unreadable — check with the client" in html
    assert "<li>2026-03-11, Patient Health Questionnaire-9 (PHQ-9): item 3, item 9</li>" in html
    assert "PHQ-9 item 9 endorsed" not in html
    alex = (report_dir(home) / "client_c-0001.html").read_text()
    assert "unreadable" not in alex and "could not be read" not in alex


def test_names_are_escaped(week_seeder: Any, run_job: RunJob, home: Path) -> None:
    week_seeder.contact(ALEX, "<b>Alex</b> & Co", "Alex.Client@Example.test")
    run_job(jobs.generate_weekly_report, week=WEEK)
    html = (report_dir(home) / "client_c-0001.html").read_text()
    assert "&lt;b&gt;Alex&lt;/b&gt; &amp; Co" in html and "<b>Alex</b>" not in html


def test_rerun_draws_no_chart_and_a_new_score_draws_again(
    week_seeder: Any, run_job: RunJob, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # jobs=1: rendered in this process, where the patched chart drawing applies.
    run_job(jobs.generate_weekly_report, week=WEEK, jobs=1)
    html = (report_dir(home) / "client_c-0001.html").read_bytes()
    cached = list((home / "reports" / ".charts" / WEEK).iterdir())
    assert len(cached) == 1 and stat.S_IMODE(cached[0].stat().st_mode) == 0o600

    def no_drawing(*args: Any) -> str:
        raise AssertionError("a chart was drawn again")

    monkeypatch.setattr(weekly_render, "chart_png", no_drawing)
    result = run_job(jobs.generate_weekly_report, week=WEEK, jobs=1)
    assert (result["reports_written"], result["reports_unchanged"]) == (0, 1)
    assert (report_dir(home) / "client_c-0001.html").read_bytes() == html

    week_seeder.measurement("e9", "alex.client@example.test", "phq9", "2026-03-12T10:00:00Z",
                            5, "minimal", item9=False)  # fmt: skip
    create_views(week_seeder.warehouse)
    with pytest.raises(ReportFailed, match=r"^The weekly report of client c-0001 failed: "):
        run_job(jobs.generate_weekly_report, week=WEEK, jobs=1)


def test_reports_are_the_same_whatever_the_workers(
    week_seeder: Any, run_job: RunJob, home: Path
) -> None:
    run_job(jobs.generate_weekly_report, week=WEEK, jobs=1)
    one = {p.name: p.read_bytes() for p in report_dir(home).glob("*.html")}
    shutil.rmtree(home / "reports")
    result = run_job(jobs.generate_weekly_report, week=WEEK, jobs=3)
    assert result["reports_written"] == len(one) - 1
    assert {p.name: p.read_bytes() for p in report_dir(home).glob("*.html")} == one


def test_jobs_must_be_positive(week_seeder: Any, run_job: RunJob) -> None:
    with pytest.raises(InvalidJobArguments, match="--jobs"):
        run_job(jobs.generate_weekly_report, week=WEEK, jobs=0)


def test_dry_run_writes_nothing(week_seeder: Any, run_job: RunJob, home: Path) -> None:
    result = run_job(jobs.generate_weekly_report, week=WEEK, dry_run=True)
    assert (result["clients_with_activity"], result["reports_written"]) == (1, 0)
    assert not (home / "reports").exists()


def test_pdf_holds_scores_and_bands(week_seeder: Any, run_job: RunJob, home: Path) -> None:
    from pypdf import PdfReader

    run_job(jobs.generate_weekly_report, week=WEEK)
    reader = PdfReader(report_dir(home) / "client_c-0001.pdf")
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Weekly report 2026-W11" in text
    assert "PHQ-9 total 2026-03-09 8 mild -4 -4 no reliable change" in " ".join(text.split())
    assert "USD 120.00" in text and "s-0002" in text
    summary = PdfReader(report_dir(home) / "practice_summary.pdf")
    assert "Clients without activity 2" in " ".join(summary.pages[0].extract_text().split())


@pytest.mark.parametrize("subset_library", [True, False])
def test_pdf_fonts_without_fonttools_chatter(
    subset_library: bool, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """With HarfBuzz-Subset the fonts are subset; without it (simulated by hiding the library
    from WeasyPrint) they are embedded whole: no fallback warning, and no fontTools subsetting
    (whose debug lines list the characters a report uses)."""
    import logging

    from pypdf import PdfReader
    from weasyprint.pdf import fonts
    from weasyprint.text import ffi

    from reporter.pdf import harfbuzz_subset, to_pdf

    assert harfbuzz_subset(), "libharfbuzz-subset0 is missing; `make install` installs it"
    if not subset_library:
        monkeypatch.setattr(ffi, "harfbuzz_subset", None)  # what to_pdf checks
        monkeypatch.setattr(fonts, "harfbuzz_subset", None)  # what WeasyPrint's subset checks
    caplog.set_level(logging.DEBUG)
    pdf = to_pdf("<p style='font-family: DejaVu Sans'>Weekly report ü</p>")
    assert "Weekly report" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not [r for r in caplog.records if r.name.startswith("fontTools.subset")]


# -- SMTP --------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.logins: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    import ssl

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    inbox = Inbox()

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"clinician",
            b"s3cret-synthetic",
        )
        if ok:
            inbox.logins.append(data.login.decode())
        return AuthResult(success=ok)

    port = _free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    for name, value in {
        "LORCHESTRA_SMTP_HOST": "127.0.0.1",
        "LORCHESTRA_SMTP_PORT": str(port),
        "LORCHESTRA_SMTP_USER": "clinician",
        "LORCHESTRA_SMTP_PASSWORD": "s3cret-synthetic",
        "LORCHESTRA_REPORT_FROM": "reports@practice.test",
        "LORCHESTRA_REPORT_TO": "clinician@practice.test",
        "SSL_CERT_FILE": str(cert),  # the client trusts the test's self-signed certificate
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LORCHESTRA_SMTP_STARTTLS", raising=False)  # default: STARTTLS on
    try:
        yield inbox
    finally:
        controller.stop()


def test_send_over_starttls_then_no_resend_then_resend(
    week_seeder: Any, run_job: RunJob, smtp_server: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    first = run_job(jobs.generate_weekly_report, week=WEEK, send=True)
    assert (first["reports_sent"], first["skipped_already_sent"]) == (1, 0)
    assert len(smtp_server.messages) == 1 and smtp_server.logins == ["clinician"]
    recipients, message = smtp_server.messages[0]
    assert recipients == ["clinician@practice.test"]
    assert message["To"] == "clinician@practice.test"
    assert message["Subject"] == "Weekly report 2026-W11 — client c-0001"
    body = message.get_body(preferencelist=("html",))
    assert body is not None and "<td>PHQ-9 total</td><td>2026-03-09</td><td>8</td>" in (
        body.get_content()
    )
    attachments = list(message.iter_attachments())
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]
    pdf = attachments[0].get_content()
    assert isinstance(pdf, bytes) and pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    assert "mild" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()

    second = run_job(jobs.generate_weekly_report, week=WEEK, send=True)
    assert (second["reports_sent"], second["skipped_already_sent"]) == (0, 1)
    assert len(smtp_server.messages) == 1

    third = run_job(jobs.generate_weekly_report, week=WEEK, send=True, resend=True)
    assert (third["reports_sent"], third["skipped_already_sent"]) == (1, 0)
    assert len(smtp_server.messages) == 2

    sent = week_seeder.warehouse.query(
        "SELECT connection_name, target_object_type, payload FROM event_log "
        "WHERE event_type = 'report.sent' ORDER BY created_at"
    )
    assert [(r["connection_name"], r["target_object_type"]) for r in sent] == [
        (ALEX, "weekly_report:2026-W11")
    ] * 2
    for row in sent:
        assert "Alex" not in str(row["payload"]) and "@" not in str(row["payload"])
    assert "s3cret-synthetic" not in caplog.text


def test_a_warehouse_rebuilt_from_backups_does_not_resend(
    week_seeder: Any, run_job: RunJob, smtp_server: Inbox, home: Path
) -> None:
    from lorchestra.backup import read_backup
    from lorchestra.stack_clients.event_client import apply_rows

    assert run_job(jobs.generate_weekly_report, week=WEEK, send=True)["reports_sent"] == 1
    warehouse = week_seeder.warehouse
    # The event log lost, as when the DuckDB file is rebuilt: only its backups are left.
    warehouse.execute("DELETE FROM event_log WHERE TRUE")
    backups = sorted((home / "backup" / "events").rglob("run_*.jsonl"))
    assert backups
    for path in backups:
        for spec, rows in read_backup(path, 1000):
            apply_rows(warehouse, spec, rows, backup=False)
    again = run_job(jobs.generate_weekly_report, week=WEEK, send=True)
    assert (again["reports_sent"], again["skipped_already_sent"]) == (0, 1)
    assert len(smtp_server.messages) == 1


def test_send_without_settings_fails_before_writing(
    week_seeder: Any, run_job: RunJob, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LORCHESTRA_SMTP_HOST", raising=False)
    with pytest.raises(ConfigError, match="LORCHESTRA_SMTP_HOST"):
        run_job(jobs.generate_weekly_report, week=WEEK, send=True)
    assert not (home / "reports").exists()


# -- a real browser ----------------------------------------------------------------------------
def test_chromium_renders_the_report(
    week_seeder: Any, run_job: RunJob, home: Path, tmp_path: Path
) -> None:
    chromium = shutil.which("chromium") or (
        "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
    )
    if chromium is None:
        pytest.fail(
            "chromium is not installed: `make test` installs it "
            "(apt-get update && apt-get install -y chromium)"
        )
    from PIL import Image

    run_job(jobs.generate_weekly_report, week=WEEK)
    page = report_dir(home) / "client_c-0001.html"
    shot = tmp_path / "shot.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}",
         "--window-size=1000,1400", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    with Image.open(shot) as image:
        assert image.size == (1000, 1400)
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # text, table shading and the chart


def test_report_workers_that_cannot_start_fail_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers start on a thread while the week is read; if they cannot start, rendering
    raises that error on the caller's thread instead of quietly rendering in one process."""
    from reporter import weekly_pool

    def no_pool(*args: object, **kwargs: object) -> None:
        raise OSError("Resource temporarily unavailable")

    monkeypatch.setattr(weekly_pool, "worker_pool", no_pool)
    tasks = [weekly_pool.Task(tmp_path, f"page_{n}", f"page {n}", "2026-W47", html="<p>x</p>")
             for n in range(2)]  # fmt: skip
    with weekly_pool.ReportWriters(2) as writers:
        with pytest.raises(OSError, match="Resource temporarily unavailable"):
            list(writers.write_all(tasks))
    assert not list(tmp_path.iterdir()), "nothing was written"
