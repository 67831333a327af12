"""SMTP delivery of weekly reports (smtplib, STARTTLS by default).

Settings come from environment variables (never logged): LORCHESTRA_SMTP_HOST,
LORCHESTRA_SMTP_PORT (default 587), LORCHESTRA_SMTP_USER, LORCHESTRA_SMTP_PASSWORD,
LORCHESTRA_SMTP_STARTTLS (default true), LORCHESTRA_REPORT_FROM, LORCHESTRA_REPORT_TO (weekly
reports) and LORCHESTRA_RISK_ALERT_EMAIL (same-day risk alerts, see :mod:`reporter.risk_alerts`).
STARTTLS verifies the server's certificate against the system trust store (``SSL_CERT_FILE``
overrides it, as for any OpenSSL client).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from lorchestra.api import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True, repr=False)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    sender: str
    recipient: str

    def __repr__(self) -> str:  # never show credentials or addresses
        return f"SmtpSettings(port={self.port}, starttls={self.starttls})"


def smtp_settings(
    env: Mapping[str, str] | None = None,
    *,
    recipient_variable: str = "LORCHESTRA_REPORT_TO",
    purpose: str = "send reports (--send)",
) -> SmtpSettings:
    """Read and check the SMTP settings; a missing or bad one raises ConfigError (by name).

    The recipient comes from ``recipient_variable``: LORCHESTRA_REPORT_TO for weekly reports,
    LORCHESTRA_RISK_ALERT_EMAIL (the clinician) for risk alerts."""
    env = os.environ if env is None else env

    def need(name: str) -> str:
        value = (env.get(name) or "").strip()
        if not value:
            raise ConfigError(f"{name} is not set; it is needed to {purpose}")
        return value

    host = need("LORCHESTRA_SMTP_HOST")
    port_text = (env.get("LORCHESTRA_SMTP_PORT") or "587").strip()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError("LORCHESTRA_SMTP_PORT must be a port number")
    starttls_text = (env.get("LORCHESTRA_SMTP_STARTTLS") or "true").strip().lower()
    if starttls_text not in _TRUE | _FALSE:
        raise ConfigError("LORCHESTRA_SMTP_STARTTLS must be true or false")
    user = (env.get("LORCHESTRA_SMTP_USER") or "").strip() or None
    password = env.get("LORCHESTRA_SMTP_PASSWORD") or None
    if user and not password:
        raise ConfigError("LORCHESTRA_SMTP_USER is set but LORCHESTRA_SMTP_PASSWORD is not")
    return SmtpSettings(
        host=host,
        port=int(port_text),
        user=user,
        password=password,
        starttls=starttls_text in _TRUE,
        sender=need("LORCHESTRA_REPORT_FROM"),
        recipient=need(recipient_variable),
    )


def build_message(
    settings: SmtpSettings, subject: str, html: str, pdf: bytes, pdf_name: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = settings.recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="lorchestra.local")
    message.set_content("This weekly report is in HTML; the PDF copy is attached.")
    message.add_alternative(html, subtype="html")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_name)
    return message


class Mailer:
    """One SMTP connection for a run: ``with Mailer(settings) as m: m.send(message)``."""

    def __init__(self, settings: SmtpSettings, timeout: float = 30.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        smtp = smtplib.SMTP(self.settings.host, self.settings.port, timeout=self.timeout)
        try:
            smtp.ehlo()
            if self.settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.settings.user and self.settings.password:
                smtp.login(self.settings.user, self.settings.password)
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return self

    def send(self, message: EmailMessage) -> None:
        assert self._smtp is not None, "use Mailer as a context manager"
        self._smtp.send_message(message)

    def __exit__(self, *exc: object) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except smtplib.SMTPException:
                self._smtp.close()
            self._smtp = None
